
/*
 * attck-worker report: an ATT&CK Navigator layer (layer format 4.5, as
 * the module serves them): every technique seen in the period, scored
 * by its number of threats, white (none) to red (the most).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "util.h"


#define ATTCK_REPORT_LOW   "#ffffff"
#define ATTCK_REPORT_HIGH  "#ff6666"


static json_t *attck_report_layer_technique(const attck_report_t *r,
    const attck_report_technique_t *t);


static json_t *
attck_report_layer_technique(const attck_report_t *r,
    const attck_report_technique_t *t)
{
    int           k;
    char          num[32];
    json_t       *meta, *entry;
    attck_buf_t   comment;

    memset(&comment, 0, sizeof(attck_buf_t));
    attck_buf_printf(&comment, "%ld threat%s", t->threats,
                     t->threats == 1 ? "" : "s");

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        attck_buf_printf(&comment, "%s %s %ld", k ? "," : ":",
                         attck_report_sources[k], t->by_source[k]);
    }

    attck_buf_printf(&comment, "; best score %.3f, mean %.3f", t->best,
                     t->mean);

    meta = json_array();

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        snprintf(num, sizeof(num), "%ld", t->by_source[k]);
        json_array_append_new(meta, json_pack("{s:s, s:s}", "name",
                                              attck_report_sources[k],
                                              "value", num));
    }

    for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
        snprintf(num, sizeof(num), "%ld", t->by_method[k]);
        json_array_append_new(meta, json_pack("{s:s, s:s}", "name",
                                              attck_report_methods[k],
                                              "value", num));
    }

    snprintf(num, sizeof(num), "%.3f", t->best);
    json_array_append_new(meta, json_pack("{s:s, s:s}", "name", "best score",
                                          "value", num));
    json_array_append_new(meta, json_pack("{s:s, s:s}", "name",
                                          "first seen", "value",
                                          t->first_seen));
    json_array_append_new(meta, json_pack("{s:s, s:s}", "name", "last seen",
                                          "value", t->last_seen));

    entry = json_pack("{s:s, s:I, s:s, s:s, s:b, s:o, s:b}",
                      "techniqueID", t->id,
                      "score", (json_int_t) t->threats,
                      "color", "",
                      "comment", comment.data,
                      "enabled", 1,
                      "metadata", meta,
                      "showSubtechniques", 0);
    free(comment.data);

    return entry;
}


int
attck_report_navigator(const attck_report_t *r, attck_buf_t *out, char *err,
    size_t errlen)
{
    char          attack[16];
    long          max;
    size_t        n;
    json_t       *layer, *techniques;
    attck_buf_t   name, description, most;

    /* "versions.attack" is the major release: "18.1" -> "18" */

    for (n = 0; n < sizeof(attack) - 1 && r->release[n]
                && r->release[n] != '.'; n++)
    {
        attack[n] = r->release[n];
    }

    attack[n] = '\0';

    techniques = attck_report_json_each(r, attck_report_layer_technique, err,
                                        errlen);
    if (techniques == NULL) {
        return -1;
    }

    max = attck_report_technique_most(r);

    memset(&name, 0, sizeof(attck_buf_t));
    memset(&description, 0, sizeof(attck_buf_t));
    memset(&most, 0, sizeof(attck_buf_t));

    attck_buf_printf(&name, "%s %s to %s", r->title, r->since, r->until);
    attck_buf_printf(&description, "Techniques that the threats seen "
                     "from %s to %s (%s) map to, scored by number of "
                     "threats; ATT&CK %s %s; generated %s", r->since,
                     r->until, r->source ? r->source : "every source",
                     r->domain, r->release, r->generated);
    attck_buf_printf(&most, "%ld threat%s", max, max == 1 ? "" : "s");

    /* a gradient needs a range: with nothing seen it still spans 0..1 */

    layer = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, "
                      "s:{s:[s, s], s:i, s:I}, s:[{s:s, s:s}, {s:s, s:s}], "
                      "s:b}",
                      "name", name.data,
                      "description", description.data,
                      "domain", r->domain,
                      "versions", "attack", attack, "navigator", "5.1.0",
                      "layer", "4.5",
                      "techniques", techniques,
                      "gradient", "colors", ATTCK_REPORT_LOW,
                      ATTCK_REPORT_HIGH, "minValue", 0,
                      "maxValue", (json_int_t) (max ? max : 1),
                      "legendItems",
                      "label", "no threats", "color", ATTCK_REPORT_LOW,
                      "label", most.data, "color", ATTCK_REPORT_HIGH,
                      "hideDisabled", 0);

    free(name.data);
    free(description.data);
    free(most.data);

    if (attck_report_json_out(layer, JSON_INDENT(1) | JSON_PRESERVE_ORDER,
                              out)
        != 0)
    {
        snprintf(err, errlen, "the layer cannot be built");
        return -1;
    }

    return 0;
}
