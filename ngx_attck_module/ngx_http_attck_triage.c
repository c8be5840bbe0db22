
/*
 * ngx_http_attck_module: attck_triage on | off, analysts' verdicts on the
 * techniques mapped to a threat.
 *
 *   POST .../threats/{id}/verdicts
 *   {"technique":"T1059.001","verdict":"confirm"|"reject"|"add"}
 *
 * The verdict is appended to the Redis stream "attck:verdicts" through the
 * worker process's Redis client; attck-worker map moves it into
 * PostgreSQL.  Nothing here writes to the database, and nothing is
 * answered before Redis has the entry (202, with the entry's id).
 *
 * The location is the operator's to protect (auth_basic, auth_request,
 * allow/deny); this handler refuses what a browser sends on another
 * site's behalf: an Origin that is not this server's, or, without one, a
 * Sec-Fetch-Site other than same-origin, and any body but JSON (a form
 * cannot send application/json across sites without a preflight that is
 * never answered).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_redis.h"


#define NGX_HTTP_ATTCK_TRIAGE_MAX_BODY   1024
#define NGX_HTTP_ATTCK_TRIAGE_MAX_ID     19
#define NGX_HTTP_ATTCK_TRIAGE_MAX_ENTRY  512
#define NGX_HTTP_ATTCK_TRIAGE_STREAM     "attck:verdicts"
/* the stream is trimmed to about this many entries not yet moved */
#define NGX_HTTP_ATTCK_TRIAGE_MAX_LEN    "100000"


typedef struct {
    u_char                     entry[NGX_HTTP_ATTCK_TRIAGE_MAX_ENTRY];
    size_t                     entry_len;
} ngx_http_attck_triage_t;


static ngx_int_t ngx_http_attck_triage_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_triage_refuse(ngx_http_request_t *r);
static void ngx_http_attck_triage_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_triage_verdict(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_triage_threat(ngx_http_request_t *r,
    ngx_str_t *id);
static ngx_int_t ngx_http_attck_triage_same_origin(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_attck_triage_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_attck_triage_technique(const char *s);
static void ngx_http_attck_triage_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);
static ngx_int_t ngx_http_attck_triage_answer(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);


/* attck_triage on | off; */

char *
ngx_http_attck_triage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        return NGX_CONF_OK;
    }

    if (value[1].len != 2 || ngx_strncmp(value[1].data, "on", 2) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": on or off", &value[1]);
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "conflicts with another handler of this location";
    }

    clcf->handler = ngx_http_attck_triage_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_attck_triage_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    static u_char  not_allowed[] =
        "{\"error\":\"method not allowed\",\"detail\":\"a verdict is sent "
        "with POST\"}";

    /* a refusal reads no body: it is discarded, for keepalive */

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_attck_header(r, "Allow", (u_char *) "POST", 4) == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_attck_triage_answer(r, NGX_HTTP_NOT_ALLOWED,
                                            not_allowed,
                                            sizeof(not_allowed) - 1);
    }

    rc = ngx_http_attck_triage_refuse(r);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_attck_triage_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* NGX_DECLINED, or the answer refusing the request before its body */

static ngx_int_t
ngx_http_attck_triage_refuse(ngx_http_request_t *r)
{
    ngx_str_t                    id, *type;
    ngx_uint_t                   status;
    const char                  *error, *detail;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);
    type = r->headers_in.content_type ? &r->headers_in.content_type->value
                                      : NULL;

    if (ngx_http_attck_triage_threat(r, &id) != NGX_OK) {
        status = NGX_HTTP_NOT_FOUND;
        error = "not found";
        detail = "verdicts are posted to threats/{id}/verdicts, id a "
                 "number of 1 to 19 digits";

    } else if (amcf->redis == NULL) {
        status = NGX_HTTP_NOT_FOUND;
        error = "not found";
        detail = "verdicts need attck_redis";

    } else if (ngx_http_attck_triage_same_origin(r) != NGX_OK) {
        status = NGX_HTTP_FORBIDDEN;
        error = "forbidden";
        detail = "a verdict is accepted only from this site's own pages "
                 "(Origin or Sec-Fetch-Site: same-origin)";

    } else if (type == NULL || type->len < 16
               || ngx_strncasecmp(type->data, (u_char *) "application/json",
                                  16) != 0
               || (type->len > 16 && type->data[16] != ';'))
    {
        status = NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
        error = "unsupported media type";
        detail = "a verdict is application/json";

    } else if (r->headers_in.content_length_n
               > NGX_HTTP_ATTCK_TRIAGE_MAX_BODY)
    {
        status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        error = "too large";
        detail = "a verdict is at most 1024 bytes";

    } else {
        return NGX_DECLINED;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_error(r, status, error, "%s", detail);
}


static void
ngx_http_attck_triage_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_attck_triage_verdict(r));
}


