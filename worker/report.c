
/*
 * attck-worker report: the threat-landscape report of a period, in the
 * formats asked for, written to the reports directory and recorded in
 * the reports table.
 *
 * The data is read once (report_model.c) and every format is rendered
 * from it into memory before the first file is written: what can fail
 * while rendering fails with nothing on disk.  Files are written
 * atomically, and their rows are inserted, in one transaction, only once
 * every file is there, so a row always names a whole file.  A run that
 * fails part-way removes what it wrote.  With a retention set, older
 * report files the table knows are removed (their rows stay, without a
 * path); a file the table does not know is never touched.
 */


#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "db.h"
#include "report.h"
#include "stage.h"
#include "util.h"


#define ATTCK_REPORT_KIND  "threat-landscape"


typedef struct {
    const char              *name;
    const char              *ext;
    attck_report_render_pt   render;
} attck_report_format_t;


/* a setting's value and where it came from, to name it when it is bad */
typedef struct {
    const char  *value;
    const char  *name;
} attck_report_setting_t;


/* one format of a run: rendered, then written */
typedef struct {
    const attck_report_format_t  *format;
    attck_buf_t                   data;
    char                          path[PATH_MAX];
    char                          sha256[65];
} attck_report_file_t;


static void attck_report_setting(attck_report_setting_t *s,
    const char *env);
static unsigned attck_report_parse_formats(attck_report_setting_t *s);
static int attck_report_digits(const char *p, int n);
static int attck_report_time(const char *s, time_t base, int relative,
    time_t *t);
static void attck_report_iso(time_t t, char *buf, size_t len);
static char *attck_report_mkdir(const char *dir);
static void attck_report_path(char *path, const char *dir,
    const char *stamp, const attck_report_format_t *f);
static time_t attck_report_stamp(const char *dir, unsigned formats,
    char *stamp, size_t len);
static void attck_report_unwind(attck_report_file_t *files, size_t n);
static void attck_report_record(PGconn *db, const attck_report_t *r,
    attck_report_file_t *files, size_t n);
static const char *attck_report_name(const char *dir, size_t len,
    const char *path, const attck_report_format_t *f);
static void attck_report_keep(PGconn *db, int dfd, const char *dir,
    const attck_report_format_t *f, long keep);
static void attck_report_usage(void);


static const attck_report_format_t  attck_report_formats[] = {
    { "html", "html", attck_report_html },
    { "pdf", "pdf", attck_report_pdf },
    { "csv", "csv", attck_report_csv },
    { "json", "json", attck_report_json },
    { "navigator", "layer.json", attck_report_navigator }
};

#define ATTCK_REPORT_NFORMATS                                                \
    (sizeof(attck_report_formats) / sizeof(attck_report_formats[0]))


/* a file's row: $1 to $5 the row, $6 to $11 the report's parameters */
static const char  attck_report_insert_sql[] =
    "INSERT INTO reports (kind, format, path, sha256, bytes, parameters)"
    " VALUES ($1, $2, $3, $4, $5::bigint,"
    "         jsonb_build_object('since', $6::text, 'until', $7::text,"
    "                            'source', $8::text, 'domain', $9::text,"
    "                            'release', $10::text, 'top', $11::int))";


/* the environment's value, unless empty: the config file sets it */

static void
attck_report_setting(attck_report_setting_t *s, const char *env)
{
    s->value = getenv(env);
    s->name = env;

    if (s->value && *s->value == '\0') {
        s->value = NULL;
    }
}


/* "html pdf" or "csv,json": a bit per format of attck_report_formats */

static unsigned
attck_report_parse_formats(attck_report_setting_t *s)
{
    size_t       n, i;
    unsigned     set;
    const char  *p;

    if (s->value == NULL) {
        return (1u << ATTCK_REPORT_NFORMATS) - 1;
    }

    set = 0;

    for (p = s->value; *p; p += n) {
        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");

        if (n == 0) {
            break;
        }

        for (i = 0; i < ATTCK_REPORT_NFORMATS; i++) {
            if (strlen(attck_report_formats[i].name) == n
                && strncmp(attck_report_formats[i].name, p, n) == 0)
            {
                break;
            }
        }

        if (i == ATTCK_REPORT_NFORMATS) {
            attck_fatal(ATTCK_EXIT_USAGE, "report: %s: unknown format "
                        "\"%.*s\" (html, pdf, csv, json, navigator)",
                        s->name, (int) n, p);
        }

        set |= 1u << i;
    }

    if (set == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s names no format "
                    "(html, pdf, csv, json, navigator)", s->name);
    }

    return set;
}


