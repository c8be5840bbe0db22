
/*
 * attck-worker compile: STIX bundles -> snapshot file.
 */

#ifndef _ATTCK_COMPILE_H_INCLUDED_
#define _ATTCK_COMPILE_H_INCLUDED_


#include <time.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "stix.h"


int attck_compile_main(int argc, char **argv);

/*
 * Fetches and parses the bundles given as arguments (from optind) or in
 * ATTCK_SOURCES; exits with one clear line on the first that fails.
 */
size_t attck_compile_load(const char *cmd, int argc, char **argv,
    attck_bundle_t **bundles);


/* the releases stored in PostgreSQL: all, or the newest of each domain */
size_t attck_compile_db_bundles(PGconn *db, const char *cmd, int newest,
    attck_bundle_t **bundles);

/*
 * The snapshot of n bundles; threats (or NULL) maps technique ids to what
 * is mapped to them.  *data lives as long as the writer returned.
 */
attck_snap_writer_t *attck_compile_snapshot(attck_bundle_t *bundles,
    size_t n, json_t *threats, time_t created, const void **data,
    size_t *size);

/* the same with a threat index (attck_tix.h) in it */
attck_snap_writer_t *attck_compile_snapshot_index(attck_bundle_t *bundles,
    size_t n, json_t *threats, const void *index, size_t index_len,
    time_t created, const void **data, size_t *size);


#endif /* _ATTCK_COMPILE_H_INCLUDED_ */
