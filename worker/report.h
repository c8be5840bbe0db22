
/*
 * attck-worker report: analyst reports made from PostgreSQL.
 *
 * report_model.c reads one period of threat intelligence into the model
 * below, in one transaction; each report_<format>.c renders that model,
 * and only it, into memory.  Every format shows the same figures.
 * Strings in the model are valid UTF-8 (the loader replaces what is not);
 * renderers still escape them for their format: they come from outside.
 */

#ifndef _ATTCK_REPORT_H_INCLUDED_
#define _ATTCK_REPORT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "util.h"


#define ATTCK_REPORT_SOURCES      2      /* otx, virustotal */
#define ATTCK_REPORT_METHODS      3      /* explicit, model, analyst */
#define ATTCK_REPORT_TOP_THREATS  5      /* listed under each technique */
#define ATTCK_REPORT_MAX_TACTICS  63     /* bits of a technique's mask */
#define ATTCK_REPORT_SENTENCES    3      /* supporting, of each mapping */


typedef struct {
    const char  *title;
    const char  *source;
    const char  *source_id;
    const char  *method;
    double       score;
    size_t       nsentences;
    const char  *sentences[ATTCK_REPORT_SENTENCES];  /* best first */
} attck_report_threat_t;


typedef struct {
    const char  *shortname;
    const char  *name;
    const char  *id;             /* TA0001 */
    long         techniques;     /* active ones in the tactic */
    long         seen;           /* of those, mapped in the period */
    long         threats;        /* mapped to any of them */
} attck_report_tactic_t;


typedef struct {
    const char             *id;
    const char             *name;
    uint64_t                tactics;   /* bit i: the report's tactic i */
    long                    threats;
    long                    by_source[ATTCK_REPORT_SOURCES];
    long                    by_method[ATTCK_REPORT_METHODS];
    double                  best;
    double                  mean;
    const char             *first_seen;
    const char             *last_seen;
    size_t                  ntop;
    attck_report_threat_t   top[ATTCK_REPORT_TOP_THREATS];
} attck_report_technique_t;


/* a mapping that followed a revocation (attck-worker map, remap.c) */
typedef struct {
    const char             *title;     /* the threat's */
    const char             *from;      /* the revoked technique */
    const char             *to;        /* the one replacing it */
    const char             *release;   /* that revoked it */
    const char             *method;
    const char             *moved_at;
    int                     merged;    /* the threat had "to" already */
} attck_report_move_t;


/* a count under one label: a threat type, a country */
typedef struct {
    const char             *key;       /* "" for threats without a type */
    long                    threats;
} attck_report_count_t;


/* the threats of one step of the period (a day, week or month), by source */
typedef struct {
    const char             *start;     /* YYYY-MM-DD, UTC */
    long                    by_source[ATTCK_REPORT_SOURCES];
} attck_report_step_t;


typedef struct {
    const char                *kind;        /* "threat-landscape" */
    const char                *title;
    char                       since[32];   /* ISO 8601, UTC */
    char                       until[32];
    char                       generated[32];
    const char                *source;      /* NULL: every source */
    const char                *domain;
    const char                *release;
    size_t                     top;         /* techniques in the top list */

    long                       threats;
    long                       mapped;      /* with at least one mapping */
    long                       by_source[ATTCK_REPORT_SOURCES];

    size_t                     ntactics;    /* in the matrix's order */
    attck_report_tactic_t     *tactics;

    size_t                     ntechniques; /* seen, by rank */
    attck_report_technique_t  *techniques;

    size_t                     noutside;    /* seen, not in the release */
    const char               **outside;

    size_t                     nmoves;      /* moved in the period */
    attck_report_move_t       *moves;

    void                      *mem;         /* see report_model.c */

    /* the charts' series (report_series.c) */
    const char                *step;        /* "day", "week", "month" */
    size_t                     nsteps;      /* every step, empty or not */
    attck_report_step_t       *steps;
    size_t                     ntypes;      /* most threats first */
    attck_report_count_t      *types;
    size_t                     ncountries;  /* most threats first */
    attck_report_count_t      *countries;
    void                      *series_mem;
} attck_report_t;


/* one output format: renders into out, or -1 with err set */
typedef int (*attck_report_render_pt)(const attck_report_t *r,
    attck_buf_t *out, char *err, size_t errlen);


extern const char  *attck_report_sources[ATTCK_REPORT_SOURCES];
extern const char  *attck_report_methods[ATTCK_REPORT_METHODS];


int attck_report_main(int argc, char **argv);

/*
 * Reads the report of r's period, source and domain, set by the caller,
 * in one read-only repeatable-read transaction (report_model.c); exits
 * 66 when the domain has no release, 75 when the database went away.
 */
void attck_report_load(PGconn *db, attck_report_t *r);
void attck_report_free(attck_report_t *r);

/*
 * The series of the charts, read in the caller's transaction: threats
 * over time (by day up to 62 days, by week up to 3 years, else by month),
 * per threat type, per targeted country.
 */
void attck_report_series_load(PGconn *db, attck_report_t *r);
void attck_report_series_free(attck_report_t *r);

/* the charts of the HTML report (report_html_charts.c) */
void attck_report_html_charts(const attck_report_t *r, attck_buf_t *out);

int attck_report_html(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen);
int attck_report_pdf(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen);
int attck_report_csv(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen);
int attck_report_json(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen);
int attck_report_navigator(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen);

/* what the renderers share (report.c) */

/* the techniques of the top list: at most r->top */
size_t attck_report_ntop(const attck_report_t *r);

/*
 * Finds t's next tactic from *i on, in the matrix's order: 1 with *i its
 * index, or 0 when there is none left.
 */
int attck_report_tactic_next(const attck_report_t *r,
    const attck_report_technique_t *t, size_t *i);

/* shortnames of a technique's tactics, in the matrix's order, joined */
void attck_report_tactic_list(const attck_report_t *r,
    const attck_report_technique_t *t, const char *sep, attck_buf_t *out);

/* the most threats of a tactic, of a technique: what charts scale to */
long attck_report_tactic_most(const attck_report_t *r);
long attck_report_technique_most(const attck_report_t *r);

/* v's colour on the charts' heat scale, 0 to max: rgb from 0 to 1 */
void attck_report_heat(long v, long max, double rgb[3]);

/*
 * an array of every technique seen, each as build makes it; NULL with err
 * set if one cannot be built
 */
json_t *attck_report_json_each(const attck_report_t *r,
    json_t *(*build)(const attck_report_t *r,
                     const attck_report_technique_t *t),
    char *err, size_t errlen);

/*
 * doc, whose reference it takes, as JSON text into out with a line end;
 * -1 when doc is NULL, as json_pack() gives for what it cannot build
 */
int attck_report_json_out(json_t *doc, size_t flags, attck_buf_t *out);


#endif /* _ATTCK_REPORT_H_INCLUDED_ */
