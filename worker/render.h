
/*
 * attck-worker: the JSON bodies the module serves, rendered ahead of time.
 */

#ifndef _ATTCK_RENDER_H_INCLUDED_
#define _ATTCK_RENDER_H_INCLUDED_


#include <jansson.h>

#include "model.h"


typedef struct {
    attck_model_t  *model;
    attck_vec_t    *tech_dcs;    /* per object: uint32_t data components */
    json_t         *threats;     /* technique id -> mapped threats, or NULL */
} attck_render_t;


void attck_render_init(attck_render_t *r, attck_model_t *m);
void attck_render_free(attck_render_t *r);

/* the body of GET <collection>/<id> */
json_t *attck_render_doc(attck_render_t *r, uint32_t i);

/* the short form used in lists and search results */
json_t *attck_render_summary(attck_render_t *r, uint32_t i);

/* GET matrix?domain=...: d is the domain's bit position */
json_t *attck_render_matrix(attck_render_t *r, int d);

/* GET <collection>: every active object of a kind, by id */
json_t *attck_render_list(attck_render_t *r, attck_kind_t kind);

/* GET tactics: all tactics in matrix order */
json_t *attck_render_tactics(attck_render_t *r);


#endif /* _ATTCK_RENDER_H_INCLUDED_ */