/* n decimal digits at p as a number, or -1 */

static int
attck_report_digits(const char *p, int n)
{
    int  v;

    for (v = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p - '0');
    }

    return v;
}


/*
 * "30d" (relative: before base; s, m, h, d or w) or an ISO 8601 date or
 * time, UTC unless it has an offset: "2025-01-31", "2025-01-31T12:00",
 * "2025-01-31T12:00:00Z", "2025-01-31 12:00:00+02:00".
 */

static int
attck_report_time(const char *s, time_t base, int relative, time_t *t)
{
    int          off, sign, oh, om;
    long         n;
    time_t       v;
    struct tm    tm, chk;
    const char  *p;

    /* a period needs its unit: "30" alone is no date either */

    if (relative && *s != '\0' && strchr("smhdw", s[strlen(s) - 1])) {
        n = attck_duration(s);

        /* a century at most: far enough back, and no overflow */

        if (n <= 0 || n > 100LL * 366 * 86400) {
            return -1;
        }

        *t = base - (time_t) n;
        return 0;
    }

    memset(&tm, 0, sizeof(struct tm));

    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-'
        || (tm.tm_year = attck_report_digits(s, 4)) < 1970
        || (tm.tm_mon = attck_report_digits(s + 5, 2)) < 1
        || (tm.tm_mday = attck_report_digits(s + 8, 2)) < 1)
    {
        return -1;
    }

    p = s + 10;
    off = 0;

    if (*p == 'T' || *p == 't' || *p == ' ') {
        /* digits first: they stop at the end of s, before p[3] is read */

        if ((tm.tm_hour = attck_report_digits(p + 1, 2)) < 0
            || p[3] != ':'
            || (tm.tm_min = attck_report_digits(p + 4, 2)) < 0)
        {
            return -1;
        }

        p += 6;

        if (*p == ':') {
            if ((tm.tm_sec = attck_report_digits(p + 1, 2)) < 0) {
                return -1;
            }

            p += 3;

            /* fractions of a second: a report period has no use for them */

            if (*p == '.') {
                if (p[1] < '0' || p[1] > '9') {
                    return -1;
                }

                for (p++; *p >= '0' && *p <= '9'; p++) {
                    /* void */
                }
            }
        }

        if (*p == 'Z' || *p == 'z') {
            p++;

        } else if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1 : 1;

            if ((oh = attck_report_digits(p + 1, 2)) < 0 || oh > 23) {
                return -1;
            }

            p += 3;

            if (*p == ':') {
                p++;
            }

            if ((om = attck_report_digits(p, 2)) < 0 || om > 59) {
                return -1;
            }

            p += 2;
            off = sign * (oh * 3600 + om * 60);
        }
    }

    if (*p != '\0') {
        return -1;
    }

    /* timegm() normalises 31 February into March: a date must round-trip */

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    chk = tm;

    v = timegm(&tm);

    if (v == (time_t) -1 || tm.tm_year != chk.tm_year
        || tm.tm_mon != chk.tm_mon || tm.tm_mday != chk.tm_mday
        || tm.tm_hour != chk.tm_hour || tm.tm_min != chk.tm_min
        || tm.tm_sec != chk.tm_sec)
    {
        return -1;
    }

    *t = v - off;

    return 0;
}


static void
attck_report_iso(time_t t, char *buf, size_t len)
{
    struct tm  tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}


/* mkdir -p, then the directory's absolute path: rows name files exactly */

static char *
attck_report_mkdir(const char *dir)
{
    char  *copy, *p, *abs, saved;

    copy = attck_xstrdup(dir);

    for (p = copy; ; *p = saved) {
        p += strspn(p, "/");
        p += strcspn(p, "/");
        saved = *p;
        *p = '\0';

        if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "report: cannot create the "
                        "reports directory %s: %s", copy, strerror(errno));
        }

        if (saved == '\0') {
            break;
        }
    }

    abs = realpath(copy, NULL);

    if (abs == NULL) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "report: reports directory %s: %s",
                    copy, strerror(errno));
    }

    free(copy);

    return abs;
}


