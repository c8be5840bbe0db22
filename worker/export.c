
/*
 * attck-worker export: mapped threats -> a SIEM or SOAR, over HTTP.
 *
 * A threat is sent as one document (attck_export_document() in sql/) in
 * batches of POST requests.  After each batch the receiver accepted, the
 * digest of every document in it is committed to export_state; the next
 * run sends only the threats whose document is new or changed.  A run
 * cut short (HTTP error, database gone) thus resumes after the last
 * accepted batch, and a batch sent but not recorded is sent once more:
 * delivery is at least once (the elastic format stores it once anyway).
 */


#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "db.h"
#include "export.h"
#include "export_format.h"
#include "fetch.h"
#include "stage.h"
#include "util.h"


#define ATTCK_EXPORT_MAX_BODY  (4 * 1024 * 1024)   /* bytes per request */


typedef struct {
    PGconn                       *db;
    const attck_export_format_t  *format;
    const char                   *url;
    char                          target[1100];   /* format + URL shown */
    char                          run_id[32];
    char                          auth[1024];
    size_t                        sent;
    size_t                        requests;
} attck_export_t;


static void attck_export_run_end(attck_export_t *x, const char *error);
static int attck_export_batch(attck_export_t *x, PGresult *res,
    size_t *taken, char *err, size_t errlen);
static void attck_export_record(attck_export_t *x, PGresult *res,
    size_t n);


/* the threats whose document the target has not accepted yet, in order */
static const char  attck_export_select[] =
    "SELECT d.id, d.doc_id, d.doc::text,"
    "       extract(epoch FROM d.seen)::bigint, md5(d.doc::text)"
    "  FROM (SELECT t.id, t.source || ':' || t.source_id AS doc_id,"
    "               attck_export_document(t, $3::real) AS doc,"
    "               coalesce(t.last_seen, t.first_seen, t.updated_at) AS seen"
    "          FROM threat_intelligence_data t"
    "         WHERE t.id > $2::bigint) d"
    "  LEFT JOIN export_state e ON e.target = $1 AND e.threat_id = d.id"
    " WHERE e.digest IS DISTINCT FROM md5(d.doc::text)"
    /* a threat without techniques is news only if it had some before */
    "   AND (e.threat_id IS NOT NULL OR d.doc->'techniques' <> '[]')"
    " ORDER BY d.id LIMIT $4::int";


