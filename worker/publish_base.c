
/*
 * attck-worker publish: the generation a publish builds on.
 *
 * A publish reads every threat only when it must.  The snapshot
 * published last is the one published_bases names, with the database
 * snapshot (pg_snapshot) its threat index was read in, built on when Redis
 * has it current; its bytes are read from the file, or from Redis, and
 * checked against that SHA-256.  The threats whose change that moment did not see are in
 * threat_changes (triggers, sql/015); only they are read again, the rest
 * of the index is taken from the base.  Anything unexpected (no base, a
 * base from elsewhere, a TRUNCATE, an index that does not pass its
 * checks) means a full read, never a wrong index.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "db.h"
#include "publish_base.h"
#include "redis.h"
#include "util.h"


static int attck_publish_base_fetch(PGconn *db, redisContext *redis,
    const char *out, attck_publish_base_t *base, char *why, size_t len);
static int attck_publish_base_cmp(const void *a, const void *b);


/*
 * The snapshot published last, as the database recorded it, when Redis
 * (publishing there) has it current: otherwise Redis does not hold the
 * documents of the threats not read (a Redis restarted empty, another
 * one).  Its bytes from the file when it has them (no network), else
 * from Redis.  Failing any of it, the publish reads everything.
 */

static int
attck_publish_base_fetch(PGconn *db, redisContext *redis, const char *out,
    attck_publish_base_t *base, char *why, size_t len)
{
    char          err[512], sha[65], gen[32], cur[65];
    PGresult     *res;
    redisReply   *reply;

    res = attck_db_query(db, "publish",
        "SELECT snapshot_sha256 FROM published_bases"
        " ORDER BY published_at DESC LIMIT 1", 0, NULL);

    if (PQntuples(res) == 0) {
        PQclear(res);
        snprintf(why, len, "no publish is recorded in the database");
        return -1;
    }

    snprintf(sha, sizeof(sha), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    if (redis) {
        reply = attck_redis_command(redis, err, sizeof(err),
                                    "GET attck:current");
        if (reply == NULL) {
            snprintf(why, len, "%s", err);
            return -1;
        }

        if (reply->type != REDIS_REPLY_STRING
            || sscanf(reply->str, "%31[0-9] %64[0-9a-f]", gen, cur) != 2
            || strcmp(cur, sha) != 0)
        {
            freeReplyObject(reply);
            snprintf(why, len, "Redis's current generation is not the one "
                     "published last");
            return -1;
        }

        freeReplyObject(reply);
    }

    if (out) {
        base->data = attck_read_file(out, &base->size, err, sizeof(err));

        if (base->data) {
            attck_sha256_hex(base->data, base->size, base->sha);

            if (strcmp(sha, base->sha) == 0) {
                return 0;
            }

            free(base->data);
            base->data = NULL;
        }
    }

    if (redis == NULL) {
        snprintf(why, len, "%s is not the snapshot published last", out);
        return -1;
    }

    reply = attck_redis_command(redis, err, sizeof(err),
                                "GET attck:snapshot:%s", sha);
    if (reply == NULL) {
        snprintf(why, len, "%s", err);
        return -1;
    }

    if (reply->type == REDIS_REPLY_STRING) {
        base->size = reply->len;
        base->data = attck_xmalloc(reply->len ? reply->len : 1);
        memcpy(base->data, reply->str, reply->len);
    }

    freeReplyObject(reply);

    if (base->data == NULL) {
        snprintf(why, len, "snapshot %.12s, published last, is not in Redis",
                 sha);
        return -1;
    }

    attck_sha256_hex(base->data, base->size, base->sha);

    if (strcmp(sha, base->sha) != 0) {
        snprintf(why, len, "Redis's snapshot %.12s does not have those bytes",
                 sha);
        return -1;
    }

    return 0;
}


static int
attck_publish_base_cmp(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}


int
attck_publish_base_load(PGconn *db, redisContext *redis, const char *out,
    int full, char *moment, size_t len, attck_publish_base_t *base)
{
    int            i;
    char           why[600];
    const char    *param[1];
    PGresult      *res;
    attck_snap_t   snap;

    memset(base, 0, sizeof(attck_publish_base_t));

    /* the first statement of the transaction: its snapshot */

    res = attck_db_query(db, "publish", "SELECT pg_current_snapshot()::text",
                         0, NULL);
    snprintf(moment, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    if (full) {
        attck_log("info", "publish: every threat read (--full)");
        return 0;
    }

    if (attck_publish_base_fetch(db, redis, out, base, why, sizeof(why))
        != 0)
    {
        goto none;
    }

    param[0] = base->sha;

    /*
     * Bytes a publish of this database wrote (their SHA-256 says so):
     * read as trusted, without checking them again
     */

    if (attck_snap_open(&snap, base->data, base->size, ATTCK_SNAP_TRUSTED,
                        why, sizeof(why))
        != 0
        || snap.header->threats.len == 0
        || attck_tix_open(&base->tix, snap.base + snap.header->threats.off,
                          snap.header->threats.len, ATTCK_SNAP_TRUSTED, why,
                          sizeof(why))
           != 0
        || base->tix.header->version != ATTCK_TIX_VERSION)
    {
        snprintf(why, sizeof(why), "the snapshot before has no threat "
                 "index of this version");
        goto none;
    }

    res = attck_db_query(db, "publish",
        "SELECT DISTINCT threat_id FROM threat_changes"
        " WHERE NOT pg_visible_in_snapshot(txid,"
        "  (SELECT pg_snapshot FROM published_bases"
        "    WHERE snapshot_sha256 = $1))"
        " ORDER BY threat_id NULLS FIRST", 1, param);

    if (PQntuples(res) && PQgetisnull(res, 0, 0)) {
        PQclear(res);
        snprintf(why, sizeof(why), "a table of threats was truncated");
        goto none;
    }

    base->nchanged = (size_t) PQntuples(res);
    base->changed = attck_xmalloc((base->nchanged ? base->nchanged : 1)
                                  * sizeof(int64_t));

    for (i = 0; i < PQntuples(res); i++) {
        base->changed[i] = atoll(PQgetvalue(res, i, 0));
    }

    PQclear(res);

    /* ORDER BY sorted them; as numbers, not trusting the collation */

    qsort(base->changed, base->nchanged, sizeof(int64_t),
          attck_publish_base_cmp);

    attck_log("info", "publish: building on snapshot %.12s (%u threats), "
              "%zu changed since", base->sha, base->tix.header->nthreats,
              base->nchanged);

    return 1;

none:

    attck_log("info", "publish: every threat read: %s", why);
    attck_publish_base_free(base);

    return 0;
}


void
attck_publish_base_free(attck_publish_base_t *base)
{
    free(base->data);
    free(base->changed);
    memset(base, 0, sizeof(attck_publish_base_t));
}


int
attck_publish_base_changed(const attck_publish_base_t *base, int64_t id)
{
    return base->nchanged
           && bsearch(&id, base->changed, base->nchanged, sizeof(int64_t),
                      attck_publish_base_cmp) != NULL;
}


void
attck_publish_base_record(PGconn *db, const char *sha, const char *moment)
{
    char          err[512];
    const char   *param[2];
    PGresult     *res;

    param[0] = sha;
    param[1] = moment;

    /*
     * One base at a time: the changes an older one would need are
     * forgotten here, so it must not be found
     */

    if (attck_db_exec(db, "BEGIN", err, sizeof(err)) != 0) {
        goto failed;
    }

    res = attck_db_run(db, "DELETE FROM published_bases", 0, NULL, err,
                       sizeof(err));
    if (res == NULL) {
        goto failed;
    }

    PQclear(res);

    res = attck_db_run(db, "INSERT INTO published_bases (snapshot_sha256,"
                       " pg_snapshot) VALUES ($1, $2::pg_snapshot)", 2,
                       param, err, sizeof(err));
    if (res == NULL) {
        goto failed;
    }

    PQclear(res);

    res = attck_db_run(db, "DELETE FROM threat_changes"
                       " WHERE pg_visible_in_snapshot(txid, $1::pg_snapshot)",
                       1, param + 1, err, sizeof(err));
    if (res == NULL) {
        goto failed;
    }

    PQclear(res);

    if (attck_db_exec(db, "COMMIT", err, sizeof(err)) == 0) {
        return;
    }

failed:

    (void) attck_db_exec(db, "ROLLBACK", err + 256, sizeof(err) - 256);
    attck_log("warn", "publish: the next publish reads every threat: %s",
              err);
}