/*
 * dir/threat-landscape-<stamp>.<ext> into path[PATH_MAX]; a directory too
 * long for it is one the files cannot be written to
 */

static void
attck_report_path(char *path, const char *dir, const char *stamp,
    const attck_report_format_t *f)
{
    int  n;

    n = snprintf(path, PATH_MAX, "%s/%s-%s.%s", dir, ATTCK_REPORT_KIND,
                 stamp, f->ext);

    if (n < 0 || n >= PATH_MAX) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "report: the reports directory "
                    "%s is too long a path for its files (%d bytes at most)",
                    dir, PATH_MAX - 1);
    }
}


/*
 * The time of the report, which names its files: two runs in the same
 * second would give the second the first's names, so it waits for the
 * next one (the stage lock keeps other workers out meanwhile).
 */

static time_t
attck_report_stamp(const char *dir, unsigned formats, char *stamp,
    size_t len)
{
    int          tries, taken;
    char         path[PATH_MAX];
    size_t       i;
    time_t       now;
    struct tm    tm;
    struct stat  st;

    for (tries = 0; ; tries++) {
        now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(stamp, len, "%Y%m%dT%H%M%SZ", &tm);

        taken = 0;

        for (i = 0; i < ATTCK_REPORT_NFORMATS && !taken; i++) {
            attck_report_path(path, dir, stamp, &attck_report_formats[i]);
            taken = (formats & (1u << i)) && lstat(path, &st) == 0;
        }

        if (!taken) {
            return now;
        }

        if (tries == 3) {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "report: %s already exists "
                        "(is the clock going back?)", path);
        }

        sleep(1);
    }
}


/* removes the files of a run that cannot be recorded */

static void
attck_report_unwind(attck_report_file_t *files, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (unlink(files[i].path) == 0) {
            attck_log("warn", "report: removed %s: the run failed",
                      files[i].path);
        }
    }
}


/*
 * A row per file, in one transaction: all of them or none.  A refused
 * statement rolls it back (the server does as the connection closes) and
 * the files go; a connection lost at COMMIT leaves it unknown whether
 * the rows are there, so the files stay: a row must not name a file
 * that is gone, and a file the table does not know harms nothing.
 */

static void
attck_report_record(PGconn *db, const attck_report_t *r,
    attck_report_file_t *files, size_t n)
{
    int          rc;
    char         bytes[32], top[32], err[512];
    size_t       i;
    PGresult    *res;
    const char  *p[11];

    snprintf(top, sizeof(top), "%zu", r->top);

    p[0] = ATTCK_REPORT_KIND;
    p[4] = bytes;
    p[5] = r->since;
    p[6] = r->until;
    p[7] = r->source;
    p[8] = r->domain;
    p[9] = r->release;
    p[10] = top;

    if (attck_db_exec(db, "BEGIN", err, sizeof(err)) != 0) {
        goto failed;
    }

    for (i = 0; i < n; i++) {
        snprintf(bytes, sizeof(bytes), "%zu", files[i].data.len);
        p[1] = files[i].format->name;
        p[2] = files[i].path;
        p[3] = files[i].sha256;

        res = attck_db_run(db, attck_report_insert_sql, 11, p, err,
                           sizeof(err));

        if (res == NULL) {
            goto failed;
        }

        PQclear(res);
    }

    if (attck_db_exec(db, "COMMIT", err, sizeof(err)) == 0) {
        return;
    }

    if (attck_db_lost(db)) {
        attck_fatal(ATTCK_EXIT_TEMPFAIL, "report: the database went away at "
                    "COMMIT, the reports may not be recorded (their files "
                    "stay): %s", err);
    }

failed:

    rc = attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_SOFTWARE;
    attck_report_unwind(files, n);
    attck_fatal(rc, "report: cannot record the reports: %s", err);
}


/*
 * The name of path when it is a file of format f right in dir, named as
 * this stage names them; else NULL: nothing else is ever removed
 */

