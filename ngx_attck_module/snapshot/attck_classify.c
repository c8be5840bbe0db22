
/*
 * attck: the mapper's classifier over a model file used in place.
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "attck_classify.h"
#include "attck_map_text.h"


#define attck_cls_space(c)                                                   \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n'                 \
     || (c) == '\f' || (c) == '\v')

#define attck_cls_alnum(c)                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9') || (c) >= 0x80)

#define attck_cls_digit(c)  ((c) >= '0' && (c) <= '9')

#if defined(__GNUC__)
#define attck_cls_prefetch(p)  __builtin_prefetch(p)
#else
#define attck_cls_prefetch(p)
#endif


/* terms looked up together, so that their memory is asked for at once */
#define ATTCK_CLS_BATCH  16

typedef struct {
    const attck_cls_model_t  *m;
    attck_cls_work_t         *w;
    size_t                    n;
    size_t                    npend;
    uint32_t                  hash[ATTCK_CLS_BATCH];
    uint32_t                  len[ATTCK_CLS_BATCH];
    char                      term[ATTCK_CLS_BATCH][ATTCK_MAP_MAX_TERM];
} attck_cls_terms_ctx_t;


typedef struct {
    float        margin;
    uint32_t     cls;
} attck_cls_rank_t;


typedef struct {
    char        *out;
    size_t       cap;
    size_t       len;
} attck_cls_buf_t;


static size_t attck_cls_layout(const attck_model_header_t *h,
    size_t *off);
static int attck_cls_check(const attck_cls_model_t *m, char *err,
    size_t errlen);
static int64_t attck_cls_term_hashed(const attck_cls_model_t *m,
    const char *term, size_t len, uint32_t h);
static void attck_cls_term_id(const char *term, size_t len, void *data);
static void attck_cls_term_flush(attck_cls_terms_ctx_t *tc);
static int attck_cls_id_cmp(const void *a, const void *b);
static size_t attck_cls_vector(const attck_cls_model_t *m,
    attck_cls_work_t *w, const char *text, size_t len);
static void attck_cls_margins(const attck_cls_model_t *m,
    attck_cls_work_t *w, size_t nfeat);
static void attck_cls_evidence(const attck_cls_model_t *m,
    const attck_cls_work_t *w, size_t nfeat, attck_cls_hit_t *hits,
    size_t n);
static void attck_cls_evidence_add(attck_cls_hit_t *hit, uint32_t term,
    double c);
static size_t attck_cls_bullet(const unsigned char *p, size_t len);
static int attck_cls_abbrev(const unsigned char *p, size_t i);
static size_t attck_cls_end_here(const unsigned char *p, size_t len,
    size_t i);
static size_t attck_cls_emit(const unsigned char *p, size_t start,
    size_t end, attck_cls_span_t *spans, size_t n, size_t max);
static void attck_cls_put(attck_cls_buf_t *b, const char *s, size_t len);
static void attck_cls_put_str(attck_cls_buf_t *b, const char *s,
    size_t len);
static void attck_cls_put_uint(attck_cls_buf_t *b, uint64_t v);
static void attck_cls_put_score(attck_cls_buf_t *b, double score);


uint32_t
attck_cls_hash(const char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 16777619u;
    }

    return h;
}


/* section offsets (off[0..6]) and the file size the header implies */

static size_t
attck_cls_layout(const attck_model_header_t *h, size_t *off)
{
    uint64_t  o;

    o = sizeof(attck_model_header_t);
    off[0] = (size_t) o;                                  /* term offsets */
    o += (uint64_t) h->nterms * sizeof(uint32_t);
    off[1] = (size_t) o;                                  /* idf */
    o += (uint64_t) h->nterms * sizeof(float);
    off[2] = (size_t) o;                                  /* starts */
    o += ((uint64_t) h->nterms + 1) * sizeof(uint32_t);
    off[3] = (size_t) o;                                  /* postings */
    o += (uint64_t) h->npostings * sizeof(attck_model_posting_t);
    off[4] = (size_t) o;                                  /* classes */
    o += (uint64_t) h->nclasses * sizeof(attck_model_class_t);
    off[5] = (size_t) o;                                  /* slots */
    o += (uint64_t) h->nslots * sizeof(uint32_t);
    off[6] = (size_t) o;                                  /* strings */
    o += h->strings;

    return o > 0xffffffffu ? 0 : (size_t) o;
}


