
/*
 * ngx_http_attck_module: TAXII 2.1 under an "attck_taxii" location, from
 * the taxii/ documents of the snapshot (snapshot/attck_taxii.h).  The
 * router and the small resources are in ngx_http_attck_taxii.c, the
 * object pages in ngx_http_attck_taxii_objects.c.
 */

#ifndef _NGX_HTTP_ATTCK_TAXII_H_INCLUDED_
#define _NGX_HTTP_ATTCK_TAXII_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "snapshot/attck_taxii.h"


/* a page of objects: the default and the server's maximum */
#define NGX_HTTP_ATTCK_TAXII_LIMIT      1000
#define NGX_HTTP_ATTCK_TAXII_LIMIT_MAX  10000

/* at most this many values in one match[] list */
#define NGX_HTTP_ATTCK_TAXII_MAX_LIST   64

#define NGX_HTTP_ATTCK_TAXII_OBJECTS    1
#define NGX_HTTP_ATTCK_TAXII_OBJECT     2
#define NGX_HTTP_ATTCK_TAXII_VERSIONS   3
#define NGX_HTTP_ATTCK_TAXII_MANIFEST   4

/* query parameters */
#define NGX_HTTP_ATTCK_TAXII_ADDED      0
#define NGX_HTTP_ATTCK_TAXII_LIMIT_P    1
#define NGX_HTTP_ATTCK_TAXII_NEXT       2
#define NGX_HTTP_ATTCK_TAXII_ID         3
#define NGX_HTTP_ATTCK_TAXII_TYPE       4
#define NGX_HTTP_ATTCK_TAXII_VERSION    5
#define NGX_HTTP_ATTCK_TAXII_SPEC       6
#define NGX_HTTP_ATTCK_TAXII_NPARAMS    7


typedef struct {
    ngx_http_attck_local_t     *local;
    const attck_snap_t         *snap;
    const attck_snap_view_t    *view;
    ngx_str_t                   root;
    ngx_str_t                   collection;  /* as asked for */
    ngx_str_t                   object;      /* objects/{id}/ */

    attck_taxii_index_t         index;
    const u_char               *recs;        /* attck_taxii_obj_t[n] */
    const u_char               *by_id;       /* uint32_t[n] */

    ngx_uint_t                  given;       /* 1 << parameter */
    ngx_str_t                   param[NGX_HTTP_ATTCK_TAXII_NPARAMS];
} ngx_http_attck_taxii_ctx_t;


extern ngx_str_t  ngx_http_attck_taxii_type;

char *ngx_http_attck_taxii(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* a TAXII error resource: {"title", "description", "http_status"} */
ngx_int_t ngx_http_attck_taxii_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *title, const char *fmt, ...);

/* the record i of the index, copied out (the index may be unaligned) */
void ngx_http_attck_taxii_rec(ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t i,
    attck_taxii_obj_t *rec);

ngx_int_t ngx_http_attck_taxii_objects(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t what);


#endif /* _NGX_HTTP_ATTCK_TAXII_H_INCLUDED_ */
