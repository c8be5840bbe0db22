
/*
 * attck-worker report: the model every format renders, read from
 * PostgreSQL in one read-only repeatable-read transaction so that all
 * figures describe the same moment.
 *
 * A threat belongs to the period by coalesce(last_seen, first_seen,
 * updated_at).  Names and tactics come from the newest release of the
 * domain; a mapped technique id that is not an active technique of it
 * (unknown, revoked or deprecated there) sits in no tactic of its matrix,
 * so it is only counted, apart.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "report.h"
#include "util.h"


enum {
    ATTCK_REPORT_RES_RELEASES = 0,
    ATTCK_REPORT_RES_TACTICS,
    ATTCK_REPORT_RES_TECHNIQUES,
    ATTCK_REPORT_RES_MOVES,
    ATTCK_REPORT_NRES
};


/* what the model's strings point into, freed with it */
typedef struct {
    PGresult     *res[ATTCK_REPORT_NRES];
    attck_vec_t   strings;       /* char *: values made valid UTF-8 */
} attck_report_mem_t;


/*
 * The statements share these: $1 the release, $2 and $3 the period,
 * $4 the source or ''; and the techniques' $5, ATTCK_REPORT_TOP_THREATS.
 *
 *   th   the threats of the period
 *   mp   their mappings
 *   act  the release's active techniques
 *   tac  the tactics of the domain's matrix, bit = position in it
 */
#define ATTCK_REPORT_WITH                                                    \
    "WITH th AS ("                                                           \
    "  SELECT t.id, t.source, t.source_id, t.title,"                         \
    "         coalesce(t.last_seen, t.first_seen, t.updated_at) AS seen"     \
    "    FROM threat_intelligence_data t"                                    \
    "   WHERE coalesce(t.last_seen, t.first_seen, t.updated_at)"             \
    "         >= $2::timestamptz"                                            \
    "     AND coalesce(t.last_seen, t.first_seen, t.updated_at)"             \
    "         < $3::timestamptz"                                             \
    "     AND ($4::text = '' OR t.source = $4::text)"                        \
    "), mp AS ("                                                             \
    "  SELECT m.technique_id, m.score, m.method, m.sentences, th.*"          \
    "    FROM mapped_threat_data m JOIN th ON th.id = m.threat_id"           \
    "), act AS ("                                                            \
    "  SELECT DISTINCT ON (k.attack_id) k.attack_id, k.name, k.tactics"      \
    "    FROM mitre_attack_techniques k"                                     \
    "   WHERE k.release_id = $1::bigint AND NOT k.revoked"                   \
    "     AND NOT k.deprecated AND k.attack_id IS NOT NULL"                  \
    "   ORDER BY k.attack_id, k.stix_id"                                     \
    "), tac AS ("                                                            \
    "  SELECT (row_number() OVER (ORDER BY o.ord) - 1)::int AS bit,"         \
    "         t.shortname, t.name, t.attack_id"                              \
    "    FROM (SELECT x.raw FROM attack_other_objects x"                     \
    "           WHERE x.release_id = $1::bigint"                             \
    "             AND x.type = 'x-mitre-matrix'"                             \
    "             AND NOT coalesce((x.raw->>'revoked')::boolean, false)"     \
    "             AND NOT coalesce((x.raw->>'x_mitre_deprecated')::boolean," \
    "                              false)"                                   \
    "           ORDER BY x.stix_id LIMIT 1) mx,"                             \
    "         jsonb_array_elements_text(mx.raw->'tactic_refs')"              \
    "             WITH ORDINALITY AS o(ref, ord),"                           \
    "         attack_tactics t"                                              \
    "   WHERE t.release_id = $1::bigint AND t.stix_id = o.ref"               \
    ") "


static void attck_report_exec(PGconn *db, const char *sql);
static const char *attck_report_release(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, char *id, size_t len);
static void attck_report_tactics(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);
static attck_report_technique_t *attck_report_technique(attck_report_t *r,
    attck_report_mem_t *mem, PGresult *res, int row);
static void attck_report_techniques(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);
static void attck_report_moves(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);
static void attck_report_sentences(attck_report_threat_t *th,
    attck_report_mem_t *mem, const char *json);


/* the mappings moved from revoked techniques in the period (at most 1000) */
static const char  attck_report_moves_sql[] =
    "SELECT t.title, v.from_technique, v.to_technique, v.release, v.method,"
    "       to_char(v.moved_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       v.merged"
    "  FROM mapping_moves v"
    "  JOIN threat_intelligence_data t ON t.id = v.threat_id"
    " WHERE v.moved_at >= $1::timestamptz AND v.moved_at < $2::timestamptz"
    "   AND ($3::text = '' OR t.source = $3::text)"
    " ORDER BY v.moved_at, v.id LIMIT 1000";


