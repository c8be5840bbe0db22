
/*
 * attck-worker: the full-text search index of a view (terms, postings
 * with precomputed BM25-style weights).
 */

#ifndef _ATTCK_INDEX_H_INCLUDED_
#define _ATTCK_INDEX_H_INCLUDED_


#include <jansson.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "util.h"


typedef struct {
    json_t       *map;           /* term -> index into terms */
    attck_vec_t   terms;         /* attck_index_term_t */
    uint32_t      ndocs;
    double        desc_total;    /* sum of description lengths */
} attck_index_t;


void attck_index_init(attck_index_t *ix);
void attck_index_free(attck_index_t *ix);

void attck_index_add(attck_index_t *ix, uint32_t doc, const char *id,
    const char *name, json_t *aliases, const char *description);

/* terms sorted and written to w; arrays are malloc()ed for the caller */
void attck_index_finish(attck_index_t *ix, attck_snap_writer_t *w,
    attck_snap_term_t **terms, uint32_t *nterms,
    attck_snap_posting_t **postings, uint32_t *npostings);

/* drops "(Citation: ...)" and markdown link targets; malloc()ed */
char *attck_index_clean(const char *text);


#endif /* _ATTCK_INDEX_H_INCLUDED_ */
