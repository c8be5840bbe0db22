
/*
 * attck-worker: writing, loading and scoring the mapper's model file.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "map_model.h"


#define ATTCK_MAP_MAGIC  "ATTCKMAP"


/* native byte order: written and read on the same kind of machine */
typedef struct {
    char              magic[8];
    uint32_t          version;
    uint32_t          crc;          /* of the whole file, this field 0 */
    uint32_t          nterms;
    uint32_t          nclasses;
    uint32_t          npostings;
    uint32_t          strings;      /* bytes */
    attck_map_meta_t  meta;
} attck_map_header_t;


typedef struct {
    size_t       term_off;
    size_t       idf;
    size_t       starts;
    size_t       postings;
    size_t       classes;
    size_t       strings;
    size_t       size;
} attck_map_layout_t;


static void attck_map_model_layout(attck_map_layout_t *l, uint64_t nterms,
    uint64_t nclasses, uint64_t npostings, uint64_t strings);
static int attck_map_model_check(const attck_map_header_t *h,
    const char *base, const attck_map_layout_t *l, char *err,
    size_t errlen);
static int attck_map_hit_cmp(const void *a, const void *b);


static void
attck_map_model_layout(attck_map_layout_t *l, uint64_t nterms,
    uint64_t nclasses, uint64_t npostings, uint64_t strings)
{
    l->term_off = sizeof(attck_map_header_t);
    l->idf = l->term_off + nterms * sizeof(uint32_t);
    l->starts = l->idf + nterms * sizeof(float);
    l->postings = l->starts + (nterms + 1) * sizeof(uint32_t);
    l->classes = l->postings + npostings * sizeof(attck_map_posting_t);
    l->strings = l->classes + nclasses * sizeof(attck_map_class_t);
    l->size = l->strings + strings;
}


int
attck_map_model_write(const char *path, const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, char *err, size_t errlen)
{
    int                  rc;
    char                *buf, *s;
    size_t               i, strings, len;
    uint32_t            *off;
    attck_map_layout_t   l;
    attck_map_header_t  *h;

    strings = 0;

    for (i = 0; i < vocab->n; i++) {
        strings += strlen(vocab->terms[i]) + 1;
    }

    attck_map_model_layout(&l, vocab->n, nclasses, starts[vocab->n],
                           strings);

    buf = attck_xcalloc(1, l.size);
    h = (attck_map_header_t *) buf;

    memcpy(h->magic, ATTCK_MAP_MAGIC, sizeof(h->magic));
    h->version = ATTCK_MAP_MODEL_VERSION;
    h->nterms = (uint32_t) vocab->n;
    h->nclasses = nclasses;
    h->npostings = starts[vocab->n];
    h->strings = (uint32_t) strings;
    h->meta = *meta;

    off = (uint32_t *) (buf + l.term_off);
    s = buf + l.strings;

    for (i = 0; i < vocab->n; i++) {
        len = strlen(vocab->terms[i]) + 1;
        off[i] = (uint32_t) (s - (buf + l.strings));
        memcpy(s, vocab->terms[i], len);
        s += len;
    }

    memcpy(buf + l.idf, vocab->idf, vocab->n * sizeof(float));
    memcpy(buf + l.starts, starts, (vocab->n + 1) * sizeof(uint32_t));
    memcpy(buf + l.postings, postings,
           h->npostings * sizeof(attck_map_posting_t));
    memcpy(buf + l.classes, classes, nclasses * sizeof(attck_map_class_t));

    h->crc = (uint32_t) crc32(0L, (const Bytef *) buf, (uInt) l.size);

    rc = attck_write_atomic(path, buf, l.size, err, errlen);
    free(buf);

    return rc;
}


