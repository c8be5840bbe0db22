
/*
 * ngx_http_attck_module: the shared-memory zone and its generations.
 *
 * At start and at each reload the master loads a checked snapshot into
 * the zone beside the one being served (init_zone), and makes it current
 * only when the new configuration is committed (init_module), so a reload
 * that fails later changes nothing.  A worker process takes a reference on
 * the generation it serves from and drops it when its last request on it
 * is done, so no response ever points into freed memory.  The shared lock
 * is taken only when a generation changes, never on an ordinary request.
 *
 * A snapshot published in Redis (ngx_http_attck_refresh.c) takes the same
 * way in a worker process: checked, loaded beside the current one, made
 * current by ngx_http_attck_swap().
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_metrics.h"


static ngx_int_t ngx_http_attck_load(ngx_http_attck_main_conf_t *amcf,
    u_char *data, size_t size, u_char *sha, ngx_str_t *name, char *err,
    size_t errlen);
static ngx_int_t ngx_http_attck_read_fd(ngx_fd_t fd,
    ngx_http_attck_main_conf_t *amcf, char *err, size_t errlen);
static void ngx_http_attck_sweep(ngx_http_attck_main_conf_t *amcf);
static void ngx_http_attck_unref_locked(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_gen_t *gen);
static void ngx_http_attck_release(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_local_t *local);
static void ngx_http_attck_request_done(void *data);
static void ngx_http_attck_tidy(ngx_event_t *ev);
static ngx_uint_t ngx_http_attck_superseded(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_gen_t *current);


#define NGX_HTTP_ATTCK_SUPERSEDED                                             \
    "attck snapshot \"%V\" is not loaded: the one published in Redis "        \
    "stays current"


/* per worker process: the generations served from, newest first */
static ngx_http_attck_local_t      *ngx_http_attck_locals;
static ngx_http_attck_main_conf_t  *ngx_http_attck_amcf;
static ngx_event_t                  ngx_http_attck_tidy_event;


ngx_int_t
ngx_http_attck_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_attck_main_conf_t  *omcf = data;

    char                         err[512];
    size_t                       len;
    ngx_int_t                    rc;
    ngx_uint_t                   redis;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = shm_zone->data;

    if (omcf) {
        amcf->sh = omcf->sh;
        amcf->shpool = omcf->shpool;
        amcf->reused = 1;

    } else {
        amcf->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

        if (shm_zone->shm.exists) {
            amcf->sh = amcf->shpool->data;

        } else {
            amcf->sh = ngx_slab_calloc(amcf->shpool,
                                       sizeof(ngx_http_attck_shctx_t));
            if (amcf->sh == NULL) {
                return NGX_ERROR;
            }

            amcf->shpool->data = amcf->sh;

            len = sizeof(" in attck zone \"\"") + shm_zone->shm.name.len;

            amcf->shpool->log_ctx = ngx_slab_alloc(amcf->shpool, len);
            if (amcf->shpool->log_ctx == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(amcf->shpool->log_ctx, " in attck zone \"%V\"%Z",
                        &shm_zone->shm.name);

            /* a snapshot that does not fit gets a message of our own */
            amcf->shpool->log_nomem = 0;
        }
    }

    /* counters kept across reloads, in a zone that was reused too */

    if (amcf->sh->metrics == NULL) {
        amcf->sh->metrics = ngx_slab_calloc(amcf->shpool,
                                            sizeof(ngx_http_attck_metrics_t));
        if (amcf->sh->metrics == NULL) {
            return NGX_ERROR;
        }
    }

    /* "nginx -t" checked the snapshot already; it serves nothing */

    if (amcf->data == NULL || ngx_test_config) {
        return NGX_OK;
    }

    ngx_shmtx_lock(&amcf->shpool->mutex);
    redis = ngx_http_attck_superseded(amcf, amcf->sh->current);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (redis) {
        ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                      NGX_HTTP_ATTCK_SUPERSEDED, &amcf->snapshot);
        rc = NGX_OK;

    } else {
        rc = ngx_http_attck_load(amcf, amcf->data, amcf->size, NULL,
                                 &amcf->snapshot, err, sizeof(err));

        if (rc == NGX_DECLINED) {
            rc = NGX_OK;

        } else if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0, "%s", err);
            rc = NGX_ERROR;
        }
    }

    ngx_free(amcf->data);
    amcf->data = NULL;

    return rc;
}


/*
 * Copies size checked bytes into the zone as the pending generation:
 * NGX_OK, NGX_DECLINED when they are the current snapshot already, or
 * NGX_BUSY when they do not fit beside the generations still in use.
 */

