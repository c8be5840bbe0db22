
/*
 * ngx_http_attck_module: the endpoints answered from Redis, with the keys
 * "attck publish" writes for each generation GEN of the threat data:
 *
 *   GET threats/{id}                 "attck:GEN:threat:{id}", verbatim
 *   GET techniques/{id}/threats      "attck:GEN:technique:{id}", by score
 *   GET threats?technique=&source=&since=
 *                                    "attck:GEN:seen:{source}[:{id}]", by
 *                                    time last seen
 *
 * These are the answers for a snapshot without a threat index (compiled
 * from files); with one, ngx_http_attck_facets.c answers from the index
 * and the documents publish names by their content.
 *
 * GEN is the one the watcher last applied (ngx_http_attck_refresh.c), the
 * same in every worker process.  Everything put in a key is checked first
 * and every argument goes to Redis binary-safe; the lists are one round
 * trip, the count and the page pipelined.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_api.h"
#include "ngx_http_attck_redis.h"


#define NGX_HTTP_ATTCK_MAX_THREAT_ID  19
#define NGX_HTTP_ATTCK_MAX_KEY        128

/* an answer larger than this is not sent */
#define NGX_HTTP_ATTCK_MAX_BODY       (16 * 1024 * 1024)


typedef struct {
    ngx_uint_t                 generation;
    ngx_uint_t                 offset;
    ngx_uint_t                 limit;
    int64_t                    total;
    u_char                     id[NGX_HTTP_ATTCK_MAX_ID];
    size_t                     id_len;
    ngx_uint_t                 technique;   /* the id is in the answer */
} ngx_http_attck_threats_t;


static ngx_int_t ngx_http_attck_threats_configured(ngx_http_request_t *r,
    ngx_int_t *rc);
static ngx_uint_t ngx_http_attck_threats_generation(ngx_http_request_t *r,
    ngx_int_t *rc);
static ngx_http_attck_redis_cmd_t *ngx_http_attck_threats_list(
    ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_threats_t *t, ngx_int_t *rc);
static ngx_int_t ngx_http_attck_threats_technique(ngx_http_attck_ctx_t *ctx,
    ngx_str_t *v, ngx_http_attck_threats_t *t);
static ngx_int_t ngx_http_attck_threats_number(u_char *p, size_t n);
static ngx_int_t ngx_http_attck_threats_send(ngx_http_request_t *r,
    ngx_http_attck_redis_cmd_t *cmd, ngx_http_attck_redis_argv_t *cmds,
    ngx_uint_t n);
static void ngx_http_attck_threat_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);
static void ngx_http_attck_threats_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);
static ngx_int_t ngx_http_attck_threats_body(ngx_http_request_t *r,
    ngx_uint_t generation, u_char *body, size_t len, ngx_uint_t copy);
static ngx_int_t ngx_http_attck_threats_bad_reply(ngx_http_request_t *r,
    const char *what);


/* GET threats/{id}: the threat's document as the worker wrote it */

ngx_int_t
ngx_http_attck_threat(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                       key[NGX_HTTP_ATTCK_MAX_KEY];
    ngx_int_t                    rc;
    ngx_uint_t                   i, generation;
    ngx_http_attck_threats_t    *t;
    ngx_http_attck_redis_cmd_t  *cmd;
    ngx_http_attck_redis_argv_t  get;

    if (ngx_http_attck_threats_configured(r, &rc) != NGX_OK) {
        return rc;
    }

    for (i = 0; i < ctx->id.len; i++) {
        if (ctx->id.data[i] < '0' || ctx->id.data[i] > '9') {
            break;
        }
    }

    if (ctx->id.len == 0 || ctx->id.len > NGX_HTTP_ATTCK_MAX_THREAT_ID
        || i != ctx->id.len)
    {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid id",
                                    "a threat id is a number of 1 to %d "
                                    "digits", NGX_HTTP_ATTCK_MAX_THREAT_ID);
    }

    generation = ngx_http_attck_threats_generation(r, &rc);

    if (generation == 0) {
        return rc;
    }

    cmd = ngx_http_attck_redis_create(r, ngx_http_attck_threat_reply,
                                      sizeof(ngx_http_attck_threats_t));
    if (cmd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t = cmd->data;
    t->generation = generation;
    t->id_len = ctx->id.len;
    ngx_memcpy(t->id, ctx->id.data, ctx->id.len);

    get.argc = 2;
    get.argv[0] = "GET";
    get.argvlen[0] = 3;
    get.argv[1] = (const char *) key;
    get.argvlen[1] = ngx_sprintf(key, "attck:%ui:threat:%V", generation,
                                 &ctx->id)
                     - key;

    return ngx_http_attck_threats_send(r, cmd, &get, 1);
}