int
attck_cls_open(attck_cls_model_t *m, const void *buf, size_t size,
    char *err, size_t errlen)
{
    size_t                       off[7], want;
    uint32_t                     crc;
    unsigned char                zero[4];
    const unsigned char         *p;
    const attck_model_header_t  *h;

    memset(m, 0, sizeof(attck_cls_model_t));
    p = buf;
    h = buf;

    if (size < sizeof(attck_model_header_t) || ((uintptr_t) p & 3)
        || memcmp(h->magic, ATTCK_MODEL_MAGIC, sizeof(h->magic)) != 0)
    {
        snprintf(err, errlen, "not an attck model");
        return -1;
    }

    if (h->version != ATTCK_MODEL_VERSION) {
        snprintf(err, errlen, "model format %u, this build reads %u (train "
                 "it again)", h->version, ATTCK_MODEL_VERSION);
        return -1;
    }

    want = attck_cls_layout(h, off);

    if (h->size != size || want != size) {
        snprintf(err, errlen, "truncated or padded model (%zu bytes, "
                 "expected %zu)", size, want);
        return -1;
    }

    /* the CRC is of the file with its own field as zero: read in place,
     * the file is not written to */

    memset(zero, 0, sizeof(zero));
    crc = (uint32_t) crc32(0L, p, offsetof(attck_model_header_t, crc));
    crc = (uint32_t) crc32(crc, zero, sizeof(zero));
    crc = (uint32_t) crc32(crc, p + offsetof(attck_model_header_t, crc) + 4,
                           (uInt) (size - offsetof(attck_model_header_t, crc)
                                   - 4));

    if (crc != h->crc) {
        snprintf(err, errlen, "model checksum mismatch: the file is "
                 "damaged");
        return -1;
    }

    m->hdr = h;
    m->term_off = (const uint32_t *) (p + off[0]);
    m->idf = (const float *) (p + off[1]);
    m->starts = (const uint32_t *) (p + off[2]);
    m->postings = (const attck_model_posting_t *) (p + off[3]);
    m->classes = (const attck_model_class_t *) (p + off[4]);
    m->slots = (const uint32_t *) (p + off[5]);
    m->strings = (const char *) (p + off[6]);
    m->nterms = h->nterms;
    m->nclasses = h->nclasses;

    if (attck_cls_check(m, err, errlen) != 0) {
        memset(m, 0, sizeof(attck_cls_model_t));
        return -1;
    }

    return 0;
}


void
attck_cls_attach(attck_cls_model_t *m, const void *buf)
{
    size_t                       off[7];
    const unsigned char         *p;
    const attck_model_header_t  *h;

    p = buf;
    h = buf;
    (void) attck_cls_layout(h, off);

    m->hdr = h;
    m->term_off = (const uint32_t *) (p + off[0]);
    m->idf = (const float *) (p + off[1]);
    m->starts = (const uint32_t *) (p + off[2]);
    m->postings = (const attck_model_posting_t *) (p + off[3]);
    m->classes = (const attck_model_class_t *) (p + off[4]);
    m->slots = (const uint32_t *) (p + off[5]);
    m->strings = (const char *) (p + off[6]);
    m->nterms = h->nterms;
    m->nclasses = h->nclasses;
}


int
attck_cls_utf8(const char *text, size_t len)
{
    size_t                i, n, k;
    uint32_t              c;
    const unsigned char  *p;

    p = (const unsigned char *) text;

    for (i = 0; i < len; i += n) {
        if (p[i] < 0x80) {
            n = 1;
            continue;
        }

        if (p[i] >= 0xc2 && p[i] <= 0xdf) {
            n = 2;
            c = p[i] & 0x1f;

        } else if (p[i] >= 0xe0 && p[i] <= 0xef) {
            n = 3;
            c = p[i] & 0x0f;

        } else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
            n = 4;
            c = p[i] & 0x07;

        } else {
            return 0;
        }

        if (i + n > len) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (p[i + k] & 0x3f);
        }

        /* overlong forms, surrogates, past U+10FFFF */

        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
            || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        {
            return 0;
        }
    }

    return 1;
}


/* every field, so that scoring checks nothing */

