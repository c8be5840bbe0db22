
/*
 * ngx_http_attck_module: MITRE ATT&CK served from nginx shared memory.
 *
 * Directives, configuration and the module definition.  The zone and its
 * generations are in ngx_http_attck_zone.c, the API in
 * ngx_http_attck_api.c, the snapshot format in snapshot/; the Redis client
 * in ngx_http_attck_redis.c, the endpoints it serves in
 * ngx_http_attck_threats.c, the watcher of published snapshots in
 * ngx_http_attck_refresh.c, the key it checks them with in
 * ngx_http_attck_sign.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_taxii.h"
#include "ngx_http_attck_sign.h"


static ngx_int_t ngx_http_attck_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_attck_init_process(ngx_cycle_t *cycle);
static void ngx_http_attck_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_attck_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_attck_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_attck_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_attck_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_attck_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_attck_snapshot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_attck_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_attck_training(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_attck_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_attck_refresh_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_attck_read_snapshot(ngx_conf_t *cf,
    ngx_http_attck_main_conf_t *amcf);
static void ngx_http_attck_free_snapshot(void *data);


static ngx_command_t  ngx_http_attck_commands[] = {

    { ngx_string("attck_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_attck_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_snapshot"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_attck_snapshot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_attck_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_attck_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("attck_refresh"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_attck_main_conf_t, refresh),
      NULL },

    { ngx_string("attck_refresh_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_attck_main_conf_t, refresh_interval),
      NULL },

    { ngx_string("attck_refresh_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_attck_refresh_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_attck_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_cyberrange"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_attck_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      1,
      NULL },

    { ngx_string("attck_cyberrange_training"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_attck_training,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_attck_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_attck_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_health_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_attck_loc_conf_t, max_age),
      NULL },

    { ngx_string("attck_triage"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_attck_triage,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_taxii"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_attck_taxii,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_model"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_attck_model,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("attck_map_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_attck_loc_conf_t, map_max_body),
      NULL },

    { ngx_string("attck_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_TAKE12,
      ngx_http_attck_thread_pool,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_attck_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_attck_metrics_init,           /* postconfiguration */

    ngx_http_attck_create_main_conf,       /* create main configuration */
    ngx_http_attck_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_attck_create_loc_conf,        /* create location configuration */
    ngx_http_attck_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_attck_module = {
    NGX_MODULE_V1,
    &ngx_http_attck_module_ctx,            /* module context */
    ngx_http_attck_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_attck_init_module,            /* init module */
    ngx_http_attck_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_attck_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* runs when a configuration is committed: its snapshot goes live */

static ngx_int_t
ngx_http_attck_init_module(ngx_cycle_t *cycle)
{
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_attck_module);

    if (amcf) {
        ngx_http_attck_publish(amcf, cycle->log);
    }

    return NGX_OK;
}


/*
 * Each worker process talks to Redis over a connection of its own; one
 * of them (the first) also watches for published snapshots.
 */

static ngx_int_t
ngx_http_attck_init_process(ngx_cycle_t *cycle)
{
    ngx_http_attck_main_conf_t  *amcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_attck_module);

    if (amcf == NULL) {
        return NGX_OK;
    }

    ngx_http_attck_zone_init_process(cycle, amcf);

    if (amcf->redis == NULL) {
        return NGX_OK;
    }

    if (ngx_http_attck_redis_init(cycle, amcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_worker == 0 && amcf->sh) {
        ngx_http_attck_refresh_init(cycle, amcf);
    }

    return NGX_OK;
}


static void
ngx_http_attck_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_attck_redis_exit(cycle);
    ngx_http_attck_zone_exit(cycle);
}


static void *
ngx_http_attck_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_attck_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->shm_zone = NULL;
     *     amcf->snapshot = { 0, NULL };
     *     amcf->data = NULL;
     *     amcf->pending = NULL;
     *     amcf->reused = 0;
     *     amcf->redis = NULL;
     *     amcf->refresh_key = { 0, NULL };
     */

    amcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    amcf->refresh = NGX_CONF_UNSET;
    amcf->refresh_interval = NGX_CONF_UNSET_MSEC;

    return amcf;
}


