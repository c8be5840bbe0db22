
/*
 * attck-worker run and daemon: the stages in order, once or on a schedule.
 *
 * Each stage runs in a child process of its own, exactly as its own
 * command would: its memory is given back when it ends, and a stage that
 * fails (or crashes) ends only itself.  Stages take a PostgreSQL advisory
 * lock each, so that workers on several hosts never run the same stage at
 * once; the daemon runs one stage at a time, so its runs never overlap.
 */


#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "export.h"
#include "ingest.h"
#include "map.h"
#include "publish.h"
#include "report.h"
#include "schedule.h"
#include "stage.h"
#include "util.h"


typedef struct {
    const char  *name;
    int        (*run)(int argc, char **argv);
    const char  *arg;          /* the command's argument, or NULL */
    const char  *interval;     /* environment variable of the daemon */
    const char  *every;        /* its default */
    const char  *needs;        /* a setting without which it is left out */
    int          file;         /* needs names a file, which must be there */
    const char  *hint;         /* where that setting is given */
} attck_stage_t;


/* export goes before report: a SIEM waits for news, an analyst less */

static const attck_stage_t  attck_stages[] = {
    { "ingest", attck_ingest_main, "all", "ATTCK_SCHEDULE_INGEST", "6h",
      NULL, 0, NULL },
    { "map", attck_map_main, NULL, "ATTCK_SCHEDULE_MAP", "1h",
      "ATTCK_MODEL", 1, "mapping.model or ATTCK_MODEL; attck-worker train "
      "makes one" },
    { "publish", attck_publish_main, NULL, "ATTCK_SCHEDULE_PUBLISH", "5m",
      NULL, 0, NULL },
    { "export", attck_export_main, NULL, "ATTCK_SCHEDULE_EXPORT", "15m",
      "ATTCK_EXPORT_URL", 0, "export.url or ATTCK_EXPORT_URL" },
    { "report", attck_report_main, NULL, "ATTCK_SCHEDULE_REPORT", "1d",
      "ATTCK_REPORTS_DIR", 0, "reports.dir or ATTCK_REPORTS_DIR" },
    { NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL }
};


static volatile sig_atomic_t  attck_stop;


static int attck_stage_skip(const attck_stage_t *s);
static int attck_stage_run(const attck_stage_t *s);
static long attck_interval(const char *text);
static void attck_on_signal(int signo);


/* a stage whose configuration is missing is left out, and says so */

static int
attck_stage_skip(const attck_stage_t *s)
{
    const char  *value;

    if (s->needs == NULL) {
        return 0;
    }

    value = getenv(s->needs);

    if (value == NULL || *value == '\0') {
        attck_log("info", "%s: skipped, not configured (%s)", s->name,
                  s->hint);
        return 1;
    }

    /* a file that is not there yet is the same */

    if (s->file && access(value, R_OK) != 0) {
        attck_log("info", "%s: skipped, no model at %s (%s)", s->name,
                  value, s->hint);
        return 1;
    }

    return 0;
}


static int
attck_stage_run(const attck_stage_t *s)
{
    int     status;
    char   *argv[3];
    pid_t   pid;
    time_t  start;

    argv[0] = (char *) s->name;
    argv[1] = (char *) s->arg;
    argv[2] = NULL;

    start = time(NULL);
    attck_stage_begin(s->name);
    fflush(NULL);

    pid = fork();

    if (pid == -1) {
        attck_log("error", "%s: fork: %s", s->name, strerror(errno));
        return ATTCK_EXIT_SOFTWARE;
    }

    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        exit(s->run(s->arg ? 2 : 1, argv));
    }

    /* the daemon's SIGTERM waits here: the stage finishes first */

    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) {
            attck_log("error", "%s: waitpid: %s", s->name, strerror(errno));
            return ATTCK_EXIT_SOFTWARE;
        }
    }

    if (WIFSIGNALED(status)) {
        attck_log("error", "%s: killed by signal %d after %lds", s->name,
                  WTERMSIG(status), (long) (time(NULL) - start));
        attck_stage_end(s->name, ATTCK_EXIT_SOFTWARE);
        return ATTCK_EXIT_SOFTWARE;
    }

    attck_stage_end(s->name, WEXITSTATUS(status));

    attck_log(WEXITSTATUS(status) ? "error" : "info",
              "%s: exit %d after %lds", s->name, WEXITSTATUS(status),
              (long) (time(NULL) - start));

    return WEXITSTATUS(status);
}


