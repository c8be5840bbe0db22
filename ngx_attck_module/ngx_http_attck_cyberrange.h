
/*
 * ngx_http_attck_module: the cyber-range compatibility endpoints and their
 * training overlay (ngx_http_attck_cr_overlay.c), shared by the HTML
 * (ngx_http_attck_cyberrange.c) and the JSON and SVG matrices
 * (ngx_http_attck_matrix.c).
 */

#ifndef _NGX_HTTP_ATTCK_CYBERRANGE_H_INCLUDED_
#define _NGX_HTTP_ATTCK_CYBERRANGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_attck_module.h"


#define NGX_HTTP_ATTCK_CR_HTML       0
#define NGX_HTTP_ATTCK_CR_LAYER      1
#define NGX_HTTP_ATTCK_CR_JSON       2
#define NGX_HTTP_ATTCK_CR_SVG        3
#define NGX_HTTP_ATTCK_CR_IMPACT     4

#define NGX_HTTP_ATTCK_CR_MAX_DEFS   4096
#define NGX_HTTP_ATTCK_CR_MAX_KEY    24


typedef struct {
    ngx_str_t                  label;       /* "linear", "adaptive" */
    ngx_int_t                  status;      /* of the subrequest, 0: pending */
    ngx_uint_t                 invalid;     /* 200, but no JSON array */
    ngx_str_t                  body;
} ngx_http_attck_cr_source_t;


typedef struct {
    u_char                     key[NGX_HTTP_ATTCK_CR_MAX_KEY];
    size_t                     len;
    ngx_uint_t                 def;
    ngx_uint_t                 parent;      /* a sub-technique's, cut */
} ngx_http_attck_cr_dot_t;


typedef struct {
    json_t                    *title;
    json_t                    *id;
    json_t                    *techniques;  /* its keys, as answered */
    ngx_str_t                 *label;
} ngx_http_attck_cr_def_t;


typedef struct {
    ngx_http_attck_local_t    *local;
    const attck_snap_doc_t    *tmpl;        /* HTML template or matrix JSON */
    ngx_uint_t                 format;      /* NGX_HTTP_ATTCK_CR_* */
    ngx_uint_t                 domain;      /* ATTCK_DOMAIN_* */
    ngx_str_t                  domain_name; /* "enterprise" */
    ngx_uint_t                 played;
    ngx_uint_t                 nsources;
    ngx_http_attck_cr_source_t *sources;

    /* mitre-training-impact: the older (or NULL) and newer releases */
    const attck_snap_view_t   *from;
    const attck_snap_view_t   *to;
} ngx_http_attck_cr_ctx_t;


/* the handler's, ngx_http_attck_cyberrange.c */
ngx_int_t ngx_http_attck_cr_fetch(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
ngx_int_t ngx_http_attck_cr_detail(ngx_http_request_t *r,
    ngx_uint_t status, const char *detail);

/* the overlay, ngx_http_attck_cr_overlay.c */
ngx_int_t ngx_http_attck_cr_overlay(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx, ngx_array_t *defs, ngx_array_t *dots,
    json_t **docs);
ngx_uint_t ngx_http_attck_cr_find(ngx_array_t *dots, u_char *key, size_t len,
    ngx_uint_t *first);
size_t ngx_http_attck_cr_text(u_char *dst, u_char *src, size_t len,
    ngx_uint_t html);
size_t ngx_http_attck_cr_label(u_char *dst, ngx_http_attck_cr_def_t *def,
    ngx_uint_t html);
u_char *ngx_http_attck_cr_colour(u_char *p, ngx_uint_t def);

/* the matrices, ngx_http_attck_matrix.c */
ngx_int_t ngx_http_attck_cr_json(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
ngx_int_t ngx_http_attck_cr_svg(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);

/* ngx_http_attck_cr_impact.c: what release changes did to definitions */
ngx_int_t ngx_http_attck_cr_impact_start(ngx_http_request_t *r,
    ngx_http_attck_local_t *local);
ngx_int_t ngx_http_attck_cr_impact(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
ngx_int_t ngx_http_attck_cr_impact_notice(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx, ngx_array_t *defs, ngx_str_t *notice);


#endif /* _NGX_HTTP_ATTCK_CYBERRANGE_H_INCLUDED_ */
