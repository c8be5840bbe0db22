
/*
 * ngx_http_attck_module: the threat index of the snapshot (attck_tix.h)
 * filtered and counted in the worker process, no round trip:
 *
 *   GET threats/stats?<filters>&interval=   facets of the matching threats
 *   GET threats?<filters>&limit=&offset=    their documents, newest first:
 *                                           the ids from the index, the
 *                                           documents from Redis
 *   GET threats/{id}                        "attck:doc:HEX", HEX the name
 *                                           the index gives the id
 *   GET techniques/{id}/threats             the technique's postings, each
 *                                           threat's "attck:brief:HEX"
 *
 * A threat matches when it passes every threat filter (since, until,
 * source, type, country, tag) and, when a mapping filter (technique,
 * tactic, method, min_score, domain, release) is given, one of its
 * mappings passes all of them; the technique and tactic facets count the
 * mappings that pass.  The index is of the snapshot the request holds, so
 * one answer never mixes two publishes.  A snapshot without an index
 * (compiled from files) leaves threats? to the Redis lists of
 * ngx_http_attck_threats.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <math.h>

#include "ngx_http_attck_api.h"
#include "ngx_http_attck_redis.h"
#include "ngx_http_attck_facets.h"


#define NGX_HTTP_ATTCK_FACET_TOP      25
#define NGX_HTTP_ATTCK_MAX_BUCKETS    5000
/* more days than the most buckets of months can hold */
#define NGX_HTTP_ATTCK_MAX_DAYS       (NGX_HTTP_ATTCK_MAX_BUCKETS * 31 + 31)
#define NGX_HTTP_ATTCK_MAX_VALUES     64      /* in one comma list */

#define NGX_HTTP_ATTCK_DAILY          0
#define NGX_HTTP_ATTCK_WEEKLY         1
#define NGX_HTTP_ATTCK_MONTHLY        2


/* a growing answer */

typedef struct {
    ngx_pool_t               *pool;
    u_char                   *start;
    u_char                   *pos;
    u_char                   *end;
} ngx_http_attck_out_t;


typedef struct {
    uint32_t                  count;
    uint32_t                  key;
} ngx_http_attck_rank_t;


/* threats/stats between its count and its answer */

typedef struct {
    ngx_http_attck_ctx_t     *ctx;
    ngx_http_attck_filter_t   f;
    ngx_http_attck_tally_t    tally;
    ngx_uint_t                generation;
    ngx_uint_t                units;       /* counted from u0 to u1 */
    ngx_uint_t                u0;
    ngx_uint_t                u1;
    ngx_uint_t                i0;          /* else walked from i0 to i1 */
    ngx_uint_t                i1;
} ngx_http_attck_stats_t;


typedef struct {
    ngx_uint_t                generation;
    ngx_uint_t                offset;
    ngx_uint_t                limit;
    ngx_uint_t                total;
    ngx_uint_t                n;           /* documents asked for */
    ngx_str_t                *docs;
    ngx_str_t                *pre;         /* members put before a brief's */
    ngx_str_t                 technique;   /* of a technique's list */
    ngx_str_t                 id;          /* of one threat */
} ngx_http_attck_page_t;


static ngx_int_t ngx_http_attck_filter(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f,
    ngx_uint_t *generation);
static ngx_int_t ngx_http_attck_facet_fail(ngx_http_attck_filter_t *f,
    ngx_int_t rc);
static ngx_int_t ngx_http_attck_filter_list(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f, ngx_uint_t i,
    ngx_str_t *vals, ngx_uint_t *n);
static ngx_int_t ngx_http_attck_filter_strs(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f, ngx_uint_t i,
    u_char **ok);
static ngx_int_t ngx_http_attck_filter_techs(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f);
static ngx_int_t ngx_http_attck_filter_words(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f, ngx_uint_t i,
    const char **words, ngx_uint_t nwords, ngx_uint_t *bits);
static ngx_int_t ngx_http_attck_filter_score(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, ngx_http_attck_filter_t *f);
static ngx_int_t ngx_http_attck_select(ngx_http_request_t *r,
    ngx_http_attck_filter_t *f);
static ngx_uint_t ngx_http_attck_any_mapping(ngx_http_attck_filter_t *f);
static int64_t ngx_http_attck_bucket(int64_t seen, ngx_uint_t interval);
static int64_t ngx_http_attck_bucket_day(int64_t bucket,
    ngx_uint_t interval);
static void ngx_http_attck_civil(int64_t days, ngx_int_t *y, ngx_int_t *m,
    ngx_int_t *d);
static u_char *ngx_http_attck_date(u_char *p, int64_t days);
static ngx_int_t ngx_http_attck_room_for(ngx_http_attck_out_t *o, size_t n);
static void ngx_http_attck_out_str(ngx_http_attck_out_t *o, const u_char *s,
    size_t len);
static void ngx_http_attck_out_ranked(ngx_http_attck_out_t *o,
    const char *name, const char *key, const attck_tix_t *tix,
    uint32_t *counts, ngx_uint_t top);
static int ngx_http_attck_rank_cmp(const void *a, const void *b);
static void ngx_http_attck_stats_counted(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_attck_stats_answer(ngx_http_request_t *r,
    ngx_http_attck_stats_t *st);
static ngx_int_t ngx_http_attck_page_send(ngx_http_request_t *r,
    ngx_http_attck_page_t *pg);
static ngx_int_t ngx_http_attck_indexed(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, attck_tix_t *tix, ngx_uint_t *generation,
    ngx_int_t *rc);
static ngx_int_t ngx_http_attck_page_get(ngx_http_request_t *r,
    ngx_http_attck_page_t *pg, ngx_http_attck_redis_argv_t *cmds,
    ngx_http_attck_redis_reply_pt handler);
static u_char *ngx_http_attck_doc_key(u_char *p, const char *kind,
    const attck_tix_threat_t *t);
static void ngx_http_attck_one_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);
static u_char *ngx_http_attck_score(u_char *p, float score);
static void ngx_http_attck_page_reply(ngx_http_attck_redis_cmd_t *cmd,
    redisReply *rr, ngx_uint_t index);


/* the parameters' names, by NGX_HTTP_ATTCK_I_*, for the messages */
static ngx_str_t  ngx_http_attck_facet_names[NGX_HTTP_ATTCK_P_NUM] = {
    ngx_string("release"), ngx_string("tactic"), ngx_string("platform"),
    ngx_string("domain"), ngx_string("subtechniques"),
    ngx_string("include_revoked"), ngx_string("limit"),
    ngx_string("offset"), ngx_string("q"), ngx_string("techniques"),
    ngx_string("technique"), ngx_string("source"), ngx_string("since"),
    ngx_string("from"), ngx_string("to"), ngx_string("type"),
    ngx_string("section"), ngx_string("format"), ngx_string("until"),
    ngx_string("country"), ngx_string("tag"), ngx_string("min_score"),
    ngx_string("method"), ngx_string("interval")
};

static const char  *ngx_http_attck_domains[] = {
    "enterprise", "mobile", "ics"
};

static const char  *ngx_http_attck_intervals[] = {
    "day", "week", "month"
};


/* the answer to a bad request was sent: NGX_ERROR, its code in f->rc */

static ngx_int_t
ngx_http_attck_facet_fail(ngx_http_attck_filter_t *f, ngx_int_t rc)
{
    f->rc = rc;

    return NGX_ERROR;
}


/*
 * The filters of the request, checked, into f; the generation of the
 * threat data.  NGX_OK, or NGX_ERROR with the answer sent (f->rc).
 */