static char *
ngx_http_attck_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    ngx_conf_init_msec_value(amcf->redis_timeout, 500);
    ngx_conf_init_value(amcf->refresh, 0);
    ngx_conf_init_msec_value(amcf->refresh_interval, 500);

    if (amcf->redis_timeout == 0 || amcf->refresh_interval == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_redis_timeout\" and "
                           "\"attck_refresh_interval\" must be above zero");
        return NGX_CONF_ERROR;
    }

    if (amcf->refresh && amcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_refresh on\" needs \"attck_redis\"");
        return NGX_CONF_ERROR;
    }

    if (amcf->refresh_key.data && amcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_refresh_key\" needs \"attck_redis\"");
        return NGX_CONF_ERROR;
    }

    if (amcf->redis && amcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_redis\" needs an \"attck_zone\"");
        return NGX_CONF_ERROR;
    }

    /* with attck_refresh the zone may start empty, filled from Redis */

    if (amcf->snapshot.len == 0) {
        return NGX_CONF_OK;
    }

    if (amcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_snapshot\" needs an \"attck_zone\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_attck_read_snapshot(cf, amcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_attck_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_attck_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_attck_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->prefix = { 0, NULL };
     *     alcf->cr_prefix = { 0, NULL };
     *     alcf->health = 0;
     */

    alcf->training = NGX_CONF_UNSET_PTR;
    alcf->max_age = NGX_CONF_UNSET;
    alcf->map_max_body = NGX_CONF_UNSET_SIZE;
    alcf->thread_pool = NGX_CONF_UNSET_PTR;
    alcf->thread_min = NGX_CONF_UNSET_UINT;

    return alcf;
}


static char *
ngx_http_attck_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_attck_loc_conf_t  *prev = parent;
    ngx_http_attck_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->prefix, prev->prefix, "");
    ngx_conf_merge_str_value(conf->cr_prefix, prev->cr_prefix, "");
    ngx_conf_merge_ptr_value(conf->training, prev->training, NULL);
    ngx_conf_merge_sec_value(conf->max_age, prev->max_age, 0);
    ngx_conf_merge_str_value(conf->taxii_prefix, prev->taxii_prefix, "");
    ngx_conf_merge_size_value(conf->map_max_body, prev->map_max_body,
                              8 * 1024);
    ngx_conf_merge_ptr_value(conf->thread_pool, prev->thread_pool, NULL);
    ngx_conf_merge_uint_value(conf->thread_min, prev->thread_min,
                              NGX_HTTP_ATTCK_THREAD_MIN);

    return NGX_CONF_OK;
}


/*
 * The snapshot is read and checked while the configuration is parsed, so
 * that "nginx -t" and a reload refuse a bad one before anything changes.
 * The zone's init copies it into shared memory and frees this copy.
 */

static ngx_int_t
ngx_http_attck_read_snapshot(ngx_conf_t *cf, ngx_http_attck_main_conf_t *amcf)
{
    char                 err[512];
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_attck_free_snapshot;
    cln->data = amcf;

    if (ngx_http_attck_read(amcf, err, sizeof(err)) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_ERROR;
    }

    if (amcf->size > amcf->shm_zone->shm.size / 2) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "attck zone \"%V\" cannot hold two snapshots of "
                           "%uz bytes: a reload with a new snapshot will be "
                           "refused while the old one is in use",
                           &amcf->shm_zone->shm.name, amcf->size);
    }

    return NGX_OK;
}


static void
ngx_http_attck_free_snapshot(void *data)
{
    ngx_http_attck_main_conf_t  *amcf = data;

    if (amcf->data) {
        ngx_free(amcf->data);
        amcf->data = NULL;
    }

    ngx_http_attck_drop_pending(amcf);
}


