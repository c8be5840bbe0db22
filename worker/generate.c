
/*
 * attck-worker generate: a store of synthetic threats, for demos, tests
 * and benchmarks, written through the project's own schema.
 *
 * The text of every threat is real ATT&CK text: one procedure example
 * ("APT29 has used PowerShell to ...") of each technique the threat is
 * made of, so the mapper has something true to find.  Techniques are
 * drawn with power-law popularity (the ones with the most procedure
 * examples first, as in real reporting), sources, types, countries,
 * tags and malware families with skewed weights, dates over a period
 * that grows towards its end.
 *
 * Deterministic: threat i depends only on the seed and i, so the first
 * 1,000 threats of a store of 2,000 are the store of 1,000.  The rows of
 * one seed carry source ids "gen-SEED-I" and replace the rows an earlier
 * run of the same seed wrote, in one transaction.
 */

#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "db.h"
#include "examples.h"
#include "generate.h"
#include "util.h"


#define ATTCK_GEN_FLUSH      (4 * 1024 * 1024)
#define ATTCK_GEN_MAX_TECHS  16


typedef struct {
    char        *text;
    const char  *technique;      /* within the technique table */
} attck_gen_proc_t;


typedef struct {
    char        *id;
    size_t       first;          /* of its procedures, in procs */
    size_t       nprocs;
} attck_gen_tech_t;


typedef struct {
    attck_vec_t  procs;          /* attck_gen_proc_t, grouped by technique */
    attck_vec_t  techs;          /* attck_gen_tech_t, most examples first */
    double      *cumulative;     /* popularity, cumulative, per techs[] */
} attck_gen_pool_t;


/* a weighted choice: name and weight */
typedef struct {
    const char  *name;
    unsigned     weight;
} attck_gen_pick_t;


static const attck_gen_pick_t  attck_gen_types[] = {
    { "malware", 25 }, { "ransomware", 15 }, { "apt", 15 },
    { "phishing", 12 }, { "infostealer", 10 }, { "botnet", 7 },
    { "backdoor", 6 }, { "trojan", 5 }, { "exploit", 3 },
    { "cryptominer", 2 }, { NULL, 0 }
};

static const attck_gen_pick_t  attck_gen_countries[] = {
    { "US", 30 }, { "DE", 9 }, { "GB", 9 }, { "UA", 8 }, { "FR", 6 },
    { "JP", 6 }, { "KR", 6 }, { "IN", 6 }, { "IL", 4 }, { "SA", 4 },
    { "TW", 4 }, { "CA", 4 }, { "AU", 4 }, { "IT", 3 }, { "ES", 3 },
    { "NL", 3 }, { "BR", 3 }, { "PL", 3 }, { "AE", 2 }, { "SG", 2 },
    { "TR", 2 }, { "MX", 2 }, { "VN", 2 }, { "PK", 2 }, { "RU", 2 },
    { "CN", 2 }, { "ZA", 1 }, { "NG", 1 }, { "EG", 1 }, { "AR", 1 },
    { NULL, 0 }
};

static const attck_gen_pick_t  attck_gen_tags[] = {
    { "phishing", 20 }, { "c2", 16 }, { "credential theft", 12 },
    { "loader", 10 }, { "spearphishing", 10 }, { "ransomware", 9 },
    { "supply chain", 6 }, { "lateral movement", 8 }, { "rat", 8 },
    { "powershell", 8 }, { "exfiltration", 7 }, { "cve", 7 },
    { "initial access broker", 4 }, { "living off the land", 5 },
    { "government", 6 }, { "finance", 6 }, { "healthcare", 5 },
    { "energy", 4 }, { "telecommunications", 4 }, { "education", 3 },
    { "manufacturing", 3 }, { "cryptocurrency", 3 }, { "espionage", 6 },
    { "wiper", 2 }, { "botnet", 4 }, { "ddos", 2 }, { "web shell", 4 },
    { "macro", 4 }, { "dll sideloading", 3 }, { "infostealer", 6 },
    { NULL, 0 }
};

