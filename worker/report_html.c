
/*
 * attck-worker report: HTML, one self-contained file.  No script, nothing
 * fetched (the Content-Security-Policy says so to the browser as well):
 * styles are inline and the charts inline SVG, so the file can be mailed
 * or archived and opens the same anywhere.  Every string from the
 * database is escaped, in text and in attributes alike, and the text of
 * threat feeds is isolated for bidirectional text.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"


#define ATTCK_REPORT_BAR_ROW     22
#define ATTCK_REPORT_BAR_LABEL   300     /* width of the label column */
#define ATTCK_REPORT_BAR_WIDTH   400     /* the longest bar */
#define ATTCK_REPORT_LABEL_MAX   46      /* characters of a chart label */


/* a bar of a chart: its label is the id, if any, and the name */
typedef struct {
    const char  *id;
    const char  *name;
    long         value;
} attck_report_bar_t;


static void attck_report_html_bdi(attck_buf_t *out, const char *s);
static void attck_report_html_head(const attck_report_t *r, attck_buf_t *out);
static void attck_report_html_summary(const attck_report_t *r,
    attck_buf_t *out);
static void attck_report_html_label(attck_buf_t *out,
    const attck_report_bar_t *bar, size_t max);
static void attck_report_html_bars(attck_buf_t *out, const char *title,
    const attck_report_bar_t *bars, size_t n, long max);
static void attck_report_html_tactics(const attck_report_t *r,
    attck_buf_t *out);
static void attck_report_html_top(const attck_report_t *r, attck_buf_t *out);
static void attck_report_html_moves(const attck_report_t *r,
    attck_buf_t *out);
static void attck_report_html_technique(const attck_report_t *r,
    attck_buf_t *out, size_t i);


static const char  attck_report_html_style[] =
    "<style>\n"
    "body{font-family:\"DejaVu Sans\",Helvetica,Arial,sans-serif;"
    "font-size:14px;color:#1f2328;margin:24px auto;max-width:1100px;"
    "padding:0 16px}\n"
    "h1{font-size:24px;margin:0 0 4px}\n"
    "h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;"
    "margin-top:32px}\n"
    ".meta{color:#59636e;margin:0}\n"
    "table{border-collapse:collapse;margin:8px 0}\n"
    "th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f6f8fa}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.nw{white-space:nowrap}\n"
    "small{color:#59636e}\n"
    "ol.threats{margin:0;padding-left:20px}\n"
    "ul.sentences{margin:2px 0 4px;padding-left:16px;color:#444;"
    "font-size:.9em}\n"
    "tr.threats td{background:#fcfcfd;border-top:none}\n"
    "svg{display:block;margin:8px 0;max-width:100%;height:auto}\n"
    "svg text{font-size:12px;fill:#1f2328}\n"
    ".empty{color:#59636e;font-style:italic}\n"
    ".heatmap{overflow-x:auto}\n"
    "table.heatmap{table-layout:fixed;width:100%;font-size:10px}\n"
    "table.heatmap th,table.heatmap td{padding:2px;"
    "overflow-wrap:anywhere}\n"
    ".hm{border:1px solid #d0d7de;padding:1px 3px;margin:0 0 2px}\n"
    "</style>\n";


/*
 * Text from a threat feed, isolated: bidirectional controls in it (a
 * right-to-left override, say) cannot reorder the text around it.
 */

static void
attck_report_html_bdi(attck_buf_t *out, const char *s)
{
    attck_buf_str(out, "<bdi>");
    attck_buf_html(out, s, 0);
    attck_buf_str(out, "</bdi>");
}


