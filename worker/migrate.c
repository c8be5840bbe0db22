
/*
 * attck-worker migrate: applies sql/NNN_*.sql in order, once each, every
 * file in a transaction of its own together with its record in
 * schema_migrations.  A file changed after it was applied is refused: the
 * schema would no longer be what the files say.
 */


#include <dirent.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "migrate.h"
#include "util.h"


static const char *attck_migrate_dir(const char *given, char *buf,
    size_t size);
static int attck_migrate_name_cmp(const void *a, const void *b);
static int attck_migrate_one(PGconn *c, const char *dir, const char *name);


#ifdef ATTCK_SQL_DEFAULT
#define ATTCK_SQL_HELP  ATTCK_SQL_DEFAULT
#else
#define ATTCK_SQL_HELP  "the sql/ folder installed beside bin/"
#endif


static const char  attck_migrate_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " sha256 text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";


/*
 * --sql DIR, else $ATTCK_SQL_DIR, else the folder a package build names
 * (-DATTCK_SQL_DEFAULT, as /usr/bin/../sql is no place for it), else sql/
 * beside the binary's folder (build/../sql in a checkout)
 */

static const char *
attck_migrate_dir(const char *given, char *buf, size_t size)
{
    char     exe[PATH_MAX];
    ssize_t  n;

    if (given) {
        return given;
    }

    if (getenv("ATTCK_SQL_DIR")) {
        return getenv("ATTCK_SQL_DIR");
    }

#ifdef ATTCK_SQL_DEFAULT
    return ATTCK_SQL_DEFAULT;
#endif

    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n <= 0) {
        return "sql";
    }

    exe[n] = '\0';
    snprintf(buf, size, "%s/../sql", dirname(exe));

    return buf;
}


static int
attck_migrate_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static int
attck_migrate_one(PGconn *c, const char *dir, const char *name)
{
    char         path[PATH_MAX], sha[65], err[1024], *sql;
    size_t       len;
    PGresult    *res;
    const char  *params[2];

    if (snprintf(path, sizeof(path), "%s/%s", dir, name)
        >= (int) sizeof(path))
    {
        attck_fatal(ATTCK_EXIT_NOINPUT, "migrate: path too long: %s", dir);
    }

    sql = attck_read_file(path, &len, err, sizeof(err));
    if (sql == NULL) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "migrate: %s", err);
    }

    attck_sha256_hex(sql, len, sha);
    params[0] = name;
    params[1] = sha;

    res = attck_db_run(c, "SELECT sha256 FROM schema_migrations "
                       "WHERE version = $1", 1, params, err, sizeof(err));
    if (res == NULL) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "migrate: %s", err);
    }

    if (PQntuples(res) == 1) {
        if (strcmp(PQgetvalue(res, 0, 0), sha) != 0) {
            attck_fatal(ATTCK_EXIT_DATAERR, "migrate: %s was changed after "
                        "it was applied; add a new migration instead", name);
        }

        PQclear(res);
        free(sql);
        return 0;
    }

    PQclear(res);

    if (attck_db_exec(c, "BEGIN", err, sizeof(err)) != 0
        || attck_db_exec(c, sql, err, sizeof(err)) != 0)
    {
        attck_fatal(attck_db_lost(c) ? ATTCK_EXIT_TEMPFAIL
                                     : ATTCK_EXIT_DATAERR,
                    "migrate: %s failed, nothing of it applied: %s", name,
                    err);
    }

    res = attck_db_run(c, "INSERT INTO schema_migrations (version, sha256) "
                       "VALUES ($1, $2)", 2, params, err, sizeof(err));

    if (res == NULL || attck_db_exec(c, "COMMIT", err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "migrate: %s: %s", name, err);
    }

    PQclear(res);
    free(sql);

    attck_log("info", "applied %s", name);

    return 1;
}


int
attck_migrate_main(int argc, char **argv)
{
    int                   c, applied;
    char                  buf[PATH_MAX], err[1024], **names;
    size_t                n, cap, i;
    PGconn               *db;
    PGresult             *res;
    DIR                  *d;
    const char           *dir, *sql_dir;
    struct dirent        *e;
    static struct option  longopts[] = {
        { "sql", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    sql_dir = NULL;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            sql_dir = optarg;
            break;
        case 'h':
            printf("usage: attck-worker migrate [--sql DIR]\n"
                   "applies DIR/NNN_*.sql (default: $ATTCK_SQL_DIR, else "
                   ATTCK_SQL_HELP ") to $ATTCK_DATABASE_URL\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("migrate", c, argv);
        }
    }

    dir = attck_migrate_dir(sql_dir, buf, sizeof(buf));

    d = opendir(dir);
    if (d == NULL) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "migrate: no migrations folder %s",
                    dir);
    }

    names = NULL;
    n = cap = 0;

    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) < 8 || e->d_name[0] < '0' || e->d_name[0] > '9'
            || strcmp(e->d_name + strlen(e->d_name) - 4, ".sql") != 0)
        {
            continue;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof(char *));
            if (names == NULL) {
                attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
            }
        }

        names[n++] = attck_xstrdup(e->d_name);
    }

    closedir(d);
    qsort(names, n, sizeof(char *), attck_migrate_name_cmp);

    db = attck_db_connect();

    /* one migrating worker at a time, across hosts */

    /* the lock first: even creating the table races on a new database */

    res = attck_db_run(db, "SELECT pg_advisory_lock(hashtext('attck "
                       "migrate'))", 0, NULL, err, sizeof(err));

    if (res == NULL
        || attck_db_exec(db, attck_migrate_table, err, sizeof(err)) != 0)
    {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "migrate: %s", err);
    }

    PQclear(res);
    applied = 0;

    for (i = 0; i < n; i++) {
        applied += attck_migrate_one(db, dir, names[i]);
        free(names[i]);
    }

    free(names);
    PQfinish(db);

    attck_log("info", "migrations: %d applied, %zu up to date", applied,
              n - applied);

    return ATTCK_EXIT_OK;
}