static const attck_gen_pick_t  attck_gen_families[] = {
    { "Cobalt Strike", 20 }, { "Emotet", 10 }, { "QakBot", 9 },
    { "IcedID", 7 }, { "AgentTesla", 9 }, { "RedLine", 8 },
    { "LockBit", 8 }, { "BlackCat", 5 }, { "Conti", 4 }, { "Ryuk", 3 },
    { "TrickBot", 5 }, { "Dridex", 3 }, { "PlugX", 5 }, { "ShadowPad", 3 },
    { "njRAT", 4 }, { "AsyncRAT", 6 }, { "Remcos", 6 }, { "Mimikatz", 7 },
    { "Sliver", 4 }, { "BumbleBee", 3 }, { "Raccoon", 3 }, { "Vidar", 4 },
    { "Lumma", 5 }, { "DarkGate", 3 }, { "Akira", 3 }, { NULL, 0 }
};

static const char  *attck_gen_sectors[] = {
    "government agencies", "financial institutions", "hospitals",
    "energy companies", "telecommunication providers", "universities",
    "manufacturers", "retailers", "defence contractors", "NGOs",
    "cryptocurrency exchanges", "law firms", NULL
};


static void attck_gen_collect(const char *text, const char *technique,
    const char *source, const char *kind, void *ctx);
static int attck_gen_cmp_proc(const void *a, const void *b);
static int attck_gen_cmp_tech(const void *a, const void *b);
static void attck_gen_pool(attck_gen_pool_t *pool);
static uint64_t attck_gen_next(uint64_t *s);
static double attck_gen_unit(uint64_t *s);
static const char *attck_gen_pick(const attck_gen_pick_t *p, uint64_t *s);
static size_t attck_gen_technique(attck_gen_pool_t *pool, uint64_t *s);
static void attck_gen_copy_text(attck_buf_t *b, const char *s);
static void attck_gen_copy_array(attck_buf_t *b, const char **v, size_t n);
static void attck_gen_copy_time(attck_buf_t *b, time_t t);
static void attck_gen_threat(attck_gen_pool_t *pool, long seed, long i,
    time_t end, long days, attck_buf_t *rows, attck_buf_t *maps);
static void attck_gen_fail(PGconn *db, const char *err)
    __attribute__((noreturn));
static void attck_gen_flush(PGconn *db, attck_buf_t *b, int last);
static time_t attck_gen_date(const char *text);


static void
attck_gen_collect(const char *text, const char *technique,
    const char *source, const char *kind, void *ctx)
{
    attck_gen_pool_t  *pool = ctx;
    attck_gen_proc_t  *p;

    if (strcmp(kind, "procedure") != 0 || *text == '\0') {
        return;
    }

    p = attck_vec_push(&pool->procs);
    p->text = attck_xstrdup(text);
    p->technique = attck_xstrdup(technique);
}


static int
attck_gen_cmp_proc(const void *a, const void *b)
{
    const attck_gen_proc_t  *x = a, *y = b;
    int                      rc;

    rc = strcmp(x->technique, y->technique);

    return rc ? rc : strcmp(x->text, y->text);
}


/* most procedure examples first, then by id: an order that never ties */

static int
attck_gen_cmp_tech(const void *a, const void *b)
{
    const attck_gen_tech_t  *x = a, *y = b;

    if (x->nprocs != y->nprocs) {
        return x->nprocs > y->nprocs ? -1 : 1;
    }

    return strcmp(x->id, y->id);
}


/*
 * Groups the procedures by technique (sorted, so the bundle's object
 * order does not matter) and gives the technique of rank r the weight
 * 1 / (r + 1)^1.1: a few techniques in most threats, a long tail.
 */

static void
attck_gen_pool(attck_gen_pool_t *pool)
{
    size_t             i;
    double             sum;
    attck_gen_proc_t  *p;
    attck_gen_tech_t  *t;

    qsort(pool->procs.data, pool->procs.n, sizeof(attck_gen_proc_t),
          attck_gen_cmp_proc);

    attck_vec_init(&pool->techs, sizeof(attck_gen_tech_t));
    t = NULL;

    for (i = 0; i < pool->procs.n; i++) {
        p = attck_vec_at(&pool->procs, attck_gen_proc_t, i);

        if (t == NULL || strcmp(t->id, p->technique) != 0) {
            t = attck_vec_push(&pool->techs);
            t->id = (char *) p->technique;
            t->first = i;
            t->nprocs = 0;
        }

        t->nprocs++;
    }

    /* the procedures stay where they are: each technique knows its range */

    qsort(pool->techs.data, pool->techs.n, sizeof(attck_gen_tech_t),
          attck_gen_cmp_tech);

    pool->cumulative = attck_xmalloc(pool->techs.n * sizeof(double));
    sum = 0;

    for (i = 0; i < pool->techs.n; i++) {
        sum += 1.0 / pow((double) (i + 1), 1.1);
        pool->cumulative[i] = sum;
    }

    for (i = 0; i < pool->techs.n; i++) {
        pool->cumulative[i] /= sum;
    }
}


