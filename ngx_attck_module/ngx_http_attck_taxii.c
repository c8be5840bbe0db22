
/*
 * ngx_http_attck_module: TAXII 2.1 under an "attck_taxii" location.
 *
 *   PREFIX                         discovery
 *   PREFIX{root}/                  API root: "attack" (the first view,
 *                                  the newest release of each domain) and
 *                                  "attack-{release}" for each view
 *   {root}/collections/            its collections: one per ATT&CK domain
 *   {root}/collections/{id}/       id: MITRE's x-mitre-collection id, or
 *                                  the UUID in it
 *   {root}/collections/{id}/objects/ ... (ngx_http_attck_taxii_objects.c)
 *
 * Everything is read from the current snapshot, nothing is kept between
 * requests: any instance answers any request, next tokens included.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_taxii.h"
#include "snapshot/attck_args.h"


/* 64 ids of match[id] fit; nginx's request line buffer is 8k */
#define NGX_HTTP_ATTCK_TAXII_MAX_ARGS  6144
#define NGX_HTTP_ATTCK_TAXII_ROOT      "attack"

/* nginx names no constant for it */
#define NGX_HTTP_ATTCK_NOT_ACCEPTABLE  406


static ngx_int_t ngx_http_attck_taxii_acceptable(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_taxii_range(u_char *p, u_char *end);
static ngx_int_t ngx_http_attck_taxii_args(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t allowed);
static const attck_snap_doc_t *ngx_http_attck_taxii_doc(
    ngx_http_attck_taxii_ctx_t *ctx, const char *prefix, ngx_str_t *id);
static ngx_int_t ngx_http_attck_taxii_root(ngx_http_attck_taxii_ctx_t *ctx,
    ngx_str_t *name);
static ngx_int_t ngx_http_attck_taxii_collection(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, const attck_snap_doc_t **doc);
static ngx_int_t ngx_http_attck_taxii_discovery(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx);
static ngx_int_t ngx_http_attck_taxii_api_root(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx);
static ngx_int_t ngx_http_attck_taxii_send_doc(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, const attck_snap_doc_t *doc);
static ngx_int_t ngx_http_attck_taxii_send_pool(ngx_http_request_t *r,
    u_char *body, size_t len);


ngx_str_t  ngx_http_attck_taxii_type =
    ngx_string("application/taxii+json;version=2.1");


static ngx_str_t  ngx_http_attck_taxii_params[NGX_HTTP_ATTCK_TAXII_NPARAMS] = {
    ngx_string("added_after"),
    ngx_string("limit"),
    ngx_string("next"),
    ngx_string("match[id]"),
    ngx_string("match[type]"),
    ngx_string("match[version]"),
    ngx_string("match[spec_version]")
};


/* attck_taxii; */

char *
ngx_http_attck_taxii(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    return ngx_http_attck_handler_location(cf, &alcf->taxii_prefix,
                                           ngx_http_attck_taxii_handler);
}


ngx_int_t
ngx_http_attck_taxii_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *title, const char *fmt, ...)
{
    u_char       *p, *body, detail[512];
    size_t        len;
    va_list       args;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    va_start(args, fmt);
    p = ngx_vslprintf(detail, detail + sizeof(detail), fmt, args);
    va_end(args);

    len = sizeof("{\"title\":\"\",\"description\":\"\",\"http_status\":"
                 "\"000\"}") - 1
          + ngx_strlen(title) + (p - detail)
          + ngx_escape_json(NULL, detail, p - detail);

    body = ngx_pnalloc(r->pool, len);
    b = ngx_calloc_buf(r->pool);

    if (body == NULL || b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = ngx_sprintf(body, "{\"title\":\"%s\",\"description\":\"",
                          title);
    b->last = (u_char *) ngx_escape_json(b->last, detail, p - detail);
    b->last = ngx_sprintf(b->last, "\",\"http_status\":\"%03ui\"}", status);
    b->temporary = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_http_attck_header(r, "Allow", (u_char *) "GET, HEAD", 9)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* whatever a handler set before failing does not describe this */

    if (r->headers_out.etag) {
        r->headers_out.etag->hash = 0;
        r->headers_out.etag = NULL;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_attck_taxii_type;
    r->headers_out.content_type_len = sizeof("application/taxii+json") - 1;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_attck_taxii_handler(ngx_http_request_t *r)
{
    u_char                      *p, *end, *s;
    ngx_int_t                    rc;
    ngx_str_t                    seg[7];
    ngx_uint_t                   n, what;
    const attck_snap_doc_t      *doc;
    ngx_http_attck_loc_conf_t   *alcf;
    ngx_http_attck_main_conf_t  *amcf;
    ngx_http_attck_taxii_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_ALLOWED,
                                          "method not allowed",
                                          "this server is read-only: GET "
                                          "and HEAD");
    }

    if (ngx_http_attck_taxii_acceptable(r) != NGX_OK) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_ATTCK_NOT_ACCEPTABLE,
                                          "not acceptable",
                                          "the Accept header allows no "
                                          "application/taxii+json;"
                                          "version=2.1");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_taxii_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    ctx->local = ngx_http_attck_acquire(r, amcf, &rc);

    if (ctx->local == NULL) {
        if (rc != NGX_HTTP_SERVICE_UNAVAILABLE) {
            return rc;
        }

        return ngx_http_attck_taxii_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          "unavailable",
                                          "no snapshot is loaded");
    }

    ctx->snap = &ctx->local->snap;

    /* the path below the location, in segments */

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (r->uri.len < alcf->taxii_prefix.len
        || ngx_strncmp(r->uri.data, alcf->taxii_prefix.data,
                       alcf->taxii_prefix.len) != 0)
    {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                          "not found", "no such resource");
    }

    p = r->uri.data + alcf->taxii_prefix.len;
    end = r->uri.data + r->uri.len;
    n = 0;

    while (p < end) {
        if (*p == '/') {
            p++;
            continue;
        }

        s = ngx_strlchr(p, end, '/');

        if (s == NULL) {
            s = end;
        }

        if (n == sizeof(seg) / sizeof(seg[0])) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found",
                                              "no such resource");
        }

        seg[n].data = p;
        seg[n++].len = s - p;
        p = s;
    }

    if (n == 0) {
        rc = ngx_http_attck_taxii_args(r, ctx, 0);

        if (rc != NGX_OK || r->header_sent) {
            return rc;
        }

        return ngx_http_attck_taxii_discovery(r, ctx);
    }

    if (ngx_http_attck_taxii_root(ctx, &seg[0]) != NGX_OK) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                          "not found",
                                          "no such API root (see the "
                                          "discovery resource)");
    }

    if (n == 1) {
        rc = ngx_http_attck_taxii_args(r, ctx, 0);

        if (rc != NGX_OK || r->header_sent) {
            return rc;
        }

        return ngx_http_attck_taxii_api_root(r, ctx);
    }

    if (seg[1].len != 11
        || ngx_strncmp(seg[1].data, "collections", 11) != 0)
    {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                          "not found", "no such resource");
    }

    if (n == 2) {
        rc = ngx_http_attck_taxii_args(r, ctx, 0);

        if (rc != NGX_OK || r->header_sent) {
            return rc;
        }

        doc = ngx_http_attck_taxii_doc(ctx, "taxii/collections", NULL);

        if (doc == NULL) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found",
                                              "no collections");
        }

        return ngx_http_attck_taxii_send_doc(r, ctx, doc);
    }

    ctx->collection = seg[2];

    rc = ngx_http_attck_taxii_collection(r, ctx, &doc);

    if (rc != NGX_OK || r->header_sent) {
        return rc;
    }

    if (n == 3) {
        rc = ngx_http_attck_taxii_args(r, ctx, 0);

        if (rc != NGX_OK || r->header_sent) {
            return rc;
        }

        return ngx_http_attck_taxii_send_doc(r, ctx, doc);
    }

    if (n == 4 && seg[3].len == 8
        && ngx_strncmp(seg[3].data, "manifest", 8) == 0)
    {
        what = NGX_HTTP_ATTCK_TAXII_MANIFEST;

    } else if (seg[3].len == 7
               && ngx_strncmp(seg[3].data, "objects", 7) == 0)
    {
        if (n == 4) {
            what = NGX_HTTP_ATTCK_TAXII_OBJECTS;

        } else if (n == 5) {
            what = NGX_HTTP_ATTCK_TAXII_OBJECT;
            ctx->object = seg[4];

        } else if (n == 6 && seg[5].len == 8
                   && ngx_strncmp(seg[5].data, "versions", 8) == 0)
        {
            what = NGX_HTTP_ATTCK_TAXII_VERSIONS;
            ctx->object = seg[4];

        } else {
            what = 0;
        }

    } else {
        what = 0;
    }

    if (what == 0) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND,
                                          "not found", "no such resource");
    }

    rc = ngx_http_attck_taxii_args(r, ctx,
             (what == NGX_HTTP_ATTCK_TAXII_OBJECTS
              || what == NGX_HTTP_ATTCK_TAXII_MANIFEST)
             ? 0x7f
             : (0x7f & ~(1 << NGX_HTTP_ATTCK_TAXII_ID)
                     & ~(1 << NGX_HTTP_ATTCK_TAXII_TYPE)));

    if (rc != NGX_OK || r->header_sent) {
        return rc;
    }

    return ngx_http_attck_taxii_objects(r, ctx, what);
}