static const char *
attck_report_name(const char *dir, size_t len, const char *path,
    const attck_report_format_t *f)
{
    const char  *name, *p;

    static const char  digits[] = "0123456789";

    if (strncmp(path, dir, len) != 0 || path[len] != '/') {
        return NULL;
    }

    name = path + len + 1;

    if (strncmp(name, ATTCK_REPORT_KIND "-", sizeof(ATTCK_REPORT_KIND)) != 0)
    {
        return NULL;
    }

    /* 20250131T120000Z, then the extension: each test stops at a NUL */

    p = name + sizeof(ATTCK_REPORT_KIND);

    if (strspn(p, digits) != 8 || p[8] != 'T'
        || strspn(p + 9, digits) != 6 || p[15] != 'Z' || p[16] != '.'
        || strcmp(p + 17, f->ext) != 0)
    {
        return NULL;
    }

    return name;
}


/*
 * Keeps the newest keep files of format f in dir that the table knows.
 * The rows of older ones lose their path first, in one statement; then
 * the directory, opened once, loses a file only if it still is what its
 * row recorded: a regular file (not a link) of the recorded size, under
 * a report's name, which no kept row names too.  Anything else found
 * there (a link, another file put in its place) stays, and its row, which
 * no longer describes a file, stays without a path.  The report of this
 * run is recorded by now: a failure here is a warning, not the run's.
 */

static void
attck_report_keep(PGconn *db, int dfd, const char *dir,
    const attck_report_format_t *f, long keep)
{
    int           i;
    char          err[512];
    long          found;
    size_t        len;
    PGresult     *res, *old;
    const char   *p[2], *path, *name;
    attck_buf_t   keep_ids, old_ids, *ids;
    struct stat   st;

    p[0] = ATTCK_REPORT_KIND;
    p[1] = f->name;

    res = attck_db_run(db,
        "SELECT id, path FROM reports"
        " WHERE kind = $1 AND format = $2 AND path IS NOT NULL"
        " ORDER BY created_at DESC, id DESC", 2, p, err, sizeof(err));

    if (res == NULL) {
        attck_log("warn", "report: no retention of %s: %s", f->name, err);
        return;
    }

    memset(&keep_ids, 0, sizeof(attck_buf_t));
    memset(&old_ids, 0, sizeof(attck_buf_t));
    attck_buf_str(&keep_ids, "{");
    attck_buf_str(&old_ids, "{");

    len = strlen(dir);
    found = 0;

    for (i = 0; i < PQntuples(res); i++) {
        if (attck_report_name(dir, len, PQgetvalue(res, i, 1), f) == NULL) {
            continue;
        }

        /* array literals of ids: digits, nothing to quote */

        ids = found++ < keep ? &keep_ids : &old_ids;
        attck_buf_str(ids, ids->len > 1 ? "," : "");
        attck_buf_str(ids, PQgetvalue(res, i, 0));
    }

    PQclear(res);
    attck_buf_str(&keep_ids, "}");
    attck_buf_str(&old_ids, "}");

    if (found <= keep) {
        free(keep_ids.data);
        free(old_ids.data);
        return;
    }

    /* RETURNING gives the new row: o, the same row read before, the old */

    p[0] = old_ids.data;
    p[1] = keep_ids.data;

    old = attck_db_run(db,
        "UPDATE reports r SET path = NULL FROM reports o"
        " WHERE o.id = r.id AND r.id = ANY ($1::bigint[])"
        "   AND r.path IS NOT NULL"
        " RETURNING o.path, o.bytes,"
        "           EXISTS (SELECT 1 FROM reports k"
        "                    WHERE k.id = ANY ($2::bigint[])"
        "                      AND k.path = o.path)",
        2, p, err, sizeof(err));

    free(keep_ids.data);
    free(old_ids.data);

    if (old == NULL) {
        attck_log("warn", "report: no retention of %s: %s", f->name, err);
        return;
    }

    for (i = 0; i < PQntuples(old); i++) {
        path = PQgetvalue(old, i, 0);
        name = attck_report_name(dir, len, path, f);

        if (name == NULL || strcmp(PQgetvalue(old, i, 2), "t") == 0) {
            continue;
        }

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
            if (errno != ENOENT) {
                attck_log("warn", "report: cannot remove %s: %s", path,
                          strerror(errno));
            }

            continue;
        }

        if (!S_ISREG(st.st_mode)
            || (long long) st.st_size != atoll(PQgetvalue(old, i, 1)))
        {
            attck_log("warn", "report: left %s: not the file the reports "
                      "table recorded", path);
            continue;
        }

        if (unlinkat(dfd, name, 0) == -1) {
            attck_log("warn", "report: cannot remove %s: %s", path,
                      strerror(errno));
            continue;
        }

        attck_log("info", "report: removed %s (keeping the %ld newest)",
                  path, keep);
    }

    PQclear(old);
}


