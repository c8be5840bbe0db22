
/*
 * attck-worker report: PDF through cairo, A4 portrait: the title, the
 * summary, the charts of the period (report_pdf_charts.c), the bar chart
 * of threats per tactic and the table of the top
 * techniques with their best threats, across as many pages as it takes.
 *
 * cairo draws valid UTF-8 only, which the model's strings are: text has
 * its control characters made spaces before it is drawn, and is cut with
 * an ellipsis to its column.  cairo records the first error on the
 * surface and ignores what follows; the status is checked once, at the
 * end.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>

#include "report.h"
#include "report_pdf.h"
#include "util.h"


#define ATTCK_REPORT_PDF_CELL    32          /* a number's text */


/* the columns of the technique table: left edge and width */
typedef struct {
    const char  *title;
    double       x;
    double       width;
    int          right;               /* numbers align right */
} attck_report_pdf_col_t;


/* a cell of the technique table that holds a number */
typedef char  attck_report_pdf_cell_t[ATTCK_REPORT_PDF_CELL];


static cairo_status_t attck_report_pdf_write(void *closure,
    const unsigned char *data, unsigned int length);
static void attck_report_pdf_summary(attck_report_pdf_t *p);
static void attck_report_pdf_tactics(attck_report_pdf_t *p);
static void attck_report_pdf_table_head(attck_report_pdf_t *p);
static void attck_report_pdf_technique(attck_report_pdf_t *p, size_t i);


static const attck_report_pdf_col_t  attck_report_pdf_cols[] = {
    { "#", 0, 20, 1 },
    { "ID", 24, 52, 0 },
    { "Technique", 78, 222, 0 },
    { "Threats", 302, 42, 1 },
    { "otx", 346, 38, 1 },
    { "virustotal", 386, 48, 1 },
    { "Best", 436, 38, 1 },
    { "Mean", 476, 35, 1 }
};

#define ATTCK_REPORT_PDF_NCOLS                                               \
    (sizeof(attck_report_pdf_cols) / sizeof(attck_report_pdf_cols[0]))


static cairo_status_t
attck_report_pdf_write(void *closure, const unsigned char *data,
    unsigned int length)
{
    attck_buf_add(closure, data, length);

    return CAIRO_STATUS_SUCCESS;
}


static void
attck_report_pdf_summary(attck_report_pdf_t *p)
{
    int                    k;
    attck_buf_t            line;
    const attck_report_t  *r;

    r = p->report;

    attck_report_pdf_heading(p, "Summary");
    attck_report_pdf_font(p, 9.5, 0, 0.1);
    memset(&line, 0, sizeof(attck_buf_t));

    attck_buf_printf(&line, "Threats in the period: %ld", r->threats);
    attck_report_pdf_line(p, &line, 13);
    attck_buf_printf(&line, "Threats with at least one mapping: %ld",
                     r->mapped);
    attck_report_pdf_line(p, &line, 13);
    attck_buf_printf(&line, "Techniques seen: %zu", r->ntechniques);
    attck_report_pdf_line(p, &line, 13);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        attck_buf_printf(&line, "Threats from %s: %ld",
                         attck_report_sources[k], r->by_source[k]);
        attck_report_pdf_line(p, &line, 13);
    }

    attck_buf_printf(&line, "Mapped techniques not in release %s: %zu",
                     r->release, r->noutside);
    attck_report_pdf_line(p, &line, 13);

    free(line.data);
}


/* threats per tactic, a bar each, scaled to the most */

static void
attck_report_pdf_tactics(attck_report_pdf_t *p)
{
    long                          max;
    char                          num[64];
    double                        x, w;
    size_t                        i;
    const attck_report_t         *r;
    const attck_report_tactic_t  *t;

    r = p->report;
    max = attck_report_tactic_most(r);
    max = max > 0 ? max : 1;

    attck_report_pdf_heading(p, "Threats per tactic");

    x = ATTCK_REPORT_PDF_MARGIN + 150;

    for (i = 0; i < r->ntactics; i++) {
        t = &r->tactics[i];

        attck_report_pdf_need(p, 15);

        attck_report_pdf_font(p, 8.5, 0, 0.1);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 142, t->name, 1);

        w = 220.0 * t->threats / max;
        cairo_set_source_rgb(p->cr, 0.85, 0.33, 0.31);
        cairo_rectangle(p->cr, x, p->y - 8, w, 10);
        cairo_fill(p->cr);

        attck_report_pdf_font(p, 8.5, 0, 0.1);
        snprintf(num, sizeof(num), "%ld  (%ld of %ld techniques)",
                 t->threats, t->seen, t->techniques);
        attck_report_pdf_text(p, x + w + 5, 0, num, 0);

        p->y += 15;
    }
}