static ngx_int_t
ngx_http_attck_filter(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f, ngx_uint_t *generation)
{
    u_char                      *p;
    ngx_int_t                    rc;
    ngx_uint_t                   i, bits;
    ngx_str_t                   *v;
    ngx_http_attck_main_conf_t  *amcf;

    ngx_memzero(f, sizeof(ngx_http_attck_filter_t));

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (amcf->redis == NULL) {
        return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "threat data is not served here (no "
                                    "attck_redis)"));
    }

    *generation = ngx_http_attck_published(amcf, NULL);

    if (*generation == 0) {
        return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable",
                                    "no threat data published"));
    }

    if (attck_tix_of(&f->tix, ctx->snap) != 0) {
        return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "the snapshot served has "
                                    "no threat index (publish writes one)"));
    }

    /* values escaped grow six-fold at most */

    f->echo.data = ngx_pnalloc(r->pool, r->args.len * 6 + 1024);
    if (f->echo.data == NULL) {
        return ngx_http_attck_facet_fail(f, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    f->until = INT64_MAX;
    f->since = INT64_MIN;

    if (ctx->given & NGX_HTTP_ATTCK_P_SINCE) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_SINCE];

        if (ngx_http_attck_threats_time(v, &f->since) != NGX_OK) {
            return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"since\" is a date such as "
                                        "2025-03-01 or a UTC time such as "
                                        "2025-03-01T12:00:00Z, from 1970 "
                                        "to 9999"));
        }

        f->has_since = 1;
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_UNTIL) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_UNTIL];

        if (ngx_http_attck_threats_time(v, &f->until) != NGX_OK) {
            return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"until\" is a date such as "
                                        "2025-03-01 or a UTC time such as "
                                        "2025-03-01T12:00:00Z, from 1970 "
                                        "to 9999"));
        }

        f->has_until = 1;
    }

    if (f->has_since && f->has_until && f->until <= f->since) {
        return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"until\" is after \"since\""));
    }

    rc = ngx_http_attck_filter_words(r, ctx, f, NGX_HTTP_ATTCK_I_SOURCE,
                                     attck_tix_sources, ATTCK_TIX_NSOURCES,
                                     &f->sources);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_attck_filter_words(r, ctx, f, NGX_HTTP_ATTCK_I_METHOD,
                                     attck_tix_methods, ATTCK_TIX_NMETHODS,
                                     &f->methods);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_attck_filter_words(r, ctx, f, NGX_HTTP_ATTCK_I_DOMAIN,
                                     ngx_http_attck_domains, 3, &f->domains);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_attck_filter_strs(r, ctx, f, NGX_HTTP_ATTCK_I_TYPE,
                                    &f->type_ok);
    if (rc == NGX_OK) {
        rc = ngx_http_attck_filter_strs(r, ctx, f, NGX_HTTP_ATTCK_I_COUNTRY,
                                        &f->country_ok);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_attck_filter_strs(r, ctx, f, NGX_HTTP_ATTCK_I_TAG,
                                        &f->tag_ok);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_attck_filter_score(r, ctx, f);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_attck_filter_techs(r, ctx, f);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_INTERVAL) {
        bits = 0;
        rc = ngx_http_attck_filter_words(r, ctx, f, NGX_HTTP_ATTCK_I_INTERVAL,
                                         ngx_http_attck_intervals, 3, &bits);
        if (rc != NGX_OK) {
            return rc;
        }

        for (i = 0; !(bits & (1 << i)); i++) { /* void */ }

        if (bits != (ngx_uint_t) 1 << i) {
            return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"interval\" is one of day, week "
                                        "or month"));
        }

        f->interval = i;
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_RELEASE) {
        p = f->echo.data + f->echo.len;
        p = ngx_sprintf(p, "\"release\":\"");
        p = (u_char *) ngx_escape_json(p, ctx->param[NGX_HTTP_ATTCK_I_RELEASE].data,
                             ctx->param[NGX_HTTP_ATTCK_I_RELEASE].len);
        p = ngx_sprintf(p, "\",");
        f->echo.len = p - f->echo.data;
    }

    f->by_map = (ctx->given & (NGX_HTTP_ATTCK_P_TECHNIQUE
                               |NGX_HTTP_ATTCK_P_TACTIC
                               |NGX_HTTP_ATTCK_P_METHOD
                               |NGX_HTTP_ATTCK_P_MIN_SCORE
                               |NGX_HTTP_ATTCK_P_DOMAIN
                               |NGX_HTTP_ATTCK_P_RELEASE)) != 0;

    if (f->by_map && ngx_http_attck_select(r, f) != NGX_OK) {
        return ngx_http_attck_facet_fail(f, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    return NGX_OK;
}


/*
 * When the techniques a mapping filter lets pass have few threats, the
 * threats they list (their postings, best score first, so min_score cuts
 * them short) are marked, and only those are looked at: technique=T1059
 * reads its threats, not all of them.  Not worth it when the postings
 * are most of all mappings (domain=enterprise).
 */

static ngx_int_t
ngx_http_attck_select(ngx_http_request_t *r, ngx_http_attck_filter_t *f)
{
    uint64_t                 *sel;
    ngx_uint_t                j, k, n;
    const attck_tix_t        *tix;
    const attck_tix_tech_t   *t;
    const attck_tix_post_t   *p;

    tix = &f->tix;
    n = 0;

    for (j = 0; j < tix->header->ntechs; j++) {
        if (f->tech_ok[j]) {
            n += tix->techs[j].nposts;
        }
    }

    if (n > tix->header->nmaps / 4 * 3) {
        return NGX_OK;
    }

    sel = ngx_pcalloc(r->pool, (tix->header->nthreats / 64 + 1)
                               * sizeof(uint64_t));
    if (sel == NULL) {
        return NGX_ERROR;
    }

    for (j = 0; j < tix->header->ntechs; j++) {
        if (!f->tech_ok[j]) {
            continue;
        }

        t = &tix->techs[j];
        p = tix->posts + t->posts;

        for (k = 0; k < t->nposts && p[k].score >= f->min_score; k++) {
            sel[p[k].threat >> 6] |= (uint64_t) 1 << (p[k].threat & 63);
        }
    }

    f->sel = sel;

    return NGX_OK;
}


/* whether every mapping passes the mapping filters */

static ngx_uint_t
ngx_http_attck_any_mapping(ngx_http_attck_filter_t *f)
{
    ngx_uint_t  j;

    if (f->sel || f->methods || f->min_score > 0) {
        return 0;
    }

    for (j = 0; j < f->tix.header->ntechs; j++) {
        if (!f->tech_ok[j]) {
            return 0;
        }
    }

    return 1;
}


/* a comma list, split in place; empty values refused */

static ngx_int_t
ngx_http_attck_filter_list(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f, ngx_uint_t i, ngx_str_t *vals, ngx_uint_t *n)
{
    u_char     *p, *end, *q;
    ngx_str_t  *v;

    v = &ctx->param[i];
    p = v->data;
    end = p + v->len;
    *n = 0;

    for ( ;; ) {
        q = ngx_strlchr(p, end, ',');
        q = q ? q : end;

        if (q == p || *n == NGX_HTTP_ATTCK_MAX_VALUES) {
            return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"%V\" is a comma list of 1 to %d "
                                        "non-empty values",
                                        &ngx_http_attck_facet_names[i],
                                        NGX_HTTP_ATTCK_MAX_VALUES));
        }

        vals[*n].data = p;
        vals[*n].len = q - p;
        (*n)++;

        if (q == end) {
            return NGX_OK;
        }

        p = q + 1;
    }
}


/* the values echoed: "name":["a","b"], */

static void
ngx_http_attck_echo(ngx_http_attck_filter_t *f, ngx_uint_t i, ngx_str_t *vals,
    ngx_uint_t n)
{
    u_char      *p;
    ngx_uint_t   k;

    p = f->echo.data + f->echo.len;
    p = ngx_sprintf(p, "\"%V\":[", &ngx_http_attck_facet_names[i]);

    for (k = 0; k < n; k++) {
        if (k) {
            *p++ = ',';
        }

        *p++ = '"';
        p = (u_char *) ngx_escape_json(p, vals[k].data, vals[k].len);
        *p++ = '"';
    }

    p = ngx_sprintf(p, "],");
    f->echo.len = p - f->echo.data;
}


/* a comma list of fixed words: their bits */

static ngx_int_t
ngx_http_attck_filter_words(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f, ngx_uint_t i, const char **words,
    ngx_uint_t nwords, ngx_uint_t *bits)
{
    ngx_int_t   rc;
    ngx_str_t   vals[NGX_HTTP_ATTCK_MAX_VALUES];
    ngx_uint_t  n, k, w;

    *bits = 0;

    if (!(ctx->given & ((ngx_uint_t) 1 << i))) {
        return NGX_OK;
    }

    rc = ngx_http_attck_filter_list(r, ctx, f, i, vals, &n);
    if (rc != NGX_OK) {
        return rc;
    }

    for (k = 0; k < n; k++) {
        for (w = 0; w < nwords; w++) {
            if (vals[k].len == ngx_strlen(words[w])
                && ngx_strncmp(vals[k].data, words[w], vals[k].len) == 0)
            {
                break;
            }
        }

        if (w == nwords) {
            return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"%V\" takes %s%s%s%s%s",
                                        &ngx_http_attck_facet_names[i],
                                        words[0], nwords > 2 ? ", " : " or ",
                                        words[1], nwords > 2 ? " or " : "",
                                        nwords > 2 ? words[2] : ""));
        }

        *bits |= (ngx_uint_t) 1 << w;
    }

    if (i != NGX_HTTP_ATTCK_I_INTERVAL) {
        ngx_http_attck_echo(f, i, vals, n);
    }

    return NGX_OK;
}