static void
attck_report_usage(void)
{
    printf("usage: attck-worker report [--format LIST] [--since PERIOD|DATE]"
           " [--until DATE]\n"
           "         [--source otx|virustotal] [--domain DOMAIN] [--top N]"
           " [--dir DIR]\n\n"
           "the threat-landscape report: which ATT&CK techniques the threat"
           " intelligence\nof a period maps to, written to DIR as "
           "threat-landscape-<time>.<format> and\nrecorded in the reports "
           "table.\n\n"
           "  --format LIST   html pdf csv json navigator, space or comma "
           "separated\n"
           "                  (default $ATTCK_REPORTS_FORMATS, else all)\n"
           "  --since PERIOD  Ns, Nm, Nh, Nd or Nw before --until, or an "
           "ISO 8601 date\n"
           "                  or time (default $ATTCK_REPORTS_PERIOD, else "
           "30d)\n"
           "  --until DATE    end of the period, excluded, after --since "
           "(default now)\n"
           "  --source SRC    only threats of otx or virustotal (default "
           "all)\n"
           "  --domain D      enterprise-attack, mobile-attack or ics-attack"
           "\n"
           "                  (default $ATTCK_REPORTS_DOMAIN, else "
           "enterprise-attack)\n"
           "  --top N         techniques in the top list, 1 to 1000 "
           "(default\n"
           "                  $ATTCK_REPORTS_TOP, else 20)\n"
           "  --dir DIR       where reports go (default $ATTCK_REPORTS_DIR)\n"
           "$ATTCK_REPORTS_KEEP=N keeps the N newest files of each format "
           "in DIR (0: all)\n");
}


