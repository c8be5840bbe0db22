
/*
 * attck-worker publish: the generation a publish builds on.  The
 * snapshot published last (from the file, else Redis), as the database
 * recorded it with the moment it was read in (published_bases), and the
 * threats changed since (threat_changes): publish reads only those again.
 */

#ifndef _ATTCK_PUBLISH_BASE_H_INCLUDED_
#define _ATTCK_PUBLISH_BASE_H_INCLUDED_


#include <stdint.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "../ngx_attck_module/snapshot/attck_tix.h"


typedef struct {
    char         *data;         /* the snapshot's bytes */
    size_t        size;
    char          sha[65];      /* their SHA-256 */
    attck_tix_t   tix;          /* its threat index, checked */
    int64_t      *changed;      /* threats to read again, ascending */
    size_t        nchanged;
} attck_publish_base_t;


/*
 * In publish's transaction: the moment it reads, as pg_snapshot text,
 * into moment[]; then the base, 1, or 0 when there is none to build on
 * (none recorded, not what Redis, when publishing there, has current, its
 * bytes nowhere to be found, an older index format, a TRUNCATE since, or
 * full set), saying why in the log.  base->data is freed by
 * attck_publish_base_free().
 */
int attck_publish_base_load(PGconn *db, redisContext *redis,
    const char *out, int full, char *moment, size_t len,
    attck_publish_base_t *base);
void attck_publish_base_free(attck_publish_base_t *base);

/* whether a threat is among those changed */
int attck_publish_base_changed(const attck_publish_base_t *base, int64_t id);

/*
 * After a successful publish: the snapshot sha is the base of the next,
 * read at moment; the changes it saw are forgotten.  A failure is only
 * logged: the next publish then reads everything.
 */
void attck_publish_base_record(PGconn *db, const char *sha,
    const char *moment);


#endif /* _ATTCK_PUBLISH_BASE_H_INCLUDED_ */
