
/*
 * attck-worker ingest attack: ATT&CK bundles into PostgreSQL.
 *
 * Each source is asked with the validators of its last run (ETag,
 * Last-Modified; size and time for local files), so an unchanged one is
 * neither fetched whole nor parsed again.  A changed one is checked as a
 * STIX bundle and loaded in one transaction: its objects are COPYed raw
 * into a temporary table and attck_load_release() (sql/001_attack.sql)
 * spreads them over the tables, while the worker checks each object as
 * compile does: a bundle compile would refuse is never stored.  A release
 * already loaded from the same bytes is left alone; several releases
 * live side by side.  The record of each run is ingest_run.c's.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "fetch.h"
#include "ingest.h"
#include "progress.h"
#include "scan.h"
#include "stix.h"
#include "taxii_bundle.h"
#include "util.h"


static size_t attck_ingest_taxii_feeds(int argc, char **argv, int i,
    char **feeds);
static int attck_ingest_taxii_run(PGconn *db, char **feeds, size_t n);
static int attck_ingest_taxii_main(int argc, char **argv);
static int attck_ingest_attack(PGconn *db, const char *url,
    const char *src, attck_ingest_result_t *r, char *err, size_t errlen);
static int attck_ingest_load(PGconn *db, const char *src, const char *data,
    size_t len, const char *sha, const char *etag, const char *last_modified,
    attck_ingest_result_t *r, char *err, size_t errlen);
static int attck_ingest_nul(const char *obj, size_t len);
static int attck_ingest_check_object(const char *obj, size_t len,
    void *data);
static int attck_ingest_check(const char *data, size_t len, char *err,
    size_t errlen);
static int attck_ingest_object(const char *obj, size_t len, void *data);
static int attck_ingest_state(PGconn *db, const char *src,
    const char *etag, const char *last_modified, const char *sha,
    int changed, char *err, size_t errlen);


/* the scanner's objects on their way into COPY */

typedef struct {
    PGconn       *db;
    attck_vec_t   out;
    long          objects;
    long          failed;
    char         *err;
    size_t        errlen;
} attck_ingest_copy_t;


/* the scanner's objects checked as compile checks them */

typedef struct {
    attck_stix_check_t   check;
    size_t               n;           /* objects seen */
    char                *err;
    size_t               errlen;
} attck_ingest_check_t;


/* an object holding a NUL character, which jsonb cannot store */

static int
attck_ingest_nul(const char *obj, size_t len)
{
    const char  *p;

    for (p = obj; (p = memchr(p, '\\', obj + len - p)) != NULL; p += 2) {
        if (p + 5 < obj + len && memcmp(p, "\\u0000", 6) == 0) {
            return 1;
        }

        if (p + 1 >= obj + len) {
            break;
        }
    }

    return 0;
}


static int
attck_ingest_check_object(const char *obj, size_t len, void *data)
{
    attck_ingest_check_t *c = data;

    char          msg[512];
    size_t        i;
    json_t       *json;
    json_error_t  je;

    i = c->n++;

    /* refused one by one, and counted, by attck_ingest_object() */

    if (attck_ingest_nul(obj, len)) {
        return 0;
    }

    json = json_loadb(obj, len, JSON_DECODE_ANY, &je);

    if (json == NULL) {
        snprintf(c->err, c->errlen, "object %zu is not valid JSON: %s", i,
                 je.text);
        return -1;
    }

    if (attck_stix_check_object(&c->check, json, i, msg, sizeof(msg)) != 0) {
        snprintf(c->err, c->errlen, "%s", msg);
        json_decref(json);
        return -1;
    }

    json_decref(json);

    return 0;
}


/*
 * Every object of the bundle must pass the checks compile makes
 * (attck_stix_check_object()), or the bundle is refused: what is stored,
 * publish can compile.  0, or -1 with err naming the object.
 */

static int
attck_ingest_check(const char *data, size_t len, char *err, size_t errlen)
{
    int                    rc;
    size_t                 objects;
    attck_ingest_check_t   c;

    memset(&c, 0, sizeof(attck_ingest_check_t));
    c.err = err;
    c.errlen = errlen;
    attck_stix_check_init(&c.check);

    rc = attck_scan_bundle(data, len, attck_ingest_check_object, &c,
                           &objects, err, errlen);

    attck_stix_check_free(&c.check);

    return rc;
}


/*
 * One object as a COPY row: whitespace outside strings dropped (bundles
 * are indented), backslashes doubled; an object holding a NUL character
 * is refused and counted.  Rows go out in pieces, so that the server
 * parses while the next are made.
 */

