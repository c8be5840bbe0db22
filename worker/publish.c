
/*
 * attck-worker publish: PostgreSQL -> the snapshot nginx serves, and the
 * threat documents it serves from Redis.
 *
 * Everything is read in one repeatable-read transaction, so the snapshot
 * and the threat documents describe the same moment.  In Redis a new
 * generation is written beside the current one and made current by one
 * SET of "attck:current"; the generation before stays for the nginx
 * instances that have not seen the switch yet, older ones are removed.
 * With a key (ATTCK_PUBLISH_KEY_FILE) the pointer carries HMAC-SHA256 of
 * "GEN SHA" under it: nginx with attck_refresh_key loads a snapshot only
 * when the signature holds and the bytes hash to SHA.
 *
 *   attck:current                  "GEN SHA", or "GEN SHA HMAC"
 *   attck:snapshot:SHA             the snapshot file's bytes, with the
 *                                  threat index (attck_tix.h) in it
 *   attck:doc:HEX                  a threat and its techniques (JSON),
 *                                  HEX the digest of these bytes, which
 *                                  the index names per threat
 *   attck:brief:HEX                the threat's id, source, title and
 *                                  last seen, for the technique lists
 *   attck:published                hash: generation, snapshot, documents
 *
 * Documents are named by their content, so generations share those that
 * did not change: a publish writes only the documents its index names
 * and the previous generation's index does not (read back from the
 * previous snapshot), and the sweep removes those neither names.  The
 * lists and counts are answered from the index in the module.
 */


#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "compile.h"
#include "compile_taxii.h"
#include "db.h"
#include "publish.h"
#include "publish_base.h"
#include "publish_index.h"
#include "publish_sweep.h"
#include "publish_tops.h"
#include "publish_taxii.h"
#include "redis.h"
#include "sign.h"
#include "stage.h"
#include "util.h"


#define ATTCK_PUBLISH_BATCH    1000   /* pipelined commands per round trip */
#define ATTCK_PUBLISH_POINTER  192    /* "GEN SHA HMAC" and then some */


typedef struct {
    PGresult        *threats;     /* read: 8 document, 9 brief */
    uint32_t         mappings;
    char             digest[65];  /* of every document's name */
    uint8_t         *names;       /* 16-byte digests of the documents */
    size_t           nnames;      /* sorted */
    int              all;         /* every threat was read */
    char             prev_sha[65];  /* the base, when built on one: */
    uint8_t         *prev;        /* the names its index gives, sorted */
    size_t           nprev;
} attck_publish_docs_t;


typedef struct {
    redisContext    *redis;
    size_t           pending;
    char             err[512];
} attck_publish_pipe_t;


static time_t attck_publish_as_of(PGconn *db);
static void attck_publish_docs(attck_publish_docs_t *docs,
    const attck_tix_t *tix);
static size_t attck_publish_names(const void *snap, size_t size,
    uint8_t **names);
static size_t attck_publish_tix_names(const attck_tix_t *tix,
    uint8_t **names);
static void attck_publish_redis(redisContext *c, const char *url,
    const char *sha, const void *data, size_t size, attck_publish_docs_t *docs,
    const attck_sign_key_t *key, const char *out);
static void attck_publish_pointer(char *current, const char *gen,
    const char *sha, const attck_sign_key_t *key);
static redisContext *attck_publish_settle(const char *url,
    redisContext *c, const char *current, const char *gen, const char *out,
    const char *err);
static void attck_publish_cleanup(void);
static void attck_publish_append(attck_publish_pipe_t *p, const char *fmt,
    ...);
static void attck_publish_flush(attck_publish_pipe_t *p);
static redisReply *attck_publish_cmd(redisContext *c, const char *fmt, ...);


/* the new snapshot file under its temporary name, until renamed */
static char  *attck_publish_tmp;


/*
 * technique id -> {"count": N, "top": [the best threats]}: rendered into
 * each technique's document in the snapshot
 */

