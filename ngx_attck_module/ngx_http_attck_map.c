
/*
 * ngx_http_attck_module: POST {api}/map, text to ATT&CK techniques with
 * the mapper's model, the answer of "attck-worker classify" byte for
 * byte (snapshot/attck_classify.c does both).
 *
 * attck_model PATH reads and checks the model while the configuration
 * is parsed, so that "nginx -t" and a reload refuse a bad one and the
 * last good one keeps serving.  The model lives in a shared zone of its
 * own ("attck_model") with two slots: a reload writes the slot not in
 * use and then makes it current, so that worker processes, old and new,
 * never read a model being written.  Each slot's seq is odd while it is
 * written; a request that saw it change while it classified starts
 * again.
 *
 * A request's work is bounded by attck_map_max_body: the classifier
 * takes about 0.1 ms a kilobyte, and runs to the end in one go.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_attck_module.h"
#include "snapshot/attck_classify.h"


#define NGX_HTTP_ATTCK_MAP_TOP  10


typedef struct {
    ngx_atomic_t                 seq;       /* odd while written */
    size_t                       size;
    u_char                      *data;
} ngx_http_attck_map_slot_t;


typedef struct {
    ngx_atomic_t                 current;   /* the slot in use */
    ngx_atomic_t                 loads;     /* models loaded so far */
    ngx_http_attck_map_slot_t    slot[2];
} ngx_http_attck_map_sh_t;


struct ngx_http_attck_map_conf_s {
    ngx_str_t                    path;
    u_char                      *data;      /* read at configuration */
    size_t                       size;
    ngx_shm_zone_t              *zone;
    ngx_http_attck_map_sh_t     *sh;
};


/* a worker process's view of the current model, and its scratch memory */

typedef struct {
    ngx_http_attck_map_slot_t   *slot;
    ngx_atomic_uint_t            seq;
    attck_cls_model_t            model;
    void                        *mem;
    size_t                       mem_sentences;
    attck_cls_hit_t             *hits;
} ngx_http_attck_map_local_t;


static ngx_int_t ngx_http_attck_map_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_attck_map_free_data(void *data);
static void ngx_http_attck_map_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_map_answer(ngx_http_request_t *r,
    u_char *body, size_t len);
static ngx_int_t ngx_http_attck_map_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, const char *detail);
static u_char *ngx_http_attck_map_read_body(ngx_http_request_t *r,
    size_t *len);
static ngx_uint_t ngx_http_attck_map_top(ngx_http_request_t *r,
    ngx_int_t *top);


static ngx_http_attck_map_local_t  ngx_http_attck_map_local;

static ngx_str_t  ngx_http_attck_map_zone_name = ngx_string("attck_model");


char *
ngx_http_attck_model(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    char                        err[256];
    ssize_t                      n;
    size_t                       zone;
    ngx_fd_t                     fd;
    ngx_str_t                   *value;
    ngx_file_info_t              fi;
    attck_cls_model_t            m;
    ngx_pool_cleanup_t          *cln;
    ngx_http_attck_map_conf_t   *mcf;

    if (amcf->map) {
        return "is duplicate";
    }

    value = cf->args->elts;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_attck_map_conf_t));
    if (mcf == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->path = value[1];

    if (ngx_conf_full_name(cf->cycle, &mcf->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_attck_map_free_data;
    cln->data = mcf;

    fd = ngx_open_file(mcf->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck_model \"%V\": cannot open", &mcf->path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 0x7fffffff)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck_model \"%V\": cannot stat", &mcf->path);
        return NGX_CONF_ERROR;
    }

    mcf->size = (size_t) ngx_file_size(&fi);

    /* malloc(3) memory: aligned for the model's arrays */

    mcf->data = ngx_alloc(mcf->size ? mcf->size : 1, cf->log);
    if (mcf->data == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, mcf->data, mcf->size);
    ngx_close_file(fd);

    if (n != (ssize_t) mcf->size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck_model \"%V\": cannot read", &mcf->path);
        return NGX_CONF_ERROR;
    }

    if (attck_cls_open(&m, mcf->data, mcf->size, err, sizeof(err)) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "attck_model \"%V\": %s",
                           &mcf->path, err);
        return NGX_CONF_ERROR;
    }

    /* two slots, rounded up so that a model of about the same size
     * reuses the zone across reloads */

    zone = 2 * ngx_align(mcf->size, 1024 * 1024) + 1024 * 1024;

    mcf->zone = ngx_shared_memory_add(cf, &ngx_http_attck_map_zone_name,
                                      zone, &ngx_http_attck_module);
    if (mcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mcf->zone->data) {
        return "is duplicate";
    }

    mcf->zone->init = ngx_http_attck_map_init_zone;
    mcf->zone->data = mcf;
    amcf->map = mcf;

    return NGX_CONF_OK;
}