static ngx_int_t
ngx_http_attck_load(ngx_http_attck_main_conf_t *amcf, u_char *data,
    size_t size, u_char *sha, ngx_str_t *name, char *err, size_t errlen)
{
    size_t                  off;
    ngx_uint_t              i, alive;
    ngx_http_attck_gen_t   *gen, *cur;
    ngx_http_attck_shctx_t *sh;

    sh = amcf->sh;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    ngx_http_attck_sweep(amcf);

    cur = sh->current;

    /* a reload that does not change the snapshot keeps the generation */

    if (cur && cur->size == size
        && ngx_memcmp(cur->data, data, sizeof(attck_snap_header_t)) == 0)
    {
        if (sha) {
            ngx_memcpy(cur->sha, sha, NGX_HTTP_ATTCK_SHA_LEN);
        }

        ngx_shmtx_unlock(&amcf->shpool->mutex);
        return NGX_DECLINED;
    }

    gen = NULL;
    alive = 0;

    for (i = 0; i < NGX_HTTP_ATTCK_MAX_GENS; i++) {
        alive += (sh->gens[i] != NULL);
    }

    off = ngx_align(sizeof(ngx_http_attck_gen_t), 16);

    if (alive < NGX_HTTP_ATTCK_MAX_GENS) {
        gen = ngx_slab_alloc_locked(amcf->shpool, off + size);
    }

    if (gen == NULL) {
        ngx_shmtx_unlock(&amcf->shpool->mutex);

        ngx_snprintf((u_char *) err, errlen,
                     "attck zone has no room for the %uz byte snapshot "
                     "\"%V\": %ui snapshots are in use (the current one, "
                     "and older ones that worker processes still finish "
                     "requests on); keeping the current snapshot%Z",
                     size, name, alive);
        return NGX_BUSY;
    }

    ngx_memzero(gen, sizeof(ngx_http_attck_gen_t));
    gen->data = (u_char *) gen + off;
    gen->size = size;
    gen->refs = 1;

    if (sha) {
        ngx_memcpy(gen->sha, sha, NGX_HTTP_ATTCK_SHA_LEN);
    }

    for (i = 0; sh->gens[i]; i++) { /* void */ }
    sh->gens[i] = gen;

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    /* copied outside the lock: nobody can see gen until it is current */

    ngx_memcpy(gen->data, data, size);
    amcf->pending = gen;

    return NGX_OK;
}


/*
 * The slab allocator keeps under 1/100 of the zone for its page
 * descriptors: 1/32 and a few pages leave a safe margin.
 */

size_t
ngx_http_attck_room(ngx_http_attck_main_conf_t *amcf)
{
    return amcf->shm_zone->shm.size - amcf->shm_zone->shm.size / 32
           - 8 * ngx_pagesize;
}


/* the checks every snapshot passes before it enters the zone */

ngx_int_t
ngx_http_attck_check(ngx_http_attck_main_conf_t *amcf, u_char *data,
    size_t size, ngx_str_t *name, char *err, size_t errlen)
{
    char          reason[256];
    size_t        room;
    attck_snap_t  snap;

    room = ngx_http_attck_room(amcf);

    if (size > room) {
        ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" is %uz "
                     "bytes, too large for zone \"%V\" (room for %uz)%Z",
                     name, size, &amcf->shm_zone->shm.name, room);
        return NGX_ERROR;
    }

    if (attck_snap_open(&snap, data, size, 0, reason, sizeof(reason)) != 0) {
        ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" "
                     "refused: %s%Z", name, reason);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* reads attck_snapshot into amcf->data and checks it; err says why not */

ngx_int_t
ngx_http_attck_read(ngx_http_attck_main_conf_t *amcf, char *err,
    size_t errlen)
{
    size_t           room;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    fd = ngx_open_file(amcf->snapshot.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" cannot "
                     "be opened: %s%Z", &amcf->snapshot,
                     strerror(ngx_errno));
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_snprintf((u_char *) err, errlen, ngx_fd_info_n " \"%V\" failed: "
                     "%s%Z", &amcf->snapshot, strerror(ngx_errno));
        goto done;
    }

    amcf->size = (size_t) ngx_file_size(&fi);
    room = ngx_http_attck_room(amcf);

    if (amcf->size > room) {
        ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" is %uz "
                     "bytes, too large for zone \"%V\" (room for %uz)%Z",
                     &amcf->snapshot, amcf->size, &amcf->shm_zone->shm.name,
                     room);
        goto done;
    }

    if (ngx_http_attck_read_fd(fd, amcf, err, errlen) != NGX_OK) {
        goto done;
    }

    rc = ngx_http_attck_check(amcf, amcf->data, amcf->size, &amcf->snapshot,
                              err, errlen);