static const char  attck_report_summary_sql[] =
    ATTCK_REPORT_WITH
    "SELECT count(*),"
    "       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM mapped_threat_data m"
    "                                       WHERE m.threat_id = th.id)),"
    "       count(*) FILTER (WHERE th.source = 'otx'),"
    "       count(*) FILTER (WHERE th.source = 'virustotal')"
    "  FROM th";

static const char  attck_report_tactics_sql[] =
    ATTCK_REPORT_WITH
    "SELECT tac.shortname, tac.name, tac.attack_id,"
    "       (SELECT count(*) FROM act"
    "         WHERE tac.shortname = ANY (act.tactics)),"
    "       (SELECT count(DISTINCT mp.technique_id)"
    "          FROM mp JOIN act ON act.attack_id = mp.technique_id"
    "         WHERE tac.shortname = ANY (act.tactics)),"
    "       (SELECT count(DISTINCT mp.id)"
    "          FROM mp JOIN act ON act.attack_id = mp.technique_id"
    "         WHERE tac.shortname = ANY (act.tactics))"
    "  FROM tac ORDER BY tac.bit";

/*
 * Ranked: most threats, then the best score, then the id.  The best $5
 * threats of a technique of the release follow it, a row each, best
 * score first, its own columns repeated: no second statement to match
 * them to it.
 */
static const char  attck_report_techniques_sql[] =
    ATTCK_REPORT_WITH
    ", rk AS ("
    "  SELECT mp.technique_id, act.attack_id IS NOT NULL AS known, act.name,"
    "         (SELECT coalesce(bit_or(1::bigint << tac.bit), 0) FROM tac"
    "           WHERE tac.shortname = ANY (act.tactics)) AS tactics,"
    "         count(*) AS threats,"
    "         count(*) FILTER (WHERE mp.source = 'otx') AS otx,"
    "         count(*) FILTER (WHERE mp.source = 'virustotal') AS vt,"
    "         count(*) FILTER (WHERE mp.method = 'explicit') AS explicit,"
    "         count(*) FILTER (WHERE mp.method = 'model') AS model,"
    "         count(*) FILTER (WHERE mp.method = 'analyst') AS analyst,"
    "         max(mp.score) AS best, avg(mp.score) AS mean,"
    "         to_char(min(mp.seen) AT TIME ZONE 'UTC',"
    "                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS first_seen,"
    "         to_char(max(mp.seen) AT TIME ZONE 'UTC',"
    "                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_seen,"
    "         row_number() OVER (ORDER BY act.attack_id IS NULL,"
    "                            count(*) DESC, max(mp.score) DESC,"
    "                            mp.technique_id) AS rank"
    "    FROM mp LEFT JOIN act ON act.attack_id = mp.technique_id"
    "   GROUP BY mp.technique_id, act.attack_id, act.name, act.tactics"
    "), best AS ("
    "  SELECT mp.*, row_number() OVER (PARTITION BY mp.technique_id"
    "               ORDER BY mp.score DESC, mp.id) AS rn"
    "    FROM mp"
    ") "
    "SELECT rk.technique_id, rk.known, rk.name, rk.tactics, rk.threats,"
    "       rk.otx, rk.vt, rk.explicit, rk.model, rk.analyst, rk.best,"
    "       rk.mean, rk.first_seen, rk.last_seen, best.title, best.source,"
    "       best.source_id, best.score, best.method, best.sentences"
    "  FROM rk LEFT JOIN best ON best.technique_id = rk.technique_id"
    "                        AND rk.known AND best.rn <= $5::int"
    " ORDER BY rk.rank, best.rn";


const char  *attck_report_sources[ATTCK_REPORT_SOURCES] = {
    "otx", "virustotal"
};

const char  *attck_report_methods[ATTCK_REPORT_METHODS] = {
    "explicit", "model", "analyst"
};


/* BEGIN or COMMIT: a report cannot be made without them */

static void
attck_report_exec(PGconn *db, const char *sql)
{
    char  err[512];

    if (attck_db_exec(db, sql, err, sizeof(err)) != 0) {
        attck_fatal(attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL
                                      : ATTCK_EXIT_SOFTWARE,
                    "report: %s", err);
    }
}


/* the newest release of the domain, by version: its id into id */

