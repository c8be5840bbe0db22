
/*
 * attck-worker report: the charts of the HTML report, inline SVG and
 * HTML only (the report's Content-Security-Policy fetches nothing and
 * runs nothing): threats over time, one line per source; threat types;
 * the targeted countries on a world map (report_world.c) and ranked; and
 * the ATT&CK matrix of the period as a heatmap.  Every label from the
 * database is escaped, and each mark carries its figure in a <title>,
 * which browsers show as a tooltip and screen readers read.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "report_world.h"
#include "util.h"


#define ATTCK_REPORT_LINE_WIDTH    960
#define ATTCK_REPORT_LINE_HEIGHT   240
#define ATTCK_REPORT_LINE_LEFT     48      /* room for the y axis */
#define ATTCK_REPORT_LINE_BOTTOM   28      /* room for the dates */
#define ATTCK_REPORT_ROW           20      /* a bar's row */
#define ATTCK_REPORT_LABEL         240     /* a bar's label column */
#define ATTCK_REPORT_BAR           560     /* the longest bar */
#define ATTCK_REPORT_LABEL_CHARS   36
#define ATTCK_REPORT_TOP_COUNTRIES 20
#define ATTCK_REPORT_UNPLACED      20      /* names listed off the map */


static const char  *attck_report_series_colours[ATTCK_REPORT_SOURCES] = {
    "#1f6feb", "#d9534f"
};


static void attck_report_html_colour(attck_buf_t *out, long v, long max);
static void attck_report_html_key(attck_buf_t *out, const char *key,
    size_t max, int svg);
static void attck_report_html_time(const attck_report_t *r,
    attck_buf_t *out);
static void attck_report_html_counts(attck_buf_t *out, const char *id,
    const attck_report_count_t *c, size_t n);
static void attck_report_html_types(const attck_report_t *r,
    attck_buf_t *out);
static const attck_report_country_t *attck_report_html_country(
    const char *key);
static void attck_report_html_map(const attck_report_t *r, attck_buf_t *out);
static void attck_report_html_countries(const attck_report_t *r,
    attck_buf_t *out);
static void attck_report_html_heatmap(const attck_report_t *r,
    attck_buf_t *out);


/* #rrggbb of v on the heat scale */

static void
attck_report_html_colour(attck_buf_t *out, long v, long max)
{
    double  rgb[3];

    attck_report_heat(v, max, rgb);
    attck_buf_printf(out, "#%02x%02x%02x", (int) (rgb[0] * 255 + 0.5),
                     (int) (rgb[1] * 255 + 0.5), (int) (rgb[2] * 255 + 0.5));
}


/*
 * A type or a country as a feed gave it; the empty type is named.  In
 * HTML text it is isolated for bidirectional text (<bdi>); SVG text has
 * no such element (it would hide the text), and takes it as it is.
 */

static void
attck_report_html_key(attck_buf_t *out, const char *key, size_t max,
    int svg)
{
    if (*key == '\0') {
        attck_buf_str(out, "(none)");
        return;
    }

    attck_buf_str(out, svg ? "" : "<bdi>");
    attck_buf_html(out, key, max);
    attck_buf_str(out, svg ? "" : "</bdi>");
}


/* a line per source over every step of the period, 0 included */

