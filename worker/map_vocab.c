
/*
 * attck-worker: vocabulary and TF-IDF vectors for the mapper.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_vocab.h"


typedef struct {
    const attck_map_vocab_t  *vocab;
    attck_vec_t               ids;     /* uint32_t */
} attck_map_vector_ctx_t;


static uint64_t attck_map_hash(const char *s, size_t len);
static attck_map_term_t *attck_map_vocab_slot(const attck_map_vocab_t *v,
    const char *term, size_t len);
static void attck_map_vocab_grow(attck_map_vocab_t *v);
static void attck_map_vocab_count(const char *term, size_t len, void *data);
static int attck_map_term_cmp(const void *a, const void *b);
static int attck_map_id_cmp(const void *a, const void *b);
static void attck_map_vector_term(const char *term, size_t len,
    void *data);


/* FNV-1a: terms are short, and the table is rebuilt rarely */

static uint64_t
attck_map_hash(const char *s, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 0x100000001b3ULL;
    }

    return h;
}


void
attck_map_vocab_init(attck_map_vocab_t *v)
{
    memset(v, 0, sizeof(attck_map_vocab_t));
    v->cap = 1024;
    v->slots = attck_xcalloc(v->cap, sizeof(attck_map_term_t));
}


void
attck_map_vocab_free(attck_map_vocab_t *v)
{
    size_t  i;

    for (i = 0; i < v->cap; i++) {
        free(v->slots[i].term);
    }

    free(v->slots);
    free(v->idf);
    free(v->terms);
    memset(v, 0, sizeof(attck_map_vocab_t));
}


/* the slot holding the term, or the empty slot where it would go */

static attck_map_term_t *
attck_map_vocab_slot(const attck_map_vocab_t *v, const char *term,
    size_t len)
{
    size_t             i, mask;
    attck_map_term_t  *t;

    mask = v->cap - 1;

    i = attck_map_hash(term, len) & mask;

    for ( ;; ) {
        t = &v->slots[i];

        if (t->term == NULL
            || (strncmp(t->term, term, len) == 0 && t->term[len] == '\0'))
        {
            return t;
        }

        i = (i + 1) & mask;
    }
}


static void
attck_map_vocab_grow(attck_map_vocab_t *v)
{
    size_t             i, cap;
    attck_map_term_t  *old, *t;

    old = v->slots;
    cap = v->cap;

    v->cap *= 2;
    v->slots = attck_xcalloc(v->cap, sizeof(attck_map_term_t));

    for (i = 0; i < cap; i++) {
        if (old[i].term) {
            t = attck_map_vocab_slot(v, old[i].term, strlen(old[i].term));
            *t = old[i];
        }
    }

    free(old);
}


void
attck_map_vocab_add(attck_map_vocab_t *v, const char *text, size_t len)
{
    v->ntexts++;
    attck_map_terms(text, len, attck_map_vocab_count, v);
}


static void
attck_map_vocab_count(const char *term, size_t len, void *data)
{
    attck_map_vocab_t *v = data;

    attck_map_term_t  *t;

    if (2 * (v->n + 1) > v->cap) {
        attck_map_vocab_grow(v);
    }

    t = attck_map_vocab_slot(v, term, len);

    if (t->term == NULL) {
        t->term = attck_xmalloc(len + 1);
        memcpy(t->term, term, len);
        t->term[len] = '\0';
        v->n++;
    }

    if (t->last != v->ntexts) {
        t->last = v->ntexts;
        t->df++;
    }
}


