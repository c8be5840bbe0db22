
/*
 * attck-worker ingest virustotal: VirusTotal (API v3) reports on the
 * indicators of OTX pulses.
 *
 * The public API allows 4 requests a minute and 500 a day: requests are
 * spaced to $ATTCK_VT_RATE a minute and a run asks at most what is left
 * of $ATTCK_VT_DAILY today.  An indicator asked within $ATTCK_VT_MAX_AGE
 * days is not asked again.  The key goes in the x-apikey header only.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "fetch.h"
#include "ingest.h"
#include "ingest_copy.h"
#include "progress.h"
#include "util.h"


static void attck_vt_text(attck_vec_t *out, const char *s);
static void attck_vt_base64url(const char *in, char *out, size_t size);
static const char *attck_vt_path(const char *type, const char *indicator,
    const char **object_type, char **id);


/* a text field of a COPY row: backslash, tab and line ends escaped */

static void
attck_vt_text(attck_vec_t *out, const char *s)
{
    for ( /* void */ ; *s; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
            *(char *) attck_vec_push(out) = '\\';
            *(char *) attck_vec_push(out) = *s == '\t' ? 't'
                                            : *s == '\n' ? 'n'
                                            : *s == '\r' ? 'r' : '\\';
            continue;
        }

        *(char *) attck_vec_push(out) = *s;
    }
}


/* VirusTotal's URL identifier: base64url without padding */

static void
attck_vt_base64url(const char *in, char *out, size_t size)
{
    size_t                i, n, len;
    unsigned int          v;
    static const char     alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    len = strlen(in);
    n = 0;

    for (i = 0; i < len && n + 5 < size; i += 3) {
        v = (unsigned char) in[i] << 16;
        v |= (i + 1 < len) ? (unsigned char) in[i + 1] << 8 : 0;
        v |= (i + 2 < len) ? (unsigned char) in[i + 2] : 0;

        out[n++] = alphabet[(v >> 18) & 63];
        out[n++] = alphabet[(v >> 12) & 63];

        if (i + 1 < len) {
            out[n++] = alphabet[(v >> 6) & 63];
        }

        if (i + 2 < len) {
            out[n++] = alphabet[v & 63];
        }
    }

    out[n] = '\0';
}


/*
 * The report's path for an OTX indicator type (NULL for other types) and
 * the object's id in *id, malloc()ed: as long as the indicator needs.
 */

static const char *
attck_vt_path(const char *type, const char *indicator,
    const char **object_type, char **id)
{
    size_t  size;

    /* an empty indicator names no object: its path would be a collection */

    if (indicator[0] == '\0') {
        *id = NULL;
        return NULL;
    }

    size = strlen(indicator) * 4 / 3 + 8;
    *id = attck_xmalloc(size);

    if (strncmp(type, "FileHash-", 9) == 0) {
        *object_type = "file";
        snprintf(*id, size, "%s", indicator);
        return "files";
    }

    if (strcmp(type, "IPv4") == 0 || strcmp(type, "IPv6") == 0) {
        *object_type = "ip_address";
        snprintf(*id, size, "%s", indicator);
        return "ip_addresses";
    }

    if (strcmp(type, "domain") == 0 || strcmp(type, "hostname") == 0) {
        *object_type = "domain";
        snprintf(*id, size, "%s", indicator);
        return "domains";
    }

    if (strcmp(type, "URL") == 0) {
        *object_type = "url";
        attck_vt_base64url(indicator, *id, size);
        return "urls";
    }

    free(*id);
    *id = NULL;

    return NULL;
}


