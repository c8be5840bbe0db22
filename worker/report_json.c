
/*
 * attck-worker report: JSON, one document with everything the other
 * formats show.  "techniques" lists every technique seen, ranked, each
 * with its best threats; the top list is its first "parameters.top".
 * "series" holds what the charts draw: threats over time by source,
 * per threat type (null: none given), per targeted country, and the
 * matrix of the period, a tactic each with its techniques seen.
 */


#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "report.h"
#include "util.h"


static json_t *attck_report_json_counts(const char **names,
    const long *counts, size_t n);
static json_t *attck_report_json_summary(const attck_report_t *r);
static json_t *attck_report_json_tactics(const attck_report_t *r);
static json_t *attck_report_json_technique(const attck_report_t *r,
    const attck_report_technique_t *t);
static json_t *attck_report_json_keyed(const attck_report_count_t *c,
    size_t n, const char *name);
static json_t *attck_report_json_series(const attck_report_t *r);


/* {"otx": 3, "virustotal": 1}: counts by source or by method */

static json_t *
attck_report_json_counts(const char **names, const long *counts, size_t n)
{
    size_t   i;
    json_t  *o;

    o = json_object();

    for (i = 0; i < n; i++) {
        json_object_set_new(o, names[i], json_integer(counts[i]));
    }

    return o;
}


static json_t *
attck_report_json_summary(const attck_report_t *r)
{
    size_t   i;
    json_t  *outside;

    outside = json_array();

    for (i = 0; i < r->noutside; i++) {
        json_array_append_new(outside, json_string(r->outside[i]));
    }

    return json_pack("{s:I, s:I, s:I, s:o, s:{s:s, s:I, s:o}}",
                     "threats", (json_int_t) r->threats,
                     "mapped_threats", (json_int_t) r->mapped,
                     "techniques_seen", (json_int_t) r->ntechniques,
                     "threats_by_source",
                         attck_report_json_counts(attck_report_sources,
                                                  r->by_source,
                                                  ATTCK_REPORT_SOURCES),
                     "not_in_release",
                         "release", r->release,
                         "techniques", (json_int_t) r->noutside,
                         "ids", outside);
}


static json_t *
attck_report_json_tactics(const attck_report_t *r)
{
    size_t                        i;
    json_t                       *list;
    const attck_report_tactic_t  *t;

    list = json_array();

    for (i = 0; i < r->ntactics; i++) {
        t = &r->tactics[i];

        json_array_append_new(list,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
                      "id", t->id, "shortname", t->shortname,
                      "name", t->name,
                      "techniques", (json_int_t) t->techniques,
                      "techniques_seen", (json_int_t) t->seen,
                      "threats", (json_int_t) t->threats));
    }

    return list;
}


static json_t *
attck_report_json_technique(const attck_report_t *r,
    const attck_report_technique_t *t)
{
    size_t                        n, k;
    json_t                       *tactics, *top, *sentences;
    const attck_report_threat_t  *th;

    tactics = json_array();

    for (n = 0; attck_report_tactic_next(r, t, &n); n++) {
        json_array_append_new(tactics, json_string(r->tactics[n].shortname));
    }

    top = json_array();

    for (n = 0; n < t->ntop; n++) {
        th = &t->top[n];
        sentences = json_array();

        for (k = 0; k < th->nsentences; k++) {
            json_array_append_new(sentences,
                                  json_string(th->sentences[k]));
        }

        json_array_append_new(top,
            json_pack("{s:s, s:s, s:s, s:f, s:s, s:o}",
                      "title", th->title, "source", th->source,
                      "source_id", th->source_id, "score", th->score,
                      "method", th->method, "sentences", sentences));
    }

    return json_pack("{s:I, s:s, s:s, s:o, s:I, s:o, s:f, s:f, s:o, s:s, "
                     "s:s, s:o}",
                     "rank", (json_int_t) (t - r->techniques) + 1,
                     "id", t->id, "name", t->name, "tactics", tactics,
                     "threats", (json_int_t) t->threats,
                     "threats_by_source",
                         attck_report_json_counts(attck_report_sources,
                                                  t->by_source,
                                                  ATTCK_REPORT_SOURCES),
                     "best_score", t->best, "mean_score", t->mean,
                     "methods",
                         attck_report_json_counts(attck_report_methods,
                                                  t->by_method,
                                                  ATTCK_REPORT_METHODS),
                     "first_seen", t->first_seen, "last_seen", t->last_seen,
                     "top_threats", top);
}


