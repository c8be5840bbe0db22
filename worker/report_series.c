
/*
 * attck-worker report: the series of the charts, read in the transaction
 * of report_model.c so that they describe the same moment as every other
 * figure: threats over time by source, per threat type and per targeted
 * country.  A threat belongs to the period by the same rule as there:
 * coalesce(last_seen, first_seen, updated_at).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "report.h"
#include "util.h"


enum {
    ATTCK_REPORT_SERIES_TIME = 0,
    ATTCK_REPORT_SERIES_TYPES,
    ATTCK_REPORT_SERIES_COUNTRIES,
    ATTCK_REPORT_NSERIES
};


/* what the series' strings point into, freed with them */
typedef struct {
    PGresult     *res[ATTCK_REPORT_NSERIES];
    attck_vec_t   strings;       /* char *: values made valid UTF-8 */
} attck_report_series_mem_t;


static size_t attck_report_series_counts(PGconn *db, const char *sql,
    const char *const *params, attck_report_series_mem_t *mem, int which,
    attck_report_count_t **out);


/* $1 and $2 the period, $3 the source or '' */
#define ATTCK_REPORT_SERIES_WITH                                             \
    "WITH th AS ("                                                           \
    "  SELECT t.id, t.source, t.threat_type, t.countries,"                   \
    "         coalesce(t.last_seen, t.first_seen, t.updated_at) AS seen"     \
    "    FROM threat_intelligence_data t"                                    \
    "   WHERE coalesce(t.last_seen, t.first_seen, t.updated_at)"             \
    "         >= $1::timestamptz"                                            \
    "     AND coalesce(t.last_seen, t.first_seen, t.updated_at)"             \
    "         < $2::timestamptz"                                             \
    "     AND ($3::text = '' OR t.source = $3::text)"                        \
    ") "


/* the step the period is shown in: about 60 points at most, or months */
static const char  attck_report_series_step_sql[] =
    "SELECT CASE WHEN $2::timestamptz - $1::timestamptz"
    "                 <= interval '62 days' THEN 'day'"
    "            WHEN $2::timestamptz - $1::timestamptz"
    "                 <= interval '1096 days' THEN 'week'"
    "            ELSE 'month' END";

/* every step of the period, empty ones too; weeks begin on Monday */
static const char  attck_report_series_time_sql[] =
    ATTCK_REPORT_SERIES_WITH
    ", st AS ("
    "  SELECT generate_series(date_trunc($4::text, $1::timestamptz),"
    "                         $2::timestamptz - interval '1 microsecond',"
    "                         ('1 ' || $4::text)::interval) AS start"
    ") "
    "SELECT to_char(st.start, 'YYYY-MM-DD'),"
    "       count(th.id) FILTER (WHERE th.source = 'otx'),"
    "       count(th.id) FILTER (WHERE th.source = 'virustotal')"
    "  FROM st LEFT JOIN th ON date_trunc($4::text, th.seen) = st.start"
    " GROUP BY st.start ORDER BY st.start";

static const char  attck_report_series_types_sql[] =
    ATTCK_REPORT_SERIES_WITH
    "SELECT coalesce(btrim(th.threat_type), '') AS k, count(*)"
    "  FROM th GROUP BY k ORDER BY count(*) DESC, k LIMIT 100";

/* a threat counts once for each country it targets */
static const char  attck_report_series_countries_sql[] =
    ATTCK_REPORT_SERIES_WITH
    "SELECT btrim(c) AS k, count(DISTINCT th.id)"
    "  FROM th, unnest(th.countries) AS c"
    " WHERE btrim(c) <> ''"
    " GROUP BY k ORDER BY count(DISTINCT th.id) DESC, k LIMIT 300";


/* rows of (key, count) into *out, most first */

static size_t
attck_report_series_counts(PGconn *db, const char *sql,
    const char *const *params, attck_report_series_mem_t *mem, int which,
    attck_report_count_t **out)
{
    int        i;
    PGresult  *res;

    res = attck_db_query(db, "report", sql, 3, params);
    mem->res[which] = res;

    *out = attck_xcalloc(PQntuples(res) + 1, sizeof(attck_report_count_t));

    for (i = 0; i < PQntuples(res); i++) {
        (*out)[i].key = attck_db_text(res, i, 0, &mem->strings);
        (*out)[i].threats = atol(PQgetvalue(res, i, 1));
    }

    return PQntuples(res);
}


void
attck_report_series_load(PGconn *db, attck_report_t *r)
{
    int                         i, k;
    char                        step[8];
    PGresult                   *res;
    const char                 *params[4];
    attck_report_series_mem_t  *mem;

    mem = attck_xcalloc(1, sizeof(attck_report_series_mem_t));
    attck_vec_init(&mem->strings, sizeof(char *));
    r->series_mem = mem;

    params[0] = r->since;
    params[1] = r->until;
    params[2] = r->source ? r->source : "";

    res = attck_db_query(db, "report", attck_report_series_step_sql, 2,
                         params);
    snprintf(step, sizeof(step), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    r->step = strcmp(step, "day") == 0 ? "day"
              : strcmp(step, "week") == 0 ? "week" : "month";
    params[3] = r->step;

    res = attck_db_query(db, "report", attck_report_series_time_sql, 4,
                         params);
    mem->res[ATTCK_REPORT_SERIES_TIME] = res;

    r->nsteps = PQntuples(res);
    r->steps = attck_xcalloc(r->nsteps + 1, sizeof(attck_report_step_t));

    for (i = 0; i < PQntuples(res); i++) {
        r->steps[i].start = PQgetvalue(res, i, 0);

        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            r->steps[i].by_source[k] = atol(PQgetvalue(res, i, 1 + k));
        }
    }

    r->ntypes = attck_report_series_counts(db, attck_report_series_types_sql,
                                           params, mem,
                                           ATTCK_REPORT_SERIES_TYPES,
                                           &r->types);
    r->ncountries = attck_report_series_counts(db,
                                           attck_report_series_countries_sql,
                                           params, mem,
                                           ATTCK_REPORT_SERIES_COUNTRIES,
                                           &r->countries);
}


void
attck_report_series_free(attck_report_t *r)
{
    size_t                      i;
    attck_report_series_mem_t  *mem;

    mem = r->series_mem;

    if (mem) {
        for (i = 0; i < ATTCK_REPORT_NSERIES; i++) {
            PQclear(mem->res[i]);
        }

        for (i = 0; i < mem->strings.n; i++) {
            free(*attck_vec_at(&mem->strings, char *, i));
        }

        attck_vec_free(&mem->strings);
        free(mem);
    }

    free(r->steps);
    free(r->types);
    free(r->countries);
    r->series_mem = NULL;
}
