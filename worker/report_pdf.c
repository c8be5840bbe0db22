
/*
 * attck-worker report: PDF through cairo, A4 portrait: the title, the
 * summary, the bar chart of threats per tactic and the table of the top
 * techniques with their best threats, across as many pages as it takes.
 *
 * cairo draws UTF-8 only: text is made valid (and its control characters
 * spaces) before it is drawn, and cut with an ellipsis to its column.
 * cairo records the first error on the surface and ignores what follows;
 * the status is checked once, at the end.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>

#include "report.h"
#include "util.h"


#define ATTCK_PDF_WIDTH    595.276     /* A4 in points */
#define ATTCK_PDF_HEIGHT   841.89
#define ATTCK_PDF_MARGIN   42.0
#define ATTCK_PDF_BOTTOM   (ATTCK_PDF_HEIGHT - ATTCK_PDF_MARGIN - 14.0)
#define ATTCK_PDF_FONT     "DejaVu Sans"


typedef struct {
    cairo_t               *cr;
    const attck_report_t  *report;
    double                 y;          /* the baseline of the next line */
    int                    page;
} attck_pdf_t;


/* the columns of the technique table: left edge and width */
typedef struct {
    const char  *title;
    double       x;
    double       width;
    int          right;               /* numbers align right */
} attck_pdf_col_t;


static const attck_pdf_col_t  attck_pdf_cols[] = {
    { "#", 0, 20, 1 },
    { "ID", 24, 52, 0 },
    { "Technique", 78, 222, 0 },
    { "Threats", 302, 42, 1 },
    { "otx", 346, 38, 1 },
    { "virustotal", 386, 48, 1 },
    { "Best", 436, 38, 1 },
    { "Mean", 476, 35, 1 }
};

#define ATTCK_PDF_NCOLS  (sizeof(attck_pdf_cols) / sizeof(attck_pdf_cols[0]))


static cairo_status_t attck_pdf_write(void *closure,
    const unsigned char *data, unsigned int length);
static void attck_pdf_font(attck_pdf_t *p, double size, int bold,
    double gray);
static void attck_pdf_text(attck_pdf_t *p, double x, double width,
    const char *s, int right);
static void attck_pdf_footer(attck_pdf_t *p);
static int attck_pdf_need(attck_pdf_t *p, double height);
static void attck_pdf_heading(attck_pdf_t *p, const char *title);
static void attck_pdf_summary(attck_pdf_t *p);
static void attck_pdf_tactics(attck_pdf_t *p);
static void attck_pdf_table_head(attck_pdf_t *p);
static void attck_pdf_technique(attck_pdf_t *p, size_t i);


static cairo_status_t
attck_pdf_write(void *closure, const unsigned char *data,
    unsigned int length)
{
    attck_report_add(closure, (const char *) data, length);

    return CAIRO_STATUS_SUCCESS;
}


static void
attck_pdf_font(attck_pdf_t *p, double size, int bold, double gray)
{
    cairo_select_font_face(p->cr, ATTCK_PDF_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(p->cr, size);
    cairo_set_source_rgb(p->cr, gray, gray, gray);
}


/*
 * s at x on the current line, cut to width (0: as long as it is) with an
 * ellipsis; right: its end at x + width
 */

static void
attck_pdf_text(attck_pdf_t *p, double x, double width, const char *s,
    int right)
{
    size_t                lo, hi, mid, n, *at;
    attck_report_buf_t    clean, cut;
    cairo_text_extents_t  ext;

    memset(&clean, 0, sizeof(attck_report_buf_t));
    attck_report_str(&clean, "");
    attck_report_utf8(&clean, s, 1);

    cairo_text_extents(p->cr, clean.data, &ext);

    if (width > 0 && ext.x_advance > width) {

        /* where each character starts: the text is cut only there */

        at = attck_xcalloc(clean.len + 1, sizeof(size_t));

        for (mid = 0, n = 0; mid < clean.len; mid++) {
            if ((clean.data[mid] & 0xc0) != 0x80) {
                at[n++] = mid;
            }
        }

        /* the most characters that fit with the ellipsis: lo */

        memset(&cut, 0, sizeof(attck_report_buf_t));
        lo = 0;
        hi = n;

        while (lo < hi) {
            mid = lo + (hi - lo + 1) / 2;

            cut.len = 0;
            attck_report_add(&cut, clean.data, at[mid]);
            attck_report_str(&cut, "\xe2\x80\xa6");
            cairo_text_extents(p->cr, cut.data, &ext);

            if (ext.x_advance <= width) {
                lo = mid;

            } else {
                hi = mid - 1;
            }
        }

        cut.len = 0;
        attck_report_add(&cut, clean.data, at[lo]);
        attck_report_str(&cut, "\xe2\x80\xa6");
        free(at);
        free(clean.data);
        clean = cut;
        cairo_text_extents(p->cr, clean.data, &ext);
    }

    cairo_move_to(p->cr, right ? x + width - ext.x_advance : x, p->y);
    cairo_show_text(p->cr, clean.data);
    free(clean.data);
}


static void
attck_pdf_footer(attck_pdf_t *p)
{
    char    line[256];
    double  y;

    y = p->y;
    p->y = ATTCK_PDF_HEIGHT - ATTCK_PDF_MARGIN + 10;

    attck_pdf_font(p, 7.5, 0, 0.45);
    snprintf(line, sizeof(line), "%s, %s to %s", p->report->title,
             p->report->since, p->report->until);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
    snprintf(line, sizeof(line), "page %d", p->page);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, ATTCK_PDF_WIDTH
                   - 2 * ATTCK_PDF_MARGIN, line, 1);

    p->y = y;
}