/* splitmix64: small, fast, the same on every machine */

static uint64_t
attck_gen_next(uint64_t *s)
{
    uint64_t  z;

    z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

    return z ^ (z >> 31);
}


/* in [0, 1) */

static double
attck_gen_unit(uint64_t *s)
{
    return (double) (attck_gen_next(s) >> 11) / 9007199254740992.0;
}


static const char *
attck_gen_pick(const attck_gen_pick_t *p, uint64_t *s)
{
    unsigned  total, r;
    size_t    i;

    total = 0;

    for (i = 0; p[i].name; i++) {
        total += p[i].weight;
    }

    r = (unsigned) (attck_gen_next(s) % total);

    for (i = 0; r >= p[i].weight; i++) {
        r -= p[i].weight;
    }

    return p[i].name;
}


static size_t
attck_gen_technique(attck_gen_pool_t *pool, uint64_t *s)
{
    double  u;
    size_t  lo, hi, mid;

    u = attck_gen_unit(s);
    lo = 0;
    hi = pool->techs.n - 1;

    while (lo < hi) {
        mid = (lo + hi) / 2;

        if (pool->cumulative[mid] > u) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return lo;
}


/* a value of COPY's text format: backslash, tab and line ends escaped */

static void
attck_gen_copy_text(attck_buf_t *b, const char *s)
{
    for ( /* void */ ; *s; s++) {
        switch (*s) {
        case '\\':
            attck_buf_str(b, "\\\\");
            break;
        case '\t':
            attck_buf_str(b, "\\t");
            break;
        case '\n':
            attck_buf_str(b, "\\n");
            break;
        case '\r':
            attck_buf_str(b, "\\r");
            break;
        default:
            attck_buf_add(b, s, 1);
        }
    }
}


/* a text[] literal; the names are ours, with no quote or backslash */

static void
attck_gen_copy_array(attck_buf_t *b, const char **v, size_t n)
{
    size_t  i;

    attck_buf_str(b, "{");

    for (i = 0; i < n; i++) {
        attck_buf_printf(b, "%s\"%s\"", i ? "," : "", v[i]);
    }

    attck_buf_str(b, "}");
}


static void
attck_gen_copy_time(attck_buf_t *b, time_t t)
{
    char       text[32];
    struct tm  tm;

    gmtime_r(&t, &tm);
    strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S+00", &tm);
    attck_buf_str(b, text);
}


/*
 * One threat: its row of threat_intelligence_data into rows, and the
 * rows of its techniques (source, source_id, technique, score, method)
 * into maps; either may be NULL.
 */

static void
attck_gen_threat(attck_gen_pool_t *pool, long seed, long i, time_t end,
    long days, attck_buf_t *rows, attck_buf_t *maps)
{
    int                 vt, dup;
    char                source_id[80], hex[SHA256_DIGEST_LENGTH * 2 + 1];
    char                title[256];
    size_t              k, n, j, t, nc, ntag, nfam, nexp;
    double              u;
    time_t              first, last;
    uint64_t            s;
    const char         *type, *family, *countries[3], *tags[4];
    const char         *families[2], *explicit[2], *techs[ATTCK_GEN_MAX_TECHS];
    unsigned            score;
    attck_buf_t         text, h;
    unsigned char       digest[SHA256_DIGEST_LENGTH];
    attck_gen_tech_t   *tech;
    attck_gen_proc_t   *proc;

    s = (uint64_t) seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t) i;
    (void) attck_gen_next(&s);

    vt = attck_gen_unit(&s) < 0.2;
    type = attck_gen_pick(attck_gen_types, &s);
    family = attck_gen_pick(attck_gen_families, &s);

    /* about five techniques: 1 + a Poisson count of mean 4 */

    u = exp(-4.0);
    n = 0;

    for (double p = attck_gen_unit(&s); p > u; p *= attck_gen_unit(&s)) {
        n++;
    }

    n = n + 1 > ATTCK_GEN_MAX_TECHS ? ATTCK_GEN_MAX_TECHS : n + 1;
    n = n > pool->techs.n ? pool->techs.n : n;

    text.data = NULL;
    text.len = 0;
    text.cap = 0;
    k = 0;

    while (k < n) {
        t = attck_gen_technique(pool, &s);
        tech = attck_vec_at(&pool->techs, attck_gen_tech_t, t);

        for (dup = 0, j = 0; j < k; j++) {
            dup |= techs[j] == tech->id;
        }

        if (dup) {
            continue;
        }

        techs[k++] = tech->id;
        proc = attck_vec_at(&pool->procs, attck_gen_proc_t,
                            tech->first + attck_gen_next(&s) % tech->nprocs);

        if (text.len) {
            attck_buf_str(&text, " ");
        }

        attck_buf_str(&text, proc->text);
    }

    nc = attck_gen_unit(&s) < 0.15 ? 0 : 1 + attck_gen_next(&s) % 3;

    for (j = 0; j < nc; j++) {
        countries[j] = attck_gen_pick(attck_gen_countries, &s);

        for (t = 0; t < j; t++) {
            if (countries[t] == countries[j]) {
                nc = j--;
                break;
            }
        }
    }

    ntag = 1 + attck_gen_next(&s) % 4;

    for (j = 0; j < ntag; j++) {
        tags[j] = attck_gen_pick(attck_gen_tags, &s);

        for (t = 0; t < j; t++) {
            if (tags[t] == tags[j]) {
                ntag = j--;
                break;
            }
        }
    }

    nfam = attck_gen_unit(&s) < 0.3 ? 0 : 1;
    families[0] = family;

    if (nfam && attck_gen_unit(&s) < 0.25) {
        families[1] = attck_gen_pick(attck_gen_families, &s);
        nfam += families[1] != family;
    }

    /* more threats towards the end, as a feed subscribed to grows */

    first = end - (time_t) ((double) days * 86400
                            * (1.0 - sqrt(attck_gen_unit(&s))));
    last = first + (time_t) (-log(1.0 - attck_gen_unit(&s)) * 3 * 86400);

    /* past the end: anywhere before it, not all on its last second */

    if (last >= end) {
        last = first + (time_t) ((double) (end - first)
                                 * attck_gen_unit(&s));
    }

    nexp = 0;

    if (!vt && attck_gen_unit(&s) < 0.2) {
        explicit[nexp++] = techs[0];

        if (n > 1 && attck_gen_unit(&s) < 0.5) {
            explicit[nexp++] = techs[1];
        }
    }

    /* the generated rows of one seed are known by their source ids */

    if (vt) {
        snprintf(source_id, sizeof(source_id), "gen-%ld-%ld-%016llx%016llx",
                 seed, i, (unsigned long long) attck_gen_next(&s),
                 (unsigned long long) attck_gen_next(&s));
        snprintf(title, sizeof(title), "%s.%s sample", type, family);

    } else {
        snprintf(source_id, sizeof(source_id), "gen-%ld-%ld", seed, i);
        snprintf(title, sizeof(title), "%s %s activity against %s%s%s",
                 family, type,
                 attck_gen_sectors[attck_gen_next(&s) % 12],
                 nc ? " in " : "", nc ? countries[0] : "");
    }

    score = 1 + attck_gen_next(&s) % 200;

    if (maps) {
        for (j = 0; j < k; j++) {
            for (dup = 0, t = 0; t < nexp; t++) {
                dup |= explicit[t] == techs[j];
            }

            attck_buf_printf(maps, "%s\t%s\t%s\t%.3f\t%s\n",
                             vt ? "virustotal" : "otx", source_id, techs[j],
                             dup ? 1.0 : 0.5 + 0.49 * attck_gen_unit(&s),
                             dup ? "explicit" : "model");
        }
    }

    if (rows == NULL) {
        free(text.data);
        return;
    }

    attck_buf_printf(rows, "%s\t%s\t", vt ? "virustotal" : "otx",
                     source_id);
    attck_gen_copy_text(rows, title);
    attck_buf_str(rows, "\t");
    attck_gen_copy_text(rows, text.data);
    attck_buf_printf(rows, "\t%s\t", type);
    attck_gen_copy_array(rows, countries, nc);
    attck_buf_str(rows, "\t");
    attck_gen_copy_time(rows, first);
    attck_buf_str(rows, "\t");
    attck_gen_copy_time(rows, last);
    attck_buf_str(rows, "\t");
    attck_gen_copy_array(rows, tags, ntag);
    attck_buf_str(rows, "\t");
    attck_gen_copy_array(rows, families, nfam);
    attck_buf_str(rows, "\t");
    attck_gen_copy_array(rows, explicit, nexp);
    attck_buf_printf(rows, "\t%u\t", (unsigned) score);

    /* as ingest has it: the title and the text the mapper reads */

    h.data = NULL;
    h.len = 0;
    h.cap = 0;
    attck_buf_str(&h, title);
    attck_buf_str(&h, "\n");
    attck_buf_str(&h, text.data);
    SHA256((const unsigned char *) h.data, h.len, digest);
    free(h.data);

    for (j = 0; j < SHA256_DIGEST_LENGTH; j++) {
        snprintf(hex + 2 * j, 3, "%02x", digest[j]);
    }

    attck_buf_printf(rows, "%s\n", hex);
    free(text.data);
}


