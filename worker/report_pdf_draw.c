
/*
 * attck-worker report: the PDF's drawing: fonts, text cut to a column,
 * lines, page breaks with their footer, headings.  cairo draws valid
 * UTF-8 only, which the model's strings are: text has its control
 * characters made spaces before it is drawn.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#include "report.h"
#include "report_pdf.h"
#include "util.h"


void
attck_report_pdf_font(attck_report_pdf_t *p, double size, int bold,
    double gray)
{
    cairo_select_font_face(p->cr, ATTCK_REPORT_PDF_FONT,
                           CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(p->cr, size);
    cairo_set_source_rgb(p->cr, gray, gray, gray);
}


/*
 * s at x on the current line, cut to width (0: as long as it is) with an
 * ellipsis; right: its end at x + width
 */

void
attck_report_pdf_text(attck_report_pdf_t *p, double x, double width,
    const char *s, int right)
{
    size_t                lo, hi, mid, n, *at;
    attck_buf_t           clean, cut;
    cairo_text_extents_t  ext;

    memset(&clean, 0, sizeof(attck_buf_t));
    attck_buf_str(&clean, "");
    attck_buf_text(&clean, s, ATTCK_REPORT_PDF_CLIP);

    cairo_text_extents(p->cr, clean.data, &ext);

    if (width > 0 && ext.x_advance > width) {
        /* where each of its n characters starts: it is cut only there */

        at = attck_xcalloc(clean.len, sizeof(size_t));

        for (mid = 0, n = 0; mid < clean.len; mid++) {
            if ((clean.data[mid] & 0xc0) != 0x80) {
                at[n++] = mid;
            }
        }

        /*
         * The most characters that fit with the ellipsis: lo.  Not all
         * n of them, which do not fit even without it.
         */

        memset(&cut, 0, sizeof(attck_buf_t));
        lo = 0;
        hi = n - 1;

        while (lo < hi) {
            mid = lo + (hi - lo + 1) / 2;

            cut.len = 0;
            attck_buf_add(&cut, clean.data, at[mid]);
            attck_buf_str(&cut, "\xe2\x80\xa6");
            cairo_text_extents(p->cr, cut.data, &ext);

            if (ext.x_advance <= width) {
                lo = mid;

            } else {
                hi = mid - 1;
            }
        }

        cut.len = 0;
        attck_buf_add(&cut, clean.data, at[lo]);
        attck_buf_str(&cut, "\xe2\x80\xa6");
        free(at);
        free(clean.data);
        clean = cut;
        cairo_text_extents(p->cr, clean.data, &ext);
    }

    cairo_move_to(p->cr, right ? x + width - ext.x_advance : x, p->y);
    cairo_show_text(p->cr, clean.data);
    free(clean.data);
}


/* line at the left margin, then down by advance; line is emptied */

void
attck_report_pdf_line(attck_report_pdf_t *p, attck_buf_t *line,
    double advance)
{
    attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 0, line->data, 0);
    p->y += advance;
    line->len = 0;
}


void
attck_report_pdf_footer(attck_report_pdf_t *p)
{
    char         page[32];
    double       y;
    attck_buf_t  line;

    y = p->y;
    p->y = ATTCK_REPORT_PDF_HEIGHT - ATTCK_REPORT_PDF_MARGIN + 10;

    attck_report_pdf_font(p, 7.5, 0, 0.45);
    memset(&line, 0, sizeof(attck_buf_t));
    attck_buf_printf(&line, "%s, %s to %s", p->report->title,
                     p->report->since, p->report->until);
    attck_report_pdf_line(p, &line, 0);
    free(line.data);

    snprintf(page, sizeof(page), "page %d", p->page);
    attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, ATTCK_REPORT_PDF_LINE,
                          page, 1);

    p->y = y;
}


/* room for height more: else the next page; 1 when it began one */

int
attck_report_pdf_need(attck_report_pdf_t *p, double height)
{
    if (p->y + height <= ATTCK_REPORT_PDF_BOTTOM) {
        return 0;
    }

    attck_report_pdf_footer(p);
    cairo_show_page(p->cr);
    p->page++;
    p->y = ATTCK_REPORT_PDF_MARGIN + 10;

    return 1;
}


void
attck_report_pdf_heading(attck_report_pdf_t *p, const char *title)
{
    attck_report_pdf_need(p, 60);
    p->y += 18;
    attck_report_pdf_font(p, 13, 1, 0.1);
    attck_report_pdf_text(p, ATTCK_REPORT_PDF_MARGIN, 0, title, 0);
    p->y += 16;
}
