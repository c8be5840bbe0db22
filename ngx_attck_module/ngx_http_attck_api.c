
/*
 * ngx_http_attck_module: the JSON API under an "attck_api" location.
 *
 * Lookups answer with bytes that already sit in shared memory: the
 * response buffer points into the snapshot, nothing is copied or built.
 * Only the filtered technique list, search and status are assembled per
 * request, from pre-rendered fragments.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_api.h"
#include "snapshot/attck_args.h"
#include "snapshot/attck_query.h"
#include "snapshot/attck_text.h"

#include <jansson.h>


#define NGX_HTTP_ATTCK_MAX_VALUE     256
#define NGX_HTTP_ATTCK_MAX_ARGS      4096

#define NGX_HTTP_ATTCK_SEARCH_LIMIT  20
#define NGX_HTTP_ATTCK_SEARCH_MAX    100

/* a list of technique ids may be longer than any other value */
#define NGX_HTTP_ATTCK_MAX_LIST      2048


/*
 * A collection: "techniques", and below it "techniques/{id}" when it has
 * ids, and "techniques/{id}/threats" when it has a sub-collection.
 */

typedef struct {
    ngx_str_t                  name;
    ngx_http_attck_route_pt    handler;     /* NULL: a pre-rendered list */
    ngx_uint_t                 params;      /* allowed without an id */
    ngx_uint_t                 has_ids;     /* collection/{id} exists */
    ngx_http_attck_route_pt    id_handler;  /* NULL: pre-rendered objects */
    ngx_str_t                  sub;         /* collection/{id}/sub */
    ngx_http_attck_route_pt    sub_handler;
    ngx_uint_t                 sub_params;
} ngx_http_attck_route_t;

#define NGX_HTTP_ATTCK_NO_SUB  NULL, ngx_null_string, NULL, 0


