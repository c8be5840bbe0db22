
/*
 * attck-worker ingest: sources into PostgreSQL, one transaction each.
 */

#ifndef _ATTCK_INGEST_H_INCLUDED_
#define _ATTCK_INGEST_H_INCLUDED_


#include <stddef.h>
#include <libpq-fe.h>

#include "util.h"


typedef struct {
    const char  *status;       /* new, changed, unchanged, failed */
    long         fetched;      /* records in the source */
    long         stored;       /* records written */
    long         failed;       /* records refused (NUL bytes, bad ids) */
    long         added;        /* releases, pulses or reports: new, */
    long         changed;      /* changed, */
    long         unchanged;    /* and unchanged */
} attck_ingest_result_t;


int attck_ingest_main(int argc, char **argv);

/* OTX: $ATTCK_OTX_URL (pulses/subscribed, paged, from the last cursor) */
int attck_ingest_otx(PGconn *db, const char *base, const char *key,
    attck_ingest_result_t *r, char *err, size_t errlen);

/* VirusTotal: reports on OTX indicators from $ATTCK_VT_URL */
int attck_ingest_vt(PGconn *db, const char *base, const char *key,
    attck_ingest_result_t *r, char *err, size_t errlen);

/*
 * TAXII 2.1: the collection at base (".../collections/ID/") as feed name,
 * from the last run's X-TAXII-Date-Added-Last (ingest_taxii.c)
 */
int attck_ingest_taxii(PGconn *db, const char *name, const char *base,
    attck_ingest_result_t *r, char *err, size_t errlen);

/*
 * ingestion_runs (ingest_run.c): rows left 'running' by a worker that is
 * gone closed as failed (the caller holds the ingest stage lock); a run's
 * row inserted, then closed with its outcome and its summary logged.  A
 * run that lost the database exits 75 in attck_ingest_run_end().
 */
void attck_ingest_runs_close_stale(PGconn *db);
long attck_ingest_run_begin(PGconn *db, const char *kind,
    const char *source);
void attck_ingest_run_end(PGconn *db, long id, const char *kind,
    const char *source, attck_ingest_result_t *r, int rc, const char *error);


#endif /* _ATTCK_INGEST_H_INCLUDED_ */
