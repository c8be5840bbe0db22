
/*
 * attck-worker report: CSV, every technique seen in the period (not only
 * the top list), one row each, ranked, with its best threats in the
 * columns threat_N_* (threat_N_sentence_M: the sentences of its text
 * that support the mapping, best first).  RFC 4180: CRLF line ends, a
 * header row, fields quoted when they hold a comma or a quote.  UTF-8
 * without a byte order mark.  Control characters, line ends among them,
 * become spaces, as in the other formats: a record is one line.
 *
 * The series of the charts follow the techniques, in the same columns:
 * the last two, section and key, say what a row is ("technique" and its
 * id; "over_time" and the step's first day, "threat_type" and the type,
 * "country" and the country as the feeds name it), and the counts are
 * in threats (and threats_otx, threats_virustotal over time); rank is
 * the row's place in its section, the other columns are empty.  A
 * reader that wants one table keeps the rows of one section.
 *
 * A spreadsheet runs a cell that begins with = + - or @ as a formula:
 * such a cell gets a leading ' so that text from a threat feed stays
 * text (CSV injection).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"


static void attck_report_csv_cell(attck_buf_t *out, attck_buf_t *text,
    const char *s, int last);


static void attck_report_csv_series(attck_buf_t *out, attck_buf_t *text,
    const char *section, size_t rank, const char *key, long threats,
    const long *by_source);


static const char  attck_report_csv_header[] =
    "rank,technique_id,name,tactics,threats,threats_otx,threats_virustotal,"
    "best_score,mean_score,explicit,model,analyst,first_seen,last_seen";

/* empty cells from best_score to the last threat's last sentence */
#define ATTCK_REPORT_CSV_EMPTY                                               \
    (7 + (5 + ATTCK_REPORT_SENTENCES) * ATTCK_REPORT_TOP_THREATS)


/* text: the cell's text with its control characters made spaces */

static void
attck_report_csv_cell(attck_buf_t *out, attck_buf_t *text, const char *s,
    int last)
{
    int          guard;
    const char  *p;

    text->len = 0;
    attck_buf_str(text, "");
    attck_buf_text(text, s, 0);
    p = text->data;

    guard = *p != '\0' && strchr("=+-@", *p) != NULL;

    if (guard || p[strcspn(p, ",\"")] != '\0') {
        attck_buf_str(out, guard ? "\"'" : "\"");

        for ( /* void */ ; *p; p++) {
            attck_buf_add(out, p, 1);

            if (*p == '"') {
                attck_buf_add(out, p, 1);
            }
        }

        attck_buf_str(out, "\"");

    } else {
        attck_buf_str(out, p);
    }

    attck_buf_str(out, last ? "\r\n" : ",");
}


/* a row of a series: by_source NULL when the series has no sources */

static void
attck_report_csv_series(attck_buf_t *out, attck_buf_t *text,
    const char *section, size_t rank, const char *key, long threats,
    const long *by_source)
{
    int   k;
    char  num[64];

    snprintf(num, sizeof(num), "%zu", rank);
    attck_report_csv_cell(out, text, num, 0);
    attck_buf_str(out, ",,,");
    snprintf(num, sizeof(num), "%ld", threats);
    attck_report_csv_cell(out, text, num, 0);

    for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
        if (by_source) {
            snprintf(num, sizeof(num), "%ld", by_source[k]);
        }

        attck_report_csv_cell(out, text, by_source ? num : "", 0);
    }

    for (k = 0; k < ATTCK_REPORT_CSV_EMPTY; k++) {
        attck_buf_str(out, ",");
    }

    attck_report_csv_cell(out, text, section, 0);
    attck_report_csv_cell(out, text, key, 1);
}