int
attck_ingest_vt(PGconn *db, const char *base, const char *key,
    attck_ingest_result_t *r, char *err, size_t errlen)
{
    int                    rc, failed_rc;
    char                   header[512], limit[32], age[32], *s, *url;
    char                   failed_err[512];
    char                  *id;
    long                   rate, daily, max_age, i, n;
    size_t                 flen;
    json_t                *root, *data;
    PGresult              *cand, *res;
    const char            *headers[3], *params[2], *path, *object_type;
    attck_vec_t            rows;
    json_error_t           je;
    struct timespec        gap;
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   f;

    rate = attck_number_env("ingest", "ATTCK_VT_RATE", 4, 1, 60000);
    daily = attck_number_env("ingest", "ATTCK_VT_DAILY", 500, 1, 10000000);
    max_age = attck_number_env("ingest", "ATTCK_VT_MAX_AGE", 7, 1, 3650);

    /* what is left of today's budget */

    res = attck_db_run(db, "SELECT count(*) FROM virustotal_data "
                       "WHERE fetched_at >= date_trunc('day', now())", 0,
                       NULL, err, errlen);
    if (res == NULL) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    n = daily - strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);

    if (n <= 0) {
        attck_log("info", "ingest virustotal: today's %ld requests are spent",
                  daily);
        r->status = "unchanged";
        return 0;
    }

    snprintf(limit, sizeof(limit), "%ld", n);
    snprintf(age, sizeof(age), "%ld days", max_age);
    params[0] = limit;
    params[1] = age;

    /*
     * one question per VirusTotal object (a domain may also be an OTX
     * hostname), the newest indicators first
     */

    cand = attck_db_run(db,
               "SELECT type, indicator FROM ("
               " SELECT DISTINCT ON (vt, indicator) type, indicator, created"
               " FROM (SELECT i.*, CASE WHEN i.type LIKE 'FileHash-%' "
               "  THEN 'file' WHEN i.type IN ('IPv4', 'IPv6') "
               "  THEN 'ip_address' WHEN i.type IN ('domain', 'hostname') "
               "  THEN 'domain' ELSE 'url' END AS vt"
               "  FROM otx_indicators i WHERE i.type IN ('FileHash-MD5', "
               "  'FileHash-SHA1', 'FileHash-SHA256', 'IPv4', 'IPv6', "
               "  'domain', 'hostname', 'URL')) c"
               " WHERE NOT EXISTS (SELECT 1 FROM virustotal_data v "
               "  WHERE v.object_type = c.vt AND v.indicator = c.indicator "
               "  AND v.fetched_at > now() - $2::interval)"
               " ORDER BY vt, indicator, created DESC NULLS LAST) d "
               "ORDER BY created DESC NULLS LAST, indicator LIMIT $1::bigint",
               2, params, err, errlen);
    if (cand == NULL) {
        return ATTCK_EXIT_TEMPFAIL;
    }

    snprintf(header, sizeof(header), "x-apikey: %s", key);
    headers[0] = header;
    headers[1] = "Accept: application/json";
    headers[2] = NULL;

    attck_fetch_defaults(&opts);
    opts.headers = headers;
    opts.max_size = 16 * 1024 * 1024;
    opts.no_redirects = 1;

    gap.tv_sec = 60 / rate;
    gap.tv_nsec = (60000 / rate % 1000) * 1000000L;

    attck_vec_init(&rows, 1);
    rc = 0;

    for (i = 0; i < PQntuples(cand); i++) {
        path = attck_vt_path(PQgetvalue(cand, i, 0), PQgetvalue(cand, i, 1),
                             &object_type, &id);
        if (path == NULL) {
            continue;
        }

        if (i > 0) {
            nanosleep(&gap, NULL);
        }

        /* indicators come from OTX: anything is escaped into the path */

        s = curl_easy_escape(NULL, id, 0);
        free(id);
        n = strlen(base) + strlen(path) + (s ? strlen(s) : 0) + 16;
        url = attck_xmalloc(n);
        snprintf(url, n, "%s/api/v3/%s/%s", base, path, s ? s : "");
        curl_free(s);

        r->fetched++;
        attck_progress("VirusTotal: %ld of %d indicators", r->fetched,
                       PQntuples(cand));
        rc = attck_fetch(url, &opts, &f, err, errlen);
        free(url);

        if (rc != 0 && f.status == 404) {

            /* not known to VirusTotal: kept, so it is not asked again */

            rc = 0;
            attck_vt_text(&rows, object_type);
            *(char *) attck_vec_push(&rows) = '\t';
            attck_vt_text(&rows, PQgetvalue(cand, i, 1));

            /* the rest of the row: found false, no report */
            attck_ingest_copy_json(&rows, "\tf\t{}");
            continue;
        }

        if (rc != 0) {
            break;
        }

        /* as for OTX: broken UTF-8 becomes U+FFFD, the report is kept */

        s = attck_xmalloc(3 * f.len + 1);

        if (attck_text_utf8_repair(s, &flen, f.data, f.len)) {
            attck_log("warn", "ingest virustotal: invalid UTF-8 replaced in "
                      "the report on %s", PQgetvalue(cand, i, 1));
        }

        free(f.data);
        root = json_loadb(s, flen, JSON_ALLOW_NUL, &je);
        data = json_object_get(root, "data");
        free(s);

        if (!json_is_object(data)
            || !json_is_object(json_object_get(data, "attributes")))
        {
            snprintf(err, errlen, "%s: not a VirusTotal report (%s)",
                     PQgetvalue(cand, i, 1),
                     root ? "no data.attributes" : je.text);
            json_decref(root);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        s = json_dumps(data, JSON_COMPACT);
        n = (long) rows.n;

        attck_vt_text(&rows, object_type);
        *(char *) attck_vec_push(&rows) = '\t';
        attck_vt_text(&rows, PQgetvalue(cand, i, 1));
        *(char *) attck_vec_push(&rows) = '\t';
        *(char *) attck_vec_push(&rows) = 't';
        *(char *) attck_vec_push(&rows) = '\t';

        if (s == NULL || attck_ingest_copy_json(&rows, s) != 0) {
            rows.n = (size_t) n;
            r->failed++;
        }

        free(s);
        json_decref(root);
    }

    PQclear(cand);

    /*
     * A failure stops the asking, but the reports already fetched are
     * kept: they were paid for out of the day's requests.
     */

    if (rc != 0 && rows.n == 0) {
        attck_vec_free(&rows);
        return rc;
    }

    failed_rc = rc;

    if (rc != 0) {
        snprintf(failed_err, sizeof(failed_err), "%s", err);
    }

    if (attck_db_exec(db, "BEGIN", err, errlen) != 0
        || attck_db_exec(db, "CREATE TEMP TABLE attck_vt_staging "
                         "(object_type text, indicator text, found boolean, "
                         "raw jsonb) ON COMMIT DROP", err, errlen) != 0
        || (rows.n && attck_db_copy(db, "COPY attck_vt_staging FROM STDIN",
                                    rows.data, rows.n, err, errlen) != 0))
    {
        attck_vec_free(&rows);
        return ATTCK_EXIT_TEMPFAIL;
    }

    attck_vec_free(&rows);

    res = attck_db_run(db, "SELECT attck_load_virustotal()", 0, NULL, err,
                       errlen);

    if (res == NULL || attck_db_exec(db, "COMMIT", err, errlen) != 0) {
        PQclear(res);

        if (!attck_db_lost(db)) {
            (void) attck_db_exec(db, "ROLLBACK", header, sizeof(header));
            return ATTCK_EXIT_DATAERR;
        }

        return ATTCK_EXIT_TEMPFAIL;
    }

    r->stored = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->added = r->stored;
    r->status = r->stored ? "new" : "unchanged";
    PQclear(res);

    if (failed_rc) {
        snprintf(err, errlen, "%s (the %ld reports fetched before are kept)",
                 failed_err, r->stored);
    }

    return failed_rc;
}
