
/*
 * ngx_http_attck_module: the Redis client of a worker process (hiredis
 * driven by nginx's event loop), shared by the Redis-backed endpoints
 * (ngx_http_attck_threats.c) and the watcher of published snapshots
 * (ngx_http_attck_refresh.c).
 */

#ifndef _NGX_HTTP_ATTCK_REDIS_H_INCLUDED_
#define _NGX_HTTP_ATTCK_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_attck_module.h"


#define NGX_HTTP_ATTCK_REDIS_MAX_ARGS  8


/* one command: every argument is passed binary-safe, never formatted */

typedef struct {
    int                        argc;
    const char                *argv[NGX_HTTP_ATTCK_REDIS_MAX_ARGS];
    size_t                     argvlen[NGX_HTTP_ATTCK_REDIS_MAX_ARGS];
} ngx_http_attck_redis_argv_t;


typedef struct ngx_http_attck_redis_cmd_s  ngx_http_attck_redis_cmd_t;

/*
 * Called for each reply of a request's commands in turn (index from 0),
 * never with an error reply nor after the request was answered: it
 * answers with ngx_http_attck_redis_finish() at the latest on the last.
 */
typedef void (*ngx_http_attck_redis_reply_pt)(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *reply, ngx_uint_t index);


/*
 * The commands of one request.  Allocated apart from the request's pool:
 * the replies may come after the request is gone (a timeout, a client
 * that closed), and the last of them frees it.
 */

struct ngx_http_attck_redis_cmd_s {
    ngx_http_request_t              *request;   /* NULL: answered or gone */
    ngx_pool_cleanup_t              *cleanup;
    ngx_event_t                      timer;
    ngx_http_attck_redis_reply_pt    handler;
    ngx_uint_t                       sent;
    ngx_uint_t                       replies;
    void                            *data;      /* the caller's bytes */
};


/* NULL when commands can be sent, or why not */
const char *ngx_http_attck_redis_unavailable(void);
ngx_http_attck_redis_cmd_t *ngx_http_attck_redis_create(ngx_http_request_t *r,
    ngx_http_attck_redis_reply_pt handler, size_t size);
/*
 * NGX_DONE: sent, the request waits; NGX_ERROR: nothing more may be done
 * with cmd, answer 503
 */
ngx_int_t ngx_http_attck_redis_send(ngx_http_attck_redis_cmd_t *cmd,
    ngx_http_attck_redis_argv_t *cmds, ngx_uint_t n);
void ngx_http_attck_redis_finish(ngx_http_attck_redis_cmd_t *cmd,
    ngx_int_t rc);

/* a command of the process itself: NGX_DECLINED when not connected */
ngx_int_t ngx_http_attck_redis_command(redisCallbackFn *fn, void *data,
    ngx_http_attck_redis_argv_t *cmd);

/*
 * called each time the connection is ready (again), so that a user of
 * the client (the watcher, ngx_http_attck_refresh.c) need not be known
 * here
 */
typedef void (*ngx_http_attck_redis_ready_pt)(void);
void ngx_http_attck_redis_on_ready(ngx_http_attck_redis_ready_pt handler);


#endif /* _NGX_HTTP_ATTCK_REDIS_H_INCLUDED_ */