/*
 * The time the data stands for, stamped into the snapshot instead of the
 * clock's: unchanged data gives a byte-identical snapshot.
 */

static time_t
attck_publish_as_of(PGconn *db)
{
    time_t     t;
    PGresult  *res;

    res = attck_db_query(db, "publish",
        "SELECT coalesce(extract(epoch FROM greatest("
        "         (SELECT max(loaded_at) FROM attack_releases),"
        "         (SELECT max(updated_at) FROM threat_intelligence_data),"
        "         (SELECT max(mapped_at) FROM mapped_threat_data)))::bigint,"
        "       0)", 0, NULL);

    t = (time_t) atoll(PQgetvalue(res, 0, 0));
    PQclear(res);

    return t;
}


/*
 * The documents' names, sorted, and the digest of what Redis will hold,
 * of those names (a document is named by its bytes, and a brief is made
 * of the same row)
 */

static void
attck_publish_docs(attck_publish_docs_t *docs, const attck_tix_t *tix)
{
    docs->nnames = attck_publish_tix_names(tix, &docs->names);
    attck_sha256_hex(docs->names, 16 * docs->nnames, docs->digest);
}


static size_t
attck_publish_names(const void *snap, size_t size, uint8_t **names)
{
    char          err[256];
    attck_tix_t   tix;
    attck_snap_t  s;

    *names = NULL;

    if (attck_snap_open(&s, snap, size, 0, err, sizeof(err)) != 0
        || attck_tix_of(&tix, &s) != 0)
    {
        return 0;
    }

    return attck_publish_tix_names(&tix, names);
}


static size_t
attck_publish_tix_names(const attck_tix_t *tix, uint8_t **names)
{
    size_t  i;

    *names = attck_xmalloc((tix->header->nthreats ? tix->header->nthreats
                                                  : 1) * 16);

    for (i = 0; i < tix->header->nthreats; i++) {
        memcpy(*names + 16 * i, tix->threats[i].digest, 16);
    }

    qsort(*names, tix->header->nthreats, 16, attck_publish_name_cmp);

    return tix->header->nthreats;
}


/* one command whose failure ends the run before anything is switched */

static redisReply *
attck_publish_cmd(redisContext *c, const char *fmt, ...)
{
    char         err[512];
    va_list      ap;
    redisReply  *reply;

    va_start(ap, fmt);
    reply = attck_redis_vcommand(c, err, sizeof(err), fmt, ap);
    va_end(ap);

    if (reply == NULL) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s; the current "
                    "generation is unchanged", err);
    }

    return reply;
}


/* a command into the pipeline; a round trip every ATTCK_PUBLISH_BATCH */

static void
attck_publish_append(attck_publish_pipe_t *p, const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = redisvAppendCommand(p->redis, fmt, ap);
    va_end(ap);

    if (rc != REDIS_OK) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: out of memory");
    }

    if (++p->pending == ATTCK_PUBLISH_BATCH) {
        attck_publish_flush(p);
    }
}


/* the replies of the commands sent: one failing ends the run */

static void
attck_publish_flush(attck_publish_pipe_t *p)
{
    if (attck_redis_drain(p->redis, p->pending, p->err, sizeof(p->err))
        != 0)
    {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s; the current "
                    "generation is unchanged", p->err);
    }

    p->pending = 0;
}


/* "GEN SHA", signed: "GEN SHA HMAC", HMAC-SHA256 of the text before it */

static void
attck_publish_pointer(char *current, const char *gen, const char *sha,
    const attck_sign_key_t *key)
{
    size_t  len;

    len = (size_t) snprintf(current, ATTCK_PUBLISH_POINTER, "%s %s", gen,
                            sha);

    if (key) {
        current[len] = ' ';
        attck_sign_hex(key, current, len, current + len + 1);
    }
}


