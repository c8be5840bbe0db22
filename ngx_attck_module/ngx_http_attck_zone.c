
/*
 * ngx_http_attck_module: the shared-memory zone and its generations.
 *
 * The master loads a checked snapshot into the zone at start and at each
 * reload, beside the one being served, and makes it current.  A worker
 * process takes a reference on the generation it serves from and drops it
 * when its last request on it is done, so no response ever points into
 * freed memory.  The shared lock is taken only when a generation changes,
 * never on an ordinary request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"


static ngx_int_t ngx_http_attck_publish(ngx_http_attck_main_conf_t *amcf,
    ngx_log_t *log);
static void ngx_http_attck_release(ngx_http_attck_main_conf_t *amcf,
    ngx_http_attck_local_t *local);
static void ngx_http_attck_request_done(void *data);


/* per worker process: the generation served now, and the last amcf */
static ngx_http_attck_local_t      *ngx_http_attck_local;
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

    if (amcf->data == NULL) {
        return NGX_OK;
    }

    return ngx_http_attck_publish(amcf, shm_zone->shm.log);
}


static ngx_int_t
ngx_http_attck_publish(ngx_http_attck_main_conf_t *amcf, ngx_log_t *log)
{
    size_t                 off;
    ngx_http_attck_gen_t  *gen, *cur;

    ngx_shmtx_lock(&amcf->shpool->mutex);

    cur = amcf->sh->current;

    /* a reload that does not change the snapshot keeps the generation */

    if (cur && cur->size == amcf->size
        && ngx_memcmp(cur->data, amcf->data, sizeof(attck_snap_header_t))
           == 0)
    {
        ngx_shmtx_unlock(&amcf->shpool->mutex);
        goto done;
    }

    off = ngx_align(sizeof(ngx_http_attck_gen_t), 16);
    gen = ngx_slab_alloc_locked(amcf->shpool, off + amcf->size);

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    if (gen == NULL) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "attck zone has no room for the %uz byte snapshot "
                      "\"%V\" beside the one being served; keeping the "
                      "current snapshot (make the zone larger)",
                      amcf->size, &amcf->snapshot);
        return NGX_ERROR;
    }

    /* copied outside the lock: nobody can see gen until it is current */

    gen->data = (u_char *) gen + off;
    gen->size = amcf->size;
    gen->refs = 1;
    gen->loaded = ngx_time();
    ngx_memcpy(gen->data, amcf->data, amcf->size);

    ngx_shmtx_lock(&amcf->shpool->mutex);

    gen->number = ++amcf->sh->generations;
    amcf->sh->current = gen;

    if (cur && --cur->refs == 0) {
        ngx_slab_free_locked(amcf->shpool, cur);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "attck snapshot \"%V\" (%uz bytes) is generation %ui",
                  &amcf->snapshot, amcf->size, gen->number);

done:

    ngx_free(amcf->data);
    amcf->data = NULL;

    return NGX_OK;
}


ngx_http_attck_local_t *
ngx_http_attck_acquire(ngx_http_request_t *r,
    ngx_http_attck_main_conf_t *amcf)
{
    char                     err[128];
    ngx_pool_cleanup_t      *cln;
    ngx_http_attck_gen_t    *gen;
    ngx_http_attck_local_t  *local, *old;

    if (amcf->sh == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    local = ngx_http_attck_local;
    gen = ((volatile ngx_http_attck_shctx_t *) amcf->sh)->current;

    if (local == NULL || local->gen != gen) {

        if (gen == NULL) {
            return NULL;
        }

        local = ngx_alloc(sizeof(ngx_http_attck_local_t), r->connection->log);
        if (local == NULL) {
            return NULL;
        }

        ngx_memzero(local, sizeof(ngx_http_attck_local_t));

        ngx_shmtx_lock(&amcf->shpool->mutex);
        gen = amcf->sh->current;
        gen->refs++;
        ngx_shmtx_unlock(&amcf->shpool->mutex);

        local->gen = gen;

        (void) attck_snap_open(&local->snap, gen->data, gen->size,
                               ATTCK_SNAP_TRUSTED, err, sizeof(err));

        ngx_sprintf(local->checksum, "%08xD", local->snap.header->checksum);

        old = ngx_http_attck_local;
        ngx_http_attck_local = local;
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
    ngx_shmtx_lock(&amcf->shpool->mutex);

    if (--local->gen->refs == 0) {
        ngx_slab_free_locked(amcf->shpool, local->gen);
    }

    ngx_shmtx_unlock(&amcf->shpool->mutex);

    ngx_free(local);
}


void
ngx_http_attck_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_attck_local_t  *local;

    /* an exiting worker lets go, so an old generation can be freed */

    local = ngx_http_attck_local;

    if (local && ngx_http_attck_amcf) {
        ngx_http_attck_local = NULL;
        ngx_http_attck_release(ngx_http_attck_amcf, local);
    }
}
