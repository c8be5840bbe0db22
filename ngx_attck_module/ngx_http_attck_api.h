
/*
 * ngx_http_attck_module: what the API's router (ngx_http_attck_api.c)
 * shares with the handlers of other files: the parsed request and the
 * checks of its parameters.
 */

#ifndef _NGX_HTTP_ATTCK_API_H_INCLUDED_
#define _NGX_HTTP_ATTCK_API_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


#define NGX_HTTP_ATTCK_MAX_ID        24

#define NGX_HTTP_ATTCK_LIST_LIMIT    100
#define NGX_HTTP_ATTCK_LIST_MAX      1000
#define NGX_HTTP_ATTCK_OFFSET_MAX    1000000

/* parameters: an index into ctx->param, and a bit of a route's set */
#define NGX_HTTP_ATTCK_I_RELEASE     0
#define NGX_HTTP_ATTCK_I_TACTIC      1
#define NGX_HTTP_ATTCK_I_PLATFORM    2
#define NGX_HTTP_ATTCK_I_DOMAIN      3
#define NGX_HTTP_ATTCK_I_SUB         4
#define NGX_HTTP_ATTCK_I_REVOKED     5
#define NGX_HTTP_ATTCK_I_LIMIT       6
#define NGX_HTTP_ATTCK_I_OFFSET      7
#define NGX_HTTP_ATTCK_I_Q           8
#define NGX_HTTP_ATTCK_I_TECHNIQUES  9
#define NGX_HTTP_ATTCK_I_TECHNIQUE   10
#define NGX_HTTP_ATTCK_I_SOURCE      11
#define NGX_HTTP_ATTCK_I_SINCE       12
#define NGX_HTTP_ATTCK_I_FROM        13
#define NGX_HTTP_ATTCK_I_TO          14
#define NGX_HTTP_ATTCK_I_TYPE        15
#define NGX_HTTP_ATTCK_I_SECTION     16
#define NGX_HTTP_ATTCK_I_FORMAT      17
#define NGX_HTTP_ATTCK_I_UNTIL       18
#define NGX_HTTP_ATTCK_I_COUNTRY     19
#define NGX_HTTP_ATTCK_I_TAG         20
#define NGX_HTTP_ATTCK_I_MIN_SCORE   21
#define NGX_HTTP_ATTCK_I_METHOD      22
#define NGX_HTTP_ATTCK_I_INTERVAL    23
#define NGX_HTTP_ATTCK_P_NUM         24

#define NGX_HTTP_ATTCK_P_RELEASE     (1 << NGX_HTTP_ATTCK_I_RELEASE)
#define NGX_HTTP_ATTCK_P_TACTIC      (1 << NGX_HTTP_ATTCK_I_TACTIC)
#define NGX_HTTP_ATTCK_P_PLATFORM    (1 << NGX_HTTP_ATTCK_I_PLATFORM)
#define NGX_HTTP_ATTCK_P_DOMAIN      (1 << NGX_HTTP_ATTCK_I_DOMAIN)
#define NGX_HTTP_ATTCK_P_SUB         (1 << NGX_HTTP_ATTCK_I_SUB)
#define NGX_HTTP_ATTCK_P_REVOKED     (1 << NGX_HTTP_ATTCK_I_REVOKED)
#define NGX_HTTP_ATTCK_P_LIMIT       (1 << NGX_HTTP_ATTCK_I_LIMIT)
#define NGX_HTTP_ATTCK_P_OFFSET      (1 << NGX_HTTP_ATTCK_I_OFFSET)
#define NGX_HTTP_ATTCK_P_Q           (1 << NGX_HTTP_ATTCK_I_Q)
#define NGX_HTTP_ATTCK_P_TECHNIQUES  (1 << NGX_HTTP_ATTCK_I_TECHNIQUES)
#define NGX_HTTP_ATTCK_P_TECHNIQUE   (1 << NGX_HTTP_ATTCK_I_TECHNIQUE)
#define NGX_HTTP_ATTCK_P_SOURCE      (1 << NGX_HTTP_ATTCK_I_SOURCE)
#define NGX_HTTP_ATTCK_P_SINCE       (1 << NGX_HTTP_ATTCK_I_SINCE)
#define NGX_HTTP_ATTCK_P_FROM        (1 << NGX_HTTP_ATTCK_I_FROM)
#define NGX_HTTP_ATTCK_P_TO          (1 << NGX_HTTP_ATTCK_I_TO)
#define NGX_HTTP_ATTCK_P_TYPE        (1 << NGX_HTTP_ATTCK_I_TYPE)
#define NGX_HTTP_ATTCK_P_SECTION     (1 << NGX_HTTP_ATTCK_I_SECTION)
#define NGX_HTTP_ATTCK_P_FORMAT      (1 << NGX_HTTP_ATTCK_I_FORMAT)
#define NGX_HTTP_ATTCK_P_UNTIL       (1 << NGX_HTTP_ATTCK_I_UNTIL)
#define NGX_HTTP_ATTCK_P_COUNTRY     (1 << NGX_HTTP_ATTCK_I_COUNTRY)
#define NGX_HTTP_ATTCK_P_TAG         (1 << NGX_HTTP_ATTCK_I_TAG)
#define NGX_HTTP_ATTCK_P_MIN_SCORE   (1 << NGX_HTTP_ATTCK_I_MIN_SCORE)
#define NGX_HTTP_ATTCK_P_METHOD      (1 << NGX_HTTP_ATTCK_I_METHOD)
#define NGX_HTTP_ATTCK_P_INTERVAL    (1 << NGX_HTTP_ATTCK_I_INTERVAL)