static int
attck_ingest_object(const char *obj, size_t len, void *data)
{
    attck_ingest_copy_t *c = data;

    int      in_string;
    size_t   i, start;

    if (attck_ingest_nul(obj, len)) {
        c->failed++;
        return 0;
    }

    in_string = 0;
    start = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (obj[i] == '\\') {

                /* the escape and the character it escapes, doubled */

                attck_vec_append(&c->out, obj + start, i - start);
                attck_vec_append(&c->out, "\\\\", 2);

                if (i + 1 < len) {
                    i++;

                    if (obj[i] == '\\') {
                        attck_vec_append(&c->out, "\\\\", 2);

                    } else {
                        attck_vec_append(&c->out, obj + i, 1);
                    }
                }

                start = i + 1;

            } else if (obj[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        if (obj[i] == '"') {
            in_string = 1;

        } else if (obj[i] == ' ' || obj[i] == '\n' || obj[i] == '\r'
                   || obj[i] == '\t')
        {
            attck_vec_append(&c->out, obj + start, i - start);
            start = i + 1;
        }
    }

    attck_vec_append(&c->out, obj + start, len - start);
    attck_vec_append(&c->out, "\n", 1);

    if (++c->objects % 1000 == 0) {
        attck_progress("loading: %ld objects", c->objects);
    }

    if (c->out.n >= 262144) {
        if (attck_db_copy_put(c->db, c->out.data, c->out.n, c->err,
                              c->errlen) != 0)
        {
            return -1;
        }

        c->out.n = 0;
    }

    return 0;
}


/* 0, or -1 with err set: the caller's run fails and is recorded so */

static int
attck_ingest_state(PGconn *db, const char *src, const char *etag,
    const char *last_modified, const char *sha, int changed, char *err,
    size_t errlen)
{
    char         pg[512];
    PGresult    *res;
    const char  *params[5];

    params[0] = src;
    params[1] = (etag && *etag) ? etag : NULL;
    params[2] = (last_modified && *last_modified) ? last_modified : NULL;
    params[3] = sha;
    params[4] = changed ? "t" : "f";

    res = attck_db_run(db,
              "INSERT INTO source_state (source, kind, etag, last_modified, "
              "sha256, checked_at, changed_at) "
              "VALUES ($1, 'attack', $2, $3, $4, now(), "
              "CASE WHEN $5::boolean THEN now() END) "
              "ON CONFLICT (source) DO UPDATE SET "
              "etag = coalesce($2, source_state.etag), "
              "last_modified = coalesce($3, source_state.last_modified), "
              "sha256 = coalesce($4, source_state.sha256), "
              "checked_at = now(), "
              "changed_at = CASE WHEN $5::boolean THEN now() "
              "ELSE source_state.changed_at END",
              5, params, pg, sizeof(pg));

    if (res == NULL) {
        snprintf(err, errlen, "source state of %.200s: %.300s", src, pg);
        return -1;
    }

    PQclear(res);

    return 0;
}


/*
 * Loads one bundle in one transaction: its objects are COPYed as they are,
 * the staged rows say what release it is, and attck_load_release() puts
 * them in place.
 */

static int
attck_ingest_load(PGconn *db, const char *src, const char *data, size_t len,
    const char *sha, const char *etag, const char *last_modified,
    attck_ingest_result_t *r, char *err, size_t errlen)
{
    int                   rc, checked;
    char                  count[32], pg[512], *rel;
    size_t                objects;
    unsigned              bit;
    PGresult             *res, *staged, *old;
    const char           *params[7], *domain, *version;
    attck_ingest_copy_t   c;

    staged = NULL;

    if (attck_db_exec(db, "BEGIN", err, errlen) != 0
        || attck_db_exec(db, "CREATE TEMP TABLE attck_staging "
                         "(raw jsonb COMPRESSION lz4) ON COMMIT DROP", err,
                         errlen) != 0
        || attck_db_copy_begin(db, "COPY attck_staging FROM STDIN", err,
                               errlen) != 0)
    {
        goto failed;
    }

    memset(&c, 0, sizeof(attck_ingest_copy_t));
    c.db = db;
    c.err = err;
    c.errlen = errlen;
    attck_vec_init(&c.out, 1);

    rc = attck_scan_bundle(data, len, attck_ingest_object, &c, &objects, err,
                           errlen);

    if (rc == 0) {
        rc = attck_db_copy_put(db, c.out.data, c.out.n, err, errlen);
    }

    attck_vec_free(&c.out);
    r->fetched = (long) objects;
    r->failed = c.failed;

    if (rc != 0) {
        (void) attck_db_copy_end(db, pg, sizeof(pg));
        goto failed;
    }

    if (attck_db_copy_end(db, err, errlen) != 0) {

        /* the server found an object that is not JSON */

        if (!attck_db_lost(db)) {
            snprintf(pg, sizeof(pg), "%.*s", (int) sizeof(pg) - 1, err);
            snprintf(err, errlen, "not valid JSON: %s", pg);
        }

        goto failed;
    }

    staged = attck_db_run(db, "SELECT malformed, domain, version, name, "
                          "modified FROM attck_staged_release()", 0, NULL,
                          err, errlen);
    if (staged == NULL) {
        goto failed;
    }

    domain = PQgetisnull(staged, 0, 1) ? "" : PQgetvalue(staged, 0, 1);
    version = PQgetisnull(staged, 0, 2) ? "" : PQgetvalue(staged, 0, 2);
    bit = attck_domain_bit(domain);

    if (strcmp(PQgetvalue(staged, 0, 0), "0") != 0) {
        snprintf(err, errlen, "%s objects have no \"type\" or \"id\"",
                 PQgetvalue(staged, 0, 0));
        goto failed;
    }

    if (*version == '\0') {
        snprintf(err, errlen, "no x-mitre-collection with x_mitre_version: "
                 "cannot tell the ATT&CK release");
        goto failed;
    }

    if (!attck_stix_release_ok(version)) {
        snprintf(err, errlen, "x_mitre_version is not a release number "
                 "(letters, digits, dots, at most 32)");
        goto failed;
    }

    if (bit == 0) {
        snprintf(err, errlen, "no active x-mitre-matrix of a known domain: "
                 "cannot tell the ATT&CK domain");
        goto failed;
    }

    params[0] = attck_domain_name(bit);
    params[1] = version;

    res = attck_db_run(db, "SELECT id, sha256 FROM attack_releases "
                       "WHERE domain = $1 AND version = $2 FOR UPDATE",
                       2, params, err, errlen);
    if (res == NULL) {
        goto failed;
    }

    r->status = "new";

    if (PQntuples(res) == 1) {
        if (strcmp(PQgetvalue(res, 0, 1), sha) == 0) {

            /* the same release from another place, or a lost state */

            PQclear(res);
            r->status = "unchanged";

            if (attck_ingest_state(db, src, etag, last_modified, sha, 0, err,
                                   errlen)
                != 0)
            {
                goto failed;
            }

            PQclear(staged);

            return attck_db_exec(db, "COMMIT", err, errlen) == 0
                   ? 0 : ATTCK_EXIT_TEMPFAIL;
        }

        params[2] = PQgetvalue(res, 0, 0);
        old = res;
        res = attck_db_run(db, "DELETE FROM attack_releases WHERE id = $1",
                           1, params + 2, err, errlen);
        PQclear(old);

        if (res == NULL) {
            goto failed;
        }

        r->status = "changed";
    }

    PQclear(res);

    snprintf(count, sizeof(count), "%zu", objects);
    params[2] = PQgetisnull(staged, 0, 3) ? NULL : PQgetvalue(staged, 0, 3);
    params[3] = PQgetisnull(staged, 0, 4) ? NULL : PQgetvalue(staged, 0, 4);
    params[4] = src;
    params[5] = sha;
    params[6] = count;

    res = attck_db_run(db, "INSERT INTO attack_releases (domain, version, "
                       "name, modified, source, sha256, objects) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                       7, params, err, errlen);
    if (res == NULL) {
        goto failed;
    }

    rel = attck_xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);

    /*
     * While the server spreads the objects over the tables, the worker
     * checks each as compile will (on the other core: it costs no time),
     * and a bundle refused is rolled back before anything is committed.
     */

    params[0] = rel;
    rc = attck_db_send(db, "SELECT attck_load_release($1)", 1, params, err,
                       errlen);
    free(rel);

    if (rc != 0) {
        goto failed;
    }

    checked = attck_ingest_check(data, len, err, errlen);
    res = attck_db_wait(db, checked == 0 ? err : pg,
                        checked == 0 ? errlen : sizeof(pg));

    if (checked != 0 || res == NULL) {
        PQclear(res);
        goto failed;
    }

    r->stored = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);

    if (attck_ingest_state(db, src, etag, last_modified, sha, 1, err, errlen)
        != 0)
    {
        goto failed;
    }

    PQclear(staged);

    if (attck_db_exec(db, "COMMIT", err, errlen) != 0) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    return 0;

failed:

    /* the transaction keeps nothing of this source */

    PQclear(staged);

    if (attck_db_lost(db)) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    (void) attck_db_exec(db, "ROLLBACK", pg, sizeof(pg));

    return ATTCK_EXIT_DATAERR;
}


