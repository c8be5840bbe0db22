
/*
 * attck-worker: a TAXII 2.1 collection read whole, as a STIX bundle, so
 * that "taxii+https://host/root/collections/ID/" can stand where a bundle
 * URL does (compile, ingest attack, train...).
 */

#ifndef _ATTCK_TAXII_BUNDLE_H_INCLUDED_
#define _ATTCK_TAXII_BUNDLE_H_INCLUDED_


#include <stddef.h>

#include "fetch.h"


#define ATTCK_TAXII_SCHEME  "taxii+"

/* 1 if src names a TAXII collection */
int attck_taxii_source(const char *src);

/*
 * Every object of the collection (pages followed by next), as the text of
 * a bundle in res->data (status 200).  Returns 0 or an ATTCK_EXIT_* code
 * with err set.
 */
int attck_taxii_bundle(const char *src, attck_fetch_result_t *res, char *err,
    size_t errlen);


#endif /* _ATTCK_TAXII_BUNDLE_H_INCLUDED_ */