static char *
ngx_http_attck_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (amcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (64 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    amcf->shm_zone = ngx_shared_memory_add(cf, &value[1], size,
                                           &ngx_http_attck_module);
    if (amcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (amcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already in use", &value[1]);
        return NGX_CONF_ERROR;
    }

    amcf->shm_zone->init = ngx_http_attck_init_zone;
    amcf->shm_zone->data = amcf;

    return NGX_CONF_OK;
}


static char *
ngx_http_attck_snapshot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    ngx_str_t  *value;

    if (amcf->snapshot.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    amcf->snapshot = value[1];

    if (ngx_conf_full_name(cf->cycle, &amcf->snapshot, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* attck_api; and attck_cyberrange; (cmd->offset 1) */

static char *
ngx_http_attck_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    if (cmd->offset) {
        return ngx_http_attck_handler_location(cf, &alcf->cr_prefix,
                                               ngx_http_attck_cr_handler);
    }

    return ngx_http_attck_handler_location(cf, &alcf->prefix,
                                           ngx_http_attck_api_handler);
}


char *
ngx_http_attck_handler_location(ngx_conf_t *cf, ngx_str_t *prefix,
    ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_attck_main_conf_t  *amcf;

    if (prefix->data) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "this directive needs a prefix location, "
                           "not a regular expression");
        return NGX_CONF_ERROR;
    }
#endif

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

    *prefix = clcf->name;
    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* attck_cyberrange_training linear|adaptive /uri; */

static char *
ngx_http_attck_training(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    ngx_str_t                  *value;
    ngx_http_attck_training_t  *t;

    value = cf->args->elts;

    if (!(value[1].len == 6 && ngx_strncmp(value[1].data, "linear", 6) == 0)
        && !(value[1].len == 8
             && ngx_strncmp(value[1].data, "adaptive", 8) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid training kind \"%V\": linear or "
                           "adaptive", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[2].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a location (it starts with /)",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    if (alcf->training == NGX_CONF_UNSET_PTR) {
        alcf->training = ngx_array_create(cf->pool, 2,
                                          sizeof(ngx_http_attck_training_t));
        if (alcf->training == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    t = ngx_array_push(alcf->training);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    t->label = value[1];
    t->uri = value[2];

    return NGX_CONF_OK;
}


/* attck_redis 127.0.0.1:6379 | [::1]:6379 | unix:/path [password=] [db=] */

static char *
ngx_http_attck_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    u_char                       *p, *last, *end, buf[sizeof(struct in6_addr)];
    size_t                        len;
    ngx_int_t                     n;
    ngx_str_t                    *value, host;
    ngx_uint_t                    i, ipv6;
    ngx_http_attck_redis_conf_t  *rcf;

    if (amcf->redis) {
        return "is duplicate";
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_attck_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    rcf->name = value[1];
    rcf->port = 6379;
    rcf->db = -1;

    p = value[1].data;
    last = p + value[1].len;

    if (value[1].len >= 5 && ngx_strncmp(p, "unix:", 5) == 0) {
        len = value[1].len - 5;

        if (len == 0 || len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket path in \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        rcf->path = ngx_pnalloc(cf->pool, len + 1);
        if (rcf->path == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn(rcf->path, p + 5, len + 1);

        goto params;
    }

    /* "[::1]:6379", "127.0.0.1:6379"; the port may be left out */

    ipv6 = 0;

    if (p < last && *p == '[') {
        end = ngx_strlchr(p, last, ']');

        if (end == NULL) {
            goto invalid;
        }

        host.data = p + 1;
        host.len = end - host.data;
        p = end + 1;
        ipv6 = 1;

    } else {
        end = ngx_strlchr(p, last, ':');

        host.data = p;
        host.len = (end ? end : last) - p;
        p = end ? end : last;

        if (end && ngx_strlchr(end + 1, last, ':')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "an IPv6 address is written in brackets: "
                               "[::1]:6379");
            return NGX_CONF_ERROR;
        }
    }

    if (p < last) {
        if (*p != ':') {
            goto invalid;
        }

        n = ngx_atoi(p + 1, last - p - 1);

        if (n < 1 || n > 65535) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid port in \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }

        rcf->port = (int) n;
    }

    if (host.len == 0 || host.len >= NGX_INET6_ADDRSTRLEN) {
        goto invalid;
    }

    rcf->host = ngx_pnalloc(cf->pool, host.len + 1);
    if (rcf->host == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(rcf->host, host.data, host.len + 1);

    /*
     * hiredis would resolve a host name with a blocking getaddrinfo() in
     * the middle of the event loop: only addresses are taken
     */

    if (inet_pton(ipv6 ? AF_INET6 : AF_INET, (char *) rcf->host, buf) != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not an IP address: attck_redis takes "
                           "an IPv4 address, an IPv6 address in brackets or "
                           "unix:/path, not a host name (it would be "
                           "resolved with a blocking call)", &host);
        return NGX_CONF_ERROR;
    }

params:

    for (i = 2; i < cf->args->nelts; i++) {

        if (value[i].len > 9
            && ngx_strncmp(value[i].data, "password=", 9) == 0)
        {
            rcf->password.data = value[i].data + 9;
            rcf->password.len = value[i].len - 9;
            continue;
        }

        if (value[i].len > 3 && ngx_strncmp(value[i].data, "db=", 3) == 0) {
            rcf->db = ngx_atoi(value[i].data + 3, value[i].len - 3);

            if (rcf->db == NGX_ERROR || rcf->db > 65535) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid database number \"%V\"",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    amcf->redis = rcf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid address \"%V\": attck_redis takes "
                       "127.0.0.1:6379, [::1]:6379 or unix:/path",
                       &value[1]);
    return NGX_CONF_ERROR;
}


/*
 * attck_refresh_key /etc/attck/refresh.key; read here, by the master
 * process, so that nginx -t refuses a missing or short key
 */

static char *
ngx_http_attck_refresh_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

    ngx_str_t  *value, path;

    if (amcf->refresh_key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (path.len == 0) {
        return "takes a file name";
    }

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_attck_read_key(cf, &path, &amcf->refresh_key);
}
