
/*
 * ngx_http_attck_module: the tally of threats/stats, the threats that
 * match counted.  A walk of a million threats takes tens of milliseconds,
 * which the event loop would spend away from every other request of the
 * worker process; with attck_thread_pool, a walk of at least min_threats
 * is cut into slices walked at once on the pool's threads, each into a
 * tally of its own, merged in the event loop when the last is done.
 * Everything a slice needs is allocated before it is posted: a thread
 * reads the index and the filter and writes its tally, nothing else.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_metrics.h"
#include "ngx_http_attck_facets.h"


#define NGX_HTTP_ATTCK_SLICES  4


typedef struct ngx_http_attck_count_s  ngx_http_attck_count_t;

typedef struct {
    const ngx_http_attck_filter_t  *filter;
    const uint64_t                 *tmask;
    ngx_http_attck_tally_t         *tally;
    ngx_uint_t                      i0;
    ngx_uint_t                      i1;
    ngx_http_attck_count_t         *count;
} ngx_http_attck_slice_t;


struct ngx_http_attck_count_s {
    ngx_http_request_t             *request;
    ngx_http_attck_tally_t         *tally;     /* the whole */
    ngx_http_attck_tally_t         *parts;     /* the slices' */
    ngx_uint_t                      nparts;
    ngx_uint_t                      pending;
    ngx_http_attck_counted_pt       done;
    void                           *data;
};


static ngx_uint_t ngx_http_attck_walk_size(const ngx_http_attck_filter_t *f,
    ngx_uint_t i0, ngx_uint_t i1);
static void ngx_http_attck_tally_walk(const ngx_http_attck_filter_t *f,
    const uint64_t *tmask, ngx_http_attck_tally_t *t, ngx_uint_t i0,
    ngx_uint_t i1);
static void ngx_http_attck_tally_merge(const attck_tix_t *tix,
    ngx_http_attck_tally_t *t, const ngx_http_attck_tally_t *s);
#if (NGX_THREADS)
static ngx_int_t ngx_http_attck_tally_slices(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_uint_t n, const ngx_http_attck_filter_t *f,
    const uint64_t *tmask, ngx_http_attck_tally_t *t, ngx_uint_t i0,
    ngx_uint_t i1, ngx_http_attck_counted_pt done, void *data);
static void ngx_http_attck_slice_walk(void *data, ngx_log_t *log);
static void ngx_http_attck_slice_done(ngx_event_t *ev);
#endif


/* attck_thread_pool NAME [min_threats=N] | off */

char *
ngx_http_attck_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_attck_loc_conf_t  *alcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (alcf->thread_pool != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            return "takes no parameter after \"off\"";
        }

        alcf->thread_pool = NULL;
        return NGX_CONF_OK;
    }

    if (cf->args->nelts > 2) {
        if (value[2].len <= sizeof("min_threats=") - 1
            || ngx_strncmp(value[2].data, "min_threats=",
                           sizeof("min_threats=") - 1)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(value[2].data + sizeof("min_threats=") - 1,
                     value[2].len - (sizeof("min_threats=") - 1));

        if (n == NGX_ERROR || n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\": min_threats is a "
                               "whole number from 1", &value[2]);
            return NGX_CONF_ERROR;
        }

        alcf->thread_min = (ngx_uint_t) n;
    }

#if (NGX_THREADS)

    alcf->thread_pool = ngx_thread_pool_add(cf, &value[1]);
    if (alcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

#else

    return "needs nginx built with threads (--with-threads)";

#endif
}