done:

    (void) ngx_close_file(fd);

    if (rc != NGX_OK && amcf->data) {
        ngx_free(amcf->data);
        amcf->data = NULL;
    }

    return rc;
}


static ngx_int_t
ngx_http_attck_read_fd(ngx_fd_t fd, ngx_http_attck_main_conf_t *amcf,
    char *err, size_t errlen)
{
    size_t   done;
    ssize_t  n;

    amcf->data = ngx_alloc(amcf->size ? amcf->size : 1, ngx_cycle->log);
    if (amcf->data == NULL) {
        ngx_snprintf((u_char *) err, errlen, "no memory for %uz bytes%Z",
                     amcf->size);
        return NGX_ERROR;
    }

    for (done = 0; done < amcf->size; done += n) {
        n = ngx_read_fd(fd, amcf->data + done, amcf->size - done);

        if (n == -1) {
            ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" "
                         "cannot be read: %s%Z", &amcf->snapshot,
                         strerror(ngx_errno));
            return NGX_ERROR;
        }

        if (n == 0) {
            ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" "
                         "shrank while read%Z", &amcf->snapshot);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * PUT mitre-update-matrix-data: a worker loads the file again and makes
 * it current; the other workers see the new generation on their next
 * request.
 */

ngx_int_t
ngx_http_attck_reload(ngx_http_attck_main_conf_t *amcf, ngx_log_t *log,
    ngx_uint_t *number)
{
    char       err[512];
    ngx_int_t  rc;

    if (ngx_http_attck_read(amcf, err, sizeof(err)) != NGX_OK) {
        ngx_http_attck_count(amcf, refusals[NGX_HTTP_ATTCK_M_FILE], 1);
        ngx_log_error(NGX_LOG_ERR, log, 0, "%s; keeping the current one",
                      err);
        return NGX_ERROR;
    }

    rc = ngx_http_attck_swap(amcf, amcf->data, amcf->size, NULL,
                             &amcf->snapshot, log, number, err, sizeof(err));

    ngx_free(amcf->data);
    amcf->data = NULL;

    if (rc == NGX_OK || rc == NGX_DECLINED) {
        return rc;
    }

    ngx_log_error(NGX_LOG_ERR, log, 0, "%s", err);

    return NGX_ERROR;
}


ngx_int_t
ngx_http_attck_swap(ngx_http_attck_main_conf_t *amcf, u_char *data,
    size_t size, u_char *sha, ngx_str_t *name, ngx_log_t *log,
    ngx_uint_t *number, char *err, size_t errlen)
{
    ngx_int_t  rc;

    rc = ngx_http_attck_load(amcf, data, size, sha, name, err, errlen);

    if (rc == NGX_OK) {
        ngx_http_attck_publish(amcf, log);
    }

    if (rc == NGX_OK || rc == NGX_DECLINED) {
        *number = ((volatile ngx_http_attck_shctx_t *) amcf->sh)
                  ->current->number;
    }

    return rc;
}


/*
 * With attck_refresh, a snapshot loaded from Redis is newer than the file:
 * the file only seeds a zone that has none.  Called under the lock.
 */

static ngx_uint_t
ngx_http_attck_superseded(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_gen_t *current)
{
    return amcf->refresh && current && current->sha[0];
}


/* the new configuration is committed: its snapshot becomes current */

void
ngx_http_attck_publish(ngx_http_attck_main_conf_t *amcf, ngx_log_t *log)
{
    ngx_http_attck_gen_t  *gen, *old;

    gen = amcf->pending;

    if (gen == NULL) {
        return;
    }

    amcf->pending = NULL;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    old = amcf->sh->current;

    /*
     * A reload read the file while the watcher swapped in a snapshot from
     * Redis: the published one, newer, stays current
     */

    if (gen->sha[0] == '\0' && ngx_http_attck_superseded(amcf, old)) {
        ngx_http_attck_unref_locked(amcf, gen);
        ngx_shmtx_unlock(&amcf->shpool->mutex);

        ngx_log_error(NGX_LOG_NOTICE, log, 0, NGX_HTTP_ATTCK_SUPERSEDED,
                      &amcf->snapshot);
        return;
    }

    gen->number = ++amcf->sh->generations;
    gen->loaded = ngx_time();
    amcf->sh->current = gen;

    if (old) {
        ngx_http_attck_unref_locked(amcf, old);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (gen->sha[0]) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "attck snapshot \"attck:snapshot:%*s\" from Redis "
                      "(%uz bytes) is generation %ui",
                      (size_t) NGX_HTTP_ATTCK_SHA_LEN, gen->sha, gen->size,
                      gen->number);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "attck snapshot \"%V\" (%uz bytes) is generation %ui",
                  &amcf->snapshot, gen->size, gen->number);
}


