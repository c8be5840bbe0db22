
/*
 * attck-worker map: mappings follow ATT&CK's revocations.
 *
 * A new ATT&CK release revokes techniques in favour of others (and
 * deprecates some outright).  What map writes never names such a
 * technique, and what it wrote before a newer release came is moved to
 * the replacement: the method keeps its kind, the evidence stays, and
 * mapping_moves records the move for the report.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "remap.h"
#include "util.h"


static const char  attck_remap_newest_sql[] =
    "SELECT version FROM attack_releases"
    " WHERE domain = 'enterprise-attack'"
    " ORDER BY attck_release_order(version) DESC NULLS LAST,"
    "          loaded_at DESC LIMIT 1";

static const char  attck_remap_gone_sql[] =
    "SELECT technique_id, coalesce(CASE WHEN revoked THEN replaced_by END,"
    "       '') FROM attck_techniques_gone($1)";

/*
 * One statement: the rows of revoked techniques go, their replacements
 * come (where the threat has the replacement already, the two are merged:
 * the better score, confirmed if either was), and each move is recorded.
 */
static const char  attck_remap_move_sql[] =
    "WITH g AS ("
    "  SELECT technique_id, replaced_by FROM attck_techniques_gone($1)"
    "   WHERE revoked AND replaced_by IS NOT NULL"
    "     AND replaced_by <> technique_id"
    "), mv AS ("
    "  SELECT m.*, g.replaced_by FROM mapped_threat_data m"
    "    JOIN g USING (technique_id)"
    "), del AS ("
    "  DELETE FROM mapped_threat_data m USING mv"
    "   WHERE m.threat_id = mv.threat_id"
    "     AND m.technique_id = mv.technique_id"
    "), ins AS ("
    "  INSERT INTO mapped_threat_data AS m (threat_id, technique_id, score,"
    "         method, model_version, evidence, sentences, content_sha256,"
    "         confirmed)"
    "  SELECT DISTINCT ON (threat_id, replaced_by) threat_id, replaced_by,"
    "         score, method, model_version, evidence, sentences,"
    "         content_sha256, confirmed"
    "    FROM mv ORDER BY threat_id, replaced_by, confirmed DESC,"
    "         score DESC"
    "  ON CONFLICT (threat_id, technique_id) DO UPDATE"
    "     SET score = greatest(m.score, EXCLUDED.score),"
    "         confirmed = m.confirmed OR EXCLUDED.confirmed,"
    "         mapped_at = now()"
    "  RETURNING m.threat_id, m.technique_id, (xmax = 0) AS added"
    "), rec AS ("
    "  INSERT INTO mapping_moves (threat_id, from_technique, to_technique,"
    "         release, method, score, confirmed, merged)"
    "  SELECT mv.threat_id, mv.technique_id, mv.replaced_by, $1, mv.method,"
    "         mv.score, mv.confirmed,"
    "         NOT coalesce((SELECT i.added FROM ins i"
    "                        WHERE i.threat_id = mv.threat_id"
    "                          AND i.technique_id = mv.replaced_by), true)"
    "    FROM mv"
    "  RETURNING 1"
    ")"
    " SELECT count(*) FROM rec";


static int attck_remap_gone_add(PGconn *db, const char *release, json_t *gone,
    char *err, size_t errlen);


static int
attck_remap_gone_add(PGconn *db, const char *release, json_t *gone, char *err,
    size_t errlen)
{
    int          i;
    PGresult    *res;
    const char  *param[1];

    param[0] = release;

    res = attck_db_run(db, attck_remap_gone_sql, 1, param, err, errlen);
    if (res == NULL) {
        return -1;
    }

    for (i = 0; i < PQntuples(res); i++) {
        json_object_set_new(gone, PQgetvalue(res, i, 0),
                            json_string(PQgetvalue(res, i, 1)));
    }

    PQclear(res);

    return 0;
}


json_t *
attck_remap_gone(PGconn *db, const char *model_release, char *newest,
    size_t len, char *err, size_t errlen)
{
    json_t    *gone;
    PGresult  *res;

    res = attck_db_run(db, attck_remap_newest_sql, 0, NULL, err, errlen);
    if (res == NULL) {
        return NULL;
    }

    snprintf(newest, len, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);

    gone = json_object();

    /* the newest release last: what it says wins */

    if ((model_release && *model_release
         && attck_remap_gone_add(db, model_release, gone, err, errlen) != 0)
        || (*newest && attck_remap_gone_add(db, newest, gone, err, errlen)
                       != 0))
    {
        json_decref(gone);
        return NULL;
    }

    return gone;
}


void
attck_remap_follow(json_t *gone, json_t *list)
{
    size_t       i, j;
    json_t      *t, *to;
    const char  *id, *by;

    for (i = 0; i < json_array_size(list); /* void */) {
        t = json_array_get(list, i);
        id = json_string_value(json_object_get(t, "id"));
        to = id ? json_object_get(gone, id) : NULL;

        if (to == NULL) {
            i++;
            continue;
        }

        by = json_string_value(to);

        /* a replacement named already (explicit ones come first) wins */

        for (j = 0; *by && j < json_array_size(list); j++) {
            if (strcmp(json_string_value(json_object_get(
                           json_array_get(list, j), "id")), by) == 0)
            {
                break;
            }
        }

        if (*by == '\0' || j < json_array_size(list)) {
            json_array_remove(list, i);
            continue;
        }

        json_object_set_new(t, "id", json_string(by));
        i++;
    }
}


long
attck_remap_move(PGconn *db, const char *release, char *err, size_t errlen)
{
    long         n;
    PGresult    *res;
    const char  *param[1];

    param[0] = release;

    res = attck_db_run(db, attck_remap_move_sql, 1, param, err, errlen);
    if (res == NULL) {
        return -1;
    }

    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);

    return n;
}
