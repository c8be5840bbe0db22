
/*
 * ngx_http_attck_module: the filters of the threat endpoints and the tally
 * of the threats that pass them.  ngx_http_attck_facets.c parses the
 * filters and writes the answers; ngx_http_attck_tally.c counts, in the
 * event loop or, for long walks, in slices on a thread pool.
 */

#ifndef _NGX_HTTP_ATTCK_FACETS_H_INCLUDED_
#define _NGX_HTTP_ATTCK_FACETS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "snapshot/attck_tix.h"


#define NGX_HTTP_ATTCK_DAY            86400
/* a threat's values of one kind deduplicated by comparing them */
#define NGX_HTTP_ATTCK_FEW_VALUES     16


typedef struct {
    attck_tix_t               tix;
    int64_t                   since;       /* inclusive */
    int64_t                   until;       /* exclusive */
    ngx_uint_t                has_since;
    ngx_uint_t                has_until;
    ngx_uint_t                sources;     /* bits; 0: any */
    ngx_uint_t                methods;
    ngx_uint_t                domains;
    ngx_uint_t                by_map;      /* a mapping filter is given */
    float                     min_score;
    u_char                   *tech_ok;     /* [ntechs], 0 or 1 */
    uint64_t                 *sel;         /* threats that may match */
    u_char                   *type_ok;     /* [nstrs], NULL: any */
    u_char                   *country_ok;
    u_char                   *tag_ok;
    ngx_uint_t                interval;
    ngx_str_t                 echo;        /* the filters, as JSON members */
    ngx_int_t                 rc;          /* the answer to a bad filter */
} ngx_http_attck_filter_t;


/*
 * What the matching threats add up to.  A walk over a slice of the
 * threats writes only its own tally, so slices can be walked at once and
 * their tallies merged.
 */

typedef struct {
    uint32_t                 *tcount;      /* [ntechs] mappings passing */
    uint32_t                 *tincl;       /* [ntechs] a family's threats */
    uint32_t                 *tstamp;      /* [ntechs] its last threat + 1 */
    uint32_t                 *ccount;      /* [ntactics] threats */
    uint32_t                 *counts[4];   /* [nstrs] types, countries, tags,
                                              malware: threats */
    uint32_t                 *stamps[4];   /* [nstrs] the last threat + 1 */
    double                   *tsum;        /* [ntechs] of passing scores */
    float                    *tbest;       /* [ntechs] */
    u_char                   *pass;        /* a threat's mappings passing */
    uint32_t                 *dayline;     /* [ndays][sources], or NULL */
    int64_t                   dmin;        /* the day of dayline[0] */
    int64_t                   ndays;
    int64_t                   first;       /* the oldest seen counted */
    int64_t                   last;        /* the newest */
    uint32_t                  total;
    uint32_t                  scount[ATTCK_TIX_NSOURCES];
} ngx_http_attck_tally_t;


typedef void (*ngx_http_attck_counted_pt)(ngx_http_request_t *r,
    void *data);


/* days since 1970-01-01 of a time, rounded down */

static ngx_inline int64_t
ngx_http_attck_day(int64_t t)
{
    return t >= 0 ? t / NGX_HTTP_ATTCK_DAY
                  : -((-t + NGX_HTTP_ATTCK_DAY - 1) / NGX_HTTP_ATTCK_DAY);
}


/* the next threat from i that may match: i itself without a selection */

static ngx_inline ngx_uint_t
ngx_http_attck_next(const ngx_http_attck_filter_t *f, ngx_uint_t i,
    ngx_uint_t end)
{
    uint64_t  w;

    if (f->sel == NULL) {
        return i;
    }

    while (i < end) {
        w = f->sel[i >> 6] >> (i & 63);

        if (w) {
            return i + __builtin_ctzll(w);
        }

        i = (i | 63) + 1;
    }

    return end;
}


/* whether a value of the threat's slice is in ok */

static ngx_inline ngx_uint_t
ngx_http_attck_any(const attck_tix_t *tix, const attck_tix_threat_t *t,
    ngx_uint_t first, ngx_uint_t n, const u_char *ok)
{
    ngx_uint_t  k;

    for (k = 0; k < n; k++) {
        if (ok[tix->vals[t->vals + first + k]]) {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether the threat matches; pass[k] says whether its mapping k passes
 * the mapping filters
 */

static ngx_inline ngx_uint_t
ngx_http_attck_matches(const ngx_http_attck_filter_t *f,
    const attck_tix_threat_t *t, u_char *pass)
{
    float                   min;
    const u_char           *ok;
    ngx_uint_t              k, n, any, p, methods;
    const attck_tix_map_t  *m;

    if ((f->sources && !(f->sources & (1 << t->source)))
        || (f->type_ok && (t->type == ATTCK_TIX_NONE || !f->type_ok[t->type]))
        || (f->country_ok
            && !ngx_http_attck_any(&f->tix, t, 0, t->ncountries,
                                   f->country_ok))
        || (f->tag_ok
            && !ngx_http_attck_any(&f->tix, t, t->ncountries, t->ntags,
                                   f->tag_ok)))
    {
        return 0;
    }

    /* the filters in locals: a store to pass[] may alias any of f */

    any = 0;
    n = t->nmaps;
    m = &f->tix.maps[t->maps];
    ok = f->tech_ok;
    methods = f->methods ? f->methods : ~(ngx_uint_t) 0;
    min = f->min_score;

    for (k = 0; k < n; k++) {
        p = ok[m[k].tech] & ((methods >> m[k].method) & 1)
            & (m[k].score >= min);
        pass[k] = (u_char) p;
        any |= p;
    }

    return any || !f->by_map;
}


/*
 * A tally of zeros for the index, with a dayline of ndays from the day
 * dmin (none when ndays is 0).  NGX_ERROR when out of memory.
 */
ngx_int_t ngx_http_attck_tally_init(ngx_pool_t *pool,
    ngx_http_attck_tally_t *t, const attck_tix_t *tix, int64_t dmin,
    int64_t ndays);

/* the day units u0 to u1 of the filter's sources, added */
void ngx_http_attck_tally_units(const ngx_http_attck_filter_t *f,
    ngx_http_attck_tally_t *t, ngx_uint_t u0, ngx_uint_t u1);

/*
 * The threats i0 to i1 that match, counted: in the event loop (NGX_OK),
 * or on the thread pool tp in slices (NGX_AGAIN: done(r, data) is called
 * in the event loop when the tally is whole).  NGX_ERROR when out of
 * memory.
 */
ngx_int_t ngx_http_attck_tally_count(ngx_http_request_t *r,
    const ngx_http_attck_filter_t *f, ngx_http_attck_tally_t *t,
    ngx_uint_t i0, ngx_uint_t i1, ngx_http_attck_counted_pt done,
    void *data);


#endif /* _NGX_HTTP_ATTCK_FACETS_H_INCLUDED_ */
