
/*
 * attck-worker publish: each technique's mapped threats, for the
 * technique documents of the snapshot ("threats": {"count", "top"}).
 */

#ifndef _ATTCK_PUBLISH_TOPS_H_INCLUDED_
#define _ATTCK_PUBLISH_TOPS_H_INCLUDED_


#include <jansson.h>
#include <libpq-fe.h>

#include "../ngx_attck_module/snapshot/attck_tix.h"


/*
 * From the threat index written: per technique id, {"count": n, "top":
 * [{"id", "source", "title", "score", "method"}, ...]}, the top best
 * score first, then the lowest id; the titles, scores and methods of
 * those few as the database has them.
 */
json_t *attck_publish_tops(PGconn *db, const attck_tix_t *tix, int top);


#endif /* _ATTCK_PUBLISH_TOPS_H_INCLUDED_ */
