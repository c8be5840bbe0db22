
/*
 * The seams of the worker's harnesses: the functions the linker puts in
 * place of attck_fatal(), attck_log(), attck_fetch(), attck_db_run(),
 * attck_db_exec(), attck_db_copy(), attck_db_lost() and nanosleep()
 * (see fuzz_worker.h).  Rows meant for COPY are read here as PostgreSQL
 * reads COPY text, and refused where PostgreSQL would refuse them.
 */


#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "../worker/db.h"
#include "../worker/util.h"
#include "fuzz.h"
#include "fuzz_worker.h"


#define FUZZ_COPY_MAX_FIELDS  16


jmp_buf        fuzz_fatal_jmp;
int            fuzz_fatal_armed;

fuzz_fetch_pt  fuzz_fetch;
fuzz_run_pt    fuzz_run;
fuzz_copy_pt   fuzz_copy_row;


/* the names the linker gives the wrappers */

void __wrap_attck_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void __wrap_attck_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int __wrap_attck_fetch(const char *src, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
PGresult *__wrap_attck_db_run(PGconn *c, const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
int __wrap_attck_db_exec(PGconn *c, const char *sql, char *err,
    size_t errlen);
int __wrap_attck_db_copy(PGconn *c, const char *sql, const char *data,
    size_t len, char *err, size_t errlen);
int __wrap_attck_db_lost(PGconn *c);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);

static void fuzz_copy_line(const char *sql, const char *line, size_t len);
static int fuzz_hex(unsigned char c);


void
__wrap_attck_fatal(int code, const char *fmt, ...)
{
    char     msg[1024];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    /* bad data ends the run with 65 by design: here it ends the input */

    if (fuzz_fatal_armed && code == ATTCK_EXIT_DATAERR) {
        fuzz_fatal_armed = 0;
        longjmp(fuzz_fatal_jmp, 1);
    }

    /* anything else (70: out of memory, cannot lay out) is a finding */

    fuzz_fail("attck_fatal(%d): %s", code, msg);
}


void
__wrap_attck_log(const char *level, const char *fmt, ...)
{
    va_list  args;

    if (getenv("FUZZ_LOG") == NULL) {
        return;
    }

    va_start(args, fmt);
    fprintf(stderr, "%s: ", level);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}


int
__wrap_attck_fetch(const char *src, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(attck_fetch_result_t));

    if (fuzz_fetch == NULL) {
        snprintf(err, errlen, "%s: no network in a fuzz harness", src);
        return ATTCK_EXIT_UNAVAILABLE;
    }

    return fuzz_fetch(src, o, res, err, errlen);
}


PGresult *
__wrap_attck_db_run(PGconn *c, const char *sql, int n,
    const char *const *params, char *err, size_t errlen)
{
    if (fuzz_run == NULL) {
        fuzz_fail("statement the harness does not answer: %s", sql);
    }

    return fuzz_run(sql, n, params, err, errlen);
}


int
__wrap_attck_db_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    return 0;
}


int
__wrap_attck_db_lost(PGconn *c)
{
    return 0;
}


int
__wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    /* rate limits wait for nobody here */

    return 0;
}


int
__wrap_attck_db_copy(PGconn *c, const char *sql, const char *data,
    size_t len, char *err, size_t errlen)
{
    const char  *p, *end, *eol;

    /* every row ends with a line feed; an escaped one is "\n", two bytes */

    fuzz_assert(len > 0 && data[len - 1] == '\n');

    p = data;
    end = data + len;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        fuzz_copy_line(sql, p, eol - p);
        p = eol + 1;
    }

    return 0;
}


static int
fuzz_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/*
 * One row of COPY text format as PostgreSQL reads it: fields split at
 * tabs, backslash escapes (\b \f \n \r \t \v, octal, \x hex, else the
 * character itself), "\N" alone a NULL, "\." the end of the data, a
 * carriage return an error.  The fields must then be text PostgreSQL
 * takes: no NUL, valid UTF-8.
 */

