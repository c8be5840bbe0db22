
/*
 * The worker's harnesses run its own code between two seams the linker
 * moves (-Wl,--wrap): attck_fatal() and attck_log(), so that a data error
 * ends one input instead of the process and logs stay quiet; the network
 * and the database (attck_fetch(), attck_db_*()), so that a response
 * body comes from the fuzzer and the rows meant for PostgreSQL are
 * checked the way PostgreSQL would read them.
 */

#ifndef _FUZZ_WORKER_H_INCLUDED_
#define _FUZZ_WORKER_H_INCLUDED_


#include <setjmp.h>
#include <libpq-fe.h>

#include "../worker/fetch.h"


/* while armed, attck_fatal(ATTCK_EXIT_DATAERR, ...) jumps here */
extern jmp_buf  fuzz_fatal_jmp;
extern int      fuzz_fatal_armed;


typedef int (*fuzz_fetch_pt)(const char *url, const attck_fetch_opts_t *o,
    attck_fetch_result_t *res, char *err, size_t errlen);
typedef PGresult *(*fuzz_run_pt)(const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
typedef void (*fuzz_copy_pt)(const char *sql, char **fields, size_t *lens,
    int nfields);


/*
 * What the harness answers in place of the network and the database.
 * Unset: a fetch fails as unreachable, a statement aborts (the harness
 * must know every statement its code sends).  Statements without rows
 * (BEGIN, COMMIT, CREATE TEMP TABLE) always succeed.
 */
extern fuzz_fetch_pt  fuzz_fetch;
extern fuzz_run_pt    fuzz_run;
extern fuzz_copy_pt   fuzz_copy_row;


/* a result of nrows rows of ncols text values, row after row */
PGresult *fuzz_result(int ncols, int nrows, const char *const *values);

/* whether text holds a NUL byte or is not valid UTF-8: PostgreSQL refuses */
int fuzz_bad_text(const char *s, size_t len);


#endif /* _FUZZ_WORKER_H_INCLUDED_ */