static void
ngx_http_attck_map_free_data(void *data)
{
    ngx_http_attck_map_conf_t  *mcf = data;

    if (mcf->data) {
        ngx_free(mcf->data);
        mcf->data = NULL;
    }
}


static ngx_int_t
ngx_http_attck_map_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_attck_map_conf_t  *omcf = data;

    ngx_uint_t                  i;
    ngx_slab_pool_t            *shpool;
    ngx_http_attck_map_sh_t    *sh;
    ngx_http_attck_map_conf_t  *mcf;
    ngx_http_attck_map_slot_t  *s;

    mcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (omcf) {
        sh = omcf->sh;

    } else if (shm_zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_alloc(shpool, sizeof(ngx_http_attck_map_sh_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sh, sizeof(ngx_http_attck_map_sh_t));
        shpool->data = sh;
    }

    mcf->sh = sh;

    /* the new model into the slot not in use, then current */

    i = sh->loads ? 1 - sh->current : 0;
    s = &sh->slot[i];

    ngx_shmtx_lock(&shpool->mutex);

    s->seq++;
    ngx_memory_barrier();

    if (s->data) {
        ngx_slab_free_locked(shpool, s->data);
        s->data = NULL;
        s->size = 0;
    }

    s->data = ngx_slab_alloc_locked(shpool, mcf->size);

    if (s->data == NULL) {
        s->seq++;
        ngx_shmtx_unlock(&shpool->mutex);
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "attck_model \"%V\": no room in its zone",
                      &mcf->path);
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, mcf->data, mcf->size);
    s->size = mcf->size;

    ngx_memory_barrier();
    s->seq++;
    ngx_memory_barrier();
    sh->current = i;
    sh->loads++;

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                  "attck_model \"%V\": %uz bytes, model %ui", &mcf->path,
                  mcf->size, (ngx_uint_t) sh->loads);

    ngx_free(mcf->data);
    mcf->data = NULL;

    return NGX_OK;
}


/* whether the request is for {api}/map: it is answered here */

ngx_uint_t
ngx_http_attck_map_is(ngx_http_request_t *r, ngx_str_t *prefix)
{
    u_char  *p, *end;

    if (r->uri.len < prefix->len
        || ngx_strncmp(r->uri.data, prefix->data, prefix->len) != 0)
    {
        return 0;
    }

    p = r->uri.data + prefix->len;
    end = r->uri.data + r->uri.len;

    while (p < end && *p == '/') {
        p++;
    }

    while (end > p && end[-1] == '/') {
        end--;
    }

    return end - p == 3 && ngx_strncmp(p, "map", 3) == 0;
}