static int
attck_cls_check(const attck_cls_model_t *m, char *err, size_t errlen)
{
    size_t                        i, j, used;
    int64_t                       id;
    const char                   *prev, *s;
    const attck_model_meta_t     *meta;
    const attck_model_header_t   *h;

    h = m->hdr;
    meta = &h->meta;

    if (memchr(meta->release, '\0', sizeof(meta->release)) == NULL
        || memchr(meta->created, '\0', sizeof(meta->created)) == NULL
        || memchr(meta->trainset, '\0', sizeof(meta->trainset)) == NULL
        || !isfinite(meta->platt_a) || !(meta->platt_a > 0)
        || !isfinite(meta->platt_b) || !isfinite(meta->doc_a)
        || !(meta->doc_a > 0) || !isfinite(meta->doc_b))
    {
        snprintf(err, errlen, "model description is malformed");
        return -1;
    }

    if (h->strings == 0 ? h->nterms != 0
                        : m->strings[h->strings - 1] != '\0')
    {
        snprintf(err, errlen, "model strings are not terminated");
        return -1;
    }

    if (h->nslots == 0 || (h->nslots & (h->nslots - 1)) != 0
        || h->nslots < 2 * (uint64_t) h->nterms
        || h->nterms >= ATTCK_MODEL_SLOT_ID)
    {
        snprintf(err, errlen, "model term table has %u slots for %u terms",
                 h->nslots, h->nterms);
        return -1;
    }

    prev = NULL;

    for (i = 0; i < h->nterms; i++) {
        s = m->strings + m->term_off[i];

        if (m->term_off[i] >= h->strings || *s == '\0'
            || (prev && strcmp(prev, s) >= 0)
            || m->starts[i] > m->starts[i + 1]
            || !isfinite(m->idf[i]) || !(m->idf[i] > 0))
        {
            snprintf(err, errlen, "model term %zu is out of order or "
                     "bounds", i);
            return -1;
        }

        prev = s;
    }

    if (m->starts[0] != 0 || m->starts[h->nterms] != h->npostings) {
        snprintf(err, errlen, "model postings do not add up");
        return -1;
    }

    for (i = 0; i < h->nterms; i++) {
        for (j = m->starts[i]; j < m->starts[i + 1]; j++) {
            if (m->postings[j].cls >= h->nclasses
                || !isfinite(m->postings[j].w)
                || (j > m->starts[i]
                    && m->postings[j].cls <= m->postings[j - 1].cls))
            {
                snprintf(err, errlen, "model posting %zu is out of bounds "
                         "or order", j);
                return -1;
            }
        }
    }

    /* technique ids, sorted and unique: they go into SQL rows and JSON */

    for (i = 0; i < h->nclasses; i++) {
        if (memchr(m->classes[i].id, '\0', ATTCK_MODEL_ID_SIZE) == NULL
            || !attck_map_id_valid(m->classes[i].id)
            || (i > 0 && strcmp(m->classes[i - 1].id, m->classes[i].id)
                         >= 0)
            || !isfinite(m->classes[i].bias))
        {
            snprintf(err, errlen, "model class %zu is malformed", i);
            return -1;
        }
    }

    /* as many used slots as terms, and each term found where it is */

    used = 0;

    for (i = 0; i < h->nslots; i++) {
        if ((m->slots[i] & ATTCK_MODEL_SLOT_ID) > h->nterms
            || (m->slots[i] != 0
                && (m->slots[i] & ATTCK_MODEL_SLOT_ID) == 0))
        {
            snprintf(err, errlen, "model slot %zu is out of bounds", i);
            return -1;
        }

        used += m->slots[i] != 0;
    }

    if (used != h->nterms) {
        snprintf(err, errlen, "model term table holds %zu terms, not %u",
                 used, h->nterms);
        return -1;
    }

    for (i = 0; i < h->nterms; i++) {
        s = m->strings + m->term_off[i];
        id = attck_cls_term(m, s, strlen(s));

        if (id != (int64_t) i) {
            snprintf(err, errlen, "model term %zu is not in its table", i);
            return -1;
        }
    }

    return 0;
}


int64_t
attck_cls_term(const attck_cls_model_t *m, const char *term, size_t len)
{
    return attck_cls_term_hashed(m, term, len, attck_cls_hash(term, len));
}


static int64_t
attck_cls_term_hashed(const attck_cls_model_t *m, const char *term,
    size_t len, uint32_t h)
{
    size_t       k;
    uint32_t     i, mask, v;
    const char  *s;

    mask = m->hdr->nslots - 1;
    i = h & mask;

    for ( ;; ) {
        v = m->slots[i];

        if (v == 0) {
            return -1;
        }

        /* most terms of a text are not the model's: the tag tells */

        if ((v >> ATTCK_MODEL_SLOT_BITS) == (h >> ATTCK_MODEL_SLOT_BITS)) {
            s = m->strings + m->term_off[(v & ATTCK_MODEL_SLOT_ID) - 1];

            /* terms are short: a loop here costs less than a call */

            for (k = 0; k < len && s[k] == term[k]; k++) { /* void */ }

            if (k == len && s[len] == '\0') {
                return (int64_t) (v & ATTCK_MODEL_SLOT_ID) - 1;
            }
        }

        i = (i + 1) & mask;
    }
}


