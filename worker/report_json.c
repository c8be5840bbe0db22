
/*
 * attck-worker report: JSON, one document with everything the other
 * formats show.  "techniques" lists every technique seen, ranked, each
 * with its best threats; the top list is its first "parameters.top".
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
    size_t                        n;
    json_t                       *tactics, *top;
    const attck_report_threat_t  *th;

    tactics = json_array();

    for (n = 0; attck_report_tactic_next(r, t, &n); n++) {
        json_array_append_new(tactics, json_string(r->tactics[n].shortname));
    }

    top = json_array();

    for (n = 0; n < t->ntop; n++) {
        th = &t->top[n];

        json_array_append_new(top,
            json_pack("{s:s, s:s, s:s, s:f, s:s}",
                      "title", th->title, "source", th->source,
                      "source_id", th->source_id, "score", th->score,
                      "method", th->method));
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
                    "s:o, s:o, s:o, s:o}",
                    "kind", r->kind, "title", r->title,
                    "parameters",
                        "since", r->since, "until", r->until,
                        "source", r->source, "domain", r->domain,
                        "release", r->release, "top", (json_int_t) r->top,
                    "generated_at", r->generated,
                    "summary", attck_report_json_summary(r),
                    "tactics", attck_report_json_tactics(r),
                    "techniques", techniques,
                    "moved_mappings", moves);

    if (attck_report_json_out(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER
                                   | JSON_REAL_PRECISION(6), out)
        != 0)
    {
        snprintf(err, errlen, "the document cannot be built");
        return -1;
    }

    return 0;
}
