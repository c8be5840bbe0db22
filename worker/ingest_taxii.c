
/*
 * attck-worker ingest taxii: STIX objects from TAXII 2.1 collections.
 *
 * A feed is NAME=URL, URL its collection ("…/collections/ID/").  Pages of
 * {URL}objects/?limit=1000&added_after=<cursor> are followed by "next"
 * (with the same added_after), all in one transaction: the objects are
 * COPYed raw and attck_load_taxii() (sql/010_taxii.sql) keeps them and
 * turns those that describe a threat into threats of source 'taxii'.
 * The cursor is the X-TAXII-Date-Added-Last of the run's last page that
 * had objects, kept in taxii_feed_state only with a committed run.
 *
 * Credentials: $ATTCK_TAXII_TOKEN_<NAME> (Bearer) or
 * $ATTCK_TAXII_BASIC_<NAME> ("user:password"), else a line
 * "NAME bearer TOKEN" or "NAME basic USER:PASSWORD" of the private file
 * $ATTCK_TAXII_AUTH_FILE.  They go in a header only, never into a URL,
 * a log line or the database.
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "../ngx_attck_module/snapshot/attck_taxii.h"
#include "db.h"
#include "fetch.h"
#include "ingest.h"
#include "ingest_copy.h"
#include "progress.h"
#include "util.h"


#define ATTCK_TAXII_PAGE       1000
#define ATTCK_TAXII_MAX_PAGES  10000


static int attck_taxii_auth(const char *name, char *header, size_t size,
    char *err, size_t errlen);
static int attck_taxii_page(PGconn *db, const char *data, size_t len,
    attck_ingest_result_t *r, int *more, char **next, char *err,
    size_t errlen);


/* the Authorization header of a feed, "" without credentials */

static int
attck_taxii_auth(const char *name, char *header, size_t size, char *err,
    size_t errlen)
{
    int           found;
    char          env[160], line[2048], *kind, *value, *save, *b64;
    FILE         *f;
    size_t        i, n;
    const char   *v, *file;
    struct stat   st;

    header[0] = '\0';

    n = (size_t) snprintf(env, sizeof(env), "ATTCK_TAXII_TOKEN_");

    for (i = 0; name[i] && n + 1 < sizeof(env); i++) {
        env[n++] = isalnum((unsigned char) name[i])
                   ? (char) toupper((unsigned char) name[i]) : '_';
    }

    env[n] = '\0';
    v = getenv(env);

    if (v && *v) {
        snprintf(header, size, "Authorization: Bearer %s", v);
        return 0;
    }

    memcpy(env + 12, "BASIC_", 6);
    v = getenv(env);

    if (v && *v) {
        kind = "basic";
        value = (char *) v;
        goto basic;
    }

    file = getenv("ATTCK_TAXII_AUTH_FILE");

    if (file == NULL || *file == '\0') {
        return 0;
    }

    /* a file of credentials that others may read is refused */

    if (stat(file, &st) != 0 || (st.st_mode & 077)) {
        snprintf(err, errlen, "ATTCK_TAXII_AUTH_FILE %s: missing, or "
                 "readable by others (chmod 600)", file);
        return ATTCK_EXIT_USAGE;
    }

    f = fopen(file, "r");
    if (f == NULL) {
        snprintf(err, errlen, "ATTCK_TAXII_AUTH_FILE %s: cannot read it",
                 file);
        return ATTCK_EXIT_USAGE;
    }

    found = 0;
    kind = NULL;
    value = NULL;

    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        v = strtok_r(line, " \t", &save);

        if (v == NULL || *v == '#' || strcmp(v, name) != 0) {
            continue;
        }

        kind = strtok_r(NULL, " \t", &save);
        value = strtok_r(NULL, " \t", &save);
        found = kind && value;
        break;
    }

    fclose(f);

    if (!found) {
        return 0;
    }

    if (strcmp(kind, "bearer") == 0) {
        snprintf(header, size, "Authorization: Bearer %s", value);
        memset(line, 0, sizeof(line));
        return 0;
    }

    if (strcmp(kind, "basic") != 0) {
        memset(line, 0, sizeof(line));
        snprintf(err, errlen, "ATTCK_TAXII_AUTH_FILE: feed %s: \"bearer\" "
                 "or \"basic\"", name);
        return ATTCK_EXIT_USAGE;
    }