int64_t
attck_cls_class(const attck_cls_model_t *m, const char *id)
{
    int       c;
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = m->nclasses;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(m->classes[mid].id, id);

        if (c == 0) {
            return mid;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return -1;
}


size_t
attck_cls_work_size(const attck_cls_model_t *m, size_t max_sentences)
{
    return m->nclasses * (sizeof(float) + sizeof(uint16_t)
                          + ATTCK_CLS_SUPPORT * (sizeof(float)
                                                 + sizeof(uint32_t)))
           + ATTCK_CLS_MAX_TERMS * (sizeof(uint32_t)
                                    + sizeof(attck_cls_feat_t))
           + max_sentences * sizeof(attck_cls_span_t) + 16;
}


void
attck_cls_work_init(attck_cls_work_t *w, const attck_cls_model_t *m,
    void *mem, size_t max_sentences)
{
    char  *p;

    p = mem;
    p += (8 - ((uintptr_t) p & 7)) & 7;

    w->margin = (float *) p;
    p += m->nclasses * sizeof(float);
    w->best = (float *) p;
    p += m->nclasses * ATTCK_CLS_SUPPORT * sizeof(float);
    w->best_sent = (uint32_t *) p;
    p += m->nclasses * ATTCK_CLS_SUPPORT * sizeof(uint32_t);
    w->ids = (uint32_t *) p;
    p += ATTCK_CLS_MAX_TERMS * sizeof(uint32_t);
    w->feat = (attck_cls_feat_t *) p;
    p += ATTCK_CLS_MAX_TERMS * sizeof(attck_cls_feat_t);
    w->sent = (attck_cls_span_t *) p;
    p += max_sentences * sizeof(attck_cls_span_t);
    w->slot = (uint16_t *) p;
    memset(w->slot, 0, m->nclasses * sizeof(uint16_t));
    w->max_sentences = max_sentences;
}


double
attck_cls_calibrate(float a, float b, double margin)
{
    return 1.0 / (1.0 + exp(-(a * margin + b)));
}


/*
 * A term's lookup is three reads far apart (its slot, its offset, its
 * string), each likely a cache miss: the terms of a sentence are taken
 * in batches, and each read is asked for for the whole batch before any
 * is waited for.  The terms are then looked up in order, as they came.
 */

static void
attck_cls_term_id(const char *term, size_t len, void *data)
{
    attck_cls_terms_ctx_t *tc = data;

    uint32_t  h;

    if (tc->n == ATTCK_CLS_MAX_TERMS) {
        return;
    }

    h = attck_cls_hash(term, len);
    attck_cls_prefetch(&tc->m->slots[h & (tc->m->hdr->nslots - 1)]);

    memcpy(tc->term[tc->npend], term, len);
    tc->len[tc->npend] = (uint32_t) len;
    tc->hash[tc->npend] = h;

    if (++tc->npend == ATTCK_CLS_BATCH) {
        attck_cls_term_flush(tc);
    }
}


static void
attck_cls_term_flush(attck_cls_terms_ctx_t *tc)
{
    size_t                    k;
    int64_t                   id;
    uint32_t                  v, h;
    const attck_cls_model_t  *m;

    m = tc->m;

    /* the first slot of each: where it matches, its offset, then its
     * string (a collision or a probe further on costs a wait, no more) */

    for (k = 0; k < tc->npend; k++) {
        h = tc->hash[k];
        v = m->slots[h & (m->hdr->nslots - 1)];

        if (v && (v >> ATTCK_MODEL_SLOT_BITS) == (h >> ATTCK_MODEL_SLOT_BITS))
        {
            attck_cls_prefetch(&m->term_off[(v & ATTCK_MODEL_SLOT_ID) - 1]);
        }
    }

    for (k = 0; k < tc->npend; k++) {
        h = tc->hash[k];
        v = m->slots[h & (m->hdr->nslots - 1)];

        if (v && (v >> ATTCK_MODEL_SLOT_BITS) == (h >> ATTCK_MODEL_SLOT_BITS))
        {
            attck_cls_prefetch(m->strings
                               + m->term_off[(v & ATTCK_MODEL_SLOT_ID) - 1]);
        }
    }

    for (k = 0; k < tc->npend; k++) {
        if (tc->n == ATTCK_CLS_MAX_TERMS) {
            break;
        }

        id = attck_cls_term_hashed(m, tc->term[k], tc->len[k], tc->hash[k]);

        if (id >= 0) {
            tc->w->ids[tc->n++] = (uint32_t) id;
        }
    }

    tc->npend = 0;
}


static int
attck_cls_id_cmp(const void *a, const void *b)
{
    uint32_t  ia = *(const uint32_t *) a, ib = *(const uint32_t *) b;

    return (ia > ib) - (ia < ib);
}


/* the sentence's TF-IDF vector, by increasing term id, unit length */

static size_t
attck_cls_vector(const attck_cls_model_t *m, attck_cls_work_t *w,
    const char *text, size_t len)
{
    size_t                 i, j, n, nfeat;
    double                 v, norm;
    uint32_t              *ids, id;
    attck_cls_terms_ctx_t  tc;

    tc.m = m;
    tc.w = w;
    tc.n = 0;
    tc.npend = 0;

    attck_map_terms(text, len, attck_cls_term_id, &tc);
    attck_cls_term_flush(&tc);

    n = tc.n;
    ids = w->ids;

    /* a sentence has a few dozen terms: insertion sort beats qsort */

    if (n > 64) {
        qsort(ids, n, sizeof(uint32_t), attck_cls_id_cmp);

    } else {
        for (i = 1; i < n; i++) {
            id = ids[i];

            for (j = i; j > 0 && ids[j - 1] > id; j--) {
                ids[j] = ids[j - 1];
            }

            ids[j] = id;
        }
    }

    norm = 0.0;
    nfeat = 0;

    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && ids[j] == ids[i]; j++) {
            /* void */
        }

        v = (j - i == 1) ? m->idf[ids[i]]
                         : (1.0 + log((double) (j - i))) * m->idf[ids[i]];
        norm += v * v;

        w->feat[nfeat].id = ids[i];
        w->feat[nfeat].w = (float) v;
        nfeat++;
    }

    norm = sqrt(norm);

    for (i = 0; i < nfeat; i++) {
        w->feat[i].w = (float) (w->feat[i].w / norm);
    }

    return nfeat;
}


static void
attck_cls_margins(const attck_cls_model_t *m, attck_cls_work_t *w,
    size_t nfeat)
{
    float                         x, *margin;
    size_t                        i, j, end;
    const attck_model_posting_t  *p;

    /* in float: a posting is then a load, a multiply and an add; four at
     * a time, as a term's postings are of distinct classes */

    margin = w->margin;

    for (i = 0; i < m->nclasses; i++) {
        margin[i] = m->classes[i].bias;
    }

    /* a term's postings are far from the last term's: ask for the next
     * term's while this one's are added up */

    for (i = 0; i < nfeat; i++) {
        attck_cls_prefetch(&m->starts[w->feat[i].id]);
    }

    for (i = 0; i < nfeat && i < 3; i++) {
        attck_cls_prefetch(&m->postings[m->starts[w->feat[i].id]]);
    }

    for (i = 0; i < nfeat; i++) {
        x = w->feat[i].w;
        j = m->starts[w->feat[i].id];
        end = m->starts[w->feat[i].id + 1];
        p = m->postings;

        if (i + 3 < nfeat) {
            attck_cls_prefetch(&p[m->starts[w->feat[i + 3].id]]);
        }

        for ( /* void */ ; j + 4 <= end; j += 4) {
            margin[p[j].cls] += p[j].w * x;
            margin[p[j + 1].cls] += p[j + 1].w * x;
            margin[p[j + 2].cls] += p[j + 2].w * x;
            margin[p[j + 3].cls] += p[j + 3].w * x;
        }

        for ( /* void */ ; j < end; j++) {
            margin[p[j].cls] += p[j].w * x;
        }
    }
}


