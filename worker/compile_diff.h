
/*
 * attck-worker compile: the documents of changes between releases, added
 * to the views of a snapshot: every changelog of a pair of releases of
 * a domain, in each format and slice, and the state of every Enterprise
 * technique for what points at techniques by key (the cyber range).
 */

#ifndef _ATTCK_COMPILE_DIFF_H_INCLUDED_
#define _ATTCK_COMPILE_DIFF_H_INCLUDED_


#include <stddef.h>

#include "stix.h"
#include "util.h"


typedef struct {
    const char  *view;          /* the release whose view holds it */
    char        *key;
    char        *body;
    size_t       len;
} attck_extra_doc_t;


/*
 * The documents for bundles sorted newest first: for each domain, each
 * release against the next newer one and each against the newest.  Keys:
 * "diff/FROM/DOMAIN/FORMAT/TYPE/SECTION" (TYPE and SECTION "all" or a
 * name; a layer's TYPE is "all") in the view of TO, and
 * "cyberrange/technique-status" in the view of each Enterprise release.
 */
void attck_compile_diff_docs(attck_bundle_t **sorted, size_t n,
    attck_vec_t *docs);
void attck_compile_diff_free(attck_vec_t *docs);

/*
 * The models of two bundles of one domain and their changelog; the
 * caller frees it.  Exits with one line on a model that cannot be built.
 */
json_t *attck_compile_diff_pair(attck_bundle_t *from, attck_bundle_t *to);


#endif /* _ATTCK_COMPILE_DIFF_H_INCLUDED_ */
