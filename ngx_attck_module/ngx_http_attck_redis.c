
/*
 * ngx_http_attck_module: the Redis client of a worker process.
 *
 * hiredis's asynchronous API on nginx's event loop: each worker process
 * opens one connection in init_process and wraps its socket in an nginx
 * connection whose events call hiredis.  hiredis owns the socket and
 * closes it; the nginx connection record is given back in its cleanup
 * hook.  The socket is registered level-triggered, as hiredis reads at
 * most 16 KB per call.  A lost connection is opened again by a timer a
 * second later, until the process exits.
 *
 * hiredis 0.14 has no timeouts of its own: each request's commands have
 * an nginx timer, after which the request is answered 504 and the
 * replies, when they come, are dropped.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_redis.h"
#include "ngx_http_attck_metrics.h"


#define NGX_HTTP_ATTCK_REDIS_RECONNECT    1000
#define NGX_HTTP_ATTCK_REDIS_MAX_WAITING  4096


typedef struct {
    ngx_http_attck_main_conf_t     *amcf;
    redisAsyncContext              *ac;
    ngx_event_t                     reconnect;
    ngx_uint_t                      setup;     /* AUTH, SELECT not answered */
    ngx_uint_t                      waiting;   /* requests' commands */
    ngx_http_attck_redis_ready_pt   on_ready;
    unsigned                        connected:1;
    unsigned                        ready:1;
    unsigned                        failed:1;  /* logged, until ready again */
    unsigned                        exiting:1;
} ngx_http_attck_redis_t;


static void ngx_http_attck_redis_connect(ngx_event_t *ev);
static void ngx_http_attck_redis_setup(redisAsyncContext *ac,
    const char *name, ngx_str_t *arg);
static void ngx_http_attck_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_attck_redis_setup_reply(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_attck_redis_ready(void);
static void ngx_http_attck_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_attck_redis_read(ngx_event_t *rev);
static void ngx_http_attck_redis_write(ngx_event_t *wev);
static void ngx_http_attck_redis_add_read(void *data);
static void ngx_http_attck_redis_del_read(void *data);
static void ngx_http_attck_redis_add_write(void *data);
static void ngx_http_attck_redis_del_write(void *data);
static void ngx_http_attck_redis_cleanup(void *data);
static void ngx_http_attck_redis_reply(redisAsyncContext *ac, void *reply,
    void *data);
static void ngx_http_attck_redis_timeout(ngx_event_t *ev);
static void ngx_http_attck_redis_request_done(void *data);
static void ngx_http_attck_redis_detach(ngx_http_attck_redis_cmd_t *cmd);


static ngx_http_attck_redis_t  ngx_http_attck_redis;


ngx_int_t
ngx_http_attck_redis_init(ngx_cycle_t *cycle, ngx_http_attck_main_conf_t *amcf)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    rd->amcf = amcf;

    /* cancelable: a graceful shutdown does not wait for it */

    rd->reconnect.handler = ngx_http_attck_redis_connect;
    rd->reconnect.data = rd;
    rd->reconnect.log = cycle->log;
    rd->reconnect.cancelable = 1;

    ngx_http_attck_redis_connect(&rd->reconnect);

    return NGX_OK;
}


void
ngx_http_attck_redis_exit(ngx_cycle_t *cycle)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    /* the callbacks run with no reply, the cleanup hook closes */

    if (rd->ac) {
        redisAsyncFree(rd->ac);
    }
}


void
ngx_http_attck_redis_on_ready(ngx_http_attck_redis_ready_pt handler)
{
    ngx_http_attck_redis.on_ready = handler;
}