static void
attck_gen_fail(PGconn *db, const char *err)
{
    attck_fatal(attck_db_lost(db) ? ATTCK_EXIT_TEMPFAIL : ATTCK_EXIT_SOFTWARE,
                "generate: %s", err);
}


/* sends what b holds of a COPY; last: the COPY ends */

static void
attck_gen_flush(PGconn *db, attck_buf_t *b, int last)
{
    char  err[512];

    if ((b->len && attck_db_copy_put(db, b->data, b->len, err, sizeof(err))
                   != 0)
        || (last && attck_db_copy_end(db, err, sizeof(err)) != 0))
    {
        attck_gen_fail(db, err);
    }

    b->len = 0;
}


/* YYYY-MM-DD: the end of that day (UTC); -1 if not a date */

static time_t
attck_gen_date(const char *text)
{
    int        n;
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));
    n = 0;

    if (sscanf(text, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &n) != 3
        || n != 10 || text[n] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 1970)
    {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    return timegm(&tm) + 86400;
}


int
attck_generate_main(int argc, char **argv)
{
    int                c, mapped;
    long               seed, count, days, i;
    char               err[512], like[64];
    time_t             end;
    size_t             nsrc, nproc;
    PGconn            *db;
    attck_buf_t        rows, maps;
    attck_bundle_t    *bundles;
    attck_model_t      model;
    attck_gen_pool_t   pool;

    static const struct option  longopts[] = {
        { "seed", required_argument, NULL, 's' },
        { "count", required_argument, NULL, 'n' },
        { "days", required_argument, NULL, 'd' },
        { "end", required_argument, NULL, 'e' },
        { "mapped", no_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    seed = 1;
    count = 1000;
    days = 1095;
    end = (time(NULL) / 86400 + 1) * 86400;
    mapped = 0;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":s:n:d:e:mh", longopts, NULL))
           != -1)
    {
        switch (c) {
        case 's':
            seed = attck_number("generate", "--seed", optarg, 0, 1L << 40);
            break;
        case 'n':
            count = attck_number("generate", "--count", optarg, 1,
                                 100000000);
            break;
        case 'd':
            days = attck_number("generate", "--days", optarg, 1, 36500);
            break;
        case 'e':
            end = attck_gen_date(optarg);

            if (end == -1) {
                attck_fatal(ATTCK_EXIT_USAGE, "generate: --end takes a date "
                            "YYYY-MM-DD, not \"%s\"", optarg);
            }

            break;
        case 'm':
            mapped = 1;
            break;
        case 'h':
            printf("usage: attck-worker generate [--seed N] [--count N] "
                   "[--days N] [--end YYYY-MM-DD]\n"
                   "                            [--mapped] [SOURCE...]\n"
                   "writes COUNT synthetic threats (1000) seen over DAYS "
                   "(1095) up to END (today)\ninto $ATTCK_DATABASE_URL, "
                   "their text drawn from the procedure examples of\n"
                   "SOURCE (ATT&CK bundles; default $ATTCK_SOURCES); "
                   "--mapped also writes their\ntechniques as mappings\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("generate", c, argv);
        }
    }

    memset(&pool, 0, sizeof(pool));
    attck_vec_init(&pool.procs, sizeof(attck_gen_proc_t));

    nsrc = attck_examples_load("generate", argc, argv, &model, &bundles);
    (void) attck_examples_collect(&model, attck_gen_collect, &pool, &nproc);
    attck_examples_unload(&model, bundles, nsrc);

    if (pool.procs.n == 0) {
        attck_fatal(ATTCK_EXIT_DATAERR, "generate: the bundles hold no "
                    "procedure example to write threats from");
    }

    attck_gen_pool(&pool);

    db = attck_db_connect();

    snprintf(like, sizeof(like), "gen-%ld-%%", seed);

    if (attck_db_exec(db, "BEGIN", err, sizeof(err)) != 0) {
        attck_gen_fail(db, err);
    }

    PQclear(attck_db_query(db, "generate", "DELETE FROM "
                           "threat_intelligence_data WHERE source_id LIKE $1",
                           1, (const char *[]) { like }));

    if (attck_db_copy_begin(db, "COPY threat_intelligence_data (source, "
                            "source_id, title, description, threat_type, "
                            "countries, first_seen, last_seen, tags, "
                            "malware_families, attack_ids, indicator_count, "
                            "content_sha256) FROM STDIN", err, sizeof(err))
        != 0)
    {
        attck_gen_fail(db, err);
    }

    memset(&rows, 0, sizeof(rows));
    memset(&maps, 0, sizeof(maps));

    for (i = 0; i < count; i++) {
        attck_gen_threat(&pool, seed, i, end, days, &rows, NULL);

        if (rows.len >= ATTCK_GEN_FLUSH) {
            attck_gen_flush(db, &rows, 0);
        }
    }

    attck_gen_flush(db, &rows, 1);

    /*
     * The mappings need the threats' ids: they go through a table of the
     * transaction, joined on the source ids.  The threats are made again
     * (they are the same: made from the seed) rather than kept in memory.
     */

    if (mapped) {
        if (attck_db_exec(db, "CREATE TEMPORARY TABLE attck_gen_map ("
                          "source text, source_id text, technique_id text, "
                          "score real, method text) ON COMMIT DROP",
                          err, sizeof(err)) != 0
            || attck_db_copy_begin(db, "COPY attck_gen_map FROM STDIN",
                                   err, sizeof(err)) != 0)
        {
            attck_gen_fail(db, err);
        }

        for (i = 0; i < count; i++) {
            attck_gen_threat(&pool, seed, i, end, days, NULL, &maps);

            if (maps.len >= ATTCK_GEN_FLUSH) {
                attck_gen_flush(db, &maps, 0);
            }
        }

        attck_gen_flush(db, &maps, 1);

        if (attck_db_exec(db, "INSERT INTO mapped_threat_data (threat_id, "
                          "technique_id, score, method, model_version, "
                          "content_sha256) SELECT t.id, g.technique_id, "
                          "g.score, g.method, 'synthetic', "
                          "t.content_sha256 FROM attck_gen_map g JOIN "
                          "threat_intelligence_data t USING (source, "
                          "source_id)", err, sizeof(err)) != 0)
        {
            attck_gen_fail(db, err);
        }
    }

    if (attck_db_exec(db, "COMMIT", err, sizeof(err)) != 0) {
        attck_gen_fail(db, err);
    }

    attck_log("info", "generate: %ld synthetic threats (seed %ld) from %zu "
              "procedure examples of %zu techniques%s", count, seed,
              pool.procs.n, pool.techs.n, mapped ? ", mapped" : "");

    PQfinish(db);
    free(rows.data);
    free(maps.data);

    for (i = 0; i < (long) pool.procs.n; i++) {
        attck_gen_proc_t  *p = attck_vec_at(&pool.procs, attck_gen_proc_t, i);

        free(p->text);
        free((char *) p->technique);
    }

    attck_vec_free(&pool.procs);
    attck_vec_free(&pool.techs);
    free(pool.cumulative);

    return ATTCK_EXIT_OK;
}
