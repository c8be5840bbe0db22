
/*
 * Filtered technique lists and ranked search over a snapshot view.
 */


#include <string.h>
#include <strings.h>

#include "attck_query.h"
#include "attck_text.h"


#define ATTCK_QUERY_PREFIX_WEIGHT  0.4f
#define ATTCK_QUERY_NAME_BONUS     100.0f


typedef struct {
    const attck_snap_t       *snap;
    const attck_snap_view_t  *view;
    float                    *scores;
    uint32_t                 *touched;
    uint8_t                  *doc_seen;
    uint32_t                  ntouched;
    char                      seen[ATTCK_QUERY_MAX_TERMS][ATTCK_TEXT_MAX_TERM];
    size_t                    seen_len[ATTCK_QUERY_MAX_TERMS];
    uint32_t                  nseen;
} attck_search_ctx_t;


static int attck_query_ieq(const char *a, size_t alen, const char *b,
    size_t blen);
static uint32_t attck_query_lower_bound(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *term, size_t len);
static void attck_query_add_term(attck_search_ctx_t *ctx, uint32_t t,
    float factor);
static void attck_query_term(const char *term, size_t len, void *data);
static void attck_query_sort(attck_hit_t *hits, uint32_t n);
static int attck_query_is_id(const attck_snap_t *snap,
    const attck_snap_doc_t *doc, const char *q, size_t len);


static int
attck_query_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && strncasecmp(a, b, alen) == 0;
}


uint32_t
attck_query_domain(const char *s, size_t len)
{
    if (attck_query_ieq(s, len, "enterprise", 10)
        || attck_query_ieq(s, len, "enterprise-attack", 17))
    {
        return ATTCK_DOMAIN_ENTERPRISE;
    }

    if (attck_query_ieq(s, len, "mobile", 6)
        || attck_query_ieq(s, len, "mobile-attack", 13))
    {
        return ATTCK_DOMAIN_MOBILE;
    }

    if (attck_query_ieq(s, len, "ics", 3)
        || attck_query_ieq(s, len, "ics-attack", 10))
    {
        return ATTCK_DOMAIN_ICS;
    }

    return 0;
}


const char *
attck_query_domain_name(uint32_t domain)
{
    switch (domain) {
    case ATTCK_DOMAIN_ENTERPRISE:
        return "enterprise";
    case ATTCK_DOMAIN_MOBILE:
        return "mobile";
    case ATTCK_DOMAIN_ICS:
        return "ics";
    default:
        return NULL;
    }
}


uint64_t
attck_query_tactic(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *s, size_t len)
{
    uint32_t                    i;
    uint64_t                    mask;
    const attck_snap_tactic_t  *ta;

    ta = attck_snap_tactics(snap, v);
    mask = 0;

    /* a shortname such as "execution" names one tactic per domain */

    for (i = 0; i < v->ntactics; i++) {
        if (attck_query_ieq(s, len, attck_snap_bytes(snap, ta[i].id),
                            ta[i].id.len)
            || attck_query_ieq(s, len, attck_snap_bytes(snap, ta[i].shortname),
                               ta[i].shortname.len))
        {
            mask |= (uint64_t) 1 << i;
        }
    }

    return mask;
}


uint64_t
attck_query_platform(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *s, size_t len)
{
    uint32_t                 i;
    const attck_snap_str_t  *p;

    p = attck_snap_platforms(snap, v);

    for (i = 0; i < v->nplatforms; i++) {
        if (attck_query_ieq(s, len, attck_snap_bytes(snap, p[i]), p[i].len)) {
            return (uint64_t) 1 << i;
        }
    }

    return 0;
}


uint32_t
attck_query_techniques(const attck_snap_t *snap, const attck_snap_view_t *v,
    const attck_tech_filter_t *f, uint32_t offset, uint32_t limit,
    uint32_t *out, uint32_t *nout)
{
    uint32_t                  i, total;
    const attck_snap_tech_t  *t;

    t = attck_snap_techs(snap, v);
    total = 0;
    *nout = 0;

    for (i = 0; i < v->ntechs; i++) {

        if ((f->tactics && !(t[i].tactics & f->tactics))
            || (f->platforms && !(t[i].platforms & f->platforms))
            || (f->domains && !(t[i].flags & f->domains))
            || (!f->subtechniques && (t[i].flags & ATTCK_TECH_SUB))
            || (!f->include_revoked
                && (t[i].flags & (ATTCK_TECH_REVOKED|ATTCK_TECH_DEPRECATED))))
        {
            continue;
        }

        if (total >= offset && *nout < limit) {
            out[(*nout)++] = t[i].doc;
        }

        total++;
    }

    return total;
}


