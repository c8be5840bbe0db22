
/*
 * ngx_http_attck_module: MITRE ATT&CK served from nginx shared memory.
 */

#ifndef _NGX_HTTP_ATTCK_MODULE_H_INCLUDED_
#define _NGX_HTTP_ATTCK_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "snapshot/attck_snapshot.h"


#define NGX_HTTP_ATTCK_MAX_GENS  16
#define NGX_HTTP_ATTCK_TIDY      1000    /* ms between idle clean-ups */

/* a snapshot published in Redis is named by the sha256 of its bytes */
#define NGX_HTTP_ATTCK_SHA_LEN   64


/*
 * One loaded snapshot in the zone.  refs counts the holders: the zone
 * while it is current (or pending), plus each worker process that still
 * serves from it, recorded by process slot so that the master can take
 * back what a crashed worker held.  The last holder frees it.
 */

typedef struct {
    ngx_uint_t                 refs;
    ngx_uint_t                 number;      /* generation, from 1 */
    time_t                     loaded;
    size_t                     size;
    u_char                    *data;        /* size bytes, checked */
    ngx_pid_t                  holders[NGX_MAX_PROCESSES];

    /* the name of a snapshot loaded from Redis; zeroes: from a file */
    u_char                     sha[NGX_HTTP_ATTCK_SHA_LEN];
} ngx_http_attck_gen_t;


/*
 * The zone's context survives reloads.  Besides the generations it keeps
 * what "attck:current" in Redis said when last applied: the generation of
 * the threat data that every worker process reads, and the sha256 of its
 * snapshot.  seq is odd while they change, so that they are read together
 * without the lock.
 */

typedef struct {
    ngx_http_attck_gen_t      *current;
    ngx_http_attck_gen_t      *gens[NGX_HTTP_ATTCK_MAX_GENS];  /* alive */
    ngx_uint_t                 generations; /* loaded so far */

    ngx_atomic_t               published;   /* 0: nothing seen yet */
    ngx_atomic_t               seq;
    u_char                     sha[NGX_HTTP_ATTCK_SHA_LEN];
    u_char                     refused[NGX_HTTP_ATTCK_SHA_LEN];  /* logged */

    /* when published last changed: the age attck_health ready checks */
    ngx_atomic_t               published_time;
    struct ngx_http_attck_metrics_s  *metrics;  /* attck_metrics' counters */
} ngx_http_attck_shctx_t;


/* a worker process's view of one generation */

typedef struct ngx_http_attck_local_s  ngx_http_attck_local_t;

struct ngx_http_attck_local_s {
    ngx_http_attck_gen_t      *gen;
    attck_snap_t               snap;
    ngx_uint_t                 requests;    /* in flight, this process */
    ngx_uint_t                 retired;     /* no longer current */
    u_char                     checksum[8];
    ngx_http_attck_local_t    *next;
};


/* attck_redis */

typedef struct {
    ngx_str_t                  name;        /* as configured, for the log */
    u_char                    *host;        /* an IP address, or NULL */
    int                        port;
    u_char                    *path;        /* a unix socket, or NULL */
    ngx_str_t                  password;    /* AUTH unless empty */
    ngx_int_t                  db;          /* SELECT unless -1 */
} ngx_http_attck_redis_conf_t;


typedef struct {
    ngx_shm_zone_t            *shm_zone;
    ngx_slab_pool_t           *shpool;
    ngx_http_attck_shctx_t    *sh;
    ngx_str_t                  snapshot;    /* attck_snapshot path */
    u_char                    *data;        /* read at configuration time */
    size_t                     size;
    ngx_http_attck_gen_t      *pending;     /* loaded, current at commit */
    ngx_uint_t                 reused;      /* the zone of the last cycle */

    ngx_http_attck_redis_conf_t  *redis;    /* NULL: no Redis */
    ngx_msec_t                 redis_timeout;
    ngx_flag_t                 refresh;
    ngx_msec_t                 refresh_interval;
    ngx_str_t                  refresh_key; /* attck_refresh_key's bytes */
    ngx_uint_t                 metrics;     /* an attck_metrics location */
    struct ngx_http_attck_map_conf_s  *map;  /* attck_model, or NULL */
} ngx_http_attck_main_conf_t;


typedef struct {
    ngx_str_t                  label;       /* "linear", "adaptive" */
    ngx_str_t                  uri;         /* a location to fetch from */
} ngx_http_attck_training_t;


typedef struct {
    ngx_str_t                  prefix;      /* the attck_api location */
    ngx_str_t                  cr_prefix;   /* the attck_cyberrange one */
    ngx_array_t               *training;    /* ngx_http_attck_training_t */
    ngx_uint_t                 health;      /* NGX_HTTP_ATTCK_HEALTH_* */
    time_t                     max_age;     /* attck_health_max_age */
    ngx_str_t                  taxii_prefix; /* the attck_taxii location */
    size_t                     map_max_body; /* attck_map_max_body */
    void                      *thread_pool; /* ngx_thread_pool_t, or NULL */
    ngx_uint_t                 thread_min;  /* min_threats= */
} ngx_http_attck_loc_conf_t;


/* attck_thread_pool's min_threats: a few milliseconds' walk */
#define NGX_HTTP_ATTCK_THREAD_MIN    50000

#define NGX_HTTP_ATTCK_HEALTH_LIVE   1
#define NGX_HTTP_ATTCK_HEALTH_READY  2


extern ngx_module_t  ngx_http_attck_module;


ngx_int_t ngx_http_attck_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_int_t ngx_http_attck_read(ngx_http_attck_main_conf_t *amcf, char *err,
    size_t errlen);
