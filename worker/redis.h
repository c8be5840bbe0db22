
/*
 * attck-worker: Redis through hiredis, for publish.
 */

#ifndef _ATTCK_REDIS_H_INCLUDED_
#define _ATTCK_REDIS_H_INCLUDED_


#include <stdarg.h>
#include <stddef.h>

#include <hiredis/hiredis.h>


/*
 * Connects to url: redis://[:password@]host[:port][/db], or a unix socket
 * path (/run/redis.sock, unix:/run/redis.sock); AUTH and SELECT follow.
 * Connecting and every read and write wait ATTCK_REDIS_TIMEOUT seconds at
 * most (30).  NULL with err set; err never holds the password.
 */
redisContext *attck_redis_connect(const char *url, char *err, size_t errlen);

/* whether url is an address of the kinds above: 0, or -1 with err set */
int attck_redis_valid(const char *url, char *err, size_t errlen);

/*
 * The reply of one command, or NULL with err set (the connection failed,
 * or Redis answered an error); the caller frees it with freeReplyObject.
 */
redisReply *attck_redis_command(redisContext *c, char *err, size_t errlen,
    const char *fmt, ...);
redisReply *attck_redis_vcommand(redisContext *c, char *err, size_t errlen,
    const char *fmt, va_list ap);

/* reads n pipelined replies; 0, or -1 with err set at the first failure */
int attck_redis_drain(redisContext *c, size_t n, char *err, size_t errlen);

/*
 * Whether the connection failed because Redis did not answer in time:
 * then what was sent may still be carried out later
 */
int attck_redis_timed_out(redisContext *c);


#endif /* _ATTCK_REDIS_H_INCLUDED_ */
