
/*
 * attck-worker: Redis through hiredis, for publish.  A batch program may
 * block, so this is hiredis's plain synchronous API with timeouts.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"
#include "util.h"


/* seconds, to connect and per read or write; ATTCK_REDIS_TIMEOUT */
#define ATTCK_REDIS_TIMEOUT  30


typedef struct {
    char   host[256];
    int    port;
    int    unix_socket;
    char   password[256];
    int    db;
} attck_redis_url_t;


static int attck_redis_parse(const char *url, attck_redis_url_t *u,
    char *err, size_t errlen);
static void attck_redis_unescape(char *dst, size_t size, const char *src,
    size_t len);
static redisReply *attck_redis_check(redisContext *c, redisReply *reply,
    char *err, size_t errlen);
static void attck_redis_failed(redisContext *c, char *err, size_t errlen);


static long  attck_redis_timeout = ATTCK_REDIS_TIMEOUT;


/* "%41" -> "A": a password in a URL may carry any byte */

static void
attck_redis_unescape(char *dst, size_t size, const char *src, size_t len)
{
    size_t        i, n;
    unsigned int  byte;

    for (i = 0, n = 0; i < len && n + 1 < size; i++) {
        if (src[i] == '%' && i + 2 < len
            && sscanf(src + i + 1, "%2x", &byte) == 1)
        {
            dst[n++] = (char) byte;
            i += 2;
            continue;
        }

        dst[n++] = src[i];
    }

    dst[n] = '\0';
}


static int
attck_redis_parse(const char *url, attck_redis_url_t *u, char *err,
    size_t errlen)
{
    char        *end;
    size_t       len;
    const char  *p, *at, *colon, *slash, *host_end;

    memset(u, 0, sizeof(attck_redis_url_t));
    u->port = 6379;

    if (strncmp(url, "unix:", 5) == 0 || url[0] == '/') {
        p = url[0] == '/' ? url : url + 5;

        if (strlen(p) >= sizeof(u->host)) {
            snprintf(err, errlen, "Redis socket path is too long");
            return -1;
        }

        strcpy(u->host, p);
        u->unix_socket = 1;
        return 0;
    }

    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "Redis address is neither redis://host:port "
                 "nor a unix socket path");
        return -1;
    }

    p = url + 8;
    slash = strchr(p, '/');
    at = memchr(p, '@', slash ? (size_t) (slash - p) : strlen(p));

    /* [user]:password@ -- Redis 6 ACL users are not needed here */

    if (at) {
        colon = memchr(p, ':', (size_t) (at - p));

        if (colon) {
            attck_redis_unescape(u->password, sizeof(u->password),
                                 colon + 1, (size_t) (at - colon - 1));
        }

        p = at + 1;
    }

    len = slash ? (size_t) (slash - p) : strlen(p);

    if (p[0] == '[') {
        host_end = memchr(p, ']', len);
        if (host_end == NULL) {
            snprintf(err, errlen, "Redis address: unclosed [ in host");
            return -1;
        }

        colon = (host_end + 1 < p + len && host_end[1] == ':')
                ? host_end + 1 : NULL;
        p++;

    } else {
        colon = memchr(p, ':', len);
        host_end = colon ? colon : p + len;
    }

    if (host_end == p || (size_t) (host_end - p) >= sizeof(u->host)) {
        snprintf(err, errlen, "Redis address has no host");
        return -1;
    }

    memcpy(u->host, p, (size_t) (host_end - p));

    if (colon) {
        u->port = (int) strtol(colon + 1, &end, 10);

        if (end == colon + 1 || u->port < 1 || u->port > 65535
            || (*end != '\0' && *end != '/'))
        {
            snprintf(err, errlen, "Redis address has a bad port");
            return -1;
        }
    }

    if (slash && slash[1]) {
        u->db = (int) strtol(slash + 1, &end, 10);

        if (*end != '\0' || u->db < 0) {
            snprintf(err, errlen, "Redis address has a bad database "
                     "number");
            return -1;
        }
    }

    return 0;
}