/* the filters of the threat index, ngx_http_attck_facets.c */
#define NGX_HTTP_ATTCK_P_FILTERS                                              \
    (NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_SINCE|NGX_HTTP_ATTCK_P_UNTIL   \
     |NGX_HTTP_ATTCK_P_SOURCE|NGX_HTTP_ATTCK_P_TYPE|NGX_HTTP_ATTCK_P_COUNTRY  \
     |NGX_HTTP_ATTCK_P_TECHNIQUE|NGX_HTTP_ATTCK_P_TACTIC|NGX_HTTP_ATTCK_P_TAG \
     |NGX_HTTP_ATTCK_P_MIN_SCORE|NGX_HTTP_ATTCK_P_METHOD                      \
     |NGX_HTTP_ATTCK_P_DOMAIN)


typedef struct {
    ngx_http_attck_local_t    *local;
    const attck_snap_t        *snap;
    const attck_snap_view_t   *view;
    ngx_str_t                  collection;
    ngx_str_t                  id;
    ngx_uint_t                 given;          /* parameters present */
    ngx_str_t                  param[NGX_HTTP_ATTCK_P_NUM];
    ngx_uint_t                 etag_extra;     /* what else the ETag covers */

    /* an error found while checking the request, sent by the handler */
    ngx_uint_t                 status;
    const char                *error;
    u_char                     detail[256];
    size_t                     detail_len;
} ngx_http_attck_ctx_t;


typedef ngx_int_t (*ngx_http_attck_route_pt)(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);


ngx_int_t ngx_http_attck_uint_param(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_uint_t bit, ngx_uint_t def,
    ngx_uint_t max, ngx_uint_t *value);
ngx_int_t ngx_http_attck_checked(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_int_t rc);

/* the Redis-backed endpoints, ngx_http_attck_threats.c */
ngx_int_t ngx_http_attck_threat(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
ngx_int_t ngx_http_attck_threats(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
ngx_int_t ngx_http_attck_technique_threats(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);

/* "2025-03-01" or "2025-03-01T12:00:00Z" as seconds since 1970 */
ngx_int_t ngx_http_attck_threats_time(ngx_str_t *v, int64_t *time);

/* threats/stats and the filtered threats, ngx_http_attck_facets.c */
ngx_int_t ngx_http_attck_threat_stats(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
ngx_int_t ngx_http_attck_threats_filtered(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
ngx_int_t ngx_http_attck_threat_indexed(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
ngx_int_t ngx_http_attck_technique_threats_indexed(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);

/* the changelogs between releases, ngx_http_attck_diff.c */
ngx_int_t ngx_http_attck_diff(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);


#endif /* _NGX_HTTP_ATTCK_API_H_INCLUDED_ */
