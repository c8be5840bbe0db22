
/*
 * attck-worker report: what the PDF's pages are drawn with
 * (report_pdf_draw.c), shared by the report's text (report_pdf.c) and its
 * charts (report_pdf_charts.c).
 */

#ifndef _ATTCK_REPORT_PDF_H_INCLUDED_
#define _ATTCK_REPORT_PDF_H_INCLUDED_


#include <cairo.h>

#include "report.h"
#include "util.h"


#define ATTCK_REPORT_PDF_WIDTH   595.276     /* A4 in points */
#define ATTCK_REPORT_PDF_HEIGHT  841.89
#define ATTCK_REPORT_PDF_MARGIN  42.0
#define ATTCK_REPORT_PDF_BOTTOM                                              \
    (ATTCK_REPORT_PDF_HEIGHT - ATTCK_REPORT_PDF_MARGIN - 14.0)
#define ATTCK_REPORT_PDF_LINE                                                \
    (ATTCK_REPORT_PDF_WIDTH - 2 * ATTCK_REPORT_PDF_MARGIN)
#define ATTCK_REPORT_PDF_FONT    "DejaVu Sans"

/*
 * No line holds this many characters: text past them is cut before
 * cairo measures it, at a cost in memory and time per glyph
 */
#define ATTCK_REPORT_PDF_CLIP    512


typedef struct {
    cairo_t               *cr;
    const attck_report_t  *report;
    double                 y;          /* the baseline of the next line */
    int                    page;
} attck_report_pdf_t;


void attck_report_pdf_font(attck_report_pdf_t *p, double size, int bold,
    double gray);

/*
 * s at x on the current line, cut to width (0: as long as it is) with an
 * ellipsis; right: its end at x + width
 */
void attck_report_pdf_text(attck_report_pdf_t *p, double x, double width,
    const char *s, int right);

/* line at the left margin, then down by advance; line is emptied */
void attck_report_pdf_line(attck_report_pdf_t *p, attck_buf_t *line,
    double advance);
void attck_report_pdf_footer(attck_report_pdf_t *p);

/* room for height more: else the next page; 1 when it began one */
int attck_report_pdf_need(attck_report_pdf_t *p, double height);
void attck_report_pdf_heading(attck_report_pdf_t *p, const char *title);

/* the charts of the period's series (report_pdf_charts.c) */
void attck_report_pdf_charts(attck_report_pdf_t *p);


#endif /* _ATTCK_REPORT_PDF_H_INCLUDED_ */
