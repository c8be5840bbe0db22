
/*
 * attck-worker ingest: raw JSON records as COPY rows (ingest_copy.c).
 */

#ifndef _ATTCK_INGEST_COPY_H_INCLUDED_
#define _ATTCK_INGEST_COPY_H_INCLUDED_


#include "util.h"


/* appends a raw JSON record as one COPY text row; 0, or -1 if refused */
int attck_ingest_copy_json(attck_vec_t *out, const char *json);


#endif /* _ATTCK_INGEST_COPY_H_INCLUDED_ */
