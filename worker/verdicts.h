
/*
 * attck-worker: the verdicts analysts posted through nginx (attck_triage),
 * moved from the Redis stream into PostgreSQL at the start of map.
 */

#ifndef _ATTCK_VERDICTS_H_INCLUDED_
#define _ATTCK_VERDICTS_H_INCLUDED_


#include <libpq-fe.h>


/*
 * Applies every entry of "attck:verdicts" (ATTCK_REDIS_URL; none set:
 * nothing to do) in one transaction and removes the entries after it
 * committed.  The number applied, or -1 with err set when the database
 * refused; an unreachable Redis is logged and counts 0, since mapping
 * goes on without it.
 */
long attck_verdicts_move(PGconn *db, char *err, size_t errlen);


#endif /* _ATTCK_VERDICTS_H_INCLUDED_ */