/* room for height more: else the next page; 1 when it began one */

static int
attck_pdf_need(attck_pdf_t *p, double height)
{
    if (p->y + height <= ATTCK_PDF_BOTTOM) {
        return 0;
    }

    attck_pdf_footer(p);
    cairo_show_page(p->cr);
    p->page++;
    p->y = ATTCK_PDF_MARGIN + 10;

    return 1;
}


static void
attck_pdf_heading(attck_pdf_t *p, const char *title)
{
    attck_pdf_need(p, 60);
    p->y += 18;
    attck_pdf_font(p, 13, 1, 0.1);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, title, 0);
    p->y += 16;
}


static void
attck_pdf_summary(attck_pdf_t *p)
{
    int                    k;
    char                   line[256];
    const attck_report_t  *r;

    r = p->report;

    attck_pdf_heading(p, "Summary");
    attck_pdf_font(p, 9.5, 0, 0.1);

    snprintf(line, sizeof(line), "Threats in the period: %ld", r->threats);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
    p->y += 13;
    snprintf(line, sizeof(line), "Threats with at least one mapping: %ld",
             r->mapped);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
    p->y += 13;
    snprintf(line, sizeof(line), "Techniques seen: %zu", r->ntechniques);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
    p->y += 13;

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        snprintf(line, sizeof(line), "Threats from %s: %ld",
                 attck_report_sources[k], r->by_source[k]);
        attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
        p->y += 13;
    }

    snprintf(line, sizeof(line), "Mapped techniques not in release %.32s: "
             "%zu", r->release, r->noutside);
    attck_pdf_text(p, ATTCK_PDF_MARGIN, 0, line, 0);
    p->y += 13;
}


/* threats per tactic, a bar each, scaled to the most */

static void
attck_pdf_tactics(attck_pdf_t *p)
{
    long                          max;
    char                          num[32];
    double                        x, w;
    size_t                        i;
    const attck_report_t         *r;
    const attck_report_tactic_t  *t;

    r = p->report;
    max = 1;

    for (i = 0; i < r->ntactics; i++) {
        max = r->tactics[i].threats > max ? r->tactics[i].threats : max;
    }

    attck_pdf_heading(p, "Threats per tactic");

    x = ATTCK_PDF_MARGIN + 150;

    for (i = 0; i < r->ntactics; i++) {
        t = &r->tactics[i];

        attck_pdf_need(p, 15);

        attck_pdf_font(p, 8.5, 0, 0.1);
        attck_pdf_text(p, ATTCK_PDF_MARGIN, 142, t->name, 1);

        w = 220.0 * t->threats / max;
        cairo_set_source_rgb(p->cr, 0.85, 0.33, 0.31);
        cairo_rectangle(p->cr, x, p->y - 8, w, 10);
        cairo_fill(p->cr);

        attck_pdf_font(p, 8.5, 0, 0.1);
        snprintf(num, sizeof(num), "%ld  (%ld of %ld techniques)",
                 t->threats, t->seen, t->techniques);
        attck_pdf_text(p, x + w + 5, 0, num, 0);

        p->y += 15;
    }
}