basic:

    n = strlen(value);
    b64 = attck_xmalloc(4 * (n / 3 + 1) + 1);
    EVP_EncodeBlock((unsigned char *) b64, (const unsigned char *) value,
                    (int) n);
    snprintf(header, size, "Authorization: Basic %s", b64);
    memset(b64, 0, strlen(b64));
    free(b64);
    memset(line, 0, sizeof(line));

    (void) kind;

    return 0;
}


static int
attck_taxii_page(PGconn *db, const char *data, size_t len,
    attck_ingest_result_t *r, int *more, char **next, char *err,
    size_t errlen)
{
    int            rc;
    char          *s;
    size_t         i;
    json_t        *root, *objects, *obj, *n;
    attck_vec_t    rows;
    json_error_t   je;

    *more = 0;
    *next = NULL;

    root = json_loadb(data, len, 0, &je);

    if (!json_is_object(root)) {
        snprintf(err, errlen, "not a TAXII envelope (%s)",
                 root ? "not an object" : je.text);
        json_decref(root);
        return ATTCK_EXIT_DATAERR;
    }

    objects = json_object_get(root, "objects");

    if (objects && !json_is_array(objects)) {
        snprintf(err, errlen, "not a TAXII envelope (\"objects\" is not an "
                 "array)");
        json_decref(root);
        return ATTCK_EXIT_DATAERR;
    }

    attck_vec_init(&rows, 1);

    json_array_foreach(objects, i, obj) {
        r->fetched++;
        s = json_dumps(obj, JSON_COMPACT|JSON_PRESERVE_ORDER);

        if (!json_is_string(json_object_get(obj, "id"))
            || !json_is_string(json_object_get(obj, "type"))
            || s == NULL || attck_ingest_copy_json(&rows, s) != 0)
        {
            r->failed++;
        }

        free(s);
    }

    rc = 0;

    if (rows.n
        && attck_db_copy(db, "COPY attck_taxii_staging FROM STDIN",
                         rows.data, rows.n, err, errlen)
           != 0)
    {
        rc = attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    }

    attck_vec_free(&rows);

    *more = json_is_true(json_object_get(root, "more"));
    n = json_object_get(root, "next");

    if (json_is_string(n) && json_string_length(n) > 0
        && json_string_length(n) < 1024)
    {
        *next = attck_xstrdup(json_string_value(n));
    }

    json_decref(root);

    return rc;
}


