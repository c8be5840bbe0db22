
/*
 * attck-worker: the mapper's vocabulary and TF-IDF vectors.  A text's
 * terms are its tokens (map_text.h) and the bigrams of its consecutive
 * words ("encoded powershell"), so that a model sees short phrases as
 * well as words.  Feature ids follow the sorted order of the terms: the
 * same training texts give the same ids whatever order they came in.
 */

#ifndef _ATTCK_MAP_VOCAB_H_INCLUDED_
#define _ATTCK_MAP_VOCAB_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "map_text.h"
#include "util.h"


typedef struct {
    char        *term;       /* NULL: an empty slot */
    uint32_t     df;         /* texts holding it */
    uint32_t     last;       /* the last text counted, 1-based */
    uint32_t     id;
} attck_map_term_t;


typedef struct {
    attck_map_term_t  *slots;
    size_t             cap;
    size_t             n;
    uint32_t           ntexts;
    float             *idf;  /* by id, once frozen */
    char             **terms;  /* by id, once frozen */
} attck_map_vocab_t;


typedef struct {
    uint32_t     id;
    float        w;
} attck_map_feat_t;


void attck_map_vocab_init(attck_map_vocab_t *v);
void attck_map_vocab_free(attck_map_vocab_t *v);

/* counts each term of one training text once */
void attck_map_vocab_add(attck_map_vocab_t *v, const char *text,
    size_t len);

/*
 * Keeps the terms found in at least min_df texts, gives them ids in
 * sorted order and their idf, ln((1 + N) / (1 + df)) + 1; returns how
 * many were kept.  No text may be added afterwards.
 */
size_t attck_map_vocab_freeze(attck_map_vocab_t *v, uint32_t min_df);

/* a frozen vocabulary from sorted terms and their idf, both copied */
void attck_map_vocab_load(attck_map_vocab_t *v, const char *const *terms,
    const float *idf, size_t n);

/* the id of a term, or -1 */
int64_t attck_map_vocab_find(const attck_map_vocab_t *v, const char *term,
    size_t len);

/*
 * The text's TF-IDF vector into out (attck_map_feat_t, emptied first):
 * known terms only, by increasing id, weights (1 + ln tf) * idf scaled to
 * unit length.
 */
void attck_map_vocab_vector(const attck_map_vocab_t *v, const char *text,
    size_t len, attck_vec_t *out);


#endif /* _ATTCK_MAP_VOCAB_H_INCLUDED_ */
