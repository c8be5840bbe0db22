
/*
 * attck-worker report: the model every format renders, read from
 * PostgreSQL in one read-only repeatable-read transaction so that all
 * figures describe the same moment; and the text helpers the renderers
 * share.
 *
 * A threat belongs to the period by coalesce(last_seen, first_seen,
 * updated_at).  Names and tactics come from the newest release of the
 * domain; a mapped technique id that is not an active technique of it
 * (unknown, revoked or deprecated there) sits in no tactic of its matrix,
 * so it is only counted, apart.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "report.h"
#include "util.h"


enum {
    ATTCK_REPORT_RES_RELEASES = 0,
    ATTCK_REPORT_RES_TACTICS,
    ATTCK_REPORT_RES_TECHNIQUES,
    ATTCK_REPORT_RES_THREATS,
    ATTCK_REPORT_NRES
};


/* what the model's strings point into, freed with it */
typedef struct {
    PGresult     *res[ATTCK_REPORT_NRES];
    attck_vec_t   strings;       /* char *: values made valid UTF-8 */
} attck_report_mem_t;


/*
 * The statements share these: $1 the release, $2 and $3 the period,
 * $4 the source or ''.
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
    "  SELECT m.technique_id, m.score, m.method, th.*"                       \
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

/* ranked: most threats, then the best score, then the id */
static const char  attck_report_techniques_sql[] =
    ATTCK_REPORT_WITH
    "SELECT mp.technique_id, act.attack_id IS NOT NULL, act.name,"
    "       (SELECT coalesce(bit_or(1::bigint << tac.bit), 0) FROM tac"
    "         WHERE tac.shortname = ANY (act.tactics)),"
    "       count(*),"
    "       count(*) FILTER (WHERE mp.source = 'otx'),"
    "       count(*) FILTER (WHERE mp.source = 'virustotal'),"
    "       count(*) FILTER (WHERE mp.method = 'explicit'),"
    "       count(*) FILTER (WHERE mp.method = 'model'),"
    "       count(*) FILTER (WHERE mp.method = 'analyst'),"
    "       max(mp.score), avg(mp.score),"
    "       to_char(min(mp.seen) AT TIME ZONE 'UTC',"
    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       to_char(max(mp.seen) AT TIME ZONE 'UTC',"
    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    "  FROM mp LEFT JOIN act ON act.attack_id = mp.technique_id"
    " GROUP BY mp.technique_id, act.attack_id, act.name, act.tactics"
    " ORDER BY act.attack_id IS NULL, count(*) DESC, max(mp.score) DESC,"
    "          mp.technique_id";

static const char  attck_report_threats_sql[] =
    ATTCK_REPORT_WITH
    "SELECT technique_id, title, source, source_id, score, method"
    "  FROM (SELECT mp.*, row_number() OVER (PARTITION BY mp.technique_id"
    "               ORDER BY mp.score DESC, mp.id) AS rn"
    "          FROM mp JOIN act ON act.attack_id = mp.technique_id) x"
    " WHERE rn <= 5"
    " ORDER BY technique_id, rn";


const char  *attck_report_sources[ATTCK_REPORT_SOURCES] = {
    "otx", "virustotal"
};

const char  *attck_report_methods[ATTCK_REPORT_METHODS] = {
    "explicit", "model", "analyst"
};


static const char *attck_report_value(attck_report_mem_t *mem,
    PGresult *res, int row, int col);
static size_t attck_report_utf8_len(const unsigned char *p);
static const char *attck_report_release(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, char *id, size_t len);
static void attck_report_tactics(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);
static void attck_report_techniques(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);
static void attck_report_threats(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params);


void
attck_report_add(attck_report_buf_t *b, const char *s, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->data = realloc(b->data, b->cap);

        if (b->data == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }
    }

    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}


void
attck_report_str(attck_report_buf_t *b, const char *s)
{
    attck_report_add(b, s, strlen(s));
}


