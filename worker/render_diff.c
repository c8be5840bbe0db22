
/*
 * attck-worker: a changelog's bodies.  Markdown and HTML say the same in
 * the same order: per type, per section, one line per object with what
 * changed; text from STIX is escaped for the format (HTML: entities;
 * Markdown: its punctuation with backslashes), control bytes dropped.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "render_diff.h"
#include "util.h"


const char  *attck_diff_formats[ATTCK_DIFF_NFORMATS] = {
    "json", "markdown", "html", "layer"
};


/* the plural headings of the types, in attck_diff_types' order */
static const char  *attck_diff_headings[ATTCK_DIFF_NTYPES] = {
    "Techniques and sub-techniques", "Tactics", "Groups", "Software",
    "Mitigations", "Campaigns", "Data components", "Detection strategies",
    "Analytics", "Assets"
};


/* the layer's colours: additions, changes, revocations, deprecations */
static const struct {
    const char  *label;
    const char  *colour;
} attck_diff_legend[] = {
    { "Addition", "#8ec843" },
    { "Change (major, minor or other version)", "#ffe766" },
    { "Revocation", "#ff6666" },
    { "Deprecation", "#b0b0b0" }
};


typedef struct {
    attck_buf_t  *b;
    int           html;
} attck_diff_out_t;


static const char  attck_diff_style[] =
    "<style>\n"
    "body{font-family:Helvetica,Arial,sans-serif;font-size:14px;"
    "margin:2em;color:#24292f}\n"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #d0d7de}"
    "h3{font-size:15px}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;"
    "padding:2px 6px;text-align:right}th:first-child{text-align:left}\n"
    ".id{font-family:monospace;font-weight:bold}.v{color:#57606a}\n"
    ".add{color:#1a7f37}.del{color:#cf222e}\n"
    "</style>\n";


static void attck_diff_text(attck_diff_out_t *o, const char *s);
static void attck_diff_ids(attck_diff_out_t *o, json_t *ids,
    const char *sign);
static void attck_diff_line(attck_diff_out_t *o, int section, json_t *e);
static void attck_diff_title(attck_diff_out_t *o, json_t *diff,
    const char *domain);
static void attck_diff_doc(attck_diff_out_t *o, json_t *diff);
static const char *attck_diff_domain_title(const char *domain);
static char *attck_diff_layer(json_t *diff, size_t *len);


int
attck_diff_format(const char *name)
{
    int  f;

    for (f = 0; f < ATTCK_DIFF_NFORMATS; f++) {
        if (strcmp(attck_diff_formats[f], name) == 0) {
            return f;
        }
    }

    return -1;
}


static const char *
attck_diff_domain_title(const char *domain)
{
    return strcmp(domain, "mobile-attack") == 0 ? "Mobile"
           : strcmp(domain, "ics-attack") == 0 ? "ICS" : "Enterprise";
}


/* STIX text in the output's format */

static void
attck_diff_text(attck_diff_out_t *o, const char *s)
{
    attck_buf_t  t;
    const char  *p;

    if (s == NULL) {
        return;
    }

    if (o->html) {
        attck_buf_html(o->b, s, 0);
        return;
    }

    memset(&t, 0, sizeof(attck_buf_t));
    attck_buf_text(&t, s, 0);

    for (p = t.data; p && *p; p++) {
        if (strchr("\\`*_[]<>|", *p)) {
            attck_buf_add(o->b, "\\", 1);
        }

        attck_buf_add(o->b, p, 1);
    }

    free(t.data);
}


/* " +G0016 +G0022" (ids are plain: letters, digits, dots) */