/*
 * GET techniques/{id}/threats?limit=&offset=: the threats mapped to a
 * technique of the snapshot, best score first
 */

ngx_int_t
ngx_http_attck_technique_threats(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx)
{
    u_char                       key[NGX_HTTP_ATTCK_MAX_KEY];
    u_char                       start[NGX_INT_T_LEN], stop[NGX_INT_T_LEN];
    ngx_int_t                    rc;
    ngx_http_attck_threats_t     t;
    ngx_http_attck_redis_cmd_t  *cmd;
    ngx_http_attck_redis_argv_t  cmds[2];

    if (ngx_http_attck_threats_configured(r, &rc) != NGX_OK) {
        return rc;
    }

    ngx_memzero(&t, sizeof(ngx_http_attck_threats_t));

    /* the router let only letters, digits, dots and hyphens through */

    if (ngx_http_attck_threats_technique(ctx, &ctx->id, &t) != NGX_OK) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "%V is not a technique of this "
                                    "release", &ctx->id);
    }

    t.technique = 1;

    cmd = ngx_http_attck_threats_list(r, ctx, &t, &rc);

    if (cmd == NULL) {
        return rc;
    }

    /* ZCARD key; ZREVRANGE key offset offset+limit-1 */

    cmds[0].argc = 2;
    cmds[0].argv[0] = "ZCARD";
    cmds[0].argvlen[0] = 5;
    cmds[0].argv[1] = (const char *) key;
    cmds[0].argvlen[1] = ngx_sprintf(key, "attck:%ui:technique:%*s",
                                     t.generation, t.id_len, t.id)
                         - key;

    cmds[1].argc = 4;
    cmds[1].argv[0] = "ZREVRANGE";
    cmds[1].argvlen[0] = 9;
    cmds[1].argv[1] = cmds[0].argv[1];
    cmds[1].argvlen[1] = cmds[0].argvlen[1];
    cmds[1].argv[2] = (const char *) start;
    cmds[1].argvlen[2] = ngx_sprintf(start, "%ui", t.offset) - start;
    cmds[1].argv[3] = (const char *) stop;
    cmds[1].argvlen[3] = ngx_sprintf(stop, "%ui", t.offset + t.limit - 1)
                         - stop;

    return ngx_http_attck_threats_send(r, cmd, cmds, 2);
}


/*
 * GET threats?technique=&source=&since=&limit=&offset=: the threats seen
 * since a time, by any source or one, of any technique or one; the most
 * recently seen first
 */

