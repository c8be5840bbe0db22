
/*
 * ngx_http_attck_module: attck_metrics, the Prometheus text exposition.
 *
 * Requests are counted in the log phase, for the locations of this module
 * only, by route: a fixed name from the table below chosen by the shape
 * of the path, never the path itself, so that no client can make up label
 * values.  A request costs four atomic adds in the zone
 * (ngx_http_attck_metrics.h); the rest is read when scraped.
 *
 * The worker's stages write a Redis hash each, "attck:stage:NAME"; a
 * scrape reads them with one pipelined HGETALL per stage and exposes them
 * beside the counters.  Without a Redis connection they are left out.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_metrics.h"
#include "ngx_http_attck_redis.h"


#define NGX_HTTP_ATTCK_M_OTHER       0
#define NGX_HTTP_ATTCK_M_INDEX       1
#define NGX_HTTP_ATTCK_M_THREATS_OF  8      /* techniques/{id}/threats */
#define NGX_HTTP_ATTCK_M_CR          29     /* the cyber-range endpoints */
#define NGX_HTTP_ATTCK_M_METRICS     33
#define NGX_HTTP_ATTCK_M_HEALTH      34
#define NGX_HTTP_ATTCK_M_STATS       37     /* threats/stats */
#define NGX_HTTP_ATTCK_M_TAXII       39
#define NGX_HTTP_ATTCK_M_VERDICTS    40

#define NGX_HTTP_ATTCK_M_STAGES      5
#define NGX_HTTP_ATTCK_M_MAX_FIELDS  64     /* read of a stage's hash */
#define NGX_HTTP_ATTCK_M_MAX_VALUE   64


typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 route;       /* of the list; +1: of an id */
    ngx_uint_t                 ids;
} ngx_http_attck_m_collection_t;


/* one field of a stage's hash, checked: it is put in a label or a value */

typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  value;
} ngx_http_attck_m_field_t;


typedef struct {
    ngx_http_attck_m_field_t   field[NGX_HTTP_ATTCK_M_MAX_FIELDS];
    ngx_uint_t                 nfields;
} ngx_http_attck_m_stage_t;


typedef struct {
    ngx_http_attck_m_stage_t   stage[NGX_HTTP_ATTCK_M_STAGES];
    ngx_uint_t                 read;        /* the stages are there */
} ngx_http_attck_m_ctx_t;


static ngx_int_t ngx_http_attck_metrics_handler(ngx_http_request_t *r);
static void ngx_http_attck_metrics_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);
static ngx_int_t ngx_http_attck_metrics_send(ngx_http_request_t *r,
    ngx_http_attck_m_ctx_t *ctx);
static ngx_int_t ngx_http_attck_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_metrics_route(ngx_http_request_t *r);
static ngx_uint_t ngx_http_attck_metrics_api_route(ngx_http_request_t *r);
static ngx_uint_t ngx_http_attck_metrics_cr_route(ngx_http_request_t *r);
static void ngx_http_attck_metrics_observe(ngx_http_attck_m_histogram_t *h,
    ngx_msec_int_t ms);
static u_char *ngx_http_attck_metrics_histogram(u_char *p, const char *name,
    const char *label, ngx_str_t *value, ngx_http_attck_m_histogram_t *h);
static u_char *ngx_http_attck_metrics_stages(u_char *p,
    ngx_http_attck_m_ctx_t *ctx);
static ngx_http_attck_m_field_t *ngx_http_attck_metrics_field(
    ngx_http_attck_m_stage_t *st, const char *name);
static ngx_uint_t ngx_http_attck_metrics_name_ok(u_char *p, size_t len);


