
/*
 * attck-worker: each stage's last run in Redis, "attck:stage:NAME".
 *
 * run and daemon record a stage's start and end around the child process
 * it runs in (schedule.c), so that a stage killed by a signal is recorded
 * too; the stage itself adds its counts as it logs them.  The start
 * clears the hash: what is there is always one run's.  A stage run as a
 * command of its own (attck-worker publish) records nothing: it talks to
 * no Redis but the one it was asked to.
 *
 * One connection per process: a child forked by run or daemon does not
 * use its parent's, it opens its own.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redis.h"
#include "stage.h"
#include "util.h"


static redisContext  *attck_stage_redis;
static pid_t          attck_stage_pid;
static int            attck_stage_failed;
static int            attck_stage_active;   /* under run or daemon */


static redisContext *attck_stage_connect(void);
static void attck_stage_command(const char *fmt, ...);


static redisContext *
attck_stage_connect(void)
{
    char         err[256];
    const char  *url;

    if (attck_stage_redis && attck_stage_pid != getpid()) {

        /* the parent's: its socket is closed here only, never used */

        redisFree(attck_stage_redis);
        attck_stage_redis = NULL;
        attck_stage_failed = 0;
    }

    if (attck_stage_redis || attck_stage_failed) {
        return attck_stage_redis;
    }

    url = getenv("ATTCK_REDIS_URL");

    if (url == NULL || *url == '\0') {
        attck_stage_failed = 1;
        return NULL;
    }

    attck_stage_redis = attck_redis_connect(url, err, sizeof(err));

    if (attck_stage_redis == NULL) {
        attck_log("warn", "the stage's record is not written to Redis: %s",
                  err);
        attck_stage_failed = 1;
        return NULL;
    }

    attck_stage_pid = getpid();

    return attck_stage_redis;
}


static void
attck_stage_command(const char *fmt, ...)
{
    char           err[256];
    va_list        ap;
    redisReply    *reply;
    redisContext  *c;

    if (!attck_stage_active) {
        return;
    }

    c = attck_stage_connect();

    if (c == NULL) {
        return;
    }

    va_start(ap, fmt);
    reply = attck_redis_vcommand(c, err, sizeof(err), fmt, ap);
    va_end(ap);

    if (reply == NULL) {
        attck_log("warn", "the stage's record is not written to Redis: %s",
                  err);
        redisFree(c);
        attck_stage_redis = NULL;
        attck_stage_failed = 1;
        return;
    }

    freeReplyObject(reply);
}


void
attck_stage_begin(const char *stage)
{
    /* a Redis that failed the last run is tried again */

    attck_stage_failed = 0;
    attck_stage_active = 1;

    attck_stage_command("DEL attck:stage:%s", stage);
    attck_stage_command("HSET attck:stage:%s started %lld", stage,
                        (long long) time(NULL));
}


void
attck_stage_end(const char *stage, int code)
{
    attck_stage_command("HSET attck:stage:%s ended %lld exit_code %d", stage,
                        (long long) time(NULL), code);
}


void
attck_stage_count(const char *stage, const char *what, const char *source,
    long long n)
{
    if (source) {
        attck_stage_command("HSET attck:stage:%s count:%s:%s %lld", stage,
                            what, source, n);

    } else {
        attck_stage_command("HSET attck:stage:%s count:%s %lld", stage, what,
                            n);
    }
}


void
attck_stage_set(const char *stage, const char *field, const char *value)
{
    attck_stage_command("HSET attck:stage:%s %s %s", stage, field, value);
}