int
attck_export_main(int argc, char **argv)
{
    int                   c, rc;
    char                  err[1024], last[32], batch_s[16], min_s[32],
                         *env, *token, *name;
    size_t                batch, taken;
    double                min_score;
    PGresult             *res;
    const char           *params[4];
    attck_export_t        x;
    static struct option  longopts[] = {
        { "url", required_argument, NULL, 'u' },
        { "format", required_argument, NULL, 'f' },
        { "batch", required_argument, NULL, 'b' },
        { "min-score", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&x, 0, sizeof(attck_export_t));

    x.url = getenv("ATTCK_EXPORT_URL");
    name = getenv("ATTCK_EXPORT_FORMAT");
    batch = attck_number_env("export", "ATTCK_EXPORT_BATCH", 500, 1, 10000);
    env = getenv("ATTCK_EXPORT_MIN_SCORE");
    min_score = (env && *env)
                ? attck_classify_threshold("export", "ATTCK_EXPORT_MIN_SCORE",
                                           env)
                : 0;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":u:f:b:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            x.url = optarg;
            break;
        case 'f':
            name = optarg;
            break;
        case 'b':
            batch = attck_number("export", "--batch", optarg, 1, 10000);
            break;
        case 's':
            min_score = attck_classify_threshold("export", "--min-score",
                                                 optarg);
            break;
        case 'h':
            printf("usage: attck-worker export [--url URL] "
                   "[--format hec|elastic|ndjson] [--batch N]\n"
                   "                           [--min-score S]\n"
                   "sends the mapped threats that are new or changed since "
                   "the last run to a\nSIEM or SOAR (default "
                   "$ATTCK_EXPORT_URL, $ATTCK_EXPORT_FORMAT or hec);\n"
                   "the token is read from $ATTCK_EXPORT_TOKEN only\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("export", c, argv);
        }
    }

    if (x.url == NULL || *x.url == '\0') {
        attck_fatal(ATTCK_EXIT_USAGE, "export: nowhere to export: set "
                    "export.url, ATTCK_EXPORT_URL or --url");
    }

    if (strncmp(x.url, "http://", 7) != 0
        && strncmp(x.url, "https://", 8) != 0)
    {
        attck_url_redact(x.url, err, sizeof(err));
        attck_fatal(ATTCK_EXIT_USAGE, "export: %s: not an http or https URL",
                    err);
    }

    if (name == NULL || *name == '\0') {
        name = "hec";
    }

    x.format = attck_export_format(name);
    if (x.format == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "export: unknown format \"%.64s\" "
                    "(hec, elastic or ndjson)", name);
    }

    token = getenv("ATTCK_EXPORT_TOKEN");

    if (token && *token) {
        if (strlen(token) > 900 || strpbrk(token, "\r\n")) {
            attck_fatal(ATTCK_EXIT_USAGE, "export: ATTCK_EXPORT_TOKEN is "
                        "not a valid token");
        }

        snprintf(x.auth, sizeof(x.auth), "Authorization: %s %s",
                 x.format->auth_scheme, token);
    }

    /* the target names the state: another format or URL starts afresh */

    attck_url_redact(x.url, err, sizeof(err));
    snprintf(x.target, sizeof(x.target), "%s %s", x.format->name, err);

    x.db = attck_db_connect();

    if (attck_db_stage_lock(x.db, "export") != 0) {
        PQfinish(x.db);
        return ATTCK_EXIT_TEMPFAIL;
    }

    params[0] = x.target;
    res = attck_db_query(x.db, "export",
                         "INSERT INTO export_runs (target, status)"
                         " VALUES ($1, 'running') RETURNING id", 1, params);
    snprintf(x.run_id, sizeof(x.run_id), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    snprintf(batch_s, sizeof(batch_s), "%zu", batch);
    snprintf(min_s, sizeof(min_s), "%g", min_score);
    strcpy(last, "0");

    for ( ;; ) {
        params[0] = x.target;
        params[1] = last;
        params[2] = min_s;
        params[3] = batch_s;

        res = attck_db_query(x.db, "export", attck_export_select, 4, params);

        if (PQntuples(res) == 0) {
            PQclear(res);
            break;
        }

        rc = attck_export_batch(&x, res, &taken, err, sizeof(err));

        if (rc != 0) {
            PQclear(res);
            attck_export_run_end(&x, err);
            PQfinish(x.db);
            attck_fatal(rc, "export: %s (sent=%zu before it)", err, x.sent);
        }

        snprintf(last, sizeof(last), "%s", PQgetvalue(res, taken - 1, 0));
        PQclear(res);
    }

    attck_export_run_end(&x, NULL);
    PQfinish(x.db);

    attck_log("info", "export: target=\"%s\" sent=%zu requests=%zu%s",
              x.target, x.sent, x.requests,
              x.sent ? "" : " (nothing new)");

    attck_stage_count("export", "sent", NULL, (long long) x.sent);
    attck_stage_count("export", "requests", NULL, (long long) x.requests);

    return ATTCK_EXIT_OK;
}


/*
 * POSTs the first rows of res that fit in one request and records them;
 * taken: how many
 */

