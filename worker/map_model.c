
/*
 * attck-worker: packing, writing and loading the mapper's model file.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "map_model.h"


static int attck_map_posting_cmp(const void *a, const void *b);


/* a term's postings by class, one per class (weights added) */

static int
attck_map_posting_cmp(const void *a, const void *b)
{
    const attck_model_posting_t  *x = a, *y = b;

    return (x->cls > y->cls) - (x->cls < y->cls);
}


void *
attck_map_model_pack(const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, size_t *size)
{
    char                   *buf, *s;
    size_t                  i, j, k, n, strings, len, nslots, total;
    uint32_t               *off, *st, *slots, h, mask, tag;
    float                  *idf;
    attck_model_class_t    *cls;
    attck_model_header_t   *hdr;
    attck_model_posting_t  *p, *tp;

    strings = 0;

    for (i = 0; i < vocab->n; i++) {
        strings += strlen(vocab->terms[i]) + 1;
    }

    for (nslots = 1024; nslots < 2 * vocab->n; nslots *= 2) { /* void */ }

    n = starts[vocab->n];

    total = sizeof(attck_model_header_t)
            + vocab->n * (sizeof(uint32_t) + sizeof(float))
            + (vocab->n + 1) * sizeof(uint32_t)
            + n * sizeof(attck_model_posting_t)
            + nclasses * sizeof(attck_model_class_t)
            + nslots * sizeof(uint32_t) + strings;

    buf = attck_xcalloc(1, total);
    hdr = (attck_model_header_t *) buf;

    off = (uint32_t *) (buf + sizeof(attck_model_header_t));
    idf = (float *) (off + vocab->n);
    st = (uint32_t *) (idf + vocab->n);
    p = (attck_model_posting_t *) (st + vocab->n + 1);
    cls = (attck_model_class_t *) (p + n);
    slots = (uint32_t *) (cls + nclasses);
    s = (char *) (slots + nslots);

    memcpy(hdr->magic, ATTCK_MODEL_MAGIC, sizeof(hdr->magic));
    hdr->version = ATTCK_MODEL_VERSION;
    hdr->size = (uint32_t) total;
    hdr->nterms = (uint32_t) vocab->n;
    hdr->nclasses = nclasses;
    hdr->nslots = (uint32_t) nslots;
    hdr->strings = (uint32_t) strings;
    hdr->meta = *meta;

    mask = (uint32_t) nslots - 1;

    for (i = 0; i < vocab->n; i++) {
        len = strlen(vocab->terms[i]);
        off[i] = (uint32_t) (s - (char *) (slots + nslots));
        memcpy(s, vocab->terms[i], len + 1);
        s += len + 1;

        tag = attck_cls_hash(vocab->terms[i], len);

        for (h = tag & mask; slots[h]; h = (h + 1) & mask) { /* void */ }

        slots[h] = ((uint32_t) i + 1)
                   | (tag >> ATTCK_MODEL_SLOT_BITS << ATTCK_MODEL_SLOT_BITS);
    }

    memcpy(idf, vocab->idf, vocab->n * sizeof(float));

    /* each term's postings by class: the classifier searches them */

    k = 0;

    for (i = 0; i < vocab->n; i++) {
        st[i] = (uint32_t) k;
        tp = p + k;

        for (j = starts[i]; j < starts[i + 1]; j++) {
            tp[j - starts[i]].cls = postings[j].cls;
            tp[j - starts[i]].w = postings[j].w;
        }

        len = starts[i + 1] - starts[i];

        if (len > 1) {
            qsort(tp, len, sizeof(attck_model_posting_t),
                  attck_map_posting_cmp);
        }

        for (j = 0; j < len; j++) {
            if (j > 0 && tp[j].cls == p[k - 1].cls) {
                p[k - 1].w += tp[j].w;
                continue;
            }

            p[k++] = tp[j];
        }
    }

    st[vocab->n] = (uint32_t) k;

    if (k < n) {
        /* merged postings: the rest of the file moves up */
        memmove(p + k, p + n, total - ((char *) (p + n) - buf));
        total -= (n - k) * sizeof(attck_model_posting_t);
        hdr->size = (uint32_t) total;
    }

    hdr->npostings = (uint32_t) k;
    cls = (attck_model_class_t *) (p + k);

    for (i = 0; i < nclasses; i++) {
        snprintf(cls[i].id, sizeof(cls[i].id), "%s", classes[i].id);
        cls[i].bias = classes[i].bias;
    }

    hdr->crc = (uint32_t) crc32(0L, (const Bytef *) buf, (uInt) total);
    *size = total;

    return buf;
}


int
attck_map_model_write(const char *path, const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, char *err, size_t errlen)
{
    int     rc;
    char   *buf;
    size_t  size;

    buf = attck_map_model_pack(meta, vocab, starts, postings, classes,
                               nclasses, &size);
    rc = attck_write_atomic(path, buf, size, err, errlen);
    free(buf);

    return rc;
}


void
attck_map_model_seal(attck_map_model_t *m)
{
    char  err[256];

    m->file = attck_map_model_pack(&m->meta, &m->vocab, m->starts,
                                   m->postings, m->classes, m->nclasses,
                                   &m->size);

    if (attck_cls_open(&m->cls, m->file, m->size, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "model: %s", err);
    }

    m->crc = m->cls.hdr->crc;
}


int
attck_map_model_load(attck_map_model_t *m, const char *path, char *err,
    size_t errlen)
{
    char    *buf, msg[256];
    size_t   size;

    memset(m, 0, sizeof(attck_map_model_t));

    buf = attck_read_file(path, &size, err, errlen);
    if (buf == NULL) {
        return ATTCK_EXIT_NOINPUT;
    }

    if (attck_cls_open(&m->cls, buf, size, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s: %s", path, msg);
        free(buf);
        return ATTCK_EXIT_DATAERR;
    }

    m->file = buf;
    m->size = size;
    m->meta = m->cls.hdr->meta;
    m->crc = m->cls.hdr->crc;
    m->nclasses = m->cls.nclasses;

    return 0;
}


void
attck_map_model_free(attck_map_model_t *m)
{
    attck_map_vocab_free(&m->vocab);
    free(m->starts);
    free(m->postings);
    free(m->classes);
    free(m->file);
    memset(m, 0, sizeof(attck_map_model_t));
}


int
attck_map_class_cmp(const void *a, const void *b)
{
    return strcmp(((const attck_map_class_t *) a)->id,
                  ((const attck_map_class_t *) b)->id);
}


double
attck_map_model_calibrate(const attck_map_meta_t *meta, double margin)
{
    return attck_cls_calibrate(meta->platt_a, meta->platt_b, margin);
}