static void
attck_diff_ids(attck_diff_out_t *o, json_t *ids, const char *sign)
{
    size_t   i;
    json_t  *id;

    json_array_foreach(ids, i, id) {
        attck_buf_str(o->b, " ");

        if (o->html) {
            attck_buf_str(o->b, *sign == '+' ? "<span class=\"add\">+"
                                             : "<span class=\"del\">&minus;");
        } else {
            attck_buf_str(o->b, *sign == '+' ? "+" : "\xe2\x88\x92");
        }

        attck_diff_text(o, json_string_value(id));

        if (o->html) {
            attck_buf_str(o->b, "</span>");
        }
    }
}


static void
attck_diff_line(attck_diff_out_t *o, int section, json_t *e)
{
    size_t       i;
    json_t      *f, *v, *by, *rels;
    const char  *name, *ov, *nv, *key;

    attck_buf_str(o->b, o->html ? "<li><span class=\"id\">" : "- **");
    attck_diff_text(o, json_string_value(json_object_get(e, "id")));
    attck_buf_str(o->b, o->html ? "</span> " : "** ");
    attck_diff_text(o, json_string_value(json_object_get(e, "name")));

    ov = json_string_value(json_object_get(e, "old_version"));
    nv = json_string_value(json_object_get(e, "new_version"));

    attck_buf_str(o->b, o->html ? " <span class=\"v\">(" : " (");

    if (ov && nv && strcmp(ov, nv) != 0) {
        attck_buf_str(o->b, "v");
        attck_diff_text(o, ov);
        attck_buf_str(o->b, " \xe2\x86\x92 v");
        attck_diff_text(o, nv);

    } else if (ov || nv) {
        attck_buf_str(o->b, "v");
        attck_diff_text(o, nv ? nv : ov);

    } else {
        attck_buf_str(o->b, "no version");
    }

    attck_buf_str(o->b, o->html ? ")</span>" : ")");

    by = json_object_get(e, "revoked_by");

    if (section == ATTCK_DIFF_REVOKED) {
        attck_buf_str(o->b, ": revoked by ");

        if (json_is_object(by)) {
            attck_buf_str(o->b, o->html ? "<span class=\"id\">" : "**");
            attck_diff_text(o, json_string_value(json_object_get(by, "id")));
            attck_buf_str(o->b, o->html ? "</span> " : "** ");
            attck_diff_text(o, json_string_value(json_object_get(by,
                                                                 "name")));
        } else {
            attck_buf_str(o->b, "an object not in this release");
        }
    }

    f = json_object_get(e, "changed");

    if (json_array_size(f)) {
        attck_buf_str(o->b, ": ");
    }

    json_array_foreach(f, i, v) {
        name = json_string_value(v);

        if (i) {
            attck_buf_str(o->b, "; ");
        }

        attck_buf_str(o->b, name);

        if (strcmp(name, "name") == 0) {
            attck_buf_str(o->b, " (was ");
            attck_diff_text(o, json_string_value(json_object_get(e,
                                                             "old_name")));
            attck_buf_str(o->b, ")");

        } else if (strcmp(name, "tactics") == 0
                   || strcmp(name, "platforms") == 0)
        {
            attck_diff_ids(o, json_object_get(json_object_get(e, name),
                                              "added"), "+");
            attck_diff_ids(o, json_object_get(json_object_get(e, name),
                                              "removed"), "-");

        } else if (strcmp(name, "parent") == 0) {
            attck_buf_str(o->b, " ");
            attck_diff_text(o, json_string_value(json_object_get(
                                json_object_get(e, "parent"), "old")));
            attck_buf_str(o->b, " \xe2\x86\x92 ");
            attck_diff_text(o, json_string_value(json_object_get(
                                json_object_get(e, "parent"), "new")));

        } else if (strcmp(name, "relationships") == 0) {
            rels = json_object_get(e, "relationships");

            json_object_foreach(rels, key, v) {
                attck_buf_str(o->b, " ");
                attck_diff_text(o, key);
                attck_buf_str(o->b, ":");
                attck_diff_ids(o, json_object_get(v, "added"), "+");
                attck_diff_ids(o, json_object_get(v, "removed"), "-");
            }
        }
    }

    attck_buf_str(o->b, o->html ? "</li>\n" : "\n");
}