/*
 * Accept: absent, or one media range that allows TAXII 2.1:
 * application/taxii+json (with version=2.1 or no version),
 * "application/" followed by "*", or "*" "/" "*", each unless q=0.
 */

static ngx_int_t
ngx_http_attck_taxii_acceptable(ngx_http_request_t *r)
{
    u_char           *p, *end, *comma;
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != 6
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept", 6) != 0)
        {
            continue;
        }

        found = 1;
        p = h[i].value.data;
        end = p + h[i].value.len;

        while (p < end) {
            comma = ngx_strlchr(p, end, ',');

            if (comma == NULL) {
                comma = end;
            }

            if (ngx_http_attck_taxii_range(p, comma) == NGX_OK) {
                return NGX_OK;
            }

            p = comma + 1;
        }
    }

    return found ? NGX_DECLINED : NGX_OK;
}


static ngx_int_t
ngx_http_attck_taxii_range(u_char *p, u_char *end)
{
    u_char      *semi, *eq, *name, *nend, *v, *vend;
    ngx_uint_t   any, taxii, version_ok;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    semi = ngx_strlchr(p, end, ';');
    nend = semi ? semi : end;

    while (nend > p && (nend[-1] == ' ' || nend[-1] == '\t')) {
        nend--;
    }

    any = (nend - p == 3 && ngx_strncmp(p, "*/*", 3) == 0)
          || (nend - p == 13 && ngx_strncasecmp(p, (u_char *) "application/*",
                                                13) == 0);
    taxii = (nend - p == 22
             && ngx_strncasecmp(p, (u_char *) "application/taxii+json", 22)
                == 0);

    if (!any && !taxii) {
        return NGX_DECLINED;
    }

    version_ok = 1;

    while (semi) {
        name = semi + 1;
        semi = ngx_strlchr(name, end, ';');
        vend = semi ? semi : end;

        while (name < vend && (*name == ' ' || *name == '\t')) {
            name++;
        }

        eq = ngx_strlchr(name, vend, '=');

        if (eq == NULL) {
            return NGX_DECLINED;
        }

        nend = eq;

        while (nend > name && (nend[-1] == ' ' || nend[-1] == '\t')) {
            nend--;
        }

        v = eq + 1;

        while (v < vend && (*v == ' ' || *v == '\t')) {
            v++;
        }

        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) {
            vend--;
        }

        if (nend - name == 1 && (*name == 'q' || *name == 'Q')) {

            /* q=0, 0.0, 0.00, 0.000: not acceptable */

            while (v < vend && (*v == '0' || *v == '.')) {
                v++;
            }

            if (v == vend) {
                return NGX_DECLINED;
            }

        } else if (nend - name == 7
                   && ngx_strncasecmp(name, (u_char *) "version", 7) == 0)
        {
            version_ok = (vend - v == 3 && ngx_strncmp(v, "2.1", 3) == 0);
        }
    }

    return (any || version_ok) ? NGX_OK : NGX_DECLINED;
}