void
attck_report_printf(attck_report_buf_t *b, const char *fmt, ...)
{
    int      n;
    char     small[256], *big;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);

    if (n < 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "report: bad format \"%s\"", fmt);
    }

    if ((size_t) n < sizeof(small)) {
        attck_report_add(b, small, n);
        return;
    }

    big = attck_xmalloc(n + 1);

    va_start(ap, fmt);
    vsnprintf(big, n + 1, fmt, ap);
    va_end(ap);

    attck_report_add(b, big, n);
    free(big);
}


/* the length of the well-formed UTF-8 sequence at p (RFC 3629), or 0 */

static size_t
attck_report_utf8_len(const unsigned char *p)
{
    size_t         n, i;
    unsigned char  lo, hi;

    lo = 0x80;
    hi = 0xbf;

    if (p[0] < 0x80) {
        return 1;
    }

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        lo = p[0] == 0xe0 ? 0xa0 : lo;    /* overlong */
        hi = p[0] == 0xed ? 0x9f : hi;    /* surrogates */

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        lo = p[0] == 0xf0 ? 0x90 : lo;    /* overlong */
        hi = p[0] == 0xf4 ? 0x8f : hi;    /* beyond U+10FFFF */

    } else {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    /* the terminating NUL fails this test before p runs off the string */

    for (i = 2; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }

    return n;
}


void
attck_report_utf8(attck_report_buf_t *b, const char *s, int controls)
{
    size_t                n;
    const unsigned char  *p;

    for (p = (const unsigned char *) s; *p; p += n ? n : 1) {
        n = attck_report_utf8_len(p);

        if (n == 0) {
            attck_report_add(b, "\xef\xbf\xbd", 3);

        } else if (controls
                   && (*p < 0x20 || *p == 0x7f
                       || (p[0] == 0xc2 && p[1] < 0xa0)))
        {
            attck_report_add(b, " ", 1);

        } else {
            attck_report_add(b, (const char *) p, n);
        }
    }
}


size_t
attck_report_ntop(const attck_report_t *r)
{
    return r->top < r->ntechniques ? r->top : r->ntechniques;
}


void
attck_report_tactic_list(const attck_report_t *r,
    const attck_report_technique_t *t, const char *sep,
    attck_report_buf_t *out)
{
    size_t  i, n;

    for (i = 0, n = 0; i < r->ntactics; i++) {
        if (t->tactics & ((uint64_t) 1 << i)) {
            attck_report_str(out, n++ ? sep : "");
            attck_report_str(out, r->tactics[i].shortname);
        }
    }
}


/* a value of a result as valid UTF-8: itself, or a repaired copy */

static const char *
attck_report_value(attck_report_mem_t *mem, PGresult *res, int row, int col)
{
    char                **keep;
    const char           *v;
    attck_report_buf_t    b;

    v = PQgetvalue(res, row, col);

    memset(&b, 0, sizeof(attck_report_buf_t));
    attck_report_utf8(&b, v, 0);

    if (b.data == NULL || strcmp(b.data, v) == 0) {
        free(b.data);
        return v;
    }

    keep = attck_vec_push(&mem->strings);
    *keep = b.data;

    return b.data;
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

    return attck_report_value(mem, res, best, 1);
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
        t->shortname = attck_report_value(mem, res, i, 0);
        t->name = attck_report_value(mem, res, i, 1);
        t->id = attck_report_value(mem, res, i, 2);
        t->techniques = atol(PQgetvalue(res, i, 3));
        t->seen = atol(PQgetvalue(res, i, 4));
        t->threats = atol(PQgetvalue(res, i, 5));
    }
}


