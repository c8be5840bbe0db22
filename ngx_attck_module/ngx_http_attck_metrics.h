
/*
 * ngx_http_attck_module: the counters behind attck_metrics.  They live in
 * the zone, so that every worker process adds to the same numbers and a
 * reload keeps them; each is an ngx_atomic_t, added to without the lock.
 * The files that count include this header only: what they add to is
 * here, what reads it is ngx_http_attck_metrics.c.
 */

#ifndef _NGX_HTTP_ATTCK_METRICS_H_INCLUDED_
#define _NGX_HTTP_ATTCK_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


/* the label values are fixed tables, never what a client sent */
#define NGX_HTTP_ATTCK_M_ROUTES      41     /* ngx_http_attck_m_routes */
#define NGX_HTTP_ATTCK_M_STATUSES    19     /* ngx_http_attck_m_statuses */
#define NGX_HTTP_ATTCK_M_BUCKETS     15     /* 14 bounds and +Inf */
#define NGX_HTTP_ATTCK_M_TRAININGS   2      /* linear, adaptive */
#define NGX_HTTP_ATTCK_M_OUTCOMES    3      /* ok, error, timeout */

#define NGX_HTTP_ATTCK_M_FILE        0      /* attck_snapshot, PUT */
#define NGX_HTTP_ATTCK_M_REDIS       1      /* attck:snapshot:SHA */
#define NGX_HTTP_ATTCK_M_POINTER     2      /* attck:current */
#define NGX_HTTP_ATTCK_M_SOURCES     3


typedef struct {
    ngx_atomic_t               count[NGX_HTTP_ATTCK_M_BUCKETS];  /* not
                                                        cumulative */
    ngx_atomic_t               sum_ms;
} ngx_http_attck_m_histogram_t;


typedef struct ngx_http_attck_metrics_s {
    ngx_atomic_t               requests[NGX_HTTP_ATTCK_M_ROUTES]
                                       [NGX_HTTP_ATTCK_M_STATUSES];
    ngx_atomic_t               sent[NGX_HTTP_ATTCK_M_ROUTES];
    ngx_http_attck_m_histogram_t  duration[NGX_HTTP_ATTCK_M_ROUTES];

    ngx_atomic_t               refusals[NGX_HTTP_ATTCK_M_SOURCES];

    ngx_atomic_t               redis_reconnects;
    ngx_atomic_t               redis_timeouts;
    ngx_atomic_t               redis_reply_errors;
    ngx_atomic_t               redis_connection_errors;
    ngx_atomic_t               redis_waiting;
    ngx_atomic_t               redis_up[NGX_MAX_PROCESSES];  /* pid */

    ngx_atomic_t               overlay[NGX_HTTP_ATTCK_M_TRAININGS]
                                      [NGX_HTTP_ATTCK_M_OUTCOMES];
    ngx_http_attck_m_histogram_t  overlay_duration[NGX_HTTP_ATTCK_M_TRAININGS];

    ngx_atomic_t               tally_walks[2];  /* event loop, thread pool */
    ngx_atomic_t               tally_slices;
} ngx_http_attck_metrics_t;


static ngx_inline ngx_http_attck_metrics_t *
ngx_http_attck_metrics_get(ngx_http_attck_main_conf_t *amcf)
{
    return (amcf && amcf->sh) ? amcf->sh->metrics : NULL;
}


#define ngx_http_attck_count(amcf, field, n)                                 \
    do {                                                                      \
        ngx_http_attck_metrics_t  *m_ = ngx_http_attck_metrics_get(amcf);     \
        if (m_) {                                                             \
            (void) ngx_atomic_fetch_add(&m_->field, (ngx_atomic_int_t) (n));  \
        }                                                                     \
    } while (0)


/* whether this worker process's Redis connection is up, by process slot */

static ngx_inline void
ngx_http_attck_metrics_redis_up(ngx_http_attck_main_conf_t *amcf,
    ngx_uint_t up)
{
    ngx_http_attck_metrics_t  *m;

    m = ngx_http_attck_metrics_get(amcf);

    if (m && ngx_process_slot >= 0 && ngx_process_slot < NGX_MAX_PROCESSES) {
        m->redis_up[ngx_process_slot] = up ? (ngx_atomic_uint_t) ngx_pid : 0;
    }
}


/* an overlay subrequest of ngx_http_attck_cyberrange.c finished */
void ngx_http_attck_metrics_overlay(ngx_http_request_t *sr, ngx_str_t *label,
    ngx_int_t status);


#endif /* _NGX_HTTP_ATTCK_METRICS_H_INCLUDED_ */
