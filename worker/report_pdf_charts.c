
/*
 * attck-worker report: the charts of the PDF: threats over time, a line
 * per source; threat types and targeted countries, ranked bars (a map
 * would need more than a page's width to read); and the ATT&CK matrix of
 * the period, a column per tactic with its techniques seen, shaded by
 * their threats, carried over pages with its header when it is long.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#include "report.h"
#include "report_pdf.h"
#include "util.h"


#define ATTCK_REPORT_PDF_PLOT_H     120.0
#define ATTCK_REPORT_PDF_AXIS       30.0     /* the y axis' labels */
#define ATTCK_REPORT_PDF_BARS       20       /* bars of a ranked chart */
#define ATTCK_REPORT_PDF_HM_ROW     9.0      /* a heatmap cell's height */


static const double  attck_report_pdf_series_rgb[ATTCK_REPORT_SOURCES][3] = {
    { 0.12, 0.44, 0.92 }, { 0.85, 0.33, 0.31 }
};


static void attck_report_pdf_time(attck_report_pdf_t *p);
static void attck_report_pdf_counts(attck_report_pdf_t *p, const char *title,
    const attck_report_count_t *c, size_t n, size_t of);
static void attck_report_pdf_hm_head(attck_report_pdf_t *p, double w);
static void attck_report_pdf_heatmap(attck_report_pdf_t *p);


static void
attck_report_pdf_time(attck_report_pdf_t *p)
{
    int                    k;
    char                   title[64], num[32];
    long                   max, v;
    double                 x0, y0, w, dx, x, y;
    size_t                 i;
    const attck_report_t  *r;

    r = p->report;

    snprintf(title, sizeof(title), "Threats over time (per %s)", r->step);
    attck_report_pdf_heading(p, title);

    if (r->nsteps == 0) {
        attck_report_pdf_font(p, 9.5, 0, 0.35);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 0,
                              "The period is empty.", 0);
        p->y += 13;
        return;
    }

    max = 0;

    for (i = 0; i < r->nsteps; i++) {
        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            v = r->steps[i].by_source[k];
            max = v > max ? v : max;
        }
    }

    attck_report_pdf_need(p, ATTCK_REPORT_PDF_PLOT_H + 40);

    /* the legend, then the plot below it */

    attck_report_pdf_font(p, 8, 0, 0.1);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        x = ATTCK_REPORT_PDF_MARGIN + ATTCK_REPORT_PDF_AXIS + k * 90;
        cairo_set_source_rgb(p->cr, attck_report_pdf_series_rgb[k][0],
                             attck_report_pdf_series_rgb[k][1],
                             attck_report_pdf_series_rgb[k][2]);
        cairo_rectangle(p->cr, x, p->y - 4, 12, 3);
        cairo_fill(p->cr);
        attck_report_pdf_font(p, 8, 0, 0.1);
        attck_report_pdf_text(p, x + 16, 0, attck_report_sources[k], 0);
    }

    p->y += 8;

    x0 = ATTCK_REPORT_PDF_MARGIN + ATTCK_REPORT_PDF_AXIS;
    y0 = p->y + ATTCK_REPORT_PDF_PLOT_H;
    w = ATTCK_REPORT_PDF_LINE - ATTCK_REPORT_PDF_AXIS;
    dx = r->nsteps > 1 ? w / (r->nsteps - 1) : 0;

    cairo_set_source_rgb(p->cr, 0.55, 0.58, 0.62);
    cairo_set_line_width(p->cr, 0.6);
    cairo_move_to(p->cr, x0, p->y);
    cairo_line_to(p->cr, x0, y0);
    cairo_line_to(p->cr, x0 + w, y0);
    cairo_stroke(p->cr);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        cairo_set_source_rgb(p->cr, attck_report_pdf_series_rgb[k][0],
                             attck_report_pdf_series_rgb[k][1],
                             attck_report_pdf_series_rgb[k][2]);
        cairo_set_line_width(p->cr, 1.4);

        for (i = 0; i < r->nsteps; i++) {
            v = r->steps[i].by_source[k];
            y = y0 - (max ? ATTCK_REPORT_PDF_PLOT_H * v / max : 0);

            if (i == 0) {
                cairo_move_to(p->cr, x0, y);

            } else {
                cairo_line_to(p->cr, x0 + i * dx, y);
            }
        }

        if (r->nsteps == 1) {
            cairo_rel_line_to(p->cr, 2, 0);
        }

        cairo_stroke(p->cr);
    }

    /* the largest count, 0, and the first and last step */

    attck_report_pdf_font(p, 7.5, 0, 0.35);
    snprintf(num, sizeof(num), "%ld", max);
    p->y += 6;
    attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN,
                          ATTCK_REPORT_PDF_AXIS - 4, num, 1);
    p->y = y0;
    attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN,
                          ATTCK_REPORT_PDF_AXIS - 4, "0", 1);
    p->y = y0 + 10;
    attck_report_pdf_text(p, x0, 0, r->steps[0].start, 0);

    if (r->nsteps > 1) {
        attck_report_pdf_text(p, x0, w, r->steps[r->nsteps - 1].start, 1);
    }

    p->y += 12;
}


/* the first n counts of of, as bars scaled to the first */

