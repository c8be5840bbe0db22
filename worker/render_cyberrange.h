
/*
 * attck-worker: the documents of the cyber-range compatibility endpoints
 * (../shared/notes/cyberrange-compat.md), rendered ahead of time.
 */

#ifndef _ATTCK_RENDER_CYBERRANGE_H_INCLUDED_
#define _ATTCK_RENDER_CYBERRANGE_H_INCLUDED_


#include <jansson.h>

#include "render.h"


/* {"techniques":[{"code":"TA0043.T1595","name":"Active Scanning"}, ...]} */
json_t *attck_render_cr_index(attck_render_t *r);

/* domain d's matrix (bit position) as an HTML template; malloc()ed */
char *attck_render_cr_matrix(attck_render_t *r, int d, int subtechniques,
    size_t *len);


#endif /* _ATTCK_RENDER_CYBERRANGE_H_INCLUDED_ */