/* the body read: checked, then sent to Redis (NGX_DONE) or refused */

static ngx_int_t
ngx_http_attck_triage_verdict(ngx_http_request_t *r)
{
    u_char                       buf[NGX_HTTP_ATTCK_TRIAGE_MAX_BODY], *p;
    char                        *entry;
    size_t                       len, n;
    json_t                      *doc, *out;
    ngx_int_t                    rc;
    ngx_str_t                    id, user;
    ngx_chain_t                 *cl;
    const char                  *technique, *verdict;
    json_error_t                 err;
    ngx_http_attck_triage_t     *t;
    ngx_http_attck_redis_cmd_t  *cmd;
    ngx_http_attck_redis_argv_t  xadd;

    if (r->request_body == NULL) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid body",
                                    "a verdict is a JSON object");
    }

    /* a chunked body has no length up front: counted here */

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            len = NGX_HTTP_ATTCK_TRIAGE_MAX_BODY + 1;
            break;
        }

        n = cl->buf->last - cl->buf->pos;

        if (len + n > NGX_HTTP_ATTCK_TRIAGE_MAX_BODY) {
            len = NGX_HTTP_ATTCK_TRIAGE_MAX_BODY + 1;
            break;
        }

        ngx_memcpy(buf + len, cl->buf->pos, n);
        len += n;
    }

    if (len > NGX_HTTP_ATTCK_TRIAGE_MAX_BODY) {
        return ngx_http_attck_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "too large", "a verdict is at most %d "
                                    "bytes", NGX_HTTP_ATTCK_TRIAGE_MAX_BODY);
    }

    doc = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, &err);

    technique = NULL;
    verdict = NULL;

    if (doc == NULL || !json_is_object(doc) || json_object_size(doc) != 2
        || json_unpack(doc, "{s:s, s:s}", "technique", &technique,
                       "verdict", &verdict) != 0)
    {
        if (doc) {
            json_decref(doc);
        }

        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid body",
                                    "a verdict is {\"technique\":"
                                    "\"T1059.001\",\"verdict\":\"confirm\" "
                                    "| \"reject\" | \"add\"}");
    }

    if (ngx_http_attck_triage_technique(technique) != NGX_OK) {
        json_decref(doc);
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid body",
                                    "\"technique\" is an ATT&CK technique "
                                    "id such as T1059 or T1059.001");
    }

    if (ngx_strcmp(verdict, "confirm") != 0
        && ngx_strcmp(verdict, "reject") != 0
        && ngx_strcmp(verdict, "add") != 0)
    {
        json_decref(doc);
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid body",
                                    "\"verdict\" is confirm, reject or add");
    }

    (void) ngx_http_attck_triage_threat(r, &id);

    /* who said so, when the location authenticates with Basic */

    ngx_str_null(&user);

    if (ngx_http_auth_basic_user(r) == NGX_OK) {
        user = r->headers_in.user;
    }

    out = json_pack("{s:s%, s:s, s:s, s:s%, s:I}",
                    "threat", id.data, id.len, "technique", technique,
                    "verdict", verdict,
                    "user", user.data ? (char *) user.data : "",
                    user.len, "at", (json_int_t) ngx_time());
    json_decref(doc);

    entry = out ? json_dumps(out, JSON_COMPACT) : NULL;

    if (out) {
        json_decref(out);
    }

    if (entry == NULL || ngx_strlen(entry) > NGX_HTTP_ATTCK_TRIAGE_MAX_ENTRY)
    {
        free(entry);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cmd = ngx_http_attck_redis_create(r, ngx_http_attck_triage_reply,
                                      sizeof(ngx_http_attck_triage_t));
    if (cmd == NULL) {
        free(entry);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t = cmd->data;
    t->entry_len = ngx_strlen(entry);
    p = ngx_cpymem(t->entry, entry, t->entry_len);
    free(entry);

    /* XADD attck:verdicts MAXLEN ~ N * verdict JSON */

    xadd.argc = 8;
    xadd.argv[0] = "XADD";
    xadd.argvlen[0] = 4;
    xadd.argv[1] = NGX_HTTP_ATTCK_TRIAGE_STREAM;
    xadd.argvlen[1] = sizeof(NGX_HTTP_ATTCK_TRIAGE_STREAM) - 1;
    xadd.argv[2] = "MAXLEN";
    xadd.argvlen[2] = 6;
    xadd.argv[3] = "~";
    xadd.argvlen[3] = 1;
    xadd.argv[4] = NGX_HTTP_ATTCK_TRIAGE_MAX_LEN;
    xadd.argvlen[4] = sizeof(NGX_HTTP_ATTCK_TRIAGE_MAX_LEN) - 1;
    xadd.argv[5] = "*";
    xadd.argvlen[5] = 1;
    xadd.argv[6] = "verdict";
    xadd.argvlen[6] = 7;
    xadd.argv[7] = (const char *) t->entry;
    xadd.argvlen[7] = p - t->entry;

    rc = ngx_http_attck_redis_send(cmd, &xadd, 1);

    if (rc == NGX_ERROR) {
        return ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "%s",
                                    ngx_http_attck_redis_unavailable()
                                    ? ngx_http_attck_redis_unavailable()
                                    : "Redis is not connected");
    }

    return rc;
}