static void
attck_report_html_head(const attck_report_t *r, attck_buf_t *out)
{
    attck_buf_str(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                  "<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" "
                  "content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, "
                  "initial-scale=1\">\n<title>");
    attck_buf_html(out, r->title, 0);
    attck_buf_printf(out, ", %s to %s</title>\n", r->since, r->until);
    attck_buf_str(out, attck_report_html_style);
    attck_buf_str(out, "</head>\n<body>\n<header>\n<h1>");
    attck_buf_html(out, r->title, 0);
    attck_buf_printf(out, "</h1>\n<p class=\"meta\">Period "
                     "<time datetime=\"%s\">%s</time> to "
                     "<time datetime=\"%s\">%s</time> (end excluded)"
                     " &middot; source: ", r->since, r->since, r->until,
                     r->until);
    attck_buf_html(out, r->source ? r->source : "all", 0);
    attck_buf_str(out, " &middot; ATT&amp;CK ");
    attck_buf_html(out, r->domain, 0);
    attck_buf_str(out, " ");
    attck_buf_html(out, r->release, 0);
    attck_buf_printf(out, " &middot; generated <time datetime=\"%s\">%s"
                     "</time></p>\n</header>\n", r->generated,
                     r->generated);
}


static void
attck_report_html_summary(const attck_report_t *r, attck_buf_t *out)
{
    int     k;
    size_t  i;

    attck_buf_printf(out, "<section id=\"summary\">\n<h2>Summary</h2>\n"
                     "<table>\n"
                     "<tr><th>Threats in the period</th>"
                     "<td class=\"n\">%ld</td></tr>\n"
                     "<tr><th>Threats with at least one mapping</th>"
                     "<td class=\"n\">%ld</td></tr>\n"
                     "<tr><th>Techniques seen</th>"
                     "<td class=\"n\">%zu</td></tr>\n",
                     r->threats, r->mapped, r->ntechniques);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        attck_buf_str(out, "<tr><th>Threats from ");
        attck_buf_html(out, attck_report_sources[k], 0);
        attck_buf_printf(out, "</th><td class=\"n\">%ld</td></tr>\n",
                         r->by_source[k]);
    }

    attck_buf_str(out, "<tr><th>Mapped techniques not in release ");
    attck_buf_html(out, r->release, 0);
    attck_buf_printf(out, "</th><td class=\"n\">%zu", r->noutside);

    for (i = 0; i < r->noutside; i++) {
        attck_buf_str(out, i ? ", " : "<br><small>");
        attck_report_html_bdi(out, r->outside[i]);
    }

    attck_buf_str(out, r->noutside ? "</small></td></tr>\n</table>\n"
                                     "</section>\n"
                                   : "</td></tr>\n</table>\n</section>\n");
}


/* ids are ASCII: what is left of max after one is the name's */

static void
attck_report_html_label(attck_buf_t *out, const attck_report_bar_t *bar,
    size_t max)
{
    size_t  len;

    if (bar->id) {
        len = strlen(bar->id) + 1;
        max = max == 0 ? 0 : (max > len ? max - len : 1);

        attck_buf_html(out, bar->id, 0);
        attck_buf_str(out, " ");
    }

    attck_buf_html(out, bar->name, max);
}


/* a horizontal bar chart: labels on the left, bars scaled to max */

static void
attck_report_html_bars(attck_buf_t *out, const char *title,
    const attck_report_bar_t *bars, size_t n, long max)
{
    long    w;
    size_t  i, y, height;

    max = max > 0 ? max : 1;
    height = n * ATTCK_REPORT_BAR_ROW + 8;

    attck_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "role=\"img\" width=\"%d\" height=\"%zu\" "
                     "viewBox=\"0 0 %d %zu\">\n<title>",
                     ATTCK_REPORT_BAR_LABEL + ATTCK_REPORT_BAR_WIDTH + 60,
                     height,
                     ATTCK_REPORT_BAR_LABEL + ATTCK_REPORT_BAR_WIDTH + 60,
                     height);
    attck_buf_html(out, title, 0);
    attck_buf_str(out, "</title>\n");

    for (i = 0; i < n; i++) {
        y = i * ATTCK_REPORT_BAR_ROW + 4;
        w = bars[i].value * ATTCK_REPORT_BAR_WIDTH / max;

        attck_buf_printf(out, "<text x=\"%d\" y=\"%zu\" "
                         "text-anchor=\"end\">",
                         ATTCK_REPORT_BAR_LABEL - 8, y + 14);
        attck_report_html_label(out, &bars[i], ATTCK_REPORT_LABEL_MAX);
        attck_buf_printf(out, "</text><rect x=\"%d\" y=\"%zu\" "
                         "width=\"%ld\" height=\"16\" fill=\"#d9534f\">"
                         "<title>", ATTCK_REPORT_BAR_LABEL, y + 2, w);
        attck_report_html_label(out, &bars[i], 0);
        attck_buf_printf(out, ": %ld</title></rect><text x=\"%ld\" "
                         "y=\"%zu\">%ld</text>\n",
                         bars[i].value, ATTCK_REPORT_BAR_LABEL + w + 6,
                         y + 14, bars[i].value);
    }

    attck_buf_str(out, "</svg>\n");
}


