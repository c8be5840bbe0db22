
/*
 * attck-worker train: the mapper's model from ATT&CK and labeled text.
 * The pieces are shared with "evaluate", which trains on some examples
 * and scores the rest.
 */

#ifndef _ATTCK_TRAIN_H_INCLUDED_
#define _ATTCK_TRAIN_H_INCLUDED_


#include <openssl/evp.h>

#include "map_model.h"
#include "util.h"


/* procedure examples are split into this many folds by actor */
#define ATTCK_TRAIN_FOLDS  5
#define ATTCK_TRAIN_NO_FOLD  255


typedef struct {
    char        *text;
    char        *technique;
    uint32_t     cls;
    uint32_t     group;        /* copies of one multi-label text share it */
    uint8_t      fold;         /* of its actor, or ATTCK_TRAIN_NO_FOLD */
    unsigned     definition:1;
    unsigned     sentence:1;   /* one sentence of a technique's text */
    unsigned     campaign:1;   /* a campaign's procedure example */
    unsigned     intrusion:1;  /* a group's procedure example */
    unsigned     negative:1;   /* a name: an example of no technique */
    uint32_t     actor;        /* hash of its actor's id, or 0 */
} attck_train_example_t;


typedef struct {
    attck_vec_t         examples;   /* attck_train_example_t */
    attck_map_class_t  *classes;    /* by id */
    uint32_t            nclasses;
    attck_map_meta_t    meta;
    uint32_t            ngroups;
    EVP_MD_CTX         *sha;
    double              prune;      /* weights under it are left out */
    int                 previous;   /* evaluate's previous method */
    double              mix;        /* the previous method's part */
} attck_train_t;


/*
 * What train learns from by default; "evaluate" compares it with the
 * previous method (t->previous): no sentence examples, weights pruned at
 * 0.01, every other technique's examples negatives, a technique's own
 * examples weighed as its negatives are.
 */
#define ATTCK_TRAIN_PRUNE       0.05
#define ATTCK_TRAIN_PRUNE_PREV  0.01

/* C of a technique's own examples, times C: a few dozen against twenty
 * thousand others */
#define ATTCK_TRAIN_POS_WEIGHT  2.0

/*
 * The model is mix * previous + (1 - mix) * current (train.c,
 * attck_train_ensemble), each part's weights pruned at PRUNE_PART before
 * the average is pruned at PRUNE.
 */
#define ATTCK_TRAIN_MIX         0.5
#define ATTCK_TRAIN_PRUNE_PART  0.01


/*
 * Reads ATT&CK's examples from the bundles (arguments from optind, or
 * ATTCK_SOURCES) and the labeled files, and numbers the classes; exits
 * with one line on failure.
 */
void attck_train_collect(attck_train_t *t, const char *cmd, int argc,
    char **argv, const char **labeled, size_t nlabeled);

/*
 * Learns a model from the examples where use[i] is set.  With calibrate,
 * the examples of fold 0 are first held out to fit the calibration.
 */
void attck_train_learn(attck_train_t *t, const uint8_t *use, int calibrate,
    attck_map_model_t *m);

/*
 * The zero-training baseline: TF-IDF cosine between a text and each
 * technique's own text (its definition example) among those used.
 */
void attck_train_baseline(attck_train_t *t, const uint8_t *use,
    attck_map_model_t *m);

/* class -> its parent's class ("T1059.001" -> "T1059"), or itself when
 * the parent has no class; free(3) it */
uint32_t *attck_train_parents(attck_train_t *t);

void attck_train_free(attck_train_t *t);

int attck_train_main(int argc, char **argv);


#endif /* _ATTCK_TRAIN_H_INCLUDED_ */