/* type, country, tag: the strings of the index they name */

static ngx_int_t
ngx_http_attck_filter_strs(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f, ngx_uint_t i, u_char **ok)
{
    u_char                  *p;
    ngx_int_t                rc;
    ngx_str_t                vals[NGX_HTTP_ATTCK_MAX_VALUES];
    ngx_uint_t               n, k, s, nstrs;
    const attck_snap_str_t  *str;

    if (!(ctx->given & ((ngx_uint_t) 1 << i))) {
        return NGX_OK;
    }

    rc = ngx_http_attck_filter_list(r, ctx, f, i, vals, &n);
    if (rc != NGX_OK) {
        return rc;
    }

    if (i == NGX_HTTP_ATTCK_I_COUNTRY) {
        for (k = 0; k < n; k++) {
            p = vals[k].data;

            if (vals[k].len != 2
                || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z')
                || !((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z'))
            {
                return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid parameter",
                                            "\"country\" is a comma list of "
                                            "ISO 3166-1 alpha-2 codes such "
                                            "as DE"));
            }

            p[0] = ngx_toupper(p[0]);
            p[1] = ngx_toupper(p[1]);
        }
    }

    nstrs = f->tix.header->nstrs;

    *ok = ngx_pcalloc(r->pool, nstrs ? nstrs : 1);
    if (*ok == NULL) {
        return ngx_http_attck_facet_fail(f, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* a value no threat has matches nothing: an empty answer, not 400 */

    for (s = 0; s < nstrs; s++) {
        str = &f->tix.strs[s];

        for (k = 0; k < n; k++) {
            if (str->len == vals[k].len
                && ngx_memcmp(attck_tix_bytes(&f->tix, *str), vals[k].data,
                              vals[k].len) == 0)
            {
                (*ok)[s] = 1;
            }
        }
    }

    ngx_http_attck_echo(f, i, vals, n);

    return NGX_OK;
}


static ngx_int_t
ngx_http_attck_filter_score(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f)
{
    u_char      buf[32], *end;
    double      d;
    ngx_str_t  *v;
    ngx_uint_t  i;

    if (!(ctx->given & NGX_HTTP_ATTCK_P_MIN_SCORE)) {
        return NGX_OK;
    }

    v = &ctx->param[NGX_HTTP_ATTCK_I_MIN_SCORE];
    end = NULL;
    d = -1;

    /* digits and one dot only: no "nan", "1e0", "0x1", spaces or signs */

    for (i = 0; i < v->len; i++) {
        if (!((v->data[i] >= '0' && v->data[i] <= '9') || v->data[i] == '.')) {
            break;
        }
    }

    if (v->len && v->len < sizeof(buf) && i == v->len
        && v->data[0] != '.')
    {
        ngx_memcpy(buf, v->data, v->len);
        buf[v->len] = '\0';
        d = strtod((char *) buf, (char **) &end);
    }

    if (end != buf + v->len || !(d >= 0 && d <= 1)) {
        return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"min_score\" is a number from 0 to 1 "
                                    "such as 0.5"));
    }

    f->min_score = (float) d;

    f->echo.len = ngx_sprintf(f->echo.data + f->echo.len, "\"min_score\":%*s,",
                              v->len, v->data)
                  - f->echo.data;

    return NGX_OK;
}


/*
 * technique, tactic, domain and release: the techniques of the index a
 * mapping may have to pass
 */

static ngx_int_t
ngx_http_attck_filter_techs(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    ngx_http_attck_filter_t *f)
{
    u_char                     key[sizeof("techniques/") + NGX_HTTP_ATTCK_MAX_ID];
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_str_t                   tvals[NGX_HTTP_ATTCK_MAX_VALUES];
    ngx_str_t                   cvals[NGX_HTTP_ATTCK_MAX_VALUES];
    ngx_uint_t                  nt, nc, i, k, c, j, ntechs, ok;
    const attck_tix_tech_t     *t, *parent;
    const attck_tix_tactic_t   *tac;
    const attck_snap_tactic_t  *vt;

    ntechs = f->tix.header->ntechs;
    nt = 0;
    nc = 0;

    f->tech_ok = ngx_pnalloc(r->pool, ntechs ? ntechs : 1);
    if (f->tech_ok == NULL) {
        return ngx_http_attck_facet_fail(f, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    ngx_memset(f->tech_ok, 1, ntechs);

    if (ctx->given & NGX_HTTP_ATTCK_P_TECHNIQUE) {
        rc = ngx_http_attck_filter_list(r, ctx, f, NGX_HTTP_ATTCK_I_TECHNIQUE,
                                        tvals, &nt);
        if (rc != NGX_OK) {
            return rc;
        }

        for (k = 0; k < nt; k++) {
            p = tvals[k].data;

            if (tvals[k].len > NGX_HTTP_ATTCK_MAX_ID) {
                goto bad_technique;
            }

            for (i = 0; i < tvals[k].len; i++) {
                p[i] = ngx_toupper(p[i]);

                if (!((p[i] >= 'A' && p[i] <= 'Z')
                      || (p[i] >= '0' && p[i] <= '9') || p[i] == '.'))
                {
                    goto bad_technique;
                }
            }

            ngx_memcpy(key, "techniques/", sizeof("techniques/") - 1);
            ngx_memcpy(key + sizeof("techniques/") - 1, p, tvals[k].len);

            if (attck_snap_find(ctx->snap, ctx->view, (const char *) key,
                                sizeof("techniques/") - 1 + tvals[k].len)
                == NULL)
            {
                return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid parameter",
                                            "\"technique\": %V is not a "
                                            "technique of this release",
                                            &tvals[k]));
            }
        }

        ngx_http_attck_echo(f, NGX_HTTP_ATTCK_I_TECHNIQUE, tvals, nt);
    }

    if (ctx->given & NGX_HTTP_ATTCK_P_TACTIC) {
        rc = ngx_http_attck_filter_list(r, ctx, f, NGX_HTTP_ATTCK_I_TACTIC,
                                        cvals, &nc);
        if (rc != NGX_OK) {
            return rc;
        }

        /* an id or a short name of a tactic of the release */

        for (k = 0; k < nc; k++) {
            vt = attck_snap_tactics(ctx->snap, ctx->view);

            for (j = 0; j < ctx->view->ntactics; j++) {
                if ((vt[j].id.len == cvals[k].len
                     && ngx_strncasecmp((u_char *) attck_snap_bytes(ctx->snap,
                                                                   vt[j].id),
                                        cvals[k].data, cvals[k].len) == 0)
                    || (vt[j].shortname.len == cvals[k].len
                        && ngx_strncmp(attck_snap_bytes(ctx->snap,
                                                        vt[j].shortname),
                                       cvals[k].data, cvals[k].len) == 0))
                {
                    break;
                }
            }

            if (j == ctx->view->ntactics) {
                return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid parameter",
                                            "\"tactic\" is a comma list of "
                                            "tactic ids such as TA0002 or "
                                            "short names such as execution "
                                            "of this release"));
            }

            p = cvals[k].data;

            if (p[0] == 't' || p[0] == 'T') {
                p[0] = 'T';
                p[1] = ngx_toupper(p[1]);
            }
        }

        ngx_http_attck_echo(f, NGX_HTTP_ATTCK_I_TACTIC, cvals, nc);
    }

    for (i = 0; i < ntechs; i++) {
        t = &f->tix.techs[i];
        parent = t->parent == ATTCK_TIX_NONE ? NULL
                                             : &f->tix.techs[t->parent];
        ok = 1;

        /* T1059 matches its sub-techniques; T1059.001 only itself */

        if (nt) {
            for (k = 0; k < nt; k++) {
                if ((t->id.len == tvals[k].len
                     && ngx_memcmp(attck_tix_bytes(&f->tix, t->id),
                                   tvals[k].data, tvals[k].len) == 0)
                    || (parent && parent->id.len == tvals[k].len
                        && ngx_memcmp(attck_tix_bytes(&f->tix, parent->id),
                                      tvals[k].data, tvals[k].len) == 0))
                {
                    break;
                }
            }

            ok = (k < nt);
        }

        if (ok && nc) {
            ok = 0;

            for (c = 0; c < t->ntactics && !ok; c++) {
                tac = &f->tix.tactics[f->tix.vals[t->tactics + c]];

                for (k = 0; k < nc; k++) {
                    if ((tac->id.len == cvals[k].len
                         && ngx_memcmp(attck_tix_bytes(&f->tix, tac->id),
                                       cvals[k].data, cvals[k].len) == 0)
                        || (tac->shortname.len == cvals[k].len
                            && ngx_memcmp(attck_tix_bytes(&f->tix,
                                                          tac->shortname),
                                          cvals[k].data, cvals[k].len) == 0))
                    {
                        ok = 1;
                        break;
                    }
                }
            }
        }

        if (ok && f->domains) {
            ok = (t->domains & f->domains) != 0;
        }

        /* release=: only the techniques it has */

        if (ok && (ctx->given & NGX_HTTP_ATTCK_P_RELEASE)
            && t->id.len <= NGX_HTTP_ATTCK_MAX_ID)
        {
            ngx_memcpy(key, "techniques/", sizeof("techniques/") - 1);
            ngx_memcpy(key + sizeof("techniques/") - 1,
                       attck_tix_bytes(&f->tix, t->id), t->id.len);

            ok = attck_snap_find(ctx->snap, ctx->view, (const char *) key,
                                 sizeof("techniques/") - 1 + t->id.len)
                 != NULL;
        }

        f->tech_ok[i] = (u_char) ok;
    }

    return NGX_OK;

