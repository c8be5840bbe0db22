
/*
 * attck-worker classify: text to ATT&CK techniques with a trained model.
 */

#ifndef _ATTCK_CLASSIFY_H_INCLUDED_
#define _ATTCK_CLASSIFY_H_INCLUDED_


#include <jansson.h>

#include "map_model.h"


int attck_classify_main(int argc, char **argv);

/*
 * Work memory and hits for texts of up to len bytes, grown as needed:
 * one text at a time.
 */
typedef struct {
    attck_cls_work_t   work;
    void              *mem;
    size_t             max_sentences;
    attck_cls_hit_t   *hits;
    size_t             k;
} attck_classify_ctx_t;

void attck_classify_prepare(attck_classify_ctx_t *cx,
    const attck_map_model_t *m, size_t len, size_t k);
void attck_classify_ctx_free(attck_classify_ctx_t *cx);

/*
 * Appends the techniques of one text to list, best first, each as
 * {"id", "score", "method", "evidence"} and, for a text of several
 * sentences, "sentences" ([{"start", "end", "text"}], byte offsets): the
 * ids the source gave (given, a JSON array, or NULL) and the ids written
 * in the text that the model knows, with score 1 and method "explicit",
 * then the model's best k that score at least threshold; at most max in
 * all.  Returns how many are explicit.
 */
size_t attck_classify_text(const attck_map_model_t *m,
    attck_classify_ctx_t *cx, const char *text, size_t len, json_t *given,
    size_t k, double threshold, size_t max, json_t *list);

/* a --threshold value (or its variable); exit 64 if bad */
double attck_classify_threshold(const char *cmd, const char *name,
    const char *value);


#endif /* _ATTCK_CLASSIFY_H_INCLUDED_ */