static ngx_str_t  ngx_http_attck_m_routes[NGX_HTTP_ATTCK_M_ROUTES] = {
    ngx_string("other"),
    ngx_string("index"),
    ngx_string("status"),
    ngx_string("search"),
    ngx_string("matrix"),
    ngx_string("navigator-layer"),
    ngx_string("techniques"),
    ngx_string("techniques/{id}"),
    ngx_string("techniques/{id}/threats"),
    ngx_string("threats"),
    ngx_string("threats/{id}"),
    ngx_string("tactics"),
    ngx_string("tactics/{id}"),
    ngx_string("groups"),
    ngx_string("groups/{id}"),
    ngx_string("software"),
    ngx_string("software/{id}"),
    ngx_string("mitigations"),
    ngx_string("mitigations/{id}"),
    ngx_string("campaigns"),
    ngx_string("campaigns/{id}"),
    ngx_string("detection-strategies"),
    ngx_string("detection-strategies/{id}"),
    ngx_string("data-components"),
    ngx_string("data-components/{id}"),
    ngx_string("analytics"),
    ngx_string("analytics/{id}"),
    ngx_string("assets"),
    ngx_string("assets/{id}"),
    ngx_string("mitre-technique-index"),
    ngx_string("mitre-matrix-visualisation"),
    ngx_string("mitre-navigator-layer"),
    ngx_string("mitre-update-matrix-data"),
    ngx_string("metrics"),
    ngx_string("health"),
    ngx_string("ready"),
    ngx_string("diff"),
    ngx_string("threats/stats"),
    ngx_string("map"),
    ngx_string("taxii"),
    ngx_string("threats/{id}/verdicts")
};


static ngx_http_attck_m_collection_t  ngx_http_attck_m_collections[] = {
    { ngx_string("status"), 2, 0 },
    { ngx_string("search"), 3, 0 },
    { ngx_string("matrix"), 4, 0 },
    { ngx_string("navigator-layer"), 5, 0 },
    { ngx_string("techniques"), 6, 1 },
    { ngx_string("threats"), 9, 1 },
    { ngx_string("tactics"), 11, 1 },
    { ngx_string("groups"), 13, 1 },
    { ngx_string("software"), 15, 1 },
    { ngx_string("mitigations"), 17, 1 },
    { ngx_string("campaigns"), 19, 1 },
    { ngx_string("detection-strategies"), 21, 1 },
    { ngx_string("data-components"), 23, 1 },
    { ngx_string("analytics"), 25, 1 },
    { ngx_string("assets"), 27, 1 },
    { ngx_string("diff"), 36, 0 },
    { ngx_string("map"), 38, 0 },
    { ngx_null_string, 0, 0 }
};


/* the cyber-range endpoints, in the order of their routes from 29 */

static ngx_str_t  ngx_http_attck_m_cr[] = {
    ngx_string("mitre-technique-index"),
    ngx_string("mitre-matrix-visualisation"),
    ngx_string("mitre-navigator-layer"),
    ngx_string("mitre-update-matrix-data"),
    ngx_string("mitre-technqiue-index"),    /* the front end's spelling */
    ngx_null_string
};


/* the statuses counted apart; any other one is "other" */

static ngx_uint_t  ngx_http_attck_m_statuses[NGX_HTTP_ATTCK_M_STATUSES - 1] = {
    200, 206, 304, 400, 403, 404, 405, 406, 412, 413, 414, 416, 429, 499,
    500, 502, 503, 504
};


/* the bounds of the histograms' buckets, in microseconds */

static ngx_msec_t  ngx_http_attck_m_bounds[NGX_HTTP_ATTCK_M_BUCKETS - 1] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};


static ngx_str_t  ngx_http_attck_m_trainings[NGX_HTTP_ATTCK_M_TRAININGS] = {
    ngx_string("linear"),
    ngx_string("adaptive")
};


static char  *ngx_http_attck_m_outcomes[NGX_HTTP_ATTCK_M_OUTCOMES] = {
    "ok", "error", "timeout"
};


static char  *ngx_http_attck_m_sources[NGX_HTTP_ATTCK_M_SOURCES] = {
    "file", "redis", "pointer"
};


/* the worker's stages, and the keys of their hashes */

static char  *ngx_http_attck_m_stages[NGX_HTTP_ATTCK_M_STAGES] = {
    "ingest", "map", "publish", "export", "report"
};

static char  *ngx_http_attck_m_stage_keys[NGX_HTTP_ATTCK_M_STAGES] = {
    "attck:stage:ingest", "attck:stage:map", "attck:stage:publish",
    "attck:stage:export", "attck:stage:report"
};


static ngx_str_t  ngx_http_attck_m_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");


/* attck_metrics; */

char *
ngx_http_attck_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_attck_main_conf_t  *amcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_attck_metrics_handler) {
        return "is duplicate";
    }

    if (clcf->handler) {
        return "conflicts with another handler of this location";
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_attck_module);

    if (amcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "this directive needs an \"attck_zone\" earlier "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    clcf->handler = ngx_http_attck_metrics_handler;
    amcf->metrics = 1;

    return NGX_CONF_OK;
}


/* requests are counted only where something scrapes them */