/*
 * allowed: a bit per parameter; match[...] names may be percent-encoded.
 * An error is sent at once: the caller looks at r->header_sent.
 */

static ngx_int_t
ngx_http_attck_taxii_args(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t allowed)
{
    int           rc;
    u_char       *buf, *last, name[32], *dst, *src;
    size_t        len;
    ngx_uint_t    i;
    const char   *p, *end;
    attck_arg_t   arg;

    if (r->args.len == 0) {
        return NGX_OK;
    }

    if (r->args.len > NGX_HTTP_ATTCK_TAXII_MAX_ARGS) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                          "invalid parameter",
                                          "the query string is longer than "
                                          "%d bytes",
                                          NGX_HTTP_ATTCK_TAXII_MAX_ARGS);
    }

    buf = ngx_pnalloc(r->pool, r->args.len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = buf + r->args.len;
    p = (const char *) r->args.data;
    end = p + r->args.len;

    for ( ;; ) {
        rc = attck_args_next(&p, end, &arg, (char *) buf,
                             (size_t) (last - buf));

        if (rc == ATTCK_ARGS_END) {
            return NGX_OK;
        }

        if (rc != ATTCK_ARGS_OK) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "a parameter value holds a "
                                              "control character");
        }

        if (arg.name_len == 0 || arg.name_len >= sizeof(name)) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "unknown parameter");
        }

        dst = name;
        src = (u_char *) arg.name;
        ngx_unescape_uri(&dst, &src, arg.name_len, 0);
        len = dst - name;

        for (i = 0; i < NGX_HTTP_ATTCK_TAXII_NPARAMS; i++) {
            if (ngx_http_attck_taxii_params[i].len == len
                && ngx_strncmp(ngx_http_attck_taxii_params[i].data, name,
                               len) == 0)
            {
                break;
            }
        }

        if (i == NGX_HTTP_ATTCK_TAXII_NPARAMS || !(allowed & (1 << i))) {
            for (i = 0; i < len; i++) {
                if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '"'
                    || name[i] == '\\')
                {
                    return ngx_http_attck_taxii_error(r,
                                                      NGX_HTTP_BAD_REQUEST,
                                                      "invalid parameter",
                                                      "unknown parameter "
                                                      "for this resource");
                }
            }

            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "unknown parameter \"%*s\" "
                                              "for this resource", len, name);
        }

        if (ctx->given & (1 << i)) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "\"%V\" given twice (a list "
                                              "is comma-separated)",
                                              &ngx_http_attck_taxii_params[i]);
        }

        ctx->given |= 1 << i;
        ctx->param[i].data = (u_char *) arg.value;
        ctx->param[i].len = arg.value_len;

        buf += arg.value_len;
    }
}