/* url is fetched; src, the URL without a password, is shown and stored */

static int
attck_ingest_attack(PGconn *db, const char *url, const char *src,
    attck_ingest_result_t *r, char *err, size_t errlen)
{
    int                    rc;
    char                   sha[65], stamp[64], inm[300], ims[100];
    const char            *headers[3], *params[1], *etag, *lm, *old_sha;
    PGresult              *state;
    struct stat            st;
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   res;

    params[0] = src;

    state = attck_db_run(db, "SELECT etag, last_modified, sha256 "
                         "FROM source_state WHERE source = $1", 1, params,
                         err, errlen);
    if (state == NULL) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    etag = PQntuples(state) ? PQgetvalue(state, 0, 0) : "";
    lm = PQntuples(state) ? PQgetvalue(state, 0, 1) : "";
    old_sha = PQntuples(state) ? PQgetvalue(state, 0, 2) : "";

    attck_fetch_defaults(&opts);
    memset(&res, 0, sizeof(attck_fetch_result_t));
    stamp[0] = '\0';

    if (strstr(url, "://") == NULL) {

        /* a local file: its size and time stand in for Last-Modified */

        if (stat(url, &st) == 0) {
            snprintf(stamp, sizeof(stamp), "file %lld %lld",
                     (long long) st.st_size, (long long) st.st_mtime);

            if (strcmp(stamp, lm) == 0) {
                PQclear(state);
                r->status = "unchanged";

                return attck_ingest_state(db, src, NULL, stamp, NULL, 0, err,
                                          errlen) == 0
                       ? 0 : ATTCK_EXIT_TEMPFAIL;
            }
        }

    } else {
        headers[0] = headers[1] = headers[2] = NULL;

        if (*etag) {
            snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
            headers[0] = inm;
        }

        if (*lm) {
            snprintf(ims, sizeof(ims), "If-Modified-Since: %s", lm);
            headers[*etag ? 1 : 0] = ims;
        }

        opts.headers = headers;
    }

    rc = attck_taxii_source(url)
         ? attck_taxii_bundle(url, &res, err, errlen)
         : attck_fetch(url, &opts, &res, err, errlen);

    if (rc != 0) {
        PQclear(state);
        return rc;
    }

    if (res.status == 304) {
        PQclear(state);
        free(res.data);
        r->status = "unchanged";

        return attck_ingest_state(db, src, NULL, NULL, NULL, 0, err, errlen)
               == 0 ? 0 : ATTCK_EXIT_TEMPFAIL;
    }

    attck_sha256_hex(res.data, res.len, sha);

    if (strcmp(sha, old_sha) == 0) {
        PQclear(state);
        free(res.data);
        r->status = "unchanged";

        return attck_ingest_state(db, src, res.etag,
                                  stamp[0] ? stamp : res.last_modified, NULL,
                                  0, err, errlen) == 0
               ? 0 : ATTCK_EXIT_TEMPFAIL;
    }

    PQclear(state);

    rc = attck_ingest_load(db, src, res.data, res.len, sha, res.etag,
                           stamp[0] ? stamp : res.last_modified, r, err,
                           errlen);
    free(res.data);

    return rc;
}


