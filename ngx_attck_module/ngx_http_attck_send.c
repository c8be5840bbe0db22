
/*
 * ngx_http_attck_module: whole answers, for every handler of the module:
 * a 200 with its body (in the zone or in the request's pool) and ETag,
 * and an error as {"error": ..., "detail": ...}.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


ngx_str_t  ngx_http_attck_json_type =
    ngx_string("application/json; charset=utf-8");


/* adds a response header; the strings must outlive the request */

ngx_table_elt_t *
ngx_http_attck_header(ngx_http_request_t *r, char *key, u_char *value,
    size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    return h;
}


/*
 * Sends a whole 200 answer.  in_memory: the bytes live in the zone, are
 * sent from there and must not be changed on the way.
 */

ngx_int_t
ngx_http_attck_send(ngx_http_request_t *r, ngx_str_t *type, u_char *body,
    size_t len, u_char *etag, size_t etag_len, ngx_uint_t in_memory)
{
    u_char           *semicolon;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    /* a status set before (an error body) is kept */

    if (r->headers_out.status == 0) {
        r->headers_out.status = NGX_HTTP_OK;
    }

    r->headers_out.content_type = *type;

    semicolon = ngx_strlchr(type->data, type->data + type->len, ';');
    r->headers_out.content_type_len = semicolon
                                      ? (size_t) (semicolon - type->data)
                                      : type->len;
    r->headers_out.content_length_n = len;

    if (etag_len) {
        h = ngx_http_attck_header(r, "ETag", etag, etag_len);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.etag = h;
    }

    /* everything is allocated before the header goes out */

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = in_memory ? 1 : 0;
    b->temporary = in_memory ? 0 : 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_attck_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *fmt, ...)
{
    u_char           *p, *body, detail[512];
    size_t            len;
    va_list           args;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;

    va_start(args, fmt);
    p = ngx_vslprintf(detail, detail + sizeof(detail), fmt, args);
    va_end(args);

    len = sizeof("{\"error\":\"\",\"detail\":\"\"}") - 1 + ngx_strlen(error)
          + (p - detail) + ngx_escape_json(NULL, detail, p - detail);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = ngx_sprintf(body, "{\"error\":\"%s\",\"detail\":\"", error);
    b->last = (u_char *) ngx_escape_json(b->last, detail, p - detail);
    b->last = ngx_cpymem(b->last, "\"}", 2);
    b->temporary = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_http_attck_header(r, "Allow", (u_char *) "GET, HEAD", 9)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_attck_json_type;
    r->headers_out.content_type_len = sizeof("application/json") - 1;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
