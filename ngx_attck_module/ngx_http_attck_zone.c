
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
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


static ngx_int_t ngx_http_attck_load(ngx_http_attck_main_conf_t *amcf,
    ngx_log_t *log);
static ngx_int_t ngx_http_attck_read_fd(ngx_fd_t fd,
    ngx_http_attck_main_conf_t *amcf, char *err, size_t errlen);
static void ngx_http_attck_sweep(ngx_http_attck_main_conf_t *amcf);
static void ngx_http_attck_unref_locked(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_gen_t *gen);
static void ngx_http_attck_release(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_local_t *local);
static void ngx_http_attck_request_done(void *data);


/* per worker process: the generations served from, newest first */
static ngx_http_attck_local_t      *ngx_http_attck_locals;
static ngx_http_attck_main_conf_t  *ngx_http_attck_amcf;


ngx_int_t
ngx_http_attck_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_attck_main_conf_t  *omcf = data;

    size_t                       len;
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

    /* "nginx -t" checked the snapshot already; it serves nothing */

    if (amcf->data == NULL || ngx_test_config) {
        return NGX_OK;
    }

    return ngx_http_attck_load(amcf, shm_zone->shm.log);
}


static ngx_int_t
ngx_http_attck_load(ngx_http_attck_main_conf_t *amcf, ngx_log_t *log)
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

    if (cur && cur->size == amcf->size
        && ngx_memcmp(cur->data, amcf->data, sizeof(attck_snap_header_t))
           == 0)
    {
        ngx_shmtx_unlock(&amcf->shpool->mutex);
        goto done;
    }

    gen = NULL;
    alive = 0;

    for (i = 0; i < NGX_HTTP_ATTCK_MAX_GENS; i++) {
        alive += (sh->gens[i] != NULL);
    }

    off = ngx_align(sizeof(ngx_http_attck_gen_t), 16);

    if (alive < NGX_HTTP_ATTCK_MAX_GENS) {
        gen = ngx_slab_alloc_locked(amcf->shpool, off + amcf->size);
    }

    if (gen == NULL) {
        ngx_shmtx_unlock(&amcf->shpool->mutex);

        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "attck zone has no room for the %uz byte snapshot "
                      "\"%V\": %ui snapshots are in use (the current one, "
                      "and older ones that worker processes still finish "
                      "requests on); keeping the current snapshot",
                      amcf->size, &amcf->snapshot, alive);
        return NGX_ERROR;
    }

    ngx_memzero(gen, sizeof(ngx_http_attck_gen_t));
    gen->data = (u_char *) gen + off;
    gen->size = amcf->size;
    gen->refs = 1;

    for (i = 0; sh->gens[i]; i++) { /* void */ }
    sh->gens[i] = gen;

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    /* copied outside the lock: nobody can see gen until it is current */

    ngx_memcpy(gen->data, amcf->data, amcf->size);
    amcf->pending = gen;

done:

    ngx_free(amcf->data);
    amcf->data = NULL;

    return NGX_OK;
}


/*
 * Reads attck_snapshot into amcf->data and checks it; err says why not.
 * The slab allocator keeps under 1/100 of the zone for its page
 * descriptors: 1/32 and a few pages leave a safe margin.
 */

ngx_int_t
ngx_http_attck_read(ngx_http_attck_main_conf_t *amcf, char *err,
    size_t errlen)
{
    char             reason[256];
    size_t           room;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    attck_snap_t     snap;
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
    room = amcf->shm_zone->shm.size - amcf->shm_zone->shm.size / 32
           - 8 * ngx_pagesize;

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

    if (attck_snap_open(&snap, amcf->data, amcf->size, 0, reason,
                        sizeof(reason))
        != 0)
    {
        ngx_snprintf((u_char *) err, errlen, "attck snapshot \"%V\" "
                     "refused: %s%Z", &amcf->snapshot, reason);
        goto done;
    }

    rc = NGX_OK;

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
    char  err[512];

    if (ngx_http_attck_read(amcf, err, sizeof(err)) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "%s; keeping the current one",
                      err);
        return NGX_ERROR;
    }

    if (ngx_http_attck_load(amcf, log) != NGX_OK) {
        return NGX_ERROR;
    }

    if (amcf->pending == NULL) {
        *number = amcf->sh->current->number;
        return NGX_DECLINED;
    }

    ngx_http_attck_publish(amcf, log);
    *number = amcf->sh->current->number;

    return NGX_OK;
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
    gen->number = ++amcf->sh->generations;
    gen->loaded = ngx_time();
    amcf->sh->current = gen;

    if (old) {
        ngx_http_attck_unref_locked(amcf, old);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "attck snapshot \"%V\" (%uz bytes) is generation %ui",
                  &amcf->snapshot, gen->size, gen->number);
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
ngx_http_attck_exit_process(ngx_cycle_t *cycle)
{
    /* an exiting worker lets go of all it holds, old generations too */

    while (ngx_http_attck_locals && ngx_http_attck_amcf) {
        ngx_http_attck_release(ngx_http_attck_amcf, ngx_http_attck_locals);
    }
}