int
attck_report_main(int argc, char **argv)
{
    int                      c, dfd;
    long                     keep;
    char                    *dir, stamp[32], err[1024];
    size_t                   i, n;
    time_t                   now, since, until;
    unsigned                 formats;
    PGconn                  *db;
    attck_report_t           r;
    attck_report_file_t      files[ATTCK_REPORT_NFORMATS];
    attck_report_setting_t   s_dir, s_formats, s_since, s_until, s_source,
                             s_domain, s_top, s_keep;
    static struct option     longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "source", required_argument, NULL, 'S' },
        { "domain", required_argument, NULL, 'd' },
        { "top", required_argument, NULL, 't' },
        { "dir", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    attck_report_setting(&s_dir, "ATTCK_REPORTS_DIR");
    attck_report_setting(&s_formats, "ATTCK_REPORTS_FORMATS");
    attck_report_setting(&s_since, "ATTCK_REPORTS_PERIOD");
    attck_report_setting(&s_domain, "ATTCK_REPORTS_DOMAIN");
    attck_report_setting(&s_top, "ATTCK_REPORTS_TOP");
    attck_report_setting(&s_keep, "ATTCK_REPORTS_KEEP");
    s_until.value = NULL;
    s_until.name = "--until";
    s_source.value = NULL;
    s_source.name = "--source";
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":f:s:u:S:d:t:o:h", longopts, NULL))
           != -1)
    {
        switch (c) {
        case 'f':
            s_formats.value = optarg;
            s_formats.name = "--format";
            break;
        case 's':
            s_since.value = optarg;
            s_since.name = "--since";
            break;
        case 'u':
            s_until.value = optarg;
            break;
        case 'S':
            s_source.value = optarg;
            break;
        case 'd':
            s_domain.value = optarg;
            s_domain.name = "--domain";
            break;
        case 't':
            s_top.value = optarg;
            s_top.name = "--top";
            break;
        case 'o':
            s_dir.value = optarg;
            s_dir.name = "--dir";
            break;
        case 'h':
            attck_report_usage();
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("report", c, argv);
        }
    }

    if (optind < argc) {
        attck_fatal(ATTCK_EXIT_USAGE, "report: unexpected argument \"%s\" "
                    "(try --help)", argv[optind]);
    }

    /* every setting is checked before anything is read or written */

    if (s_dir.value == NULL || *s_dir.value == '\0') {
        attck_fatal(ATTCK_EXIT_USAGE, "report: no reports directory: set "
                    "reports.dir, ATTCK_REPORTS_DIR or --dir");
    }

    /* the reports table holds paths as text, which must be UTF-8 */

    if (!attck_text_utf8(s_dir.value, strlen(s_dir.value))) {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s is not valid UTF-8: the "
                    "reports table could not name its files", s_dir.name);
    }

    formats = attck_report_parse_formats(&s_formats);

    memset(&r, 0, sizeof(attck_report_t));
    r.kind = ATTCK_REPORT_KIND;
    r.title = "Threat landscape";
    r.top = s_top.value
            ? (size_t) attck_number("report", s_top.name, s_top.value, 1, 1000)
            : 20;
    keep = s_keep.value
           ? attck_number("report", s_keep.name, s_keep.value, 0, 1000000)
           : 0;
    r.domain = s_domain.value ? s_domain.value : "enterprise-attack";

    if (strcmp(r.domain, "enterprise-attack") != 0
        && strcmp(r.domain, "mobile-attack") != 0
        && strcmp(r.domain, "ics-attack") != 0)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s takes enterprise-attack, "
                    "mobile-attack or ics-attack, not \"%s\"", s_domain.name,
                    r.domain);
    }

    if (s_source.value) {
        if (strcmp(s_source.value, "otx") != 0
            && strcmp(s_source.value, "virustotal") != 0)
        {
            attck_fatal(ATTCK_EXIT_USAGE, "report: --source takes otx or "
                        "virustotal, not \"%s\"", s_source.value);
        }

        r.source = s_source.value;
    }

    /*
     * by default the period ends after the current second: until is
     * excluded, and what was stored in this second (a move map made just
     * before) belongs to it
     */

    now = time(NULL);
    until = now + 1;

    if (s_until.value && attck_report_time(s_until.value, 0, 0, &until) != 0)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "report: --until takes an ISO 8601 "
                    "date or time, not \"%s\"", s_until.value);
    }

    if (attck_report_time(s_since.value ? s_since.value : "30d", until, 1,
                          &since)
        != 0)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s takes a period (30d: Ns, "
                    "Nm, Nh, Nd or Nw) or an ISO 8601 date or time, not "
                    "\"%s\"", s_since.name, s_since.value);
    }

    attck_report_iso(since, r.since, sizeof(r.since));
    attck_report_iso(until, r.until, sizeof(r.until));

    if (since >= until) {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s must be before --until "
                    "(%s is not before %s)", s_since.name, r.since, r.until);
    }

    /* a directory that cannot be made fails before the database works */

    dir = attck_report_mkdir(s_dir.value);

    if (!attck_text_utf8(dir, strlen(dir))) {
        attck_fatal(ATTCK_EXIT_USAGE, "report: %s leads to a directory whose "
                    "path is not valid UTF-8", s_dir.name);
    }

    db = attck_db_connect();

    if (attck_db_stage_lock(db, "report") != 0) {
        PQfinish(db);
        free(dir);
        return ATTCK_EXIT_TEMPFAIL;
    }

    attck_report_load(db, &r);

    now = attck_report_stamp(dir, formats, stamp, sizeof(stamp));
    attck_report_iso(now, r.generated, sizeof(r.generated));

    /* every format in memory first: a failure there leaves no file */

    n = 0;

    for (i = 0; i < ATTCK_REPORT_NFORMATS; i++) {
        if (!(formats & (1u << i))) {
            continue;
        }

        memset(&files[n], 0, sizeof(attck_report_file_t));
        files[n].format = &attck_report_formats[i];
        attck_report_path(files[n].path, dir, stamp, files[n].format);

        if (files[n].format->render(&r, &files[n].data, err, sizeof(err))
            != 0)
        {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "report: %s: %s",
                        files[n].format->name, err);
        }

        attck_sha256_hex(files[n].data.data, files[n].data.len,
                         files[n].sha256);
        n++;
    }

    for (i = 0; i < n; i++) {
        if (attck_write_atomic(files[i].path, files[i].data.data,
                               files[i].data.len, err, sizeof(err))
            != 0)
        {
            attck_report_unwind(files, i);
            attck_fatal(ATTCK_EXIT_CANTCREAT, "report: %s", err);
        }

        attck_log("info", "report: wrote %s (%zu bytes)", files[i].path,
                  files[i].data.len);
    }

    attck_report_record(db, &r, files, n);

    if (keep > 0) {
        dfd = open(dir, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);

        if (dfd == -1) {
            attck_log("warn", "report: no retention: cannot open %s: %s",
                      dir, strerror(errno));

        } else {
            for (i = 0; i < ATTCK_REPORT_NFORMATS; i++) {
                attck_report_keep(db, dfd, dir, &attck_report_formats[i],
                                  keep);
            }

            close(dfd);
        }
    }

    attck_log("info", "report: %s %s..%s%s%s: %ld threats, %ld mapped, "
              "%zu techniques of %s %s; %zu files in %s", r.kind, r.since,
              r.until, r.source ? " source " : "", r.source ? r.source : "",
              r.threats, r.mapped, r.ntechniques, r.domain, r.release, n,
              dir);

    attck_stage_count("report", "threats", NULL, r.threats);
    attck_stage_count("report", "mapped", NULL, r.mapped);
    attck_stage_count("report", "files", NULL, (long long) n);

    PQfinish(db);

    for (i = 0; i < n; i++) {
        free(files[i].data.data);
    }

    attck_report_free(&r);
    free(dir);

    return ATTCK_EXIT_OK;
}