static void
ngx_http_attck_redis_connect(ngx_event_t *ev)
{
    ngx_connection_t             *c;
    redisAsyncContext            *ac;
    ngx_http_attck_redis_t       *rd;
    ngx_http_attck_redis_conf_t  *rcf;

    rd = ev->data;
    rcf = rd->amcf->redis;

    if (rd->exiting || ngx_exiting || rd->ac) {
        return;
    }

    /* an IP address or a path: nothing is resolved, nothing blocks */

    if (rcf->path) {
        ac = redisAsyncConnectUnix((char *) rcf->path);

    } else {
        ac = redisAsyncConnect((char *) rcf->host, rcf->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "attck redis \"%V\": no memory for a connection",
                      &rcf->name);
        goto again;
    }

    if (ac->err) {
        ngx_http_attck_count(rd->amcf, redis_connection_errors, 1);

        if (!rd->failed) {
            ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                          "attck redis \"%V\": cannot connect: %s; trying "
                          "again every second", &rcf->name, ac->errstr);
            rd->failed = 1;
        }

        redisAsyncFree(ac);
        goto again;
    }

    c = ngx_get_connection(ac->c.fd, ev->log);

    if (c == NULL) {
        redisAsyncFree(ac);
        goto again;
    }

    c->data = ac;
    c->read->handler = ngx_http_attck_redis_read;
    c->write->handler = ngx_http_attck_redis_write;
    c->read->log = c->log;
    c->write->log = c->log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_attck_redis_add_read;
    ac->ev.delRead = ngx_http_attck_redis_del_read;
    ac->ev.addWrite = ngx_http_attck_redis_add_write;
    ac->ev.delWrite = ngx_http_attck_redis_del_write;
    ac->ev.cleanup = ngx_http_attck_redis_cleanup;

    rd->ac = ac;

    /*
     * a peer that went away unseen is noticed; TCP only: on a unix socket
     * it fails, and would leave the context marked failed
     */

    if (rcf->host) {
        (void) redisEnableKeepAlive(&ac->c);
    }

    /* the first write event says the connection is made */

    (void) redisAsyncSetConnectCallback(ac, ngx_http_attck_redis_connected);
    (void) redisAsyncSetDisconnectCallback(ac,
                                         ngx_http_attck_redis_disconnected);

    /* sent as soon as the connection is made, before any other command */

    if (rcf->password.len) {
        ngx_http_attck_redis_setup(ac, "AUTH", &rcf->password);
    }

    if (rcf->db >= 0) {
        ngx_http_attck_redis_setup(ac, "SELECT", NULL);
    }

    return;

again:

    ngx_add_timer(&rd->reconnect, NGX_HTTP_ATTCK_REDIS_RECONNECT);
}


static void
ngx_http_attck_redis_setup(redisAsyncContext *ac, const char *name,
    ngx_str_t *arg)
{
    u_char                        db[NGX_INT_T_LEN];
    ngx_http_attck_redis_argv_t   cmd;

    cmd.argc = 2;
    cmd.argv[0] = name;
    cmd.argvlen[0] = ngx_strlen(name);

    if (arg) {
        cmd.argv[1] = (const char *) arg->data;
        cmd.argvlen[1] = arg->len;

    } else {
        cmd.argv[1] = (const char *) db;
        cmd.argvlen[1] = ngx_sprintf(db, "%i", ngx_http_attck_redis.amcf
                                                ->redis->db)
                         - db;
    }

    if (redisAsyncCommandArgv(ac, ngx_http_attck_redis_setup_reply,
                              (void *) name, cmd.argc, cmd.argv,
                              cmd.argvlen)
        == REDIS_OK)
    {
        ngx_http_attck_redis.setup++;
    }
}


static void
ngx_http_attck_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    if (status != REDIS_OK) {
        ngx_http_attck_count(rd->amcf, redis_connection_errors, 1);

        if (!rd->failed) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "attck redis \"%V\": cannot connect: %s; trying "
                          "again every second", &rd->amcf->redis->name,
                          ac->c.errstr);
            rd->failed = 1;
        }

        /* hiredis closes the connection next: see the cleanup hook */

        return;
    }

    rd->connected = 1;

    if (rd->setup == 0) {
        ngx_http_attck_redis_ready();
    }
}


static void
ngx_http_attck_redis_setup_reply(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply  *rr = reply;

    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    if (rr == NULL) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_attck_count(rd->amcf, redis_reply_errors, 1);

        if (!rd->failed) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "attck redis \"%V\": %s refused: %*s; trying "
                          "again every second", &rd->amcf->redis->name,
                          (char *) data, ngx_min(rr->len, 256), rr->str);
            rd->failed = 1;
        }

        /* freed when this callback returns; the cleanup hook reconnects */

        redisAsyncFree(ac);
        return;
    }

    if (--rd->setup == 0 && rd->connected) {
        ngx_http_attck_redis_ready();
    }
}