ngx_int_t
ngx_http_attck_is_current(ngx_http_attck_main_conf_t *amcf, u_char *sha)
{
    ngx_int_t              rc;
    ngx_http_attck_gen_t  *cur;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    cur = amcf->sh->current;

    rc = (cur && ngx_memcmp(cur->sha, sha, NGX_HTTP_ATTCK_SHA_LEN) == 0)
         ? NGX_OK : NGX_DECLINED;

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    return rc;
}


/* one writer at a time (the lock); readers retry while seq is odd */

void
ngx_http_attck_set_published(ngx_http_attck_main_conf_t *amcf,
    ngx_uint_t generation, u_char *sha)
{
    ngx_http_attck_shctx_t  *sh;

    sh = amcf->sh;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    if (sh->published != generation
        || ngx_memcmp(sh->sha, sha, NGX_HTTP_ATTCK_SHA_LEN) != 0)
    {
        (void) ngx_atomic_fetch_add(&sh->seq, 1);
        ngx_memcpy(sh->sha, sha, NGX_HTTP_ATTCK_SHA_LEN);

        if (sh->published != generation) {
            sh->published_time = generation ? ngx_time() : 0;
        }

        sh->published = generation;
        (void) ngx_atomic_fetch_add(&sh->seq, 1);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);
}


time_t
ngx_http_attck_published_time(ngx_http_attck_main_conf_t *amcf)
{
    return amcf->sh ? (time_t) amcf->sh->published_time : 0;
}


ngx_uint_t
ngx_http_attck_published(ngx_http_attck_main_conf_t *amcf, u_char *sha)
{
    ngx_uint_t                         i, generation;
    ngx_atomic_uint_t                  seq;
    volatile ngx_http_attck_shctx_t   *sh;

    sh = amcf->sh;

    if (sh == NULL) {
        return 0;
    }

    if (sha == NULL) {
        return sh->published;
    }

    /* a writer holds seq odd for a few instructions only */

    for (i = 0; i < 1000; i++) {
        seq = sh->seq;
        ngx_memory_barrier();

        generation = sh->published;
        ngx_memcpy(sha, (u_char *) sh->sha, NGX_HTTP_ATTCK_SHA_LEN);

        ngx_memory_barrier();

        if (!(seq & 1) && sh->seq == seq) {
            return generation;
        }

        ngx_cpu_pause();
    }

    /* a writer descheduled half-way: wait for it on its lock */

    ngx_shmtx_lock(&amcf->shpool->mutex);
    generation = sh->published;
    ngx_memcpy(sha, (u_char *) sh->sha, NGX_HTTP_ATTCK_SHA_LEN);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    return generation;
}


/*
 * A configuration that failed after its snapshot was loaded.  A zone it
 * created itself is unmapped whole by then; only in a zone carried over
 * from the running configuration is there something to give back.
 */

void
ngx_http_attck_drop_pending(ngx_http_attck_main_conf_t *amcf)
{
    if (amcf->pending == NULL || !amcf->reused) {
        return;
    }

    ngx_shmtx_lock(&amcf->shpool->mutex);
    ngx_http_attck_unref_locked(amcf, amcf->pending);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    amcf->pending = NULL;
}


/*
 * Takes back the references of worker processes that died without
 * letting go (a crash, SIGKILL): called in the master, under the lock.
 */

static void
ngx_http_attck_sweep(ngx_http_attck_main_conf_t *amcf)
{
    ngx_uint_t             i, s;
    ngx_http_attck_gen_t  *gen;

    for (i = 0; i < NGX_HTTP_ATTCK_MAX_GENS; i++) {
        gen = amcf->sh->gens[i];

        if (gen == NULL) {
            continue;
        }

        for (s = 0; s < NGX_MAX_PROCESSES; s++) {
            if (gen->holders[s] == 0
                || kill(gen->holders[s], 0) == 0 || ngx_errno != NGX_ESRCH)
            {
                continue;
            }

            gen->holders[s] = 0;
            ngx_http_attck_unref_locked(amcf, gen);

            if (amcf->sh->gens[i] == NULL) {
                break;
            }
        }
    }
}


