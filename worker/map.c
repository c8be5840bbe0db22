
/*
 * attck-worker map: maps every threat in threat_intelligence_data that is
 * new, or whose text or model changed since its last mapping (or all of
 * them, with --all), into mapped_threat_data.  Ids the source gave
 * (OTX attack_ids) and ids written in the text score 1 ("explicit"); the
 * model adds what scores at least the threshold.  Threats are read by id
 * in batches, each batch written in one transaction: a run cut short
 * keeps what it committed and the next run goes on from there.  Rows
 * that come out the same are not written again, so a second run with the
 * same model changes nothing.  Rows an analyst confirmed are never
 * changed or removed.
 */

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "map.h"
#include "map_model.h"
#include "util.h"


#define ATTCK_MAP_MAX_IDS  64


typedef struct {
    size_t       threats;
    size_t       added;
    size_t       changed;
    size_t       removed;
    size_t       explicit_ids;
    size_t       model_ids;
} attck_map_stats_t;


typedef struct {
    const attck_map_model_t  *model;
    const char               *version;
    size_t                    k;
    double                    threshold;
    attck_map_hit_t          *hits;
} attck_map_ctx_t;


/* a batch of threats to map, after the last one done */
static const char  attck_map_select[] =
    "SELECT t.id, attck_threat_text(t),"
    "       array_to_json(t.attack_ids)::text, t.content_sha256"
    "  FROM threat_intelligence_data t"
    "  LEFT JOIN threat_mapping_state s ON s.threat_id = t.id"
    " WHERE t.id > $1::bigint"
    "   AND ($2::boolean OR s.threat_id IS NULL"
    "        OR s.content_sha256 <> t.content_sha256"
    "        OR s.model_version <> $3)"
    " ORDER BY t.id LIMIT 500";

/*
 * One statement per batch: the new rows as a JSON array, stale rows of
 * the batch's threats removed, changed rows updated, equal rows left
 * alone, and the state of every threat of the batch recorded.
 */
static const char  attck_map_write[] =
    "WITH r AS ("
    "  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(threat_id bigint,"
    "         technique_id text, score real, method text, evidence jsonb)"
    "), t AS ("
    "  SELECT * FROM jsonb_to_recordset($2::jsonb) AS y(threat_id bigint,"
    "         content_sha256 text, techniques integer)"
    "), del AS ("
    "  DELETE FROM mapped_threat_data m USING t"
    "   WHERE m.threat_id = t.threat_id AND NOT m.confirmed"
    "     AND NOT EXISTS (SELECT 1 FROM r"
    "         WHERE r.threat_id = m.threat_id"
    "           AND r.technique_id = m.technique_id)"
    "  RETURNING 1"
    "), ins AS ("
    "  INSERT INTO mapped_threat_data AS m (threat_id, technique_id, score,"
    "         method, model_version, evidence, content_sha256)"
    "  SELECT r.threat_id, r.technique_id, r.score, r.method, $3,"
    "         r.evidence, t.content_sha256"
    "    FROM r JOIN t USING (threat_id)"
    "  ON CONFLICT (threat_id, technique_id) DO UPDATE"
    "     SET score = EXCLUDED.score, method = EXCLUDED.method,"
    "         model_version = EXCLUDED.model_version,"
    "         evidence = EXCLUDED.evidence,"
    "         content_sha256 = EXCLUDED.content_sha256, mapped_at = now()"
    "   WHERE NOT m.confirmed"
    "     AND (m.score, m.method, m.model_version, m.evidence,"
    "          m.content_sha256)"
    "         IS DISTINCT FROM (EXCLUDED.score, EXCLUDED.method,"
    "          EXCLUDED.model_version, EXCLUDED.evidence,"
    "          EXCLUDED.content_sha256)"
    "  RETURNING (xmax = 0) AS added"
    "), st AS ("
    "  INSERT INTO threat_mapping_state AS s (threat_id, content_sha256,"
    "         model_version, techniques)"
    "  SELECT threat_id, content_sha256, $3, techniques FROM t"
    "  ON CONFLICT (threat_id) DO UPDATE"
    "     SET content_sha256 = EXCLUDED.content_sha256,"
    "         model_version = EXCLUDED.model_version,"
    "         techniques = EXCLUDED.techniques, mapped_at = now()"
    "   WHERE (s.content_sha256, s.model_version, s.techniques)"
    "         IS DISTINCT FROM (EXCLUDED.content_sha256,"
    "          EXCLUDED.model_version, EXCLUDED.techniques)"
    "  RETURNING 1"
    ")"
    " SELECT (SELECT count(*) FROM del),"
    "        (SELECT count(*) FROM ins WHERE added),"
    "        (SELECT count(*) FROM ins WHERE NOT added),"
    "        (SELECT count(*) FROM st)";