ngx_int_t
ngx_http_attck_threats(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    u_char                       key[NGX_HTTP_ATTCK_MAX_KEY], *p;
    u_char                       min[NGX_INT64_LEN], offset[NGX_INT_T_LEN];
    u_char                       limit[NGX_INT_T_LEN];
    size_t                       min_len;
    int64_t                      since;
    ngx_int_t                    rc;
    ngx_str_t                   *v, source;
    ngx_http_attck_threats_t     t;
    ngx_http_attck_redis_cmd_t  *cmd;
    ngx_http_attck_redis_argv_t  cmds[2];

    if (ngx_http_attck_threats_configured(r, &rc) != NGX_OK) {
        return rc;
    }

    ngx_memzero(&t, sizeof(ngx_http_attck_threats_t));
    ngx_str_set(&source, "all");

    if (ctx->given & NGX_HTTP_ATTCK_P_SOURCE) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_SOURCE];

        if ((v->len == 3 && ngx_strncmp(v->data, "otx", 3) == 0)
            || (v->len == 10 && ngx_strncmp(v->data, "virustotal", 10) == 0))
        {
            source = *v;

        } else {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"source\" is otx or virustotal");
        }
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_TECHNIQUE) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_TECHNIQUE];
        rc = ngx_http_attck_threats_technique(ctx, v, &t);

        if (rc == NGX_ERROR) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"technique\" is a technique id "
                                        "such as T1059 or T1059.001");
        }

        if (rc != NGX_OK) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"technique\": %*s is not a "
                                        "technique of this release",
                                        t.id_len, t.id);
        }
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_SINCE) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_SINCE];

        if (ngx_http_attck_threats_time(v, &since) != NGX_OK) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"since\" is a date such as "
                                        "2025-03-01 or a UTC time such as "
                                        "2025-03-01T12:00:00Z, from 1970 "
                                        "to 9999");
        }

        min_len = ngx_sprintf(min, "%L", since) - min;

    } else {
        min_len = ngx_cpymem(min, "-inf", 4) - min;
    }

    cmd = ngx_http_attck_threats_list(r, ctx, &t, &rc);

    if (cmd == NULL) {
        return rc;
    }

    p = ngx_sprintf(key, "attck:%ui:seen:%V", t.generation, &source);

    if (t.id_len) {
        p = ngx_sprintf(p, ":%*s", t.id_len, t.id);
    }

    /* ZCOUNT key min +inf; ZREVRANGEBYSCORE key +inf min LIMIT off n */

    cmds[0].argc = 4;
    cmds[0].argv[0] = "ZCOUNT";
    cmds[0].argvlen[0] = 6;
    cmds[0].argv[1] = (const char *) key;
    cmds[0].argvlen[1] = p - key;
    cmds[0].argv[2] = (const char *) min;
    cmds[0].argvlen[2] = min_len;
    cmds[0].argv[3] = "+inf";
    cmds[0].argvlen[3] = 4;

    cmds[1].argc = 7;
    cmds[1].argv[0] = "ZREVRANGEBYSCORE";
    cmds[1].argvlen[0] = 16;
    cmds[1].argv[1] = (const char *) key;
    cmds[1].argvlen[1] = p - key;
    cmds[1].argv[2] = "+inf";
    cmds[1].argvlen[2] = 4;
    cmds[1].argv[3] = (const char *) min;
    cmds[1].argvlen[3] = min_len;
    cmds[1].argv[4] = "LIMIT";
    cmds[1].argvlen[4] = 5;
    cmds[1].argv[5] = (const char *) offset;
    cmds[1].argvlen[5] = ngx_sprintf(offset, "%ui", t.offset) - offset;
    cmds[1].argv[6] = (const char *) limit;
    cmds[1].argvlen[6] = ngx_sprintf(limit, "%ui", t.limit) - limit;

    return ngx_http_attck_threats_send(r, cmd, cmds, 2);
}


static ngx_int_t
ngx_http_attck_threats_configured(ngx_http_request_t *r, ngx_int_t *rc)
{
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (amcf->redis) {
        return NGX_OK;
    }

    *rc = ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                               "threat data is not served here (no "
                               "attck_redis)");
    return NGX_DECLINED;
}


/* the generation to read, or 0 with the answer sent */

static ngx_uint_t
ngx_http_attck_threats_generation(ngx_http_request_t *r, ngx_int_t *rc)
{
    const char                  *why;
    ngx_uint_t                   generation;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    generation = ngx_http_attck_published(amcf, NULL);

    if (generation == 0) {
        *rc = ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "unavailable",
                                   "no threat data published");
        return 0;
    }

    why = ngx_http_attck_redis_unavailable();

    if (why) {
        *rc = ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "unavailable", "%s", why);
        return 0;
    }

    return generation;
}


/*
 * The page asked for and the generation to read, into t; then the command
 * whose reply carries a copy of t.  NULL with the answer in *rc.
 */

static ngx_http_attck_redis_cmd_t *
ngx_http_attck_threats_list(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_threats_t *t, ngx_int_t *rc)
{
    ngx_http_attck_redis_cmd_t  *cmd;

    *rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_LIMIT,
                                    NGX_HTTP_ATTCK_LIST_LIMIT,
                                    NGX_HTTP_ATTCK_LIST_MAX, &t->limit);
    if (*rc == NGX_OK) {
        *rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_OFFSET, 0,
                                        NGX_HTTP_ATTCK_OFFSET_MAX,
                                        &t->offset);
    }

    if (*rc != NGX_OK) {
        *rc = ngx_http_attck_checked(r, ctx, *rc);
        return NULL;
    }

    t->generation = ngx_http_attck_threats_generation(r, rc);

    if (t->generation == 0) {
        return NULL;
    }

    cmd = ngx_http_attck_redis_create(r, ngx_http_attck_threats_reply,
                                      sizeof(ngx_http_attck_threats_t));
    if (cmd == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }

    *(ngx_http_attck_threats_t *) cmd->data = *t;

    return cmd;
}