static void
ngx_http_attck_redis_ready(void)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    rd->ready = 1;
    ngx_http_attck_metrics_redis_up(rd->amcf, 1);

    if (rd->failed) {
        ngx_http_attck_count(rd->amcf, redis_reconnects, 1);

        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "attck redis \"%V\": connected",
                      &rd->amcf->redis->name);
        rd->failed = 0;
    }

    if (rd->on_ready) {
        rd->on_ready();
    }
}


static void
ngx_http_attck_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    if (status == REDIS_OK || rd->exiting || rd->failed) {
        return;
    }

    ngx_http_attck_count(rd->amcf, redis_connection_errors, 1);

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "attck redis \"%V\": connection lost: %s; trying again "
                  "every second", &rd->amcf->redis->name,
                  ac->errstr ? ac->errstr : "closed");
    rd->failed = 1;
}


static void
ngx_http_attck_redis_read(ngx_event_t *rev)
{
    ngx_connection_t  *c;

    c = rev->data;

    redisAsyncHandleRead(c->data);
}


static void
ngx_http_attck_redis_write(ngx_event_t *wev)
{
    ngx_connection_t  *c;

    c = wev->data;

    redisAsyncHandleWrite(c->data);
}


/* hiredis's event hooks; level-triggered, so no byte is left unread */

static void
ngx_http_attck_redis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->read->active) {
        (void) ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_attck_redis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_attck_redis_add_write(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->write->active) {
        (void) ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_attck_redis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


/*
 * hiredis is about to close the socket: the events go (closing removes
 * the socket from epoll) and the connection record is given back.
 */

static void
ngx_http_attck_redis_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    /* hiredis closes the socket itself: nginx only gives back its record */

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;

    rd->ac = NULL;
    rd->setup = 0;
    rd->connected = 0;
    rd->ready = 0;
    ngx_http_attck_metrics_redis_up(rd->amcf, 0);

    if (!rd->exiting && !ngx_exiting) {
        ngx_add_timer(&rd->reconnect, NGX_HTTP_ATTCK_REDIS_RECONNECT);
    }
}


const char *
ngx_http_attck_redis_unavailable(void)
{
    if (!ngx_http_attck_redis.ready) {
        return "Redis is not connected";
    }

    if (ngx_http_attck_redis.waiting >= NGX_HTTP_ATTCK_REDIS_MAX_WAITING) {
        return "too many commands wait for Redis";
    }

    return NULL;
}


ngx_http_attck_redis_cmd_t *
ngx_http_attck_redis_create(ngx_http_request_t *r,
    ngx_http_attck_redis_reply_pt handler, size_t size)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_attck_redis_cmd_t  *cmd;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cmd = ngx_calloc(sizeof(ngx_http_attck_redis_cmd_t) + size,
                     r->connection->log);
    if (cmd == NULL) {
        return NULL;
    }

    cmd->request = r;
    cmd->cleanup = cln;
    cmd->handler = handler;
    cmd->data = (u_char *) cmd + sizeof(ngx_http_attck_redis_cmd_t);

    cmd->timer.handler = ngx_http_attck_redis_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = r->connection->log;

    cln->handler = ngx_http_attck_redis_request_done;
    cln->data = cmd;

    return cmd;
}


/* the commands go out together: one round trip */