static void
attck_report_html_tactics(const attck_report_t *r, attck_buf_t *out)
{
    size_t                        i;
    attck_report_bar_t           *bars;
    const attck_report_tactic_t  *t;

    bars = attck_xcalloc(r->ntactics, sizeof(attck_report_bar_t));

    for (i = 0; i < r->ntactics; i++) {
        bars[i].name = r->tactics[i].name;
        bars[i].value = r->tactics[i].threats;
    }

    attck_buf_str(out, "<section id=\"tactics\">\n<h2>Tactics</h2>\n");
    attck_report_html_bars(out, "Threats per tactic", bars, r->ntactics,
                           attck_report_tactic_most(r));
    attck_buf_str(out, "<table>\n<tr><th>Tactic</th><th>Techniques seen"
                  "</th><th>Techniques in the tactic</th>"
                  "<th>Threats</th></tr>\n");

    for (i = 0; i < r->ntactics; i++) {
        t = &r->tactics[i];

        attck_buf_str(out, "<tr><td>");
        attck_buf_html(out, t->name, 0);
        attck_buf_str(out, " <small>");
        attck_buf_html(out, t->id, 0);
        attck_buf_printf(out, "</small></td><td class=\"n\">%ld</td>"
                         "<td class=\"n\">%ld</td>"
                         "<td class=\"n\">%ld</td></tr>\n",
                         t->seen, t->techniques, t->threats);
    }

    attck_buf_str(out, "</table>\n</section>\n");

    free(bars);
}


static void
attck_report_html_technique(const attck_report_t *r, attck_buf_t *out,
    size_t i)
{
    int                              k;
    size_t                           n;
    attck_buf_t                      tactics;
    const attck_report_threat_t     *th;
    const attck_report_technique_t  *t;

    t = &r->techniques[i];

    attck_buf_printf(out, "<tr><td class=\"n\">%zu</td><td>", i + 1);
    attck_buf_html(out, t->id, 0);
    attck_buf_str(out, "</td><td>");
    attck_buf_html(out, t->name, 0);
    attck_buf_str(out, "</td><td>");

    memset(&tactics, 0, sizeof(attck_buf_t));
    attck_report_tactic_list(r, t, ", ", &tactics);
    attck_buf_html(out, tactics.data, 0);
    free(tactics.data);

    attck_buf_printf(out, "</td><td class=\"n\">%ld<br><small>",
                     t->threats);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        attck_buf_str(out, k ? " &middot; " : "");
        attck_buf_html(out, attck_report_sources[k], 0);
        attck_buf_printf(out, " %ld", t->by_source[k]);
    }

    attck_buf_printf(out, "</small></td><td class=\"n\">%.3f</td>"
                     "<td class=\"n\">%.3f</td><td class=\"nw\">",
                     t->best, t->mean);

    for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
        attck_buf_str(out, k ? "<br>" : "");
        attck_buf_html(out, attck_report_methods[k], 0);
        attck_buf_printf(out, " %ld", t->by_method[k]);
    }

    attck_buf_str(out, "</td><td class=\"nw\">");
    attck_buf_html(out, t->first_seen, 0);
    attck_buf_str(out, "</td><td class=\"nw\">");
    attck_buf_html(out, t->last_seen, 0);
    attck_buf_str(out, "</td></tr>\n<tr class=\"threats\"><td></td>"
                  "<td colspan=\"9\"><ol class=\"threats\">\n");

    for (n = 0; n < t->ntop; n++) {
        th = &t->top[n];

        attck_buf_str(out, "<li>");
        attck_report_html_bdi(out, th->title);
        attck_buf_str(out, " <small>");
        attck_buf_html(out, th->source, 0);
        attck_buf_str(out, " ");
        attck_report_html_bdi(out, th->source_id);
        attck_buf_printf(out, " &middot; score %.3f &middot; ",
                         th->score);
        attck_buf_html(out, th->method, 0);
        attck_buf_str(out, "</small>");

        /* what in the threat's text the mapping rests on */

        if (th->nsentences) {
            attck_buf_str(out, "\n<ul class=\"sentences\">");

            for (k = 0; (size_t) k < th->nsentences; k++) {
                attck_buf_str(out, "<li><q>");
                attck_report_html_bdi(out, th->sentences[k]);
                attck_buf_str(out, "</q></li>");
            }

            attck_buf_str(out, "</ul>");
        }

        attck_buf_str(out, "</li>\n");
    }

    attck_buf_str(out, "</ol></td></tr>\n");
}


