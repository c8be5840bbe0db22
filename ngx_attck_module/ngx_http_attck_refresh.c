
/*
 * ngx_http_attck_module: the watcher of "attck:current" in Redis.
 *
 * One worker process of an nginx instance (the first) reads the pointer
 * "GEN SHA" every attck_refresh_interval.  With attck_refresh on, a new
 * SHA is fetched from "attck:snapshot:SHA", checked in full and made
 * current in the zone the way a reload does; only then does GEN become
 * the generation of the threat data of every worker process, so that the
 * snapshot and the threat data change together.  A snapshot that does not
 * pass is refused and logged once; the current one keeps serving.
 *
 * A generation loaded from Redis keeps the name of its snapshot in the
 * zone, so that it is not fetched again, by the next worker process after
 * a reload either.  The size of a new snapshot is asked for first, and a
 * snapshot too large for the zone is not fetched at all.
 *
 * With attck_refresh_key the pointer must read "GEN SHA HMAC" with the
 * HMAC of "GEN SHA" under the key (ngx_http_attck_sign.c), and the bytes
 * fetched must hash to SHA before anything else looks at them; a pointer
 * that is not signed so is ignored and logged once, like a malformed one.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_redis.h"
#include "ngx_http_attck_sign.h"
#include "ngx_http_attck_metrics.h"


#define NGX_HTTP_ATTCK_CURRENT_KEY   "attck:current"
#define NGX_HTTP_ATTCK_SNAPSHOT_KEY  "attck:snapshot:"
#define NGX_HTTP_ATTCK_MAX_POINTER   160

/* a snapshot that does not fit yet is fetched again this much later */
#define NGX_HTTP_ATTCK_RETRY         5000


typedef struct {
    ngx_http_attck_main_conf_t  *amcf;
    ngx_event_t                  timer;
    ngx_uint_t                   generation;    /* being followed */
    u_char                       sha[NGX_HTTP_ATTCK_SHA_LEN];
    u_char                       key[sizeof(NGX_HTTP_ATTCK_SNAPSHOT_KEY) - 1
                                     + NGX_HTTP_ATTCK_SHA_LEN];
    u_char                       logged[NGX_HTTP_ATTCK_SHA_LEN];
    ngx_msec_t                   retry;         /* of logged, not before */
    uint32_t                     bad;           /* a bad pointer, logged */
    unsigned                     active:1;
    unsigned                     busy:1;        /* commands under way */
} ngx_http_attck_refresh_t;


static void ngx_http_attck_refresh_poll(ngx_event_t *ev);
static void ngx_http_attck_refresh_send(ngx_http_attck_refresh_t *rf,
    const char *name, u_char *key, size_t len, redisCallbackFn *fn);
static void ngx_http_attck_refresh_current(redisAsyncContext *ac,
    void *reply, void *data);
static ngx_int_t ngx_http_attck_refresh_parse(ngx_http_attck_refresh_t *rf,
    redisReply *rr);
static ngx_uint_t ngx_http_attck_refresh_hex(u_char *p, size_t len);
static void ngx_http_attck_refresh_size(redisAsyncContext *ac, void *reply,
    void *data);
