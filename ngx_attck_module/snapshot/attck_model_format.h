
/*
 * attck: the mapper's model file, read in place by the worker and by the
 * module (from a shared memory zone) alike.  One flat, position
 * independent file: every reference is an index or an offset from its
 * start.  Native byte order: written and read on one kind of machine.
 *
 *   header | term offsets | idf | posting starts | postings | classes |
 *   term hash slots | strings
 *
 * A posting is a (class, weight) pair under a term, a term's postings by
 * increasing class; a slot holds a term's id + 1 (0: empty) in its low
 * ATTCK_MODEL_SLOT_BITS bits and the top bits of the term's hash above,
 * placed by FNV-1a of the term with linear probing, so a text's terms
 * are found without building anything at load.  A class's margin is
 * bias + sum of w * x over a sentence's TF-IDF vector x (in float); a
 * sentence's score is
 * 1 / (1 + exp(-(platt_a * margin + platt_b))), a document's the same of
 * its best sentence's margin with doc_a and doc_b.
 */

#ifndef _ATTCK_MODEL_FORMAT_H_INCLUDED_
#define _ATTCK_MODEL_FORMAT_H_INCLUDED_


#include <stdint.h>


#define ATTCK_MODEL_MAGIC     "ATTCKMAP"
#define ATTCK_MODEL_VERSION   2
#define ATTCK_MODEL_ID_SIZE   12          /* "T1059.001", NUL-padded */
#define ATTCK_MODEL_SLOT_BITS 22
#define ATTCK_MODEL_SLOT_ID   ((1u << ATTCK_MODEL_SLOT_BITS) - 1)


typedef struct {
    char         release[32];     /* ATT&CK release(s) trained on */
    char         created[32];     /* date of the training data */
    char         trainset[72];    /* SHA-256 of the training examples */
    float        platt_a;         /* sentence calibration */
    float        platt_b;
    float        doc_a;           /* document calibration */
    float        doc_b;
} attck_model_meta_t;


typedef struct {
    char                 magic[8];
    uint32_t             version;
    uint32_t             crc;         /* CRC-32 of the file, this field 0 */
    uint32_t             size;        /* of the file */
    uint32_t             nterms;
    uint32_t             nclasses;
    uint32_t             npostings;
    uint32_t             nslots;      /* a power of two >= 2 * nterms */
    uint32_t             strings;     /* bytes */
    attck_model_meta_t   meta;
} attck_model_header_t;


typedef struct {
    uint32_t     cls;
    float        w;
} attck_model_posting_t;


typedef struct {
    char         id[ATTCK_MODEL_ID_SIZE];
    float        bias;
} attck_model_class_t;


#endif /* _ATTCK_MODEL_FORMAT_H_INCLUDED_ */