/* what the renderers share */

size_t
attck_report_ntop(const attck_report_t *r)
{
    return r->top < r->ntechniques ? r->top : r->ntechniques;
}


int
attck_report_tactic_next(const attck_report_t *r,
    const attck_report_technique_t *t, size_t *i)
{
    for ( /* void */ ; *i < r->ntactics; (*i)++) {
        if (t->tactics & ((uint64_t) 1 << *i)) {
            return 1;
        }
    }

    return 0;
}


void
attck_report_tactic_list(const attck_report_t *r,
    const attck_report_technique_t *t, const char *sep, attck_buf_t *out)
{
    size_t  i, n;

    /* out's data is set even for a technique in no tactic */

    attck_buf_str(out, "");

    for (i = 0, n = 0; attck_report_tactic_next(r, t, &i); i++) {
        attck_buf_str(out, n++ ? sep : "");
        attck_buf_str(out, r->tactics[i].shortname);
    }
}


long
attck_report_tactic_most(const attck_report_t *r)
{
    long    max;
    size_t  i;

    max = 0;

    for (i = 0; i < r->ntactics; i++) {
        max = r->tactics[i].threats > max ? r->tactics[i].threats : max;
    }

    return max;
}


/*
 * The colour of v on the heat scale of the charts, from near white (0) to
 * dark red (max), by the square root: a few techniques or countries with
 * many threats leave the rest visible.
 */

void
attck_report_heat(long v, long max, double rgb[3])
{
    double  f;

    f = (max > 0 && v > 0) ? sqrt((double) v / max) : 0;
    f = f > 1 ? 1 : f;

    rgb[0] = (0.996 + f * (0.647 - 0.996));
    rgb[1] = (0.961 + f * (0.059 - 0.961));
    rgb[2] = (0.941 + f * (0.082 - 0.941));
}


/* the first: techniques are ranked by their threats */

long
attck_report_technique_most(const attck_report_t *r)
{
    return r->ntechniques ? r->techniques[0].threats : 0;
}


json_t *
attck_report_json_each(const attck_report_t *r,
    json_t *(*build)(const attck_report_t *r,
                     const attck_report_technique_t *t),
    char *err, size_t errlen)
{
    size_t   i;
    json_t  *list, *t;

    list = json_array();

    for (i = 0; i < r->ntechniques; i++) {
        t = build(r, &r->techniques[i]);

        if (t == NULL) {
            json_decref(list);
            snprintf(err, errlen, "technique %s: cannot be built",
                     r->techniques[i].id);
            return NULL;
        }

        json_array_append_new(list, t);
    }

    return list;
}


int
attck_report_json_out(json_t *doc, size_t flags, attck_buf_t *out)
{
    char  *s;

    if (doc == NULL) {
        return -1;
    }

    s = json_dumps(doc, flags);
    json_decref(doc);

    if (s == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    attck_buf_str(out, s);
    attck_buf_str(out, "\n");
    free(s);

    return 0;
}