/*
 * The terms whose weight added most to each hit's class, from w->feat.
 * A term's postings are by class: under a term with few, a walk over
 * them finds the hits' classes (w->slot marks them); under one with
 * many, bisection for each hit is cheaper.  Either way each hit sees the
 * terms in the same order, so the choice changes no evidence.
 */

static void
attck_cls_evidence(const attck_cls_model_t *m, const attck_cls_work_t *w,
    size_t nfeat, attck_cls_hit_t *hits, size_t n)
{
    size_t                        i, j, lo, len, half, h, first, end;
    uint32_t                      cls;
    const attck_model_posting_t  *p;

    p = m->postings;

    for (h = 0; h < n; h++) {
        hits[h].nevidence = 0;
        w->slot[hits[h].cls] = (uint16_t) (h + 1);
    }

    for (i = 0; i < nfeat; i++) {
        first = m->starts[w->feat[i].id];
        end = m->starts[w->feat[i].id + 1];

        if (end - first <= 4 * n) {
            for (j = first; j < end; j++) {
                h = w->slot[p[j].cls];

                if (h) {
                    attck_cls_evidence_add(&hits[h - 1], w->feat[i].id,
                                           (double) p[j].w * w->feat[i].w);
                }
            }

            continue;
        }

        for (h = 0; h < n; h++) {
            cls = hits[h].cls;

            /* the last posting of a class <= cls, without branches */

            lo = first;
            len = end - first;

            while (len > 1) {
                half = len / 2;
                lo = (p[lo + half].cls <= cls) ? lo + half : lo;
                len -= half;
            }

            if (p[lo].cls == cls) {
                attck_cls_evidence_add(&hits[h], w->feat[i].id,
                                       (double) p[lo].w * w->feat[i].w);
            }
        }
    }

    for (h = 0; h < n; h++) {
        w->slot[hits[h].cls] = 0;
    }
}


static void
attck_cls_evidence_add(attck_cls_hit_t *hit, uint32_t term, double c)
{
    size_t  slot;

    if (c <= 0) {
        return;
    }

    if (hit->nevidence < ATTCK_CLS_EVIDENCE) {
        slot = hit->nevidence++;

    } else if (c > hit->ev[ATTCK_CLS_EVIDENCE - 1]) {
        slot = ATTCK_CLS_EVIDENCE - 1;

    } else {
        return;
    }

    for ( /* void */ ; slot > 0 && hit->ev[slot - 1] < c; slot--) {
        hit->ev[slot] = hit->ev[slot - 1];
        hit->evidence[slot] = hit->evidence[slot - 1];
    }

    hit->ev[slot] = c;
    hit->evidence[slot] = term;
}


/* "- ", "* ", "• ", "1. ", "a) " at p: the marker's length, or 0 */

static size_t
attck_cls_bullet(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len >= 2 && (p[0] == '-' || p[0] == '*' || p[0] == '+'
                     || p[0] == '>')
        && (p[1] == ' ' || p[1] == '\t'))
    {
        return 2;
    }

    /* U+2022 bullet, U+25AA and U+25CF squares and circles, U+00B7 */

    if (len >= 3 && p[0] == 0xe2
        && ((p[1] == 0x80 && p[2] == 0xa2)
            || (p[1] == 0x96 && (p[2] == 0xaa || p[2] == 0xab))
            || (p[1] == 0x97 && (p[2] == 0x8f || p[2] == 0x8b))))
    {
        return 3;
    }

    if (len >= 2 && p[0] == 0xc2 && p[1] == 0xb7) {
        return 2;
    }

    for (i = 0; i < len && i < 3 && attck_cls_digit(p[i]); i++) {
        /* void */
    }

    if (i == 0 && len >= 2 && p[0] >= 'a' && p[0] <= 'z') {
        i = 1;
    }

    if (i > 0 && i + 1 < len && (p[i] == '.' || p[i] == ')')
        && (p[i + 1] == ' ' || p[i + 1] == '\t'))
    {
        return i + 2;
    }

    return 0;
}


/*
 * Whether the period at p[i] ends an abbreviation ("e.g.", "etc.",
 * "Fig.", "Inc.") or an initial ("J. Smith") rather than a sentence.
 */

