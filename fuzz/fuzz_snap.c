
/*
 * What the module does with an accepted snapshot, with the checks that
 * say it went right.  Every lookup reads the bytes it found (a CRC of
 * them), so that a reference past what attck_snap_open() checked shows
 * up under ASan here, not in an nginx worker.
 */


#include <string.h>

#include "../ngx_attck_module/snapshot/attck_query.h"
#include "fuzz.h"
#include "fuzz_snap.h"


#define FUZZ_SNAP_VIEWS     4      /* views exercised */
#define FUZZ_SNAP_DOCS      16     /* documents looked up by their key */
#define FUZZ_SNAP_TERMS     16     /* terms of the view searched for */
#define FUZZ_SNAP_WORDS     8      /* words of q used as filters and keys */
#define FUZZ_SNAP_PREFIXES  32     /* prefixes in one query, as the repro */
#define FUZZ_SNAP_HITS      100    /* the module's largest search limit */


typedef struct {
    const char  *s;
    size_t       len;
} fuzz_word_t;


static size_t fuzz_snap_words(const char *q, size_t qlen, fuzz_word_t *w);
static void fuzz_snap_touch(const attck_snap_t *snap, attck_snap_str_t s);
static void fuzz_snap_doc(const attck_snap_t *snap,
    const attck_snap_view_t *v, const attck_snap_doc_t *d);
static void fuzz_snap_lookups(const attck_snap_t *snap,
    const attck_snap_view_t *v, const fuzz_word_t *w, size_t nw);
static void fuzz_snap_names(const attck_snap_t *snap,
    const attck_snap_view_t *v);
static void fuzz_snap_lists(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *q, size_t qlen,
    const fuzz_word_t *w, size_t nw);
static void fuzz_snap_search(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *q, size_t qlen, uint32_t max);
static void fuzz_snap_terms(const attck_snap_t *snap,
    const attck_snap_view_t *v);


void
fuzz_snap_queries(const attck_snap_t *snap, const char *q, size_t qlen)
{
    size_t                    nw;
    uint32_t                  i, max;
    fuzz_word_t               w[FUZZ_SNAP_WORDS];
    const attck_snap_view_t  *v, *found;

    nw = fuzz_snap_words(q, qlen, w);

    /* the search limit from the query's first byte, 0 included */

    max = qlen ? (unsigned char) q[0] % (FUZZ_SNAP_HITS + 1) : 20;

    for (i = 0; i < snap->header->nviews && i < FUZZ_SNAP_VIEWS; i++) {
        v = &snap->views[i];

        /* by its name, as /api/v1/releases/NAME/... finds it */

        found = attck_snap_view(snap, attck_snap_bytes(snap, v->name),
                                v->name.len);
        fuzz_assert(found != NULL && found <= v);

        fuzz_snap_lookups(snap, v, w, nw);
        fuzz_snap_names(snap, v);
        fuzz_snap_lists(snap, v, q, qlen, w, nw);
        fuzz_snap_search(snap, v, q, qlen, max);
        fuzz_snap_terms(snap, v);
    }
}


/* words of q, split at spaces, commas and ampersands */

static size_t
fuzz_snap_words(const char *q, size_t qlen, fuzz_word_t *w)
{
    size_t       n;
    const char  *p, *end, *start;

    p = q;
    end = q + qlen;
    n = 0;

    while (p < end && n < FUZZ_SNAP_WORDS) {
        while (p < end && (*p == ' ' || *p == ',' || *p == '&')) {
            p++;
        }

        start = p;

        while (p < end && *p != ' ' && *p != ',' && *p != '&') {
            p++;
        }

        if (p > start) {
            w[n].s = start;
            w[n].len = p - start;
            n++;
        }
    }

    return n;
}


static void
fuzz_snap_touch(const attck_snap_t *snap, attck_snap_str_t s)
{
    volatile uint32_t  crc;

    crc = attck_snap_crc32(attck_snap_bytes(snap, s), s.len);
    (void) crc;
}


/* what the module sends of a document: it must lie in the view */

