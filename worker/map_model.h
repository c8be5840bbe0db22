
/*
 * attck-worker: the mapper's model while it is trained, and its file
 * (ngx_attck_module/snapshot/attck_model_format.h), read whole, checked
 * and used in place by the classifier that the module shares
 * (attck_classify.h).
 */

#ifndef _ATTCK_MAP_MODEL_H_INCLUDED_
#define _ATTCK_MAP_MODEL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "map_vocab.h"
#include "../ngx_attck_module/snapshot/attck_classify.h"


typedef struct {
    uint32_t     cls;
    float        w;
} attck_map_posting_t;


typedef struct {
    char         id[ATTCK_MAP_ID_SIZE + 6];   /* NUL-padded */
    float        bias;
} attck_map_class_t;


typedef attck_model_meta_t  attck_map_meta_t;


typedef struct {
    attck_map_meta_t      meta;
    attck_map_vocab_t     vocab;       /* trained: the arrays below */
    uint32_t             *starts;      /* nterms + 1 */
    attck_map_posting_t  *postings;
    attck_map_class_t    *classes;
    uint32_t              nclasses;
    uint32_t              crc;         /* of the file: names the model */
    void                 *file;        /* the file, or NULL */
    size_t                size;
    attck_cls_model_t     cls;         /* into file */
} attck_map_model_t;


/*
 * Lays out a model in the file format, in memory (malloc'd, *size
 * bytes).  postings are grouped by term (starts[t] .. starts[t + 1]);
 * the vocabulary must be frozen.
 */
void *attck_map_model_pack(const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, size_t *size);

/* the same, written atomically to path */
int attck_map_model_write(const char *path, const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, char *err, size_t errlen);

/* a trained model packed in place, ready for the classifier (m->cls) */
void attck_map_model_seal(attck_map_model_t *m);

/*
 * Reads and checks a model: 0, or with err set ATTCK_EXIT_NOINPUT (no
 * such file) or ATTCK_EXIT_DATAERR (not a model, damaged, other format)
 */
int attck_map_model_load(attck_map_model_t *m, const char *path, char *err,
    size_t errlen);
void attck_map_model_free(attck_map_model_t *m);

/* orders classes by technique id, as a model holds them */
int attck_map_class_cmp(const void *a, const void *b);

/* the calibrated score of a margin */
double attck_map_model_calibrate(const attck_map_meta_t *meta,
    double margin);


#endif /* _ATTCK_MAP_MODEL_H_INCLUDED_ */