static void
fuzz_copy_line(const char *sql, const char *line, size_t len)
{
    int            n, k;
    char          *buf, *q, *fields[FUZZ_COPY_MAX_FIELDS];
    size_t         i, lens[FUZZ_COPY_MAX_FIELDS];
    const char    *start;
    unsigned int   v;
    unsigned char  c;

    buf = malloc(len + FUZZ_COPY_MAX_FIELDS);
    fuzz_assert(buf != NULL);

    q = buf;
    n = 0;
    fields[0] = q;
    start = line;

    for (i = 0; i <= len; i++) {

        if (i == len || line[i] == '\t') {
            fuzz_assert(!(line + i - start == 2 && start[0] == '\\'
                          && start[1] == 'N'));
            lens[n] = q - fields[n];
            *q++ = '\0';
            n++;

            if (i == len) {
                break;
            }

            fuzz_assert(n < FUZZ_COPY_MAX_FIELDS);
            fields[n] = q;
            start = line + i + 1;
            continue;
        }

        c = (unsigned char) line[i];

        fuzz_assert(c != '\r');

        if (c != '\\') {
            *q++ = (char) c;
            continue;
        }

        /* a backslash ending the row would escape the line feed */

        fuzz_assert(i + 1 < len);
        c = (unsigned char) line[++i];

        /* the rows would end there, the rest of them lost */

        fuzz_assert(c != '.');

        switch (c) {
        case 'b': *q++ = '\b'; break;
        case 'f': *q++ = '\f'; break;
        case 'n': *q++ = '\n'; break;
        case 'r': *q++ = '\r'; break;
        case 't': *q++ = '\t'; break;
        case 'v': *q++ = '\v'; break;

        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
            v = c - '0';

            for (k = 0; k < 2 && i + 1 < len && line[i + 1] >= '0'
                        && line[i + 1] <= '7'; k++)
            {
                v = v * 8 + (line[++i] - '0');
            }

            *q++ = (char) v;
            break;

        case 'x':
            v = 0;

            for (k = 0; k < 2 && i + 1 < len
                        && fuzz_hex((unsigned char) line[i + 1]) >= 0; k++)
            {
                v = v * 16 + fuzz_hex((unsigned char) line[++i]);
            }

            *q++ = k ? (char) v : 'x';
            break;

        default:
            *q++ = (char) c;
        }
    }

    for (k = 0; k < n; k++) {
        if (fuzz_bad_text(fields[k], lens[k])) {
            fuzz_fail("COPY field %d is not text PostgreSQL takes "
                      "(NUL or invalid UTF-8): %s", k, sql);
        }
    }

    if (fuzz_copy_row) {
        fuzz_copy_row(sql, fields, lens, n);
    }

    free(buf);
}


int
fuzz_bad_text(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL || !attck_text_utf8(s, len);
}


PGresult *
fuzz_result(int ncols, int nrows, const char *const *values)
{
    int            i, r;
    PGresult      *res;
    const char    *v;
    PGresAttDesc   att[FUZZ_COPY_MAX_FIELDS];

    fuzz_assert(ncols <= FUZZ_COPY_MAX_FIELDS);

    res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    fuzz_assert(res != NULL);

    memset(att, 0, sizeof(att));

    for (i = 0; i < ncols; i++) {
        att[i].name = (char *) "c";
        att[i].typid = 25;               /* text */
        att[i].typlen = -1;
        att[i].atttypmod = -1;
    }

    fuzz_assert(PQsetResultAttrs(res, ncols, att));

    for (r = 0; r < nrows; r++) {
        for (i = 0; i < ncols; i++) {
            v = values[r * ncols + i];
            fuzz_assert(PQsetvalue(res, r, i, (char *) v,
                                   v ? (int) strlen(v) : -1));
        }
    }

    return res;
}