/* [{name: key, "threats": n}], an empty key as null */

static json_t *
attck_report_json_keyed(const attck_report_count_t *c, size_t n,
    const char *name)
{
    size_t   i;
    json_t  *a;

    a = json_array();

    for (i = 0; i < n; i++) {
        json_array_append_new(a, json_pack("{s:o, s:I}", name,
                                           *c[i].key ? json_string(c[i].key)
                                                     : json_null(),
                                           "threats",
                                           (json_int_t) c[i].threats));
    }

    return a;
}


static json_t *
attck_report_json_series(const attck_report_t *r)
{
    size_t                           i, k, j;
    json_t                          *time, *matrix, *techs, *o;
    const attck_report_technique_t  *t;

    time = json_array();

    for (i = 0; i < r->nsteps; i++) {
        o = attck_report_json_counts(attck_report_sources,
                                     r->steps[i].by_source,
                                     ATTCK_REPORT_SOURCES);
        json_object_set_new(o, "start", json_string(r->steps[i].start));
        json_array_append_new(time, o);
    }

    matrix = json_array();

    for (i = 0; i < r->ntactics; i++) {
        techs = json_array();

        for (k = 0; k < r->ntechniques; k++) {
            t = &r->techniques[k];
            j = i;

            if (attck_report_tactic_next(r, t, &j) && j == i) {
                json_array_append_new(techs, json_pack("{s:s, s:I}",
                                      "id", t->id,
                                      "threats", (json_int_t) t->threats));
            }
        }

        json_array_append_new(matrix, json_pack("{s:s, s:s, s:o}",
                              "tactic", r->tactics[i].shortname,
                              "id", r->tactics[i].id,
                              "techniques", techs));
    }

    return json_pack("{s:s, s:o, s:o, s:o, s:o}",
                     "step", r->step, "over_time", time,
                     "threat_types",
                         attck_report_json_keyed(r->types, r->ntypes,
                                                 "type"),
                     "countries",
                         attck_report_json_keyed(r->countries, r->ncountries,
                                                 "country"),
                     "matrix", matrix);
}


int
attck_report_json(const attck_report_t *r, attck_buf_t *out, char *err,
    size_t errlen)
{
    size_t   i;
    json_t  *doc, *techniques, *moves;

    techniques = attck_report_json_each(r, attck_report_json_technique, err,
                                        errlen);
    if (techniques == NULL) {
        return -1;
    }

    moves = json_array();

    for (i = 0; i < r->nmoves; i++) {
        json_array_append_new(moves, json_pack("{s:s, s:s, s:s, s:s, s:s, "
                              "s:s, s:b}",
                              "threat", r->moves[i].title,
                              "from", r->moves[i].from,
                              "to", r->moves[i].to,
                              "release", r->moves[i].release,
                              "method", r->moves[i].method,
                              "moved_at", r->moves[i].moved_at,
                              "merged", r->moves[i].merged));
    }

    doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s?, s:s, s:s, s:I}, s:s, "
                    "s:o, s:o, s:o, s:o, s:o}",
                    "kind", r->kind, "title", r->title,
                    "parameters",
                        "since", r->since, "until", r->until,
                        "source", r->source, "domain", r->domain,
                        "release", r->release, "top", (json_int_t) r->top,
                    "generated_at", r->generated,
                    "summary", attck_report_json_summary(r),
                    "tactics", attck_report_json_tactics(r),
                    "techniques", techniques,
                    "moved_mappings", moves,
                    "series", attck_report_json_series(r));

    if (attck_report_json_out(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER
                                   | JSON_REAL_PRECISION(6), out)
        != 0)
    {
        snprintf(err, errlen, "the document cannot be built");
        return -1;
    }

    return 0;
}
