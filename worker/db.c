
/*
 * attck-worker: PostgreSQL through libpq.
 */


#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "util.h"


static void attck_db_error(PGconn *c, PGresult *res, char *err,
    size_t errlen);
static void attck_db_notice(void *arg, const char *message);
static int attck_db_holder_gone(const char *holder);


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
    char                 app[128], host[64];
    const char          *url, *keys[4], *values[4];
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

    /* who holds a stage lock shows in pg_stat_activity */

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "?");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(app, sizeof(app), "attck-worker %s pid %ld", host,
             (long) getpid());

    keys[0] = "connect_timeout";
    values[0] = "15";
    keys[1] = "application_name";
    values[1] = app;
    keys[2] = "dbname";
    values[2] = url;
    keys[3] = NULL;
    values[3] = NULL;

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
attck_db_send(PGconn *c, const char *sql, int n, const char *const *params,
    char *err, size_t errlen)
{
    if (PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0) != 1) {
        attck_db_error(c, NULL, err, errlen);
        return -1;
    }

    return 0;
}


PGresult *
attck_db_wait(PGconn *c, char *err, size_t errlen)
{
    PGresult  *res, *more;

    res = PQgetResult(c);

    /* one statement, one result: then libpq says it is done with NULL */

    while ((more = PQgetResult(c)) != NULL) {
        PQclear(more);
    }

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


PGresult *
attck_db_query(PGconn *c, const char *cmd, const char *sql, int n,
    const char *const *params)
{
    char       err[512];
    PGresult  *res;

    res = attck_db_run(c, sql, n, params, err, sizeof(err));

    if (res == NULL) {
        attck_fatal(attck_db_lost(c) ? ATTCK_EXIT_TEMPFAIL
                                     : ATTCK_EXIT_DATAERR,
                    "%s: %s", cmd, err);
    }

    return res;
}


/*
 * the holder is on its way out: a server process that has left
 * pg_stat_activity, or "attck-worker HOST pid PID" of this host whose
 * process has exited
 */

static int
attck_db_holder_gone(const char *holder)
{
    int   pid;
    char  host[256], name[256];

    if (*holder == '\0') {
        return 1;
    }

    if (sscanf(holder, "attck-worker %255s pid %d", name, &pid) != 2
        || gethostname(host, sizeof(host)) != 0)
    {
        return 0;
    }

    host[sizeof(host) - 1] = '\0';

    return strcmp(name, host) == 0 && kill(pid, 0) == -1 && errno == ESRCH;
}


/*
 * One advisory lock per stage, held for the session: PostgreSQL lets go
 * of it when the worker exits, however it exits.  The pair of keys is
 * (0x61747463 "attc", stage number), visible in pg_locks.
 */

int
attck_db_stage_lock(PGconn *c, const char *stage)
{
    int              i, tries;
    char             err[512], key[16], *holder;
    PGresult        *res;
    const char      *param[1];
    struct timespec  pause;

    static const char  *stages[] = {
        "ingest", "map", "publish", "report", "export", NULL
    };

    for (i = 0; stages[i] && strcmp(stages[i], stage) != 0; i++) {
        /* void */
    }

    if (stages[i] == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "no lock for a stage \"%s\"",
                    stage);
    }

    snprintf(key, sizeof(key), "%d", i + 1);
    param[0] = key;
    pause.tv_sec = 0;
    pause.tv_nsec = 50 * 1000000L;

    for (tries = 0; /* void */; tries++) {
        res = attck_db_run(c,
            "SELECT pg_try_advisory_lock(1635021923, $1::int),"
            "       (SELECT a.application_name FROM pg_locks l"
            "          JOIN pg_stat_activity a ON a.pid = l.pid"
            "         WHERE l.locktype = 'advisory' AND l.granted"
            "           AND l.classid = 1635021923 AND l.objid = $1::int"
            "           AND l.pid <> pg_backend_pid() LIMIT 1)",
            1, param, err, sizeof(err));

        if (res == NULL) {
            attck_fatal(attck_db_lost(c) ? ATTCK_EXIT_TEMPFAIL
                                         : ATTCK_EXIT_SOFTWARE,
                        "%s: cannot take the stage lock: %s", stage, err);
        }

        if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
            PQclear(res);
            return 0;
        }

        holder = PQgetvalue(res, 0, 1);

        /*
         * a worker that has just exited holds the lock until its server
         * process notices and ends: wait for that, up to 5 s
         */

        if (tries < 100 && attck_db_holder_gone(holder)) {
            PQclear(res);
            nanosleep(&pause, NULL);
            continue;
        }

        break;
    }

    attck_log("warn", "%s is running in another worker (%s); not started",
              stage, *holder ? holder : "unknown");

    PQclear(res);

    return -1;
}


const char *
attck_db_text(PGresult *res, int row, int col, attck_vec_t *keep)
{
    char        *copy;
    size_t       len, n;
    const char  *v;

    v = PQgetvalue(res, row, col);
    len = PQgetlength(res, row, col);

    if (attck_text_utf8(v, len)) {
        return v;
    }

    copy = attck_xmalloc(3 * len + 1);
    attck_text_utf8_repair(copy, &n, v, len);
    copy[n] = '\0';
    *(char **) attck_vec_push(keep) = copy;

    return copy;
}