size_t
attck_map_vocab_freeze(attck_map_vocab_t *v, uint32_t min_df)
{
    size_t             i, n, cap;
    attck_map_term_t  *old, *kept, *t;

    old = v->slots;
    cap = v->cap;

    kept = attck_xcalloc(v->n ? v->n : 1, sizeof(attck_map_term_t));
    n = 0;

    for (i = 0; i < cap; i++) {
        if (old[i].term == NULL) {
            continue;
        }

        if (old[i].df >= min_df) {
            kept[n++] = old[i];

        } else {
            free(old[i].term);
        }
    }

    qsort(kept, n, sizeof(attck_map_term_t), attck_map_term_cmp);

    for (v->cap = 1024; v->cap < 2 * n; v->cap *= 2) { /* void */ }

    v->slots = attck_xcalloc(v->cap, sizeof(attck_map_term_t));
    v->n = n;
    v->idf = attck_xcalloc(n ? n : 1, sizeof(float));
    v->terms = attck_xcalloc(n ? n : 1, sizeof(char *));

    for (i = 0; i < n; i++) {
        kept[i].id = (uint32_t) i;
        v->idf[i] = (float) (log((1.0 + v->ntexts) / (1.0 + kept[i].df))
                             + 1.0);

        t = attck_map_vocab_slot(v, kept[i].term, strlen(kept[i].term));
        *t = kept[i];
        v->terms[i] = t->term;
    }

    free(kept);
    free(old);

    return n;
}


void
attck_map_vocab_load(attck_map_vocab_t *v, const char *const *terms,
    const float *idf, size_t n)
{
    size_t             i;
    attck_map_term_t  *t;

    memset(v, 0, sizeof(attck_map_vocab_t));

    for (v->cap = 1024; v->cap < 2 * n; v->cap *= 2) { /* void */ }

    v->slots = attck_xcalloc(v->cap, sizeof(attck_map_term_t));
    v->idf = attck_xcalloc(n ? n : 1, sizeof(float));
    v->terms = attck_xcalloc(n ? n : 1, sizeof(char *));
    v->n = n;

    for (i = 0; i < n; i++) {
        t = attck_map_vocab_slot(v, terms[i], strlen(terms[i]));
        t->term = attck_xstrdup(terms[i]);
        t->id = (uint32_t) i;
        v->idf[i] = idf[i];
        v->terms[i] = t->term;
    }
}


static int
attck_map_term_cmp(const void *a, const void *b)
{
    const attck_map_term_t  *ta = a, *tb = b;

    return strcmp(ta->term, tb->term);
}


int64_t
attck_map_vocab_find(const attck_map_vocab_t *v, const char *term,
    size_t len)
{
    attck_map_term_t  *t;

    if (v->idf == NULL) {
        return -1;
    }

    t = attck_map_vocab_slot(v, term, len);

    return t->term ? (int64_t) t->id : -1;
}


void
attck_map_vocab_vector(const attck_map_vocab_t *v, const char *text,
    size_t len, attck_vec_t *out)
{
    size_t                   i, j;
    double                   w, norm;
    uint32_t                *ids;
    attck_map_feat_t        *f;
    attck_map_vector_ctx_t   vc;

    out->n = 0;

    vc.vocab = v;
    attck_vec_init(&vc.ids, sizeof(uint32_t));
    attck_map_terms(text, len, attck_map_vector_term, &vc);

    ids = vc.ids.data;

    /* a text without terms has no ids: NULL, which qsort(3) may not get */

    if (vc.ids.n > 1) {
        qsort(ids, vc.ids.n, sizeof(uint32_t), attck_map_id_cmp);
    }

    norm = 0.0;

    for (i = 0; i < vc.ids.n; i = j) {
        for (j = i + 1; j < vc.ids.n && ids[j] == ids[i]; j++) {
            /* void */
        }

        w = (1.0 + log((double) (j - i))) * v->idf[ids[i]];
        norm += w * w;

        f = attck_vec_push(out);
        f->id = ids[i];
        f->w = (float) w;
    }

    norm = sqrt(norm);

    for (i = 0; i < out->n; i++) {
        f = attck_vec_at(out, attck_map_feat_t, i);
        f->w = (float) (f->w / norm);
    }

    attck_vec_free(&vc.ids);
}


static void
attck_map_vector_term(const char *term, size_t len, void *data)
{
    attck_map_vector_ctx_t *vc = data;

    int64_t  id;

    id = attck_map_vocab_find(vc->vocab, term, len);

    if (id >= 0) {
        *(uint32_t *) attck_vec_push(&vc->ids) = (uint32_t) id;
    }
}


static int
attck_map_id_cmp(const void *a, const void *b)
{
    uint32_t  ia = *(const uint32_t *) a, ib = *(const uint32_t *) b;

    return (ia > ib) - (ia < ib);
}
