
/*
 * attck-worker publish: the threat index (attck_tix.h) put in the
 * snapshot, from the database's moment publish reads.
 */

#ifndef _ATTCK_PUBLISH_INDEX_H_INCLUDED_
#define _ATTCK_PUBLISH_INDEX_H_INCLUDED_


#include <libpq-fe.h>

#include "../ngx_attck_module/snapshot/attck_tix.h"
#include "publish_base.h"


/*
 * The index of every threat with its mappings, in the transaction open
 * on db: every threat read, or with a base only those changed since, the
 * rest taken from the base's index (the same bytes either way).  *data
 * lives as long as the writer returned.  *threats: the threats read,
 * newest first, column 8 their document and column 9 their brief (JSON),
 * for Redis.
 */
attck_tix_writer_t *attck_publish_index(PGconn *db,
    const attck_publish_base_t *base, const void **data, size_t *size,
    PGresult **threats);

/* the name of a document: the first 16 bytes of its SHA-256 */
void attck_publish_digest(const char *doc, size_t len, uint8_t *digest);
/* as 32 hex digits and a NUL */
void attck_publish_digest_hex(const uint8_t *digest, char *hex);


#endif /* _ATTCK_PUBLISH_INDEX_H_INCLUDED_ */