bad_technique:

    return ngx_http_attck_facet_fail(f, ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid parameter",
                                "\"technique\" is a comma list of technique "
                                "ids such as T1059 or T1059.001"));
}


/* a time's bucket: days, weeks from a Monday, or months since 1970 */

static int64_t
ngx_http_attck_bucket(int64_t seen, ngx_uint_t interval)
{
    int64_t    days;
    ngx_int_t  y, m, d;

    days = ngx_http_attck_day(seen);

    switch (interval) {

    case NGX_HTTP_ATTCK_DAILY:
        return days;

    case NGX_HTTP_ATTCK_WEEKLY:
        /* 1970-01-01 was a Thursday: 1969-12-29 a Monday */
        return (days + 3 >= 0) ? (days + 3) / 7 : -((-(days + 3) + 6) / 7);

    default:
        ngx_http_attck_civil(days, &y, &m, &d);
        return (int64_t) y * 12 + m - 1;
    }
}


/* the first day of a bucket */

static int64_t
ngx_http_attck_bucket_day(int64_t bucket, ngx_uint_t interval)
{
    int64_t    y, m, era, yoe, doy;

    switch (interval) {

    case NGX_HTTP_ATTCK_DAILY:
        return bucket;

    case NGX_HTTP_ATTCK_WEEKLY:
        return bucket * 7 - 3;

    default:
        y = bucket / 12;
        m = bucket % 12 + 1;
        y -= (m <= 2);
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
        return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    }
}


/* days since 1970-01-01 -> y, m, d (H. Hinnant's civil_from_days) */

static void
ngx_http_attck_civil(int64_t days, ngx_int_t *y, ngx_int_t *m, ngx_int_t *d)
{
    int64_t  z, era, doe, yoe, doy, mp;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = (ngx_int_t) (doy - (153 * mp + 2) / 5 + 1);
    *m = (ngx_int_t) (mp < 10 ? mp + 3 : mp - 9);
    *y = (ngx_int_t) (yoe + era * 400 + (*m <= 2));
}


static u_char *
ngx_http_attck_date(u_char *p, int64_t days)
{
    ngx_int_t  y, m, d;

    ngx_http_attck_civil(days, &y, &m, &d);

    return ngx_sprintf(p, "%04i-%02i-%02i", y, m, d);
}


static ngx_int_t
ngx_http_attck_room_for(ngx_http_attck_out_t *o, size_t n)
{
    size_t   size;
    u_char  *p;

    if ((size_t) (o->end - o->pos) >= n) {
        return NGX_OK;
    }

    size = 2 * (o->end - o->start) + n;

    p = ngx_pnalloc(o->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    o->pos = ngx_cpymem(p, o->start, o->pos - o->start);
    o->start = p;
    o->end = p + size;

    return NGX_OK;
}


/* a JSON string; the room for it was asked for */

static void
ngx_http_attck_out_str(ngx_http_attck_out_t *o, const u_char *s, size_t len)
{
    *o->pos++ = '"';
    o->pos = (u_char *) ngx_escape_json(o->pos, (u_char *) s, len);
    *o->pos++ = '"';
}


static int
ngx_http_attck_rank_cmp(const void *a, const void *b)
{
    const ngx_http_attck_rank_t  *x = a, *y = b;

    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }

    return (x->key > y->key) - (x->key < y->key);
}


/*
 * "name":[{"key":"value","count":n},...]: the strings with a count, count
 * descending, then by their bytes; at most top (0: all)
 */

static void
ngx_http_attck_out_ranked(ngx_http_attck_out_t *o, const char *name,
    const char *key, const attck_tix_t *tix, uint32_t *counts,
    ngx_uint_t top)
{
    size_t                   len;
    ngx_uint_t               i, j, n, nstrs;
    const attck_snap_str_t  *s;
    ngx_http_attck_rank_t   *rank, t;

    nstrs = tix->header->nstrs;
    n = 0;

    rank = ngx_palloc(o->pool, (nstrs ? nstrs : 1)
                               * sizeof(ngx_http_attck_rank_t));
    if (rank == NULL) {
        o->pos = NULL;
        return;
    }

    for (i = 0; i < nstrs; i++) {
        if (counts[i]) {
            rank[n].count = counts[i];
            rank[n].key = (uint32_t) i;
            n++;
        }
    }

    ngx_qsort(rank, n, sizeof(ngx_http_attck_rank_t),
              ngx_http_attck_rank_cmp);

    /* equal counts in the order of the values' bytes, as SQL's "C" */

    for (i = 1; i < n; i++) {
        for (j = i; j > 0 && rank[j - 1].count == rank[j].count; j--) {
            const attck_snap_str_t  *a = &tix->strs[rank[j - 1].key];
            const attck_snap_str_t  *b = &tix->strs[rank[j].key];
            int                      c;

            c = ngx_memcmp(attck_tix_bytes(tix, *a), attck_tix_bytes(tix, *b),
                           ngx_min(a->len, b->len));

            if (c < 0 || (c == 0 && a->len <= b->len)) {
                break;
            }

            t = rank[j - 1];
            rank[j - 1] = rank[j];
            rank[j] = t;
        }
    }

    if (top && n > top) {
        n = top;
    }

    if (ngx_http_attck_room_for(o, 32) != NGX_OK) {
        o->pos = NULL;
        return;
    }

    o->pos = ngx_sprintf(o->pos, "\"%s\":[", name);

    for (i = 0; i < n; i++) {
        s = &tix->strs[rank[i].key];
        len = 64 + 6 * s->len;

        if (ngx_http_attck_room_for(o, len) != NGX_OK) {
            o->pos = NULL;
            return;
        }

        o->pos = ngx_sprintf(o->pos, "%s{\"%s\":", i ? "," : "", key);
        ngx_http_attck_out_str(o, (u_char *) attck_tix_bytes(tix, *s),
                               s->len);
        o->pos = ngx_sprintf(o->pos, ",\"count\":%uD}", rank[i].count);
    }

    *o->pos++ = ']';
}


/*
 * GET threats/stats: the filters checked; the threats that match counted
 * from the day units, or by a walk of the threats (on attck_thread_pool
 * when long); then the answer
 */