static void
fuzz_snap_doc(const attck_snap_t *snap, const attck_snap_view_t *v,
    const attck_snap_doc_t *d)
{
    const attck_snap_doc_t  *docs;

    docs = attck_snap_docs(snap, v);

    fuzz_assert(d >= docs && d < docs + v->ndocs);

    fuzz_snap_touch(snap, d->key);
    fuzz_snap_touch(snap, d->body);
    fuzz_snap_touch(snap, d->summary);
    fuzz_snap_touch(snap, d->etag);
    fuzz_snap_touch(snap, d->name);
}


static void
fuzz_snap_lookups(const attck_snap_t *snap, const attck_snap_view_t *v,
    const fuzz_word_t *w, size_t nw)
{
    char                     key[128];
    size_t                   i, len;
    uint32_t                 k;
    const attck_snap_doc_t  *docs, *d;

    docs = attck_snap_docs(snap, v);

    /*
     * A document's own key finds a document with that key; it may be
     * another one where a crafted file holds a key twice.
     */

    for (k = 0; k < v->ndocs && k < FUZZ_SNAP_DOCS; k++) {
        d = attck_snap_find(snap, v, attck_snap_bytes(snap, docs[k].key),
                            docs[k].key.len);

        if (d != NULL) {
            fuzz_snap_doc(snap, v, d);
            fuzz_assert(d->key.len == docs[k].key.len
                        && memcmp(attck_snap_bytes(snap, d->key),
                                  attck_snap_bytes(snap, docs[k].key),
                                  d->key.len) == 0);
        }
    }

    /* the query's words as keys, bare and as a technique's address */

    for (i = 0; i < nw; i++) {
        d = attck_snap_find(snap, v, w[i].s, w[i].len);

        if (d != NULL) {
            fuzz_snap_doc(snap, v, d);
        }

        len = sizeof("techniques/") - 1;

        if (w[i].len > sizeof(key) - len) {
            continue;
        }

        memcpy(key, "techniques/", len);
        memcpy(key + len, w[i].s, w[i].len);

        d = attck_snap_find(snap, v, key, len + w[i].len);

        if (d != NULL) {
            fuzz_snap_doc(snap, v, d);
        }
    }
}


/* a tactic's id and shortname, a platform's name, each find themselves */

static void
fuzz_snap_names(const attck_snap_t *snap, const attck_snap_view_t *v)
{
    uint32_t                    i;
    uint64_t                    mask;
    const attck_snap_str_t     *p;
    const attck_snap_tactic_t  *ta;

    ta = attck_snap_tactics(snap, v);

    for (i = 0; i < v->ntactics; i++) {
        mask = attck_query_tactic(snap, v, attck_snap_bytes(snap, ta[i].id),
                                  ta[i].id.len);
        fuzz_assert(mask & ((uint64_t) 1 << i));

        mask = attck_query_tactic(snap, v,
                                  attck_snap_bytes(snap, ta[i].shortname),
                                  ta[i].shortname.len);
        fuzz_assert(mask & ((uint64_t) 1 << i));
    }

    p = attck_snap_platforms(snap, v);

    for (i = 0; i < v->nplatforms; i++) {
        mask = attck_query_platform(snap, v, attck_snap_bytes(snap, p[i]),
                                    p[i].len);

        /* the first platform of that name, any case */

        fuzz_assert(mask != 0 && mask <= ((uint64_t) 1 << i));
    }
}