static ngx_int_t ngx_http_attck_status(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_techniques(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_search(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_matrix(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_index(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_layer(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_object(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_parse_args(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_uint_t allowed);
static ngx_int_t ngx_http_attck_unknown(ngx_http_attck_ctx_t *ctx,
    attck_arg_t *arg);
static ngx_int_t ngx_http_attck_select_view(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_send_doc(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, const attck_snap_doc_t *doc);
static ngx_int_t ngx_http_attck_send_buf(ngx_http_request_t *r,
    ngx_buf_t *b, ngx_http_attck_ctx_t *ctx);
static ngx_int_t ngx_http_attck_fail(ngx_http_attck_ctx_t *ctx,
    ngx_uint_t status, const char *error, const char *fmt, ...);


static ngx_str_t  ngx_http_attck_param_names[NGX_HTTP_ATTCK_P_NUM] = {
    ngx_string("release"),
    ngx_string("tactic"),
    ngx_string("platform"),
    ngx_string("domain"),
    ngx_string("subtechniques"),
    ngx_string("include_revoked"),
    ngx_string("limit"),
    ngx_string("offset"),
    ngx_string("q"),
    ngx_string("techniques"),
    ngx_string("technique"),
    ngx_string("source"),
    ngx_string("since"),
    ngx_string("from"),
    ngx_string("to"),
    ngx_string("type"),
    ngx_string("section"),
    ngx_string("format"),
    ngx_string("until"),
    ngx_string("country"),
    ngx_string("tag"),
    ngx_string("min_score"),
    ngx_string("method"),
    ngx_string("interval")
};


static ngx_http_attck_route_t  ngx_http_attck_routes[] = {

    { ngx_string("techniques"), ngx_http_attck_techniques,
      NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_TACTIC
      |NGX_HTTP_ATTCK_P_PLATFORM|NGX_HTTP_ATTCK_P_DOMAIN
      |NGX_HTTP_ATTCK_P_SUB|NGX_HTTP_ATTCK_P_REVOKED
      |NGX_HTTP_ATTCK_P_LIMIT|NGX_HTTP_ATTCK_P_OFFSET, 1,
      NULL, ngx_string("threats"), ngx_http_attck_technique_threats_indexed,
      NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_LIMIT
      |NGX_HTTP_ATTCK_P_OFFSET },

    /* from Redis */

    { ngx_string("threats"), ngx_http_attck_threats_filtered,
      NGX_HTTP_ATTCK_P_FILTERS|NGX_HTTP_ATTCK_P_LIMIT
      |NGX_HTTP_ATTCK_P_OFFSET, 1,
      ngx_http_attck_threat_indexed, ngx_null_string, NULL, 0 },

    { ngx_string("search"), ngx_http_attck_search,
      NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_Q|NGX_HTTP_ATTCK_P_LIMIT, 0,
      NGX_HTTP_ATTCK_NO_SUB },

    { ngx_string("matrix"), ngx_http_attck_matrix,
      NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_DOMAIN, 0,
      NGX_HTTP_ATTCK_NO_SUB },

    { ngx_string("navigator-layer"), ngx_http_attck_layer,
      NGX_HTTP_ATTCK_P_RELEASE|NGX_HTTP_ATTCK_P_DOMAIN
      |NGX_HTTP_ATTCK_P_TECHNIQUES, 0, NGX_HTTP_ATTCK_NO_SUB },

    { ngx_string("diff"), ngx_http_attck_diff,
      NGX_HTTP_ATTCK_P_FROM|NGX_HTTP_ATTCK_P_TO|NGX_HTTP_ATTCK_P_DOMAIN
      |NGX_HTTP_ATTCK_P_TYPE|NGX_HTTP_ATTCK_P_SECTION
      |NGX_HTTP_ATTCK_P_FORMAT, 0, NGX_HTTP_ATTCK_NO_SUB },

    { ngx_string("status"), ngx_http_attck_status,
      NGX_HTTP_ATTCK_P_RELEASE, 0, NGX_HTTP_ATTCK_NO_SUB },

    { ngx_string("tactics"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("groups"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("software"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("mitigations"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("campaigns"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("detection-strategies"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("data-components"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("analytics"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },
    { ngx_string("assets"), NULL, NGX_HTTP_ATTCK_P_RELEASE, 1,
      NGX_HTTP_ATTCK_NO_SUB },

    { ngx_null_string, NULL, 0, 0, NGX_HTTP_ATTCK_NO_SUB }
};


static u_char  ngx_http_attck_index_body[] =
    "{\"endpoints\":[\"status\",\"techniques\",\"techniques/{id}\","
    "\"tactics\",\"tactics/{id}\",\"groups\",\"groups/{id}\",\"software\","
    "\"software/{id}\",\"mitigations\",\"mitigations/{id}\",\"campaigns\","
    "\"campaigns/{id}\",\"detection-strategies\","
    "\"detection-strategies/{id}\",\"data-components\","
    "\"data-components/{id}\",\"analytics\",\"analytics/{id}\",\"assets\","
    "\"assets/{id}\","
    "\"matrix\",\"search\",\"navigator-layer\",\"diff\"]}";


/* with attck_redis */

static u_char  ngx_http_attck_index_redis_body[] =
    "{\"endpoints\":[\"status\",\"techniques\",\"techniques/{id}\","
    "\"techniques/{id}/threats\",\"threats\",\"threats/{id}\","
    "\"tactics\",\"tactics/{id}\",\"groups\",\"groups/{id}\","
    "\"software\",\"software/{id}\",\"mitigations\","
    "\"mitigations/{id}\",\"campaigns\",\"campaigns/{id}\","
    "\"detection-strategies\",\"detection-strategies/{id}\","
    "\"data-components\",\"data-components/{id}\",\"analytics\","
    "\"analytics/{id}\",\"assets\",\"assets/{id}\","
    "\"matrix\",\"search\",\"navigator-layer\",\"diff\"]}";


ngx_int_t
ngx_http_attck_api_handler(ngx_http_request_t *r)
{
    u_char                      *p, *end, *slash, *sub;
    ngx_int_t                    rc;
    ngx_uint_t                   i, params;
    ngx_http_attck_route_pt      handler;
    ngx_http_attck_ctx_t        *ctx;
    ngx_http_attck_route_t      *route;
    ngx_http_attck_loc_conf_t   *alcf;
    ngx_http_attck_main_conf_t  *amcf;

    /* POST map reads a body and needs no snapshot */

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (ngx_http_attck_map_is(r, &alcf->prefix)) {
        return ngx_http_attck_map_handler(r);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_ALLOWED,
                                    "method not allowed",
                                    "only GET and HEAD are served here");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    ctx->local = ngx_http_attck_acquire(r, amcf, &rc);

    if (ctx->local == NULL) {
        if (rc != NGX_HTTP_SERVICE_UNAVAILABLE) {
            return rc;
        }

        return ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "no snapshot is loaded");
    }

    ctx->snap = &ctx->local->snap;

    /* the path below the location: "techniques/T1059.001" */

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (r->uri.len < alcf->prefix.len
        || ngx_strncmp(r->uri.data, alcf->prefix.data, alcf->prefix.len) != 0)
    {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "no such endpoint");
    }

    p = r->uri.data + alcf->prefix.len;
    end = r->uri.data + r->uri.len;

    while (p < end && *p == '/') {
        p++;
    }

    while (end > p && end[-1] == '/') {
        end--;
    }

    if (p == end) {
        rc = ngx_http_attck_parse_args(r, ctx, NGX_HTTP_ATTCK_P_RELEASE);

        if (rc == NGX_OK) {
            rc = ngx_http_attck_select_view(r, ctx);
        }

        if (rc != NGX_OK) {
            return ngx_http_attck_checked(r, ctx, rc);
        }

        return ngx_http_attck_index(r, ctx);
    }

    slash = ngx_strlchr(p, end, '/');
    sub = NULL;

    ctx->collection.data = p;
    ctx->collection.len = (slash ? slash : end) - p;

    if (slash) {
        ctx->id.data = slash + 1;
        sub = ngx_strlchr(ctx->id.data, end, '/');
        ctx->id.len = (sub ? sub : end) - ctx->id.data;
    }

    for (route = ngx_http_attck_routes; route->name.len; route++) {
        if (route->name.len == ctx->collection.len
            && ngx_strncmp(route->name.data, p, route->name.len) == 0)
        {
            break;
        }
    }

    if (route->name.len == 0 || (slash && !route->has_ids)
        || (sub && (route->sub.len == 0
                    || route->sub.len != (size_t) (end - sub - 1)
                    || ngx_strncmp(route->sub.data, sub + 1, route->sub.len)
                       != 0)))
    {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "no such endpoint");
    }

    if (sub) {
        handler = route->sub_handler;
        params = route->sub_params;

    } else if (slash && route->handler == ngx_http_attck_threats_filtered
               && ctx->id.len == 5
               && ngx_strncmp(ctx->id.data, "stats", 5) == 0)
    {
        /* threats/stats: not a threat's id */
        handler = ngx_http_attck_threat_stats;
        params = NGX_HTTP_ATTCK_P_FILTERS|NGX_HTTP_ATTCK_P_INTERVAL;

    } else if (slash) {
        handler = route->id_handler;
        params = NGX_HTTP_ATTCK_P_RELEASE;

    } else {
        handler = route->handler;
        params = route->params;
    }

    /* an ATT&CK id; the other ids are checked by their handlers */

    if (slash && (sub || handler == NULL)) {
        if (ctx->id.len == 0 || ctx->id.len > NGX_HTTP_ATTCK_MAX_ID) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid id",
                                        "an ATT&CK id has 1 to %d letters, "
                                        "digits, dots and hyphens",
                                        NGX_HTTP_ATTCK_MAX_ID);
        }

        for (i = 0; i < ctx->id.len; i++) {
            if (!((ctx->id.data[i] >= 'A' && ctx->id.data[i] <= 'Z')
                  || (ctx->id.data[i] >= 'a' && ctx->id.data[i] <= 'z')
                  || (ctx->id.data[i] >= '0' && ctx->id.data[i] <= '9')
                  || ctx->id.data[i] == '.' || ctx->id.data[i] == '-'))
            {
                return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid id",
                                            "an ATT&CK id has only letters, "
                                            "digits, dots and hyphens");
            }
        }
    }

    rc = ngx_http_attck_parse_args(r, ctx, params);

    if (rc == NGX_OK) {
        rc = ngx_http_attck_select_view(r, ctx);
    }

    if (rc != NGX_OK) {
        return ngx_http_attck_checked(r, ctx, rc);
    }

    if (handler == NULL) {
        return ngx_http_attck_object(r, ctx);
    }

    return handler(r, ctx);
}


static ngx_int_t
ngx_http_attck_parse_args(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_uint_t allowed)
{
    int           rc;
    u_char       *buf, *last;
    size_t        len, max;
    ngx_uint_t    i;
    const char   *p, *end;
    attck_arg_t   arg;

    if (r->args.len == 0) {
        return NGX_OK;
    }

    if (r->args.len > NGX_HTTP_ATTCK_MAX_ARGS) {
        return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "the query string is longer than %d "
                                    "bytes", NGX_HTTP_ATTCK_MAX_ARGS);
    }

    /* decoded values never grow: one buffer of the raw length holds all */

    buf = ngx_pnalloc(r->pool, r->args.len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    last = buf + r->args.len;
    p = (const char *) r->args.data;
    end = p + r->args.len;

    for ( ;; ) {
        len = ngx_min(NGX_HTTP_ATTCK_MAX_LIST, (size_t) (last - buf));

        rc = attck_args_next(&p, end, &arg, (char *) buf, len);

        if (rc == ATTCK_ARGS_END) {
            return NGX_OK;
        }

        if (rc != ATTCK_ARGS_OK) {
            return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        rc == ATTCK_ARGS_TOO_LONG
                                        ? "a parameter value is too long"
                                        : "a parameter value holds a "
                                          "control character");
        }

        for (i = 0; i < NGX_HTTP_ATTCK_P_NUM; i++) {
            if (ngx_http_attck_param_names[i].len == arg.name_len
                && ngx_strncmp(ngx_http_attck_param_names[i].data, arg.name,
                               arg.name_len) == 0)
            {
                break;
            }
        }

        /* "_=<time>", the cache buster of browser front ends */

        if (arg.name_len == 1 && arg.name[0] == '_') {
            continue;
        }

        if (i == NGX_HTTP_ATTCK_P_NUM || !(allowed & (1 << i))) {
            return ngx_http_attck_unknown(ctx, &arg);
        }

        max = (i == NGX_HTTP_ATTCK_I_TECHNIQUES) ? NGX_HTTP_ATTCK_MAX_LIST
                                                 : NGX_HTTP_ATTCK_MAX_VALUE;

        if (arg.value_len > max) {
            return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid parameter",
                                       "\"%V\" is longer than %uz bytes",
                                       &ngx_http_attck_param_names[i], max);
        }

        if (ctx->given & (1 << i)) {
            return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "parameter \"%V\" given twice",
                                        &ngx_http_attck_param_names[i]);
        }

        ctx->given |= 1 << i;
        ctx->param[i].data = (u_char *) arg.value;
        ctx->param[i].len = arg.value_len;

        buf += arg.value_len;
    }
}


static ngx_int_t
ngx_http_attck_unknown(ngx_http_attck_ctx_t *ctx, attck_arg_t *arg)
{
    size_t  i;

    /* the name is echoed only when it is short, printable ASCII */

    for (i = 0; i < arg->name_len && i <= 32; i++) {
        if (arg->name[i] < 0x21 || arg->name[i] > 0x7e) {
            break;
        }
    }

    if (i != arg->name_len || i > 32 || i == 0) {
        return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                   "invalid parameter",
                                   "unknown parameter for this endpoint");
    }

    return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST, "invalid parameter",
                               "unknown parameter \"%*s\" for this endpoint",
                               arg->name_len, arg->name);
}


static ngx_int_t
ngx_http_attck_select_view(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    ngx_str_t  *release;

    release = &ctx->param[NGX_HTTP_ATTCK_I_RELEASE];

    if (!(ctx->given & NGX_HTTP_ATTCK_P_RELEASE)
        || (release->len == 6 && ngx_strncmp(release->data, "latest", 6) == 0))
    {
        ctx->view = &ctx->snap->views[0];
        return NGX_OK;
    }

    ctx->view = attck_snap_view(ctx->snap, (const char *) release->data,
                                release->len);

    if (ctx->view == NULL) {
        return ngx_http_attck_fail(ctx, NGX_HTTP_NOT_FOUND, "not found",
                                    "this ATT&CK release is not loaded "
                                    "(see status)");
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_attck_uint_param(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_uint_t bit, ngx_uint_t def, ngx_uint_t max, ngx_uint_t *value)
{
    int64_t     v;
    ngx_uint_t  i;

    if (!(ctx->given & bit)) {
        *value = def;
        return NGX_OK;
    }

    for (i = 0; (ngx_uint_t) 1 << i != bit; i++) { /* void */ }

    v = attck_args_uint((const char *) ctx->param[i].data, ctx->param[i].len,
                        (int64_t) max);

    if (v < 0 || (bit == NGX_HTTP_ATTCK_P_LIMIT && v == 0)) {
        return ngx_http_attck_fail(ctx, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"%V\" must be a whole number from %d "
                                    "to %ui",
                                    &ngx_http_attck_param_names[i],
                                    bit == NGX_HTTP_ATTCK_P_LIMIT ? 1 : 0,
                                    max);
    }

    *value = (ngx_uint_t) v;

    return NGX_OK;
}


static ngx_int_t
ngx_http_attck_object(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                   key[64], *p;
    ngx_uint_t               i;
    const attck_snap_doc_t  *doc;

    /* "techniques/t1059.001" -> "techniques/T1059.001" */

    p = ngx_cpymem(key, ctx->collection.data, ctx->collection.len);

    if (ctx->id.len) {
        *p++ = '/';

        for (i = 0; i < ctx->id.len; i++) {
            *p++ = ngx_toupper(ctx->id.data[i]);
        }
    }

    doc = attck_snap_find(ctx->snap, ctx->view, (const char *) key, p - key);

    if (doc == NULL) {
        if (ctx->id.len == 0) {
            return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                        "no list of %V in this release",
                                        &ctx->collection);
        }

        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "%*s is not in this release",
                                    p - key, key);
    }

    return ngx_http_attck_send_doc(r, ctx, doc);
}


static ngx_int_t
ngx_http_attck_matrix(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                   key[32], *p;
    uint32_t                 domain;
    ngx_str_t                name, *v;
    const attck_snap_doc_t  *doc;

    domain = ATTCK_DOMAIN_ENTERPRISE;

    if (ctx->given & NGX_HTTP_ATTCK_P_DOMAIN) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_DOMAIN];
        domain = attck_query_domain((const char *) v->data, v->len);
    }

    name.data = (u_char *) attck_query_domain_name(domain);

    if (name.data == NULL) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"domain\" is enterprise, mobile or ics");
    }

    name.len = ngx_strlen(name.data);

    p = ngx_sprintf(key, "matrix/%V", &name);
    doc = attck_snap_find(ctx->snap, ctx->view, (const char *) key, p - key);

    if (doc == NULL) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "the %V domain is not loaded in this "
                                    "release", &name);
    }

    return ngx_http_attck_send_doc(r, ctx, doc);
}