static void ngx_http_attck_refresh_snapshot(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_attck_refresh_missing(ngx_http_attck_refresh_t *rf);
static ngx_uint_t ngx_http_attck_refresh_error(ngx_http_attck_refresh_t *rf,
    redisReply *rr);
static void ngx_http_attck_refresh_refuse(ngx_http_attck_refresh_t *rf,
    char *err);
static ngx_uint_t ngx_http_attck_refresh_refused(ngx_http_attck_refresh_t *rf);
static ngx_uint_t ngx_http_attck_refresh_current_number(
    ngx_http_attck_main_conf_t *amcf);


static ngx_http_attck_refresh_t  ngx_http_attck_refresh;


void
ngx_http_attck_refresh_init(ngx_cycle_t *cycle,
    ngx_http_attck_main_conf_t *amcf)
{
    ngx_http_attck_refresh_t  *rf;

    rf = &ngx_http_attck_refresh;

    rf->amcf = amcf;
    rf->active = 1;

    rf->timer.handler = ngx_http_attck_refresh_poll;
    rf->timer.data = rf;
    rf->timer.log = cycle->log;
    rf->timer.cancelable = 1;

    ngx_http_attck_redis_on_ready(ngx_http_attck_refresh_now);

    ngx_add_timer(&rf->timer, amcf->refresh_interval);
}


/* Redis is connected (again): look at once */

void
ngx_http_attck_refresh_now(void)
{
    ngx_http_attck_refresh_t  *rf;

    rf = &ngx_http_attck_refresh;

    if (rf->active && !rf->busy && !ngx_exiting) {
        ngx_add_timer(&rf->timer, 1);
    }
}


/* the watcher's commands: one at a time, NAME KEY */

static void
ngx_http_attck_refresh_send(ngx_http_attck_refresh_t *rf, const char *name,
    u_char *key, size_t len, redisCallbackFn *fn)
{
    ngx_http_attck_redis_argv_t  cmd;

    cmd.argc = 2;
    cmd.argv[0] = name;
    cmd.argvlen[0] = ngx_strlen(name);
    cmd.argv[1] = (const char *) key;
    cmd.argvlen[1] = len;

    if (ngx_http_attck_redis_command(fn, rf, &cmd) == NGX_OK) {
        rf->busy = 1;
    }
}


static void
ngx_http_attck_refresh_poll(ngx_event_t *ev)
{
    ngx_http_attck_refresh_t  *rf;

    rf = ev->data;

    if (ngx_exiting) {
        return;
    }

    if (!rf->busy) {
        ngx_http_attck_refresh_send(rf, "GET",
                                    (u_char *) NGX_HTTP_ATTCK_CURRENT_KEY,
                                    sizeof(NGX_HTTP_ATTCK_CURRENT_KEY) - 1,
                                    ngx_http_attck_refresh_current);
    }

    ngx_add_timer(ev, rf->amcf->refresh_interval);
}


static void
ngx_http_attck_refresh_current(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                *rr = reply;
    ngx_http_attck_refresh_t  *rf = data;

    u_char                      *p;
    ngx_http_attck_main_conf_t  *amcf;

    static u_char  none[NGX_HTTP_ATTCK_SHA_LEN];

    rf->busy = 0;
    amcf = rf->amcf;

    /* no reply: the connection is gone, what was seen last stays */

    if (rr == NULL || ngx_exiting || ngx_http_attck_refresh_error(rf, rr)) {
        return;
    }

    /*
     * Nothing is published in this Redis (an empty one after a restart):
     * no threat data until something is; the snapshot stays
     */

    if (rr->type == REDIS_REPLY_NIL) {
        if (ngx_http_attck_published(amcf, NULL)) {
            ngx_log_error(NGX_LOG_WARN, rf->timer.log, 0,
                          "attck: \"" NGX_HTTP_ATTCK_CURRENT_KEY "\" is "
                          "not in Redis: no threat data is served until a "
                          "generation is published");
            ngx_http_attck_set_published(amcf, 0, none);
        }

        return;
    }

    if (ngx_http_attck_refresh_parse(rf, rr) != NGX_OK) {
        return;
    }

    if (!amcf->refresh) {
        ngx_http_attck_set_published(amcf, rf->generation, rf->sha);
        return;
    }

    if (ngx_http_attck_refresh_refused(rf)) {
        return;
    }

    if (ngx_http_attck_is_current(amcf, rf->sha) == NGX_OK) {
        ngx_http_attck_set_published(amcf, rf->generation, rf->sha);
        return;
    }

    if (ngx_memcmp(rf->logged, rf->sha, NGX_HTTP_ATTCK_SHA_LEN) == 0
        && (ngx_msec_int_t) (rf->retry - ngx_current_msec) > 0)
    {
        return;
    }

    /* its size first: is it there, and does it fit? */

    p = ngx_cpymem(rf->key, NGX_HTTP_ATTCK_SNAPSHOT_KEY,
                   sizeof(NGX_HTTP_ATTCK_SNAPSHOT_KEY) - 1);
    ngx_memcpy(p, rf->sha, NGX_HTTP_ATTCK_SHA_LEN);

    ngx_http_attck_refresh_send(rf, "STRLEN", rf->key, sizeof(rf->key),
                                ngx_http_attck_refresh_size);
}


/*
 * "GEN SHA" or "GEN SHA HMAC": a generation above 0 of up to 19 digits,
 * 64 lowercase hex, and 64 more.  With attck_refresh_key HMAC must be
 * there, and be the HMAC-SHA256 of "GEN SHA" under the key.  A pointer
 * that does not pass is logged once, until it changes.
 */

static ngx_int_t
ngx_http_attck_refresh_parse(ngx_http_attck_refresh_t *rf, redisReply *rr)
{
    u_char      *p, *last, *space, *sha, *sig;
    uint32_t     crc;
    ngx_str_t   *key;
    ngx_uint_t   n;
    const char  *why;

    key = &rf->amcf->refresh_key;
    why = "is not \"GENERATION SHA256 [HMAC]\"";

    if (rr->type != REDIS_REPLY_STRING) {
        goto refused;
    }

    p = (u_char *) rr->str;
    last = p + rr->len;

    space = ngx_strlchr(p, last, ' ');

    if (space == NULL || space == p || space - p > 19
        || last - (space + 1) < NGX_HTTP_ATTCK_SHA_LEN)
    {
        goto refused;
    }

    sha = space + 1;
    sig = sha + NGX_HTTP_ATTCK_SHA_LEN;

    if (sig == last) {
        sig = NULL;

    } else if (*sig == ' ' && last - (sig + 1) == NGX_HTTP_ATTCK_SIG_LEN) {
        sig++;

    } else {
        goto refused;
    }

    for (n = 0; p < space; p++) {
        if (*p < '0' || *p > '9') {
            goto refused;
        }

        n = n * 10 + (*p - '0');
    }

    if (n == 0) {
        goto refused;
    }

    if (!ngx_http_attck_refresh_hex(sha, NGX_HTTP_ATTCK_SHA_LEN)
        || (sig && !ngx_http_attck_refresh_hex(sig, NGX_HTTP_ATTCK_SIG_LEN)))
    {
        goto refused;
    }

    if (key->len) {
        if (sig == NULL) {
            why = "is not signed, and attck_refresh_key is set";
            goto refused;
        }

        if (ngx_http_attck_verify(key, (u_char *) rr->str,
                                  sha + NGX_HTTP_ATTCK_SHA_LEN
                                  - (u_char *) rr->str, sig)
            != NGX_OK)
        {
            why = "is not signed with attck_refresh_key";
            goto refused;
        }
    }

    rf->generation = n;
    ngx_memcpy(rf->sha, sha, NGX_HTTP_ATTCK_SHA_LEN);
    rf->bad = 0;

    return NGX_OK;

refused:

    crc = (rr->type == REDIS_REPLY_STRING)
          ? ngx_crc32_long((u_char *) rr->str, rr->len) : (uint32_t) -1;

    if (rf->bad != crc) {
        ngx_http_attck_count(rf->amcf, refusals[NGX_HTTP_ATTCK_M_POINTER], 1);
        ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0,
                      "attck: \"" NGX_HTTP_ATTCK_CURRENT_KEY "\" in Redis "
                      "%s: \"%*s\"; ignored, generation %ui keeps serving",
                      why,
                      (rr->type == REDIS_REPLY_STRING)
                      ? ngx_min(rr->len, NGX_HTTP_ATTCK_MAX_POINTER) : 0,
                      rr->str,
                      ngx_http_attck_refresh_current_number(rf->amcf));
        rf->bad = crc;
    }

    return NGX_ERROR;
}


