
/*
 * attck-worker ingest otx: AlienVault OTX pulses into PostgreSQL.
 *
 * GET {otx}/api/v1/pulses/subscribed?limit=...&modified_since=<cursor>
 * with the X-OTX-API-KEY header, following "next" pages, all in one
 * transaction: the pulses are COPYed raw and attck_load_otx()
 * (sql/003_intel.sql) writes those that changed.  The cursor moves on
 * only with a committed run, so a failed run is simply done again.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "fetch.h"
#include "ingest.h"
#include "ingest_copy.h"
#include "progress.h"
#include "util.h"


#define ATTCK_OTX_PAGE       50
#define ATTCK_OTX_MAX_PAGES  10000


static size_t attck_otx_origin(const char *url);
static int attck_otx_page(PGconn *db, const char *data, size_t len,
    attck_ingest_result_t *r, char *max_modified, size_t size, char **next,
    char *err, size_t errlen);


/* the length of "scheme://host[:port]" */

static size_t
attck_otx_origin(const char *url)
{
    const char  *p;

    p = strstr(url, "://");
    if (p == NULL) {
        return 0;
    }

    p += 3;

    return (size_t) (p - url) + strcspn(p, "/?#");
}


static int
attck_otx_page(PGconn *db, const char *data, size_t len,
    attck_ingest_result_t *r, char *max_modified, size_t size, char **next,
    char *err, size_t errlen)
{
    int            rc;
    char          *s, *fixed;
    size_t         i, flen, repaired;
    json_t        *root, *results, *pulse;
    const char    *modified, *id, *n;
    attck_vec_t    rows;
    json_error_t   je;

    /*
     * Broken UTF-8 becomes U+FFFD, so a pulse with it is stored safely;
     * NUL is allowed here so that such a pulse is refused on its own.
     */

    fixed = attck_xmalloc(3 * len + 1);
    repaired = attck_text_utf8_repair(fixed, &flen, data, len);

    if (repaired) {
        attck_log("warn", "ingest otx: %zu invalid UTF-8 bytes replaced",
                  repaired);
    }

    root = json_loadb(fixed, flen, JSON_ALLOW_NUL, &je);
    free(fixed);
    results = json_object_get(root, "results");

    if (!json_is_array(results)) {
        snprintf(err, errlen, "not an OTX pulse list (%s)",
                 root ? "no \"results\" array" : je.text);
        json_decref(root);
        return ATTCK_EXIT_DATAERR;
    }

    attck_vec_init(&rows, 1);

    json_array_foreach(results, i, pulse) {
        r->fetched++;
        id = json_string_value(json_object_get(pulse, "id"));
        s = json_dumps(pulse, JSON_COMPACT|JSON_PRESERVE_ORDER);

        if (id == NULL || *id == '\0' || s == NULL
            || attck_ingest_copy_json(&rows, s) != 0)
        {
            r->failed++;
            free(s);
            continue;
        }

        free(s);

        modified = json_string_value(json_object_get(pulse, "modified"));

        if (modified && strlen(modified) < size
            && strcmp(modified, max_modified) > 0)
        {
            strcpy(max_modified, modified);
        }
    }

    rc = 0;

    if (rows.n
        && attck_db_copy(db, "COPY attck_otx_staging FROM STDIN", rows.data,
                         rows.n, err, errlen)
           != 0)
    {
        rc = attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    }

    attck_vec_free(&rows);

    n = json_string_value(json_object_get(root, "next"));
    *next = n ? attck_xstrdup(n) : NULL;
    json_decref(root);

    return rc;
}