ngx_int_t
ngx_http_attck_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_attck_module);

    if (!amcf->metrics) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_attck_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_attck_metrics_log(ngx_http_request_t *r)
{
    ngx_int_t                    route;
    ngx_uint_t                   i, status;
    ngx_time_t                  *tp;
    ngx_msec_int_t               ms;
    ngx_http_attck_metrics_t    *m;
    ngx_http_attck_main_conf_t  *amcf;

    route = ngx_http_attck_metrics_route(r);

    if (route == NGX_DECLINED) {
        return NGX_OK;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);
    m = ngx_http_attck_metrics_get(amcf);

    if (m == NULL) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    for (i = 0; i < NGX_HTTP_ATTCK_M_STATUSES - 1; i++) {
        if (ngx_http_attck_m_statuses[i] == status) {
            break;
        }
    }

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    (void) ngx_atomic_fetch_add(&m->requests[route][i], 1);
    (void) ngx_atomic_fetch_add(&m->sent[route], r->connection->sent);
    ngx_http_attck_metrics_observe(&m->duration[route], ms);

    return NGX_OK;
}


static void
ngx_http_attck_metrics_observe(ngx_http_attck_m_histogram_t *h,
    ngx_msec_int_t ms)
{
    ngx_uint_t  b;

    ms = ngx_max(ms, 0);

    for (b = 0; b < NGX_HTTP_ATTCK_M_BUCKETS - 1; b++) {
        if ((ngx_msec_t) ms * 1000 <= ngx_http_attck_m_bounds[b]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->count[b], 1);
    (void) ngx_atomic_fetch_add(&h->sum_ms, ms);
}


/* the route of a request in a location of this module, or NGX_DECLINED */

static ngx_int_t
ngx_http_attck_metrics_route(ngx_http_request_t *r)
{
    ngx_uint_t                 health;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->handler == ngx_http_attck_api_handler) {
        return ngx_http_attck_metrics_api_route(r);
    }

    if (clcf->handler == ngx_http_attck_cr_handler) {
        return ngx_http_attck_metrics_cr_route(r);
    }

    if (clcf->handler == ngx_http_attck_metrics_handler) {
        return NGX_HTTP_ATTCK_M_METRICS;
    }

    if (clcf->handler == ngx_http_attck_triage_handler) {
        return NGX_HTTP_ATTCK_M_VERDICTS;
    }

    if (clcf->handler == ngx_http_attck_taxii_handler) {
        return NGX_HTTP_ATTCK_M_TAXII;
    }

    health = ngx_http_attck_is_health(r);

    if (health) {
        return (health == NGX_HTTP_ATTCK_HEALTH_READY)
               ? NGX_HTTP_ATTCK_M_HEALTH + 1 : NGX_HTTP_ATTCK_M_HEALTH;
    }

    return NGX_DECLINED;
}


/* "techniques/T1059.001/threats": techniques/{id}/threats */

static ngx_uint_t
ngx_http_attck_metrics_api_route(ngx_http_request_t *r)
{
    u_char                         *p, *end, *slash, *sub;
    ngx_http_attck_loc_conf_t      *alcf;
    ngx_http_attck_m_collection_t  *c;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (r->uri.len < alcf->prefix.len) {
        return NGX_HTTP_ATTCK_M_OTHER;
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
        return NGX_HTTP_ATTCK_M_INDEX;
    }

    slash = ngx_strlchr(p, end, '/');
    sub = slash ? ngx_strlchr(slash + 1, end, '/') : NULL;

    for (c = ngx_http_attck_m_collections; c->name.len; c++) {
        if (c->name.len == (size_t) ((slash ? slash : end) - p)
            && ngx_strncmp(c->name.data, p, c->name.len) == 0)
        {
            break;
        }
    }

    if (c->name.len == 0 || (slash && !c->ids)) {
        return NGX_HTTP_ATTCK_M_OTHER;
    }

    if (c->route == 9 && slash && !sub && end - slash - 1 == 5
        && ngx_strncmp(slash + 1, "stats", 5) == 0)
    {
        return NGX_HTTP_ATTCK_M_STATS;
    }

    if (sub) {
        return (c->route == 6 && end - sub - 1 == 7
                && ngx_strncmp(sub + 1, "threats", 7) == 0)
               ? NGX_HTTP_ATTCK_M_THREATS_OF : NGX_HTTP_ATTCK_M_OTHER;
    }

    return c->route + (slash != NULL);
}