/* len lower-case hex digits */

static ngx_uint_t
ngx_http_attck_refresh_hex(u_char *p, size_t len)
{
    u_char  *last;

    for (last = p + len; p < last; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


static void
ngx_http_attck_refresh_size(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply                *rr = reply;
    ngx_http_attck_refresh_t  *rf = data;

    char                         err[512];
    size_t                       room;
    ngx_http_attck_main_conf_t  *amcf;

    rf->busy = 0;
    amcf = rf->amcf;

    if (rr == NULL || ngx_exiting || ngx_http_attck_refresh_error(rf, rr)) {
        return;
    }

    if (rr->type != REDIS_REPLY_INTEGER || rr->integer <= 0) {
        ngx_http_attck_refresh_missing(rf);
        return;
    }

    room = ngx_http_attck_room(amcf);

    if ((unsigned long long) rr->integer > room) {
        ngx_snprintf((u_char *) err, sizeof(err),
                     "attck snapshot \"%*s\" is %L bytes, too large for "
                     "zone \"%V\" (room for %uz)%Z", sizeof(rf->key),
                     rf->key, (int64_t) rr->integer,
                     &amcf->shm_zone->shm.name, room);
        ngx_http_attck_refresh_refuse(rf, err);
        return;
    }

    ngx_http_attck_refresh_send(rf, "GET", rf->key, sizeof(rf->key),
                                ngx_http_attck_refresh_snapshot);
}


/*
 * The whole snapshot is here: checked as a file is (format version, size,
 * checksum, every offset), then loaded beside the current generation and
 * made current; requests under way finish on the generation they hold.
 */

static void
ngx_http_attck_refresh_snapshot(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                *rr = reply;
    ngx_http_attck_refresh_t  *rf = data;

    char                         err[512];
    u_char                       hash[NGX_HTTP_ATTCK_SHA_LEN];
    ngx_int_t                    rc;
    ngx_str_t                    name;
    ngx_uint_t                   number;
    ngx_http_attck_main_conf_t  *amcf;

    rf->busy = 0;
    amcf = rf->amcf;

    if (rr == NULL || ngx_exiting || ngx_http_attck_refresh_error(rf, rr)) {
        return;
    }

    if (rr->type != REDIS_REPLY_STRING || rr->len == 0) {
        ngx_http_attck_refresh_missing(rf);
        return;
    }

    name.data = rf->key;
    name.len = sizeof(rf->key);

    /*
     * signed: the pointer vouches for SHA, so the bytes must hash to it
     * before they are looked at
     */

    if (amcf->refresh_key.len) {
        if (ngx_http_attck_sha256((u_char *) rr->str, rr->len, hash)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0,
                          "attck: SHA-256 of \"%V\" failed", &name);
            return;
        }

        if (ngx_memcmp(hash, rf->sha, NGX_HTTP_ATTCK_SHA_LEN) != 0) {
            ngx_snprintf((u_char *) err, sizeof(err),
                         "attck snapshot \"%V\" refused: its bytes hash "
                         "to %*s, not to the name the signed pointer "
                         "gives%Z", &name, (size_t) NGX_HTTP_ATTCK_SHA_LEN,
                         hash);
            ngx_http_attck_refresh_refuse(rf, err);
            return;
        }
    }

    if (ngx_http_attck_check(amcf, (u_char *) rr->str, rr->len, &name, err,
                             sizeof(err))
        != NGX_OK)
    {
        ngx_http_attck_refresh_refuse(rf, err);
        return;
    }

    rc = ngx_http_attck_swap(amcf, (u_char *) rr->str, rr->len, rf->sha,
                             &name, rf->timer.log, &number, err, sizeof(err));

    if (rc == NGX_OK || rc == NGX_DECLINED) {

        /* the snapshot is current: now its threat data may be read */

        ngx_http_attck_set_published(amcf, rf->generation, rf->sha);
        ngx_memzero(rf->logged, NGX_HTTP_ATTCK_SHA_LEN);
        return;
    }

    /* no room yet beside generations still in use: later, logged once */

    if (ngx_memcmp(rf->logged, rf->sha, NGX_HTTP_ATTCK_SHA_LEN) != 0) {
        ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0, "%s", err);
        ngx_memcpy(rf->logged, rf->sha, NGX_HTTP_ATTCK_SHA_LEN);
    }

    rf->retry = ngx_current_msec + NGX_HTTP_ATTCK_RETRY;
}


