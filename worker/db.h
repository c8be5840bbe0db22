
/*
 * attck-worker: PostgreSQL through libpq.  Statements take parameters,
 * never text built from data; bulk rows go through COPY.
 */

#ifndef _ATTCK_DB_H_INCLUDED_
#define _ATTCK_DB_H_INCLUDED_


#include <stddef.h>
#include <libpq-fe.h>

#include "util.h"


/* the database is unreachable or went away: worth another run later */
#define ATTCK_EXIT_TEMPFAIL  75


/* $ATTCK_DATABASE_URL: a libpq URI or conninfo; exits 75 on failure */
PGconn *attck_db_connect(void);

/*
 * Runs a statement with text parameters.  Returns the result (tuples or
 * command OK) or NULL with err set; the caller PQclear()s it.
 */
PGresult *attck_db_run(PGconn *c, const char *sql, int n,
    const char *const *params, char *err, size_t errlen);

/*
 * attck_db_run() for a run that cannot go on without the answer: exits
 * with "cmd: why", 75 if the database went away, else 65.
 */
PGresult *attck_db_query(PGconn *c, const char *cmd, const char *sql, int n,
    const char *const *params);

/*
 * attck_db_run() in two halves: the statement is sent, the worker does
 * other work while the server runs it, then waits for its result.
 */
int attck_db_send(PGconn *c, const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
PGresult *attck_db_wait(PGconn *c, char *err, size_t errlen);

/* runs statements that return nothing; 0 or -1 with err set */
int attck_db_exec(PGconn *c, const char *sql, char *err, size_t errlen);

/* COPY ... FROM STDIN with the rows in data; 0 or -1 with err set */
int attck_db_copy(PGconn *c, const char *sql, const char *data, size_t len,
    char *err, size_t errlen);

/* COPY ... FROM STDIN in pieces, so the server works while rows are made */
int attck_db_copy_begin(PGconn *c, const char *sql, char *err,
    size_t errlen);
int attck_db_copy_put(PGconn *c, const char *data, size_t len, char *err,
    size_t errlen);
int attck_db_copy_end(PGconn *c, char *err, size_t errlen);

/* whether the connection is gone (as opposed to a refused statement) */
int attck_db_lost(PGconn *c);

/*
 * Takes the advisory lock of a stage ("ingest", "map", "publish", ...):
 * 0, or -1 when another worker holds it (logged).
 */
int attck_db_stage_lock(PGconn *c, const char *stage);


/*
 * A value of a result as valid UTF-8: itself, or a repaired copy (bytes
 * that are not UTF-8 replaced) whose pointer is pushed on keep (char *),
 * freed by the caller with the rest of what keep holds.
 */
const char *attck_db_text(PGresult *res, int row, int col,
    attck_vec_t *keep);


#endif /* _ATTCK_DB_H_INCLUDED_ */