int
attck_run_main(int argc, char **argv)
{
    int                   rc;
    const attck_stage_t  *s;

    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: attck-worker run\n"
                   "ingest all, map, publish, export, report: once, in "
                   "order, stopping at the first\nstage that fails (its "
                   "exit code is run's); a stage whose settings are\n"
                   "missing is left out\n");
            return ATTCK_EXIT_OK;
        }

        attck_fatal(ATTCK_EXIT_USAGE, "run: takes no arguments (try --help)");
    }

    for (s = attck_stages; s->name; s++) {
        if (attck_stage_skip(s)) {
            continue;
        }

        rc = attck_stage_run(s);

        if (rc != ATTCK_EXIT_OK) {
            attck_log("error", "run: stopped at %s (exit %d)%s%s", s->name,
                      rc, s[1].name ? "; not run: " : "",
                      s[1].name ? s[1].name : "");
            return rc;
        }
    }

    attck_log("info", "run: every stage done");

    return ATTCK_EXIT_OK;
}


/* a duration (util.h); 0 or "off" leaves a stage out; -1 bad */

static long
attck_interval(const char *text)
{
    return strcmp(text, "off") == 0 ? 0 : attck_duration(text);
}


static void
attck_on_signal(int signo)
{
    attck_stop = 1;
}


int
attck_daemon_main(int argc, char **argv)
{
    int                   i, n;
    long                  every[8];
    time_t                now, due[8], wake;
    const char           *v;
    struct sigaction      sa;
    const attck_stage_t  *s;

    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: attck-worker daemon\n"
                   "runs each stage on its interval (schedule.* in the "
                   "configuration, or\nATTCK_SCHEDULE_INGEST, _MAP, "
                   "_PUBLISH) until SIGTERM or SIGINT, which\nlet the "
                   "running stage finish\n");
            return ATTCK_EXIT_OK;
        }

        attck_fatal(ATTCK_EXIT_USAGE, "daemon: takes no arguments "
                    "(try --help)");
    }

    n = 0;

    for (i = 0, s = attck_stages; s->name; i++, s++) {
        v = getenv(s->interval);

        if (v == NULL || *v == '\0') {
            v = s->every;
        }

        every[i] = attck_interval(v);

        if (every[i] < 0) {
            attck_fatal(ATTCK_EXIT_USAGE, "daemon: %s: %s is not an "
                        "interval (90s, 15m, 6h, 1d, 2w or off)",
                        s->interval, v);
        }

        /* every stage once at start, then on its interval */

        due[i] = 0;
        n += every[i] > 0;

        attck_log("info", "daemon: %s every %lds%s", s->name, every[i],
                  every[i] ? "" : " (off)");
    }

    if (n == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "daemon: every stage is off");
    }

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = attck_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    while (!attck_stop) {
        now = time(NULL);
        wake = now + 3600;

        for (i = 0, s = attck_stages; s->name && !attck_stop; i++, s++) {
            if (every[i] == 0) {
                continue;
            }

            if (due[i] <= now) {
                if (!attck_stage_skip(s)) {
                    (void) attck_stage_run(s);
                }

                /* a stage that failed is tried again on its interval */

                now = time(NULL);
                due[i] = now + every[i];
            }

            if (due[i] < wake) {
                wake = due[i];
            }
        }

        /* sleep(3) returns early on a signal */

        while (!attck_stop && time(NULL) < wake) {
            sleep(1);
        }
    }

    attck_log("info", "daemon: stopped by a signal, no stage running");

    return ATTCK_EXIT_OK;
}