static void
attck_report_pdf_counts(attck_report_pdf_t *p, const char *title,
    const attck_report_count_t *c, size_t n, size_t of)
{
    char    num[64], head[96];
    long    max;
    double  x, w;
    size_t  i;

    if (of > n) {
        snprintf(head, sizeof(head), "%s (top %zu of %zu)", title, n, of);

    } else {
        snprintf(head, sizeof(head), "%s", title);
    }

    attck_report_pdf_heading(p, head);

    if (n == 0) {
        attck_report_pdf_font(p, 9.5, 0, 0.35);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 0,
                              "None in the period.", 0);
        p->y += 13;
        return;
    }

    max = c[0].threats > 0 ? c[0].threats : 1;
    x = ATTCK_REPORT_PDF_MARGIN + 150;

    for (i = 0; i < n; i++) {
        attck_report_pdf_need(p, 15);

        attck_report_pdf_font(p, 8.5, 0, 0.1);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 142,
                              *c[i].key ? c[i].key : "(none)", 1);

        w = 260.0 * c[i].threats / max;
        cairo_set_source_rgb(p->cr, 0.34, 0.38, 0.42);
        cairo_rectangle(p->cr, x, p->y - 8, w, 10);
        cairo_fill(p->cr);

        attck_report_pdf_font(p, 8.5, 0, 0.1);
        snprintf(num, sizeof(num), "%ld", c[i].threats);
        attck_report_pdf_text(p, x + w + 5, 0, num, 0);

        p->y += 15;
    }
}


/* the tactics over their columns, w wide */

static void
attck_report_pdf_hm_head(attck_report_pdf_t *p, double w)
{
    size_t                 i;
    const attck_report_t  *r;

    r = p->report;

    attck_report_pdf_font(p, 5.5, 1, 0.1);

    for (i = 0; i < r->ntactics; i++) {
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN + i * w, w - 1,
                              r->tactics[i].name, 0);
    }

    p->y += ATTCK_REPORT_PDF_HM_ROW;
}


static void
attck_report_pdf_heatmap(attck_report_pdf_t *p)
{
    long                             max;
    double                           w, rgb[3];
    size_t                           i, j, k, row, rows, *n;
    attck_vec_t                     *cols;
    const attck_report_t            *r;
    const attck_report_technique_t  *t;

    r = p->report;

    attck_report_pdf_heading(p, "ATT&CK matrix of the period");

    if (r->ntechniques == 0 || r->ntactics == 0) {
        attck_report_pdf_font(p, 9.5, 0, 0.35);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 0, "No threat of "
                              "the period maps to a technique of this "
                              "release.", 0);
        p->y += 13;
        return;
    }

    /* each tactic's techniques seen, ranked as the report ranks them */

    cols = attck_xcalloc(r->ntactics, sizeof(attck_vec_t));
    n = attck_xcalloc(r->ntactics, sizeof(size_t));
    rows = 0;

    for (i = 0; i < r->ntactics; i++) {
        attck_vec_init(&cols[i], sizeof(size_t));
    }

    for (k = 0; k < r->ntechniques; k++) {
        for (j = 0; attck_report_tactic_next(r, &r->techniques[k], &j); j++)
        {
            *(size_t *) attck_vec_push(&cols[j]) = k;
            n[j]++;
            rows = n[j] > rows ? n[j] : rows;
        }
    }

    max = attck_report_technique_most(r);
    w = ATTCK_REPORT_PDF_LINE / r->ntactics;

    attck_report_pdf_need(p, 4 * ATTCK_REPORT_PDF_HM_ROW);
    attck_report_pdf_hm_head(p, w);

    for (row = 0; row < rows; row++) {
        if (attck_report_pdf_need(p, ATTCK_REPORT_PDF_HM_ROW)) {
            attck_report_pdf_hm_head(p, w);
        }

        for (i = 0; i < r->ntactics; i++) {
            if (row >= n[i]) {
                continue;
            }

            t = &r->techniques[*attck_vec_at(&cols[i], size_t, row)];

            attck_report_heat(t->threats, max, rgb);
            cairo_set_source_rgb(p->cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(p->cr, ATTCK_REPORT_PDF_MARGIN + i * w,
                            p->y - ATTCK_REPORT_PDF_HM_ROW + 2, w - 1,
                            ATTCK_REPORT_PDF_HM_ROW - 1);
            cairo_fill(p->cr);

            attck_report_pdf_font(p, 5.5, 0,
                                  t->threats * 2 > max ? 1.0 : 0.1);
            attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN + i * w + 1,
                                  w - 3, t->id, 0);
        }

        p->y += ATTCK_REPORT_PDF_HM_ROW;
    }

    for (i = 0; i < r->ntactics; i++) {
        attck_vec_free(&cols[i]);
    }

    free(cols);
    free(n);

    p->y += 4;
}


void
attck_report_pdf_charts(attck_report_pdf_t *p)
{
    const attck_report_t  *r;

    r = p->report;

    attck_report_pdf_time(p);
    attck_report_pdf_counts(p, "Threat types", r->types,
                            r->ntypes < ATTCK_REPORT_PDF_BARS
                            ? r->ntypes : ATTCK_REPORT_PDF_BARS, r->ntypes);
    attck_report_pdf_counts(p, "Targeted countries", r->countries,
                            r->ncountries < ATTCK_REPORT_PDF_BARS
                            ? r->ncountries : ATTCK_REPORT_PDF_BARS,
                            r->ncountries);
    attck_report_pdf_heatmap(p);
}