static void
attck_report_html_top(const attck_report_t *r, attck_buf_t *out)
{
    size_t               i, n;
    attck_report_bar_t  *bars;

    n = attck_report_ntop(r);

    if (n == 0) {
        attck_buf_str(out, "<section id=\"techniques\">\n"
                      "<h2>Top techniques</h2>\n"
                      "<p class=\"empty\">No threat of the period "
                      "maps to a technique of this release.</p>\n"
                      "</section>\n");
        return;
    }

    attck_buf_printf(out, "<section id=\"techniques\">\n<h2>Top %zu "
                     "techniques <small>of %zu seen</small></h2>\n", n,
                     r->ntechniques);

    bars = attck_xcalloc(n, sizeof(attck_report_bar_t));

    for (i = 0; i < n; i++) {
        bars[i].id = r->techniques[i].id;
        bars[i].name = r->techniques[i].name;
        bars[i].value = r->techniques[i].threats;
    }

    attck_report_html_bars(out, "Threats per technique", bars, n,
                           attck_report_technique_most(r));
    free(bars);

    attck_buf_str(out, "<table>\n<tr><th>#</th><th>ID</th>"
                  "<th>Technique</th><th>Tactics</th><th>Threats</th>"
                  "<th>Best score</th><th>Mean score</th>"
                  "<th>Methods</th><th>First seen</th>"
                  "<th>Last seen</th></tr>\n");

    for (i = 0; i < n; i++) {
        attck_report_html_technique(r, out, i);
    }

    attck_buf_str(out, "</table>\n</section>\n");
}


/* the mappings ATT&CK's revocations moved, when there are any */

static void
attck_report_html_moves(const attck_report_t *r, attck_buf_t *out)
{
    size_t                      i;
    const attck_report_move_t  *m;

    if (r->nmoves == 0) {
        return;
    }

    attck_buf_printf(out, "<section id=\"moved\">\n<h2>Mappings moved by "
                     "ATT&amp;CK revocations</h2>\n<table>\n<tr><th>Threat"
                     "</th><th>From</th><th>To</th><th>Release</th>"
                     "<th>Method</th><th>Moved</th></tr>\n");

    for (i = 0; i < r->nmoves; i++) {
        m = &r->moves[i];

        attck_buf_str(out, "<tr><td>");
        attck_report_html_bdi(out, m->title);
        attck_buf_str(out, "</td><td>");
        attck_buf_html(out, m->from, 0);
        attck_buf_str(out, "</td><td>");
        attck_buf_html(out, m->to, 0);
        attck_buf_str(out, m->merged ? " (had it)</td><td>" : "</td><td>");
        attck_buf_html(out, m->release, 0);
        attck_buf_str(out, "</td><td>");
        attck_buf_html(out, m->method, 0);
        attck_buf_str(out, "</td><td>");
        attck_buf_html(out, m->moved_at, 0);
        attck_buf_str(out, "</td></tr>\n");
    }

    attck_buf_str(out, "</table>\n</section>\n");
}


int
attck_report_html(const attck_report_t *r, attck_buf_t *out,
    char *err, size_t errlen)
{
    attck_report_html_head(r, out);
    attck_report_html_summary(r, out);
    attck_report_html_charts(r, out);
    attck_report_html_tactics(r, out);
    attck_report_html_top(r, out);
    attck_report_html_moves(r, out);
    attck_buf_str(out, "</body>\n</html>\n");

    return 0;
}