/* the last path segment, as ngx_http_attck_cr_handler() takes it */

static ngx_uint_t
ngx_http_attck_metrics_cr_route(ngx_http_request_t *r)
{
    u_char      *p, *end;
    size_t       len;
    ngx_uint_t   i;

    end = r->uri.data + r->uri.len;

    if (end > r->uri.data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > r->uri.data && p[-1] != '/'; p--) { /* void */ }

    len = end - p;

    for (i = 0; ngx_http_attck_m_cr[i].len; i++) {
        if (ngx_http_attck_m_cr[i].len == len
            && ngx_strncmp(ngx_http_attck_m_cr[i].data, p, len) == 0)
        {
            return NGX_HTTP_ATTCK_M_CR + (i == 4 ? 0 : i);
        }
    }

    return NGX_HTTP_ATTCK_M_OTHER;
}


void
ngx_http_attck_metrics_overlay(ngx_http_request_t *sr, ngx_str_t *label,
    ngx_int_t status)
{
    ngx_uint_t                   t, outcome;
    ngx_time_t                  *tp;
    ngx_http_attck_metrics_t    *m;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(sr, ngx_http_attck_module);
    m = ngx_http_attck_metrics_get(amcf);

    if (m == NULL || !amcf->metrics) {
        return;
    }

    for (t = 0; t < NGX_HTTP_ATTCK_M_TRAININGS; t++) {
        if (ngx_http_attck_m_trainings[t].len == label->len
            && ngx_strncmp(ngx_http_attck_m_trainings[t].data, label->data,
                           label->len) == 0)
        {
            break;
        }
    }

    if (t == NGX_HTTP_ATTCK_M_TRAININGS) {
        return;
    }

    outcome = (status == NGX_HTTP_OK) ? 0
              : (status == NGX_HTTP_GATEWAY_TIME_OUT) ? 2 : 1;

    tp = ngx_timeofday();

    (void) ngx_atomic_fetch_add(&m->overlay[t][outcome], 1);
    ngx_http_attck_metrics_observe(&m->overlay_duration[t],
                                   (ngx_msec_int_t)
                                   ((tp->sec - sr->start_sec) * 1000
                                    + (tp->msec - sr->start_msec)));
}


static ngx_int_t
ngx_http_attck_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_uint_t                    i;
    ngx_http_attck_m_ctx_t       *ctx;
    ngx_http_attck_redis_cmd_t   *cmd;
    ngx_http_attck_main_conf_t   *amcf;
    ngx_http_attck_redis_argv_t   cmds[NGX_HTTP_ATTCK_M_STAGES];

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_m_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (amcf->redis == NULL || ngx_http_attck_redis_unavailable()) {
        return ngx_http_attck_metrics_send(r, ctx);
    }

    /* the stages' hashes: copied into ctx as their replies come */

    cmd = ngx_http_attck_redis_create(r, ngx_http_attck_metrics_reply,
                                      sizeof(ngx_http_attck_m_ctx_t *));
    if (cmd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *(ngx_http_attck_m_ctx_t **) cmd->data = ctx;

    for (i = 0; i < NGX_HTTP_ATTCK_M_STAGES; i++) {
        cmds[i].argc = 2;
        cmds[i].argv[0] = "HGETALL";
        cmds[i].argvlen[0] = sizeof("HGETALL") - 1;
        cmds[i].argv[1] = ngx_http_attck_m_stage_keys[i];
        cmds[i].argvlen[1] = ngx_strlen(ngx_http_attck_m_stage_keys[i]);
    }

    if (ngx_http_attck_redis_send(cmd, cmds, NGX_HTTP_ATTCK_M_STAGES)
        != NGX_DONE)
    {
        /* the connection went in between: the counters all the same */
        return ngx_http_attck_metrics_send(r, ctx);
    }

    return NGX_DONE;
}