ngx_int_t
ngx_http_attck_tally_init(ngx_pool_t *pool, ngx_http_attck_tally_t *t,
    const attck_tix_t *tix, int64_t dmin, int64_t ndays)
{
    size_t      n;
    uint32_t   *p;
    ngx_uint_t  ntechs, ntac, nstrs, k;

    ntechs = tix->header->ntechs;
    ntac = tix->header->ntactics;
    nstrs = tix->header->nstrs;

    ngx_memzero(t, sizeof(ngx_http_attck_tally_t));

    n = (3 * ntechs + ntac + 7 * nstrs + ndays * ATTCK_TIX_NSOURCES + 4)
        * sizeof(uint32_t) + ntechs * (sizeof(double) + sizeof(float))
        + 65536 + 16;

    p = ngx_pcalloc(pool, n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    t->tcount = p;
    t->tincl = t->tcount + ntechs;
    t->tstamp = t->tincl + ntechs;
    t->ccount = t->tstamp + ntechs;
    t->counts[0] = t->ccount + ntac;

    for (k = 1; k < 4; k++) {
        t->counts[k] = t->counts[k - 1] + nstrs;
    }

    /* types are one a threat: never stamped */

    t->stamps[0] = NULL;
    t->stamps[1] = t->counts[3] + nstrs;
    t->stamps[2] = t->stamps[1] + nstrs;
    t->stamps[3] = t->stamps[2] + nstrs;

    t->dayline = ndays ? t->stamps[3] + nstrs : NULL;
    t->dmin = dmin;
    t->ndays = ndays;

    t->tsum = (double *) ngx_align_ptr(t->stamps[3] + nstrs
                                       + ndays * ATTCK_TIX_NSOURCES + 1, 8);
    t->tbest = (float *) (t->tsum + ntechs);
    t->pass = (u_char *) (t->tbest + ntechs);   /* 65536: a threat's maps */

    t->first = INT64_MAX;
    t->last = INT64_MIN;

    return NGX_OK;
}


void
ngx_http_attck_tally_units(const ngx_http_attck_filter_t *f,
    ngx_http_attck_tally_t *t, ngx_uint_t u0, ngx_uint_t u1)
{
    ngx_uint_t                  i, k;
    const attck_tix_t          *tix;
    const attck_tix_unit_t     *u;
    const attck_tix_count_t    *c;
    const attck_tix_techsum_t  *ts;

    tix = &f->tix;

    for (i = u0; i < u1; i++) {
        u = &tix->units[i];

        if (f->sources && !(f->sources & (1 << u->source))) {
            continue;
        }

        t->scount[u->source] += u->threats;
        t->total += u->threats;
        t->first = ngx_min(t->first, u->first);
        t->last = ngx_max(t->last, u->last);

        for (k = 0; k < u->ntechsums; k++) {
            ts = &tix->techsums[u->techsums + k];

            if (ts->count
                && (t->tcount[ts->tech] == 0 || ts->best > t->tbest[ts->tech]))
            {
                t->tbest[ts->tech] = ts->best;
            }

            t->tcount[ts->tech] += ts->count;
            t->tincl[ts->tech] += ts->incl;
            t->tsum[ts->tech] += ts->sum;
        }

        for (k = 0; k < u->ncounts; k++) {
            c = &tix->counts[u->counts + k];

            if (c->kind == ATTCK_TIX_TACTIC) {
                t->ccount[c->key] += c->count;

            } else {
                t->counts[c->kind][c->key] += c->count;
            }
        }
    }
}


/* the threats from i0 to i1 a walk looks at: those selected, if any */

static ngx_uint_t
ngx_http_attck_walk_size(const ngx_http_attck_filter_t *f, ngx_uint_t i0,
    ngx_uint_t i1)
{
    uint64_t    w;
    ngx_uint_t  i, n;

    if (f->sel == NULL || i0 >= i1) {
        return i1 > i0 ? i1 - i0 : 0;
    }

    n = 0;

    for (i = i0; i < i1; i = (i | 63) + 1) {
        w = f->sel[i >> 6] >> (i & 63);

        if ((i | 63) >= i1) {
            w &= ((uint64_t) 1 << (i1 - i)) - 1;
        }

        n += __builtin_popcountll(w);
    }

    return n;
}


ngx_int_t
ngx_http_attck_tally_count(ngx_http_request_t *r,
    const ngx_http_attck_filter_t *f, ngx_http_attck_tally_t *t,
    ngx_uint_t i0, ngx_uint_t i1, ngx_http_attck_counted_pt done,
    void *data)
{
    uint64_t                   *tmask;
    ngx_uint_t                  j, c, n, w;
    const attck_tix_t          *tix;
    const attck_tix_tech_t     *tech;
    ngx_http_attck_loc_conf_t  *alcf;

    tix = &f->tix;

    /*
     * A technique's tactics as bits (an index has at most 64 tactics):
     * a threat's tactics are an or of its mappings', each counted once
     */

    tmask = ngx_pcalloc(r->pool, (tix->header->ntechs + 1)
                                 * sizeof(uint64_t));
    if (tmask == NULL) {
        return NGX_ERROR;
    }

    for (j = 0; j < tix->header->ntechs; j++) {
        tech = &tix->techs[j];

        for (c = 0; c < tech->ntactics; c++) {
            tmask[j] |= (uint64_t) 1 << tix->vals[tech->tactics + c];
        }
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    n = 0;

    if (alcf->thread_pool) {
        w = ngx_http_attck_walk_size(f, i0, i1);

        if (w >= alcf->thread_min) {
            n = ngx_min(NGX_HTTP_ATTCK_SLICES,
                        (w + alcf->thread_min - 1) / alcf->thread_min);
        }
    }

#if (NGX_THREADS)
    if (n > 1) {
        return ngx_http_attck_tally_slices(r, alcf->thread_pool, n, f, tmask,
                                           t, i0, i1, done, data);
    }
#endif

    ngx_http_attck_tally_walk(f, tmask, t, i0, i1);

    ngx_http_attck_count(ngx_http_get_module_main_conf(r,
                                                   ngx_http_attck_module),
                         tally_walks[0], 1);

    return NGX_OK;
}


#if (NGX_THREADS)

static ngx_int_t
ngx_http_attck_tally_slices(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_uint_t n, const ngx_http_attck_filter_t *f, const uint64_t *tmask,
    ngx_http_attck_tally_t *t, ngx_uint_t i0, ngx_uint_t i1,
    ngx_http_attck_counted_pt done, void *data)
{
    ngx_uint_t                  k, posted;
    ngx_thread_task_t          *task, **tasks;
    ngx_http_attck_count_t     *count;
    ngx_http_attck_slice_t     *slice;
    ngx_http_attck_main_conf_t *amcf;

    count = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_count_t));
    if (count == NULL) {
        return NGX_ERROR;
    }

    count->parts = ngx_palloc(r->pool, n * sizeof(ngx_http_attck_tally_t));
    if (count->parts == NULL) {
        return NGX_ERROR;
    }

    count->request = r;
    count->tally = t;
    count->nparts = n;
    count->done = done;
    count->data = data;

    /* every slice and task ready before any is posted */

    for (k = 0; k < n; k++) {
        if (ngx_http_attck_tally_init(r->pool, &count->parts[k], &f->tix,
                                      t->dmin, t->ndays)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    tasks = ngx_palloc(r->pool, n * sizeof(ngx_thread_task_t *));
    if (tasks == NULL) {
        return NGX_ERROR;
    }

    for (k = 0; k < n; k++) {
        tasks[k] = ngx_thread_task_alloc(r->pool,
                                         sizeof(ngx_http_attck_slice_t));
        if (tasks[k] == NULL) {
            return NGX_ERROR;
        }
    }

    posted = 0;

    for (k = 0; k < n; k++) {
        task = tasks[k];
        slice = task->ctx;
        slice->filter = f;
        slice->tmask = tmask;
        slice->tally = &count->parts[k];
        slice->i0 = i0 + (i1 - i0) * k / n;
        slice->i1 = i0 + (i1 - i0) * (k + 1) / n;
        slice->count = count;

        task->handler = ngx_http_attck_slice_walk;
        task->event.handler = ngx_http_attck_slice_done;
        task->event.data = slice;

        /* a slice the pool has no room for is walked here */

        count->pending++;

        if (ngx_thread_task_post(tp, task) != NGX_OK) {
            count->pending--;
            ngx_http_attck_tally_walk(f, tmask, slice->tally, slice->i0,
                                      slice->i1);
            continue;
        }

        posted++;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (posted == 0) {
        for (k = 0; k < n; k++) {
            ngx_http_attck_tally_merge(&f->tix, t, &count->parts[k]);
        }

        ngx_http_attck_count(amcf, tally_walks[0], 1);

        return NGX_OK;
    }

    ngx_http_attck_count(amcf, tally_walks[1], 1);
    ngx_http_attck_count(amcf, tally_slices, posted);

    r->main->count++;
    r->main->blocked++;
    r->aio = 1;

    return NGX_AGAIN;
}


/* on a thread of the pool */

static void
ngx_http_attck_slice_walk(void *data, ngx_log_t *log)
{
    ngx_http_attck_slice_t  *slice = data;

    ngx_http_attck_tally_walk(slice->filter, slice->tmask, slice->tally,
                              slice->i0, slice->i1);
}


/* in the event loop, a slice walked: the last one merges and answers */

static void
ngx_http_attck_slice_done(ngx_event_t *ev)
{
    ngx_uint_t               k;
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_attck_slice_t  *slice;
    ngx_http_attck_count_t  *count;

    slice = ev->data;
    count = slice->count;

    if (--count->pending) {
        return;
    }

    r = count->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    for (k = 0; k < count->nparts; k++) {
        ngx_http_attck_tally_merge(&slice->filter->tix, count->tally,
                                   &count->parts[k]);
    }

    count->done(r, count->data);

    ngx_http_run_posted_requests(c);
}

#endif


/*
 * The walk is bound by memory, not work: the threats a selection leaves
 * are scattered, so their records are fetched 16 threats ahead, their
 * mappings and values 8
 */

static void
ngx_http_attck_tally_walk(const ngx_http_attck_filter_t *f,
    const uint64_t *tmask, ngx_http_attck_tally_t *t, ngx_uint_t i0,
    ngx_uint_t i1)
{
    u_char                    *pass;
    int64_t                    day;
    uint32_t                   v;
    uint64_t                   tactics;
    ngx_uint_t                 i, j, k, c, cat, nv, firstv, fam, far, near;
    const uint32_t            *vp;
    const attck_tix_t         *tix;
    const attck_tix_map_t     *m;
    const attck_tix_threat_t  *th;

    tix = &f->tix;
    pass = t->pass;

    far = ngx_http_attck_next(f, i0, i1);
    near = far;

    for (k = 0; k < 16 && far < i1; k++) {
        __builtin_prefetch(&tix->threats[far]);
        far = ngx_http_attck_next(f, far + 1, i1);

        if (k >= 8) {
            th = &tix->threats[near];
            __builtin_prefetch(&tix->maps[th->maps]);
            __builtin_prefetch(&tix->vals[th->vals]);
            near = ngx_http_attck_next(f, near + 1, i1);
        }
    }

    for (i = ngx_http_attck_next(f, i0, i1); i < i1;
         i = ngx_http_attck_next(f, i + 1, i1))
    {
        if (far < i1) {
            __builtin_prefetch(&tix->threats[far]);
            far = ngx_http_attck_next(f, far + 1, i1);
        }

        if (near < i1) {
            th = &tix->threats[near];
            __builtin_prefetch(&tix->maps[th->maps]);
            __builtin_prefetch(&tix->vals[th->vals]);
            near = ngx_http_attck_next(f, near + 1, i1);
        }

        th = &tix->threats[i];

        if (!ngx_http_attck_matches(f, th, pass)) {
            continue;
        }

        t->total++;
        t->scount[th->source]++;
        t->first = ngx_min(t->first, th->seen);
        t->last = ngx_max(t->last, th->seen);

        if (t->dayline) {
            day = ngx_http_attck_day(th->seen) - t->dmin;
            t->dayline[day * ATTCK_TIX_NSOURCES + th->source]++;
        }

        if (th->type != ATTCK_TIX_NONE) {
            t->counts[0][th->type]++;
        }

        /* a value listed twice by one threat counts once */

        firstv = 0;

        for (cat = 1; cat < 4; cat++) {
            nv = cat == 1 ? th->ncountries : cat == 2 ? th->ntags
                                                       : th->nmalware;
            vp = &tix->vals[th->vals + firstv];
            firstv += nv;

            /* a few values: compared with each other, not stamped */

            if (nv <= NGX_HTTP_ATTCK_FEW_VALUES) {
                for (k = 0; k < nv; k++) {
                    for (c = 0; c < k && vp[c] != vp[k]; c++) {
                        /* void */
                    }

                    t->counts[cat][vp[k]] += (c == k);
                }

                continue;
            }

            for (k = 0; k < nv; k++) {
                v = vp[k];

                if (t->stamps[cat][v] != i + 1) {
                    t->stamps[cat][v] = (uint32_t) (i + 1);
                    t->counts[cat][v]++;
                }
            }
        }

        m = &tix->maps[th->maps];
        tactics = 0;

        for (k = 0; k < th->nmaps; k++) {
            if (!pass[k]) {
                continue;
            }

            j = m[k].tech;

            t->tsum[j] += m[k].score;

            if (t->tcount[j] == 0 || m[k].score > t->tbest[j]) {
                t->tbest[j] = m[k].score;
            }

            t->tcount[j]++;

            fam = tix->techs[j].parent == ATTCK_TIX_NONE
                  ? j : tix->techs[j].parent;

            if (t->tstamp[fam] != i + 1) {
                t->tstamp[fam] = (uint32_t) (i + 1);
                t->tincl[fam]++;
            }

            tactics |= tmask[j];
        }

        /* the threat's tactics, each once */

        while (tactics) {
            t->ccount[__builtin_ctzll(tactics)]++;
            tactics &= tactics - 1;
        }
    }
}


/*
 * s added to t; the slices are apart, so their threats are.  The sums of
 * float scores in doubles are exact (scores of 0.01 and more, fewer than
 * 2^20 of them), so slices add up to what one walk does, to the bit.
 */

static void
ngx_http_attck_tally_merge(const attck_tix_t *tix, ngx_http_attck_tally_t *t,
    const ngx_http_attck_tally_t *s)
{
    ngx_uint_t  j, k, nstrs;

    for (j = 0; j < tix->header->ntechs; j++) {
        if (s->tcount[j]
            && (t->tcount[j] == 0 || s->tbest[j] > t->tbest[j]))
        {
            t->tbest[j] = s->tbest[j];
        }

        t->tcount[j] += s->tcount[j];
        t->tincl[j] += s->tincl[j];
        t->tsum[j] += s->tsum[j];
    }

    for (j = 0; j < tix->header->ntactics; j++) {
        t->ccount[j] += s->ccount[j];
    }

    nstrs = tix->header->nstrs;

    for (k = 0; k < 4; k++) {
        for (j = 0; j < nstrs; j++) {
            t->counts[k][j] += s->counts[k][j];
        }
    }

    for (j = 0; t->dayline && j < (ngx_uint_t) t->ndays * ATTCK_TIX_NSOURCES;
         j++)
    {
        t->dayline[j] += s->dayline[j];
    }

    for (j = 0; j < ATTCK_TIX_NSOURCES; j++) {
        t->scount[j] += s->scount[j];
    }

    t->total += s->total;
    t->first = ngx_min(t->first, s->first);
    t->last = ngx_max(t->last, s->last);
}