ngx_int_t
ngx_http_attck_map_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc, top;
    ngx_http_attck_loc_conf_t   *alcf;
    ngx_http_attck_main_conf_t  *amcf;

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_attck_header(r, "Allow", (u_char *) "POST", 4)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_attck_map_error(r, NGX_HTTP_NOT_ALLOWED,
                                        "method not allowed",
                                        "map takes POST");
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (ngx_http_attck_map_top(r, &top) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_attck_map_error(r, NGX_HTTP_BAD_REQUEST,
                                        "bad request",
                                        "top takes a number from 1 to 100");
    }

    if (amcf->map == NULL || amcf->map->sh == NULL) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_attck_map_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "unavailable",
                                        "no model is loaded (attck_model)");
    }

    if (r->headers_in.content_length_n > (off_t) alcf->map_max_body) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_attck_map_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "too large",
                                        "the text is over attck_map_max_body");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_attck_map_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static ngx_uint_t
ngx_http_attck_map_top(ngx_http_request_t *r, ngx_int_t *top)
{
    ngx_str_t  v;

    *top = NGX_HTTP_ATTCK_MAP_TOP;

    if (ngx_http_arg(r, (u_char *) "top", 3, &v) != NGX_OK) {
        return NGX_OK;
    }

    *top = ngx_atoi(v.data, v.len);

    return (*top >= 1 && *top <= 100) ? NGX_OK : NGX_ERROR;
}


/* the body in one piece (memory or its temporary file), or NULL */

static u_char *
ngx_http_attck_map_read_body(ngx_http_request_t *r, size_t *len)
{
    u_char       *p, *body;
    size_t        n;
    ssize_t       got;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    n = 0;

    if (r->request_body == NULL) {
        *len = 0;
        return (u_char *) "";
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        n += ngx_buf_size(cl->buf);
    }

    body = ngx_pnalloc(r->pool, n + 1);
    if (body == NULL) {
        return NULL;
    }

    p = body;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            got = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                                b->file_pos);
            if (got != b->file_last - b->file_pos) {
                return NULL;
            }

            p += got;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    *p = '\0';
    *len = p - body;

    return body;
}


static void
ngx_http_attck_map_body(ngx_http_request_t *r)
{
    u_char                      *body;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_http_attck_loc_conf_t   *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    body = ngx_http_attck_map_read_body(r, &len);

    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (len > alcf->map_max_body) {
        rc = ngx_http_attck_map_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "too large",
                                      "the text is over attck_map_max_body");
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_attck_map_answer(r, body, len);
    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_attck_map_answer(ngx_http_request_t *r, u_char *body, size_t len)
{
    char                        *dumped;
    u_char                      *out, *p;
    size_t                       n, need, nsent, tlen, idlen, sentences;
    ngx_int_t                    top;
    ngx_str_t                   *ct;
    const char                  *text;
    json_t                      *in, *id, *jtext;
    json_error_t                 jerr;
    ngx_atomic_uint_t            seq;
    ngx_http_attck_map_sh_t     *sh;
    ngx_http_attck_map_slot_t   *slot;
    ngx_http_attck_main_conf_t  *amcf;
    ngx_uint_t                   tries;
    attck_cls_work_t             w;
    ngx_http_attck_map_local_t  *lc;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);
    lc = &ngx_http_attck_map_local;
    tries = 0;
    in = NULL;
    id = NULL;
    (void) ngx_http_attck_map_top(r, &top);

    /* {"text": ...} as JSON, anything else as the text itself */

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;

    if (ct && ct->len >= 16
        && ngx_strncasecmp(ct->data, (u_char *) "application/json", 16) == 0)
    {
        in = json_loadb((char *) body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                        &jerr);
        jtext = json_object_get(in, "text");

        if (in == NULL || !json_is_object(in) || !json_is_string(jtext)) {
            json_decref(in);
            return ngx_http_attck_map_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad request",
                                            "expected {\"text\": \"...\"}");
        }

        id = json_object_get(in, "id");
        text = json_string_value(jtext);
        tlen = json_string_length(jtext);

    } else if (ct == NULL
               || (ct->len >= 10
                   && ngx_strncasecmp(ct->data, (u_char *) "text/plain", 10)
                      == 0))
    {
        if (!attck_cls_utf8((char *) body, len)) {
            return ngx_http_attck_map_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad request",
                                            "the text is not UTF-8");
        }

        text = (char *) body;
        tlen = len;

    } else {
        return ngx_http_attck_map_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        "unsupported media type",
                                        "POST text/plain or application/json");
    }

    sh = amcf->map->sh;

    /* scratch memory for the longest text allowed, once per process */

    sentences = tlen / 2 + 2;