/*
 * Redis answered an error (NOAUTH, WRONGTYPE, a replica loading...): it
 * says why, once until the answer changes; what is served stays.
 */

static ngx_uint_t
ngx_http_attck_refresh_error(ngx_http_attck_refresh_t *rf, redisReply *rr)
{
    uint32_t  crc;

    if (rr->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    crc = ngx_crc32_long((u_char *) rr->str, rr->len);

    if (rf->bad != crc) {
        ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0,
                      "attck: Redis refused the watcher's command: \"%*s\"; "
                      "what is served stays",
                      ngx_min(rr->len, NGX_HTTP_ATTCK_MAX_POINTER), rr->str);
        rf->bad = crc;
    }

    return 1;
}


/*
 * Named by the pointer, not (yet) in Redis: logged once, and looked for
 * again at every poll, not after a back-off.  On a replica this is lag
 * (the pointer came first, or a full sync is under way): the snapshot is
 * served one interval after it arrives.  A STRLEN per poll is cheap.
 */

static void
ngx_http_attck_refresh_missing(ngx_http_attck_refresh_t *rf)
{
    if (ngx_memcmp(rf->logged, rf->sha, NGX_HTTP_ATTCK_SHA_LEN) == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0,
                  "attck: \"" NGX_HTTP_ATTCK_CURRENT_KEY "\" names "
                  "generation %ui with snapshot \"%*s\", which is not in "
                  "Redis; generation %ui keeps serving", rf->generation,
                  sizeof(rf->key), rf->key,
                  ngx_http_attck_refresh_current_number(rf->amcf));

    ngx_memcpy(rf->logged, rf->sha, NGX_HTTP_ATTCK_SHA_LEN);
    rf->retry = ngx_current_msec;
}