static int
attck_export_batch(attck_export_t *x, PGresult *res, size_t *taken,
    char *err, size_t errlen)
{
    int                    rc;
    char                   ctype[128];
    size_t                 i, n, before;
    const char            *headers[3];
    attck_buf_t            body;
    attck_fetch_opts_t     o;
    attck_fetch_result_t   answer;

    memset(&body, 0, sizeof(attck_buf_t));
    n = (size_t) PQntuples(res);

    for (i = 0; i < n; i++) {
        before = body.len;

        x->format->frame(&body, PQgetvalue(res, (int) i, 1),
                         PQgetvalue(res, (int) i, 2),
                         (time_t) strtoll(PQgetvalue(res, (int) i, 3), NULL,
                                          10));

        /* the next one waits for the next request, unless it is alone */

        if (body.len > ATTCK_EXPORT_MAX_BODY && i > 0) {
            body.len = before;
            break;
        }
    }

    *taken = i;

    snprintf(ctype, sizeof(ctype), "Content-Type: %s",
             x->format->content_type);
    headers[0] = ctype;
    headers[1] = x->auth[0] ? x->auth : NULL;
    headers[2] = NULL;

    attck_fetch_defaults(&o);
    o.headers = headers;
    o.no_redirects = 1;        /* the token would go along */
    o.max_size = 16 * 1024 * 1024;
    o.post = body.data ? body.data : "";
    o.post_len = body.len;

    rc = attck_fetch(x->url, &o, &answer, err, errlen);
    x->requests++;
    free(body.data);

    if (rc != 0) {
        if (answer.status == 401 || answer.status == 403) {
            snprintf(err + strlen(err), errlen - strlen(err),
                     " (the receiver refused the token: check "
                     "ATTCK_EXPORT_TOKEN)");
        }

        return rc;
    }

    rc = x->format->accepted
         ? x->format->accepted(answer.data, answer.len, err, errlen) : 0;
    free(answer.data);

    if (rc != 0) {
        return ATTCK_EXIT_UNAVAILABLE;
    }

    attck_export_record(x, res, *taken);

    return 0;
}


/* what the receiver accepted, committed before the next batch goes */

static void
attck_export_record(attck_export_t *x, PGresult *res, size_t n)
{
    size_t        i;
    attck_buf_t   ids, digests;
    const char   *params[4];

    memset(&ids, 0, sizeof(attck_buf_t));
    memset(&digests, 0, sizeof(attck_buf_t));

    /* both are digits or hex: safe inside an array literal */

    for (i = 0; i < n; i++) {
        attck_buf_str(&ids, i ? "," : "{");
        attck_buf_str(&digests, i ? "," : "{");
        attck_buf_str(&ids, PQgetvalue(res, (int) i, 0));
        attck_buf_str(&digests, PQgetvalue(res, (int) i, 4));
    }

    attck_buf_str(&ids, "}");
    attck_buf_str(&digests, "}");

    x->sent += n;

    params[0] = x->target;
    params[1] = ids.data;
    params[2] = digests.data;
    params[3] = x->run_id;

    PQclear(attck_db_query(x->db, "export",
        "WITH s AS ("
        "  INSERT INTO export_state AS e (target, threat_id, digest)"
        "  SELECT $1, i, d FROM unnest($2::bigint[], $3::text[]) AS u(i, d)"
        "  ON CONFLICT (target, threat_id) DO UPDATE"
        "     SET digest = EXCLUDED.digest, exported_at = now()"
        "  RETURNING 1"
        ")"
        " UPDATE export_runs SET sent = sent + (SELECT count(*) FROM s),"
        "        requests = requests + 1"
        "  WHERE id = $4::bigint", 4, params));

    free(ids.data);
    free(digests.data);
}


static void
attck_export_run_end(attck_export_t *x, const char *error)
{
    char         requests[32];
    const char  *params[3];

    snprintf(requests, sizeof(requests), "%zu", x->requests);

    params[0] = x->run_id;
    params[1] = error;
    params[2] = requests;

    /* the database may be the failure: then there is nothing to record */

    PQclear(attck_db_run(x->db,
        "UPDATE export_runs SET finished_at = now(), requests = $3::int,"
        "       status = CASE WHEN $2::text IS NULL THEN 'done'"
        "                     ELSE 'failed' END, error = $2"
        " WHERE id = $1::bigint", 3, params, requests, sizeof(requests)));
}
