
/*
 * attck-worker compile --taxii: the TAXII 2.1 collections of a snapshot
 * (snapshot/attck_taxii.h), one per bundle, in the view of its release and,
 * for the newest of each domain, in the first view too.
 */

#ifndef _ATTCK_COMPILE_TAXII_H_INCLUDED_
#define _ATTCK_COMPILE_TAXII_H_INCLUDED_


#include <stddef.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "stix.h"
#include "util.h"


/* set by "compile --taxii" (or "publish --taxii") */
extern int  attck_compile_taxii;

/*
 * STIX objects of our mapped threats (publish_taxii.c), set by publish:
 * served in the first view as the collection ATTCK_TAXII_THREATS_ID, each
 * object's date_added its "modified"
 */
extern json_t  *attck_compile_taxii_threats;

#define ATTCK_TAXII_THREATS_ID  "b9a7c2e4-5f1d-5c3a-9e8b-7d6f4a2c1e30"

/*
 * Appends attck_extra_doc_t documents (compile_diff.h) for bundles sorted
 * newest first; the objects' bytes go into w's strings at once.  A
 * bundle's raw text, where compile kept it, gives each object's bytes as
 * they are in the file; otherwise they are serialised again.
 */
void attck_compile_taxii_docs(attck_snap_writer_t *w,
    attck_bundle_t **sorted, size_t n, attck_vec_t *docs);


#endif /* _ATTCK_COMPILE_TAXII_H_INCLUDED_ */