static size_t attck_map_top(const char *v, const char *name);
static double attck_map_threshold(const char *v, const char *name);
static int attck_map_id_ok(const char *id);
static size_t attck_map_threat(attck_map_ctx_t *mc, const char *threat_id,
    const char *text, const char *given, json_t *rows,
    attck_map_stats_t *st);
static void attck_map_row(json_t *rows, const char *threat_id,
    const char *technique, double score, const char *method,
    json_t *evidence);


static size_t
attck_map_top(const char *v, const char *name)
{
    char           *end;
    unsigned long   k;

    k = strtoul(v, &end, 10);

    if (*v == '\0' || *end != '\0' || k == 0 || k > 100) {
        attck_fatal(ATTCK_EXIT_USAGE, "map: %s takes a number from 1 to 100",
                    name);
    }

    return k;
}


static double
attck_map_threshold(const char *v, const char *name)
{
    char    *end;
    double   t;

    t = strtod(v, &end);

    if (*v == '\0' || *end != '\0' || !(t >= 0.0) || t > 1.0) {
        attck_fatal(ATTCK_EXIT_USAGE, "map: %s takes a score from 0 to 1",
                    name);
    }

    return t;
}


static int
attck_map_id_ok(const char *id)
{
    char    ids[1][ATTCK_MAP_ID_SIZE];
    size_t  len;

    len = strlen(id);

    return (len == 5 || len == 9)
           && attck_map_explicit_ids(id, len, ids, 1) == 1
           && strcmp(ids[0], id) == 0;
}


static void
attck_map_row(json_t *rows, const char *threat_id, const char *technique,
    double score, const char *method, json_t *evidence)
{
    json_array_append_new(rows,
        json_pack("{s:s, s:s, s:f, s:s, s:o}", "threat_id", threat_id,
                  "technique_id", technique, "score", score,
                  "method", method, "evidence", evidence));
}


/* the rows of one threat; returns how many techniques */

static size_t
attck_map_threat(attck_map_ctx_t *mc, const char *threat_id,
    const char *text, const char *given, json_t *rows,
    attck_map_stats_t *st)
{
    char          ids[ATTCK_MAP_MAX_IDS][ATTCK_MAP_ID_SIZE],
                  found[ATTCK_MAP_MAX_IDS][ATTCK_MAP_ID_SIZE];
    size_t        i, j, n, nids, nfound;
    json_t       *arr, *v, *ev;
    const char   *id;

    nids = 0;

    /* ids the source gave; nonsense in that list is ignored */

    arr = json_loads(given ? given : "[]", 0, NULL);

    json_array_foreach(arr, i, v) {
        id = json_string_value(v);

        if (id == NULL || !attck_map_id_ok(id)
            || nids == ATTCK_MAP_MAX_IDS)
        {
            continue;
        }

        for (j = 0; j < nids && strcmp(ids[j], id) != 0; j++) { /* void */ }

        if (j == nids) {
            memcpy(ids[nids++], id, strlen(id) + 1);
        }
    }

    json_decref(arr);

    for (i = 0; i < nids; i++) {
        attck_map_row(rows, threat_id, ids[i], 1.0, "explicit",
                      json_pack("[s]", "source attack_ids"));
    }

    /* ids written in the text */

    nfound = attck_map_explicit_ids(text, strlen(text), found,
                                    ATTCK_MAP_MAX_IDS);

    for (i = 0; i < nfound && nids < ATTCK_MAP_MAX_IDS; i++) {
        for (j = 0; j < nids && strcmp(ids[j], found[i]) != 0; j++) {
            /* void */
        }

        /* "T1000" in a text may be a part number: known techniques only */

        if (j == nids && attck_map_model_class(mc->model, found[i]) >= 0) {
            memcpy(ids[nids++], found[i], ATTCK_MAP_ID_SIZE);
            attck_map_row(rows, threat_id, found[i], 1.0, "explicit",
                          json_pack("[s]", found[i]));
        }
    }

    st->explicit_ids += nids;

    /* the model, for what was not named */

    n = attck_map_model_classify(mc->model, text, strlen(text), mc->k,
                                 mc->threshold, mc->hits);

    for (i = 0; i < n; i++) {
        id = mc->model->classes[mc->hits[i].cls].id;

        for (j = 0; j < nids && strcmp(ids[j], id) != 0; j++) { /* void */ }

        if (j < nids || nids == ATTCK_MAP_MAX_IDS) {
            continue;
        }

        memcpy(ids[nids++], id, ATTCK_MAP_ID_SIZE);

        ev = json_array();

        for (j = 0; j < mc->hits[i].nevidence; j++) {
            json_array_append_new(ev, json_string(
                mc->model->vocab.terms[mc->hits[i].evidence[j]]));
        }

        attck_map_row(rows, threat_id, id,
                      round(mc->hits[i].score * 10000.0) / 10000.0, "model",
                      ev);
        st->model_ids++;
    }

    return nids;
}