static void
attck_report_html_time(const attck_report_t *r, attck_buf_t *out)
{
    int      k;
    long     max, v;
    double   x, y, dx, plot_w, plot_h;
    size_t   i, label;

    max = 0;

    for (i = 0; i < r->nsteps; i++) {
        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            v = r->steps[i].by_source[k];
            max = v > max ? v : max;
        }
    }

    attck_buf_printf(out, "<section id=\"over-time\">\n<h2>Threats over time"
                     " <small>per %s</small></h2>\n", r->step);

    if (r->nsteps == 0) {
        attck_buf_str(out, "<p class=\"empty\">The period is empty.</p>\n"
                      "</section>\n");
        return;
    }

    plot_w = ATTCK_REPORT_LINE_WIDTH - ATTCK_REPORT_LINE_LEFT - 16;
    plot_h = ATTCK_REPORT_LINE_HEIGHT - ATTCK_REPORT_LINE_BOTTOM - 24;
    dx = r->nsteps > 1 ? plot_w / (r->nsteps - 1) : 0;

    attck_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "role=\"img\" class=\"chart\" id=\"chart-time\" "
                     "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
                     "<title>Threats per %s and source</title>\n",
                     ATTCK_REPORT_LINE_WIDTH, ATTCK_REPORT_LINE_HEIGHT,
                     ATTCK_REPORT_LINE_WIDTH, ATTCK_REPORT_LINE_HEIGHT,
                     r->step);

    /* the axes, the largest count and the first, middle and last step */

    attck_buf_printf(out, "<path d=\"M%d 20V%.1fH%d\" stroke=\"#8c959f\" "
                     "fill=\"none\"/>\n<text x=\"%d\" y=\"26\" "
                     "text-anchor=\"end\">%ld</text><text x=\"%d\" "
                     "y=\"%.1f\" text-anchor=\"end\">0</text>\n",
                     ATTCK_REPORT_LINE_LEFT, 20 + plot_h,
                     ATTCK_REPORT_LINE_WIDTH - 8, ATTCK_REPORT_LINE_LEFT - 6,
                     max, ATTCK_REPORT_LINE_LEFT - 6, 24 + plot_h);

    for (label = 0; label < 3; label++) {
        i = label == 0 ? 0 : label == 1 ? r->nsteps / 2 : r->nsteps - 1;

        if ((label == 1 && (i == 0 || i == r->nsteps - 1))
            || (label == 2 && r->nsteps == 1))
        {
            continue;
        }

        attck_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" "
                         "text-anchor=\"%s\">%s</text>\n",
                         ATTCK_REPORT_LINE_LEFT + i * dx,
                         ATTCK_REPORT_LINE_HEIGHT - 8,
                         label == 0 ? "start" : label == 1 ? "middle" : "end",
                         r->steps[i].start);
    }

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        attck_buf_printf(out, "<g class=\"series\" data-source=\"%s\">"
                         "<polyline fill=\"none\" stroke=\"%s\" "
                         "stroke-width=\"2\" points=\"",
                         attck_report_sources[k],
                         attck_report_series_colours[k]);

        for (i = 0; i < r->nsteps; i++) {
            x = ATTCK_REPORT_LINE_LEFT + i * dx;
            y = 20 + plot_h
                - (max ? plot_h * r->steps[i].by_source[k] / max : 0);
            attck_buf_printf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
        }

        attck_buf_str(out, "\"/>\n");

        /* a point per step that has threats, with its figure */

        for (i = 0; i < r->nsteps; i++) {
            v = r->steps[i].by_source[k];

            if (v == 0) {
                continue;
            }

            attck_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                             "fill=\"%s\"><title>%s %s: %ld</title>"
                             "</circle>\n",
                             ATTCK_REPORT_LINE_LEFT + i * dx,
                             20 + plot_h - plot_h * v / max,
                             attck_report_series_colours[k],
                             r->steps[i].start, attck_report_sources[k], v);
        }

        attck_buf_printf(out, "<rect x=\"%d\" y=\"4\" width=\"12\" "
                         "height=\"4\" fill=\"%s\"/><text x=\"%d\" "
                         "y=\"10\">%s</text></g>\n",
                         ATTCK_REPORT_LINE_LEFT + 10 + k * 120,
                         attck_report_series_colours[k],
                         ATTCK_REPORT_LINE_LEFT + 26 + k * 120,
                         attck_report_sources[k]);
    }

    attck_buf_str(out, "</svg>\n</section>\n");
}


/* horizontal bars of counts, most first; a figure in each bar's title */