/*
 * A snapshot that failed its checks is not fetched again while the
 * pointer names it; remembered in the zone, so that a worker process of
 * the next configuration does not log it again either.  When the pointer
 * names another one, it is forgotten.
 */

static void
ngx_http_attck_refresh_refuse(ngx_http_attck_refresh_t *rf, char *err)
{
    ngx_http_attck_main_conf_t  *amcf;

    amcf = rf->amcf;

    ngx_http_attck_count(amcf, refusals[NGX_HTTP_ATTCK_M_REDIS], 1);

    ngx_shmtx_lock(&amcf->shpool->mutex);
    ngx_memcpy(amcf->sh->refused, rf->sha, NGX_HTTP_ATTCK_SHA_LEN);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    ngx_log_error(NGX_LOG_ERR, rf->timer.log, 0,
                  "%s; generation %ui keeps serving", err,
                  ngx_http_attck_refresh_current_number(amcf));
}


static ngx_uint_t
ngx_http_attck_refresh_refused(ngx_http_attck_refresh_t *rf)
{
    ngx_uint_t                   refused;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = rf->amcf;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    refused = (ngx_memcmp(amcf->sh->refused, rf->sha, NGX_HTTP_ATTCK_SHA_LEN)
               == 0);

    if (!refused) {
        ngx_memzero(amcf->sh->refused, NGX_HTTP_ATTCK_SHA_LEN);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    return refused;
}


static ngx_uint_t
ngx_http_attck_refresh_current_number(ngx_http_attck_main_conf_t *amcf)
{
    ngx_http_attck_gen_t  *gen;

    gen = ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current;

    return gen ? gen->number : 0;
}
