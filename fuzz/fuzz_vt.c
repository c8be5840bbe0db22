
/*
 * Fuzzes the VirusTotal ingest (worker/ingest_vt.c) on the reports the
 * API sends and on the indicators OTX gave.  The body is read inside
 * attck_ingest_vt(), next to its statements, so that function runs
 * between the seams of fuzz_worker.c: the indicators to ask about and
 * the reports come from the input, the statements get the answers
 * PostgreSQL would give, the COPY rows are read as PostgreSQL reads them.
 *
 * Input: up to FUZZ_VT_MAX candidates, one "TYPE INDICATOR" a line,
 * then an empty line, then the bodies in order, separated by
 * FUZZ_VT_BODY; a body "404" is VirusTotal not knowing the object.
 *
 * Checked besides the sanitizers: every request goes to the configured
 * host with the key, its path is /api/v3/COLLECTION/ID with the
 * indicator escaped into one segment; every row names a candidate, says
 * t or f, and holds a JSON object jsonb takes ("{}" for f); a failure
 * says why.
 */


#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "../worker/ingest.h"
#include "fuzz.h"
#include "fuzz_worker.h"


#define FUZZ_VT_HOST  "vt.test"
#define FUZZ_VT_BASE  "https://" FUZZ_VT_HOST
#define FUZZ_VT_KEY   "fuzz-key"
#define FUZZ_VT_BODY  "\n--body--\n"
#define FUZZ_VT_MAX   4


typedef struct {
    const char  *data;
    size_t       len;
} fuzz_part_t;


static int fuzz_vt_fetch(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
static void fuzz_vt_path(const char *url);
static PGresult *fuzz_vt_run(const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
static void fuzz_vt_row(const char *sql, char **fields, size_t *lens,
    int nfields);
static const char *fuzz_vt_object_type(const char *type);
int LLVMFuzzerInitialize(int *argc, char ***argv);


/* the candidates: type and indicator, as the query returns them */
static char         *fuzz_vt_cands[FUZZ_VT_MAX * 2];
static int           fuzz_vt_ncands;
static fuzz_part_t   fuzz_vt_bodies[FUZZ_VT_MAX];
static size_t        fuzz_vt_nbodies;
static size_t        fuzz_vt_next;
static long          fuzz_vt_rows;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* requests are spaced 60 s / rate apart: 1 ms, the least it takes */

    setenv("ATTCK_VT_RATE", "60000", 1);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     i, rc;
    char                    err[1024];
    const char             *p, *end, *nl, *sp, *sep;
    attck_ingest_result_t   r;

    p = (const char *) data;
    end = p + size;
    fuzz_vt_ncands = 0;

    /* candidates come from PostgreSQL: text, each a type and a value */

    for ( ;; ) {
        nl = memchr(p, '\n', end - p);

        if (nl == NULL || fuzz_vt_ncands == FUZZ_VT_MAX) {
            goto done;
        }

        if (nl == p) {
            p++;
            break;
        }

        sp = memchr(p, ' ', nl - p);

        if (sp == NULL || fuzz_bad_text(p, nl - p)) {
            goto done;
        }

        fuzz_vt_cands[fuzz_vt_ncands * 2] = strndup(p, sp - p);
        fuzz_vt_cands[fuzz_vt_ncands * 2 + 1] = strndup(sp + 1, nl - sp - 1);
        fuzz_vt_ncands++;

        p = nl + 1;
    }

    fuzz_vt_nbodies = 0;

    while (fuzz_vt_nbodies < FUZZ_VT_MAX) {
        sep = memmem(p, end - p, FUZZ_VT_BODY, sizeof(FUZZ_VT_BODY) - 1);

        fuzz_vt_bodies[fuzz_vt_nbodies].data = p;
        fuzz_vt_bodies[fuzz_vt_nbodies].len = (sep ? sep : end) - p;
        fuzz_vt_nbodies++;

        if (sep == NULL) {
            break;
        }

        p = sep + sizeof(FUZZ_VT_BODY) - 1;
    }

    fuzz_vt_next = 0;
    fuzz_vt_rows = 0;

    fuzz_fetch = fuzz_vt_fetch;
    fuzz_run = fuzz_vt_run;
    fuzz_copy_row = fuzz_vt_row;

    memset(&r, 0, sizeof(attck_ingest_result_t));
    err[0] = '\0';

    rc = attck_ingest_vt(NULL, FUZZ_VT_BASE, FUZZ_VT_KEY, &r, err,
                         sizeof(err));

    fuzz_assert(rc == 0 || err[0] != '\0');
    fuzz_assert(r.failed <= r.fetched);

done:

    for (i = 0; i < fuzz_vt_ncands * 2; i++) {
        free(fuzz_vt_cands[i]);
    }

    return 0;
}


static int
fuzz_vt_fetch(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    int           keyed;
    size_t        i;
    fuzz_part_t  *body;

    keyed = 0;

    for (i = 0; o->headers && o->headers[i]; i++) {
        keyed |= strcmp(o->headers[i], "x-apikey: " FUZZ_VT_KEY) == 0;
    }

    fuzz_assert(keyed && o->no_redirects);

    fuzz_vt_path(url);

    if (fuzz_vt_next == fuzz_vt_nbodies) {
        snprintf(err, errlen, "%s: no more bodies in this input", url);
        return ATTCK_EXIT_UNAVAILABLE;
    }

    body = &fuzz_vt_bodies[fuzz_vt_next++];

    if (body->len == 3 && memcmp(body->data, "404", 3) == 0) {
        snprintf(err, errlen, "%s: HTTP 404", url);
        res->status = 404;
        return ATTCK_EXIT_UNAVAILABLE;
    }

    res->data = malloc(body->len + 1);
    fuzz_assert(res->data != NULL);

    memcpy(res->data, body->data, body->len);
    res->data[body->len] = '\0';
    res->len = body->len;
    res->status = 200;

    return 0;
}


/* the URL as libcurl sees it: our host, /api/v3/COLLECTION/ONE-SEGMENT */

static void
fuzz_vt_path(const char *url)
{
    char        *host, *path, *query, *frag, *id;
    size_t       i, len;
    CURLU       *u;
    static const char  *collections[] = {
        "/api/v3/files/", "/api/v3/ip_addresses/", "/api/v3/domains/",
        "/api/v3/urls/", NULL
    };

    u = curl_url();
    fuzz_assert(u != NULL);

    host = path = query = frag = NULL;

    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK
        || strcmp(host, FUZZ_VT_HOST) != 0
        || curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK
        || curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK)
    {
        fuzz_fail("a VirusTotal request outside its API: %s", url);
    }

    id = NULL;

    for (i = 0; collections[i]; i++) {
        len = strlen(collections[i]);

        if (strncmp(path, collections[i], len) == 0) {
            id = path + len;
            break;
        }
    }

    if (id == NULL || *id == '\0' || strchr(id, '/') != NULL) {
        fuzz_fail("a VirusTotal request outside its API: %s", url);
    }

    curl_free(host);
    curl_free(path);
    curl_url_cleanup(u);
}