static const char *
attck_report_release(PGconn *db, attck_report_t *r, attck_report_mem_t *mem,
    char *id, size_t len)
{
    int          i, best;
    PGresult    *res;
    const char  *p[1];

    p[0] = r->domain;

    res = attck_db_query(db, "report",
                         "SELECT id, version FROM attack_releases"
                         " WHERE domain = $1", 1, p);
    mem->res[ATTCK_REPORT_RES_RELEASES] = res;

    best = -1;

    for (i = 0; i < PQntuples(res); i++) {
        if (best == -1
            || attck_version_cmp(PQgetvalue(res, i, 1),
                                 PQgetvalue(res, best, 1)) > 0)
        {
            best = i;
        }
    }

    if (best == -1) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "report: no %s release in the "
                    "database (run attck-worker ingest attack)", r->domain);
    }

    snprintf(id, len, "%s", PQgetvalue(res, best, 0));

    return attck_db_text(res, best, 1, &mem->strings);
}


static void
attck_report_tactics(PGconn *db, attck_report_t *r, attck_report_mem_t *mem,
    const char *const *params)
{
    int                     i;
    PGresult               *res;
    attck_report_tactic_t  *t;

    res = attck_db_query(db, "report", attck_report_tactics_sql, 4, params);
    mem->res[ATTCK_REPORT_RES_TACTICS] = res;

    if (PQntuples(res) > ATTCK_REPORT_MAX_TACTICS) {
        attck_fatal(ATTCK_EXIT_DATAERR, "report: release %s has %d tactics, "
                    "more than %d", r->release, PQntuples(res),
                    ATTCK_REPORT_MAX_TACTICS);
    }

    r->ntactics = PQntuples(res);
    r->tactics = attck_xcalloc(r->ntactics, sizeof(attck_report_tactic_t));

    for (i = 0; i < PQntuples(res); i++) {
        t = &r->tactics[i];
        t->shortname = attck_db_text(res, i, 0, &mem->strings);
        t->name = attck_db_text(res, i, 1, &mem->strings);
        t->id = attck_db_text(res, i, 2, &mem->strings);
        t->techniques = atol(PQgetvalue(res, i, 3));
        t->seen = atol(PQgetvalue(res, i, 4));
        t->threats = atol(PQgetvalue(res, i, 5));
    }
}


/*
 * The technique of a row, in r's techniques, or NULL when it is not one
 * of the release: then its id goes to r's outside.
 */

static attck_report_technique_t *
attck_report_technique(attck_report_t *r, attck_report_mem_t *mem,
    PGresult *res, int row)
{
    int                        k;
    attck_report_technique_t  *t;

    if (strcmp(PQgetvalue(res, row, 1), "t") != 0) {
        r->outside[r->noutside++] = attck_db_text(res, row, 0, &mem->strings);
        return NULL;
    }

    t = &r->techniques[r->ntechniques++];
    t->id = attck_db_text(res, row, 0, &mem->strings);
    t->name = attck_db_text(res, row, 2, &mem->strings);
    t->tactics = strtoull(PQgetvalue(res, row, 3), NULL, 10);
    t->threats = atol(PQgetvalue(res, row, 4));

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        t->by_source[k] = atol(PQgetvalue(res, row, 5 + k));
    }

    for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
        t->by_method[k] = atol(PQgetvalue(res, row, 7 + k));
    }

    t->best = strtod(PQgetvalue(res, row, 10), NULL);
    t->mean = strtod(PQgetvalue(res, row, 11), NULL);
    t->first_seen = PQgetvalue(res, row, 12);
    t->last_seen = PQgetvalue(res, row, 13);

    return t;
}


/* the techniques seen, by rank, each with its best threats */

static void
attck_report_techniques(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params)
{
    int                        i;
    PGresult                  *res;
    attck_report_threat_t     *th;
    attck_report_technique_t  *t;

    res = attck_db_query(db, "report", attck_report_techniques_sql, 5,
                         params);
    mem->res[ATTCK_REPORT_RES_TECHNIQUES] = res;

    r->techniques = attck_xcalloc(PQntuples(res),
                                  sizeof(attck_report_technique_t));
    r->outside = attck_xcalloc(PQntuples(res), sizeof(char *));
    t = NULL;

    for (i = 0; i < PQntuples(res); i++) {
        if (i == 0
            || strcmp(PQgetvalue(res, i, 0), PQgetvalue(res, i - 1, 0)) != 0)
        {
            t = attck_report_technique(r, mem, res, i);
        }

        /* the technique's best threats, if it has any, are on its rows */

        if (t == NULL || PQgetisnull(res, i, 14)
            || t->ntop == ATTCK_REPORT_TOP_THREATS)
        {
            continue;
        }

        th = &t->top[t->ntop++];
        th->title = attck_db_text(res, i, 14, &mem->strings);
        th->source = attck_db_text(res, i, 15, &mem->strings);
        th->source_id = attck_db_text(res, i, 16, &mem->strings);
        th->score = strtod(PQgetvalue(res, i, 17), NULL);
        th->method = attck_db_text(res, i, 18, &mem->strings);
        attck_report_sentences(th, mem, PQgetvalue(res, i, 19));
    }
}