static void
attck_report_pdf_table_head(attck_report_pdf_t *p)
{
    size_t                         i;
    const attck_report_pdf_col_t  *c;

    attck_report_pdf_font(p, 8.5, 1, 0.1);

    for (i = 0; i < ATTCK_REPORT_PDF_NCOLS; i++) {
        c = &attck_report_pdf_cols[i];
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN + c->x, c->width,
                              c->title, c->right);
    }

    cairo_set_source_rgb(p->cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(p->cr, 0.6);
    cairo_move_to(p->cr, ATTCK_REPORT_PDF_MARGIN, p->y + 4);
    cairo_line_to(p->cr, ATTCK_REPORT_PDF_WIDTH - ATTCK_REPORT_PDF_MARGIN,
                  p->y + 4);
    cairo_stroke(p->cr);

    p->y += 15;
}


/* a technique's row, its tactics and its best threats: one block */

static void
attck_report_pdf_technique(attck_report_pdf_t *p, size_t i)
{
    int                              k;
    double                           x, width;
    size_t                           n, j, lines;
    const char                      *text[ATTCK_REPORT_PDF_NCOLS];
    attck_buf_t                      line;
    attck_report_pdf_cell_t          cell[ATTCK_REPORT_PDF_NCOLS];
    const attck_report_threat_t     *th;
    const attck_report_pdf_col_t    *c;
    const attck_report_technique_t  *t;

    t = &p->report->techniques[i];

    for (n = 0, lines = t->ntop; n < t->ntop; n++) {
        lines += t->top[n].nsentences;
    }

    if (attck_report_pdf_need(p, 26 + 10.0 * lines)) {
        attck_report_pdf_table_head(p);
    }

    snprintf(cell[0], sizeof(cell[0]), "%zu", i + 1);
    snprintf(cell[3], sizeof(cell[3]), "%ld", t->threats);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        snprintf(cell[4 + k], sizeof(cell[4 + k]), "%ld", t->by_source[k]);
    }

    snprintf(cell[6], sizeof(cell[6]), "%.3f", t->best);
    snprintf(cell[7], sizeof(cell[7]), "%.3f", t->mean);

    text[0] = cell[0];
    text[1] = t->id;
    text[2] = t->name;

    for (n = 3; n < ATTCK_REPORT_PDF_NCOLS; n++) {
        text[n] = cell[n];
    }

    /* the technique's name in bold, the rest not */

    for (n = 0; n < ATTCK_REPORT_PDF_NCOLS; n++) {
        c = &attck_report_pdf_cols[n];
        attck_report_pdf_font(p, 8.5, n == 2, 0.1);
        attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN + c->x, c->width,
                              text[n], c->right);
    }

    p->y += 10;

    /* the lines below it start under its name and run to the margin */

    x = ATTCK_REPORT_PDF_MARGIN + attck_report_pdf_cols[2].x;
    width = ATTCK_REPORT_PDF_LINE - attck_report_pdf_cols[2].x;

    memset(&line, 0, sizeof(attck_buf_t));
    attck_buf_str(&line, "tactics: ");
    attck_report_tactic_list(p->report, t, ", ", &line);
    attck_buf_printf(&line, "; seen %.10s to %.10s", t->first_seen,
                     t->last_seen);

    attck_report_pdf_font(p, 7.5, 0, 0.4);
    attck_report_pdf_text(p, x, width, line.data, 0);
    p->y += 10;

    attck_report_pdf_font(p, 7.5, 0, 0.25);

    for (n = 0; n < t->ntop; n++) {
        th = &t->top[n];

        line.len = 0;
        attck_buf_printf(&line, "%zu. ", n + 1);
        attck_buf_str(&line, th->title);
        attck_buf_str(&line, " \xe2\x80\x94 ");
        attck_buf_str(&line, th->source);
        attck_buf_str(&line, " ");
        attck_buf_str(&line, th->source_id);
        attck_buf_printf(&line, ", score %.3f, ", th->score);
        attck_buf_str(&line, th->method);

        attck_report_pdf_text(p, x, width, line.data, 0);
        p->y += 10;

        /*
         * its supporting sentences, a line each, indented, quoted; one
         * longer than the line is cut at a character with an ellipsis
         */

        for (j = 0; j < th->nsentences; j++) {
            line.len = 0;
            attck_buf_str(&line, "\xe2\x80\x9c");
            attck_buf_str(&line, th->sentences[j]);
            attck_buf_str(&line, "\xe2\x80\x9d");

            attck_report_pdf_font(p, 7, 0, 0.4);
            attck_report_pdf_text(p, x + 12, width - 12, line.data, 0);
            attck_report_pdf_font(p, 7.5, 0, 0.25);
            p->y += 10;
        }
    }

    free(line.data);
    p->y += 6;
}