static void
attck_publish_redis(redisContext *c, const char *url, const char *sha,
    const void *data, size_t size, attck_publish_docs_t *docs,
    const attck_sign_key_t *key, const char *out)
{
    int                    i, written, *rows;
    char                   err[512], gen[32], prev_gen[32], prev_sha[65];
    char                   current[ATTCK_PUBLISH_POINTER], stamp[32];
    char                   hex[33];
    size_t                 nprev, nfresh;
    uint8_t               *prevnames, *fresh;
    char                   prev[ATTCK_PUBLISH_POINTER];
    char                   same[ATTCK_PUBLISH_POINTER];
    time_t                 now;
    struct tm              tm;
    redisReply            *reply;
    attck_publish_pipe_t   p;
    attck_publish_left_t   left;

    memset(&p, 0, sizeof(attck_publish_pipe_t));

    p.redis = c;

    /* what is current now: kept one more generation, or left alone */

    reply = attck_publish_cmd(p.redis, "GET attck:current");

    prev[0] = prev_gen[0] = prev_sha[0] = '\0';

    if (reply->type == REDIS_REPLY_STRING && reply->len < sizeof(prev)) {
        memcpy(prev, reply->str, reply->len);
        prev[reply->len] = '\0';

        if (sscanf(prev, "%31[0-9] %64[0-9a-f]", prev_gen, prev_sha) != 2) {
            prev_gen[0] = prev_sha[0] = '\0';
        }
    }

    freeReplyObject(reply);

    reply = attck_publish_cmd(p.redis, "HGET attck:published documents");

    /*
     * Unchanged only when the pointer is the very one this run would
     * write: one unsigned, signed with another key, or signed while no
     * key is set now, is replaced by a new generation
     */

    if (prev_gen[0]) {
        attck_publish_pointer(same, prev_gen, sha, key);
    }

    if (prev_gen[0] && strcmp(prev, same) == 0
        && reply->type == REDIS_REPLY_STRING
        && strcmp(reply->str, docs->digest) == 0)
    {
        attck_log("info", "publish: unchanged, generation %s stays current",
                  prev_gen);
        attck_stage_set("publish", "generation", prev_gen);
        freeReplyObject(reply);
        redisFree(p.redis);
        return;
    }

    freeReplyObject(reply);

    reply = attck_publish_cmd(p.redis, "INCR attck:generation");
    snprintf(gen, sizeof(gen), "%lld", reply->integer);
    freeReplyObject(reply);

    /* the documents of the previous generation stay: only new ones */

    nprev = 0;
    prevnames = NULL;

    if (prev_sha[0] && docs->prev && strcmp(prev_sha, docs->prev_sha) == 0) {
        prevnames = docs->prev;
        nprev = docs->nprev;

    } else if (prev_sha[0]) {
        reply = attck_publish_cmd(p.redis, "GET attck:snapshot:%s",
                                  prev_sha);

        if (reply->type == REDIS_REPLY_STRING) {
            nprev = attck_publish_names(reply->str, reply->len, &prevnames);
        }

        freeReplyObject(reply);
    }

    nfresh = 0;
    fresh = attck_xmalloc(16 * PQntuples(docs->threats) + 1);
    rows = attck_xmalloc(sizeof(int) * PQntuples(docs->threats) + 1);

    for (i = 0; i < PQntuples(docs->threats); i++) {
        attck_publish_digest(PQgetvalue(docs->threats, i, 8),
                             PQgetlength(docs->threats, i, 8),
                             fresh + 16 * nfresh);

        if (!attck_publish_named(prevnames, nprev, fresh + 16 * nfresh)) {
            rows[nfresh++] = i;
        }
    }

    /* recorded before it is written, for a run that dies before the switch */

    if (attck_publish_unpublished(p.redis, sha, fresh, nfresh, &left, err,
                                  sizeof(err))
        != 0)
    {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s; the current "
                    "generation is unchanged", err);
    }

    /* content-addressed: a snapshot already there is not sent again */

    reply = attck_publish_cmd(p.redis, "EXISTS attck:snapshot:%s", sha);

    if (reply->integer == 0) {
        freeReplyObject(reply);
        reply = attck_publish_cmd(p.redis, "SET attck:snapshot:%s %b", sha,
                                  data, size);
    }

    freeReplyObject(reply);

    written = 0;

    for (i = 0; i < (int) nfresh; i++) {
        attck_publish_digest_hex(fresh + 16 * i, hex);

        attck_publish_append(&p, "SET attck:doc:%s %b", hex,
                             PQgetvalue(docs->threats, rows[i], 8),
                             (size_t) PQgetlength(docs->threats, rows[i], 8));
        attck_publish_append(&p, "SET attck:brief:%s %b", hex,
                             PQgetvalue(docs->threats, rows[i], 9),
                             (size_t) PQgetlength(docs->threats, rows[i], 9));
        written++;
    }

    attck_publish_flush(&p);

    /* the switch: one SET, announced; the record of it in the same MULTI */

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    attck_publish_pointer(current, gen, sha, key);

    if (redisAppendCommand(p.redis, "MULTI") != REDIS_OK
        || redisAppendCommand(p.redis, "SET attck:current %s", current)
           != REDIS_OK
        || redisAppendCommand(p.redis, "HSET attck:published generation %s "
                              "snapshot %s documents %s published %s "
                              "threats %d mappings %d", gen, sha,
                              docs->digest, stamp,
                              (int) docs->nnames,
                              (int) docs->mappings)
           != REDIS_OK
        || redisAppendCommand(p.redis, "PUBLISH attck:generation %s", gen)
           != REDIS_OK
        || redisAppendCommand(p.redis, "EXEC") != REDIS_OK)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: out of memory");
    }

    if (attck_redis_drain(p.redis, 5, err, sizeof(err)) != 0) {
        p.redis = attck_publish_settle(url, p.redis, current, gen, out, err);
    }

    attck_log("info", "publish: generation %s is current in Redis "
              "(snapshot %.12s, %d threats, %u mappings, %d documents "
              "written, %d shared with generation %s)", gen, sha,
              (int) docs->nnames, docs->mappings, written,
              (int) docs->nnames - written,
              prev_gen[0] ? prev_gen : "none");

    attck_stage_set("publish", "generation", gen);
    attck_stage_count("publish", "threats", NULL, docs->nnames);
    attck_stage_count("publish", "mappings", NULL, docs->mappings);

    attck_publish_sweep(p.redis, gen, prev_gen, sha, prev_sha, docs->names,
                        docs->nnames, prevnames, nprev, docs->all, &left);

    attck_publish_left_free(&left);
    free(fresh);
    free(rows);

    if (prevnames != docs->prev) {
        free(prevnames);
    }

    redisFree(p.redis);
}