ngx_int_t
ngx_http_attck_threat_stats(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    int64_t                    dmin, dmax, ndays;
    ngx_int_t                  rc;
    ngx_uint_t                 i, units, u0, u1, i0, i1;
    const attck_tix_t         *tix;
    const attck_tix_unit_t    *u;
    ngx_http_attck_stats_t    *st;
    ngx_http_attck_filter_t   *f;

    st = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_stats_t));
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->ctx = ctx;
    f = &st->f;

    if (ngx_http_attck_filter(r, ctx, f, &st->generation) != NGX_OK) {
        return f->rc;
    }

    tix = &f->tix;

    i0 = attck_tix_until(tix, f->until);
    i1 = f->has_since ? attck_tix_until(tix, f->since)
                      : tix->header->nthreats;

    /*
     * Whole days and sources only: the sums of the index's units, not a
     * walk over the threats (the default view of a dashboard, a month
     * of a million threats, is some sixty units)
     */

    units = f->type_ok == NULL && f->country_ok == NULL && f->tag_ok == NULL
            && (!f->has_since || f->since % NGX_HTTP_ATTCK_DAY == 0)
            && (!f->has_until || f->until % NGX_HTTP_ATTCK_DAY == 0)
            && (!f->by_map || ngx_http_attck_any_mapping(f));

    if (units) {
        u0 = f->has_until
             ? attck_tix_unit_until(tix, f->until / NGX_HTTP_ATTCK_DAY) : 0;
        u1 = f->has_since
             ? attck_tix_unit_until(tix, f->since / NGX_HTTP_ATTCK_DAY)
             : tix->header->nunits;

        /*
         * A mapping filter every mapping passes (domain=enterprise of
         * enterprise data) asks only for a mapping: the units do, when
         * all their threats have one
         */

        for (i = u0; f->by_map && i < u1; i++) {
            u = &tix->units[i];

            if ((!f->sources || (f->sources & (1 << u->source)))
                && u->mapped != u->threats)
            {
                units = 0;
                break;
            }
        }

        if (units) {
            if (ngx_http_attck_tally_init(r->pool, &st->tally, tix, 0, 0)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_http_attck_tally_units(f, &st->tally, u0, u1);

            st->units = 1;
            st->u0 = u0;
            st->u1 = u1;

            return ngx_http_attck_stats_answer(r, st);
        }
    }

    /*
     * The walk counts per day as it goes, for the timeline's buckets
     * after it (a bucket of a day, not of each threat, and no second
     * walk).  A span of days no timeline can have is not counted so.
     */

    dmin = 0;
    ndays = 0;

    if (i0 < i1) {
        dmax = ngx_http_attck_day(tix->threats[i0].seen);
        dmin = ngx_http_attck_day(tix->threats[i1 - 1].seen);

        if (dmax - dmin < NGX_HTTP_ATTCK_MAX_DAYS) {
            ndays = dmax - dmin + 1;
        }
    }

    if (ngx_http_attck_tally_init(r->pool, &st->tally, tix, dmin, ndays)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->i0 = i0;
    st->i1 = i1;

    rc = ngx_http_attck_tally_count(r, f, &st->tally, i0, i1,
                                    ngx_http_attck_stats_counted, st);

    if (rc == NGX_AGAIN) {
        return NGX_DONE;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_stats_answer(r, st);
}


/* the walk done on the thread pool, in the event loop again */

static void
ngx_http_attck_stats_counted(ngx_http_request_t *r, void *data)
{
    ngx_http_finalize_request(r, ngx_http_attck_stats_answer(r, data));
}


/* the answer of threats/stats from its tally */

static ngx_int_t
ngx_http_attck_stats_answer(ngx_http_request_t *r, ngx_http_attck_stats_t *st)
{
    u_char                     etag[48], score[32];
    size_t                     len;
    int64_t                    first, last, b, nb, bucket, day, span;
    uint32_t                  *tcount, *tincl, *ccount, *scount;
    uint32_t                  **counts, *timeline, *row, total;
    double                    *tsum;
    float                     *tbest;
    ngx_uint_t                 i, k, c, n, generation, ntechs;
    ngx_uint_t                 ntac, j, interval;
    const attck_tix_t         *tix;
    const attck_tix_unit_t    *u;
    const attck_tix_tech_t    *t;
    const attck_tix_threat_t  *th;
    const attck_tix_tactic_t  *tac;
    ngx_http_attck_ctx_t      *ctx;
    ngx_http_attck_tally_t    *tl;
    ngx_http_attck_filter_t   *f;
    ngx_http_attck_out_t       o;

    ctx = st->ctx;
    f = &st->f;
    tl = &st->tally;
    tix = &f->tix;
    generation = st->generation;
    ntechs = tix->header->ntechs;
    ntac = tix->header->ntactics;

    tcount = tl->tcount;
    tincl = tl->tincl;
    ccount = tl->ccount;
    counts = tl->counts;
    scount = tl->scount;
    tsum = tl->tsum;
    tbest = tl->tbest;
    total = tl->total;
    first = tl->first;
    last = tl->last;

    /* the timeline's period: the one asked for, else the data's */

    first = f->has_since ? f->since : first;
    last = f->has_until ? f->until - 1 : last;

    interval = f->interval;

    if (!(ctx->given & NGX_HTTP_ATTCK_P_INTERVAL) && first <= last) {
        span = (last - first) / NGX_HTTP_ATTCK_DAY + 1;
        interval = span <= 92 ? NGX_HTTP_ATTCK_DAILY
                   : span <= 731 ? NGX_HTTP_ATTCK_WEEKLY
                   : NGX_HTTP_ATTCK_MONTHLY;
    }

    nb = 0;
    b = 0;

    if (first <= last) {
        b = ngx_http_attck_bucket(first, interval);
        nb = ngx_http_attck_bucket(last, interval) - b + 1;

        if (nb > NGX_HTTP_ATTCK_MAX_BUCKETS) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "the period has more than %d %ss: "
                                        "give a longer \"interval\" or a "
                                        "shorter period",
                                        NGX_HTTP_ATTCK_MAX_BUCKETS,
                                        ngx_http_attck_intervals[interval]);
        }
    }

    timeline = ngx_pcalloc(r->pool, (nb ? nb : 1) * ATTCK_TIX_NSOURCES
                                    * sizeof(uint32_t));
    if (timeline == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* second pass, only when there is a timeline: the buckets */

    if (nb && st->units) {
        for (i = st->u0; i < st->u1; i++) {
            u = &tix->units[i];

            if (f->sources && !(f->sources & (1 << u->source))) {
                continue;
            }

            bucket = ngx_http_attck_bucket((int64_t) u->day
                                           * NGX_HTTP_ATTCK_DAY, interval)
                     - b;

            if (bucket >= 0 && bucket < nb) {
                timeline[bucket * ATTCK_TIX_NSOURCES + u->source]
                    += u->threats;
            }
        }

    } else if (nb && tl->dayline) {
        for (day = 0; day < tl->ndays; day++) {
            row = &tl->dayline[day * ATTCK_TIX_NSOURCES];
            bucket = ngx_http_attck_bucket((tl->dmin + day)
                                           * NGX_HTTP_ATTCK_DAY,
                                           interval)
                     - b;

            if (bucket >= 0 && bucket < nb) {
                for (k = 0; k < ATTCK_TIX_NSOURCES; k++) {
                    timeline[bucket * ATTCK_TIX_NSOURCES + k] += row[k];
                }
            }
        }

    } else if (nb) {
        /*
         * the period's threats span more days than a timeline may have
         * (a date centuries off): a second walk for the buckets
         */

        for (i = ngx_http_attck_next(f, st->i0, st->i1); i < st->i1;
             i = ngx_http_attck_next(f, i + 1, st->i1))
        {
            th = &tix->threats[i];

            if (!ngx_http_attck_matches(f, th, tl->pass)) {
                continue;
            }

            bucket = ngx_http_attck_bucket(th->seen, interval) - b;

            if (bucket >= 0 && bucket < nb) {
                timeline[bucket * ATTCK_TIX_NSOURCES + th->source]++;
            }
        }
    }

    /* the answer */

    len = 4096 + f->echo.len + 12 * r->args.len + nb * 96 + ntechs * 160
          + ntac * 96;

    o.pool = r->pool;
    o.start = ngx_pnalloc(r->pool, len);
    if (o.start == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o.pos = o.start;
    o.end = o.start + len;

    o.pos = ngx_sprintf(o.pos, "{\"generation\":%ui,\"filters\":{%V",
                        generation, &f->echo);

    /* the period in effect: the one given, else the data's days */

    o.pos = ngx_cpymem(o.pos, "\"since\":", 8);

    if (f->has_since) {
        ngx_http_attck_out_str(&o, ctx->param[NGX_HTTP_ATTCK_I_SINCE].data,
                               ctx->param[NGX_HTTP_ATTCK_I_SINCE].len);

    } else if (first <= last) {
        *o.pos++ = '"';
        o.pos = ngx_http_attck_date(o.pos,
                                    ngx_http_attck_bucket(first,
                                                      NGX_HTTP_ATTCK_DAILY));
        *o.pos++ = '"';

    } else {
        o.pos = ngx_cpymem(o.pos, "null", 4);
    }

    o.pos = ngx_cpymem(o.pos, ",\"until\":", 9);

    if (f->has_until) {
        ngx_http_attck_out_str(&o, ctx->param[NGX_HTTP_ATTCK_I_UNTIL].data,
                               ctx->param[NGX_HTTP_ATTCK_I_UNTIL].len);

    } else if (first <= last) {
        *o.pos++ = '"';
        day = ngx_http_attck_bucket(last, NGX_HTTP_ATTCK_DAILY) + 1;
        o.pos = ngx_http_attck_date(o.pos, day);
        *o.pos++ = '"';

    } else {
        o.pos = ngx_cpymem(o.pos, "null", 4);
    }

    o.pos = ngx_sprintf(o.pos, ",\"interval\":\"%s\"},\"total\":%uD,"
                        "\"techniques\":[",
                        ngx_http_attck_intervals[interval], total);

    /* techniques: count descending, then id */

    {
        ngx_http_attck_rank_t  *rank;

        rank = ngx_palloc(r->pool, (ntechs ? ntechs : 1)
                                   * sizeof(ngx_http_attck_rank_t));
        if (rank == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = 0;

        for (j = 0; j < ntechs; j++) {
            if (tcount[j]) {
                rank[n].count = tcount[j];
                rank[n].key = (uint32_t) j;
                n++;
            }
        }

        /* techniques are in id order: key order is id order */

        ngx_qsort(rank, n, sizeof(ngx_http_attck_rank_t),
                  ngx_http_attck_rank_cmp);

        for (i = 0; i < n; i++) {
            j = rank[i].key;
            t = &tix->techs[j];

            if (ngx_http_attck_room_for(&o, 256 + 6 * (t->id.len
                                                       + t->name.len))
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            o.pos = ngx_sprintf(o.pos, "%s{\"id\":", i ? "," : "");
            ngx_http_attck_out_str(&o, (u_char *) attck_tix_bytes(tix, t->id),
                                   t->id.len);
            o.pos = ngx_cpymem(o.pos, ",\"name\":", 8);
            ngx_http_attck_out_str(&o,
                                   (u_char *) attck_tix_bytes(tix, t->name),
                                   t->name.len);

            ngx_snprintf(score, sizeof(score), "%.4f%Z",
                         (double) tbest[j]);
            o.pos = ngx_sprintf(o.pos, ",\"count\":%uD,\"best\":%s",
                                tcount[j], score);
            ngx_snprintf(score, sizeof(score), "%.4f%Z",
                         tsum[j] / tcount[j]);
            o.pos = ngx_sprintf(o.pos, ",\"mean\":%s", score);

            if (t->parent == ATTCK_TIX_NONE) {
                o.pos = ngx_sprintf(o.pos, ",\"count_incl_subs\":%uD",
                                    tincl[j]);
            }

            *o.pos++ = '}';
        }

        /* tactics: count descending, then their order in the index */

        /*
         * Every parent any passing mapping falls under, sub-techniques
         * included: a parent mapped only through its subs has no entry
         * above, and its subs' counts cannot be added up (a threat may
         * have two of them).
         */

        if (ngx_http_attck_room_for(&o, 32) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        o.pos = ngx_cpymem(o.pos, "],\"parents\":{", 13);
        n = 0;

        for (j = 0; j < ntechs; j++) {
            t = &tix->techs[j];

            if (t->parent != ATTCK_TIX_NONE || tincl[j] == 0) {
                continue;
            }

            if (ngx_http_attck_room_for(&o, 32 + 6 * t->id.len) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (n++) {
                *o.pos++ = ',';
            }

            ngx_http_attck_out_str(&o, (u_char *) attck_tix_bytes(tix, t->id),
                                   t->id.len);
            o.pos = ngx_sprintf(o.pos, ":%uD", tincl[j]);
        }

        if (ngx_http_attck_room_for(&o, 32) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        o.pos = ngx_cpymem(o.pos, "},\"tactics\":[", 13);

        n = 0;

        for (j = 0; j < ntac; j++) {
            if (ccount[j]) {
                rank[n].count = ccount[j];
                rank[n].key = (uint32_t) j;
                n++;
            }
        }

        ngx_qsort(rank, n, sizeof(ngx_http_attck_rank_t),
                  ngx_http_attck_rank_cmp);

        /* equal counts by id */

        for (i = 1; i < n; i++) {
            for (j = i; j > 0 && rank[j - 1].count == rank[j].count; j--) {
                const attck_snap_str_t  *x, *y;
                ngx_http_attck_rank_t    tmp;

                x = &tix->tactics[rank[j - 1].key].id;
                y = &tix->tactics[rank[j].key].id;
                c = ngx_memn2cmp((u_char *) attck_tix_bytes(tix, *x),
                                 (u_char *) attck_tix_bytes(tix, *y),
                                 x->len, y->len) <= 0;
                if (c) {
                    break;
                }

                tmp = rank[j - 1];
                rank[j - 1] = rank[j];
                rank[j] = tmp;
            }
        }

        for (i = 0; i < n; i++) {
            tac = &tix->tactics[rank[i].key];

            if (ngx_http_attck_room_for(&o, 128 + 6 * (tac->id.len
                                                       + tac->shortname.len
                                                       + tac->name.len))
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            o.pos = ngx_sprintf(o.pos, "%s{\"id\":", i ? "," : "");
            ngx_http_attck_out_str(&o,
                                   (u_char *) attck_tix_bytes(tix, tac->id),
                                   tac->id.len);
            o.pos = ngx_cpymem(o.pos, ",\"shortname\":", 13);
            ngx_http_attck_out_str(&o,
                            (u_char *) attck_tix_bytes(tix, tac->shortname),
                            tac->shortname.len);
            o.pos = ngx_cpymem(o.pos, ",\"name\":", 8);
            ngx_http_attck_out_str(&o,
                                   (u_char *) attck_tix_bytes(tix, tac->name),
                                   tac->name.len);
            o.pos = ngx_sprintf(o.pos, ",\"count\":%uD}", rank[i].count);
        }
    }

    /* the timeline, every bucket */

    if (ngx_http_attck_room_for(&o, 32 + nb * 96) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o.pos = ngx_cpymem(o.pos, "],\"timeline\":[", 14);

    for (bucket = 0; bucket < nb; bucket++) {
        uint32_t  *row = &timeline[bucket * ATTCK_TIX_NSOURCES];

        o.pos = ngx_sprintf(o.pos, "%s{\"t\":\"", bucket ? "," : "");
        o.pos = ngx_http_attck_date(o.pos,
                    ngx_http_attck_bucket_day(b + bucket, interval));
        o.pos = ngx_sprintf(o.pos, "\",\"count\":%uD,\"by_source\":{"
                            "\"otx\":%uD,\"virustotal\":%uD,\"taxii\":%uD}}",
                            row[0] + row[1] + row[2], row[0], row[1],
                            row[2]);
    }

    if (ngx_http_attck_room_for(&o, 256) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o.pos = ngx_cpymem(o.pos, "],\"sources\":[", 13);

    {
        ngx_uint_t  order[ATTCK_TIX_NSOURCES], x, y, tmp;

        for (x = 0; x < ATTCK_TIX_NSOURCES; x++) {
            order[x] = x;
        }

        for (x = 0; x < ATTCK_TIX_NSOURCES; x++) {
            for (y = x + 1; y < ATTCK_TIX_NSOURCES; y++) {
                if (scount[order[y]] > scount[order[x]]) {
                    tmp = order[x];
                    order[x] = order[y];
                    order[y] = tmp;
                }
            }
        }

        for (x = 0, n = 0; x < ATTCK_TIX_NSOURCES; x++) {
            if (scount[order[x]]) {
                o.pos = ngx_sprintf(o.pos, "%s{\"name\":\"%s\",\"count\":%uD}",
                                    n++ ? "," : "",
                                    attck_tix_sources[order[x]],
                                    scount[order[x]]);
            }
        }
    }

    *o.pos++ = ']';
    *o.pos++ = ',';

    ngx_http_attck_out_ranked(&o, "types", "name", tix, counts[0], 0);

    if (o.pos && ngx_http_attck_room_for(&o, 1) == NGX_OK) {
        *o.pos++ = ',';
        ngx_http_attck_out_ranked(&o, "countries", "code", tix, counts[1], 0);
    }

    if (o.pos && ngx_http_attck_room_for(&o, 1) == NGX_OK) {
        *o.pos++ = ',';
        ngx_http_attck_out_ranked(&o, "tags", "name", tix, counts[2],
                                  NGX_HTTP_ATTCK_FACET_TOP);
    }

    if (o.pos && ngx_http_attck_room_for(&o, 1) == NGX_OK) {
        *o.pos++ = ',';
        ngx_http_attck_out_ranked(&o, "malware", "name", tix, counts[3],
                                  NGX_HTTP_ATTCK_FACET_TOP);
    }

    if (o.pos == NULL || ngx_http_attck_room_for(&o, 2) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *o.pos++ = '}';

    len = o.pos - o.start;

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, o.start, len,
                               etag,
                               ngx_sprintf(etag, "\"s%ui-%08xD\"", generation,
                                           ngx_crc32_long(o.start, len))
                               - etag, 0);
}


/*
 * GET threats?<filters>&limit=&offset=: the ids of the page from the
 * index, their documents from Redis in one pipeline
 */

ngx_int_t
ngx_http_attck_threats_filtered(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx)
{
    u_char                       *pass, *key;
    ngx_int_t                     rc;
    ngx_uint_t                    i, i0, i1, n, generation;
    attck_tix_t                   tix;
    ngx_http_attck_page_t        *pg;
    ngx_http_attck_filter_t       f;
    ngx_http_attck_redis_argv_t  *cmds;

    /* a snapshot without an index: the Redis lists, their filters only */

    if (attck_tix_of(&tix, ctx->snap) != 0
        && !(ctx->given & (NGX_HTTP_ATTCK_P_FILTERS
                           & ~(NGX_HTTP_ATTCK_P_RELEASE
                               |NGX_HTTP_ATTCK_P_TECHNIQUE
                               |NGX_HTTP_ATTCK_P_SOURCE
                               |NGX_HTTP_ATTCK_P_SINCE))))
    {
        return ngx_http_attck_threats(r, ctx);
    }

    if (ngx_http_attck_filter(r, ctx, &f, &generation) != NGX_OK) {
        return f.rc;
    }

    pg = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_page_t));
    pass = ngx_pnalloc(r->pool, 65536);
    if (pg == NULL || pass == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pg->generation = generation;

    rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_MAX, &pg->limit);
    if (rc == NGX_OK) {
        rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_OFFSET, 0,
                                       NGX_HTTP_ATTCK_OFFSET_MAX,
                                       &pg->offset);
    }

    if (rc != NGX_OK) {
        return ngx_http_attck_checked(r, ctx, rc);
    }

    cmds = ngx_pnalloc(r->pool, pg->limit
                                * sizeof(ngx_http_attck_redis_argv_t));
    key = ngx_pnalloc(r->pool, pg->limit * 64);
    pg->docs = ngx_pcalloc(r->pool, pg->limit * sizeof(ngx_str_t));

    if (cmds == NULL || key == NULL || pg->docs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    i0 = attck_tix_until(&f.tix, f.until);
    i1 = f.has_since ? attck_tix_until(&f.tix, f.since)
                     : f.tix.header->nthreats;
    n = 0;

    for (i = ngx_http_attck_next(&f, i0, i1); i < i1;
         i = ngx_http_attck_next(&f, i + 1, i1))
    {
        if (!ngx_http_attck_matches(&f, &f.tix.threats[i], pass)) {
            continue;
        }

        if (pg->total >= pg->offset && n < pg->limit) {
            cmds[n].argc = 2;
            cmds[n].argv[0] = "GET";
            cmds[n].argvlen[0] = 3;
            cmds[n].argv[1] = (const char *) key + 64 * n;
            cmds[n].argvlen[1] = ngx_http_attck_doc_key(key + 64 * n, "doc",
                                                        &f.tix.threats[i])
                                 - (key + 64 * n);
            n++;
        }

        pg->total++;
    }

    pg->n = n;

    return ngx_http_attck_page_get(r, pg, cmds, ngx_http_attck_page_reply);
}


/* "attck:doc:HEX": the name of a threat's document, by its content */

static u_char *
ngx_http_attck_doc_key(u_char *p, const char *kind,
    const attck_tix_threat_t *t)
{
    p = ngx_sprintf(p, "attck:%s:", kind);

    return ngx_hex_dump(p, (u_char *) t->digest, sizeof(t->digest));
}


/* the page's documents in one pipeline; none: the answer at once */

static ngx_int_t
ngx_http_attck_page_get(ngx_http_request_t *r, ngx_http_attck_page_t *pg,
    ngx_http_attck_redis_argv_t *cmds, ngx_http_attck_redis_reply_pt handler)
{
    ngx_int_t                    rc;
    const char                  *why;
    ngx_http_attck_redis_cmd_t  *cmd;

    if (pg->n == 0) {
        return ngx_http_attck_page_send(r, pg);
    }

    why = ngx_http_attck_redis_unavailable();

    if (why) {
        return ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "%s", why);
    }

    cmd = ngx_http_attck_redis_create(r, handler,
                                      sizeof(ngx_http_attck_page_t *));
    if (cmd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *(ngx_http_attck_page_t **) cmd->data = pg;

    rc = ngx_http_attck_redis_send(cmd, cmds, pg->n);

    if (rc == NGX_ERROR) {
        return ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", "Redis is not connected");
    }

    return rc;
}


/*
 * The index of the request's snapshot and the generation of the threat
 * data: NGX_OK; NGX_DECLINED when the snapshot has none (the Redis lists
 * answer); NGX_ERROR with the answer sent, its code in *rc
 */

static ngx_int_t
ngx_http_attck_indexed(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    attck_tix_t *tix, ngx_uint_t *generation, ngx_int_t *rc)
{
    ngx_http_attck_main_conf_t  *amcf;

    if (attck_tix_of(tix, ctx->snap) != 0) {
        return NGX_DECLINED;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (amcf->redis == NULL) {
        *rc = ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                   "threat data is not served here (no "
                                   "attck_redis)");
        return NGX_ERROR;
    }

    *generation = ngx_http_attck_published(amcf, NULL);

    if (*generation == 0) {
        *rc = ngx_http_attck_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "unavailable",
                                   "no threat data published");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* GET threats/{id}: the document the index names for the id */

ngx_int_t
ngx_http_attck_threat_indexed(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx)
{
    u_char                        key[64];
    int64_t                       id;
    uint32_t                      t;
    ngx_int_t                     rc;
    ngx_uint_t                    i, generation;
    attck_tix_t                   tix;
    ngx_http_attck_page_t        *pg;
    ngx_http_attck_redis_argv_t   get;

    for (i = 0, id = 0; i < ctx->id.len && i < 19; i++) {
        if (ctx->id.data[i] < '0' || ctx->id.data[i] > '9') {
            break;
        }

        id = id * 10 + (ctx->id.data[i] - '0');
    }

    if (ctx->id.len == 0 || ctx->id.len > 19 || i != ctx->id.len) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST, "invalid id",
                                    "a threat id is a number of 1 to 19 "
                                    "digits");
    }

    switch (ngx_http_attck_indexed(r, ctx, &tix, &generation, &rc)) {

    case NGX_DECLINED:
        return ngx_http_attck_threat(r, ctx);

    case NGX_ERROR:
        return rc;
    }

    t = attck_tix_find(&tix, id);

    if (t == ATTCK_TIX_NONE) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "threat %V is not in generation %ui",
                                    &ctx->id, generation);
    }

    pg = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_page_t));
    if (pg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pg->generation = generation;
    pg->id = ctx->id;
    pg->n = 1;

    get.argc = 2;
    get.argv[0] = "GET";
    get.argvlen[0] = 3;
    get.argv[1] = (const char *) key;
    get.argvlen[1] = ngx_http_attck_doc_key(key, "doc", &tix.threats[t])
                     - key;

    return ngx_http_attck_page_get(r, pg, &get, ngx_http_attck_one_reply);
}


static void
ngx_http_attck_one_reply(ngx_http_attck_redis_cmd_t *cmd, redisReply *rr,
    ngx_uint_t index)
{
    ngx_http_attck_page_t  *pg = *(ngx_http_attck_page_t **) cmd->data;

    u_char              *body, etag[48];
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = cmd->request;

    if (rr->type == REDIS_REPLY_NIL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "attck redis: the document of threat %V of "
                      "generation %ui is not in Redis", &pg->id,
                      pg->generation);

        rc = ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                  "threat %V is not in generation %ui",
                                  &pg->id, pg->generation);

    } else if (rr->type != REDIS_REPLY_STRING || rr->len == 0
               || rr->len > 16 * 1024 * 1024)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "attck redis: expected a threat document, got "
                      "another answer");

        rc = ngx_http_attck_error(r, NGX_HTTP_BAD_GATEWAY, "bad gateway",
                                  "Redis did not answer with a threat "
                                  "document");

    } else {
        body = ngx_pnalloc(r->pool, rr->len);

        if (body == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

        } else {
            ngx_memcpy(body, rr->str, rr->len);

            rc = ngx_http_attck_send(r, &ngx_http_attck_json_type, body,
                                     rr->len, etag,
                                     ngx_sprintf(etag, "\"t%ui-%08xD\"",
                                                 pg->generation,
                                                 ngx_crc32_long(body,
                                                                rr->len))
                                     - etag, 0);
        }
    }

    ngx_http_attck_redis_finish(cmd, rc);
}