int
attck_report_pdf(const attck_report_t *r, attck_buf_t *out, char *err,
    size_t errlen)
{
    size_t               i, n;
    attck_buf_t          line;
    cairo_status_t       status;
    cairo_surface_t     *surface;
    attck_report_pdf_t   p;

    /* into memory: the file is written whole, like every other format */

    surface = cairo_pdf_surface_create_for_stream(attck_report_pdf_write,
                                                  out,
                                                  ATTCK_REPORT_PDF_WIDTH,
                                                  ATTCK_REPORT_PDF_HEIGHT);

    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                   r->title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                   "attck-worker");

    memset(&p, 0, sizeof(attck_report_pdf_t));
    p.cr = cairo_create(surface);
    p.report = r;
    p.page = 1;
    p.y = ATTCK_REPORT_PDF_MARGIN + 18;

    memset(&line, 0, sizeof(attck_buf_t));

    attck_report_pdf_font(&p, 20, 1, 0.05);
    attck_buf_str(&line, r->title);
    attck_report_pdf_line(&p, &line, 18);

    attck_report_pdf_font(&p, 9, 0, 0.35);
    attck_buf_printf(&line, "Period %s to %s (end excluded), source: %s",
                     r->since, r->until, r->source ? r->source : "all");
    attck_report_pdf_line(&p, &line, 12);
    attck_buf_printf(&line, "ATT&CK %s %s, generated %s", r->domain,
                     r->release, r->generated);
    attck_report_pdf_line(&p, &line, 6);

    attck_report_pdf_summary(&p);
    attck_report_pdf_charts(&p);
    attck_report_pdf_tactics(&p);

    n = attck_report_ntop(r);

    if (n == 0) {
        attck_buf_str(&line, "Top techniques");

    } else {
        attck_buf_printf(&line, "Top %zu techniques of %zu seen", n,
                         r->ntechniques);
    }

    attck_report_pdf_heading(&p, line.data);
    free(line.data);

    if (n == 0) {
        attck_report_pdf_font(&p, 9.5, 0, 0.35);
        attck_report_pdf_text(&p, ATTCK_REPORT_PDF_MARGIN, 0, "No threat of "
                              "the period maps to a technique of this "
                              "release.", 0);

    } else {
        attck_report_pdf_table_head(&p);
    }

    for (i = 0; i < n; i++) {
        attck_report_pdf_technique(&p, i);
    }

    attck_report_pdf_footer(&p);
    cairo_show_page(p.cr);

    status = cairo_status(p.cr);
    cairo_destroy(p.cr);
    cairo_surface_finish(surface);

    if (status == CAIRO_STATUS_SUCCESS) {
        status = cairo_surface_status(surface);
    }

    cairo_surface_destroy(surface);

    if (status != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "cairo: %s", cairo_status_to_string(status));
        return -1;
    }

    return 0;
}