ngx_int_t
ngx_http_attck_redis_send(ngx_http_attck_redis_cmd_t *cmd,
    ngx_http_attck_redis_argv_t *cmds, ngx_uint_t n)
{
    ngx_uint_t               i;
    ngx_http_request_t      *r;
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;
    r = cmd->request;

    for (i = 0; i < n; i++) {
        if (!rd->ready
            || redisAsyncCommandArgv(rd->ac, ngx_http_attck_redis_reply, cmd,
                                     cmds[i].argc, cmds[i].argv,
                                     cmds[i].argvlen)
               != REDIS_OK)
        {
            break;
        }

        cmd->sent++;
        rd->waiting++;
        ngx_http_attck_count(rd->amcf, redis_waiting, 1);
    }

    if (i < n) {
        ngx_http_attck_redis_detach(cmd);

        if (cmd->sent == 0) {
            ngx_free(cmd);
        }

        return NGX_ERROR;
    }

    ngx_add_timer(&cmd->timer, rd->amcf->redis_timeout);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_attck_redis_reply(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply                  *rr = reply;
    ngx_http_attck_redis_cmd_t  *cmd = data;

    ngx_int_t                rc;
    ngx_uint_t               index;
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    index = cmd->replies++;
    rd->waiting--;
    ngx_http_attck_count(rd->amcf, redis_waiting, -1);

    if (rd->exiting) {

        /* the process exits: nothing is answered, freed or finalized */

        return;
    }

    if (cmd->request) {

        if (rr == NULL) {
            rc = ngx_http_attck_error(cmd->request,
                                      NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "unavailable",
                                      "the connection to Redis was lost");
            ngx_http_attck_redis_finish(cmd, rc);

        } else if (rr->type == REDIS_REPLY_ERROR) {
            ngx_http_attck_count(rd->amcf, redis_reply_errors, 1);
            ngx_log_error(NGX_LOG_ERR, cmd->request->connection->log, 0,
                          "attck redis: %*s", ngx_min(rr->len, 256),
                          rr->str);
            rc = ngx_http_attck_error(cmd->request, NGX_HTTP_BAD_GATEWAY,
                                      "bad gateway",
                                      "Redis refused the command");
            ngx_http_attck_redis_finish(cmd, rc);

        } else {
            cmd->handler(cmd, rr, index);
        }

        if (cmd->request && cmd->replies == cmd->sent) {
            ngx_log_error(NGX_LOG_ALERT, cmd->request->connection->log, 0,
                          "attck redis: a request was left unanswered");
            ngx_http_attck_redis_finish(cmd, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }
    }

    if (cmd->replies == cmd->sent) {
        ngx_free(cmd);
    }
}


void
ngx_http_attck_redis_finish(ngx_http_attck_redis_cmd_t *cmd, ngx_int_t rc)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = cmd->request;
    c = r->connection;

    ngx_http_attck_redis_detach(cmd);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_attck_redis_timeout(ngx_event_t *ev)
{
    ngx_int_t                    rc;
    ngx_http_attck_redis_cmd_t  *cmd;

    cmd = ev->data;

    ngx_http_attck_count(ngx_http_attck_redis.amcf, redis_timeouts, 1);

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "attck redis: no answer within %M ms",
                  ngx_http_attck_redis.amcf->redis_timeout);

    rc = ngx_http_attck_error(cmd->request, NGX_HTTP_GATEWAY_TIME_OUT,
                              "gateway timeout",
                              "Redis did not answer within %M ms",
                              ngx_http_attck_redis.amcf->redis_timeout);

    ngx_http_attck_redis_finish(cmd, rc);
}


/* the request is freed before its replies came: they will be dropped */

static void
ngx_http_attck_redis_request_done(void *data)
{
    ngx_http_attck_redis_cmd_t  *cmd = data;

    cmd->cleanup = NULL;
    ngx_http_attck_redis_detach(cmd);
}


static void
ngx_http_attck_redis_detach(ngx_http_attck_redis_cmd_t *cmd)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (cmd->cleanup) {
        cmd->cleanup->handler = NULL;
        cmd->cleanup = NULL;
    }

    cmd->request = NULL;
}


ngx_int_t
ngx_http_attck_redis_command(redisCallbackFn *fn, void *data,
    ngx_http_attck_redis_argv_t *cmd)
{
    ngx_http_attck_redis_t  *rd;

    rd = &ngx_http_attck_redis;

    if (!rd->ready) {
        return NGX_DECLINED;
    }

    if (redisAsyncCommandArgv(rd->ac, fn, data, cmd->argc, cmd->argv,
                              cmd->argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
