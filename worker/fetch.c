
/*
 * attck-worker: every remote byte comes through here (libcurl).
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"
#include "progress.h"
#include "util.h"


#define ATTCK_FETCH_MAX_RETRY_AFTER  120    /* seconds we agree to wait */


typedef struct {
    char                  *data;
    size_t                 len;
    size_t                 cap;
    size_t                 max;
    int                    too_big;
    long                   retry_after;
    attck_fetch_result_t  *res;
} attck_fetch_body_t;


static int attck_fetch_file(const char *path, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
static int attck_fetch_url(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
static size_t attck_fetch_write(char *ptr, size_t size, size_t n, void *ud);
static size_t attck_fetch_header(char *ptr, size_t size, size_t n, void *ud);
static void attck_fetch_sleep(long ms);
static int attck_fetch_progress(void *ud, curl_off_t total, curl_off_t now,
    curl_off_t ut, curl_off_t un);
static void attck_fetch_header_value(char *dst, size_t size, const char *p,
    size_t len);


void
attck_fetch_defaults(attck_fetch_opts_t *o)
{
    memset(o, 0, sizeof(attck_fetch_opts_t));

    /* operators tune these for slow links or strict schedules */

    o->timeout = attck_number_env("fetch", "ATTCK_FETCH_TIMEOUT", 300, 1,
                                  86400);
    o->connect_timeout = 15;
    o->max_size = 512 * 1024 * 1024;
    o->retries = (int) attck_number_env("fetch", "ATTCK_FETCH_RETRIES", 3, 0,
                                        20);
    o->backoff_ms = attck_number_env("fetch", "ATTCK_FETCH_BACKOFF_MS", 1000,
                                     1, 600000);
}


void
attck_url_redact(const char *url, char *out, size_t size)
{
    size_t       n;
    const char  *p, *at, *colon, *slash;

    p = strstr(url, "://");
    at = p ? strchr(p + 3, '@') : NULL;
    slash = p ? strchr(p + 3, '/') : NULL;

    if (p == NULL || at == NULL || (slash && slash < at)) {
        snprintf(out, size, "%s", url);
        return;
    }

    /* "scheme://user:password@host" -> "scheme://user:***@host" */

    colon = memchr(p + 3, ':', at - (p + 3));
    n = (colon ? colon : at) - url;

    snprintf(out, size, "%.*s%s%s", (int) n, url, colon ? ":***" : "", at);
}


int
attck_fetch(const char *src, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(attck_fetch_result_t));

    if (strstr(src, "://") == NULL) {
        return attck_fetch_file(src, o, res, err, errlen);
    }

    return attck_fetch_url(src, o, res, err, errlen);
}


static int
attck_fetch_file(const char *path, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    FILE         *f;
    size_t        n;
    struct stat   st;

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return ATTCK_EXIT_NOINPUT;
    }

    if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return ATTCK_EXIT_NOINPUT;
    }

    if ((size_t) st.st_size > o->max_size) {
        snprintf(err, errlen, "%s: %lld bytes, more than the %zu allowed",
                 path, (long long) st.st_size, o->max_size);
        fclose(f);
        return ATTCK_EXIT_DATAERR;
    }

    res->data = attck_xmalloc(st.st_size + 1);
    n = fread(res->data, 1, st.st_size, f);

    if (n != (size_t) st.st_size || ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        fclose(f);
        free(res->data);
        res->data = NULL;
        return ATTCK_EXIT_NOINPUT;
    }

    fclose(f);

    res->data[n] = '\0';
    res->len = n;

    return 0;
}


static size_t
attck_fetch_write(char *ptr, size_t size, size_t n, void *ud)
{
    attck_fetch_body_t *b = ud;

    char    *p;
    size_t   len, cap;

    len = size * n;

    if (b->len + len > b->max) {
        b->too_big = 1;
        return 0;
    }

    if (b->len + len + 1 > b->cap) {
        cap = b->cap ? b->cap : 1024 * 1024;

        while (cap < b->len + len + 1) {
            cap *= 2;
        }

        p = realloc(b->data, cap);
        if (p == NULL) {
            return 0;
        }

        b->data = p;
        b->cap = cap;
    }

    memcpy(b->data + b->len, ptr, len);
    b->len += len;
    b->data[b->len] = '\0';

    return len;
}