static void
attck_report_html_counts(attck_buf_t *out, const char *id,
    const attck_report_count_t *c, size_t n)
{
    long    max, w;
    size_t  i, y;

    max = n ? c[0].threats : 0;
    max = max > 0 ? max : 1;

    attck_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "role=\"img\" class=\"chart\" id=\"%s\" width=\"%d\" "
                     "height=\"%zu\" viewBox=\"0 0 %d %zu\">\n",
                     id, ATTCK_REPORT_LABEL + ATTCK_REPORT_BAR + 60,
                     n * ATTCK_REPORT_ROW + 8,
                     ATTCK_REPORT_LABEL + ATTCK_REPORT_BAR + 60,
                     n * ATTCK_REPORT_ROW + 8);

    for (i = 0; i < n; i++) {
        y = i * ATTCK_REPORT_ROW + 4;
        w = c[i].threats * ATTCK_REPORT_BAR / max;

        attck_buf_printf(out, "<g class=\"bar\"><text x=\"%d\" y=\"%zu\" "
                         "text-anchor=\"end\">", ATTCK_REPORT_LABEL - 8,
                         y + 13);
        attck_report_html_key(out, c[i].key, ATTCK_REPORT_LABEL_CHARS, 1);
        attck_buf_printf(out, "</text><rect x=\"%d\" y=\"%zu\" "
                         "width=\"%ld\" height=\"14\" fill=\"#57606a\">"
                         "<title>", ATTCK_REPORT_LABEL, y + 2, w);
        attck_report_html_key(out, c[i].key, 0, 1);
        attck_buf_printf(out, ": %ld</title></rect><text x=\"%ld\" "
                         "y=\"%zu\">%ld</text></g>\n", c[i].threats,
                         ATTCK_REPORT_LABEL + w + 6, y + 13, c[i].threats);
    }

    attck_buf_str(out, "</svg>\n");
}


static void
attck_report_html_types(const attck_report_t *r, attck_buf_t *out)
{
    attck_buf_str(out, "<section id=\"types\">\n<h2>Threat types</h2>\n");

    if (r->ntypes == 0) {
        attck_buf_str(out, "<p class=\"empty\">No threat in the period."
                      "</p>\n</section>\n");
        return;
    }

    attck_report_html_counts(out, "chart-types", r->types, r->ntypes);
    attck_buf_str(out, "</section>\n");
}


/* the map's country a feed's key names: a code or a name, any case */

static const attck_report_country_t *
attck_report_html_country(const char *key)
{
    size_t                         i, k;
    const attck_report_country_t  *c;

    for (i = 0; i < attck_report_nworld; i++) {
        c = &attck_report_world[i];

        if ((*c->alpha2 && strcasecmp(key, c->alpha2) == 0)
            || (*c->alpha3 && strcasecmp(key, c->alpha3) == 0))
        {
            return c;
        }

        for (k = 0; k < ATTCK_REPORT_WORLD_NAMES; k++) {
            if (c->names[k] && strcasecmp(key, c->names[k]) == 0) {
                return c;
            }
        }
    }

    return NULL;
}


/*
 * Every country of the map, shaded by its threats; a country named in
 * two ways by feeds ("US", "United States") adds up.
 */

static void
attck_report_html_map(const attck_report_t *r, attck_buf_t *out)
{
    long                          *counts, max;
    size_t                         i, k, unplaced;
    const attck_report_country_t  *c;

    counts = attck_xcalloc(attck_report_nworld + 1, sizeof(long));
    unplaced = 0;

    for (i = 0; i < r->ncountries; i++) {
        c = attck_report_html_country(r->countries[i].key);

        if (c == NULL) {
            unplaced++;
            continue;
        }

        counts[c - attck_report_world] += r->countries[i].threats;
    }

    max = 0;

    for (k = 0; k < attck_report_nworld; k++) {
        max = counts[k] > max ? counts[k] : max;
    }

    attck_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "role=\"img\" class=\"chart\" id=\"chart-map\" "
                     "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
                     "<title>Threats per targeted country</title>\n"
                     "<rect width=\"%d\" height=\"%d\" fill=\"#eef4fa\"/>\n",
                     attck_report_world_width, attck_report_world_height,
                     attck_report_world_width, attck_report_world_height,
                     attck_report_world_width, attck_report_world_height);

    for (k = 0; k < attck_report_nworld; k++) {
        c = &attck_report_world[k];

        attck_buf_printf(out, "<path class=\"country\" data-threats=\"%ld\" "
                         "stroke=\"#8c959f\" stroke-width=\"0.4\" fill=\"",
                         counts[k]);

        if (counts[k]) {
            attck_report_html_colour(out, counts[k], max);

        } else {
            attck_buf_str(out, "#ffffff");
        }

        attck_buf_printf(out, "\" d=\"%s\"><title>", c->path);
        attck_buf_html(out, c->names[0], 0);
        attck_buf_printf(out, ": %ld</title></path>\n", counts[k]);
    }

    attck_buf_str(out, "</svg>\n");

    /* what a feed named that the map does not have, most threats first */

    if (unplaced) {
        attck_buf_printf(out, "<p class=\"unplaced\"><small>Not on the map "
                         "(%zu):", unplaced);

        for (i = 0, k = 0; i < r->ncountries && k < ATTCK_REPORT_UNPLACED;
             i++)
        {
            if (attck_report_html_country(r->countries[i].key) != NULL) {
                continue;
            }

            attck_buf_str(out, k++ ? ", " : " ");
            attck_report_html_key(out, r->countries[i].key,
                                  ATTCK_REPORT_LABEL_CHARS, 0);
            attck_buf_printf(out, " %ld", r->countries[i].threats);
        }

        attck_buf_str(out, unplaced > k ? ", &hellip;</small></p>\n"
                                        : "</small></p>\n");
    }

    free(counts);
}


