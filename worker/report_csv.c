
/*
 * attck-worker report: CSV, every technique seen in the period (not only
 * the top list), one row each, ranked, with its best threats in the
 * columns threat_N_*.  RFC 4180: CRLF line ends, a
 * header row, fields quoted when they hold a comma, a quote or a line
 * end.  UTF-8 without a byte order mark.
 *
 * A spreadsheet runs a cell that begins with = + - @ (or a tab or CR
 * before one) as a formula: such a cell gets a leading ' so that text
 * from a threat feed stays text (CSV injection).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"


static void attck_report_csv_cell(attck_report_buf_t *out, const char *s,
    int last);


static const char  attck_report_csv_header[] =
    "rank,technique_id,name,tactics,threats,threats_otx,threats_virustotal,"
    "best_score,mean_score,explicit,model,analyst,first_seen,last_seen";


static void
attck_report_csv_cell(attck_report_buf_t *out, const char *s, int last)
{
    int  guard;

    guard = strchr("=+-@\t\r", *s) != NULL && *s != '\0';

    if (guard || s[strcspn(s, ",\"\r\n")] != '\0') {
        attck_report_str(out, "\"");

        if (guard) {
            attck_report_str(out, "'");
        }

        for ( /* void */ ; *s; s++) {
            attck_report_add(out, s, 1);

            if (*s == '"') {
                attck_report_add(out, s, 1);
            }
        }

        attck_report_str(out, "\"");

    } else {
        attck_report_str(out, s);
    }

    attck_report_str(out, last ? "\r\n" : ",");
}


int
attck_report_csv(const attck_report_t *r, attck_report_buf_t *out,
    char *err, size_t errlen)
{
    int                              k;
    char                             num[64];
    size_t                           i;
    attck_report_buf_t               tactics;
    const attck_report_threat_t     *th;
    const attck_report_technique_t  *t;

    attck_report_str(out, attck_report_csv_header);

    for (k = 1; k <= ATTCK_REPORT_TOP_THREATS; k++) {
        attck_report_printf(out, ",threat_%d_title,threat_%d_source,"
                            "threat_%d_source_id,threat_%d_score,"
                            "threat_%d_method", k, k, k, k, k);
    }

    attck_report_str(out, "\r\n");

    for (i = 0; i < r->ntechniques; i++) {
        t = &r->techniques[i];

        snprintf(num, sizeof(num), "%zu", i + 1);
        attck_report_csv_cell(out, num, 0);
        attck_report_csv_cell(out, t->id, 0);
        attck_report_csv_cell(out, t->name, 0);

        memset(&tactics, 0, sizeof(attck_report_buf_t));
        attck_report_str(&tactics, "");
        attck_report_tactic_list(r, t, ", ", &tactics);
        attck_report_csv_cell(out, tactics.data, 0);
        free(tactics.data);

        snprintf(num, sizeof(num), "%ld", t->threats);
        attck_report_csv_cell(out, num, 0);

        for (k = 0; k < ATTCK_REPORT_SOURCES; k++) {
            snprintf(num, sizeof(num), "%ld", t->by_source[k]);
            attck_report_csv_cell(out, num, 0);
        }

        snprintf(num, sizeof(num), "%.3f", t->best);
        attck_report_csv_cell(out, num, 0);
        snprintf(num, sizeof(num), "%.3f", t->mean);
        attck_report_csv_cell(out, num, 0);

        for (k = 0; k < ATTCK_REPORT_METHODS; k++) {
            snprintf(num, sizeof(num), "%ld", t->by_method[k]);
            attck_report_csv_cell(out, num, 0);
        }

        attck_report_csv_cell(out, t->first_seen, 0);
        attck_report_csv_cell(out, t->last_seen, 0);

        /* fewer threats than columns: the rest stay empty */

        for (k = 0; k < ATTCK_REPORT_TOP_THREATS; k++) {
            th = (size_t) k < t->ntop ? &t->top[k] : NULL;

            if (th) {
                snprintf(num, sizeof(num), "%.3f", th->score);
            }

            attck_report_csv_cell(out, th ? th->title : "", 0);
            attck_report_csv_cell(out, th ? th->source : "", 0);
            attck_report_csv_cell(out, th ? th->source_id : "", 0);
            attck_report_csv_cell(out, th ? num : "", 0);
            attck_report_csv_cell(out, th ? th->method : "",
                                  k == ATTCK_REPORT_TOP_THREATS - 1);
        }
    }

    return 0;
}