/* the {id} of .../threats/{id}/verdicts */

static ngx_int_t
ngx_http_attck_triage_threat(ngx_http_request_t *r, ngx_str_t *id)
{
    u_char  *end, *p;

    static const char  tail[] = "/verdicts";
    static const char  head[] = "/threats/";

    end = r->uri.data + r->uri.len;

    if (r->uri.len < sizeof(head) - 1 + 1 + sizeof(tail) - 1
        || ngx_strncmp(end - (sizeof(tail) - 1), tail, sizeof(tail) - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    end -= sizeof(tail) - 1;

    for (p = end; p > r->uri.data && p[-1] >= '0' && p[-1] <= '9'; p--) {
        /* void */
    }

    if (p == end || end - p > NGX_HTTP_ATTCK_TRIAGE_MAX_ID
        || p - r->uri.data < (ssize_t) (sizeof(head) - 1)
        || ngx_strncmp(p - (sizeof(head) - 1), head, sizeof(head) - 1) != 0)
    {
        return NGX_DECLINED;
    }

    id->data = p;
    id->len = end - p;

    return NGX_OK;
}


/*
 * Origin, when sent, is this server's scheme and Host; without it (an
 * older browser, a script), Sec-Fetch-Site says same-origin
 */

static ngx_int_t
ngx_http_attck_triage_same_origin(ngx_http_request_t *r)
{
    size_t            scheme;
    ngx_str_t        *host, *o;
    ngx_table_elt_t  *h;

    h = ngx_http_attck_triage_header(r, "Origin");

    if (h == NULL) {
        h = ngx_http_attck_triage_header(r, "Sec-Fetch-Site");

        return (h && h->value.len == 11
                && ngx_strncasecmp(h->value.data, (u_char *) "same-origin",
                                   11) == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    if (r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    o = &h->value;
    host = &r->headers_in.host->value;

#if (NGX_HTTP_SSL)
    scheme = r->connection->ssl ? sizeof("https://") - 1
                                : sizeof("http://") - 1;
#else
    scheme = sizeof("http://") - 1;
#endif

    if (o->len != scheme + host->len
        || ngx_strncmp(o->data, (scheme == 8 ? "https://" : "http://"),
                       scheme) != 0
        || ngx_strncasecmp(o->data + scheme, host->data, host->len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_attck_triage_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* T and four digits, optionally a dot and three: whether the release has
 * it is for the worker to say, which knows every release */

static ngx_int_t
ngx_http_attck_triage_technique(const char *s)
{
    size_t  len, i;

    len = ngx_strlen(s);

    if ((len != 5 && len != 9) || s[0] != 'T'
        || (len == 9 && s[5] != '.'))
    {
        return NGX_ERROR;
    }

    for (i = 1; i < len; i++) {
        if (i != 5 && (s[i] < '0' || s[i] > '9')) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_attck_triage_reply(ngx_http_attck_redis_cmd_t *cmd, redisReply *rr,
    ngx_uint_t index)
{
    ngx_http_attck_triage_t  *t = cmd->data;

    u_char              *body, *p;
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = cmd->request;

    if (rr->type != REDIS_REPLY_STRING || rr->len == 0 || rr->len > 64) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "attck redis: expected a stream entry id, got "
                      "another answer");

        rc = ngx_http_attck_error(r, NGX_HTTP_BAD_GATEWAY, "bad gateway",
                                  "Redis did not take the verdict");
        ngx_http_attck_redis_finish(cmd, rc);
        return;
    }

    body = ngx_pnalloc(r->pool, sizeof("{\"accepted\":true,\"entry\":\"\","
                                       "\"verdict\":}") + rr->len
                                + t->entry_len);
    if (body == NULL) {
        ngx_http_attck_redis_finish(cmd, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the entry id is digits and a dash, the verdict JSON jansson wrote */

    p = ngx_sprintf(body, "{\"accepted\":true,\"entry\":\"%*s\","
                    "\"verdict\":%*s}", rr->len, rr->str, t->entry_len,
                    t->entry);

    rc = ngx_http_attck_triage_answer(r, NGX_HTTP_ACCEPTED, body, p - body);

    ngx_http_attck_redis_finish(cmd, rc);
}


static ngx_int_t
ngx_http_attck_triage_answer(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_attck_json_type;
    r->headers_out.content_type_len = sizeof("application/json") - 1;
    r->headers_out.content_length_n = len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
