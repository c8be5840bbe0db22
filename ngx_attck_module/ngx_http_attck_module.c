
/*
 * ngx_http_attck_module: MITRE ATT&CK served from nginx shared memory.
 *
 * Directives, configuration and the module definition.  The zone and its
 * generations are in ngx_http_attck_zone.c, the API in
 * ngx_http_attck_api.c, the snapshot format in snapshot/.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


static ngx_int_t ngx_http_attck_init_module(ngx_cycle_t *cycle);
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

    { ngx_string("attck_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_attck_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_attck_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

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
    NULL,                                  /* init process */
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
     */

    return amcf;
}


static char *
ngx_http_attck_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_attck_main_conf_t  *amcf = conf;

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
     */

    return alcf;
}


static char *
ngx_http_attck_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_attck_loc_conf_t  *prev = parent;
    ngx_http_attck_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->prefix, prev->prefix, "");

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
    char                 err[256];
    size_t               room, done;
    ssize_t              n;
    ngx_fd_t             fd;
    attck_snap_t         snap;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    fd = ngx_open_file(amcf->snapshot.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck snapshot \"%V\" cannot be opened",
                           &amcf->snapshot);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &amcf->snapshot);
        goto failed;
    }

    amcf->size = (size_t) ngx_file_size(&fi);

    /*
     * the slab allocator keeps under 1/100 of the zone for its page
     * descriptors; 1/32 and a few pages leave a safe margin
     */

    room = amcf->shm_zone->shm.size - amcf->shm_zone->shm.size / 32
           - 8 * ngx_pagesize;

    if (amcf->size > room) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck snapshot \"%V\" is %uz bytes, too large "
                           "for zone \"%V\" (room for %uz)", &amcf->snapshot,
                           amcf->size, &amcf->shm_zone->shm.name, room);
        goto failed;
    }

    if (amcf->size > room / 2) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "attck zone \"%V\" cannot hold two snapshots of "
                           "%uz bytes: a reload with a new snapshot will be "
                           "refused while the old one is in use",
                           &amcf->shm_zone->shm.name, amcf->size);
    }

    amcf->data = ngx_alloc(amcf->size ? amcf->size : 1, cf->log);
    if (amcf->data == NULL) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_http_attck_free_snapshot;
    cln->data = amcf;

    for (done = 0; done < amcf->size; done += n) {
        n = ngx_read_fd(fd, amcf->data + done, amcf->size - done);

        if (n == -1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "attck snapshot \"%V\" cannot be read",
                               &amcf->snapshot);
            goto failed;
        }

        if (n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "attck snapshot \"%V\" shrank while read",
                               &amcf->snapshot);
            goto failed;
        }
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed",
                           &amcf->snapshot);
    }

    if (attck_snap_open(&snap, amcf->data, amcf->size, 0, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck snapshot \"%V\" refused: %s",
                           &amcf->snapshot, err);
        return NGX_ERROR;
    }

    return NGX_OK;

failed:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed",
                           &amcf->snapshot);
    }

    return NGX_ERROR;
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


static char *
ngx_http_attck_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_attck_main_conf_t  *amcf;

    if (alcf->prefix.data) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_api\" needs a prefix location, "
                           "not a regular expression");
        return NGX_CONF_ERROR;
    }
#endif

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_attck_module);

    if (amcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"attck_api\" needs an \"attck_zone\" earlier "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    alcf->prefix = clcf->name;
    clcf->handler = ngx_http_attck_api_handler;

    return NGX_CONF_OK;
}