/*
 * A technique id, upper-cased into t->id: NGX_OK when it is a technique
 * of the release, NGX_DECLINED when not, NGX_ERROR when it cannot be one
 * (only then is t->id left unset).
 */

static ngx_int_t
ngx_http_attck_threats_technique(ngx_http_attck_ctx_t *ctx, ngx_str_t *v,
    ngx_http_attck_threats_t *t)
{
    u_char      key[sizeof("techniques/") - 1 + NGX_HTTP_ATTCK_MAX_ID], c;
    ngx_uint_t  i;

    if (v->len == 0 || v->len > NGX_HTTP_ATTCK_MAX_ID) {
        return NGX_ERROR;
    }

    for (i = 0; i < v->len; i++) {
        c = ngx_toupper(v->data[i]);

        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) {
            return NGX_ERROR;
        }

        t->id[i] = c;
    }

    t->id_len = v->len;

    ngx_memcpy(key, "techniques/", sizeof("techniques/") - 1);
    ngx_memcpy(key + sizeof("techniques/") - 1, t->id, t->id_len);

    if (attck_snap_find(ctx->snap, ctx->view, (const char *) key,
                        sizeof("techniques/") - 1 + t->id_len)
        == NULL)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* "2025-03-01" or "2025-03-01T12:00:00Z", UTC, as seconds since 1970 */

ngx_int_t
ngx_http_attck_threats_time(ngx_str_t *v, int64_t *time)
{
    u_char     *p;
    int64_t     days;
    ngx_int_t   year, month, day, hour, min, sec, era, yoe, doy, mdays;

    static ngx_int_t  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    p = v->data;

    if ((v->len != 10 && v->len != 20) || p[4] != '-' || p[7] != '-') {
        return NGX_ERROR;
    }

    year = ngx_http_attck_threats_number(p, 4);
    month = ngx_http_attck_threats_number(p + 5, 2);
    day = ngx_http_attck_threats_number(p + 8, 2);
    hour = 0;
    min = 0;
    sec = 0;

    if (v->len == 20) {
        if (p[10] != 'T' || p[13] != ':' || p[16] != ':' || p[19] != 'Z') {
            return NGX_ERROR;
        }

        hour = ngx_http_attck_threats_number(p + 11, 2);
        min = ngx_http_attck_threats_number(p + 14, 2);
        sec = ngx_http_attck_threats_number(p + 17, 2);
    }

    if (year < 1970 || month < 1 || month > 12 || day < 1
        || hour < 0 || hour > 23 || min < 0 || min > 59
        || sec < 0 || sec > 59)
    {
        return NGX_ERROR;
    }

    mdays = month_days[month - 1];

    if (month == 2
        && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    {
        mdays = 29;
    }

    if (day > mdays) {
        return NGX_ERROR;
    }

    /* days since 1970-01-01 of the proleptic Gregorian calendar */

    year -= (month <= 2);
    era = year / 400;
    yoe = year - era * 400;
    doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    days = (int64_t) era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy
           - 719468;

    *time = days * 86400 + hour * 3600 + min * 60 + sec;

    return NGX_OK;
}


/* n decimal digits, or -1 */

static ngx_int_t
ngx_http_attck_threats_number(u_char *p, size_t n)
{
    ngx_int_t  value;

    for (value = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        value = value * 10 + (*p - '0');
    }

    return value;
}


static ngx_int_t
ngx_http_attck_threats_send(ngx_http_request_t *r,
    ngx_http_attck_redis_cmd_t *cmd, ngx_http_attck_redis_argv_t *cmds,
    ngx_uint_t n)
{
    ngx_int_t  rc;

    rc = ngx_http_attck_redis_send(cmd, cmds, n);

    if (rc == NGX_ERROR) {
        return ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "Redis is not connected");
    }

    return rc;
}


