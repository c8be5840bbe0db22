
/*
 * attck-worker: PostgreSQL through libpq.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"


static void attck_db_error(PGconn *c, PGresult *res, char *err,
    size_t errlen);
static void attck_db_notice(void *arg, const char *message);


/* server NOTICEs ("already exists, skipping") are not the operator's */

static void
attck_db_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}


static void
attck_db_error(PGconn *c, PGresult *res, char *err, size_t errlen)
{
    char        *nl;
    const char  *msg;

    /* the server's primary message: the full one quotes whole queries */

    msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    if (msg == NULL || *msg == '\0') {
        msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c);
    }

    if (msg == NULL || *msg == '\0') {
        msg = PQerrorMessage(c);
    }

    snprintf(err, errlen, "%s", msg);

    /* one line: libpq's messages end with, and may hold, newlines */

    while ((nl = strchr(err, '\n')) != NULL) {
        *nl = (nl[1] == '\0') ? '\0' : ' ';
    }
}


PGconn *
attck_db_connect(void)
{
    char                 err[512], *perr;
    PGconn              *c;
    const char          *url, *keys[3], *values[3];
    PQconninfoOption    *opts;

    url = getenv("ATTCK_DATABASE_URL");

    if (url == NULL || *url == '\0') {
        attck_fatal(ATTCK_EXIT_USAGE, "no database: set ATTCK_DATABASE_URL "
                    "(a libpq URI or conninfo)");
    }

    /* libpq's parse errors quote the URL, password and all: not shown */

    perr = NULL;
    opts = PQconninfoParse(url, &perr);

    if (opts == NULL) {
        PQfreemem(perr);
        attck_fatal(ATTCK_EXIT_USAGE, "ATTCK_DATABASE_URL is not a libpq URI "
                    "or conninfo");
    }

    PQconninfoFree(opts);

    /* a default timeout, which the URL's own connect_timeout overrides */

    keys[0] = "connect_timeout";
    values[0] = "15";
    keys[1] = "dbname";
    values[1] = url;
    keys[2] = NULL;
    values[2] = NULL;

    c = PQconnectdbParams(keys, values, 1);

    if (PQstatus(c) != CONNECTION_OK) {
        attck_db_error(c, NULL, err, sizeof(err));
        PQfinish(c);
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "cannot connect to the database: %s",
                    err);
    }

    PQsetNoticeProcessor(c, attck_db_notice, NULL);

    attck_log("info", "connected to database %s on %s:%s", PQdb(c),
              PQhost(c), PQport(c));

    return c;
}


PGresult *
attck_db_run(PGconn *c, const char *sql, int n, const char *const *params,
    char *err, size_t errlen)
{
    PGresult  *res;

    res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) == PGRES_TUPLES_OK
        || PQresultStatus(res) == PGRES_COMMAND_OK)
    {
        return res;
    }

    attck_db_error(c, res, err, errlen);
    PQclear(res);

    return NULL;
}


int
attck_db_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult  *res;

    /* the simple protocol: a migration file holds several statements */

    res = PQexec(c, sql);

    if (PQresultStatus(res) == PGRES_COMMAND_OK
        || PQresultStatus(res) == PGRES_TUPLES_OK)
    {
        PQclear(res);
        return 0;
    }

    attck_db_error(c, res, err, errlen);
    PQclear(res);

    return -1;
}


int
attck_db_copy_begin(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult  *res;

    res = PQexec(c, sql);

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        attck_db_error(c, res, err, errlen);
        PQclear(res);
        return -1;
    }

    PQclear(res);

    return 0;
}


int
attck_db_copy_put(PGconn *c, const char *data, size_t len, char *err,
    size_t errlen)
{
    int  n;

    while (len) {
        n = len > 1048576 ? 1048576 : (int) len;

        if (PQputCopyData(c, data, n) != 1) {
            attck_db_error(c, NULL, err, errlen);
            return -1;
        }

        data += n;
        len -= n;
    }

    return 0;
}


int
attck_db_copy_end(PGconn *c, char *err, size_t errlen)
{
    int        rc;
    PGresult  *res;

    if (PQputCopyEnd(c, NULL) != 1) {
        attck_db_error(c, NULL, err, errlen);
        return -1;
    }

    res = PQgetResult(c);
    rc = 0;

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        attck_db_error(c, res, err, errlen);
        rc = -1;
    }

    PQclear(res);

    while ((res = PQgetResult(c)) != NULL) {
        PQclear(res);
    }

    return rc;
}


int
attck_db_copy(PGconn *c, const char *sql, const char *data, size_t len,
    char *err, size_t errlen)
{
    if (attck_db_copy_begin(c, sql, err, errlen) != 0) {
        return -1;
    }

    if (attck_db_copy_put(c, data, len, err, errlen) != 0) {
        (void) attck_db_copy_end(c, err, errlen);
        return -1;
    }

    return attck_db_copy_end(c, err, errlen);
}


int
attck_db_lost(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK;
}