static void
attck_report_html_countries(const attck_report_t *r, attck_buf_t *out)
{
    size_t  n;

    attck_buf_str(out, "<section id=\"countries\">\n"
                  "<h2>Targeted countries</h2>\n");

    if (r->ncountries == 0) {
        attck_buf_str(out, "<p class=\"empty\">No threat of the period "
                      "names a targeted country.</p>\n</section>\n");
        return;
    }

    attck_report_html_map(r, out);

    n = r->ncountries < ATTCK_REPORT_TOP_COUNTRIES
        ? r->ncountries : ATTCK_REPORT_TOP_COUNTRIES;

    attck_buf_printf(out, "<h3>Top %zu <small>of %zu named</small></h3>\n",
                     n, r->ncountries);
    attck_report_html_counts(out, "chart-countries", r->countries, n);
    attck_buf_str(out, "</section>\n");
}


/*
 * The matrix of the period: a column per tactic, in the matrix's order,
 * with the techniques seen under it, most threats first, shaded by them
 */

static void
attck_report_html_heatmap(const attck_report_t *r, attck_buf_t *out)
{
    long                             max;
    size_t                           i, k, j;
    const attck_report_technique_t  *t;

    max = attck_report_technique_most(r);

    attck_buf_str(out, "<section id=\"heatmap\">\n<h2>ATT&amp;CK matrix of "
                  "the period</h2>\n");

    if (r->ntechniques == 0) {
        attck_buf_str(out, "<p class=\"empty\">No threat of the period maps "
                      "to a technique of this release.</p>\n</section>\n");
        return;
    }

    attck_buf_str(out, "<div class=\"heatmap\"><table class=\"heatmap\">\n"
                  "<tr>");

    for (i = 0; i < r->ntactics; i++) {
        attck_buf_printf(out, "<th data-tactic=\"%zu\">", i);
        attck_buf_html(out, r->tactics[i].name, 0);
        attck_buf_printf(out, "<br><small>%ld of %ld</small></th>",
                         r->tactics[i].seen, r->tactics[i].techniques);
    }

    attck_buf_str(out, "</tr>\n<tr>");

    for (i = 0; i < r->ntactics; i++) {
        attck_buf_str(out, "<td>");

        /* techniques are ranked: their order is the column's */

        for (k = 0; k < r->ntechniques; k++) {
            t = &r->techniques[k];
            j = i;

            if (!attck_report_tactic_next(r, t, &j) || j != i) {
                continue;
            }

            attck_buf_printf(out, "<div class=\"hm\" data-id=\"");
            attck_buf_html(out, t->id, 0);
            attck_buf_printf(out, "\" data-threats=\"%ld\" "
                             "style=\"background:", t->threats);
            attck_report_html_colour(out, t->threats, max);
            attck_buf_str(out, t->threats * 2 > max ? ";color:#fff\" title=\""
                                                    : "\" title=\"");
            attck_buf_html(out, t->id, 0);
            attck_buf_str(out, " ");
            attck_buf_html(out, t->name, 0);
            attck_buf_printf(out, ": %ld threats\">", t->threats);
            attck_buf_html(out, t->id, 0);
            attck_buf_str(out, " ");
            attck_buf_html(out, t->name, 0);
            attck_buf_printf(out, " <b>%ld</b></div>", t->threats);
        }

        attck_buf_str(out, "</td>");
    }

    attck_buf_str(out, "</tr>\n</table></div>\n</section>\n");
}


void
attck_report_html_charts(const attck_report_t *r, attck_buf_t *out)
{
    attck_report_html_time(r, out);
    attck_report_html_types(r, out);
    attck_report_html_countries(r, out);
    attck_report_html_heatmap(r, out);
}
