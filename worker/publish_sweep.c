
/*
 * attck-worker publish: removing from Redis what neither the new nor the
 * previous generation uses.
 *
 * Documents are named by their content and shared between generations,
 * so which are unused is a matter of names: those the previous index
 * named and the new one does not ("retired") stay one generation (nginx
 * instances that have not switched still read them) and are removed by
 * the publish after, from the list this one leaves in attck:retired.  A
 * publish after N changed threats then removes about N documents without
 * looking at the others.  Scanning every key is kept for publishes that
 * read every threat, and whenever the list is not of the generation
 * before.
 *
 * A publish that dies between writing and its switch leaves a snapshot
 * and documents no generation names.  So each run first adds what it is
 * about to write to attck:unpublished, and the next run that switches
 * removes what is listed there and named by neither generation, then the
 * list.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish_index.h"
#include "publish_sweep.h"
#include "redis.h"
#include "util.h"


static int attck_publish_unhex(const char *hex, uint8_t *name);
static int attck_publish_unlink(redisContext *c, const uint8_t *name);
static void attck_publish_leftovers(redisContext *c, const char *sha,
    const char *prev_sha, const uint8_t *names, size_t nnames,
    const uint8_t *prev, size_t nprev, const attck_publish_left_t *left);
static void attck_publish_scan(redisContext *c, const char *gen,
    const char *prev_gen, const char *sha, const char *prev_sha,
    const uint8_t *names, size_t nnames, const uint8_t *prev, size_t nprev);
static int attck_publish_retired(redisContext *c, const char *prev_gen,
    const char *sha, const char *prev_sha, const uint8_t *names,
    size_t nnames);


int
attck_publish_name_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}


int
attck_publish_named(const uint8_t *names, size_t n, const uint8_t *name)
{
    return n && bsearch(name, names, n, 16, attck_publish_name_cmp) != NULL;
}


/* 32 lower-case hex digits -> 16 bytes: 0, or -1 */

static int
attck_publish_unhex(const char *hex, uint8_t *name)
{
    int  i, hi, lo;

    for (i = 0; i < 16; i++) {
        hi = hex[2 * i];
        lo = hex[2 * i + 1];
        hi = (hi >= '0' && hi <= '9') ? hi - '0'
             : (hi >= 'a' && hi <= 'f') ? hi - 'a' + 10 : -1;
        lo = (lo >= '0' && lo <= '9') ? lo - '0'
             : (lo >= 'a' && lo <= 'f') ? lo - 'a' + 10 : -1;

        if (hi < 0 || lo < 0) {
            return -1;
        }

        name[i] = (uint8_t) (hi * 16 + lo);
    }

    return 0;
}


/* a document and its brief, to be removed in the pipeline */

static int
attck_publish_unlink(redisContext *c, const uint8_t *name)
{
    char  hex[33];

    attck_publish_digest_hex(name, hex);

    return redisAppendCommand(c, "UNLINK attck:doc:%s attck:brief:%s", hex,
                              hex);
}


/*
 * Every key scanned: keys of older generations (and of a publish that
 * died half-way), and snapshots nobody points at
 */

static void
attck_publish_scan(redisContext *c, const char *gen, const char *prev_gen,
    const char *sha, const char *prev_sha, const uint8_t *names,
    size_t nnames, const uint8_t *prev, size_t nprev)
{
    char         err[512], cursor[32], *key, *dot, *hex;
    size_t       i, n, removed;
    uint8_t      name[16];
    redisReply  *reply, *keys;

    strcpy(cursor, "0");
    removed = 0;

    do {
        reply = attck_redis_command(c, err, sizeof(err),
                                    "SCAN %s MATCH attck:* COUNT 1000",
                                    cursor);
        if (reply == NULL) {
            attck_log("warn", "publish: stale keys left: %s", err);
            return;
        }

        snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
        keys = reply->element[1];
        n = 0;

        for (i = 0; i < keys->elements; i++) {
            key = keys->element[i]->str + sizeof("attck:") - 1;

            hex = strncmp(key, "doc:", 4) == 0 ? key + 4
                  : strncmp(key, "brief:", 6) == 0 ? key + 6 : NULL;

            /* a document either generation names */

            if (hex) {
                if (strlen(hex) != 32
                    || attck_publish_unhex(hex, name) != 0
                    || attck_publish_named(names, nnames, name)
                    || attck_publish_named(prev, nprev, name))
                {
                    continue;
                }

            } else if (strncmp(key, "snapshot:", 9) == 0) {
                if (strcmp(key + 9, sha) == 0
                    || strcmp(key + 9, prev_sha) == 0)
                {
                    continue;
                }

            } else {
                dot = strchr(key, ':');

                if (key[0] < '0' || key[0] > '9' || dot == NULL
                    || ((size_t) (dot - key) == strlen(gen)
                        && strncmp(key, gen, dot - key) == 0)
                    || ((size_t) (dot - key) == strlen(prev_gen)
                        && strncmp(key, prev_gen, dot - key) == 0))
                {
                    continue;
                }
            }

            if (redisAppendCommand(c, "UNLINK %s", keys->element[i]->str)
                != REDIS_OK)
            {
                break;
            }

            n++;
        }

        freeReplyObject(reply);

        if (attck_redis_drain(c, n, err, sizeof(err)) != 0) {
            attck_log("warn", "publish: stale keys left: %s", err);
            return;
        }

        removed += n;

    } while (strcmp(cursor, "0") != 0);

    attck_log("info", "publish: removed %zu keys of older generations",
              removed);
}