static ngx_int_t
ngx_http_attck_index(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    static u_char  etag[] = "\"attck-index-2\"";
    static u_char  etag_redis[] = "\"attck-index-redis-2\"";

    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (amcf->redis) {
        return ngx_http_attck_send(r, &ngx_http_attck_json_type,
                                   ngx_http_attck_index_redis_body,
                                   sizeof(ngx_http_attck_index_redis_body) - 1,
                                   etag_redis, sizeof(etag_redis) - 1, 1);
    }

    return ngx_http_attck_send(r, &ngx_http_attck_json_type,
                               ngx_http_attck_index_body,
                               sizeof(ngx_http_attck_index_body) - 1,
                               etag, sizeof(etag) - 1, 1);
}


/*
 * GET navigator-layer?domain=enterprise&techniques=T1059.001,T1566: a layer
 * with each technique, checked to exist in the release and the domain
 */

static ngx_int_t
ngx_http_attck_layer(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                   key[48], *p, *end, *comma, *k;
    size_t                   n;
    json_t                  *layer;
    uint32_t                 domain, t;
    ngx_str_t               *v, *list;
    const char              *dname;
    const attck_snap_doc_t  *doc, *docs;
    const attck_snap_tech_t *techs;

    domain = ATTCK_DOMAIN_ENTERPRISE;
    dname = "enterprise-attack";

    if (ctx->given & NGX_HTTP_ATTCK_P_DOMAIN) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_DOMAIN];
        domain = attck_query_domain((const char *) v->data, v->len);
        dname = domain == ATTCK_DOMAIN_MOBILE ? "mobile-attack"
                : domain == ATTCK_DOMAIN_ICS ? "ics-attack"
                : "enterprise-attack";
    }

    list = &ctx->param[NGX_HTTP_ATTCK_I_TECHNIQUES];

    if (domain == 0 || list->len == 0) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    domain == 0
                                    ? "\"domain\" is enterprise, mobile or ics"
                                    : "\"techniques\" is required: "
                                      "T1059.001,T1566,...");
    }

    layer = ngx_http_attck_layer_new("attck techniques", "made by attck",
                                     dname, ctx->snap, ctx->view);
    if (layer == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    docs = attck_snap_docs(ctx->snap, ctx->view);
    techs = attck_snap_techs(ctx->snap, ctx->view);
    end = list->data + list->len;

    for (p = list->data; p < end; p = comma + 1) {
        comma = ngx_strlchr(p, end, ',');

        if (comma == NULL) {
            comma = end;
        }

        n = comma - p;

        if (n == 0 || n > NGX_HTTP_ATTCK_MAX_ID) {
            json_decref(layer);
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"techniques\" holds an empty or "
                                        "too long id");
        }

        k = ngx_cpymem(key, "techniques/", sizeof("techniques/") - 1);

        /* ngx_toupper() evaluates its argument more than once */

        for ( /* void */ ; p < comma; p++) {
            *k++ = ngx_toupper(*p);
        }

        doc = attck_snap_find(ctx->snap, ctx->view, (const char *) key,
                              k - key);

        /* the technique's record says which domains it belongs to */

        for (t = 0; doc && t < ctx->view->ntechs; t++) {
            if (&docs[techs[t].doc] == doc) {
                break;
            }
        }

        if (doc == NULL || t == ctx->view->ntechs
            || !(techs[t].flags & domain))
        {
            json_decref(layer);
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "%*s is not a technique of %s in "
                                        "this release",
                                        (size_t) (k - key) - 11, key + 11,
                                        dname);
        }

        ngx_http_attck_layer_add(layer, (const char *) key + 11,
                                 k - key - 11, NULL, 1, NULL);
    }

    return ngx_http_attck_layer_send(r, layer);
}


