
/*
 * ngx_http_attck_module: attck_health live | ready, for load balancers
 * and Kubernetes probes.
 *
 * live answers 200 as long as a worker process runs its event loop.
 * ready answers 200 only when this nginx can serve what it is for: a
 * snapshot is loaded, the Redis connection of the worker process that
 * answers is up (with attck_redis), and the data are not older than
 * attck_health_max_age; else 503 with the reasons as JSON.  Nothing is
 * asked of Redis: the probe costs no round trip and cannot hang.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_redis.h"


#define NGX_HTTP_ATTCK_HEALTH_REASONS  4


static ngx_int_t ngx_http_attck_health_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_health_answer(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len, ngx_uint_t in_memory);


static ngx_str_t  ngx_http_attck_health_cc = ngx_string("no-store");


/* attck_health live | ready; */

char *
ngx_http_attck_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (alcf->health) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 4 && ngx_strncmp(value[1].data, "live", 4) == 0) {
        alcf->health = NGX_HTTP_ATTCK_HEALTH_LIVE;

    } else if (value[1].len == 5
               && ngx_strncmp(value[1].data, "ready", 5) == 0)
    {
        alcf->health = NGX_HTTP_ATTCK_HEALTH_READY;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": live or ready", &value[1]);
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "conflicts with another handler of this location";
    }

    clcf->handler = ngx_http_attck_health_handler;

    return NGX_CONF_OK;
}


ngx_uint_t
ngx_http_attck_is_health(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_attck_loc_conf_t  *alcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->handler != ngx_http_attck_health_handler) {
        return 0;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    return alcf->health;
}


static ngx_int_t
ngx_http_attck_health_handler(ngx_http_request_t *r)
{
    u_char                      *body, *p;
    time_t                       age, seen;
    ngx_int_t                    rc;
    ngx_uint_t                   n, generation;
    const char                  *reason[NGX_HTTP_ATTCK_HEALTH_REASONS];
    ngx_http_attck_gen_t        *gen;
    ngx_http_attck_loc_conf_t   *alcf;
    ngx_http_attck_main_conf_t  *amcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (alcf->health == NGX_HTTP_ATTCK_HEALTH_LIVE) {
        return ngx_http_attck_health_answer(r, NGX_HTTP_OK,
                                            (u_char *) "{\"status\":\"live\"}",
                                            sizeof("{\"status\":\"live\"}")
                                            - 1, 1);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    body = ngx_pnalloc(r->pool, 512);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;
    age = -1;

    gen = amcf->sh ? ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current
                   : NULL;

    if (gen == NULL) {
        reason[n++] = "no snapshot is loaded";
    }

    if (amcf->redis && ngx_http_attck_redis_unavailable()) {
        reason[n++] = "Redis is not connected";
    }

    /*
     * the age of the threat data: with Redis, since this nginx first saw
     * the generation published in "attck:current"; without, since the
     * snapshot was loaded
     */

    if (alcf->max_age > 0 && amcf->sh) {
        seen = 0;

        if (amcf->redis) {
            generation = ngx_http_attck_published(amcf, NULL);

            if (generation == 0) {
                reason[n++] = "no threat generation is published";

            } else {
                seen = ngx_http_attck_published_time(amcf);
            }

        } else if (gen) {
            seen = gen->loaded;
        }

        if (seen) {
            age = ngx_time() - seen;

            if (age > alcf->max_age) {
                reason[n++] = "the threat generation is too old";
            }
        }
    }

    if (n == 0) {
        p = ngx_sprintf(body, "{\"status\":\"ready\"");

    } else {
        p = ngx_sprintf(body, "{\"status\":\"not ready\",\"reasons\":[");

        for (rc = 0; rc < (ngx_int_t) n; rc++) {
            p = ngx_sprintf(p, "%s\"%s\"", rc ? "," : "", reason[rc]);
        }

        *p++ = ']';
    }

    if (age >= 0) {
        p = ngx_sprintf(p, ",\"age\":%T,\"max_age\":%T", age, alcf->max_age);
    }

    *p++ = '}';

    return ngx_http_attck_health_answer(r, n ? NGX_HTTP_SERVICE_UNAVAILABLE
                                             : NGX_HTTP_OK,
                                        body, p - body, 0);
}


static ngx_int_t
ngx_http_attck_health_answer(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len, ngx_uint_t in_memory)
{
    r->headers_out.status = status;

    if (ngx_http_attck_header(r, "Cache-Control",
                              ngx_http_attck_health_cc.data,
                              ngx_http_attck_health_cc.len)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, len, NULL,
                               0, in_memory);
}
