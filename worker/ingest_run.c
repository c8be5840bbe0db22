
/*
 * attck-worker ingest: the record of each run in ingestion_runs.
 *
 * A run's row is inserted as 'running' and closed with its outcome.  A
 * worker that loses the database cannot close it then: it tries once on
 * a new connection, and failing that the next ingest closes it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "ingest.h"
#include "stage.h"
#include "util.h"


static int attck_ingest_run_update(PGconn *db, const char *const *params,
    char *err, size_t errlen);


/*
 * Only the holder of the ingest stage lock writes runs, and the caller
 * holds it: a row still 'running' was left by a worker that is gone (the
 * database went away under it, or it was killed) before it could record
 * its end.  Such rows are closed as failed, saying so.
 */

void
attck_ingest_runs_close_stale(PGconn *db)
{
    int        i, n;
    PGresult  *res;

    res = attck_db_query(db, "ingest",
              "UPDATE ingestion_runs SET status = 'failed', "
              "finished_at = now(), "
              "error = 'not finished: the worker running it went away "
              "before it recorded its end (closed by a later ingest)' "
              "WHERE status = 'running' RETURNING id", 0, NULL);

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        attck_log("warn", "ingest: run %s was left running by a worker "
                  "that went away: closed as failed", PQgetvalue(res, i, 0));
    }

    PQclear(res);
}


long
attck_ingest_run_begin(PGconn *db, const char *kind, const char *source)
{
    long         id;
    char         err[512];
    PGresult    *res;
    const char  *params[2];

    params[0] = kind;
    params[1] = source;

    res = attck_db_run(db, "INSERT INTO ingestion_runs (kind, source, "
                       "status) VALUES ($1, $2, 'running') RETURNING id",
                       2, params, err, sizeof(err));
    if (res == NULL) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "ingest: %s", err);
    }

    id = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);

    return id;
}


/* the end of a run: 0, or -1 with err set */

static int
attck_ingest_run_update(PGconn *db, const char *const *params, char *err,
    size_t errlen)
{
    PGresult  *res;

    res = attck_db_run(db, "UPDATE ingestion_runs SET finished_at = now(), "
                       "status = $2, fetched = $3, stored = $4, "
                       "failed = $5, error = $6 WHERE id = $1", 6, params,
                       err, errlen);
    if (res == NULL) {
        return -1;
    }

    PQclear(res);

    return 0;
}


void
attck_ingest_run_end(PGconn *db, long id, const char *kind,
    const char *source, attck_ingest_result_t *r, int rc, const char *error)
{
    int          gone, recorded;
    char         sid[32], fetched[32], stored[32], failed[32], err[512];
    char         valid[3 * 1024 + 1];
    size_t       vlen;
    const char  *params[6], *base;

    /* the database went away during the source: its transaction is lost */

    gone = (rc == ATTCK_EXIT_TEMPFAIL && attck_db_lost(db));

    if (rc != 0) {
        r->status = "failed";

        if (!gone) {
            attck_log("error", "ingest %s: %s", kind, error);
        }
    }

    /* a failed step may leave its transaction open and aborted */

    if (!attck_db_lost(db) && PQtransactionStatus(db) != PQTRANS_IDLE) {
        (void) attck_db_exec(db, "ROLLBACK", err, sizeof(err));
    }

    /* a cut message may end inside a character: the column wants UTF-8 */

    attck_text_utf8_repair(valid, &vlen, error, strlen(error));
    valid[vlen] = '\0';

    snprintf(sid, sizeof(sid), "%ld", id);
    snprintf(fetched, sizeof(fetched), "%ld", r->fetched);
    snprintf(stored, sizeof(stored), "%ld", r->stored);
    snprintf(failed, sizeof(failed), "%ld", r->failed);
    params[0] = sid;
    params[1] = r->status;
    params[2] = fetched;
    params[3] = stored;
    params[4] = failed;
    params[5] = rc ? valid : NULL;

    recorded = (attck_ingest_run_update(db, params, err, sizeof(err)) == 0);

    if (!recorded && attck_db_lost(db)) {

        /*
         * Once more on a new connection: a database that restarted takes
         * it.  That session holds no stage lock, so the run stops here.
         */

        PQreset(db);

        recorded = (PQstatus(db) == CONNECTION_OK
                    && attck_ingest_run_update(db, params, err, sizeof(err))
                       == 0);

        if (gone) {
            attck_fatal(ATTCK_EXIT_TEMPFAIL, "ingest %s: the database went "
                        "away during %s; nothing of it was stored (%s); "
                        "run %ld %s", kind, source, error, id,
                        recorded ? "recorded as failed"
                                 : "is closed by the next ingest");
        }

        attck_fatal(ATTCK_EXIT_TEMPFAIL, "ingest %s: the database went away "
                    "after %s was done (status=%s); run %ld %s", kind, source,
                    r->status, id, recorded ? "recorded on a new connection"
                                            : "is closed by the next ingest");
    }

    if (!recorded) {
        attck_log("warn", "ingest %s: the run could not be recorded: %s",
                  kind, err);
    }

    /* an ATT&CK source is one release: it is counted where its status is */

    if (strcmp(kind, "attack") == 0 && rc == 0) {
        r->added = (strcmp(r->status, "new") == 0);
        r->changed = (strcmp(r->status, "changed") == 0);
        r->unchanged = (strcmp(r->status, "unchanged") == 0);
    }

    attck_log("info", "kind=%s source=%s status=%s fetched=%ld stored=%ld "
              "refused=%ld new=%ld changed=%ld unchanged=%ld", kind, source,
              r->status, r->fetched, r->stored, r->failed, r->added,
              r->changed, r->unchanged);

    /* a label for /metrics: the file's name, not the whole URL or path */

    base = strrchr(source, '/');
    base = base ? base + 1 : source;

    attck_stage_count("ingest", "fetched", base, r->fetched);
    attck_stage_count("ingest", "stored", base, r->stored);
    attck_stage_count("ingest", "refused", base, r->failed);
}