static size_t
attck_fetch_header(char *ptr, size_t size, size_t n, void *ud)
{
    attck_fetch_body_t *b = ud;

    size_t  len;

    len = size * n;

    if (len > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
        b->retry_after = strtol(ptr + 12, NULL, 10);

    } else if (len > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
        attck_fetch_header_value(b->res->etag, sizeof(b->res->etag),
                                 ptr + 5, len - 5);

    } else if (len > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0) {
        attck_fetch_header_value(b->res->last_modified,
                                 sizeof(b->res->last_modified),
                                 ptr + 14, len - 14);

    } else if (len > 24
               && strncasecmp(ptr, "X-TAXII-Date-Added-Last:", 24) == 0)
    {
        attck_fetch_header_value(b->res->taxii_added_last,
                                 sizeof(b->res->taxii_added_last),
                                 ptr + 24, len - 24);
    }

    return len;
}


static int
attck_fetch_progress(void *ud, curl_off_t total, curl_off_t now,
    curl_off_t ut, curl_off_t un)
{
    const char  *url = ud;

    if (now > 0) {
        if (total > 0) {
            attck_progress("fetching %s: %.1f of %.1f MB", url, now / 1e6,
                           total / 1e6);

        } else {
            attck_progress("fetching %s: %.1f MB", url, now / 1e6);
        }
    }

    return 0;
}


/* a header's value without the blanks around it; too long: dropped */

static void
attck_fetch_header_value(char *dst, size_t size, const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }

    while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'
                   || p[len - 1] == ' '))
    {
        len--;
    }

    if (len >= size) {
        dst[0] = '\0';
        return;
    }

    memcpy(dst, p, len);
    dst[len] = '\0';
}


static void
attck_fetch_sleep(long ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) { /* void */ }
}


static int
attck_fetch_url(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen)
{
    int                  attempt, rc;
    char                 shown[1024];
    long                 status, wait;
    CURL                *curl;
    CURLcode             cc;
    const char *const   *h;
    struct curl_slist   *headers;
    attck_fetch_body_t   body;

    attck_url_redact(url, shown, sizeof(shown));

    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(err, errlen, "%s: cannot initialise libcurl", shown);
        return ATTCK_EXIT_SOFTWARE;
    }

    headers = NULL;

    for (h = o->headers; h && *h; h++) {
        headers = curl_slist_append(headers, *h);
    }

    wait = o->backoff_ms;
    rc = ATTCK_EXIT_UNAVAILABLE;

    for (attempt = 0; attempt <= o->retries; attempt++) {

        memset(&body, 0, sizeof(attck_fetch_body_t));
        body.max = o->max_size;
        body.res = res;
        res->etag[0] = '\0';
        res->last_modified[0] = '\0';
        res->taxii_added_last[0] = '\0';

        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION,
                         o->no_redirects ? 0L : 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, o->timeout);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "attck-worker/1");
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, attck_fetch_write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, attck_fetch_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &body);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION,
                         attck_fetch_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *) shown);

        if (o->post) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, o->post);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t) o->post_len);
        }

        cc = curl_easy_perform(curl);
        status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        res->status = status;

        if (cc == CURLE_OK
            && (status == 0 || (status >= 200 && status < 300)
                || status == 304))
        {
            res->data = body.data ? body.data : attck_xstrdup("");
            res->len = body.len;
            res->status = status;
            rc = 0;
            break;
        }

        free(body.data);

        if (body.too_big) {
            snprintf(err, errlen, "%s: larger than the %zu bytes allowed",
                     shown, o->max_size);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        if (cc != CURLE_OK) {
            /* truncated bodies (CURLE_PARTIAL_FILE) land here too */
            snprintf(err, errlen, "%s: %s", shown, curl_easy_strerror(cc));
            rc = (cc == CURLE_FILE_COULDNT_READ_FILE)
                 ? ATTCK_EXIT_NOINPUT : ATTCK_EXIT_UNAVAILABLE;

            if (cc == CURLE_FILE_COULDNT_READ_FILE
                || cc == CURLE_UNSUPPORTED_PROTOCOL
                || cc == CURLE_URL_MALFORMAT
                || cc == CURLE_PEER_FAILED_VERIFICATION)
            {
                break;
            }

        } else {
            snprintf(err, errlen, "%s: HTTP %ld%s", shown, status,
                     (status >= 300 && status < 400 && o->no_redirects)
                     ? " (a redirect: not followed, the API key would go "
                       "along)" : "");
            rc = ATTCK_EXIT_UNAVAILABLE;

            /* only overload and server faults are worth another try */

            if (status != 429 && status < 500) {
                break;
            }

            if (status == 429 && body.retry_after > 0) {
                if (body.retry_after > ATTCK_FETCH_MAX_RETRY_AFTER) {
                    break;
                }

                wait = body.retry_after * 1000;
            }
        }

        if (attempt < o->retries) {
            attck_log("warn", "%s; retrying in %ld ms", err, wait);
            attck_fetch_sleep(wait);
            wait *= 2;
        }
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return rc;
}