static void
ngx_http_attck_metrics_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index)
{
    size_t                     i;
    redisReply                *k, *v;
    ngx_http_request_t        *r;
    ngx_http_attck_m_ctx_t    *ctx;
    ngx_http_attck_m_field_t  *f;
    ngx_http_attck_m_stage_t  *st;

    r = cmd->request;
    ctx = *(ngx_http_attck_m_ctx_t **) cmd->data;
    st = &ctx->stage[index];

    /*
     * only names and numbers that can be put in a label or a sample as
     * they are: what the worker did not write is skipped
     */

    if (rr->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i + 1 < rr->elements; i += 2) {
            k = rr->element[i];
            v = rr->element[i + 1];

            if (st->nfields == NGX_HTTP_ATTCK_M_MAX_FIELDS
                || k->type != REDIS_REPLY_STRING
                || v->type != REDIS_REPLY_STRING
                || v->len == 0 || v->len > NGX_HTTP_ATTCK_M_MAX_VALUE
                || !ngx_http_attck_metrics_name_ok((u_char *) k->str, k->len)
                || !ngx_http_attck_metrics_name_ok((u_char *) v->str, v->len))
            {
                continue;
            }

            f = &st->field[st->nfields];

            f->name.data = ngx_pstrdup(r->pool, &(ngx_str_t)
                                       { k->len, (u_char *) k->str });
            f->value.data = ngx_pstrdup(r->pool, &(ngx_str_t)
                                        { v->len, (u_char *) v->str });

            if (f->name.data == NULL || f->value.data == NULL) {
                ngx_http_attck_redis_finish(cmd,
                                            NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            f->name.len = k->len;
            f->value.len = v->len;
            st->nfields++;
        }
    }

    if (index + 1 < NGX_HTTP_ATTCK_M_STAGES) {
        return;
    }

    ctx->read = 1;

    ngx_http_attck_redis_finish(cmd, ngx_http_attck_metrics_send(r, ctx));
}


/* a field's name or value: letters, digits, "_-.:", at most 128 bytes */

static ngx_uint_t
ngx_http_attck_metrics_name_ok(u_char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > 128) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-'
              || p[i] == '.' || p[i] == ':'))
        {
            return 0;
        }
    }

    return 1;
}


#define ngx_http_attck_m_family(p, name, type, help)                         \
    ngx_sprintf(p, "# HELP " name " " help "\n# TYPE " name " " type "\n")