/*
 * The documents the record of prev_gen lists and gen does not name, and
 * the snapshot before prev_gen's: 0, or -1 when the record is not of
 * prev_gen (then everything is scanned)
 */

static int
attck_publish_retired(redisContext *c, const char *prev_gen,
    const char *sha, const char *prev_sha, const uint8_t *names,
    size_t nnames)
{
    char          err[512];
    size_t        i, n, removed;
    redisReply   *reply;
    const char   *old;
    const uint8_t *name;

    reply = attck_redis_command(c, err, sizeof(err),
                                "HMGET attck:retired generation snapshot "
                                "names");
    if (reply == NULL) {
        attck_log("warn", "publish: stale keys left: %s", err);
        return 0;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_STRING
        || strcmp(reply->element[0]->str, prev_gen) != 0
        || reply->element[1]->type != REDIS_REPLY_STRING
        || reply->element[2]->type != REDIS_REPLY_STRING
        || reply->element[2]->len % 16)
    {
        attck_log("info", "publish: no list of what generation %s retired: "
                  "every key is scanned", prev_gen);
        freeReplyObject(reply);
        return -1;
    }

    n = 0;
    old = reply->element[1]->str;

    if (*old && strcmp(old, sha) != 0 && strcmp(old, prev_sha) != 0) {
        if (redisAppendCommand(c, "UNLINK attck:snapshot:%s", old)
            != REDIS_OK)
        {
            freeReplyObject(reply);
            return 0;
        }

        n++;
    }

    removed = 0;

    for (i = 0; i < reply->element[2]->len / 16; i++) {
        name = (const uint8_t *) reply->element[2]->str + 16 * i;

        /* a threat changed back to what it was is named again */

        if (attck_publish_named(names, nnames, name)) {
            continue;
        }

        if (attck_publish_unlink(c, name) != REDIS_OK) {
            break;
        }

        n++;
        removed++;
    }

    freeReplyObject(reply);

    if (attck_redis_drain(c, n, err, sizeof(err)) != 0) {
        attck_log("warn", "publish: stale keys left: %s", err);
        return 0;
    }

    attck_log("info", "publish: removed %zu documents of generations "
              "before %s", removed, prev_gen);

    return 0;
}


int
attck_publish_unpublished(redisContext *c, const char *sha,
    const uint8_t *fresh, size_t nfresh, attck_publish_left_t *left,
    char *err, size_t errlen)
{
    int          rc;
    char        *snapshots;
    size_t       n;
    uint8_t     *names;
    redisReply  *reply;

    memset(left, 0, sizeof(attck_publish_left_t));

    reply = attck_redis_command(c, err, errlen,
                                "HMGET attck:unpublished snapshots names");
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_STRING
        && reply->element[1]->type == REDIS_REPLY_STRING
        && reply->element[1]->len % 16 == 0)
    {
        left->snapshots = attck_xstrdup(reply->element[0]->str);
        left->n = reply->element[1]->len / 16;
        left->names = attck_xmalloc(16 * left->n + 1);
        memcpy(left->names, reply->element[1]->str, 16 * left->n);

    } else {
        left->snapshots = attck_xstrdup("");
    }

    freeReplyObject(reply);

    n = left->n + nfresh;
    names = attck_xmalloc(16 * n + 1);
    memcpy(names, left->names, 16 * left->n);
    memcpy(names + 16 * left->n, fresh, 16 * nfresh);

    snapshots = attck_xmalloc(strlen(left->snapshots) + 66);
    sprintf(snapshots, "%s%s%s", left->snapshots,
            left->snapshots[0] ? " " : "", sha);

    reply = attck_redis_command(c, err, errlen,
                                "HSET attck:unpublished snapshots %s "
                                "names %b", snapshots, names, 16 * n);
    rc = reply ? 0 : -1;

    if (reply) {
        freeReplyObject(reply);
    }

    free(snapshots);
    free(names);

    return rc;
}


