
/*
 * Fuzzes the OTX ingest (worker/ingest_otx.c) on the pages the API
 * sends.  No function turns a response body into rows without a
 * database, so attck_ingest_otx() itself runs, between the seams of
 * fuzz_worker.c: pages come from the input, the statements get the
 * answers PostgreSQL would give, and the COPY rows are read as
 * PostgreSQL reads them.
 *
 * Input: the stored cursor on the first line (empty: none), then the
 * pages, separated by FUZZ_OTX_PAGE.
 *
 * Checked besides the sanitizers: every request, first page or "next",
 * goes to the configured host (the API key goes along); every row is one
 * JSON object with an "id" that jsonb takes; the cursor stored is text;
 * a failure says why.
 */


#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "../worker/ingest.h"
#include "fuzz.h"
#include "fuzz_worker.h"


#define FUZZ_OTX_HOST       "otx.test"
#define FUZZ_OTX_BASE       "https://" FUZZ_OTX_HOST
#define FUZZ_OTX_KEY        "fuzz-key"
#define FUZZ_OTX_PAGE       "\n--page--\n"
#define FUZZ_OTX_MAX_PAGES  8


typedef struct {
    const char  *data;
    size_t       len;
} fuzz_part_t;


static int fuzz_otx_fetch(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
static PGresult *fuzz_otx_run(const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
static void fuzz_otx_row(const char *sql, char **fields, size_t *lens,
    int nfields);


static fuzz_part_t   fuzz_otx_pages[FUZZ_OTX_MAX_PAGES];
static size_t        fuzz_otx_npages;
static size_t        fuzz_otx_next;
static char         *fuzz_otx_cursor;
static long          fuzz_otx_rows;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     rc;
    char                    err[1024];
    const char             *p, *end, *nl, *sep;
    attck_ingest_result_t   r;

    p = (const char *) data;
    end = p + size;

    nl = memchr(p, '\n', size);
    if (nl == NULL) {
        return 0;
    }

    /* what PostgreSQL stores is text */

    if (fuzz_bad_text(p, nl - p)) {
        return 0;
    }

    fuzz_otx_cursor = nl > p ? strndup(p, nl - p) : NULL;

    fuzz_otx_npages = 0;
    p = nl + 1;

    while (fuzz_otx_npages < FUZZ_OTX_MAX_PAGES) {
        sep = memmem(p, end - p, FUZZ_OTX_PAGE, sizeof(FUZZ_OTX_PAGE) - 1);

        fuzz_otx_pages[fuzz_otx_npages].data = p;
        fuzz_otx_pages[fuzz_otx_npages].len = (sep ? sep : end) - p;
        fuzz_otx_npages++;

        if (sep == NULL) {
            break;
        }

        p = sep + sizeof(FUZZ_OTX_PAGE) - 1;
    }

    fuzz_otx_next = 0;
    fuzz_otx_rows = 0;

    fuzz_fetch = fuzz_otx_fetch;
    fuzz_run = fuzz_otx_run;
    fuzz_copy_row = fuzz_otx_row;

    memset(&r, 0, sizeof(attck_ingest_result_t));
    err[0] = '\0';

    rc = attck_ingest_otx(NULL, FUZZ_OTX_BASE, FUZZ_OTX_KEY, &r, err,
                          sizeof(err));

    fuzz_assert(rc == 0 || err[0] != '\0');
    fuzz_assert(r.failed <= r.fetched);

    free(fuzz_otx_cursor);

    return 0;
}


static int
fuzz_otx_fetch(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    int          keyed;
    char        *host;
    size_t       i;
    CURLU       *u;
    fuzz_part_t  *page;

    keyed = 0;

    for (i = 0; o->headers && o->headers[i]; i++) {
        keyed |= strcmp(o->headers[i], "X-OTX-API-KEY: " FUZZ_OTX_KEY) == 0;
    }

    fuzz_assert(keyed && o->no_redirects);

    /* the host as libcurl sees it: the key must not go anywhere else */

    u = curl_url();
    fuzz_assert(u != NULL);

    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        host = NULL;

        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
            || strcmp(host, FUZZ_OTX_HOST) != 0)
        {
            fuzz_fail("the OTX key would go to %s", url);
        }

        curl_free(host);
    }

    curl_url_cleanup(u);

    if (fuzz_otx_next == fuzz_otx_npages) {
        snprintf(err, errlen, "%s: no more pages in this input", url);
        return ATTCK_EXIT_UNAVAILABLE;
    }

    page = &fuzz_otx_pages[fuzz_otx_next++];

    res->data = malloc(page->len + 1);
    fuzz_assert(res->data != NULL);

    memcpy(res->data, page->data, page->len);
    res->data[page->len] = '\0';
    res->len = page->len;
    res->status = 200;

    return 0;
}


static PGresult *
fuzz_otx_run(const char *sql, int n, const char *const *params, char *err,
    size_t errlen)
{
    char         count[32];
    const char  *values[3];

    if (strstr(sql, "SELECT cursor FROM source_state")) {
        fuzz_assert(n == 1 && strcmp(params[0], FUZZ_OTX_BASE) == 0);
        values[0] = fuzz_otx_cursor;
        return fuzz_result(1, fuzz_otx_cursor ? 1 : 0, values);
    }

    if (strstr(sql, "attck_load_otx()")) {
        snprintf(count, sizeof(count), "%ld", fuzz_otx_rows);
        values[0] = count;
        values[1] = "0";
        values[2] = "0";
        return fuzz_result(3, 1, values);
    }

    if (strstr(sql, "INSERT INTO source_state")) {
        fuzz_assert(n == 2 && strcmp(params[0], FUZZ_OTX_BASE) == 0);
        fuzz_assert(params[1] == NULL
                    || !fuzz_bad_text(params[1], strlen(params[1])));
        return PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
    }

    fuzz_fail("statement the harness does not answer: %s", sql);
}


static void
fuzz_otx_row(const char *sql, char **fields, size_t *lens, int nfields)
{
    json_t        *pulse, *id;
    json_error_t   je;

    fuzz_assert(strstr(sql, "attck_otx_staging") != NULL && nfields == 1);

    /* jansson without JSON_ALLOW_NUL refuses "\u0000" as jsonb does */

    pulse = json_loadb(fields[0], lens[0], 0, &je);

    if (pulse == NULL) {
        fuzz_fail("a COPY row jsonb refuses: %s", je.text);
    }

    id = json_object_get(pulse, "id");

    fuzz_assert(json_is_object(pulse));
    fuzz_assert(json_is_string(id) && json_string_length(id) > 0);

    json_decref(pulse);

    fuzz_otx_rows++;
}
