
/*
 * attck-worker publish: our mapped threats as STIX 2.1, for the TAXII
 * threats collection (compile_taxii.c lays it out).
 */

#ifndef _ATTCK_PUBLISH_TAXII_H_INCLUDED_
#define _ATTCK_PUBLISH_TAXII_H_INCLUDED_


#include <jansson.h>
#include <libpq-fe.h>


/*
 * An identity, then for each threat with a technique that names an
 * attack-pattern of the newest releases: a report and a relationship to
 * each such attack-pattern (x_attck_score, x_attck_method).  Ids are
 * UUIDv5 of what they stand for, times come from the data: the same data
 * gives the same objects.  Read in the caller's transaction.
 */
json_t *attck_publish_taxii(PGconn *db);


#endif /* _ATTCK_PUBLISH_TAXII_H_INCLUDED_ */
