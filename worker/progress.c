
/*
 * attck-worker: progress of long stages on a terminal.
 */


#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"


static int     attck_progress_tty = -1;
static int     attck_progress_shown;
static double  attck_progress_last;


void
attck_progress(const char *fmt, ...)
{
    double           now;
    va_list          args;
    struct timespec  ts;

    if (attck_progress_tty == -1) {
        attck_progress_tty = isatty(STDERR_FILENO);
    }

    if (!attck_progress_tty) {
        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = ts.tv_sec + ts.tv_nsec / 1e9;

    if (attck_progress_shown && now - attck_progress_last < 0.1) {
        return;
    }

    attck_progress_last = now;
    attck_progress_shown = 1;

    fprintf(stderr, "\r\033[K");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fflush(stderr);
}


void
attck_progress_done(void)
{
    if (attck_progress_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        attck_progress_shown = 0;
    }
}
