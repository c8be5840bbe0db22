
/*
 * What the module does with a snapshot it has accepted, for the harnesses
 * that get one: the snapshot reader's (bytes from the fuzzer) and the
 * compiler's (bytes the compiler wrote).
 */

#ifndef _FUZZ_SNAP_H_INCLUDED_
#define _FUZZ_SNAP_H_INCLUDED_


#include "../ngx_attck_module/snapshot/attck_snapshot.h"


/*
 * Per view: the view and document lookups, technique lists filtered by
 * the words of q, ranked search for q and for the view's own terms and
 * their prefixes.  Aborts where a result breaks what the module relies
 * on; the sanitizers catch any read outside what attck_snap_open()
 * checked.
 */
void fuzz_snap_queries(const attck_snap_t *snap, const char *q,
    size_t qlen);


#endif /* _FUZZ_SNAP_H_INCLUDED_ */