static const attck_snap_doc_t *
ngx_http_attck_taxii_doc(ngx_http_attck_taxii_ctx_t *ctx, const char *prefix,
    ngx_str_t *id)
{
    u_char  key[256], *p;

    p = ngx_slprintf(key, key + sizeof(key), "%s", prefix);

    if (id) {
        if (id->len > 200) {
            return NULL;
        }

        p = ngx_cpymem(p, id->data, id->len);
    }

    return attck_snap_find(ctx->snap, ctx->view, (const char *) key,
                           p - key);
}


/*
 * "attack": the first view; "attack-18.1": the view of that release;
 * "v21": the first view under the name of MITRE's API root, so that in
 * "location /api/" the paths are those of MITRE's server
 */

static ngx_int_t
ngx_http_attck_taxii_root(ngx_http_attck_taxii_ctx_t *ctx, ngx_str_t *name)
{
    size_t  n;

    n = sizeof(NGX_HTTP_ATTCK_TAXII_ROOT) - 1;

    if (name->len == 3 && ngx_strncmp(name->data, "v21", 3) == 0) {
        ctx->view = &ctx->snap->views[0];

    } else if (name->len < n
               || ngx_strncmp(name->data, NGX_HTTP_ATTCK_TAXII_ROOT, n) != 0)
    {
        return NGX_DECLINED;

    } else if (name->len == n) {
        ctx->view = &ctx->snap->views[0];

    } else if (name->data[n] == '-') {
        ctx->view = attck_snap_view(ctx->snap,
                                    (const char *) name->data + n + 1,
                                    name->len - n - 1);
    } else {
        return NGX_DECLINED;
    }

    if (ctx->view == NULL
        || ngx_http_attck_taxii_doc(ctx, "taxii/collections", NULL) == NULL)
    {
        return NGX_DECLINED;
    }

    ctx->root = *name;

    return NGX_OK;
}