/* "Changes to Enterprise ATT&CK from 16.1 to 18.1" */

static void
attck_diff_title(attck_diff_out_t *o, json_t *diff, const char *domain)
{
    attck_buf_printf(o->b, "Changes to %s ATT%sCK from ", domain,
                     o->html ? "&amp;" : "&");
    attck_diff_text(o, json_string_value(json_object_get(diff, "from")));
    attck_buf_str(o->b, " to ");
    attck_diff_text(o, json_string_value(json_object_get(diff, "to")));
}


static void
attck_diff_doc(attck_diff_out_t *o, json_t *diff)
{
    int          t, s;
    size_t       i;
    json_t      *changes, *sections, *list, *e, *counts, *first;
    const char  *domain;

    domain = attck_diff_domain_title(json_string_value(json_object_get(diff,
                                                                 "domain")));
    changes = json_object_get(diff, "changes");
    counts = json_object_get(diff, "counts");

    if (o->html) {
        attck_buf_str(o->b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                      "<meta charset=\"utf-8\"><title>");
        attck_diff_title(o, diff, domain);
        attck_buf_printf(o->b, "</title>\n%s</head><body>\n<h1>",
                         attck_diff_style);
        attck_diff_title(o, diff, domain);
        attck_buf_str(o->b, "</h1>\n<table><tr><th>type</th>");

        /* the sections of the slice: every type has the same */

        first = NULL;

        for (t = 0; t < ATTCK_DIFF_NTYPES && first == NULL; t++) {
            first = json_object_get(counts, attck_diff_types[t]);
        }

        for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
            if (json_object_get(first, attck_diff_sections[s])) {
                attck_buf_printf(o->b, "<th>%s</th>", attck_diff_titles[s]);
            }
        }

        attck_buf_str(o->b, "</tr>\n");

    } else {
        attck_buf_str(o->b, "# ");
        attck_diff_title(o, diff, domain);
        attck_buf_str(o->b, "\n\n");
    }

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        sections = json_object_get(counts, attck_diff_types[t]);

        if (sections == NULL) {
            continue;
        }

        if (o->html) {
            attck_buf_printf(o->b, "<tr><th>%s</th>", attck_diff_headings[t]);

            for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
                e = json_object_get(sections, attck_diff_sections[s]);

                if (e) {
                    attck_buf_printf(o->b, "<td>%lld</td>",
                                     (long long) json_integer_value(e));
                }
            }

            attck_buf_str(o->b, "</tr>\n");
        }
    }

    if (o->html) {
        attck_buf_str(o->b, "</table>\n");
    }

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        sections = json_object_get(changes, attck_diff_types[t]);

        if (sections == NULL) {
            continue;
        }

        attck_buf_printf(o->b, o->html ? "<h2>%s</h2>\n" : "## %s\n\n",
                         attck_diff_headings[t]);

        for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
            list = json_object_get(sections, attck_diff_sections[s]);

            if (list == NULL) {
                continue;
            }

            attck_buf_printf(o->b, o->html ? "<h3>%s (%zu)</h3>\n"
                                           : "### %s (%zu)\n\n",
                             attck_diff_titles[s], json_array_size(list));

            if (json_array_size(list) == 0) {
                attck_buf_str(o->b, o->html ? "<p>None.</p>\n" : "None.\n\n");
                continue;
            }

            attck_buf_str(o->b, o->html ? "<ul>\n" : "");

            json_array_foreach(list, i, e) {
                attck_diff_line(o, s, e);
            }

            attck_buf_str(o->b, o->html ? "</ul>\n" : "\n");
        }
    }

    if (o->html) {
        attck_buf_str(o->b, "</body></html>\n");
    }
}


/* the techniques' sections as a Navigator layer, one colour each */