static void
fuzz_snap_lists(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *q, size_t qlen, const fuzz_word_t *w, size_t nw)
{
    size_t                    i;
    uint32_t                  offset, limit, total, nout, want, *out;
    const attck_snap_doc_t   *docs;
    attck_tech_filter_t       f;

    /* filters from the words, flags and paging from the last bytes */

    memset(&f, 0, sizeof(attck_tech_filter_t));

    for (i = 0; i < nw; i++) {
        f.tactics |= attck_query_tactic(snap, v, w[i].s, w[i].len);
        f.platforms |= attck_query_platform(snap, v, w[i].s, w[i].len);
        f.domains |= attck_query_domain(w[i].s, w[i].len);
    }

    f.subtechniques = qlen && (q[qlen - 1] & 1);
    f.include_revoked = qlen && (q[qlen - 1] & 2);
    offset = qlen > 1 ? (unsigned char) q[qlen - 2] : 0;
    limit = qlen > 2 ? (unsigned char) q[qlen - 3] % 101 : 20;

    out = malloc(limit * sizeof(uint32_t));
    fuzz_assert(out != NULL || limit == 0);

    total = attck_query_techniques(snap, v, &f, offset, limit, out, &nout);

    want = total > offset ? total - offset : 0;

    fuzz_assert(total <= v->ntechs);
    fuzz_assert(nout == (want < limit ? want : limit));

    docs = attck_snap_docs(snap, v);

    for (i = 0; i < nout; i++) {
        fuzz_assert(out[i] < v->ndocs && docs[out[i]].summary.len > 0);
        fuzz_snap_touch(snap, docs[out[i]].summary);
    }

    free(out);

    /* no filter at all: every technique */

    memset(&f, 0, sizeof(attck_tech_filter_t));
    f.subtechniques = 1;
    f.include_revoked = 1;

    total = attck_query_techniques(snap, v, &f, 0, 0, NULL, &nout);

    fuzz_assert(total == v->ntechs && nout == 0);
}


static void
fuzz_snap_search(const attck_snap_t *snap, const attck_snap_view_t *v,
    const char *q, size_t qlen, uint32_t max)
{
    float                   *scores;
    uint8_t                 *seen;
    uint32_t                 i, n, total, *touched;
    attck_hit_t             *hits;
    const attck_snap_doc_t  *docs;

    /* the module's scratch: exactly ndocs elements, scores and seen zeroed */

    scores = calloc(v->ndocs, sizeof(float));
    touched = malloc(v->ndocs * sizeof(uint32_t));
    seen = calloc(v->ndocs, sizeof(uint8_t));
    hits = malloc(max * sizeof(attck_hit_t));

    fuzz_assert(v->ndocs == 0
                || (scores != NULL && touched != NULL && seen != NULL));
    fuzz_assert(max == 0 || hits != NULL);

    n = attck_query_search(snap, v, q, qlen, scores, touched, seen, hits,
                           max, &total);

    fuzz_assert(n <= max && n <= total && total <= v->ndocs);

    docs = attck_snap_docs(snap, v);

    /* best first, equal scores in doc order, each document once */

    for (i = 0; i < n; i++) {
        fuzz_assert(hits[i].doc < v->ndocs);
        fuzz_assert(docs[hits[i].doc].summary.len > 0);
        fuzz_snap_touch(snap, docs[hits[i].doc].summary);

        if (i > 0) {
            fuzz_assert(hits[i - 1].score > hits[i].score
                        || (hits[i - 1].score == hits[i].score
                            && hits[i - 1].doc < hits[i].doc));
        }
    }

    free(scores);
    free(touched);
    free(seen);
    free(hits);
}


/*
 * The view's own terms: each one, its first three bytes (a prefix that
 * expands to many terms), and one query of many such prefixes.
 */

static void
fuzz_snap_terms(const attck_snap_t *snap, const attck_snap_view_t *v)
{
    char                      q[FUZZ_SNAP_PREFIXES * 4];
    size_t                    qlen;
    uint32_t                  i, k, step;
    const char               *s;
    const attck_snap_term_t  *terms;

    if (v->nterms == 0) {
        return;
    }

    terms = attck_snap_terms(snap, v);
    step = v->nterms / FUZZ_SNAP_TERMS + 1;

    for (i = 0; i < v->nterms; i += step) {
        s = attck_snap_bytes(snap, terms[i].term);

        fuzz_snap_search(snap, v, s, terms[i].term.len, 20);

        if (terms[i].term.len > 3) {
            fuzz_snap_search(snap, v, s, 3, 20);
        }
    }

    step = v->nterms / FUZZ_SNAP_PREFIXES + 1;
    qlen = 0;

    for (i = 0, k = 0; i < v->nterms && k < FUZZ_SNAP_PREFIXES;
         i += step, k++)
    {
        if (terms[i].term.len < 3) {
            continue;
        }

        memcpy(q + qlen, attck_snap_bytes(snap, terms[i].term), 3);
        q[qlen + 3] = ' ';
        qlen += 4;
    }

    fuzz_snap_search(snap, v, q, qlen, FUZZ_SNAP_HITS);
}