/*
 * GET techniques/{id}/threats: the threats mapped to the technique, best
 * score first (then the newest id), from the index's postings; each the
 * threat's brief with the mapping's score and method
 */

ngx_int_t
ngx_http_attck_technique_threats_indexed(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx)
{
    u_char                       *p, *key, tid[NGX_HTTP_ATTCK_MAX_ID];
    u_char                        skey[sizeof("techniques/")
                                       + NGX_HTTP_ATTCK_MAX_ID];
    float                         score;
    uint32_t                      t, k, lo, hi;
    ngx_int_t                     rc;
    ngx_uint_t                    i, n, generation;
    attck_tix_t                   tix;
    const attck_tix_map_t        *m;
    const attck_tix_post_t       *post;
    const attck_tix_threat_t     *th;
    ngx_http_attck_page_t        *pg;
    ngx_http_attck_redis_argv_t  *cmds;

    if (attck_tix_of(&tix, ctx->snap) != 0) {
        return ngx_http_attck_technique_threats(r, ctx);
    }

    if (ctx->id.len > NGX_HTTP_ATTCK_MAX_ID) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "%V is not a technique of this release",
                                    &ctx->id);
    }

    for (i = 0; i < ctx->id.len; i++) {
        tid[i] = ngx_toupper(ctx->id.data[i]);
    }

    p = ngx_cpymem(skey, "techniques/", sizeof("techniques/") - 1);
    p = ngx_cpymem(p, tid, ctx->id.len);

    if (attck_snap_find(ctx->snap, ctx->view, (const char *) skey,
                        p - skey) == NULL)
    {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "%V is not a technique of this release",
                                    &ctx->id);
    }

    pg = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_page_t));
    if (pg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_LIMIT,
                                   NGX_HTTP_ATTCK_LIST_MAX, &pg->limit);
    if (rc == NGX_OK) {
        rc = ngx_http_attck_uint_param(r, ctx, NGX_HTTP_ATTCK_P_OFFSET, 0,
                                       NGX_HTTP_ATTCK_OFFSET_MAX,
                                       &pg->offset);
    }

    if (rc != NGX_OK) {
        return ngx_http_attck_checked(r, ctx, rc);
    }

    if (ngx_http_attck_indexed(r, ctx, &tix, &generation, &rc) != NGX_OK) {
        return rc;
    }

    pg->generation = generation;
    pg->technique.data = ngx_pnalloc(r->pool, ctx->id.len);
    if (pg->technique.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pg->technique.len = ctx->id.len;
    ngx_memcpy(pg->technique.data, tid, ctx->id.len);

    t = attck_tix_tech(&tix, (const char *) tid, ctx->id.len);

    n = 0;

    if (t != ATTCK_TIX_NONE) {
        pg->total = tix.techs[t].nposts;

        if (pg->offset < pg->total) {
            n = ngx_min(pg->limit, pg->total - pg->offset);
        }
    }

    pg->n = n;

    cmds = ngx_pnalloc(r->pool, (n ? n : 1)
                                * sizeof(ngx_http_attck_redis_argv_t));
    key = ngx_pnalloc(r->pool, (n ? n : 1) * 64);
    pg->docs = ngx_pcalloc(r->pool, (n ? n : 1) * sizeof(ngx_str_t));
    pg->pre = ngx_pcalloc(r->pool, (n ? n : 1) * sizeof(ngx_str_t));

    if (cmds == NULL || key == NULL || pg->docs == NULL || pg->pre == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        post = &tix.posts[tix.techs[t].posts + pg->offset + i];
        th = &tix.threats[post->threat];

        /* the mapping, for its method: a threat's are ordered by technique */

        m = &tix.maps[th->maps];
        lo = 0;
        hi = th->nmaps;

        while (lo < hi) {
            k = lo + (hi - lo) / 2;

            if (m[k].tech < t) {
                lo = k + 1;

            } else {
                hi = k;
            }
        }

        pg->pre[i].data = ngx_pnalloc(r->pool, 64);
        if (pg->pre[i].data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        score = post->score;
        p = ngx_http_attck_score(pg->pre[i].data, score);
        p = ngx_sprintf(p, ",\"method\":\"%s\"",
                        attck_tix_methods[lo < th->nmaps ? m[lo].method
                                                         : 0]);
        pg->pre[i].len = p - pg->pre[i].data;

        cmds[i].argc = 2;
        cmds[i].argv[0] = "GET";
        cmds[i].argvlen[0] = 3;
        cmds[i].argv[1] = (const char *) key + 64 * i;
        cmds[i].argvlen[1] = ngx_http_attck_doc_key(key + 64 * i, "brief", th)
                             - (key + 64 * i);
    }

    return ngx_http_attck_page_get(r, pg, cmds, ngx_http_attck_page_reply);
}


/* "score":0.87, the shortest decimal that reads back as the float */

static u_char *
ngx_http_attck_score(u_char *p, float score)
{
    int   prec;
    char  buf[32];

    for (prec = 1; prec < 9; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, (double) score);

        if (strtof(buf, NULL) == score) {
            break;
        }
    }

    snprintf(buf, sizeof(buf), "%.*g", prec, (double) score);

    return ngx_sprintf(p, "\"score\":%s", buf);
}