static ngx_int_t
ngx_http_attck_status(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                       *release, sha[NGX_HTTP_ATTCK_SHA_LEN];
    size_t                        len;
    ngx_tm_t                      tm;
    ngx_buf_t                    *b;
    ngx_uint_t                    published;
    const attck_snap_t           *snap;
    ngx_http_attck_gen_t         *gen;
    const attck_snap_str_t       *name;
    ngx_http_attck_main_conf_t   *amcf;

    snap = ctx->snap;
    gen = ctx->local->gen;
    name = &snap->views[0].name;
    release = (u_char *) attck_snap_bytes(snap, *name);

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    len = sizeof("{\"generation\":,\"loaded\":\"1970-01-01T00:00:00Z\","
                 "\"size\":,\"checksum\":\"01234567\","
                 "\"default_release\":\"\",")
          + 2 * NGX_INT_T_LEN + name->len
          + ngx_escape_json(NULL, release, name->len)
          + snap->header->status.len;

    if (amcf->redis) {
        len += sizeof("\"published\":{\"generation\":,\"sha256\":\"\"},")
               + NGX_INT_T_LEN + NGX_HTTP_ATTCK_SHA_LEN;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_gmtime(gen->loaded, &tm);

    /* the compiled status object, with what only the zone knows first */

    b->last = ngx_sprintf(b->last,
                          "{\"generation\":%ui,"
                          "\"loaded\":\"%4d-%02d-%02dT%02d:%02d:%02dZ\","
                          "\"size\":%uz,\"checksum\":\"%*s\","
                          "\"default_release\":\"",
                          gen->number, tm.ngx_tm_year, tm.ngx_tm_mon,
                          tm.ngx_tm_mday, tm.ngx_tm_hour, tm.ngx_tm_min,
                          tm.ngx_tm_sec, gen->size,
                          (size_t) 8, ctx->local->checksum);
    b->last = (u_char *) ngx_escape_json(b->last, release, name->len);
    *b->last++ = '"';
    *b->last++ = ',';

    /* what "attck:current" in Redis said, as this instance follows it */

    if (amcf->redis) {
        published = ngx_http_attck_published(amcf, sha);

        if (published) {
            b->last = ngx_sprintf(b->last,
                                  "\"published\":{\"generation\":%ui,"
                                  "\"sha256\":\"%*s\"},", published,
                                  (size_t) NGX_HTTP_ATTCK_SHA_LEN, sha);

        } else {
            b->last = ngx_cpymem(b->last,
                                 "\"published\":{\"generation\":null,"
                                 "\"sha256\":null},",
                                 sizeof("\"published\":{\"generation\":null,"
                                        "\"sha256\":null},") - 1);
        }

        ctx->etag_extra = published;
    }

    /* the status object without its opening brace; checked to be one */

    b->last = ngx_cpymem(b->last,
                         attck_snap_bytes(snap, snap->header->status) + 1,
                         snap->header->status.len - 1);

    return ngx_http_attck_send_buf(r, b, ctx);
}


static ngx_int_t
ngx_http_attck_techniques(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    int                      b;
    size_t                   len;
    uint32_t                *out, nout, total, i;
    ngx_int_t                rc;
    ngx_buf_t               *buf;
    ngx_str_t               *v;
    ngx_uint_t               limit, offset;
    attck_tech_filter_t      f;
    const attck_snap_doc_t  *docs;
    const attck_snap_str_t  *summary;

    ngx_memzero(&f, sizeof(attck_tech_filter_t));
    f.subtechniques = 1;

    if (ctx->given & NGX_HTTP_ATTCK_P_TACTIC) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_TACTIC];
        f.tactics = attck_query_tactic(ctx->snap, ctx->view,
                                       (const char *) v->data, v->len);
        if (f.tactics == 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "unknown tactic (an id such as "
                                        "TA0002 or a shortname such as "
                                        "execution)");
        }
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_PLATFORM) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_PLATFORM];
        f.platforms = attck_query_platform(ctx->snap, ctx->view,
                                           (const char *) v->data, v->len);
        if (f.platforms == 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "unknown platform");
        }
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_DOMAIN) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_DOMAIN];
        f.domains = attck_query_domain((const char *) v->data, v->len);
        if (f.domains == 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"domain\" is enterprise, mobile "
                                        "or ics");
        }
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_SUB) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_SUB];
        b = attck_args_bool((const char *) v->data, v->len);
        if (b < 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"subtechniques\" is true or false");
        }

        f.subtechniques = b;
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_REVOKED) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_REVOKED];
        b = attck_args_bool((const char *) v->data, v->len);
        if (b < 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"include_revoked\" is true or "
                                        "false");
        }

        f.include_revoked = b;
    }

    rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_MAX, &limit);
    if (rc == NGX_OK) {
        rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_OFFSET, 0,
                                       NGX_HTTP_ATTCK_OFFSET_MAX, &offset);
    }

    if (rc != NGX_OK) {
        return ngx_http_attck_checked(r, ctx, rc);
    }

    out = ngx_palloc(r->pool, limit * sizeof(uint32_t));
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    total = attck_query_techniques(ctx->snap, ctx->view, &f, offset, limit,
                                   out, &nout);

    docs = attck_snap_docs(ctx->snap, ctx->view);
    len = sizeof("{\"total\":,\"offset\":,\"limit\":,\"techniques\":[]}")
          + 3 * NGX_INT_T_LEN;

    for (i = 0; i < nout; i++) {
        len += docs[out[i]].summary.len + 1;
    }

    buf = ngx_create_temp_buf(r->pool, len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    buf->last = ngx_sprintf(buf->last,
                            "{\"total\":%uD,\"offset\":%ui,\"limit\":%ui,"
                            "\"techniques\":[", total, offset, limit);

    for (i = 0; i < nout; i++) {
        summary = &docs[out[i]].summary;

        if (i) {
            *buf->last++ = ',';
        }

        buf->last = ngx_cpymem(buf->last, attck_snap_bytes(ctx->snap, *summary),
                               summary->len);
    }

    *buf->last++ = ']';
    *buf->last++ = '}';

    return ngx_http_attck_send_buf(r, buf, ctx);
}


