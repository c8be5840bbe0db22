
/*
 * attck-worker publish: the threat index (attck_tix.h) put in the
 * snapshot, from the database's moment publish reads.
 */

#ifndef _ATTCK_PUBLISH_INDEX_H_INCLUDED_
#define _ATTCK_PUBLISH_INDEX_H_INCLUDED_


#include <libpq-fe.h>

#include "../ngx_attck_module/snapshot/attck_tix.h"


/*
 * Reads every threat with its mappings, in the transaction open on db.
 * *data lives as long as the writer returned.
 */
attck_tix_writer_t *attck_publish_index(PGconn *db, const void **data,
    size_t *size);


#endif /* _ATTCK_PUBLISH_INDEX_H_INCLUDED_ */