/*
 * The texts of a mapping's supporting sentences (map stores them as
 * [{"start", "end", "text"}], best first); what is not that is left out:
 * the report is made all the same.
 */

static void
attck_report_sentences(attck_report_threat_t *th, attck_report_mem_t *mem,
    const char *json)
{
    char        *copy;
    size_t       k;
    json_t      *a, *text;

    a = json_loads(json, 0, NULL);

    for (k = 0; json_is_array(a) && k < json_array_size(a)
                && th->nsentences < ATTCK_REPORT_SENTENCES; k++)
    {
        text = json_object_get(json_array_get(a, k), "text");

        if (!json_is_string(text) || json_string_length(text) == 0) {
            continue;
        }

        /* jansson's strings are valid UTF-8, as the model's must be */

        copy = attck_xstrdup(json_string_value(text));
        *(char **) attck_vec_push(&mem->strings) = copy;
        th->sentences[th->nsentences++] = copy;
    }

    json_decref(a);
}


static void
attck_report_moves(PGconn *db, attck_report_t *r, attck_report_mem_t *mem,
    const char *const *params)
{
    int                   i;
    PGresult             *res;
    attck_report_move_t  *m;

    res = attck_db_query(db, "report", attck_report_moves_sql, 3, params);
    mem->res[ATTCK_REPORT_RES_MOVES] = res;

    r->moves = attck_xcalloc(PQntuples(res) + 1, sizeof(attck_report_move_t));

    for (i = 0; i < PQntuples(res); i++) {
        m = &r->moves[r->nmoves++];
        m->title = attck_db_text(res, i, 0, &mem->strings);
        m->from = PQgetvalue(res, i, 1);
        m->to = PQgetvalue(res, i, 2);
        m->release = attck_db_text(res, i, 3, &mem->strings);
        m->method = PQgetvalue(res, i, 4);
        m->moved_at = PQgetvalue(res, i, 5);
        m->merged = strcmp(PQgetvalue(res, i, 6), "t") == 0;
    }
}


void
attck_report_load(PGconn *db, attck_report_t *r)
{
    int                  k;
    char                 release[32], top[16];
    PGresult            *res;
    const char          *params[5];
    attck_report_mem_t  *mem;

    attck_report_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                      "SET LOCAL TimeZone = 'UTC'");

    mem = attck_xcalloc(1, sizeof(attck_report_mem_t));
    attck_vec_init(&mem->strings, sizeof(char *));
    r->mem = mem;

    r->release = attck_report_release(db, r, mem, release, sizeof(release));

    snprintf(top, sizeof(top), "%d", ATTCK_REPORT_TOP_THREATS);

    params[0] = release;
    params[1] = r->since;
    params[2] = r->until;
    params[3] = r->source ? r->source : "";
    params[4] = top;

    res = attck_db_query(db, "report", attck_report_summary_sql, 4, params);

    r->threats = atol(PQgetvalue(res, 0, 0));
    r->mapped = atol(PQgetvalue(res, 0, 1));

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        r->by_source[k] = atol(PQgetvalue(res, 0, 2 + k));
    }

    PQclear(res);

    attck_report_tactics(db, r, mem, params);
    attck_report_techniques(db, r, mem, params);
    attck_report_moves(db, r, mem, params + 1);
    attck_report_series_load(db, r);

    attck_report_exec(db, "COMMIT");
}


void
attck_report_free(attck_report_t *r)
{
    size_t               i;
    attck_report_mem_t  *mem;

    mem = r->mem;

    if (mem) {
        for (i = 0; i < ATTCK_REPORT_NRES; i++) {
            PQclear(mem->res[i]);
        }

        for (i = 0; i < mem->strings.n; i++) {
            free(*attck_vec_at(&mem->strings, char *, i));
        }

        attck_vec_free(&mem->strings);
        free(mem);
    }

    free(r->tactics);
    free(r->techniques);
    free(r->outside);
    free(r->moves);
    r->mem = NULL;

    attck_report_series_free(r);
}