static ngx_int_t
ngx_http_attck_search(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    float                   *scores;
    size_t                   len;
    uint8_t                 *seen;
    uint32_t                *touched, n, total, i;
    ngx_int_t                rc;
    ngx_buf_t               *buf;
    ngx_str_t               *q;
    ngx_uint_t               limit;
    attck_hit_t             *hits;
    const attck_snap_doc_t  *doc;

    q = &ctx->param[NGX_HTTP_ATTCK_I_Q];

    if (!(ctx->given & NGX_HTTP_ATTCK_P_Q) || q->len == 0) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"q\" is required");
    }

    /* the query is echoed in the answer: it must be valid UTF-8 */

    if (!attck_text_utf8((const char *) q->data, q->len)) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"q\" is not valid UTF-8");
    }

    rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_LIMIT,
                                   NGX_HTTP_ATTCK_SEARCH_LIMIT,
                                   NGX_HTTP_ATTCK_SEARCH_MAX, &limit);
    if (rc != NGX_OK) {
        return ngx_http_attck_checked(r, ctx, rc);
    }

    scores = ngx_pcalloc(r->pool, ctx->view->ndocs * sizeof(float));
    touched = ngx_palloc(r->pool, ctx->view->ndocs * sizeof(uint32_t));
    seen = ngx_pcalloc(r->pool, ctx->view->ndocs);
    hits = ngx_palloc(r->pool, limit * sizeof(attck_hit_t));

    if (scores == NULL || touched == NULL || seen == NULL || hits == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = attck_query_search(ctx->snap, ctx->view, (const char *) q->data,
                           q->len, scores, touched, seen, hits,
                           (uint32_t) limit, &total);

    len = sizeof("{\"query\":\"\",\"total\":,\"limit\":,\"results\":[]}")
          + q->len + ngx_escape_json(NULL, q->data, q->len)
          + 2 * NGX_INT_T_LEN;

    for (i = 0; i < n; i++) {
        len += attck_snap_docs(ctx->snap, ctx->view)[hits[i].doc].summary.len
               + sizeof("{\"score\":,") + 24;
    }

    buf = ngx_create_temp_buf(r->pool, len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    buf->last = ngx_cpymem(buf->last, "{\"query\":\"", 10);
    buf->last = (u_char *) ngx_escape_json(buf->last, q->data, q->len);
    buf->last = ngx_sprintf(buf->last, "\",\"total\":%uD,\"limit\":%ui,"
                            "\"results\":[", total, limit);

    for (i = 0; i < n; i++) {
        doc = &attck_snap_docs(ctx->snap, ctx->view)[hits[i].doc];

        if (i) {
            *buf->last++ = ',';
        }

        /* {"score":12.345, + the summary without its opening brace */

        buf->last = ngx_sprintf(buf->last, "{\"score\":%.3f,",
                                (double) hits[i].score);
        buf->last = ngx_cpymem(buf->last,
                               attck_snap_bytes(ctx->snap, doc->summary) + 1,
                               doc->summary.len - 1);
    }

    *buf->last++ = ']';
    *buf->last++ = '}';

    return ngx_http_attck_send_buf(r, buf, ctx);
}


static ngx_int_t
ngx_http_attck_send_doc(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    const attck_snap_doc_t *doc)
{
    return ngx_http_attck_send(r, &ngx_http_attck_json_type,
                   (u_char *) attck_snap_bytes(ctx->snap, doc->body),
                   doc->body.len,
                   (u_char *) attck_snap_bytes(ctx->snap, doc->etag),
                   doc->etag.len, 1);
}


static ngx_int_t
ngx_http_attck_send_buf(ngx_http_request_t *r, ngx_buf_t *b,
    ngx_http_attck_ctx_t *ctx)
{
    u_char    *etag;
    uint32_t   crc;

    /*
     * An assembled answer depends only on the snapshot, its generation
     * and the query string (and for status, the published generation):
     * that is its entity tag.
     */

    etag = ngx_pnalloc(r->pool, 2 + 8 + 1 + 8 + 2 * (1 + NGX_INT_T_LEN));
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, r->uri.data, r->uri.len);
    ngx_crc32_update(&crc, (u_char *) "?", 1);
    ngx_crc32_update(&crc, r->args.data, r->args.len);

    if (ctx->etag_extra) {
        ngx_crc32_update(&crc, (u_char *) &ctx->etag_extra,
                         sizeof(ngx_uint_t));
    }

    ngx_crc32_final(crc);

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, b->pos,
                               b->last - b->pos, etag,
                               ngx_sprintf(etag, "\"%*s-%08xD-%ui-%T\"",
                                           (size_t) 8, ctx->local->checksum,
                                           crc, ctx->local->gen->number,
                                           ctx->local->gen->loaded)
                               - etag, 0);
}


/* records an error for the handler to send; NGX_DECLINED */

static ngx_int_t
ngx_http_attck_fail(ngx_http_attck_ctx_t *ctx, ngx_uint_t status,
    const char *error, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ctx->detail_len = ngx_vslprintf(ctx->detail,
                                    ctx->detail + sizeof(ctx->detail), fmt,
                                    args)
                      - ctx->detail;
    va_end(args);

    ctx->status = status;
    ctx->error = error;

    return NGX_DECLINED;
}


/* answers for a check that did not pass: NGX_DECLINED or NGX_ERROR */

ngx_int_t
ngx_http_attck_checked(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_int_t rc)
{
    if (rc != NGX_DECLINED) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_error(r, ctx->status, ctx->error, "%*s",
                                ctx->detail_len, ctx->detail);
}
