
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify.h"
#include "db.h"
#include "map.h"
#include "remap.h"
#include "stage.h"
#include "util.h"
#include "verdicts.h"


typedef struct {
    size_t       threats;
    long         moved;
    size_t       added;
    size_t       changed;
    size_t       removed;
    size_t       explicit_ids;
    size_t       model_ids;
} attck_map_stats_t;


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
 * One statement per batch: the batch's threats as a JSON array, each
 * with its techniques; stale rows removed, changed rows updated, equal
 * rows left alone, and the state of every threat recorded.
 */
static const char  attck_map_write[] =
    "WITH t AS ("
    "  SELECT * FROM jsonb_to_recordset($1::jsonb) AS y(threat_id bigint,"
    "         content_sha256 text, techniques jsonb)"
    "), r AS ("
    "  SELECT t.threat_id, x.id AS technique_id, x.score, x.method,"
    "         x.evidence"
    "    FROM t, jsonb_to_recordset(t.techniques) AS x(id text, score real,"
    "         method text, evidence jsonb)"
    "   WHERE NOT EXISTS (SELECT 1 FROM rejected_mappings j"
    "          WHERE j.threat_id = t.threat_id AND j.technique_id = x.id)"
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
    "  SELECT r.threat_id, r.technique_id, r.score, r.method, $2,"
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
    "  SELECT threat_id, content_sha256, $2, jsonb_array_length(techniques)"
    "    FROM t"
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


int
attck_map_main(int argc, char **argv)
{
    int                  c, rc, all;
    char                *model_path, *env, *json, err[512], last[32],
                         version[96], newest[64];
    size_t               i, j, n, k, nexplicit;
    double               threshold;
    json_t              *threats, *list, *given, *gone;
    PGconn              *db;
    PGresult            *res, *w;
    const char          *params[3], *text;
    attck_map_hit_t     *hits;
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
    k = attck_number_env("map", "ATTCK_MAP_TOP", 10, 1, 100);
    env = getenv("ATTCK_MAP_THRESHOLD");
    threshold = env ? attck_classify_threshold("map", "ATTCK_MAP_THRESHOLD",
                                               env)
                    : 0.5;
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
            k = attck_number("map", "--top", optarg, 1, 100);
            break;
        case 't':
            threshold = attck_classify_threshold("map", "--threshold",
                                                 optarg);
            break;
        case 'h':
            printf("usage: attck-worker map [--model MODEL] [--all] "
                   "[--top K] [--threshold T]\n"
                   "MODEL: default $ATTCK_MODEL\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("map", c, argv);
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

    hits = attck_xcalloc(k, sizeof(attck_map_hit_t));

    memset(&st, 0, sizeof(attck_map_stats_t));
    db = attck_db_connect();

    if (attck_db_stage_lock(db, "map") != 0) {
        PQfinish(db);
        free(hits);
        attck_map_model_free(&model);
        return ATTCK_EXIT_TEMPFAIL;
    }

    /* what analysts said since the last run, before anything is mapped */

    if (attck_verdicts_move(db, err, sizeof(err)) < 0) {
        goto failed;
    }

    /*
     * techniques revoked or deprecated in the model's release or the
     * newest one stored are never written; what was written before the
     * newest release revoked them moves to their replacements
     */

    gone = attck_remap_gone(db, model.meta.release, newest, sizeof(newest),
                          err, sizeof(err));
    if (gone == NULL) {
        goto failed;
    }

    if (*newest) {
        st.moved = attck_remap_move(db, newest, err, sizeof(err));
        if (st.moved < 0) {
            goto failed;
        }

        if (st.moved) {
            attck_log("info", "map: moved %ld mappings of techniques that "
                      "ATT&CK %s revoked to their replacements", st.moved,
                      newest);
        }
    }

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

        threats = json_array();

        for (i = 0; i < n; i++) {
            text = PQgetvalue(res, (int) i, 1);
            given = json_loads(PQgetvalue(res, (int) i, 2), 0, NULL);
            list = json_array();

            (void) attck_classify_text(&model, text, strlen(text), given, k,
                                       threshold, SIZE_MAX, hits, list);
            attck_remap_follow(gone, list);
            json_decref(given);

            for (j = 0, nexplicit = 0; j < json_array_size(list); j++) {
                nexplicit += strcmp(json_string_value(json_object_get(
                                        json_array_get(list, j), "method")),
                                    "explicit") == 0;
            }

            st.explicit_ids += nexplicit;
            st.model_ids += json_array_size(list) - nexplicit;

            json_array_append_new(threats,
                json_pack("{s:s, s:s, s:o}",
                          "threat_id", PQgetvalue(res, (int) i, 0),
                          "content_sha256", PQgetvalue(res, (int) i, 3),
                          "techniques", list));
        }

        snprintf(last, sizeof(last), "%s", PQgetvalue(res, (int) n - 1, 0));
        PQclear(res);

        json = json_dumps(threats, JSON_COMPACT);
        json_decref(threats);

        if (json == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        params[0] = json;
        params[1] = version;

        w = attck_db_run(db, attck_map_write, 2, params, err, sizeof(err));
        free(json);

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

    attck_stage_count("map", "added", NULL, (long long) st.added);
    attck_stage_count("map", "changed", NULL, (long long) st.changed);
    attck_stage_count("map", "removed", NULL, (long long) st.removed);

    PQfinish(db);
    free(hits);
    json_decref(gone);
    attck_map_model_free(&model);

    return ATTCK_EXIT_OK;

failed:

    rc = attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    attck_fatal(rc, "map: %s (%zu threats mapped and kept; the next run "
                "goes on from there)", err, st.threats);
}