/*
 * The feeds "NAME=URL" of the arguments from i on, else of
 * $ATTCK_TAXII_FEEDS; exits 64 on a malformed one.  Returns how many.
 */

static size_t
attck_ingest_taxii_feeds(int argc, char **argv, int i, char **feeds)
{
    char    *env, *tok, *save, *eq;
    size_t   n, k;

    n = 0;

    for ( /* void */ ; i < argc && n < 64; i++) {
        feeds[n++] = attck_xstrdup(argv[i]);
    }

    env = getenv("ATTCK_TAXII_FEEDS");

    if (n == 0 && env) {
        env = attck_xstrdup(env);

        for (tok = strtok_r(env, " \t\n", &save); tok && n < 64;
             tok = strtok_r(NULL, " \t\n", &save))
        {
            feeds[n++] = tok;
        }
    }

    for (k = 0; k < n; k++) {
        eq = strchr(feeds[k], '=');

        if (eq == NULL || eq == feeds[k] || eq - feeds[k] > 64
            || (strncmp(eq + 1, "http://", 7) != 0
                && strncmp(eq + 1, "https://", 8) != 0))
        {
            attck_fatal(ATTCK_EXIT_USAGE, "ingest taxii: a feed is "
                        "NAME=http(s)://.../collections/ID/");
        }
    }

    return n;
}


