
/*
 * attck-worker: the batch side of attck.  One binary, one subcommand per
 * stage; exit codes follow sysexits(3) (see util.h and README).
 */


#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "compile.h"
#include "diff_cli.h"
#include "classify.h"
#include "evaluate.h"
#include "examples.h"
#include "export.h"
#include "generate.h"
#include "map.h"
#include "publish.h"
#include "report.h"
#include "schedule.h"
#include "train.h"
#include "config.h"
#include "ingest.h"
#include "migrate.h"
#include "util.h"


typedef struct {
    const char  *name;
    int        (*run)(int argc, char **argv);
    const char  *help;
} attck_command_t;


static const attck_command_t  attck_commands[] = {
    { "compile", attck_compile_main,
      "STIX 2.1 bundles -> snapshot file served by ngx_attck_module" },
    { "migrate", attck_migrate_main,
      "apply sql/ migrations to $ATTCK_DATABASE_URL" },
    { "ingest", attck_ingest_main,
      "load ATT&CK releases into PostgreSQL (ingest attack)" },
    { "examples", attck_examples_main,
      "ATT&CK's own labeled sentences as JSON Lines (train --labeled)" },
    { "train", attck_train_main,
      "learn the mapping model from ATT&CK and labeled text" },
    { "classify", attck_classify_main,
      "map JSON Lines of text to techniques with a model" },
    { "map", attck_map_main,
      "map new and changed threats in PostgreSQL to techniques" },
    { "publish", attck_publish_main,
      "PostgreSQL -> snapshot file and Redis generation for nginx" },
    { "export", attck_export_main,
      "send new and changed mapped threats to a SIEM or SOAR" },
    { "report", attck_report_main,
      "threat-landscape reports: HTML, PDF, CSV, JSON, Navigator layer" },
    { "run", attck_run_main,
      "ingest all, map, publish, export, report: once, stopping at\n"
      "             the first failure" },
    { "daemon", attck_daemon_main,
      "the stages of run on their intervals, until SIGTERM" },
    { "diff", attck_diff_main,
      "what changed between two ATT&CK releases (JSON, Markdown, HTML,\n"
      "             Navigator layer)" },
    { "evaluate", attck_evaluate_main,
      "score the model on held-out actors beside a TF-IDF baseline" },
    { "generate", attck_generate_main,
      "synthetic threats from ATT&CK's procedure examples, for demos,\n"
      "             tests and benchmarks (deterministic from --seed)" },
    { NULL, NULL, NULL }
};


static void attck_usage(FILE *f);


static void
attck_usage(FILE *f)
{
    const attck_command_t  *c;

    fprintf(f, "usage: attck-worker [--config FILE] COMMAND [OPTIONS]\n\n"
            "commands:\n");

    for (c = attck_commands; c->name; c++) {
        fprintf(f, "  %-10s %s\n", c->name, c->help);
    }

    fprintf(f, "\n'attck-worker COMMAND --help' describes a command; every "
            "setting of the\nconfiguration file (conf/attck-worker.yaml) "
            "can be given as an environment\nvariable instead, which wins "
            "over the file.\n");
}


int
main(int argc, char **argv)
{
    int                     rc;
    const attck_command_t  *c;

    /*
     * hiredis writes with write(2): a Redis that closes the connection in
     * the middle of a command would kill the worker with SIGPIPE, with no
     * log line and no exit code of ours.  Ignored, the write fails with
     * EPIPE and the command's caller reports it (publish: exit 75).
     * libpq and libcurl send with MSG_NOSIGNAL themselves (fetch.c's
     * CURLOPT_NOSIGNAL only keeps libcurl from alarm() and from handling
     * SIGPIPE on its own).  A closed stdout now fails the write ("cannot
     * write", exit 73) rather than killing the worker unannounced.  The
     * stages that run and daemon fork inherit it.
     */

    (void) signal(SIGPIPE, SIG_IGN);

    /* --config FILE before the command, else $ATTCK_CONFIG */

    if (argc > 2 && strcmp(argv[1], "--config") == 0) {
        attck_config_load(argv[2]);
        argc -= 2;
        argv += 2;

    } else if (getenv("ATTCK_CONFIG") && *getenv("ATTCK_CONFIG")) {
        attck_config_load(getenv("ATTCK_CONFIG"));
    }

    if (argc < 2) {
        attck_usage(stderr);
        return ATTCK_EXIT_USAGE;
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0)
    {
        attck_usage(stdout);
        return ATTCK_EXIT_OK;
    }

    for (c = attck_commands; c->name; c++) {
        if (strcmp(argv[1], c->name) == 0) {
            curl_global_init(CURL_GLOBAL_DEFAULT);
            rc = c->run(argc - 1, argv + 1);
            curl_global_cleanup();
            return rc;
        }
    }

    attck_log("error", "unknown command \"%s\" (try --help)", argv[1]);

    return ATTCK_EXIT_USAGE;
}
