
/*
 * attck-worker diff FROM TO [SOURCE...]: the changelog of one domain,
 * printed as the API's "GET diff" answers it (the same code renders
 * both).  FROM and TO are release numbers, found among the SOURCE
 * bundles or, without any, in the database; or they are bundles
 * themselves (a path or URL).
 */


#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_diff.h"
#include "db.h"
#include "diff.h"
#include "diff_cli.h"
#include "fetch.h"
#include "render_diff.h"
#include "stix.h"
#include "util.h"


static int attck_diff_is_source(const char *arg);
static void attck_diff_load(const char *src, attck_bundle_t *b);
static void attck_diff_db(PGconn *db, const char *domain,
    const char *version, attck_bundle_t *b);


/* a path or URL rather than a release number */

static int
attck_diff_is_source(const char *arg)
{
    return strchr(arg, '/') != NULL || strstr(arg, ".json") != NULL;
}


static void
attck_diff_load(const char *src, attck_bundle_t *b)
{
    int                    rc;
    char                   err[1024];
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   res;

    attck_fetch_defaults(&opts);

    rc = attck_fetch(src, &opts, &res, err, sizeof(err));
    if (rc != 0) {
        attck_fatal(rc, "diff: %s", err);
    }

    rc = attck_bundle_load(b, src, res.data, res.len, err, sizeof(err));
    free(res.data);

    if (rc != 0) {
        attck_fatal(rc, "diff: %s", err);
    }
}


static void
attck_diff_db(PGconn *db, const char *domain, const char *version,
    attck_bundle_t *b)
{
    int          rc;
    char         err[512];
    PGresult    *res;
    const char  *param[2];

    param[0] = domain;
    param[1] = version;

    res = attck_db_query(db, "diff",
                         "SELECT attck_release_bundle(id) FROM attack_releases"
                         " WHERE domain = $1 AND version = $2", 2, param);

    if (PQntuples(res) != 1) {
        PQclear(res);

        res = attck_db_query(db, "diff",
                             "SELECT string_agg(version, ', ' ORDER BY"
                             " loaded_at) FROM attack_releases"
                             " WHERE domain = $1", 1, param);

        attck_fatal(ATTCK_EXIT_NOINPUT, "diff: %s %s is not in the database "
                    "(loaded: %s)", domain, version,
                    PQgetisnull(res, 0, 0) ? "none"
                                           : PQgetvalue(res, 0, 0));
    }

    rc = attck_bundle_load(b, "postgresql", PQgetvalue(res, 0, 0),
                           (size_t) PQgetlength(res, 0, 0), err, sizeof(err));
    if (rc != 0) {
        attck_fatal(rc, "diff: %s", err);
    }

    PQclear(res);
}