again:

    if (tries++ == 1000) {
        json_decref(in);
        return ngx_http_attck_map_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "unavailable",
                                        "the model is being replaced");
    }

    slot = &sh->slot[sh->current];
    seq = slot->seq;
    ngx_memory_barrier();

    if ((seq & 1) || slot->data == NULL) {
        goto again;             /* being written: a moment */
    }

    if (lc->slot != slot || lc->seq != seq) {
        attck_cls_attach(&lc->model, slot->data);
        lc->slot = slot;
        lc->seq = seq;

        if (lc->mem) {
            ngx_free(lc->mem);
            lc->mem = NULL;
        }
    }

    if (lc->mem == NULL || lc->mem_sentences < sentences) {
        if (lc->mem) {
            ngx_free(lc->mem);
        }

        lc->mem_sentences = ngx_max(sentences, 4096);
        lc->mem = ngx_alloc(attck_cls_work_size(&lc->model,
                                                lc->mem_sentences),
                            r->connection->log);
        if (lc->mem == NULL) {
            json_decref(in);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (lc->hits == NULL) {
        lc->hits = ngx_alloc((ATTCK_CLS_MAX_EXPLICIT + 100)
                             * sizeof(attck_cls_hit_t), r->connection->log);
        if (lc->hits == NULL) {
            json_decref(in);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    attck_cls_work_init(&w, &lc->model, lc->mem, lc->mem_sentences);
    n = attck_cls_classify(&lc->model, &w, text, tlen, (size_t) top, 0.0,
                           lc->hits, &nsent);

    if (n > (size_t) top) {
        n = (size_t) top;
    }

    need = attck_cls_json(&lc->model, text, lc->hits, n, nsent, NULL, 0);

    dumped = json_dumps(id ? id : json_null(),
                        JSON_COMPACT | JSON_ENCODE_ANY);
    idlen = dumped ? ngx_strlen(dumped) : 0;

    out = ngx_pnalloc(r->pool, sizeof("{\"id\":,\"techniques\":}") - 1
                               + idlen + need);
    if (out == NULL || dumped == NULL) {
        free(dumped);
        json_decref(in);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(out, "{\"id\":", 6);
    p = ngx_cpymem(p, dumped, idlen);
    p = ngx_cpymem(p, ",\"techniques\":", 14);
    (void) attck_cls_json(&lc->model, text, lc->hits, n, nsent, (char *) p,
                          need);
    p += need;
    *p++ = '}';

    free(dumped);

    /* a reload rewrote the slot meanwhile: the answer may be torn */

    ngx_memory_barrier();

    if (slot->seq != seq) {
        goto again;
    }

    json_decref(in);

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, out, p - out,
                               NULL, 0, 0);
}


static ngx_int_t
ngx_http_attck_map_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *detail)
{
    u_char  *body, *p;
    size_t   len;

    len = sizeof("{\"error\":\"\",\"detail\":\"\"}") - 1 + ngx_strlen(error)
          + ngx_escape_json(NULL, (u_char *) detail, ngx_strlen(detail))
          + ngx_strlen(detail);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"error\":\"%s\",\"detail\":\"", error);
    p = (u_char *) ngx_escape_json(p, (u_char *) detail,
                                   ngx_strlen(detail));
    p = ngx_cpymem(p, "\"}", 2);

    r->headers_out.status = status;

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, p - body,
                               NULL, 0, 0);
}
