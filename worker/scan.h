
/*
 * attck-worker: the objects of a STIX bundle found in its text, without
 * building it: ingest hands them to PostgreSQL as they are, so a bundle
 * is parsed once, by the server.
 */

#ifndef _ATTCK_SCAN_H_INCLUDED_
#define _ATTCK_SCAN_H_INCLUDED_


#include <stddef.h>


/* called for each element of the top-level "objects" array; non-zero stops */
typedef int (*attck_scan_pt)(const char *object, size_t len, void *ctx);

/*
 * Checks the bundle's frame ({"type": "bundle", "objects": [...]}) and
 * calls cb for every object.  Returns 0, -1 with err set (not a bundle,
 * truncated), or what cb returned.  Objects themselves are not checked.
 */
int attck_scan_bundle(const char *text, size_t len, attck_scan_pt cb,
    void *ctx, size_t *count, char *err, size_t errlen);


#endif /* _ATTCK_SCAN_H_INCLUDED_ */