/*
 * The switch failed, or its answer was lost: Redis may have carried it
 * out.  Asked again, on a new connection if this one is gone, it says
 * which; when our pointer is there, the run goes on as a success, on the
 * connection returned.  When Redis did not answer in time, it may still
 * carry out what it was sent: then nothing can be said but that.
 */

static redisContext *
attck_publish_settle(const char *url, redisContext *c, const char *current,
    const char *gen, const char *out, const char *err)
{
    char         again[512];
    redisReply  *reply;

    reply = NULL;

    if (!attck_redis_timed_out(c)) {
        if (c->err) {
            redisFree(c);
            c = attck_redis_connect(url, again, sizeof(again));
        }

        if (c) {
            reply = attck_redis_command(c, again, sizeof(again),
                                        "GET attck:current");
        }
    }

    if (reply == NULL) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s; whether generation "
                    "%s became current is not known%s%s%s", err, gen,
                    out ? ": " : "", out ? out : "",
                    out ? " is left as it was, the next publish settles "
                          "both" : "");
    }

    if (reply->type != REDIS_REPLY_STRING
        || strcmp(reply->str, current) != 0)
    {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s; the current "
                    "generation is unchanged", err);
    }

    freeReplyObject(reply);

    attck_log("warn", "publish: the answer to the switch was lost (%s), "
              "but generation %s is current", err, gen);

    return c;
}


/* a run that ends before the rename leaves the file as it was */

