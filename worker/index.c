
/*
 * attck-worker: the full-text search index of a view.
 */


#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "index.h"


/* field weights: an id or name hit says far more than a description hit */
#define ATTCK_INDEX_W_ID      6.0
#define ATTCK_INDEX_W_NAME    4.0
#define ATTCK_INDEX_W_ALIAS   3.0
#define ATTCK_INDEX_W_DESC    1.0

#define ATTCK_INDEX_K1        1.2
#define ATTCK_INDEX_B         0.75

#define ATTCK_FIELD_ID        0x01
#define ATTCK_FIELD_NAME      0x02
#define ATTCK_FIELD_ALIAS     0x04


typedef struct {
    uint32_t   doc;
    uint32_t   tf;            /* in the description */
    uint32_t   fields;
    uint32_t   desc_len;
} attck_index_hit_t;


typedef struct {
    char         *term;
    size_t        len;
    attck_vec_t   hits;       /* attck_index_hit_t */
} attck_index_term_t;


typedef struct {
    attck_index_t  *ix;
    uint32_t        doc;
    uint32_t        field;    /* 0 for the description */
    uint32_t        desc_len;
    attck_vec_t     touched;  /* uint32_t: terms with a hit for doc */
} attck_index_doc_t;


static void attck_index_term(const char *term, size_t len, void *data);
static int attck_index_term_cmp(const void *a, const void *b);


void
attck_index_init(attck_index_t *ix)
{
    memset(ix, 0, sizeof(attck_index_t));
    ix->map = json_object();
    attck_vec_init(&ix->terms, sizeof(attck_index_term_t));
}


void
attck_index_free(attck_index_t *ix)
{
    size_t               i;
    attck_index_term_t  *t;

    for (i = 0; i < ix->terms.n; i++) {
        t = attck_vec_at(&ix->terms, attck_index_term_t, i);
        free(t->term);
        attck_vec_free(&t->hits);
    }

    attck_vec_free(&ix->terms);
    json_decref(ix->map);
}


char *
attck_index_clean(const char *text)
{
    char        *out, *q;
    const char  *p, *end;

    out = attck_xmalloc(strlen(text) + 1);
    q = out;

    for (p = text; *p; /* void */) {

        if (strncmp(p, "(Citation:", 10) == 0) {
            end = strchr(p, ')');
            if (end) {
                p = end + 1;
                continue;
            }
        }

        /* "[PowerShell](https://...)" keeps "PowerShell" */

        if (p[0] == ']' && p[1] == '(') {
            end = strchr(p, ')');
            if (end) {
                *q++ = ' ';
                p = end + 1;
                continue;
            }
        }

        *q++ = (*p == '[') ? ' ' : *p;
        p++;
    }

    *q = '\0';

    return out;
}


static void
attck_index_term(const char *term, size_t len, void *data)
{
    attck_index_doc_t *d = data;

    char                 key[ATTCK_TEXT_MAX_TERM + 1];
    json_t              *v;
    uint32_t             ti, *p;
    attck_index_t       *ix;
    attck_index_hit_t   *hit;
    attck_index_term_t  *t;

    ix = d->ix;
    memcpy(key, term, len);
    key[len] = '\0';

    v = json_object_get(ix->map, key);

    if (v == NULL) {
        ti = (uint32_t) ix->terms.n;
        t = attck_vec_push(&ix->terms);
        t->term = attck_xstrdup(key);
        t->len = len;
        attck_vec_init(&t->hits, sizeof(attck_index_hit_t));
        json_object_set_new(ix->map, key, json_integer(ti));

    } else {
        ti = (uint32_t) json_integer_value(v);
        t = attck_vec_at(&ix->terms, attck_index_term_t, ti);
    }

    hit = t->hits.n
          ? attck_vec_at(&t->hits, attck_index_hit_t, t->hits.n - 1) : NULL;

    if (hit == NULL || hit->doc != d->doc) {
        hit = attck_vec_push(&t->hits);
        hit->doc = d->doc;
        p = attck_vec_push(&d->touched);
        *p = ti;
    }

    if (d->field) {
        hit->fields |= d->field;

    } else {
        hit->tf++;
        d->desc_len++;
    }
}