static void
ngx_http_attck_threat_reply(ngx_http_attck_redis_cmd_t *cmd, redisReply *rr,
    ngx_uint_t index)
{
    ngx_http_attck_threats_t  *t = cmd->data;

    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = cmd->request;

    if (rr->type == REDIS_REPLY_NIL) {
        rc = ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                  "threat %*s is not in generation %ui",
                                  t->id_len, t->id, t->generation);

    } else if (rr->type != REDIS_REPLY_STRING || rr->len == 0
               || rr->len > NGX_HTTP_ATTCK_MAX_BODY)
    {
        rc = ngx_http_attck_threats_bad_reply(r, "a threat document");

    } else {
        rc = ngx_http_attck_threats_body(r, t->generation,
                                         (u_char *) rr->str, rr->len, 1);
    }

    ngx_http_attck_redis_finish(cmd, rc);
}


/* the count first, then the page: {"total":..,"threats":[...]} */

static void
ngx_http_attck_threats_reply(ngx_http_attck_redis_cmd_t *cmd, redisReply *rr,
    ngx_uint_t index)
{
    ngx_http_attck_threats_t  *t = cmd->data;

    u_char              *body, *p;
    size_t               len, i;
    ngx_int_t            rc;
    redisReply          *m;
    const char          *what;
    ngx_http_request_t  *r;

    r = cmd->request;

    if (index == 0) {
        if (rr->type != REDIS_REPLY_INTEGER) {
            what = "a count";
            goto bad;
        }

        t->total = rr->integer;
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements > t->limit) {
        what = "a list";
        goto bad;
    }

    len = sizeof("{\"technique\":\"\",\"generation\":,\"total\":,"
                 "\"offset\":,\"limit\":,\"threats\":[]}")
          + NGX_HTTP_ATTCK_MAX_ID + NGX_INT64_LEN + 3 * NGX_INT_T_LEN;

    for (i = 0; i < rr->elements; i++) {
        m = rr->element[i];

        /* members are JSON objects, inserted as they are */

        if (m->type != REDIS_REPLY_STRING || m->len == 0
            || m->len > NGX_HTTP_ATTCK_MAX_BODY)
        {
            what = "a list member";
            goto bad;
        }

        len += m->len + 1;
    }

    if (len > NGX_HTTP_ATTCK_MAX_BODY) {
        what = "a list this long";
        goto bad;
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        ngx_http_attck_redis_finish(cmd, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = body;

    if (t->technique) {
        p = ngx_sprintf(p, "{\"technique\":\"%*s\",", t->id_len, t->id);

    } else {
        *p++ = '{';
    }

    p = ngx_sprintf(p, "\"generation\":%ui,\"total\":%L,\"offset\":%ui,"
                    "\"limit\":%ui,\"threats\":[", t->generation, t->total,
                    t->offset, t->limit);

    for (i = 0; i < rr->elements; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, rr->element[i]->str, rr->element[i]->len);
    }

    *p++ = ']';
    *p++ = '}';

    rc = ngx_http_attck_threats_body(r, t->generation, body, p - body, 0);

    ngx_http_attck_redis_finish(cmd, rc);

    return;

bad:

    rc = ngx_http_attck_threats_bad_reply(r, what);
    ngx_http_attck_redis_finish(cmd, rc);
}


/*
 * Sends a 200 with an entity tag of the generation and the bytes; copy:
 * they are the reply's, freed when the callback returns
 */

static ngx_int_t
ngx_http_attck_threats_body(ngx_http_request_t *r, ngx_uint_t generation,
    u_char *body, size_t len, ngx_uint_t copy)
{
    u_char  *p, *etag;

    etag = ngx_pnalloc(r->pool, sizeof("\"t-\"") + NGX_INT_T_LEN + 8);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body;

    if (copy) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(p, body, len);
    }

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, p, len, etag,
                               ngx_sprintf(etag, "\"t%ui-%08xD\"",
                                           generation,
                                           ngx_crc32_long(p, len))
                               - etag, 0);
}


static ngx_int_t
ngx_http_attck_threats_bad_reply(ngx_http_request_t *r, const char *what)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "attck redis: expected %s, got another answer", what);

    return ngx_http_attck_error(r, NGX_HTTP_BAD_GATEWAY, "bad gateway",
                                "Redis did not answer with %s", what);
}