static int
attck_cls_abbrev(const unsigned char *p, size_t i)
{
    char         w[8];
    size_t       s, n, k;
    const char  **a;

    static const char  *abbrev[] = {
        "e.g", "i.e", "etc", "vs", "fig", "no", "inc", "corp", "ltd", "co",
        "mr", "mrs", "ms", "dr", "st", "jr", "approx", "al", "u.s", "cf",
        "ver", "vol", "dept", "est", "resp", NULL
    };

    s = i;

    while (s > 0 && (((p[s - 1] | 0x20) >= 'a' && (p[s - 1] | 0x20) <= 'z')
                     || p[s - 1] == '.'))
    {
        s--;
    }

    n = i - s;

    if (n == 0 || n >= sizeof(w)) {
        return 0;
    }

    if (n == 1 && p[s] >= 'A' && p[s] <= 'Z') {
        return 1;
    }

    for (k = 0; k < n; k++) {
        w[k] = (char) (p[s + k] | (p[s + k] == '.' ? 0 : 0x20));
    }

    w[n] = '\0';

    for (a = abbrev; *a; a++) {
        if (strcmp(*a, w) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether a sentence ends with the byte at p[i] ('.', '!', '?'): the
 * length up to and with its closing quotes and brackets, or 0.
 */

static size_t
attck_cls_end_here(const unsigned char *p, size_t len, size_t i)
{
    size_t  j, close;

    j = i + 1;

    while (j < len && (p[j] == '"' || p[j] == '\'' || p[j] == ')'
                       || p[j] == ']'))
    {
        j++;
    }

    /* U+201D, U+2019: closing quotation marks */

    if (j + 2 < len && p[j] == 0xe2 && p[j + 1] == 0x80
        && (p[j + 2] == 0x9d || p[j + 2] == 0x99))
    {
        j += 3;
    }

    if (j == len) {
        return j - i;
    }

    if (!attck_cls_space(p[j])) {
        return 0;
    }

    close = j;

    if (p[i] == '.' && attck_cls_abbrev(p, i)) {
        return 0;
    }

    while (j < len && attck_cls_space(p[j])) {
        j++;
    }

    if (j == len || (p[j] >= 'A' && p[j] <= 'Z') || attck_cls_digit(p[j])
        || p[j] >= 0x80 || p[j] == '"' || p[j] == '\'' || p[j] == '('
        || p[j] == '[' || attck_cls_bullet(p + j, len - j))
    {
        return close - i;
    }

    return 0;
}


static size_t
attck_cls_emit(const unsigned char *p, size_t start, size_t end,
    attck_cls_span_t *spans, size_t n, size_t max)
{
    size_t  i, b;

    for ( ;; ) {
        while (start < end && attck_cls_space(p[start])) {
            start++;
        }

        b = attck_cls_bullet(p + start, end - start);
        if (b == 0) {
            break;
        }

        start += b;
    }

    while (end > start && attck_cls_space(p[end - 1])) {
        end--;
    }

    for (i = start; i < end && !attck_cls_alnum(p[i]); i++) {
        /* void */
    }

    if (i == end) {
        return n;
    }

    if (n < max) {
        spans[n].start = (uint32_t) start;
        spans[n].end = (uint32_t) end;
    }

    return n + 1;
}


size_t
attck_cls_split(const char *text, size_t len, attck_cls_span_t *spans,
    size_t max)
{
    size_t                i, j, k, e, start, nl, n;
    const unsigned char  *p;

    p = (const unsigned char *) text;
    start = 0;
    n = 0;

    for (i = 0; i < len; i++) {

        if (i - start >= ATTCK_CLS_MAX_SENTENCE) {

            /* a run too long for one sentence: cut at a space, or at a
             * character boundary */

            for (k = i; k > start + ATTCK_CLS_MAX_SENTENCE / 2; k--) {
                if (attck_cls_space(p[k])) {
                    break;
                }
            }

            if (k == start + ATTCK_CLS_MAX_SENTENCE / 2) {
                for (k = i; k > start && (p[k] & 0xc0) == 0x80; k--) {
                    /* void */
                }
            }

            n = attck_cls_emit(p, start, k, spans, n, max);
            start = k;
        }

        if (p[i] == '.' || p[i] == '!' || p[i] == '?') {
            e = attck_cls_end_here(p, len, i);

            if (e) {
                n = attck_cls_emit(p, start, i + e, spans, n, max);
                start = i + e;
                i = start - 1;
            }

            continue;
        }

        if (p[i] != '\n') {
            continue;
        }

        /* a line break: how many, and what stands on either side */

        nl = 1;

        for (j = i + 1; j < len && attck_cls_space(p[j]); j++) {
            nl += p[j] == '\n';
        }

        for (k = i; k > start && attck_cls_space(p[k - 1]); k--) {
            /* void */
        }

        if (nl > 1 || j == len
            || (k > start && strchr(".!?:;", p[k - 1]) != NULL)
            || attck_cls_bullet(p + j, len - j))
        {
            n = attck_cls_emit(p, start, i, spans, n, max);
            start = j;
            i = j - 1;
        }
    }

    return attck_cls_emit(p, start, len, spans, n, max);
}


size_t
attck_cls_classify(const attck_cls_model_t *m, attck_cls_work_t *w,
    const char *text, size_t len, size_t k, double threshold,
    attck_cls_hit_t *hits, size_t *nsent)
{
    char                ids[ATTCK_CLS_MAX_EXPLICIT][ATTCK_MAP_ID_SIZE];
    float              *best, fm, floor;
    size_t              i, j, s, n, nfound, nexplicit, nfeat, ns, nm, used;
    double              margin, score;
    int64_t             c;
    uint32_t           *bs;
    attck_cls_hit_t    *hit, *top;
    attck_cls_span_t   *sp;
    attck_cls_rank_t    rank[ATTCK_CLS_MAX_K];

    n = 0;

    /* an id written in the text is a mapping by itself, but "T1000" may
     * be a part number: techniques the model knows */

    nfound = attck_map_explicit_ids(text, len, ids, ATTCK_CLS_MAX_EXPLICIT);

    for (i = 0; i < nfound; i++) {
        c = attck_cls_class(m, ids[i]);

        if (c >= 0) {
            hit = &hits[n++];
            memset(hit, 0, sizeof(attck_cls_hit_t));
            hit->cls = (uint32_t) c;
            hit->score = 1.0f;
            hit->explicit = 1;
        }
    }

    nexplicit = n;

    ns = attck_cls_split(text, len, w->sent, w->max_sentences);
    if (ns > w->max_sentences) {
        ns = w->max_sentences;
    }

    *nsent = ns;

    if (k > ATTCK_CLS_MAX_K) {
        k = ATTCK_CLS_MAX_K;
    }

    if (k == 0 || ns == 0 || m->nclasses == 0) {
        return n;
    }

    top = hits + nexplicit;
    nm = 0;

    if (ns > 1) {
        for (i = 0; i < m->nclasses * ATTCK_CLS_SUPPORT; i++) {
            w->best[i] = -HUGE_VALF;
            w->best_sent[i] = UINT32_MAX;
        }
    }

    used = 0;

    for (s = 0; s < ns; s++) {
        sp = &w->sent[s];
        nfeat = attck_cls_vector(m, w, text + sp->start, sp->end - sp->start);

        if (nfeat == 0) {
            continue;       /* nothing known: no evidence for anything */
        }

        used++;
        attck_cls_margins(m, w, nfeat);

        if (ns == 1) {
            break;
        }

        /* each class keeps its best sentences */

        for (i = 0; i < m->nclasses; i++) {
            best = &w->best[i * ATTCK_CLS_SUPPORT];
            bs = &w->best_sent[i * ATTCK_CLS_SUPPORT];
            margin = w->margin[i];

            if (!(margin > best[ATTCK_CLS_SUPPORT - 1])) {
                continue;
            }

            for (j = ATTCK_CLS_SUPPORT - 1; j > 0 && best[j - 1] < margin;
                 j--)
            {
                best[j] = best[j - 1];
                bs[j] = bs[j - 1];
            }

            best[j] = (float) margin;
            bs[j] = (uint32_t) s;
        }
    }

    if (used == 0) {
        return n;
    }

    if (ns > 1) {
        for (i = 0; i < m->nclasses; i++) {
            w->margin[i] = w->best[i * ATTCK_CLS_SUPPORT];
        }
    }

    /* the best k classes not named in the text, ties by class: ranked as
     * (margin, class) pairs, which move cheaper than hits */

    floor = -HUGE_VALF;     /* margins are finite: all pass till k */

    for (i = 0; i < m->nclasses; i++) {
        fm = w->margin[i];

        if (!(fm > floor)) {
            continue;
        }

        for (j = 0; j < nexplicit && hits[j].cls != i; j++) { /* void */ }

        if (j < nexplicit) {
            continue;
        }

        j = nm < k ? nm++ : nm - 1;

        for ( /* void */ ; j > 0 && rank[j - 1].margin < fm; j--) {
            rank[j] = rank[j - 1];
        }

        rank[j].margin = fm;
        rank[j].cls = (uint32_t) i;

        if (nm == k) {
            floor = rank[k - 1].margin;
        }
    }

    for (i = 0; i < nm; i++) {
        memset(&top[i], 0, sizeof(attck_cls_hit_t));
        top[i].cls = rank[i].cls;
        top[i].margin = rank[i].margin;
    }

    for (i = 0; i < nm; i++) {
        hit = &top[i];
        score = ns > 1
                ? attck_cls_calibrate(m->hdr->meta.doc_a,
                                      m->hdr->meta.doc_b, hit->margin)
                : attck_cls_calibrate(m->hdr->meta.platt_a,
                                      m->hdr->meta.platt_b, hit->margin);

        if (score < threshold) {
            break;
        }

        hit->score = (float) score;

        if (ns == 1) {
            n++;
            continue;
        }

        best = &w->best[hit->cls * ATTCK_CLS_SUPPORT];
        bs = &w->best_sent[hit->cls * ATTCK_CLS_SUPPORT];

        for (j = 0; j < ATTCK_CLS_SUPPORT && bs[j] != UINT32_MAX; j++) {
            if (j > 0 && attck_cls_calibrate(m->hdr->meta.platt_a,
                                             m->hdr->meta.platt_b, best[j])
                         < ATTCK_CLS_SUPPORT_MIN)
            {
                break;
            }

            hit->support[hit->nsupport++] = w->sent[bs[j]];
        }

        sp = &w->sent[bs[0]];
        nfeat = attck_cls_vector(m, w, text + sp->start, sp->end - sp->start);
        attck_cls_evidence(m, w, nfeat, hit, 1);
        n++;
    }

    if (ns == 1) {
        attck_cls_evidence(m, w, nfeat, top, n - nexplicit);
    }

    return n;
}


/* the bytes a JSON string escapes: controls, '"', '\\' and DEL */
static const unsigned char  attck_cls_json_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,     /* '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1      /* DEL */
};


static void
attck_cls_put(attck_cls_buf_t *b, const char *s, size_t len)
{
    if (b->len < b->cap) {
        memcpy(b->out + b->len, s, b->cap - b->len < len ? b->cap - b->len
                                                        : len);
    }

    b->len += len;
}


/* a JSON string: UTF-8 as it is (the caller checked it), controls as
 * \u00XX */

static void
attck_cls_put_str(attck_cls_buf_t *b, const char *s, size_t len)
{
    char                  esc[8];
    size_t                i, run;
    const unsigned char  *p;

    static const char  hex[] = "0123456789abcdef";

    p = (const unsigned char *) s;
    attck_cls_put(b, "\"", 1);
    run = 0;

    for (i = 0; i < len; i++) {
        if (!attck_cls_json_esc[p[i]]) {
            continue;
        }

        attck_cls_put(b, s + run, i - run);
        run = i + 1;

        switch (p[i]) {
        case '"':
            attck_cls_put(b, "\\\"", 2);
            break;
        case '\\':
            attck_cls_put(b, "\\\\", 2);
            break;
        case '\n':
            attck_cls_put(b, "\\n", 2);
            break;
        case '\t':
            attck_cls_put(b, "\\t", 2);
            break;
        case '\r':
            attck_cls_put(b, "\\r", 2);
            break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[p[i] >> 4];
            esc[5] = hex[p[i] & 15];
            attck_cls_put(b, esc, 6);
        }
    }

    attck_cls_put(b, s + run, len - run);
    attck_cls_put(b, "\"", 1);
}


static void
attck_cls_put_uint(attck_cls_buf_t *b, uint64_t v)
{
    char    d[24];
    size_t  i;

    i = sizeof(d);

    do {
        d[--i] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);

    attck_cls_put(b, d + i, sizeof(d) - i);
}


/* four decimals, the calibration says no more; "1.0", "0.027" */

static void
attck_cls_put_score(attck_cls_buf_t *b, double score)
{
    char      d[8];
    size_t    n;
    uint32_t  v;

    v = (uint32_t) floor(score * 10000.0 + 0.5);

    if (v >= 10000) {
        attck_cls_put(b, "1.0", 3);
        return;
    }

    d[0] = '0';
    d[1] = '.';
    d[2] = (char) ('0' + v / 1000);
    d[3] = (char) ('0' + v / 100 % 10);
    d[4] = (char) ('0' + v / 10 % 10);
    d[5] = (char) ('0' + v % 10);

    for (n = 6; n > 3 && d[n - 1] == '0'; n--) {
        /* void */
    }

    attck_cls_put(b, d, n);
}


size_t
attck_cls_json(const attck_cls_model_t *m, const char *text,
    const attck_cls_hit_t *hits, size_t n, size_t nsent, char *out,
    size_t cap)
{
    size_t                  i, e;
    const char             *id, *term;
    attck_cls_buf_t         b;
    const attck_cls_hit_t  *h;

    b.out = out;
    b.cap = cap;
    b.len = 0;

    attck_cls_put(&b, "[", 1);

    for (i = 0; i < n; i++) {
        h = &hits[i];
        id = m->classes[h->cls].id;

        attck_cls_put(&b, i ? ",{\"id\":\"" : "{\"id\":\"", i ? 8 : 7);
        attck_cls_put(&b, id, strlen(id));
        attck_cls_put(&b, "\",\"score\":", 10);
        attck_cls_put_score(&b, h->score);

        if (h->explicit) {
            attck_cls_put(&b, ",\"method\":\"explicit\",\"evidence\":[\"",
                          34);
            attck_cls_put(&b, id, strlen(id));
            attck_cls_put(&b, "\"]}", 3);
            continue;
        }

        attck_cls_put(&b, ",\"method\":\"model\",\"evidence\":[", 30);

        for (e = 0; e < h->nevidence; e++) {
            if (e) {
                attck_cls_put(&b, ",", 1);
            }

            term = attck_cls_term_str(m, h->evidence[e]);
            attck_cls_put_str(&b, term, strlen(term));
        }

        attck_cls_put(&b, "]", 1);

        if (nsent > 1) {
            attck_cls_put(&b, ",\"sentences\":[", 14);

            for (e = 0; e < h->nsupport; e++) {
                attck_cls_put(&b, e ? ",{\"start\":" : "{\"start\":",
                              e ? 10 : 9);
                attck_cls_put_uint(&b, h->support[e].start);
                attck_cls_put(&b, ",\"end\":", 7);
                attck_cls_put_uint(&b, h->support[e].end);
                attck_cls_put(&b, ",\"text\":", 8);
                attck_cls_put_str(&b, text + h->support[e].start,
                                  h->support[e].end - h->support[e].start);
                attck_cls_put(&b, "}", 1);
            }

            attck_cls_put(&b, "]", 1);
        }

        attck_cls_put(&b, "}", 1);
    }

    attck_cls_put(&b, "]", 1);

    return b.len;
}