/* each feed a source of its own; the caller holds the ingest lock */

static int
attck_ingest_taxii_run(PGconn *db, char **feeds, size_t n)
{
    int                     rc, worst;
    long                    run;
    char                    err[1024], shown[1024], *eq;
    size_t                  i;
    attck_ingest_result_t   r;

    worst = ATTCK_EXIT_OK;

    for (i = 0; i < n; i++) {
        memset(&r, 0, sizeof(attck_ingest_result_t));
        err[0] = '\0';

        eq = strchr(feeds[i], '=');
        *eq = '\0';

        attck_url_redact(eq + 1, shown, sizeof(shown));
        run = attck_ingest_run_begin(db, "taxii", shown);
        rc = attck_ingest_taxii(db, feeds[i], eq + 1, &r, err, sizeof(err));
        attck_ingest_run_end(db, run, "taxii", shown, &r, rc, err);
        worst = worst ? worst : rc;
    }

    return worst;
}


/* ingest taxii [NAME=URL...] */

static int
attck_ingest_taxii_main(int argc, char **argv)
{
    int       worst;
    char     *feeds[64];
    size_t    n;
    PGconn   *db;

    n = attck_ingest_taxii_feeds(argc, argv, 2, feeds);

    if (n == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "ingest taxii: no feeds given "
                    "(NAME=URL arguments or ATTCK_TAXII_FEEDS)");
    }

    db = attck_db_connect();

    if (attck_db_stage_lock(db, "ingest") != 0) {
        PQfinish(db);
        return ATTCK_EXIT_TEMPFAIL;
    }

    attck_ingest_runs_close_stale(db);

    worst = attck_ingest_taxii_run(db, feeds, n);

    PQfinish(db);

    return worst;
}