int
attck_map_model_load(attck_map_model_t *m, const char *path, char *err,
    size_t errlen)
{
    char                 *buf;
    size_t                i, size;
    const char          **terms;
    const uint32_t       *off;
    attck_map_layout_t    l;
    attck_map_header_t   *h;

    memset(m, 0, sizeof(attck_map_model_t));

    buf = attck_read_file(path, &size, err, errlen);
    if (buf == NULL) {
        return ATTCK_EXIT_NOINPUT;
    }

    h = (attck_map_header_t *) buf;

    if (size < sizeof(attck_map_header_t)
        || memcmp(h->magic, ATTCK_MAP_MAGIC, sizeof(h->magic)) != 0)
    {
        snprintf(err, errlen, "%s: not an attck model", path);
        goto failed;
    }

    if (h->version != ATTCK_MAP_MODEL_VERSION) {
        snprintf(err, errlen, "%s: model format %u, this worker reads %u "
                 "(train it again)", path, h->version,
                 ATTCK_MAP_MODEL_VERSION);
        goto failed;
    }

    attck_map_model_layout(&l, h->nterms, h->nclasses, h->npostings,
                           h->strings);

    if (l.size != size) {
        snprintf(err, errlen, "%s: truncated or padded model (%zu bytes, "
                 "expected %zu)", path, size, l.size);
        goto failed;
    }

    if (attck_map_model_check(h, buf, &l, err, errlen) != 0) {
        goto failed;
    }

    off = (const uint32_t *) (buf + l.term_off);
    terms = attck_xcalloc(h->nterms ? h->nterms : 1, sizeof(char *));

    for (i = 0; i < h->nterms; i++) {
        terms[i] = buf + l.strings + off[i];
    }

    attck_map_vocab_load(&m->vocab, terms, (const float *) (buf + l.idf),
                         h->nterms);
    free(terms);

    m->meta = h->meta;
    m->crc = h->crc;
    m->starts = (uint32_t *) (buf + l.starts);
    m->postings = (attck_map_posting_t *) (buf + l.postings);
    m->classes = (attck_map_class_t *) (buf + l.classes);
    m->nclasses = h->nclasses;
    m->file = buf;

    return 0;

failed:

    free(buf);
    return ATTCK_EXIT_DATAERR;
}


/* every offset and index is checked here, so that scoring need not */

static int
attck_map_model_check(const attck_map_header_t *h, const char *base,
    const attck_map_layout_t *l, char *err, size_t errlen)
{
    size_t                      i;
    uint32_t                    crc, saved;
    const float                *idf;
    const char                 *str, *prev;
    const uint32_t             *off, *starts;
    const attck_map_class_t    *cls;
    const attck_map_posting_t  *p;

    saved = h->crc;
    ((attck_map_header_t *) base)->crc = 0;
    crc = (uint32_t) crc32(0L, (const Bytef *) base, (uInt) l->size);
    ((attck_map_header_t *) base)->crc = saved;

    if (crc != saved) {
        snprintf(err, errlen, "model checksum mismatch: the file is "
                 "damaged");
        return -1;
    }

    if (memchr(h->meta.release, '\0', sizeof(h->meta.release)) == NULL
        || memchr(h->meta.created, '\0', sizeof(h->meta.created)) == NULL
        || memchr(h->meta.trainset, '\0', sizeof(h->meta.trainset)) == NULL
        || !isfinite(h->meta.platt_a) || !(h->meta.platt_a > 0)
        || !isfinite(h->meta.platt_b))
    {
        snprintf(err, errlen, "model description is malformed");
        return -1;
    }

    str = base + l->strings;

    if (h->strings && str[h->strings - 1] != '\0') {
        snprintf(err, errlen, "model strings are not terminated");
        return -1;
    }

    off = (const uint32_t *) (base + l->term_off);
    starts = (const uint32_t *) (base + l->starts);
    prev = NULL;

    idf = (const float *) (base + l->idf);

    for (i = 0; i < h->nterms; i++) {
        if (off[i] >= h->strings
            || (prev && strcmp(prev, str + off[i]) >= 0)
            || starts[i] > starts[i + 1]
            || !isfinite(idf[i]) || !(idf[i] > 0))
        {
            snprintf(err, errlen, "model term %zu is out of order or "
                     "bounds", i);
            return -1;
        }

        prev = str + off[i];
    }

    if (starts[0] != 0 || starts[h->nterms] != h->npostings) {
        snprintf(err, errlen, "model postings do not add up");
        return -1;
    }

    p = (const attck_map_posting_t *) (base + l->postings);

    for (i = 0; i < h->npostings; i++) {
        if (p[i].cls >= h->nclasses || !isfinite(p[i].w)) {
            snprintf(err, errlen, "model posting %zu is out of bounds", i);
            return -1;
        }
    }

    cls = (const attck_map_class_t *) (base + l->classes);

    /* technique ids, sorted and unique: they go into SQL rows */

    for (i = 0; i < h->nclasses; i++) {
        if (memchr(cls[i].id, '\0', sizeof(cls[i].id)) == NULL
            || !attck_map_id_valid(cls[i].id)
            || (i > 0 && attck_map_class_cmp(&cls[i - 1], &cls[i]) >= 0)
            || !isfinite(cls[i].bias))
        {
            snprintf(err, errlen, "model class %zu is malformed", i);
            return -1;
        }
    }

    return 0;
}