static uint32_t
attck_query_lower_bound(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *term, size_t len)
{
    int                       c;
    size_t                    n;
    uint32_t                  lo, hi, mid;
    const attck_snap_term_t  *terms;

    terms = attck_snap_terms(snap, v);
    lo = 0;
    hi = v->nterms;

    /* terms are sorted bytewise, shorter first on a common prefix */

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        n = terms[mid].term.len < len ? terms[mid].term.len : len;
        c = memcmp(attck_snap_bytes(snap, terms[mid].term), term, n);

        if (c < 0 || (c == 0 && terms[mid].term.len < len)) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


static void
attck_query_add_term(attck_search_ctx_t *ctx, uint32_t t, float factor)
{
    uint32_t                     i;
    const attck_snap_term_t     *term;
    const attck_snap_posting_t  *p;

    term = &attck_snap_terms(ctx->snap, ctx->view)[t];
    p = attck_snap_postings(ctx->snap, ctx->view) + term->postings;

    /*
     * A flag of its own, not a score of 0, says a doc was touched: each
     * doc enters touched once, whatever the weights, so it never holds
     * more than ndocs.
     */

    for (i = 0; i < term->npostings; i++) {
        if (!ctx->doc_seen[p[i].doc]) {
            ctx->doc_seen[p[i].doc] = 1;
            ctx->touched[ctx->ntouched++] = p[i].doc;
        }

        ctx->scores[p[i].doc] += p[i].weight * factor;
    }
}


static void
attck_query_term(const char *term, size_t len, void *data)
{
    attck_search_ctx_t *ctx = data;

    uint32_t                  i, t, n;
    const attck_snap_term_t  *terms;

    for (i = 0; i < ctx->nseen; i++) {
        if (ctx->seen_len[i] == len && memcmp(ctx->seen[i], term, len) == 0) {
            return;
        }
    }

    if (ctx->nseen == ATTCK_QUERY_MAX_TERMS) {
        return;
    }

    memcpy(ctx->seen[ctx->nseen], term, len);
    ctx->seen_len[ctx->nseen++] = len;

    terms = attck_snap_terms(ctx->snap, ctx->view);
    t = attck_query_lower_bound(ctx->snap, ctx->view, term, len);

    /*
     * The exact term scores in full; longer terms it is a prefix of
     * ("power" -> "powershell") score less, so that typing ahead works
     * without drowning exact matches.
     */

    for (n = 0; t < ctx->view->nterms; t++) {
        if (terms[t].term.len < len
            || memcmp(attck_snap_bytes(ctx->snap, terms[t].term), term, len)
               != 0)
        {
            break;
        }

        if (terms[t].term.len == len) {
            attck_query_add_term(ctx, t, 1.0f);

        } else if (len >= 3 && n++ < ATTCK_QUERY_MAX_PREFIX) {
            attck_query_add_term(ctx, t, ATTCK_QUERY_PREFIX_WEIGHT
                                         * len / terms[t].term.len);
        }
    }
}


static int
attck_query_is_id(const attck_snap_t *snap, const attck_snap_doc_t *doc,
    const char *q, size_t len)
{
    const char  *key, *id;

    /* the id is the key after its collection: "techniques/T1059" */

    key = attck_snap_bytes(snap, doc->key);
    id = memchr(key, '/', doc->key.len);

    if (id == NULL) {
        return 0;
    }

    id++;

    return (size_t) (key + doc->key.len - id) == len
           && strncasecmp(id, q, len) == 0;
}


static void
attck_query_sort(attck_hit_t *hits, uint32_t n)
{
    uint32_t     i, j;
    attck_hit_t  h;

    /* insertion sort: n is small, and equal scores keep doc order */

    for (i = 1; i < n; i++) {
        h = hits[i];

        for (j = i; j > 0; j--) {
            if (hits[j - 1].score > h.score
                || (hits[j - 1].score == h.score && hits[j - 1].doc < h.doc))
            {
                break;
            }

            hits[j] = hits[j - 1];
        }

        hits[j] = h;
    }
}


uint32_t
attck_query_search(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *q, size_t qlen, float *scores, uint32_t *touched,
    uint8_t *seen, attck_hit_t *hits, uint32_t max, uint32_t *total)
{
    char                     norm[256];
    size_t                   nlen;
    uint32_t                 i, n, d;
    attck_hit_t              h;
    attck_search_ctx_t       ctx;
    const attck_snap_doc_t  *docs;

    memset(&ctx, 0, sizeof(attck_search_ctx_t));
    ctx.snap = snap;
    ctx.view = v;
    ctx.scores = scores;
    ctx.touched = touched;
    ctx.doc_seen = seen;

    attck_text_terms(q, qlen, attck_query_term, &ctx);

    nlen = attck_text_normalize(norm, sizeof(norm), q, qlen);
    docs = attck_snap_docs(snap, v);
    n = 0;

    for (i = 0; i < ctx.ntouched; i++) {
        d = touched[i];
        h.doc = d;
        h.score = scores[d];

        /* the whole query equal to a name or id ranks that object first */

        if ((docs[d].name.len == nlen
             && memcmp(attck_snap_bytes(snap, docs[d].name), norm, nlen) == 0)
            || attck_query_is_id(snap, &docs[d], norm, nlen))
        {
            h.score += ATTCK_QUERY_NAME_BONUS;
        }

        if (n < max) {
            hits[n++] = h;
            attck_query_sort(hits, n);

        } else if (max && (h.score > hits[max - 1].score
                           || (h.score == hits[max - 1].score
                               && h.doc < hits[max - 1].doc)))
        {
            hits[max - 1] = h;
            attck_query_sort(hits, n);
        }
    }

    *total = ctx.ntouched;

    return n;
}