static void
attck_pdf_table_head(attck_pdf_t *p)
{
    size_t  i;

    attck_pdf_font(p, 8.5, 1, 0.1);

    for (i = 0; i < ATTCK_PDF_NCOLS; i++) {
        attck_pdf_text(p, ATTCK_PDF_MARGIN + attck_pdf_cols[i].x,
                       attck_pdf_cols[i].width, attck_pdf_cols[i].title,
                       attck_pdf_cols[i].right);
    }

    cairo_set_source_rgb(p->cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(p->cr, 0.6);
    cairo_move_to(p->cr, ATTCK_PDF_MARGIN, p->y + 4);
    cairo_line_to(p->cr, ATTCK_PDF_WIDTH - ATTCK_PDF_MARGIN, p->y + 4);
    cairo_stroke(p->cr);

    p->y += 15;
}


/* a technique's row, its tactics and its best threats: one block */

static void
attck_pdf_technique(attck_pdf_t *p, size_t i)
{
    int                              k;
    char                             cell[8][64];
    size_t                           n;
    const char                      *text[ATTCK_PDF_NCOLS];
    attck_report_buf_t               line;
    const attck_report_threat_t     *th;
    const attck_report_technique_t  *t;

    t = &p->report->techniques[i];

    if (attck_pdf_need(p, 26 + 10.0 * t->ntop)) {
        attck_pdf_table_head(p);
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

    for (n = 3; n < ATTCK_PDF_NCOLS; n++) {
        text[n] = cell[n];
    }

    attck_pdf_font(p, 8.5, 0, 0.1);

    for (n = 0; n < ATTCK_PDF_NCOLS; n++) {
        if (n == 2) {
            attck_pdf_font(p, 8.5, 1, 0.1);
        }

        attck_pdf_text(p, ATTCK_PDF_MARGIN + attck_pdf_cols[n].x,
                       attck_pdf_cols[n].width, text[n],
                       attck_pdf_cols[n].right);

        if (n == 2) {
            attck_pdf_font(p, 8.5, 0, 0.1);
        }
    }

    p->y += 10;

    memset(&line, 0, sizeof(attck_report_buf_t));
    attck_report_str(&line, "tactics: ");
    attck_report_tactic_list(p->report, t, ", ", &line);
    attck_report_printf(&line, "; seen %.10s to %.10s", t->first_seen,
                        t->last_seen);

    attck_pdf_font(p, 7.5, 0, 0.4);
    attck_pdf_text(p, ATTCK_PDF_MARGIN + attck_pdf_cols[2].x,
                   ATTCK_PDF_WIDTH - 2 * ATTCK_PDF_MARGIN
                   - attck_pdf_cols[2].x, line.data, 0);
    p->y += 10;

    for (n = 0; n < t->ntop; n++) {
        th = &t->top[n];

        line.len = 0;
        attck_report_printf(&line, "%zu. ", n + 1);
        attck_report_str(&line, th->title);
        attck_report_str(&line, " \xe2\x80\x94 ");
        attck_report_str(&line, th->source);
        attck_report_str(&line, " ");
        attck_report_str(&line, th->source_id);
        attck_report_printf(&line, ", score %.3f, ", th->score);
        attck_report_str(&line, th->method);

        attck_pdf_font(p, 7.5, 0, 0.25);
        attck_pdf_text(p, ATTCK_PDF_MARGIN + attck_pdf_cols[2].x,
                       ATTCK_PDF_WIDTH - 2 * ATTCK_PDF_MARGIN
                       - attck_pdf_cols[2].x, line.data, 0);
        p->y += 10;
    }

    free(line.data);
    p->y += 6;
}


int
attck_report_pdf(const attck_report_t *r, attck_report_buf_t *out,
    char *err, size_t errlen)
{
    char                 line[512];
    size_t               i, n;
    attck_pdf_t          p;
    cairo_status_t       status;
    cairo_surface_t     *surface;

    /* into memory: the file is written whole, like every other format */

    surface = cairo_pdf_surface_create_for_stream(attck_pdf_write, out,
                                                  ATTCK_PDF_WIDTH,
                                                  ATTCK_PDF_HEIGHT);

    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                   r->title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                   "attck-worker");

    memset(&p, 0, sizeof(attck_pdf_t));
    p.cr = cairo_create(surface);
    p.report = r;
    p.page = 1;
    p.y = ATTCK_PDF_MARGIN + 18;

    attck_pdf_font(&p, 20, 1, 0.05);
    attck_pdf_text(&p, ATTCK_PDF_MARGIN, 0, r->title, 0);
    p.y += 18;

    attck_pdf_font(&p, 9, 0, 0.35);
    snprintf(line, sizeof(line), "Period %s to %s (end excluded), "
             "source: %s", r->since, r->until,
             r->source ? r->source : "all");
    attck_pdf_text(&p, ATTCK_PDF_MARGIN, 0, line, 0);
    p.y += 12;
    snprintf(line, sizeof(line), "ATT&CK %s %.32s, generated %s", r->domain,
             r->release, r->generated);
    attck_pdf_text(&p, ATTCK_PDF_MARGIN, 0, line, 0);
    p.y += 6;

    attck_pdf_summary(&p);
    attck_pdf_tactics(&p);

    n = attck_report_ntop(r);

    if (n == 0) {
        snprintf(line, sizeof(line), "Top techniques");

    } else {
        snprintf(line, sizeof(line), "Top %zu techniques of %zu seen", n,
                 r->ntechniques);
    }

    attck_pdf_heading(&p, line);

    if (n == 0) {
        attck_pdf_font(&p, 9.5, 0, 0.35);
        attck_pdf_text(&p, ATTCK_PDF_MARGIN, 0, "No threat of the period "
                       "maps to a technique of this release.", 0);

    } else {
        attck_pdf_table_head(&p);
    }

    for (i = 0; i < n; i++) {
        attck_pdf_technique(&p, i);
    }

    attck_pdf_footer(&p);
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