static PGresult *
fuzz_vt_run(const char *sql, int n, const char *const *params, char *err,
    size_t errlen)
{
    char         count[32];
    const char  *values[1];

    if (strstr(sql, "SELECT count(*) FROM virustotal_data")) {
        values[0] = "0";
        return fuzz_result(1, 1, values);
    }

    if (strstr(sql, "FROM otx_indicators")) {
        return fuzz_result(2, fuzz_vt_ncands,
                           (const char *const *) fuzz_vt_cands);
    }

    if (strstr(sql, "attck_load_virustotal()")) {
        snprintf(count, sizeof(count), "%ld", fuzz_vt_rows);
        values[0] = count;
        return fuzz_result(1, 1, values);
    }

    fuzz_fail("statement the harness does not answer: %s", sql);
}


static void
fuzz_vt_row(const char *sql, char **fields, size_t *lens, int nfields)
{
    int            i;
    json_t        *report;
    const char    *type;
    json_error_t   je;

    fuzz_assert(strstr(sql, "attck_vt_staging") != NULL && nfields == 4);

    /* one of the candidates, under its VirusTotal object type */

    for (i = 0; i < fuzz_vt_ncands; i++) {
        type = fuzz_vt_object_type(fuzz_vt_cands[i * 2]);

        if (type && strcmp(fields[0], type) == 0
            && strcmp(fields[1], fuzz_vt_cands[i * 2 + 1]) == 0)
        {
            break;
        }
    }

    fuzz_assert(i < fuzz_vt_ncands);
    fuzz_assert(strcmp(fields[2], "t") == 0 || strcmp(fields[2], "f") == 0);

    report = json_loadb(fields[3], lens[3], 0, &je);

    if (report == NULL) {
        fuzz_fail("a COPY row jsonb refuses: %s", je.text);
    }

    fuzz_assert(json_is_object(report));
    fuzz_assert(fields[2][0] == 't' || json_object_size(report) == 0);

    json_decref(report);

    fuzz_vt_rows++;
}


static const char *
fuzz_vt_object_type(const char *type)
{
    if (strncmp(type, "FileHash-", 9) == 0) {
        return "file";
    }

    if (strcmp(type, "IPv4") == 0 || strcmp(type, "IPv6") == 0) {
        return "ip_address";
    }

    if (strcmp(type, "domain") == 0 || strcmp(type, "hostname") == 0) {
        return "domain";
    }

    return strcmp(type, "URL") == 0 ? "url" : NULL;
}