static ngx_int_t
ngx_http_attck_metrics_send(ngx_http_request_t *r, ngx_http_attck_m_ctx_t *ctx)
{
    u_char                      *body, *p;
    size_t                       size;
    ngx_uint_t                   i, s, t, up, generation;
    ngx_atomic_uint_t            n, pid;
    ngx_http_attck_gen_t        *gen;
    ngx_http_attck_metrics_t    *m;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);
    m = ngx_http_attck_metrics_get(amcf);

    if (m == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* a line is under 256 bytes; their number is bounded by the tables */

    size = 256 * (NGX_HTTP_ATTCK_M_ROUTES
                  * (NGX_HTTP_ATTCK_M_STATUSES + NGX_HTTP_ATTCK_M_BUCKETS + 4)
                  + NGX_HTTP_ATTCK_M_TRAININGS
                    * (NGX_HTTP_ATTCK_M_OUTCOMES + NGX_HTTP_ATTCK_M_BUCKETS
                       + 4)
                  + NGX_HTTP_ATTCK_M_STAGES
                    * (NGX_HTTP_ATTCK_M_MAX_FIELDS + 8)
                  + 100);

    body = ngx_pnalloc(r->pool, size);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body;

    /* requests */

    p = ngx_http_attck_m_family(p, "attck_http_requests_total", "counter",
                                "Requests answered, by route and status.");

    for (i = 0; i < NGX_HTTP_ATTCK_M_ROUTES; i++) {
        for (s = 0; s < NGX_HTTP_ATTCK_M_STATUSES; s++) {
            n = m->requests[i][s];

            if (n == 0) {
                continue;
            }

            if (s < NGX_HTTP_ATTCK_M_STATUSES - 1) {
                p = ngx_sprintf(p, "attck_http_requests_total{endpoint=\"%V\","
                                "status=\"%ui\"} %uA\n",
                                &ngx_http_attck_m_routes[i],
                                ngx_http_attck_m_statuses[s], n);

            } else {
                p = ngx_sprintf(p, "attck_http_requests_total{endpoint=\"%V\","
                                "status=\"other\"} %uA\n",
                                &ngx_http_attck_m_routes[i], n);
            }
        }
    }

    p = ngx_http_attck_m_family(p, "attck_http_response_bytes_total",
                                "counter", "Bytes sent, headers included, "
                                "by route.");

    for (i = 0; i < NGX_HTTP_ATTCK_M_ROUTES; i++) {
        if (m->sent[i]) {
            p = ngx_sprintf(p, "attck_http_response_bytes_total"
                            "{endpoint=\"%V\"} %uA\n",
                            &ngx_http_attck_m_routes[i], m->sent[i]);
        }
    }

    p = ngx_http_attck_m_family(p, "attck_http_request_duration_seconds",
                                "histogram", "Time from the first byte "
                                "read to the log phase (millisecond "
                                "resolution), by route.");

    for (i = 0; i < NGX_HTTP_ATTCK_M_ROUTES; i++) {
        p = ngx_http_attck_metrics_histogram(p,
                                        "attck_http_request_duration_seconds",
                                        "endpoint",
                                        &ngx_http_attck_m_routes[i],
                                        &m->duration[i]);
    }

    /* the snapshot */

    gen = amcf->sh ? ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current
                   : NULL;

    p = ngx_http_attck_m_family(p, "attck_snapshot_loaded", "gauge",
                                "1 when a snapshot is served.");
    p = ngx_sprintf(p, "attck_snapshot_loaded %d\n", gen ? 1 : 0);

    if (gen) {
        p = ngx_http_attck_m_family(p, "attck_snapshot_generation", "gauge",
                                    "The generation served, from 1.");
        p = ngx_sprintf(p, "attck_snapshot_generation %ui\n", gen->number);

        p = ngx_http_attck_m_family(p,
                                    "attck_snapshot_loaded_timestamp_seconds",
                                    "gauge", "When the generation served "
                                    "became current.");
        p = ngx_sprintf(p, "attck_snapshot_loaded_timestamp_seconds %T\n",
                        gen->loaded);

        p = ngx_http_attck_m_family(p, "attck_snapshot_size_bytes", "gauge",
                                    "The size of the snapshot served.");
        p = ngx_sprintf(p, "attck_snapshot_size_bytes %uz\n", gen->size);
    }

    p = ngx_http_attck_m_family(p, "attck_snapshot_refusals_total", "counter",
                                "Snapshots or pointers that failed their "
                                "checks; what was served stayed.");

    for (i = 0; i < NGX_HTTP_ATTCK_M_SOURCES; i++) {
        p = ngx_sprintf(p, "attck_snapshot_refusals_total{source=\"%s\"} "
                        "%uA\n", ngx_http_attck_m_sources[i],
                        m->refusals[i]);
    }

    generation = ngx_http_attck_published(amcf, NULL);

    p = ngx_http_attck_m_family(p, "attck_threat_generation", "gauge",
                                "The generation of the threat data read "
                                "from Redis, 0 if none.");
    p = ngx_sprintf(p, "attck_threat_generation %ui\n", generation);

    if (generation) {
        p = ngx_http_attck_m_family(p,
                                    "attck_threat_generation_seen_timestamp_"
                                    "seconds", "gauge", "When this nginx "
                                    "first saw the threat generation.");
        p = ngx_sprintf(p, "attck_threat_generation_seen_timestamp_seconds "
                        "%T\n", ngx_http_attck_published_time(amcf));
    }

    /* the zone: pages the slab allocator has free */

    p = ngx_http_attck_m_family(p, "attck_zone_size_bytes", "gauge",
                                "The size of the shared memory zone.");
    p = ngx_sprintf(p, "attck_zone_size_bytes %uz\n",
                    amcf->shm_zone->shm.size);

    p = ngx_http_attck_m_family(p, "attck_zone_free_bytes", "gauge",
                                "Free pages of the zone, in bytes.");
    p = ngx_sprintf(p, "attck_zone_free_bytes %uz\n",
                    (size_t) (amcf->shpool->pfree * ngx_pagesize));

    p = ngx_http_attck_m_family(p, "attck_zone_used_bytes", "gauge",
                                "The zone's bytes not free.");
    p = ngx_sprintf(p, "attck_zone_used_bytes %uz\n",
                    amcf->shm_zone->shm.size
                    - (size_t) (amcf->shpool->pfree * ngx_pagesize));

    /* Redis */

    if (amcf->redis) {
        up = 0;

        for (i = 0; i < NGX_MAX_PROCESSES; i++) {
            pid = m->redis_up[i];

            /* a worker process that crashed does not count */

            if (pid && ((ngx_pid_t) pid == ngx_pid
                        || kill((ngx_pid_t) pid, 0) == 0
                        || ngx_errno == NGX_EPERM))
            {
                up++;
            }
        }

        p = ngx_http_attck_m_family(p, "attck_redis_connected", "gauge",
                                    "Worker processes connected to Redis.");
        p = ngx_sprintf(p, "attck_redis_connected %ui\n", up);

        p = ngx_http_attck_m_family(p, "attck_redis_reconnects_total",
                                    "counter", "Connections made again "
                                    "after one was lost or failed.");
        p = ngx_sprintf(p, "attck_redis_reconnects_total %uA\n",
                        m->redis_reconnects);

        p = ngx_http_attck_m_family(p, "attck_redis_timeouts_total",
                                    "counter", "Requests answered 504: "
                                    "Redis did not answer in time.");
        p = ngx_sprintf(p, "attck_redis_timeouts_total %uA\n",
                        m->redis_timeouts);

        p = ngx_http_attck_m_family(p, "attck_redis_errors_total", "counter",
                                    "Error replies, and connections that "
                                    "failed or were lost.");
        p = ngx_sprintf(p, "attck_redis_errors_total{kind=\"reply\"} %uA\n"
                        "attck_redis_errors_total{kind=\"connection\"} %uA\n",
                        m->redis_reply_errors, m->redis_connection_errors);

        p = ngx_http_attck_m_family(p, "attck_redis_commands_waiting", "gauge",
                                    "Requests' commands sent and not yet "
                                    "answered.");
        p = ngx_sprintf(p, "attck_redis_commands_waiting %uA\n",
                        m->redis_waiting);
    }

    /* threats/stats walks: in the event loop, or on attck_thread_pool */

    p = ngx_http_attck_m_family(p, "attck_threat_walks_total", "counter",
                                "threats/stats answers that walked the "
                                "threat index, by where the walk ran.");
    p = ngx_sprintf(p, "attck_threat_walks_total{where=\"event_loop\"} %uA\n"
                    "attck_threat_walks_total{where=\"thread_pool\"} %uA\n",
                    m->tally_walks[0], m->tally_walks[1]);
    p = ngx_http_attck_m_family(p, "attck_threat_walk_slices_total",
                                "counter", "Slices of those walks run on "
                                "attck_thread_pool's threads.");
    p = ngx_sprintf(p, "attck_threat_walk_slices_total %uA\n",
                    m->tally_slices);

    /* the training services' overlay */

    p = ngx_http_attck_m_family(p, "attck_overlay_subrequests_total",
                                "counter", "Subrequests to the training "
                                "services, by service and outcome.");

    for (t = 0; t < NGX_HTTP_ATTCK_M_TRAININGS; t++) {
        for (s = 0; s < NGX_HTTP_ATTCK_M_OUTCOMES; s++) {
            p = ngx_sprintf(p, "attck_overlay_subrequests_total"
                            "{training=\"%V\",outcome=\"%s\"} %uA\n",
                            &ngx_http_attck_m_trainings[t],
                            ngx_http_attck_m_outcomes[s], m->overlay[t][s]);
        }
    }

    p = ngx_http_attck_m_family(p, "attck_overlay_subrequest_duration_seconds",
                                "histogram", "How long the training "
                                "services took, by service.");

    for (t = 0; t < NGX_HTTP_ATTCK_M_TRAININGS; t++) {
        p = ngx_http_attck_metrics_histogram(p,
                                   "attck_overlay_subrequest_duration_seconds",
                                   "training", &ngx_http_attck_m_trainings[t],
                                   &m->overlay_duration[t]);
    }

    if (ctx->read) {
        p = ngx_http_attck_metrics_stages(p, ctx);
    }

    if (ngx_http_attck_header(r, "Cache-Control", (u_char *) "no-store",
                              sizeof("no-store") - 1)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_send(r, &ngx_http_attck_m_type, body, p - body,
                               NULL, 0, 0);
}


/* the buckets are kept apart: added up here, as Prometheus has them */

static u_char *
ngx_http_attck_metrics_histogram(u_char *p, const char *name,
    const char *label, ngx_str_t *value, ngx_http_attck_m_histogram_t *h)
{
    ngx_uint_t         b;
    ngx_atomic_uint_t  n, sum;

    for (n = 0, b = 0; b < NGX_HTTP_ATTCK_M_BUCKETS; b++) {
        n += h->count[b];
    }

    if (n == 0) {
        return p;
    }

    for (n = 0, b = 0; b < NGX_HTTP_ATTCK_M_BUCKETS - 1; b++) {
        n += h->count[b];
        p = ngx_sprintf(p, "%s_bucket{%s=\"%V\",le=\"%ui.%06ui\"} %uA\n",
                        name, label, value,
                        ngx_http_attck_m_bounds[b] / 1000000,
                        ngx_http_attck_m_bounds[b] % 1000000, n);
    }

    n += h->count[b];
    sum = h->sum_ms;

    return ngx_sprintf(p, "%s_bucket{%s=\"%V\",le=\"+Inf\"} %uA\n"
                       "%s_sum{%s=\"%V\"} %uA.%03uA\n"
                       "%s_count{%s=\"%V\"} %uA\n",
                       name, label, value, n,
                       name, label, value, sum / 1000, sum % 1000,
                       name, label, value, n);
}


/*
 * "attck:stage:NAME": started, ended, exit_code (numbers), and counts
 * "count:WHAT" or "count:WHAT:SOURCE"; publish adds generation
 */

static u_char *
ngx_http_attck_metrics_stages(u_char *p, ngx_http_attck_m_ctx_t *ctx)
{
    u_char                    *colon;
    ngx_uint_t                 i, j, k;
    ngx_str_t                  what, source;
    ngx_http_attck_m_field_t  *f;
    ngx_http_attck_m_stage_t  *st;

    static struct {
        char  *field;
        char  *name;
        char  *help;
    }  gauges[] = {
        { "started", "attck_worker_stage_last_start_timestamp_seconds",
          "When the stage's last run started." },
        { "ended", "attck_worker_stage_last_end_timestamp_seconds",
          "When the stage's last run ended." },
        { "exit_code", "attck_worker_stage_last_exit_code",
          "The exit code of the stage's last run (0: success)." },
        { "generation", "attck_worker_stage_generation",
          "The generation the stage published last." },
        { NULL, NULL, NULL }
    };

    for (k = 0; gauges[k].field; k++) {
        p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s gauge\n", gauges[k].name,
                        gauges[k].help, gauges[k].name);

        for (i = 0; i < NGX_HTTP_ATTCK_M_STAGES; i++) {
            f = ngx_http_attck_metrics_field(&ctx->stage[i], gauges[k].field);

            if (f && ngx_atoof(f->value.data, f->value.len) != NGX_ERROR) {
                p = ngx_sprintf(p, "%s{stage=\"%s\"} %V\n", gauges[k].name,
                                ngx_http_attck_m_stages[i], &f->value);
            }
        }
    }

    p = ngx_sprintf(p, "# HELP attck_worker_stage_items What the stage's "
                    "last run counted, by what and source.\n"
                    "# TYPE attck_worker_stage_items gauge\n");

    for (i = 0; i < NGX_HTTP_ATTCK_M_STAGES; i++) {
        st = &ctx->stage[i];

        for (j = 0; j < st->nfields; j++) {
            f = &st->field[j];

            if (f->name.len <= 6
                || ngx_strncmp(f->name.data, "count:", 6) != 0
                || ngx_atoof(f->value.data, f->value.len) == NGX_ERROR)
            {
                continue;
            }

            what.data = f->name.data + 6;
            colon = ngx_strlchr(what.data, f->name.data + f->name.len, ':');

            what.len = (colon ? colon : f->name.data + f->name.len)
                       - what.data;

            if (what.len == 0 || ngx_strlchr(what.data, what.data + what.len,
                                             '.'))
            {
                continue;
            }

            if (colon) {
                source.data = colon + 1;
                source.len = f->name.data + f->name.len - source.data;

                p = ngx_sprintf(p, "attck_worker_stage_items{stage=\"%s\","
                                "what=\"%V\",source=\"%V\"} %V\n",
                                ngx_http_attck_m_stages[i], &what, &source,
                                &f->value);

            } else {
                p = ngx_sprintf(p, "attck_worker_stage_items{stage=\"%s\","
                                "what=\"%V\"} %V\n",
                                ngx_http_attck_m_stages[i], &what, &f->value);
            }
        }
    }

    return p;
}


static ngx_http_attck_m_field_t *
ngx_http_attck_metrics_field(ngx_http_attck_m_stage_t *st, const char *name)
{
    size_t      len;
    ngx_uint_t  i;

    len = ngx_strlen(name);

    for (i = 0; i < st->nfields; i++) {
        if (st->field[i].name.len == len
            && ngx_strncmp(st->field[i].name.data, name, len) == 0)
        {
            return &st->field[i];
        }
    }

    return NULL;
}