void
attck_index_add(attck_index_t *ix, uint32_t doc, const char *id,
    const char *name, json_t *aliases, const char *description)
{
    char               *clean;
    size_t              i;
    json_t             *a;
    attck_index_doc_t   d;
    attck_index_term_t *t;

    memset(&d, 0, sizeof(attck_index_doc_t));
    d.ix = ix;
    d.doc = doc;
    attck_vec_init(&d.touched, sizeof(uint32_t));

    if (id) {
        d.field = ATTCK_FIELD_ID;
        attck_text_terms(id, strlen(id), attck_index_term, &d);
    }

    if (name) {
        d.field = ATTCK_FIELD_NAME;
        attck_text_terms(name, strlen(name), attck_index_term, &d);
    }

    d.field = ATTCK_FIELD_ALIAS;

    json_array_foreach(aliases, i, a) {
        if (json_is_string(a)) {
            attck_text_terms(json_string_value(a), json_string_length(a),
                             attck_index_term, &d);
        }
    }

    if (description) {
        d.field = 0;
        clean = attck_index_clean(description);
        attck_text_terms(clean, strlen(clean), attck_index_term, &d);
        free(clean);
    }

    /* the description length is known only now: note it on every hit */

    for (i = 0; i < d.touched.n; i++) {
        t = attck_vec_at(&ix->terms, attck_index_term_t,
                         *attck_vec_at(&d.touched, uint32_t, i));
        attck_vec_at(&t->hits, attck_index_hit_t, t->hits.n - 1)->desc_len =
            d.desc_len;
    }

    attck_vec_free(&d.touched);

    ix->ndocs++;
    ix->desc_total += d.desc_len;
}


static int
attck_index_term_cmp(const void *a, const void *b)
{
    int                        c;
    size_t                     n;
    const attck_index_term_t  *x = a, *y = b;

    n = x->len < y->len ? x->len : y->len;
    c = memcmp(x->term, y->term, n);

    if (c) {
        return c;
    }

    return (x->len > y->len) - (x->len < y->len);
}


void
attck_index_finish(attck_index_t *ix, attck_snap_writer_t *w,
    attck_snap_term_t **terms, uint32_t *nterms,
    attck_snap_posting_t **postings, uint32_t *npostings)
{
    size_t                i, k, np;
    double                idf, avgdl, df, tf, weight;
    attck_index_hit_t    *h;
    attck_index_term_t   *t;
    attck_snap_term_t    *st;
    attck_snap_posting_t *sp;

    /* a view without terms has none: NULL, which qsort(3) may not get */

    if (ix->terms.n > 1) {
        qsort(ix->terms.data, ix->terms.n, sizeof(attck_index_term_t),
              attck_index_term_cmp);
    }

    np = 0;

    for (i = 0; i < ix->terms.n; i++) {
        np += attck_vec_at(&ix->terms, attck_index_term_t, i)->hits.n;
    }

    st = attck_xcalloc(ix->terms.n, sizeof(attck_snap_term_t));
    sp = attck_xcalloc(np, sizeof(attck_snap_posting_t));
    avgdl = ix->ndocs ? ix->desc_total / ix->ndocs : 1.0;
    if (avgdl < 1.0) {
        avgdl = 1.0;
    }

    np = 0;

    for (i = 0; i < ix->terms.n; i++) {
        t = attck_vec_at(&ix->terms, attck_index_term_t, i);
        df = (double) t->hits.n;
        idf = log(1.0 + (ix->ndocs - df + 0.5) / (df + 0.5));

        st[i].term = attck_snap_writer_str(w, t->term, t->len);
        st[i].postings = (uint32_t) np;
        st[i].npostings = (uint32_t) t->hits.n;

        for (k = 0; k < t->hits.n; k++) {
            h = attck_vec_at(&t->hits, attck_index_hit_t, k);
            tf = h->tf;

            weight = ATTCK_INDEX_W_DESC * tf * (ATTCK_INDEX_K1 + 1)
                     / (tf + ATTCK_INDEX_K1 * (1 - ATTCK_INDEX_B
                                               + ATTCK_INDEX_B * h->desc_len
                                                 / avgdl));

            if (h->fields & ATTCK_FIELD_ID) {
                weight += ATTCK_INDEX_W_ID;
            }

            if (h->fields & ATTCK_FIELD_NAME) {
                weight += ATTCK_INDEX_W_NAME;
            }

            if (h->fields & ATTCK_FIELD_ALIAS) {
                weight += ATTCK_INDEX_W_ALIAS;
            }

            /* the reader refuses weights outside its bounds */

            weight *= idf;
            weight = weight < ATTCK_SNAP_WEIGHT_MIN ? ATTCK_SNAP_WEIGHT_MIN
                     : weight > ATTCK_SNAP_WEIGHT_MAX ? ATTCK_SNAP_WEIGHT_MAX
                     : weight;

            sp[np].doc = h->doc;
            sp[np].weight = (float) weight;
            np++;
        }
    }

    *terms = st;
    *nterms = (uint32_t) ix->terms.n;
    *postings = sp;
    *npostings = (uint32_t) np;
}