static char *
attck_diff_layer(json_t *diff, size_t *len)
{
    int          s, c;
    char         attack[16], name[128], *body;
    size_t       i, k, n;
    json_t      *layer, *techs, *legend, *list, *e, *f, *t;
    attck_buf_t  comment;
    const char  *to, *domain;
    static const int  colour[ATTCK_DIFF_NSECTIONS] = {
        0, 1, 1, 1, -1, 2, 3, -1
    };

    to = json_string_value(json_object_get(diff, "to"));
    domain = json_string_value(json_object_get(diff, "domain"));

    for (n = 0; to[n] && to[n] != '.' && n < sizeof(attack) - 1; n++) {
        attack[n] = to[n];
    }

    attack[n] = '\0';

    snprintf(name, sizeof(name), "%s ATT&CK changes %s to %s",
             attck_diff_domain_title(domain),
             json_string_value(json_object_get(diff, "from")), to);

    techs = json_array();
    legend = json_array();

    for (c = 0; c < 4; c++) {
        json_array_append_new(legend, json_pack("{s:s, s:s}",
                              "label", attck_diff_legend[c].label,
                              "color", attck_diff_legend[c].colour));
    }

    for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
        list = json_object_get(json_object_get(json_object_get(diff,
                               "changes"), "technique"),
                               attck_diff_sections[s]);

        if (colour[s] < 0) {
            continue;
        }

        json_array_foreach(list, i, e) {
            memset(&comment, 0, sizeof(attck_buf_t));
            attck_buf_str(&comment, attck_diff_titles[s]);

            json_array_foreach(json_object_get(e, "changed"), k, f) {
                attck_buf_str(&comment, k ? ", " : ": ");
                attck_buf_str(&comment, json_string_value(f));
            }

            f = json_object_get(json_object_get(e, "revoked_by"), "id");

            if (f) {
                attck_buf_str(&comment, ": revoked by ");
                attck_buf_str(&comment, json_string_value(f));
            }

            t = json_pack("{s:O, s:i, s:s, s:s, s:b, s:[], s:b}",
                          "techniqueID", json_object_get(e, "id"),
                          "score", 1,
                          "color", attck_diff_legend[colour[s]].colour,
                          "comment", comment.data,
                          "enabled", 1,
                          "metadata",
                          "showSubtechniques", 0);
            free(comment.data);

            json_array_append_new(techs, t);
        }
    }

    layer = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, "
                      "s:{s:[s, s], s:i, s:i}, s:o, s:b, s:b}",
                      "name", name,
                      "description", "additions, changes (major, minor and "
                      "other version changes), revocations and deprecations",
                      "domain", domain,
                      "versions", "attack", attack, "navigator", "5.1.0",
                      "layer", "4.5",
                      "techniques", techs,
                      "gradient", "colors", "#ffffff", "#ffffff",
                      "minValue", 0, "maxValue", 1,
                      "legendItems", legend,
                      "hideDisabled", 0,
                      "showTacticRowBackground", 0);

    body = json_dumps(layer, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(layer);

    if (body == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot serialise a layer");
    }

    *len = strlen(body);

    return body;
}


char *
attck_render_diff(json_t *diff, int format, size_t *len)
{
    char              *s;
    attck_buf_t        b;
    attck_diff_out_t   o;

    if (format == ATTCK_DIFF_LAYER) {
        return attck_diff_layer(diff, len);
    }

    if (format == ATTCK_DIFF_JSON) {
        s = json_dumps(diff, JSON_COMPACT|JSON_PRESERVE_ORDER);
        if (s == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot serialise a changelog");
        }

        *len = strlen(s);
        return s;
    }

    memset(&b, 0, sizeof(attck_buf_t));
    o.b = &b;
    o.html = (format == ATTCK_DIFF_HTML);

    attck_diff_doc(&o, diff);

    *len = b.len;

    return b.data;
}
