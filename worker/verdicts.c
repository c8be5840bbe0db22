
/*
 * attck-worker: analysts' verdicts, from the Redis stream nginx appends
 * them to (attck_triage: "attck:verdicts", one field "verdict" holding
 * {"threat":"ID","technique":"T1059.001","verdict":"confirm|reject|add",
 * "user":"...","at":EPOCH}) into PostgreSQL, at the start of map:
 *
 *   confirm  the mapping is kept as it is and marked confirmed (map never
 *            changes or removes a confirmed row); a technique not mapped
 *            yet is added as with add
 *   reject   the mapping is removed and remembered in rejected_mappings,
 *            which map never writes again
 *   add      a mapping of method "analyst", score 1, confirmed
 *
 * A batch of entries is applied in one transaction, in the stream's
 * order, and removed from the stream only after it committed.  Each is
 * logged in mapping_verdicts under its stream id, so that a batch applied
 * again (the removal failed after the commit) changes nothing.  An entry
 * naming a threat or technique that is not stored is dropped.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "redis.h"
#include "util.h"
#include "verdicts.h"


#define ATTCK_VERDICTS_STREAM  "attck:verdicts"
#define ATTCK_VERDICTS_BATCH   "500"
#define ATTCK_VERDICTS_MAX     500


/* one entry: the counts say whether it was applied */
static const char  attck_verdicts_apply[] =
    "WITH v AS ("
    "  SELECT t.id AS threat_id, t.content_sha256"
    "    FROM threat_intelligence_data t"
    "   WHERE t.id = $2::bigint"
    "     AND EXISTS (SELECT 1 FROM mitre_attack_techniques a"
    "                  WHERE a.attack_id = $3)"
    "), logged AS ("
    "  INSERT INTO mapping_verdicts (stream_id, threat_id, technique_id,"
    "         verdict, analyst, given_at)"
    "  SELECT $1, threat_id, $3, $4, $5, to_timestamp($6::bigint) FROM v"
    "  ON CONFLICT (stream_id) DO NOTHING"
    "  RETURNING threat_id"
    "), unrejected AS ("
    "  DELETE FROM rejected_mappings r USING logged l"
    "   WHERE $4 <> 'reject' AND r.threat_id = l.threat_id"
    "     AND r.technique_id = $3"
    "  RETURNING 1"
    "), rejected AS ("
    "  INSERT INTO rejected_mappings (threat_id, technique_id, analyst)"
    "  SELECT threat_id, $3, $5 FROM logged WHERE $4 = 'reject'"
    "  ON CONFLICT (threat_id, technique_id) DO UPDATE"
    "     SET analyst = EXCLUDED.analyst, rejected_at = now()"
    "  RETURNING 1"
    "), removed AS ("
    "  DELETE FROM mapped_threat_data m USING logged l"
    "   WHERE $4 = 'reject' AND m.threat_id = l.threat_id"
    "     AND m.technique_id = $3"
    "  RETURNING 1"
    "), kept AS ("
    "  INSERT INTO mapped_threat_data AS m (threat_id, technique_id, score,"
    "         method, confirmed, content_sha256)"
    "  SELECT l.threat_id, $3, 1, 'analyst', true, v.content_sha256"
    "    FROM logged l JOIN v USING (threat_id) WHERE $4 <> 'reject'"
    "  ON CONFLICT (threat_id, technique_id) DO UPDATE"
    "     SET confirmed = true,"
    "         method = CASE WHEN $4 = 'add' THEN 'analyst' ELSE m.method END,"
    "         score = CASE WHEN $4 = 'add' THEN 1 ELSE m.score END,"
    "         mapped_at = now()"
    "  RETURNING 1"
    ")"
    /* (data-modifying parts run whether read or not) */
    " SELECT count(*) FROM logged";


static int attck_verdicts_entry(PGconn *db, redisReply *e, long *applied,
    char *err, size_t errlen);
static int attck_verdicts_ack(redisContext *rc, redisReply *list, char *err,
    size_t errlen);