int
attck_report_csv(const attck_report_t *r, attck_buf_t *out, char *err,
    size_t errlen)
{
    int                              k;
    char                             num[64];
    size_t                           i, j;
    attck_buf_t                      tactics, text;
    const attck_report_threat_t     *th;
    const attck_report_technique_t  *t;

    memset(&tactics, 0, sizeof(attck_buf_t));
    memset(&text, 0, sizeof(attck_buf_t));

    attck_buf_str(out, attck_report_csv_header);

    for (k = 1; k <= ATTCK_REPORT_TOP_THREATS; k++) {
        attck_buf_printf(out, ",threat_%d_title,threat_%d_source,"
                         "threat_%d_source_id,threat_%d_score,"
                         "threat_%d_method", k, k, k, k, k);

        for (j = 1; j <= ATTCK_REPORT_SENTENCES; j++) {
            attck_buf_printf(out, ",threat_%d_sentence_%zu", k, j);
        }
    }

    attck_buf_str(out, ",section,key\r\n");

    for (i = 0; i < r->ntechniques; i++) {
        t = &r->techniques[i];

        snprintf(num, sizeof(num), "%zu", i + 1);
        attck_report_csv_cell(out, &text, num, 0);
        attck_report_csv_cell(out, &text, t->id, 0);
        attck_report_csv_cell(out, &text, t->name, 0);

        tactics.len = 0;
        attck_report_tactic_list(r, t, ", ", &tactics);
        attck_report_csv_cell(out, &text, tactics.data, 0);

        snprintf(num, sizeof(num), "%ld", t->threats);
        attck_report_csv_cell(out, &text, num, 0);

        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            snprintf(num, sizeof(num), "%ld", t->by_source[k]);
            attck_report_csv_cell(out, &text, num, 0);
        }

        snprintf(num, sizeof(num), "%.3f", t->best);
        attck_report_csv_cell(out, &text, num, 0);
        snprintf(num, sizeof(num), "%.3f", t->mean);
        attck_report_csv_cell(out, &text, num, 0);

        for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
            snprintf(num, sizeof(num), "%ld", t->by_method[k]);
            attck_report_csv_cell(out, &text, num, 0);
        }

        attck_report_csv_cell(out, &text, t->first_seen, 0);
        attck_report_csv_cell(out, &text, t->last_seen, 0);

        /* fewer threats than columns: the rest stay empty */

        for (k = 0; k < ATTCK_REPORT_TOP_THREATS; k++) {
            th = (size_t) k < t->ntop ? &t->top[k] : NULL;

            if (th) {
                snprintf(num, sizeof(num), "%.3f", th->score);
            }

            attck_report_csv_cell(out, &text, th ? th->title : "", 0);
            attck_report_csv_cell(out, &text, th ? th->source : "", 0);
            attck_report_csv_cell(out, &text, th ? th->source_id : "", 0);
            attck_report_csv_cell(out, &text, th ? num : "", 0);
            attck_report_csv_cell(out, &text, th ? th->method : "", 0);

            for (j = 0; j < ATTCK_REPORT_SENTENCES; j++) {
                attck_report_csv_cell(out, &text,
                                      th && j < th->nsentences
                                      ? th->sentences[j] : "", 0);
            }
        }

        attck_report_csv_cell(out, &text, "technique", 0);
        attck_report_csv_cell(out, &text, t->id, 1);
    }

    for (i = 0; i < r->nsteps; i++) {
        attck_report_csv_series(out, &text, "over_time", i + 1,
                                r->steps[i].start,
                                r->steps[i].by_source[0]
                                + r->steps[i].by_source[1],
                                r->steps[i].by_source);
    }

    for (i = 0; i < r->ntypes; i++) {
        attck_report_csv_series(out, &text, "threat_type", i + 1,
                                r->types[i].key, r->types[i].threats, NULL);
    }

    for (i = 0; i < r->ncountries; i++) {
        attck_report_csv_series(out, &text, "country", i + 1,
                                r->countries[i].key,
                                r->countries[i].threats, NULL);
    }

    free(tactics.data);
    free(text.data);

    return 0;
}
