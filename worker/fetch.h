
/*
 * attck-worker: every remote byte comes through here (libcurl).
 */

#ifndef _ATTCK_FETCH_H_INCLUDED_
#define _ATTCK_FETCH_H_INCLUDED_


#include <stddef.h>


typedef struct {
    long                 timeout;          /* seconds for one attempt */
    long                 connect_timeout;  /* seconds */
    size_t               max_size;         /* bytes */
    int                  retries;          /* extra attempts on 5xx/429/IO */
    long                 backoff_ms;       /* first wait, doubled each time */
    const char *const   *headers;          /* "Name: value", NULL-ended */
    int                  no_redirects;     /* keyed APIs: a key would go
                                              along to wherever it leads */
    const char          *post;             /* a body to POST, or NULL */
    size_t               post_len;
} attck_fetch_opts_t;


typedef struct {
    char    *data;                         /* NUL-terminated, malloc()ed */
    size_t   len;
    long     status;                       /* HTTP status, 0 for files,
                                              also of a failure; 304: not
                                              modified, no data */
    char     etag[256];                    /* validators for the next run */
    char     last_modified[64];
    char     taxii_added_last[64];         /* X-TAXII-Date-Added-Last */
} attck_fetch_result_t;


void attck_fetch_defaults(attck_fetch_opts_t *o);

/* the URL without a password in it, for messages and storage */
void attck_url_redact(const char *url, char *out, size_t size);

/*
 * Reads a source: a URL (http, https, file) through libcurl, anything
 * else as a local path; with o->post, sends it to the URL and reads the
 * answer.  Returns 0 or an ATTCK_EXIT_* code with err set.
 */
int attck_fetch(const char *src, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);


#endif /* _ATTCK_FETCH_H_INCLUDED_ */