/*
 * The collection: its resource and its index, checked.  A bare UUID names
 * MITRE's collection of that UUID, for clients that want a UUID.
 */

static ngx_int_t
ngx_http_attck_taxii_collection(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, const attck_snap_doc_t **doc)
{
    u_char                   buf[128];
    ngx_str_t                id;
    const attck_snap_doc_t  *index;

    id = ctx->collection;
    *doc = ngx_http_attck_taxii_doc(ctx, "taxii/collection/", &id);

    if (*doc == NULL && id.len == 36) {
        id.data = buf;
        id.len = ngx_sprintf(buf, "x-mitre-collection--%V", &ctx->collection)
                 - buf;
        *doc = ngx_http_attck_taxii_doc(ctx, "taxii/collection/", &id);
    }

    index = ngx_http_attck_taxii_doc(ctx, "taxii/index/", &id);

    if (*doc == NULL || index == NULL) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                          "no such collection in this API "
                                          "root");
    }

    if (index->body.len < sizeof(attck_taxii_index_t)) {
        goto bad;
    }

    ngx_memcpy(&ctx->index, attck_snap_bytes(ctx->snap, index->body),
               sizeof(attck_taxii_index_t));

    if (ctx->index.magic != ATTCK_TAXII_MAGIC
        || (uint64_t) index->body.len
           != sizeof(attck_taxii_index_t)
              + (uint64_t) ctx->index.n
                * (sizeof(attck_taxii_obj_t) + sizeof(uint32_t)))
    {
        goto bad;
    }

    ctx->recs = (const u_char *) attck_snap_bytes(ctx->snap, index->body)
                + sizeof(attck_taxii_index_t);
    ctx->by_id = ctx->recs + ctx->index.n * sizeof(attck_taxii_obj_t);

    return NGX_OK;

bad:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "attck: the TAXII index of collection \"%V\" is damaged",
                  &id);

    return ngx_http_attck_taxii_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "internal error",
                                      "the collection's index is damaged");
}


void
ngx_http_attck_taxii_rec(ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t i,
    attck_taxii_obj_t *rec)
{
    ngx_memcpy(rec, ctx->recs + i * sizeof(attck_taxii_obj_t),
               sizeof(attck_taxii_obj_t));

    /* what lies outside the snapshot reads as empty */

    if ((uint64_t) rec->object.off + rec->object.len + 1 > ctx->snap->size) {
        rec->object.off = 0;
        rec->object.len = 0;
    }

    if ((uint64_t) rec->id.off + rec->id.len > ctx->snap->size
        || rec->type_len > rec->id.len)
    {
        rec->id.off = 0;
        rec->id.len = 0;
        rec->type_len = 0;
    }

    if ((uint64_t) rec->ver.off + rec->ver.len > ctx->snap->size) {
        rec->ver.off = 0;
        rec->ver.len = 0;
    }
}