int
attck_map_main(int argc, char **argv)
{
    int                  c, rc, all;
    char                *model_path, *env, *jrows, *jthreats, err[512],
                         last[32], version[96];
    size_t               i, n, k;
    double               threshold;
    json_t              *rows, *threats;
    PGconn              *db;
    PGresult            *res, *w;
    const char          *params[3];
    attck_map_ctx_t      mc;
    attck_map_stats_t    st;
    attck_map_model_t    model;
    static struct option   longopts[] = {
        { "model", required_argument, NULL, 'm' },
        { "all", no_argument, NULL, 'a' },
        { "top", required_argument, NULL, 'k' },
        { "threshold", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    model_path = getenv("ATTCK_MODEL");
    env = getenv("ATTCK_MAP_TOP");
    k = env ? attck_map_top(env, "ATTCK_MAP_TOP") : 10;
    env = getenv("ATTCK_MAP_THRESHOLD");
    threshold = env ? attck_map_threshold(env, "ATTCK_MAP_THRESHOLD") : 0.5;
    all = 0;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":m:k:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model_path = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case 'k':
            k = attck_map_top(optarg, "--top");
            break;
        case 't':
            threshold = attck_map_threshold(optarg, "--threshold");
            break;
        case 'h':
            printf("usage: attck-worker map [--model MODEL] [--all] "
                   "[--top K] [--threshold T]\n"
                   "MODEL: default $ATTCK_MODEL\n");
            return ATTCK_EXIT_OK;
        case ':':
            attck_fatal(ATTCK_EXIT_USAGE, "map: %s needs an argument",
                        argv[optind - 1]);
        default:
            attck_fatal(ATTCK_EXIT_USAGE, "map: unknown option %s "
                        "(try --help)", argv[optind - 1]);
        }
    }

    if (model_path == NULL || model_path[0] == '\0') {
        attck_fatal(ATTCK_EXIT_USAGE, "map: no model (--model MODEL or "
                    "ATTCK_MODEL; attck-worker train makes one)");
    }

    rc = attck_map_model_load(&model, model_path, err, sizeof(err));
    if (rc != 0) {
        attck_fatal(rc, "map: %s", err);
    }

    /* the release, the model file and how it was used name every row:
     * a new model or other settings map every threat again */

    snprintf(version, sizeof(version), "%s/%08x/top%zu/min%.2f",
             model.meta.release, model.crc, k, threshold);

    mc.model = &model;
    mc.version = version;
    mc.k = k;
    mc.threshold = threshold;
    mc.hits = attck_xcalloc(k, sizeof(attck_map_hit_t));

    memset(&st, 0, sizeof(attck_map_stats_t));
    db = attck_db_connect();
    strcpy(last, "0");

    for ( ;; ) {
        params[0] = last;
        params[1] = all ? "true" : "false";
        params[2] = version;

        res = attck_db_run(db, attck_map_select, 3, params, err, sizeof(err));
        if (res == NULL) {
            goto failed;
        }

        n = (size_t) PQntuples(res);
        if (n == 0) {
            PQclear(res);
            break;
        }

        rows = json_array();
        threats = json_array();

        for (i = 0; i < n; i++) {
            json_array_append_new(threats,
                json_pack("{s:s, s:s, s:i}", "threat_id",
                          PQgetvalue(res, (int) i, 0), "content_sha256",
                          PQgetvalue(res, (int) i, 3), "techniques",
                          (json_int_t) attck_map_threat(&mc,
                              PQgetvalue(res, (int) i, 0),
                              PQgetvalue(res, (int) i, 1),
                              PQgetvalue(res, (int) i, 2), rows, &st)));
        }

        snprintf(last, sizeof(last), "%s", PQgetvalue(res, (int) n - 1, 0));
        PQclear(res);

        jrows = json_dumps(rows, JSON_COMPACT);
        jthreats = json_dumps(threats, JSON_COMPACT);
        json_decref(rows);
        json_decref(threats);

        if (jrows == NULL || jthreats == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        params[0] = jrows;
        params[1] = jthreats;
        params[2] = version;

        w = attck_db_run(db, attck_map_write, 3, params, err, sizeof(err));
        free(jrows);
        free(jthreats);

        if (w == NULL) {
            goto failed;
        }

        st.threats += n;
        st.removed += strtoul(PQgetvalue(w, 0, 0), NULL, 10);
        st.added += strtoul(PQgetvalue(w, 0, 1), NULL, 10);
        st.changed += strtoul(PQgetvalue(w, 0, 2), NULL, 10);
        PQclear(w);
    }

    attck_log("info", "map: threats=%zu added=%zu changed=%zu removed=%zu "
              "explicit=%zu model=%zu model_version=%s", st.threats,
              st.added, st.changed, st.removed, st.explicit_ids,
              st.model_ids, version);

    PQfinish(db);
    free(mc.hits);
    attck_map_model_free(&model);

    return ATTCK_EXIT_OK;

failed:

    rc = attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    attck_fatal(rc, "map: %s (%zu threats mapped and kept; the next run "
                "goes on from there)", err, st.threats);
}
