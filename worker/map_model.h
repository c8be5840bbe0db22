
/*
 * attck-worker: the mapper's model file.  One flat file, read whole and
 * checked (magic, format version, CRC-32, every offset) before use:
 *
 *   header | term offsets | idf | posting starts | postings | classes |
 *   strings
 *
 * A posting is a (class, weight) pair under a term: a linear model keeps
 * only its weights that matter, so scoring a text touches only the
 * postings of its terms.  A class's score is a + b * (bias + sum of
 * w * x), mapped to [0,1] by the logistic function, one calibration for
 * every class so that a threshold means the same for all of them.
 */

#ifndef _ATTCK_MAP_MODEL_H_INCLUDED_
#define _ATTCK_MAP_MODEL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "map_vocab.h"


#define ATTCK_MAP_MODEL_VERSION  1
#define ATTCK_MAP_EVIDENCE       3


typedef struct {
    uint32_t     cls;
    float        w;
} attck_map_posting_t;


typedef struct {
    char         id[ATTCK_MAP_ID_SIZE + 6];   /* NUL-padded */
    float        bias;
} attck_map_class_t;


typedef struct {
    char         release[32];     /* ATT&CK release(s) trained on */
    char         created[32];     /* date of the training data */
    char         trainset[72];    /* SHA-256 of the training examples */
    float        platt_a;
    float        platt_b;
} attck_map_meta_t;


typedef struct {
    attck_map_meta_t      meta;
    attck_map_vocab_t     vocab;
    uint32_t             *starts;      /* nterms + 1 */
    attck_map_posting_t  *postings;
    attck_map_class_t    *classes;
    uint32_t              nclasses;
    uint32_t              crc;         /* of the file: names the model */
    void                 *file;        /* what the arrays point into, or
                                          NULL: they are allocated */
} attck_map_model_t;


typedef struct {
    uint32_t     cls;
    float        score;              /* calibrated, [0,1] */
    double       margin;
    uint32_t     evidence[ATTCK_MAP_EVIDENCE];   /* term ids */
    uint32_t     nevidence;
} attck_map_hit_t;


/*
 * Lays out and writes a model atomically.  postings are grouped by term
 * (starts[t] .. starts[t + 1]); the vocabulary must be frozen.
 */
int attck_map_model_write(const char *path, const attck_map_meta_t *meta,
    const attck_map_vocab_t *vocab, const uint32_t *starts,
    const attck_map_posting_t *postings, const attck_map_class_t *classes,
    uint32_t nclasses, char *err, size_t errlen);

/*
 * Reads and checks a model: 0, or with err set ATTCK_EXIT_NOINPUT (no
 * such file) or ATTCK_EXIT_DATAERR (not a model, damaged, other format)
 */
int attck_map_model_load(attck_map_model_t *m, const char *path, char *err,
    size_t errlen);
void attck_map_model_free(attck_map_model_t *m);

/*
 * Scores a text: the best k classes (fewer if fewer score at least
 * threshold), best first, with the terms that weighed most for each.
 * Returns how many were stored in hits.
 */
size_t attck_map_model_classify(const attck_map_model_t *m,
    const char *text, size_t len, size_t k, double threshold,
    attck_map_hit_t *hits);

/* orders classes by technique id, as a model holds them */
int attck_map_class_cmp(const void *a, const void *b);

/* the class of a technique id, or -1 */
int64_t attck_map_model_class(const attck_map_model_t *m, const char *id);

/* the calibrated score of a margin */
double attck_map_model_calibrate(const attck_map_meta_t *meta,
    double margin);


#endif /* _ATTCK_MAP_MODEL_H_INCLUDED_ */