void
attck_map_model_free(attck_map_model_t *m)
{
    attck_map_vocab_free(&m->vocab);

    if (m->file == NULL) {
        free(m->starts);
        free(m->postings);
        free(m->classes);
    }

    free(m->file);
    memset(m, 0, sizeof(attck_map_model_t));
}


int
attck_map_class_cmp(const void *a, const void *b)
{
    return strcmp(((const attck_map_class_t *) a)->id,
                  ((const attck_map_class_t *) b)->id);
}


int64_t
attck_map_model_class(const attck_map_model_t *m, const char *id)
{
    attck_map_class_t        key;
    const attck_map_class_t  *c;

    if (strlen(id) >= sizeof(key.id)) {
        return -1;
    }

    strcpy(key.id, id);
    c = bsearch(&key, m->classes, m->nclasses, sizeof(attck_map_class_t),
                attck_map_class_cmp);

    return c ? c - m->classes : -1;
}


double
attck_map_model_calibrate(const attck_map_meta_t *meta, double margin)
{
    return 1.0 / (1.0 + exp(-(meta->platt_a * margin + meta->platt_b)));
}


size_t
attck_map_model_classify(const attck_map_model_t *m, const char *text,
    size_t len, size_t k, double threshold, attck_map_hit_t *hits)
{
    size_t                      i, j, n, e, slot;
    double                     *margin, c, ev[ATTCK_MAP_EVIDENCE];
    attck_vec_t                 vec;
    attck_map_hit_t            *all, *hit;
    attck_map_feat_t           *f;
    const attck_map_posting_t  *p;

    if (k == 0 || m->nclasses == 0) {
        return 0;
    }

    attck_vec_init(&vec, sizeof(attck_map_feat_t));
    attck_map_vocab_vector(&m->vocab, text, len, &vec);

    if (vec.n == 0) {
        /* nothing known: no evidence for any technique */
        attck_vec_free(&vec);
        return 0;
    }

    margin = attck_xcalloc(m->nclasses, sizeof(double));

    for (i = 0; i < m->nclasses; i++) {
        margin[i] = m->classes[i].bias;
    }

    for (i = 0; i < vec.n; i++) {
        f = attck_vec_at(&vec, attck_map_feat_t, i);

        for (j = m->starts[f->id]; j < m->starts[f->id + 1]; j++) {
            p = &m->postings[j];
            margin[p->cls] += (double) p->w * f->w;
        }
    }

    all = attck_xcalloc(m->nclasses, sizeof(attck_map_hit_t));

    for (i = 0; i < m->nclasses; i++) {
        all[i].cls = (uint32_t) i;
        all[i].margin = margin[i];
    }

    qsort(all, m->nclasses, sizeof(attck_map_hit_t), attck_map_hit_cmp);

    n = 0;

    for (i = 0; i < m->nclasses && n < k; i++) {
        c = attck_map_model_calibrate(&m->meta, all[i].margin);
        if (c < threshold) {
            break;
        }

        hit = &hits[n++];
        *hit = all[i];
        hit->score = (float) c;

        /* evidence: the terms whose weight for this class added most */

        for (j = 0; j < vec.n; j++) {
            f = attck_vec_at(&vec, attck_map_feat_t, j);

            for (e = m->starts[f->id]; e < m->starts[f->id + 1]; e++) {
                p = &m->postings[e];
                c = (double) p->w * f->w;

                if (p->cls != hit->cls || c <= 0) {
                    continue;
                }

                if (hit->nevidence < ATTCK_MAP_EVIDENCE) {
                    slot = hit->nevidence++;

                } else if (c > ev[ATTCK_MAP_EVIDENCE - 1]) {
                    slot = ATTCK_MAP_EVIDENCE - 1;

                } else {
                    continue;
                }

                for ( /* void */ ; slot > 0 && ev[slot - 1] < c; slot--) {
                    ev[slot] = ev[slot - 1];
                    hit->evidence[slot] = hit->evidence[slot - 1];
                }

                ev[slot] = c;
                hit->evidence[slot] = f->id;
            }
        }
    }

    free(all);
    free(margin);
    attck_vec_free(&vec);

    return n;
}


static int
attck_map_hit_cmp(const void *a, const void *b)
{
    const attck_map_hit_t  *x = a, *y = b;

    if (x->margin != y->margin) {
        return x->margin < y->margin ? 1 : -1;
    }

    /* ties by class: the same text always gives the same list */

    return (x->cls > y->cls) - (x->cls < y->cls);
}