long
attck_verdicts_move(PGconn *db, char *err, size_t errlen)
{
    int            rc;
    char           scratch[256];
    long           applied, dropped;
    size_t         i;
    const char    *url;
    redisReply    *list;
    redisContext  *redis;

    url = getenv("ATTCK_REDIS_URL");

    if (url == NULL || url[0] == '\0') {
        return 0;
    }

    redis = attck_redis_connect(url, err, errlen);

    if (redis == NULL) {
        attck_log("warn", "map: analysts' verdicts not read: %s", err);
        return 0;
    }

    applied = 0;
    dropped = 0;

    for ( ;; ) {
        list = attck_redis_command(redis, err, errlen,
                                   "XRANGE %s - + COUNT %s",
                                   ATTCK_VERDICTS_STREAM,
                                   ATTCK_VERDICTS_BATCH);
        if (list == NULL) {
            attck_log("warn", "map: analysts' verdicts not read: %s", err);
            break;
        }

        if (list->type != REDIS_REPLY_ARRAY || list->elements == 0
            || list->elements > ATTCK_VERDICTS_MAX)
        {
            freeReplyObject(list);
            break;
        }

        if (attck_db_exec(db, "BEGIN", err, errlen) != 0) {
            goto failed;
        }

        for (i = 0; i < list->elements; i++) {
            rc = attck_verdicts_entry(db, list->element[i], &applied, err,
                                      errlen);
            if (rc < 0) {
                (void) attck_db_exec(db, "ROLLBACK", scratch,
                                     sizeof(scratch));
                goto failed;
            }

            dropped += rc;
        }

        if (attck_db_exec(db, "COMMIT", err, errlen) != 0) {
            goto failed;
        }

        /* committed: the entries may go (applied again, they change
         * nothing) */

        if (attck_verdicts_ack(redis, list, err, errlen) != 0) {
            attck_log("warn", "map: analysts' verdicts applied but left in "
                      "Redis: %s", err);
            freeReplyObject(list);
            break;
        }

        freeReplyObject(list);
    }

    redisFree(redis);

    if (applied || dropped) {
        attck_log("info", "map: %ld analysts' verdicts applied, %ld dropped "
                  "(unknown threat or technique, or not a verdict)",
                  applied, dropped);
    }

    return applied;

failed:

    freeReplyObject(list);
    redisFree(redis);

    return -1;
}


/* 0 applied (or a repeat), 1 dropped, -1 the database refused */

static int
attck_verdicts_entry(PGconn *db, redisReply *e, long *applied, char *err,
    size_t errlen)
{
    int            bad;
    char           at[32];
    json_t        *doc;
    PGresult      *res;
    redisReply    *fields;
    const char    *params[6], *threat, *technique, *verdict, *user;
    json_int_t     when;

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
        || e->element[0]->type != REDIS_REPLY_STRING
        || e->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return 1;
    }

    fields = e->element[1];

    if (fields->elements != 2
        || fields->element[1]->type != REDIS_REPLY_STRING)
    {
        return 1;
    }

    doc = json_loadb(fields->element[1]->str, fields->element[1]->len, 0,
                     NULL);

    threat = NULL;
    technique = NULL;
    verdict = NULL;
    user = "";
    when = 0;

    bad = doc == NULL
          || json_unpack(doc, "{s:s, s:s, s:s, s?s, s?I}", "threat", &threat,
                         "technique", &technique, "verdict", &verdict,
                         "user", &user, "at", &when) != 0
          || strspn(threat, "0123456789") != strlen(threat)
          || strlen(threat) == 0 || strlen(threat) > 18
          || (strcmp(verdict, "confirm") != 0
              && strcmp(verdict, "reject") != 0
              && strcmp(verdict, "add") != 0);

    if (bad) {
        if (doc) {
            json_decref(doc);
        }

        return 1;
    }

    snprintf(at, sizeof(at), "%lld", (long long) when);

    params[0] = e->element[0]->str;
    params[1] = threat;
    params[2] = technique;
    params[3] = verdict;
    params[4] = user;
    params[5] = at;

    res = attck_db_run(db, attck_verdicts_apply, 6, params, err, errlen);

    json_decref(doc);

    if (res == NULL) {
        return -1;
    }

    if (strcmp(PQgetvalue(res, 0, 0), "1") == 0) {
        (*applied)++;
        PQclear(res);
        return 0;
    }

    PQclear(res);

    /* a repeat of an entry applied before is not counted as dropped */

    return 1;
}


/* XDEL the entries of a batch */

static int
attck_verdicts_ack(redisContext *rc, redisReply *list, char *err,
    size_t errlen)
{
    int           ok;
    size_t        i, n;
    size_t       *lens;
    const char  **argv;
    redisReply   *r;

    n = list->elements + 2;
    argv = attck_xcalloc(n, sizeof(char *));
    lens = attck_xcalloc(n, sizeof(size_t));

    argv[0] = "XDEL";
    lens[0] = 4;
    argv[1] = ATTCK_VERDICTS_STREAM;
    lens[1] = sizeof(ATTCK_VERDICTS_STREAM) - 1;

    for (i = 0; i < list->elements; i++) {
        r = list->element[i];

        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
            || r->element[0]->type != REDIS_REPLY_STRING)
        {
            argv[i + 2] = "0-0";
            lens[i + 2] = 3;
            continue;
        }

        argv[i + 2] = r->element[0]->str;
        lens[i + 2] = r->element[0]->len;
    }

    r = redisCommandArgv(rc, (int) n, argv, lens);

    ok = r != NULL && r->type == REDIS_REPLY_INTEGER;

    if (!ok) {
        snprintf(err, errlen, "XDEL: %s", r ? (r->type == REDIS_REPLY_ERROR
                                               ? r->str : "unexpected reply")
                                            : rc->errstr);
    }

    if (r) {
        freeReplyObject(r);
    }

    free(argv);
    free(lens);

    return ok ? 0 : -1;
}