int
attck_redis_valid(const char *url, char *err, size_t errlen)
{
    attck_redis_url_t  u;

    return attck_redis_parse(url, &u, err, errlen);
}


redisContext *
attck_redis_connect(const char *url, char *err, size_t errlen)
{
    char               where[300];
    redisReply        *reply;
    redisContext      *c;
    struct timeval     tv;
    attck_redis_url_t  u;

    if (attck_redis_parse(url, &u, err, errlen) != 0) {
        return NULL;
    }

    attck_redis_timeout = attck_number_env("redis", "ATTCK_REDIS_TIMEOUT",
                                           ATTCK_REDIS_TIMEOUT, 1, 3600);

    tv.tv_sec = attck_redis_timeout;
    tv.tv_usec = 0;

    if (u.unix_socket) {
        snprintf(where, sizeof(where), "%s", u.host);
        c = redisConnectUnixWithTimeout(u.host, tv);

    } else {
        snprintf(where, sizeof(where), "%s:%d", u.host, u.port);
        c = redisConnectWithTimeout(u.host, u.port, tv);
    }

    if (c == NULL || c->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", where,
                 c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }

    (void) redisSetTimeout(c, tv);

    if (u.password[0]) {
        reply = redisCommand(c, "AUTH %s", u.password);
        memset(u.password, 0, sizeof(u.password));

        if (attck_redis_check(c, reply, err, errlen) == NULL) {
            if (reply) {
                snprintf(err, errlen, "Redis at %s refused the password",
                         where);
            }

            redisFree(c);
            return NULL;
        }

        freeReplyObject(reply);
    }

    if (u.db) {
        reply = redisCommand(c, "SELECT %d", u.db);

        if (attck_redis_check(c, reply, err, errlen) == NULL) {
            redisFree(c);
            return NULL;
        }

        freeReplyObject(reply);
    }

    attck_log("info", "connected to Redis at %s, database %d", where, u.db);

    return c;
}


/*
 * hiredis keeps only the text of errno: a read or write that ran into the
 * socket's timeout is "Resource temporarily unavailable"
 */

int
attck_redis_timed_out(redisContext *c)
{
    return c->err == REDIS_ERR_IO
           && (strcmp(c->errstr, strerror(EAGAIN)) == 0
               || strcmp(c->errstr, strerror(ETIMEDOUT)) == 0);
}


static void
attck_redis_failed(redisContext *c, char *err, size_t errlen)
{
    if (attck_redis_timed_out(c)) {
        snprintf(err, errlen, "Redis: no answer in %ld s "
                 "(ATTCK_REDIS_TIMEOUT)", attck_redis_timeout);
        return;
    }

    snprintf(err, errlen, "Redis: %s", c->err ? c->errstr : "no reply");
}


static redisReply *
attck_redis_check(redisContext *c, redisReply *reply, char *err,
    size_t errlen)
{
    if (reply == NULL) {
        attck_redis_failed(c, err, errlen);
        return NULL;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis: %.*s", (int) reply->len, reply->str);
        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


redisReply *
attck_redis_command(redisContext *c, char *err, size_t errlen,
    const char *fmt, ...)
{
    va_list      ap;
    redisReply  *reply;

    va_start(ap, fmt);
    reply = attck_redis_vcommand(c, err, errlen, fmt, ap);
    va_end(ap);

    return reply;
}


redisReply *
attck_redis_vcommand(redisContext *c, char *err, size_t errlen,
    const char *fmt, va_list ap)
{
    return attck_redis_check(c, redisvCommand(c, fmt, ap), err, errlen);
}


int
attck_redis_drain(redisContext *c, size_t n, char *err, size_t errlen)
{
    int          rc;
    void        *p;
    redisReply  *reply;

    rc = 0;

    while (n--) {
        if (redisGetReply(c, &p) != REDIS_OK) {
            attck_redis_failed(c, err, errlen);
            return -1;
        }

        reply = attck_redis_check(c, p, err, errlen);

        if (reply == NULL) {
            rc = -1;        /* read the rest, so the replies stay in step */
            continue;
        }

        freeReplyObject(reply);
    }

    return rc;
}