int
attck_ingest_main(int argc, char **argv)
{
    int                     i, rc, worst, attack, otx, vt, taxii;
    long                    run;
    char                    err[1024], shown[1024], *env, *tok, *save;
    PGconn                 *db;
    const char             *srcs[64], *otx_url, *otx_key, *vt_url, *vt_key;
    attck_ingest_result_t   r;
    size_t                  n;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0
                     || strcmp(argv[1], "-h") == 0))
    {
        printf("usage: attck-worker ingest attack [SOURCE...]\n"
               "       attck-worker ingest otx|virustotal|all\n"
               "attack: STIX 2.1 bundles (paths or URLs), default "
               "$ATTCK_SOURCES\n"
               "otx: $ATTCK_OTX_URL (default https://otx.alienvault.com) "
               "with the key in $ATTCK_OTX_KEY\n"
               "virustotal: reports on OTX indicators from $ATTCK_VT_URL "
               "(default https://www.virustotal.com), key in "
               "$ATTCK_VT_KEY,\n"
               "  $ATTCK_VT_RATE a minute (4), $ATTCK_VT_DAILY a day (500), "
               "again after $ATTCK_VT_MAX_AGE days (7)\n"
               "all: attack, otx and virustotal, those with a key, and the "
               "feeds of $ATTCK_TAXII_FEEDS\n"
               "taxii [NAME=URL...]: TAXII 2.1 collections (URL: "
               ".../collections/ID/), default $ATTCK_TAXII_FEEDS;\n"
               "  credentials in $ATTCK_TAXII_TOKEN_NAME, "
               "$ATTCK_TAXII_BASIC_NAME or $ATTCK_TAXII_AUTH_FILE\n");
        return ATTCK_EXIT_OK;
    }

    attack = argc > 1 && (strcmp(argv[1], "attack") == 0
                          || strcmp(argv[1], "all") == 0);
    otx = argc > 1 && (strcmp(argv[1], "otx") == 0
                       || strcmp(argv[1], "all") == 0);
    vt = argc > 1 && (strcmp(argv[1], "virustotal") == 0
                      || strcmp(argv[1], "all") == 0);

    taxii = argc > 1 && strcmp(argv[1], "taxii") == 0;

    if (taxii) {
        return attck_ingest_taxii_main(argc, argv);
    }

    if (!attack && !otx && !vt) {
        attck_fatal(ATTCK_EXIT_USAGE, "ingest: say what to ingest: attack, "
                    "otx, virustotal, taxii or all");
    }

    n = 0;

    for (i = 2; attack && i < argc && n < 64; i++) {
        srcs[n++] = argv[i];
    }

    env = getenv("ATTCK_SOURCES");

    if (attack && n == 0 && env) {
        env = attck_xstrdup(env);

        for (tok = strtok_r(env, " \t\n", &save); tok && n < 64;
             tok = strtok_r(NULL, " \t\n", &save))
        {
            srcs[n++] = tok;
        }
    }

    if (attack && n == 0 && strcmp(argv[1], "all") == 0) {
        attck_log("info", "ingest attack: skipped, no ATTCK_SOURCES");
        attack = 0;
    }

    if (attack && n == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "ingest attack: no sources given "
                    "(arguments or ATTCK_SOURCES)");
    }

    otx_url = getenv("ATTCK_OTX_URL") ? getenv("ATTCK_OTX_URL")
                                      : "https://otx.alienvault.com";
    otx_key = getenv("ATTCK_OTX_KEY");

    if (otx && (otx_key == NULL || *otx_key == '\0')) {
        if (strcmp(argv[1], "otx") == 0) {
            attck_fatal(ATTCK_EXIT_USAGE, "ingest otx: no API key: set "
                        "ATTCK_OTX_KEY");
        }

        attck_log("info", "ingest otx: skipped, no ATTCK_OTX_KEY");
        otx = 0;
    }

    vt_url = getenv("ATTCK_VT_URL") ? getenv("ATTCK_VT_URL")
                                    : "https://www.virustotal.com";
    vt_key = getenv("ATTCK_VT_KEY");

    if (vt && (vt_key == NULL || *vt_key == '\0')) {
        if (strcmp(argv[1], "virustotal") == 0) {
            attck_fatal(ATTCK_EXIT_USAGE, "ingest virustotal: no API key: "
                        "set ATTCK_VT_KEY");
        }

        attck_log("info", "ingest virustotal: skipped, no ATTCK_VT_KEY");
        vt = 0;
    }

    db = attck_db_connect();

    if (attck_db_stage_lock(db, "ingest") != 0) {
        PQfinish(db);
        return ATTCK_EXIT_TEMPFAIL;
    }

    attck_ingest_runs_close_stale(db);

    worst = ATTCK_EXIT_OK;

    /* each source on its own: one failing does not stop the others */

    for (i = 0; attack && i < (int) n; i++) {
        memset(&r, 0, sizeof(attck_ingest_result_t));
        err[0] = '\0';

        /* a password in a source's URL is neither logged nor stored */

        attck_url_redact(srcs[i], shown, sizeof(shown));

        run = attck_ingest_run_begin(db, "attack", shown);
        rc = attck_ingest_attack(db, srcs[i], shown, &r, err, sizeof(err));
        attck_ingest_run_end(db, run, "attack", shown, &r, rc, err);
        worst = worst ? worst : rc;
    }

    if (otx) {
        memset(&r, 0, sizeof(attck_ingest_result_t));
        err[0] = '\0';

        attck_url_redact(otx_url, shown, sizeof(shown));
        run = attck_ingest_run_begin(db, "otx", shown);
        rc = attck_ingest_otx(db, otx_url, otx_key, &r, err, sizeof(err));
        attck_ingest_run_end(db, run, "otx", shown, &r, rc, err);
        worst = worst ? worst : rc;
    }

    /* after OTX: its indicators are what VirusTotal is asked about */

    if (vt) {
        memset(&r, 0, sizeof(attck_ingest_result_t));
        err[0] = '\0';

        attck_url_redact(vt_url, shown, sizeof(shown));
        run = attck_ingest_run_begin(db, "virustotal", shown);
        rc = attck_ingest_vt(db, vt_url, vt_key, &r, err, sizeof(err));
        attck_ingest_run_end(db, run, "virustotal", shown, &r, rc, err);
        worst = worst ? worst : rc;
    }

    /* all: the TAXII feeds of $ATTCK_TAXII_FEEDS too */

    if (strcmp(argv[1], "all") == 0) {
        char    *feeds[64];
        size_t   nf;

        nf = attck_ingest_taxii_feeds(argc, argv, argc, feeds);

        if (nf) {
            rc = attck_ingest_taxii_run(db, feeds, nf);
            worst = worst ? worst : rc;
        }
    }

    PQfinish(db);

    return worst;
}