void
attck_publish_left_free(attck_publish_left_t *left)
{
    free(left->names);
    free(left->snapshots);
}


/*
 * What runs that did not switch left, now that this one has: removed
 * unless a generation names it, then the record
 */

static void
attck_publish_leftovers(redisContext *c, const char *sha,
    const char *prev_sha, const uint8_t *names, size_t nnames,
    const uint8_t *prev, size_t nprev, const attck_publish_left_t *left)
{
    char            err[512], *snaps, *one, *save;
    size_t          i, n, ndocs, nsnaps;
    const uint8_t  *name;

    n = 0;
    ndocs = 0;
    nsnaps = 0;

    for (i = 0; i < left->n; i++) {
        name = left->names + 16 * i;

        if (attck_publish_named(names, nnames, name)
            || attck_publish_named(prev, nprev, name))
        {
            continue;
        }

        if (attck_publish_unlink(c, name) != REDIS_OK) {
            break;
        }

        n++;
        ndocs++;
    }

    snaps = attck_xstrdup(left->snapshots);

    for (one = strtok_r(snaps, " ", &save); one;
         one = strtok_r(NULL, " ", &save))
    {
        if (strcmp(one, sha) == 0 || strcmp(one, prev_sha) == 0
            || redisAppendCommand(c, "UNLINK attck:snapshot:%s", one)
               != REDIS_OK)
        {
            continue;
        }

        n++;
        nsnaps++;
    }

    free(snaps);

    if (redisAppendCommand(c, "DEL attck:unpublished") == REDIS_OK) {
        n++;
    }

    if (attck_redis_drain(c, n, err, sizeof(err)) != 0) {
        attck_log("warn", "publish: what a publish that did not switch "
                  "wrote is left: %s", err);
        return;
    }

    if (ndocs || nsnaps) {
        attck_log("info", "publish: removed %zu documents and %zu "
                  "snapshots that publishes which did not switch wrote",
                  ndocs, nsnaps);
    }
}


void
attck_publish_sweep(redisContext *c, const char *gen, const char *prev_gen,
    const char *sha, const char *prev_sha, const uint8_t *names, size_t n,
    const uint8_t *prev, size_t nprev, int everything,
    const attck_publish_left_t *left)
{
    char         err[512];
    size_t       i, k, nretired;
    uint8_t     *retired;
    redisReply  *reply;

    if (everything || !prev_gen[0]
        || attck_publish_retired(c, prev_gen, sha, prev_sha, names, n) != 0)
    {
        attck_publish_scan(c, gen, prev_gen, sha, prev_sha, names, n, prev,
                           nprev);
    }

    attck_publish_leftovers(c, sha, prev_sha, names, n, prev, nprev, left);

    /* what this generation retires: named by prev, not by names (sorted) */

    retired = attck_xmalloc(nprev ? 16 * nprev : 1);
    nretired = 0;

    for (i = 0, k = 0; i < nprev; i++) {
        while (k < n && memcmp(names + 16 * k, prev + 16 * i, 16) < 0) {
            k++;
        }

        if (k < n && memcmp(names + 16 * k, prev + 16 * i, 16) == 0) {
            continue;
        }

        memcpy(retired + 16 * nretired++, prev + 16 * i, 16);
    }

    reply = attck_redis_command(c, err, sizeof(err),
                                "HSET attck:retired generation %s snapshot %s "
                                "names %b", gen, prev_sha, retired,
                                16 * nretired);
    if (reply == NULL) {
        attck_log("warn", "publish: the next publish scans every key: %s",
                  err);

    } else {
        freeReplyObject(reply);
    }

    free(retired);
}