static void
ngx_http_attck_unref_locked(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_gen_t *gen)
{
    ngx_uint_t  i;

    if (--gen->refs) {
        return;
    }

    for (i = 0; i < NGX_HTTP_ATTCK_MAX_GENS; i++) {
        if (amcf->sh->gens[i] == gen) {
            amcf->sh->gens[i] = NULL;
        }
    }

    ngx_slab_free_locked(amcf->shpool, gen);
}


ngx_http_attck_local_t *
ngx_http_attck_acquire(ngx_http_request_t *r,
    ngx_http_attck_main_conf_t *amcf, ngx_int_t *rc)
{
    char                     err[128];
    ngx_pool_cleanup_t      *cln;
    ngx_http_attck_gen_t    *gen;
    ngx_http_attck_local_t  *local, *old;

    *rc = NGX_HTTP_SERVICE_UNAVAILABLE;

    if (amcf->sh == NULL) {
        return NULL;
    }

    local = ngx_http_attck_locals;
    gen = ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current;

    if (gen == NULL) {
        return NULL;
    }

    *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    if (local == NULL || local->gen != gen) {

        local = ngx_calloc(sizeof(ngx_http_attck_local_t),
                           r->connection->log);
        if (local == NULL) {
            return NULL;
        }

        ngx_shmtx_lock(&amcf->shpool->mutex);
        gen = amcf->sh->current;
        gen->refs++;
        gen->holders[ngx_process_slot] = ngx_pid;
        ngx_shmtx_unlock(&amcf->shpool->mutex);

        local->gen = gen;

        (void) attck_snap_open(&local->snap, gen->data, gen->size,
                               ATTCK_SNAP_TRUSTED, err, sizeof(err));

        ngx_sprintf(local->checksum, "%08xD", local->snap.header->checksum);

        old = ngx_http_attck_locals;
        local->next = old;
        ngx_http_attck_locals = local;
        ngx_http_attck_amcf = amcf;

        if (old) {
            old->retired = 1;

            if (old->requests == 0) {
                ngx_http_attck_release(amcf, old);
            }
        }
    }

    local->requests++;

    cln->handler = ngx_http_attck_request_done;
    cln->data = local;

    return local;
}


static void
ngx_http_attck_request_done(void *data)
{
    ngx_http_attck_local_t  *local = data;

    if (--local->requests == 0 && local->retired) {
        ngx_http_attck_release(ngx_http_attck_amcf, local);
    }
}


static void
ngx_http_attck_release(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_local_t *local)
{
    ngx_http_attck_local_t  **lp;

    for (lp = &ngx_http_attck_locals; *lp; lp = &(*lp)->next) {
        if (*lp == local) {
            *lp = local->next;
            break;
        }
    }

    ngx_shmtx_lock(&amcf->shpool->mutex);
    local->gen->holders[ngx_process_slot] = 0;
    ngx_http_attck_unref_locked(amcf, local->gen);
    ngx_shmtx_unlock(&amcf->shpool->mutex);

    ngx_free(local);
}


void
ngx_http_attck_zone_init_process(ngx_cycle_t *cycle,
    ngx_http_attck_main_conf_t *amcf)
{
    if (amcf->sh == NULL) {
        return;
    }

    ngx_http_attck_tidy_event.handler = ngx_http_attck_tidy;
    ngx_http_attck_tidy_event.data = amcf;
    ngx_http_attck_tidy_event.log = cycle->log;
    ngx_http_attck_tidy_event.cancelable = 1;

    ngx_add_timer(&ngx_http_attck_tidy_event, NGX_HTTP_ATTCK_TIDY);
}


/*
 * A worker process lets go of the generation it served last on its next
 * request; one that stays idle while snapshots are published would hold
 * it, and the zone could fill with generations nobody serves.  Once a
 * second it lets go of one that is no longer current, or marks it so that
 * its last request does.
 */

static void
ngx_http_attck_tidy(ngx_event_t *ev)
{
    ngx_http_attck_gen_t        *current;
    ngx_http_attck_local_t      *local;
    ngx_http_attck_main_conf_t  *amcf;

    amcf = ev->data;
    local = ngx_http_attck_locals;
    current = ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current;

    if (local && !local->retired && local->gen != current) {
        local->retired = 1;

        if (local->requests == 0) {
            ngx_http_attck_release(amcf, local);
        }
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_ATTCK_TIDY);
    }
}


void
ngx_http_attck_zone_exit(ngx_cycle_t *cycle)
{
    /* an exiting worker lets go of all it holds, old generations too */

    while (ngx_http_attck_locals && ngx_http_attck_amcf) {
        ngx_http_attck_release(ngx_http_attck_amcf, ngx_http_attck_locals);
    }
}