static void
attck_report_techniques(PGconn *db, attck_report_t *r,
    attck_report_mem_t *mem, const char *const *params)
{
    int                        i, k;
    PGresult                  *res;
    attck_report_technique_t  *t;

    res = attck_db_query(db, "report", attck_report_techniques_sql, 4,
                         params);
    mem->res[ATTCK_REPORT_RES_TECHNIQUES] = res;

    r->techniques = attck_xcalloc(PQntuples(res),
                                  sizeof(attck_report_technique_t));
    r->outside = attck_xcalloc(PQntuples(res), sizeof(char *));

    for (i = 0; i < PQntuples(res); i++) {

        /* the release's techniques come first */

        if (strcmp(PQgetvalue(res, i, 1), "t") != 0) {
            r->outside[r->noutside++] = attck_report_value(mem, res, i, 0);
            continue;
        }

        t = &r->techniques[r->ntechniques++];
        t->id = attck_report_value(mem, res, i, 0);
        t->name = attck_report_value(mem, res, i, 2);
        t->tactics = strtoull(PQgetvalue(res, i, 3), NULL, 10);
        t->threats = atol(PQgetvalue(res, i, 4));

        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            t->by_source[k] = atol(PQgetvalue(res, i, 5 + k));
        }

        for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
            t->by_method[k] = atol(PQgetvalue(res, i, 7 + k));
        }

        t->best = strtod(PQgetvalue(res, i, 10), NULL);
        t->mean = strtod(PQgetvalue(res, i, 11), NULL);
        t->first_seen = PQgetvalue(res, i, 12);
        t->last_seen = PQgetvalue(res, i, 13);
    }
}


/* the best threats of each technique, in the order of their scores */

static void
attck_report_threats(PGconn *db, attck_report_t *r, attck_report_mem_t *mem,
    const char *const *params)
{
    int                        i;
    size_t                     k;
    json_t                    *index, *at;
    PGresult                  *res;
    attck_report_threat_t     *th;
    attck_report_technique_t  *t;

    res = attck_db_query(db, "report", attck_report_threats_sql, 4, params);
    mem->res[ATTCK_REPORT_RES_THREATS] = res;

    index = json_object();

    for (k = 0; k < r->ntechniques; k++) {
        json_object_set_new(index, r->techniques[k].id, json_integer(k));
    }

    for (i = 0; i < PQntuples(res); i++) {
        at = json_object_get(index, PQgetvalue(res, i, 0));

        if (at == NULL) {
            continue;
        }

        t = &r->techniques[json_integer_value(at)];

        if (t->ntop == ATTCK_REPORT_TOP_THREATS) {
            continue;
        }

        th = &t->top[t->ntop++];
        th->title = attck_report_value(mem, res, i, 1);
        th->source = attck_report_value(mem, res, i, 2);
        th->source_id = attck_report_value(mem, res, i, 3);
        th->score = strtod(PQgetvalue(res, i, 4), NULL);
        th->method = attck_report_value(mem, res, i, 5);
    }

    json_decref(index);
}


void
attck_report_load(PGconn *db, attck_report_t *r)
{
    int                  k;
    char                 err[512], release[32];
    PGresult            *res;
    const char          *params[4];
    attck_report_mem_t  *mem;

    if (attck_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                      "SET LOCAL TimeZone = 'UTC'", err, sizeof(err))
        != 0)
    {
        attck_fatal(attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL
                                      : ATTCK_EXIT_SOFTWARE,
                    "report: %s", err);
    }

    mem = attck_xcalloc(1, sizeof(attck_report_mem_t));
    attck_vec_init(&mem->strings, sizeof(char *));
    r->mem = mem;

    r->release = attck_report_release(db, r, mem, release, sizeof(release));

    params[0] = release;
    params[1] = r->since;
    params[2] = r->until;
    params[3] = r->source ? r->source : "";

    res = attck_db_query(db, "report", attck_report_summary_sql, 4, params);

    r->threats = atol(PQgetvalue(res, 0, 0));
    r->mapped = atol(PQgetvalue(res, 0, 1));

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        r->by_source[k] = atol(PQgetvalue(res, 0, 2 + k));
    }

    PQclear(res);

    attck_report_tactics(db, r, mem, params);
    attck_report_techniques(db, r, mem, params);
    attck_report_threats(db, r, mem, params);

    (void) attck_db_exec(db, "COMMIT", err, sizeof(err));
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
    r->mem = NULL;
}