static void
attck_publish_cleanup(void)
{
    if (attck_publish_tmp) {
        (void) unlink(attck_publish_tmp);
    }
}


int
attck_publish_main(int argc, char **argv)
{
    int                    c;
    char                   err[1024], sha[65], *out, *redis, *top;
    char                  *key_file, moment[4096];
    int                    full, based;
    size_t                 i, n, size;
    json_t                *threats;
    time_t                 as_of;
    PGconn                *db;
    size_t                 index_size;
    const void            *data, *index;
    attck_bundle_t        *bundles;
    attck_tix_writer_t    *tix;
    attck_snap_writer_t   *w;
    attck_sign_key_t       key;
    attck_publish_docs_t   docs;
    attck_publish_base_t   base;
    attck_tix_t            written;
    redisContext          *rc;
    static struct option   longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "redis", required_argument, NULL, 'r' },
        { "top", required_argument, NULL, 't' },
        { "taxii", no_argument, NULL, 'x' },
        { "full", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    out = getenv("ATTCK_SNAPSHOT");
    redis = getenv("ATTCK_REDIS_URL");
    top = getenv("ATTCK_PUBLISH_TOP");
    key_file = getenv("ATTCK_PUBLISH_KEY_FILE");
    full = 0;
    optind = 1;
    opterr = 0;

    if (getenv("ATTCK_PUBLISH_TAXII")
        && strcmp(getenv("ATTCK_PUBLISH_TAXII"), "1") == 0)
    {
        attck_compile_taxii = 1;
    }

    while ((c = getopt_long(argc, argv, ":o:r:t:xfh", longopts, NULL))
           != -1)
    {
        switch (c) {
        case 'f':
            full = 1;
            break;
        case 'x':
            attck_compile_taxii = 1;
            break;
        case 'o':
            out = optarg;
            break;
        case 'r':
            redis = optarg;
            break;
        case 't':
            top = optarg;
            break;
        case 'h':
            printf("usage: attck-worker publish [-o OUT.snap] [--redis URL] "
                   "[--top N] [--full]\n"
                   "compiles the snapshot from PostgreSQL, writes it to OUT "
                   "(default $ATTCK_SNAPSHOT)\nand publishes it with the "
                   "threat documents in Redis (default $ATTCK_REDIS_URL);\n"
                   "N: threats listed per technique in the snapshot "
                   "(default 10);\nwith $ATTCK_PUBLISH_KEY_FILE the "
                   "pointer in Redis is signed for attck_refresh_key;\n"
                   "--taxii ($ATTCK_PUBLISH_TAXII=1): TAXII 2.1 collections "
                   "of ATT&CK and of the mapped threats;\n--full: every "
                   "threat read again, not only those changed since the "
                   "last publish\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("publish", c, argv);
        }
    }

    if (out && *out == '\0') {
        out = NULL;
    }

    if (redis && *redis == '\0') {
        redis = NULL;
    }

    if (out == NULL && redis == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "publish: nowhere to publish: set "
                    "ATTCK_SNAPSHOT (or -o) and/or ATTCK_REDIS_URL");
    }

    if (redis && attck_redis_valid(redis, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "publish: ATTCK_REDIS_URL: %s", err);
    }

    if (top == NULL || *top == '\0') {
        top = "10";
    }

    if (strspn(top, "0123456789") != strlen(top) || atoi(top) < 1
        || atoi(top) > 1000)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "publish: --top takes 1 to 1000");
    }

    /* the key is read before the work, so that a bad one stops it early */

    memset(&key, 0, sizeof(attck_sign_key_t));

    if (key_file && *key_file) {
        attck_sign_key_load("publish: ATTCK_PUBLISH_KEY_FILE", key_file,
                            &key);
    }

    db = attck_db_connect();

    if (attck_db_stage_lock(db, "publish") != 0) {
        PQfinish(db);
        return ATTCK_EXIT_TEMPFAIL;
    }

    /* one moment of the database for everything published */

    if (attck_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                      "SET LOCAL TimeZone = 'UTC'", err, sizeof(err))
        != 0)
    {
        attck_fatal(attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL
                                      : ATTCK_EXIT_SOFTWARE,
                    "publish: %s", err);
    }

    memset(&docs, 0, sizeof(attck_publish_docs_t));
    /*
     * One connection to Redis for the run: what is current says whether
     * Redis holds the generation to build on, and the same connection
     * publishes (Redis has no idle timeout by default)
     */

    rc = NULL;

    if (redis) {
        rc = attck_redis_connect(redis, err, sizeof(err));
        if (rc == NULL) {
            attck_fatal(ATTCK_EXIT_TEMPFAIL, "publish: %s", err);
        }
    }

    based = attck_publish_base_load(db, rc, out, full, moment,
                                    sizeof(moment), &base);
    n = attck_compile_db_bundles(db, "publish", 0, &bundles);

    /* TAXII: ATT&CK's collections and ours of the mapped threats */

    if (attck_compile_taxii) {
        attck_compile_taxii_threats = attck_publish_taxii(db);
    }
    as_of = attck_publish_as_of(db);
    tix = attck_publish_index(db, based ? &base : NULL, &index, &index_size,
                              &docs.threats);
    docs.mappings = ((const attck_tix_header_t *) index)->nmaps;
    docs.all = !based;

    if (based) {
        memcpy(docs.prev_sha, base.sha, sizeof(base.sha));
        docs.nprev = attck_publish_tix_names(&base.tix, &docs.prev);
    }

    attck_publish_base_free(&base);

    (void) attck_tix_open(&written, index, index_size, ATTCK_SNAP_TRUSTED,
                          err, sizeof(err));
    threats = attck_publish_tops(db, &written, atoi(top));
    attck_publish_docs(&docs, &written);

    (void) attck_db_exec(db, "COMMIT", err, sizeof(err));

    w = attck_compile_snapshot_index(bundles, n, threats, index, index_size,
                                     as_of, &data, &size);
    attck_tix_writer_destroy(tix);
    attck_sha256_hex(data, size, sha);

    /*
     * The file and "attck:current" must not disagree after a failure, so
     * the order is: the new snapshot written and synced beside OUT (a full
     * disk fails here, before Redis is touched); Redis switched; only then
     * renamed over OUT.  A run that ends before the switch removes the
     * temporary file (attck_publish_cleanup, atexit): both keep the
     * generation before.  Renaming first and back on failure would not
     * do: until then an nginx reload would load a snapshot that never
     * became current, and a killed worker renames nothing back.  A rename
     * in the same directory can hardly fail after the switch; if it does,
     * Redis leads, and the next publish, finding Redis unchanged, writes
     * the file again.
     */

    if (out) {
        attck_publish_tmp = attck_write_temp(out, data, size, err,
                                             sizeof(err));
        if (attck_publish_tmp == NULL) {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "publish: %s", err);
        }

        atexit(attck_publish_cleanup);
    }

    if (redis) {
        attck_publish_redis(rc, redis, sha, data, size, &docs,
                            key.len ? &key : NULL, out);
    }

    PQclear(docs.threats);
    free(docs.names);
    free(docs.prev);

    attck_sign_key_clear(&key);

    if (out) {
        if (attck_rename_into(attck_publish_tmp, out, err, sizeof(err))
            != 0)
        {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "publish: %s%s", err,
                        redis ? "; Redis has the new generation, the next "
                                "publish writes the file again" : "");
        }

        free(attck_publish_tmp);
        attck_publish_tmp = NULL;

        attck_log("info", "publish: wrote %s (%zu bytes, sha256 %.12s)",
                  out, size, sha);
    }

    /* the next publish builds on this one */

    attck_publish_base_record(db, sha, moment);
    PQfinish(db);

    attck_snap_writer_destroy(w);
    json_decref(threats);
    json_decref(attck_compile_taxii_threats);

    for (i = 0; i < n; i++) {
        attck_bundle_free(&bundles[i]);
    }

    free(bundles);

    return ATTCK_EXIT_OK;
}