int
attck_ingest_taxii(PGconn *db, const char *name, const char *base,
    attck_ingest_result_t *r, char *err, size_t errlen)
{
    int                    rc, page, more;
    char                   auth[2048], cursor[64], last[64], *url, *next;
    char                  *prev, *esc, shown[1024];
    size_t                 len;
    int64_t                us, best;
    PGresult              *res;
    const char            *headers[3], *params[3];
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   f;

    rc = attck_taxii_auth(name, auth, sizeof(auth), err, errlen);
    if (rc != 0) {
        return rc;
    }

    params[0] = name;
    res = attck_db_run(db, "SELECT added_after FROM taxii_feed_state "
                       "WHERE feed = $1", 1, params, err, errlen);
    if (res == NULL) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    cursor[0] = '\0';

    if (PQntuples(res) && !PQgetisnull(res, 0, 0)) {
        snprintf(cursor, sizeof(cursor), "%s", PQgetvalue(res, 0, 0));
    }

    PQclear(res);

    headers[0] = "Accept: application/taxii+json;version=2.1";
    headers[1] = auth[0] ? auth : NULL;
    headers[2] = NULL;

    attck_fetch_defaults(&opts);
    opts.headers = headers;
    opts.no_redirects = 1;

    if (attck_db_exec(db, "BEGIN", err, errlen) != 0
        || attck_db_exec(db, "CREATE TEMP TABLE attck_taxii_staging "
                         "(raw jsonb) ON COMMIT DROP", err, errlen) != 0)
    {
        return ATTCK_EXIT_TEMPFAIL;
    }

    esc = cursor[0] ? curl_easy_escape(NULL, cursor, 0) : NULL;
    len = strlen(base) + (esc ? strlen(esc) : 0) + 2200;
    url = attck_xmalloc(len);
    last[0] = '\0';
    best = 0;
    prev = NULL;
    next = NULL;
    rc = 0;

    for (page = 0; ; page++) {

        /* a server that never says it is done: the cursor is kept */

        if (page == ATTCK_TAXII_MAX_PAGES) {
            snprintf(err, errlen, "more than %d pages: the run is stopped "
                     "and the cursor kept", ATTCK_TAXII_MAX_PAGES);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        snprintf(url, len, "%s%sobjects/?limit=%d%s%s", base,
                 base[0] && base[strlen(base) - 1] == '/' ? "" : "/",
                 ATTCK_TAXII_PAGE, esc ? "&added_after=" : "",
                 esc ? esc : "");

        if (next) {
            char  *t = curl_easy_escape(NULL, next, 0);

            snprintf(url + strlen(url), len - strlen(url), "&next=%s", t);
            curl_free(t);
        }

        rc = attck_fetch(url, &opts, &f, err, errlen);

        if (rc != 0) {
            break;
        }

        free(prev);
        prev = next;
        next = NULL;

        rc = attck_taxii_page(db, f.data, f.len, r, &more, &next, err,
                              errlen);
        free(f.data);

        if (rc != 0) {
            break;
        }

        /* the cursor: strictly RFC 3339, else it does not move */

        if (f.taxii_added_last[0]) {
            if (attck_taxii_time(f.taxii_added_last,
                                 strlen(f.taxii_added_last), &us)
                != 0)
            {
                attck_log("warn", "ingest taxii %s: X-TAXII-Date-Added-Last "
                          "is not an RFC 3339 time: the cursor is not moved "
                          "by it", name);

            } else if (us > best) {
                best = us;
                attck_taxii_time_format(last, us);
            }
        }

        if (!more) {
            break;
        }

        if (next == NULL) {
            snprintf(err, errlen, "\"more\": true without \"next\"");
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        /* a token that names the page just read would never end */

        if (prev && strcmp(prev, next) == 0) {
            snprintf(err, errlen, "the next token is the one just used");
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        attck_progress("TAXII %s: %d pages, %ld objects", name, page + 1,
                       r->fetched);
    }

    free(url);
    free(prev);
    free(next);

    if (esc) {
        curl_free(esc);
    }

    if (rc != 0) {
        if (!attck_db_lost(db)) {
            (void) attck_db_exec(db, "ROLLBACK", auth, sizeof(auth));
        }

        memset(auth, 0, sizeof(auth));
        return rc;
    }

    memset(auth, 0, sizeof(auth));

    res = attck_db_run(db, "SELECT n_added, n_changed, n_unchanged "
                       "FROM attck_load_taxii($1)", 1, params, err, errlen);
    if (res == NULL) {
        (void) attck_db_exec(db, "ROLLBACK", auth, sizeof(auth));
        return attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    }

    r->added = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->changed = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    r->unchanged = strtol(PQgetvalue(res, 0, 2), NULL, 10);
    r->stored = r->added + r->changed;
    r->status = r->added ? "new" : r->changed ? "changed" : "unchanged";
    PQclear(res);

    attck_url_redact(base, shown, sizeof(shown));
    params[1] = shown;
    params[2] = last[0] ? last : NULL;
    res = attck_db_run(db, "INSERT INTO taxii_feed_state (feed, url, "
                       "added_after, checked_at, changed_at) VALUES ($1, $2, "
                       "$3, now(), now()) ON CONFLICT (feed) DO UPDATE SET "
                       "url = $2, added_after = coalesce($3, "
                       "taxii_feed_state.added_after), checked_at = now(), "
                       "changed_at = CASE WHEN $3 IS NULL THEN "
                       "taxii_feed_state.changed_at ELSE now() END",
                       3, params, err, errlen);

    if (res == NULL || attck_db_exec(db, "COMMIT", err, errlen) != 0) {
        PQclear(res);
        return ATTCK_EXIT_TEMPFAIL;
    }

    PQclear(res);

    return 0;
}