static ngx_int_t
ngx_http_attck_taxii_discovery(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx)
{
    u_char                     *body, *p;
    size_t                      len, base_len;
    u_char                      base[512];
    ngx_uint_t                  i;
    ngx_str_t                   name;
    const attck_snap_view_t    *views;
    ngx_http_attck_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    ctx->view = &ctx->snap->views[0];

    if (ngx_http_attck_taxii_doc(ctx, "taxii/collections", NULL) == NULL) {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                          "this snapshot holds no TAXII "
                                          "collections (attck-worker "
                                          "compile --taxii)");
    }

    /* absolute URLs, as clients take them: scheme, Host, location */

    p = base;

    if (r->headers_in.host && r->headers_in.host->value.len <= 255) {
        p = ngx_slprintf(base, base + sizeof(base), "%s://%V",
#if (NGX_HTTP_SSL)
                         r->connection->ssl ? "https" : "http",
#else
                         "http",
#endif
                         &r->headers_in.host->value);
    }

    p = ngx_slprintf(p, base + sizeof(base), "%V", &alcf->taxii_prefix);

    if (p > base && p[-1] != '/' && p < base + sizeof(base)) {
        *p++ = '/';
    }

    base_len = p - base;
    views = ctx->snap->views;

    len = sizeof("{\"title\":\"MITRE ATT&CK\",\"description\":\"ATT&CK "
                 "releases as TAXII 2.1 collections\",\"default\":\"\","
                 "\"api_roots\":[]}")
          + 2 * ngx_escape_json(NULL, base, base_len) + 2 * base_len
          + sizeof(NGX_HTTP_ATTCK_TAXII_ROOT) + 4;

    for (i = 0; i < ctx->snap->header->nviews; i++) {
        len += 3 + 2 * base_len + sizeof(NGX_HTTP_ATTCK_TAXII_ROOT) + 4
               + views[i].name.len;
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, "{\"title\":\"MITRE ATT&CK\",\"description\":"
                   "\"ATT&CK releases as TAXII 2.1 collections\","
                   "\"default\":\"", sizeof("{\"title\":\"MITRE ATT&CK\","
                   "\"description\":\"ATT&CK releases as TAXII 2.1 "
                   "collections\",\"default\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, base, base_len);
    p = ngx_sprintf(p, "%s/\",\"api_roots\":[\"", NGX_HTTP_ATTCK_TAXII_ROOT);
    p = (u_char *) ngx_escape_json(p, base, base_len);
    p = ngx_sprintf(p, "%s/\"", NGX_HTTP_ATTCK_TAXII_ROOT);

    for (i = 0; i < ctx->snap->header->nviews; i++) {
        ctx->view = &views[i];

        if (ngx_http_attck_taxii_doc(ctx, "taxii/collections", NULL)
            == NULL)
        {
            continue;
        }

        name.data = (u_char *) attck_snap_bytes(ctx->snap, views[i].name);
        name.len = views[i].name.len;

        *p++ = ',';
        *p++ = '"';
        p = (u_char *) ngx_escape_json(p, base, base_len);
        p = ngx_sprintf(p, "%s-%V/\"", NGX_HTTP_ATTCK_TAXII_ROOT, &name);
    }

    p = ngx_cpymem(p, "]}", 2);

    return ngx_http_attck_taxii_send_pool(r, body, p - body);
}


static ngx_int_t
ngx_http_attck_taxii_api_root(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx)
{
    u_char     *body, *p;
    size_t      len;
    ngx_str_t   name;

    name.data = (u_char *) attck_snap_bytes(ctx->snap, ctx->view->name);
    name.len = ctx->view->name.len;

    len = sizeof("{\"title\":\"MITRE ATT&CK \",\"description\":\"ATT&CK "
                 "release , one collection per domain\",\"versions\":"
                 "[\"application/taxii+json;version=2.1\"],"
                 "\"max_content_length\":0}") + 2 * name.len + 16;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"title\":\"MITRE ATT&CK %V\",\"description\":"
                    "\"ATT&CK release %V%s, one collection per domain\","
                    "\"versions\":[\"application/taxii+json;version=2.1\"],"
                    "\"max_content_length\":0}", &name, &name,
                    ctx->view == &ctx->snap->views[0] ? " (latest)" : "");

    return ngx_http_attck_taxii_send_pool(r, body, p - body);
}


static ngx_int_t
ngx_http_attck_taxii_send_doc(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, const attck_snap_doc_t *doc)
{
    return ngx_http_attck_send(r, &ngx_http_attck_taxii_type,
                               (u_char *) attck_snap_bytes(ctx->snap,
                                                           doc->body),
                               doc->body.len,
                               (u_char *) attck_snap_bytes(ctx->snap,
                                                           doc->etag),
                               doc->etag.len, 1);
}


/* a body built for this request; its ETag is a hash of it */

static ngx_int_t
ngx_http_attck_taxii_send_pool(ngx_http_request_t *r, u_char *body,
    size_t len)
{
    u_char  *etag;

    etag = ngx_pnalloc(r->pool, 20);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(etag, "\"%016uxL\"",
                (uint64_t) attck_taxii_hash(ATTCK_TAXII_FNV, body, len));

    return ngx_http_attck_send(r, &ngx_http_attck_taxii_type, body, len,
                               etag, 18, 0);
}