static void
ngx_http_attck_page_reply(ngx_http_attck_redis_cmd_t *cmd, redisReply *rr,
    ngx_uint_t index)
{
    ngx_http_attck_page_t  *pg = *(ngx_http_attck_page_t **) cmd->data;

    ngx_int_t            rc;
    ngx_str_t           *d;
    ngx_http_request_t  *r;

    r = cmd->request;
    d = &pg->docs[index];

    /* a document the generation does not have (yet) is left out */

    if (rr->type == REDIS_REPLY_STRING && rr->len > 0
        && rr->len < 16 * 1024 * 1024)
    {
        d->data = ngx_pnalloc(r->pool, rr->len);
        if (d->data == NULL) {
            ngx_http_attck_redis_finish(cmd, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ngx_memcpy(d->data, rr->str, rr->len);
        d->len = rr->len;

    } else if (rr->type != REDIS_REPLY_NIL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "attck redis: expected a threat document, got "
                      "another answer");
        ngx_http_attck_redis_finish(cmd,
                                    ngx_http_attck_error(r,
                                        NGX_HTTP_BAD_GATEWAY, "bad gateway",
                                        "Redis did not answer with a "
                                        "threat document"));
        return;
    }

    if (index + 1 < pg->n) {
        return;
    }

    rc = ngx_http_attck_page_send(r, pg);

    ngx_http_attck_redis_finish(cmd, rc);
}


static ngx_int_t
ngx_http_attck_page_send(ngx_http_request_t *r, ngx_http_attck_page_t *pg)
{
    u_char      *body, *p, etag[48];
    size_t       len;
    ngx_uint_t   i, k;

    len = 128 + pg->technique.len;

    for (i = 0; i < pg->n; i++) {
        len += pg->docs[i].len + 1 + (pg->pre ? pg->pre[i].len + 1 : 0);
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body;

    if (pg->technique.len) {
        p = ngx_sprintf(p, "{\"technique\":\"%V\",", &pg->technique);

    } else {
        *p++ = '{';
    }

    p = ngx_sprintf(p, "\"generation\":%ui,\"total\":%ui,\"offset\":%ui,"
                    "\"limit\":%ui,\"threats\":[", pg->generation, pg->total,
                    pg->offset, pg->limit);

    for (i = 0, k = 0; i < pg->n; i++) {
        if (pg->docs[i].len == 0) {
            continue;
        }

        if (k++) {
            *p++ = ',';
        }

        /* a brief: {"score":..,"method":.., and its own members */

        if (pg->pre && pg->pre[i].len && pg->docs[i].len > 2) {
            *p++ = '{';
            p = ngx_cpymem(p, pg->pre[i].data, pg->pre[i].len);
            *p++ = ',';
            p = ngx_cpymem(p, pg->docs[i].data + 1, pg->docs[i].len - 1);
            continue;
        }

        p = ngx_cpymem(p, pg->docs[i].data, pg->docs[i].len);
    }

    *p++ = ']';
    *p++ = '}';

    len = p - body;

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, len, etag,
                               ngx_sprintf(etag, "\"t%ui-%08xD\"",
                                           pg->generation,
                                           ngx_crc32_long(body, len))
                               - etag, 0);
}