int
attck_ingest_otx(PGconn *db, const char *base, const char *key,
    attck_ingest_result_t *r, char *err, size_t errlen)
{
    int                    rc, page;
    char                   header[512], max_modified[64], *url, *next;
    char                  *prev;
    char                  *since;
    size_t                 origin, len;
    PGresult              *res;
    const char            *headers[3], *params[3];
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   f;

    params[0] = base;
    res = attck_db_run(db, "SELECT cursor FROM source_state "
                       "WHERE source = $1", 1, params, err, errlen);
    if (res == NULL) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    max_modified[0] = '\0';

    if (PQntuples(res) && !PQgetisnull(res, 0, 0)) {
        snprintf(max_modified, sizeof(max_modified), "%s",
                 PQgetvalue(res, 0, 0));
    }

    PQclear(res);

    len = strlen(base) + 128;
    url = attck_xmalloc(len);

    if (max_modified[0]) {
        since = curl_easy_escape(NULL, max_modified, 0);
        snprintf(url, len, "%s/api/v1/pulses/subscribed?limit=%d"
                 "&modified_since=%s", base, ATTCK_OTX_PAGE, since);
        curl_free(since);

    } else {
        snprintf(url, len, "%s/api/v1/pulses/subscribed?limit=%d", base,
                 ATTCK_OTX_PAGE);
    }

    /* the key goes in a header, never into a URL or a log line */

    snprintf(header, sizeof(header), "X-OTX-API-KEY: %s", key);
    headers[0] = header;
    headers[1] = "Accept: application/json";
    headers[2] = NULL;

    attck_fetch_defaults(&opts);
    opts.headers = headers;
    origin = attck_otx_origin(base);
    opts.no_redirects = 1;

    if (attck_db_exec(db, "BEGIN", err, errlen) != 0
        || attck_db_exec(db, "CREATE TEMP TABLE attck_otx_staging "
                         "(raw jsonb) ON COMMIT DROP", err, errlen) != 0)
    {
        free(url);
        return ATTCK_EXIT_TEMPFAIL;
    }

    rc = 0;

    prev = attck_xstrdup(url);

    for (page = 0; url; page++) {

        /* past the limit the cursor must not move: the rest would be lost */

        if (page == ATTCK_OTX_MAX_PAGES) {
            snprintf(err, errlen, "more than %d pages: the run is stopped "
                     "and the cursor kept", ATTCK_OTX_MAX_PAGES);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        rc = attck_fetch(url, &opts, &f, err, errlen);

        if (rc == 0) {
            rc = attck_otx_page(db, f.data, f.len, r, max_modified,
                                sizeof(max_modified), &next, err, errlen);
            free(f.data);
        }

        free(url);
        url = NULL;

        if (rc != 0) {
            break;
        }

        /* the next page must be OTX's own: the key goes with it */

        if (next && (origin == 0 || strncmp(next, base, origin) != 0
                     || attck_otx_origin(next) != origin))
        {
            snprintf(err, errlen, "the next page is on another host; the "
                     "API key is not sent there");
            free(next);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        /* a page that names itself next would never end */

        if (next && prev && strcmp(next, prev) == 0) {
            snprintf(err, errlen, "the next page is the page just read");
            free(next);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        free(prev);
        prev = next ? attck_xstrdup(next) : NULL;
        url = next;
        attck_progress("OTX: %d pages, %ld pulses", page + 1, r->fetched);
    }

    free(url);
    free(prev);

    if (rc != 0) {
        if (!attck_db_lost(db)) {
            (void) attck_db_exec(db, "ROLLBACK", header, sizeof(header));
        }

        return rc;
    }

    res = attck_db_run(db, "SELECT n_added, n_changed, n_unchanged "
                       "FROM attck_load_otx()", 0, NULL, err, errlen);
    if (res == NULL) {
        (void) attck_db_exec(db, "ROLLBACK", header, sizeof(header));
        return attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_DATAERR;
    }

    r->added = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->changed = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    r->unchanged = strtol(PQgetvalue(res, 0, 2), NULL, 10);
    r->stored = r->added + r->changed;
    r->status = r->added ? "new" : r->changed ? "changed" : "unchanged";
    PQclear(res);

    params[1] = max_modified[0] ? max_modified : NULL;
    res = attck_db_run(db, "INSERT INTO source_state (source, kind, cursor, "
                       "checked_at, changed_at) VALUES ($1, 'otx', $2, now(), "
                       "now()) ON CONFLICT (source) DO UPDATE SET "
                       "cursor = coalesce($2, source_state.cursor), "
                       "checked_at = now()", 2, params, err, errlen);

    if (res == NULL || attck_db_exec(db, "COMMIT", err, errlen) != 0) {
        PQclear(res);
        return ATTCK_EXIT_TEMPFAIL;
    }

    PQclear(res);

    return 0;
}