int
attck_diff_main(int argc, char **argv)
{
    int                    c, format, type, section;
    char                  *body;
    size_t                 i, k, n, len;
    json_t                *diff, *slice;
    PGconn                *db;
    const char            *domain, *from, *to, *v;
    attck_bundle_t         pair[2], *srcs;
    static struct option   longopts[] = {
        { "domain", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "type", required_argument, NULL, 't' },
        { "section", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    domain = "enterprise-attack";
    format = ATTCK_DIFF_JSON;
    type = -1;
    section = -1;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":d:f:t:s:h", longopts, NULL)) != -1)
    {
        switch (c) {
        case 'd':
            domain = strcmp(optarg, "enterprise") == 0 ? "enterprise-attack"
                     : strcmp(optarg, "mobile") == 0 ? "mobile-attack"
                     : strcmp(optarg, "ics") == 0 ? "ics-attack" : NULL;
            if (domain == NULL) {
                attck_fatal(ATTCK_EXIT_USAGE, "diff: --domain is "
                            "enterprise, mobile or ics");
            }
            break;
        case 'f':
            format = attck_diff_format(optarg);
            if (format < 0) {
                attck_fatal(ATTCK_EXIT_USAGE, "diff: --format is json, "
                            "markdown, html or layer");
            }
            break;
        case 't':
            type = attck_diff_type(optarg, strlen(optarg));
            if (type < 0) {
                attck_fatal(ATTCK_EXIT_USAGE, "diff: --type is technique, "
                            "tactic, group, software, mitigation, campaign, "
                            "data-component, detection-strategy, analytic "
                            "or asset");
            }
            break;
        case 's':
            section = attck_diff_section(optarg, strlen(optarg));
            if (section < 0) {
                attck_fatal(ATTCK_EXIT_USAGE, "diff: --section is "
                            "additions, major_version_changes, "
                            "minor_version_changes, other_version_changes, "
                            "patches, revocations, deprecations or "
                            "deletions");
            }
            break;
        case 'h':
            printf("usage: attck-worker diff [--domain enterprise|mobile|ics]"
                   " [--format json|markdown|html|layer]\n"
                   "       [--type TYPE] [--section SECTION] FROM TO "
                   "[SOURCE...]\n"
                   "FROM, TO: release numbers (16.1), read from SOURCE "
                   "bundles or else from\n"
                   "$ATTCK_DATABASE_URL; or two bundles (path or URL)\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("diff", c, argv);
        }
    }

    if (argc - optind < 2) {
        attck_fatal(ATTCK_EXIT_USAGE, "diff: FROM and TO are required "
                    "(try --help)");
    }

    if (format == ATTCK_DIFF_LAYER && type > 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "diff: a layer shows techniques only");
    }

    from = argv[optind];
    to = argv[optind + 1];
    memset(pair, 0, sizeof(pair));

    if (attck_diff_is_source(from) || attck_diff_is_source(to)) {
        if (!attck_diff_is_source(from) || !attck_diff_is_source(to)
            || argc - optind > 2)
        {
            attck_fatal(ATTCK_EXIT_USAGE, "diff: give two bundles, or two "
                        "release numbers and the bundles to find them in");
        }

        attck_diff_load(from, &pair[0]);
        attck_diff_load(to, &pair[1]);

        if (strcmp(pair[0].domain, pair[1].domain) != 0) {
            attck_fatal(ATTCK_EXIT_DATAERR, "diff: %s is %s, %s is %s",
                        from, pair[0].domain, to, pair[1].domain);
        }

    } else if (argc - optind > 2) {

        /* release numbers among the bundles given */

        n = (size_t) (argc - optind - 2);
        srcs = attck_xcalloc(n, sizeof(attck_bundle_t));

        for (i = 0; i < n; i++) {
            attck_diff_load(argv[optind + 2 + i], &srcs[i]);
        }

        for (k = 0; k < 2; k++) {
            v = k ? to : from;

            for (i = 0; i < n; i++) {
                if (srcs[i].root != NULL
                    && strcmp(srcs[i].domain, domain) == 0
                    && strcmp(srcs[i].version, v) == 0)
                {
                    pair[k] = srcs[i];
                    memset(&srcs[i], 0, sizeof(attck_bundle_t));
                    break;
                }
            }

            if (i == n) {
                attck_fatal(ATTCK_EXIT_NOINPUT, "diff: %s %s is not among "
                            "the bundles given", domain, v);
            }
        }

        for (i = 0; i < n; i++) {
            if (srcs[i].root) {
                attck_bundle_free(&srcs[i]);
            }
        }

        free(srcs);

    } else {
        db = attck_db_connect();
        attck_diff_db(db, domain, from, &pair[0]);
        attck_diff_db(db, domain, to, &pair[1]);
        PQfinish(db);
    }

    diff = attck_compile_diff_pair(&pair[0], &pair[1]);
    slice = attck_diff_slice(diff, type, section);
    body = attck_render_diff(slice, format, &len);

    if (fwrite(body, 1, len, stdout) != len || fflush(stdout) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "diff: cannot write the output");
    }

    free(body);
    json_decref(slice);
    json_decref(diff);
    attck_bundle_free(&pair[0]);
    attck_bundle_free(&pair[1]);

    return ATTCK_EXIT_OK;
}