size_t ngx_http_attck_room(ngx_http_attck_main_conf_t *amcf);
ngx_int_t ngx_http_attck_check(ngx_http_attck_main_conf_t *amcf,
    u_char *data, size_t size, ngx_str_t *name, char *err, size_t errlen);
void ngx_http_attck_publish(ngx_http_attck_main_conf_t *amcf,
    ngx_log_t *log);
void ngx_http_attck_drop_pending(ngx_http_attck_main_conf_t *amcf);

/*
 * Makes checked snapshot bytes current, as a new generation: NGX_OK,
 * NGX_DECLINED (the same snapshot is current already), NGX_BUSY (no room
 * beside the generations in use) or NGX_ERROR, with err saying why.  sha:
 * the name of a snapshot from Redis, or NULL.
 */
ngx_int_t ngx_http_attck_swap(ngx_http_attck_main_conf_t *amcf,
    u_char *data, size_t size, u_char *sha, ngx_str_t *name, ngx_log_t *log,
    ngx_uint_t *number, char *err, size_t errlen);
/* NGX_OK when the current generation was loaded from the snapshot sha */
ngx_int_t ngx_http_attck_is_current(ngx_http_attck_main_conf_t *amcf,
    u_char *sha);
void ngx_http_attck_set_published(ngx_http_attck_main_conf_t *amcf,
    ngx_uint_t generation, u_char *sha);
/* the generation of the threat data, 0 if none; sha may be NULL */
ngx_uint_t ngx_http_attck_published(ngx_http_attck_main_conf_t *amcf,
    u_char *sha);
/* when the generation of the threat data was first seen, 0 if none */
time_t ngx_http_attck_published_time(ngx_http_attck_main_conf_t *amcf);
/* NULL with *rc = 503 (nothing loaded) or 500 (out of memory) */
ngx_http_attck_local_t *ngx_http_attck_acquire(ngx_http_request_t *r,
    ngx_http_attck_main_conf_t *amcf, ngx_int_t *rc);
ngx_int_t ngx_http_attck_api_handler(ngx_http_request_t *r);

/*
 * Makes the enclosing prefix location the directive's: its name into
 * *prefix, handler its content handler; refuses a regex location, a
 * second handler and a missing attck_zone.
 */
char *ngx_http_attck_handler_location(ngx_conf_t *cf, ngx_str_t *prefix,
    ngx_http_handler_pt handler);
ngx_int_t ngx_http_attck_cr_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_attck_triage_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_attck_taxii_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_attck_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *fmt, ...);

/* reads attck_snapshot again in a worker: NGX_OK, NGX_DECLINED (same), or
 * NGX_ERROR; *number is the generation now current */
ngx_int_t ngx_http_attck_reload(ngx_http_attck_main_conf_t *amcf,
    ngx_log_t *log, ngx_uint_t *number);
/* whole answers, ngx_http_attck_send.c (ngx_http_attck_error too) */
ngx_table_elt_t *ngx_http_attck_header(ngx_http_request_t *r, char *key,
    u_char *value, size_t len);
ngx_int_t ngx_http_attck_send(ngx_http_request_t *r, ngx_str_t *type,
    u_char *body, size_t len, u_char *etag, size_t etag_len,
    ngx_uint_t in_memory);

extern ngx_str_t  ngx_http_attck_json_type;

/* ATT&CK Navigator layers, ngx_http_attck_navigator.c; json_t from
 * jansson, kept opaque here */
struct json_t;
struct json_t *ngx_http_attck_layer_new(const char *name,
    const char *description, const char *domain, const attck_snap_t *snap,
    const attck_snap_view_t *view);
struct json_t *ngx_http_attck_layer_add(struct json_t *layer, const char *id,
    size_t id_len, const char *tactic, long long score, const char *comment);
ngx_int_t ngx_http_attck_layer_send(ngx_http_request_t *r,
    struct json_t *layer);
void ngx_http_attck_zone_init_process(ngx_cycle_t *cycle,
    ngx_http_attck_main_conf_t *amcf);
void ngx_http_attck_zone_exit(ngx_cycle_t *cycle);

/* the Redis client of a worker process, ngx_http_attck_redis.c */
ngx_int_t ngx_http_attck_redis_init(ngx_cycle_t *cycle,
    ngx_http_attck_main_conf_t *amcf);
void ngx_http_attck_redis_exit(ngx_cycle_t *cycle);

/* the watcher of "attck:current", ngx_http_attck_refresh.c */
void ngx_http_attck_refresh_init(ngx_cycle_t *cycle,
    ngx_http_attck_main_conf_t *amcf);
void ngx_http_attck_refresh_now(void);

/* attck_health, ngx_http_attck_health.c */
char *ngx_http_attck_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
/* the NGX_HTTP_ATTCK_HEALTH_* of an attck_health location, else 0 */
ngx_uint_t ngx_http_attck_is_health(ngx_http_request_t *r);

/* attck_metrics, ngx_http_attck_metrics.c */
char *ngx_http_attck_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_attck_metrics_init(ngx_conf_t *cf);

/* attck_triage, ngx_http_attck_triage.c */
char *ngx_http_attck_triage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
/* attck_model and POST {api}/map, ngx_http_attck_map.c */
typedef struct ngx_http_attck_map_conf_s  ngx_http_attck_map_conf_t;
char *ngx_http_attck_model(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
/* attck_thread_pool, ngx_http_attck_tally.c */
char *ngx_http_attck_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_uint_t ngx_http_attck_map_is(ngx_http_request_t *r, ngx_str_t *prefix);
ngx_int_t ngx_http_attck_map_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_ATTCK_MODULE_H_INCLUDED_ */
