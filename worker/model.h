
/*
 * attck-worker: the ATT&CK model of one view (a set of bundles, one per
 * domain): objects deduplicated by STIX id, relationships resolved,
 * tactics in matrix order.
 */

#ifndef _ATTCK_MODEL_H_INCLUDED_
#define _ATTCK_MODEL_H_INCLUDED_


#include <stdint.h>
#include <jansson.h>

#include "stix.h"
#include "util.h"


#define ATTCK_NONE  UINT32_MAX


typedef enum {
    ATTCK_KIND_OTHER = 0,
    ATTCK_KIND_TECHNIQUE,
    ATTCK_KIND_TACTIC,
    ATTCK_KIND_GROUP,
    ATTCK_KIND_SOFTWARE,
    ATTCK_KIND_MITIGATION,
    ATTCK_KIND_CAMPAIGN,
    ATTCK_KIND_DETECTION,
    ATTCK_KIND_ANALYTIC,
    ATTCK_KIND_DATACOMP,
    ATTCK_KIND_ASSET,
    ATTCK_KIND_MATRIX,
    ATTCK_KIND_N
} attck_kind_t;


typedef struct {
    json_t        *stix;
    const char    *type;
    const char    *id;          /* ATT&CK id, NULL when there is none */
    const char    *url;
    const char    *name;
    const char    *modified;
    attck_kind_t   kind;
    unsigned       domains;
    unsigned       revoked:1;
    unsigned       deprecated:1;
    unsigned       sub:1;
    uint32_t       parent;      /* technique a sub-technique belongs to */
    uint32_t       revoked_by;
    uint64_t       tactics;     /* techniques: bits into model tactics */
    attck_vec_t    rels;        /* uint32_t: relationships it is part of */
    uint32_t       doc;         /* snapshot doc index, ATTCK_NONE if none */
} attck_obj_t;


typedef struct {
    uint32_t       src;
    uint32_t       dst;
    const char    *type;
    const char    *description;
} attck_rel_t;


typedef struct {
    const char       *name;            /* the release, "18.1" */
    attck_bundle_t  **bundles;
    size_t            nbundles;
    attck_vec_t       objs;            /* attck_obj_t */
    attck_vec_t       rels;            /* attck_rel_t */
    json_t           *by_stix;         /* STIX id -> object index */
    uint32_t          tactics[64];     /* object indexes, matrix order */
    int               tactic_matrix[64];  /* domain position of its matrix */
    uint32_t          ntactics;
    uint32_t          matrix[3];       /* per domain bit position */
} attck_model_t;


extern const char  *attck_kind_collection[ATTCK_KIND_N];
extern const char  *attck_kind_name[ATTCK_KIND_N];


int attck_model_build(attck_model_t *m, const char *name,
    attck_bundle_t **bundles, size_t nbundles, char *err, size_t errlen);
void attck_model_free(attck_model_t *m);

#define attck_model_obj(m, i)  attck_vec_at(&(m)->objs, attck_obj_t, i)
#define attck_model_rel(m, i)  attck_vec_at(&(m)->rels, attck_rel_t, i)

uint32_t attck_model_find(attck_model_t *m, const char *stix_id);

/*
 * Sorts n elements of size bytes by the ATT&CK id of the object whose
 * index is each element's first uint32_t.
 */
void attck_model_sort(attck_model_t *m, void *base, size_t n, size_t size);
int attck_obj_active(const attck_obj_t *o);


#endif /* _ATTCK_MODEL_H_INCLUDED_ */
