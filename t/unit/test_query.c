
/*
 * Unit tests for attck_query.c: domain, tactic and platform names,
 * filtered technique lists with paging, and ranked search.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attck_query.h"


#define EPS  1e-4f

#define ENT  ATTCK_DOMAIN_ENTERPRISE
#define MOB  ATTCK_DOMAIN_MOBILE

/* tactic bits: the view's tactics in order */
#define TA_EXEC_ENT   0x1       /* TA0002 execution, enterprise */
#define TA_PERSIST    0x2       /* TA0003 persistence, enterprise */
#define TA_EXEC_MOB   0x4       /* TA0041 execution, mobile */

/* platform bits */
#define P_WIN         0x1
#define P_LINUX       0x2
#define P_ANDROID     0x4


typedef struct {
    const char  *key;
    const char  *name;
} qdoc_t;


/* doc indexes, as used below */
enum {
    D_T1059 = 0, D_T1059_001, D_T1059_003, D_T1053, D_T1053_005, D_T1547,
    D_T1000, D_T1398, D_TA0002, D_TA0003, D_TA0041, NDOCS
};

static const qdoc_t  qdocs[NDOCS] = {
    { "techniques/T1059", "command and scripting interpreter" },
    { "techniques/T1059.001", "powershell" },
    { "techniques/T1059.003", "windows command shell" },
    { "techniques/T1053", "scheduled task/job" },
    { "techniques/T1053.005", "scheduled task" },
    { "techniques/T1547", "boot or logon autostart execution" },
    { "techniques/T1000", "legacy technique" },
    { "techniques/T1398", "boot or logon initialization scripts" },
    { "tactics/TA0002", "execution" },
    { "tactics/TA0003", "persistence" },
    { "tactics/TA0041", "execution" },
};


/* sorted by id, as the worker writes them */
static const attck_snap_tech_t  qtechs[] = {
    { TA_EXEC_ENT, P_WIN, D_T1000, ENT | ATTCK_TECH_DEPRECATED },
    { TA_EXEC_ENT | TA_PERSIST, P_WIN | P_LINUX, D_T1053, ENT },
    { TA_EXEC_ENT | TA_PERSIST, P_WIN, D_T1053_005, ENT | ATTCK_TECH_SUB },
    { TA_EXEC_ENT, P_WIN | P_LINUX, D_T1059, ENT },
    { TA_EXEC_ENT, P_WIN, D_T1059_001, ENT | ATTCK_TECH_SUB },
    { TA_EXEC_ENT, P_WIN, D_T1059_003, ENT | ATTCK_TECH_SUB },
    { TA_EXEC_MOB, P_ANDROID, D_T1398, MOB },
    { TA_PERSIST, P_WIN | P_LINUX, D_T1547, ENT | ATTCK_TECH_REVOKED },
};

#define NTECHS  (sizeof(qtechs) / sizeof(qtechs[0]))


typedef struct {
    const char  *term;
    uint32_t     n;
    struct {
        uint32_t  doc;
        float     weight;
    } p[4];
} qterm_t;


/* sorted bytewise, shorter first on a common prefix */
static const qterm_t  qterms[] = {
    { "001", 1, { { D_T1059_001, 1.0f } } },
    { "003", 1, { { D_T1059_003, 1.0f } } },
    { "alpha", 1, { { D_T1547, 1.0f } } },
    { "beta", 1, { { D_T1059_003, 1.0f } } },
    { "command", 2, { { D_T1059, 3.0f }, { D_T1059_003, 2.0f } } },
    { "commands", 1, { { D_T1000, 1.0f } } },
    { "ex", 1, { { D_T1000, 1.0f } } },
    { "execution", 3, { { D_T1547, 1.0f }, { D_TA0002, 3.0f },
                        { D_TA0041, 3.0f } } },
    { "interpreter", 1, { { D_T1059, 3.0f } } },
    { "job", 1, { { D_T1053, 2.0f } } },
    { "power", 1, { { D_T1398, 2.0f } } },
    { "powershell", 1, { { D_T1059_001, 2.0f } } },
    { "scheduled", 2, { { D_T1053, 2.0f }, { D_T1053_005, 2.0f } } },
    { "scripting", 1, { { D_T1059, 3.0f } } },
    { "shell", 2, { { D_T1059_001, 0.5f }, { D_T1059_003, 1.0f } } },
    { "t1053", 2, { { D_T1053, 5.0f }, { D_T1053_005, 1.0f } } },
    { "t1053.005", 1, { { D_T1053_005, 5.0f } } },
    { "t1059", 3, { { D_T1059, 5.0f }, { D_T1059_001, 1.0f },
                    { D_T1059_003, 1.0f } } },
    { "t1059.001", 1, { { D_T1059_001, 5.0f } } },
    { "t1059.003", 1, { { D_T1059_003, 5.0f } } },
    { "task", 2, { { D_T1053, 2.0f }, { D_T1053_005, 2.0f } } },
    { "windows", 1, { { D_T1059_003, 2.0f } } },
};

#define NTERMS  (sizeof(qterms) / sizeof(qterms[0]))


static unsigned char            *snap_data;
static attck_snap_t              snap;
static const attck_snap_view_t  *view;


static attck_snap_str_t
wstr(attck_snap_writer_t *w, const char *s)
{
    return attck_snap_writer_str(w, s, strlen(s));
}


static int
term_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int  c;

    c = memcmp(a, b, alen < blen ? alen : blen);

    return c ? c : (alen > blen) - (alen < blen);
}


/* writes a snapshot and opens it; the bytes are malloc()ed into *data */
static void
finish_and_open(attck_snap_writer_t *w, unsigned char **data,
    attck_snap_t *s)
{
    int          rc;
    char         err[256];
    size_t       size;
    const void  *out;

    rc = attck_snap_writer_finish(w, "{}", 2, 0, &out, &size);
    assert_int_equal(rc, 0);

    *data = malloc(size);
    assert_non_null(*data);
    memcpy(*data, out, size);

    rc = attck_snap_open(s, *data, size, 0, err, sizeof(err));

    if (rc != 0) {
        print_error("attck_snap_open: %s\n", err);
    }

    assert_int_equal(rc, 0);
}


static int
setup(void **state)
{
    int                   rc;
    char                  body[128];
    uint32_t              i, k, np;
    attck_snap_doc_t      docs[NDOCS];
    attck_snap_str_t      platforms[3];
    attck_snap_term_t     terms[NTERMS];
    attck_snap_tactic_t   tactics[3];
    attck_snap_writer_t  *w;
    attck_snap_posting_t  postings[NTERMS * 4];

    for (i = 1; i < NTERMS; i++) {
        if (term_cmp(qterms[i - 1].term, strlen(qterms[i - 1].term),
                     qterms[i].term, strlen(qterms[i].term)) >= 0)
        {
            print_error("fixture terms not sorted at \"%s\"\n",
                        qterms[i].term);
            return -1;
        }
    }

    w = attck_snap_writer_create();
    if (w == NULL) {
        return -1;
    }

    for (i = 0; i < NDOCS; i++) {
        snprintf(body, sizeof(body), "{\"doc\":%u}", i);
        docs[i].key = wstr(w, qdocs[i].key);
        docs[i].body = wstr(w, body);
        docs[i].summary = wstr(w, body);
        docs[i].etag = wstr(w, "\"x\"");
        docs[i].name = wstr(w, qdocs[i].name);
    }

    tactics[0].id = wstr(w, "TA0002");
    tactics[0].shortname = wstr(w, "execution");
    tactics[0].domains = ENT;
    tactics[0].doc = D_TA0002;
    tactics[1].id = wstr(w, "TA0003");
    tactics[1].shortname = wstr(w, "persistence");
    tactics[1].domains = ENT;
    tactics[1].doc = D_TA0003;
    tactics[2].id = wstr(w, "TA0041");
    tactics[2].shortname = wstr(w, "execution");
    tactics[2].domains = MOB;
    tactics[2].doc = D_TA0041;

    platforms[0] = wstr(w, "Windows");
    platforms[1] = wstr(w, "Linux");
    platforms[2] = wstr(w, "Android");

    np = 0;

    for (i = 0; i < NTERMS; i++) {
        terms[i].term = wstr(w, qterms[i].term);
        terms[i].postings = np;
        terms[i].npostings = qterms[i].n;

        for (k = 0; k < qterms[i].n; k++) {
            postings[np].doc = qterms[i].p[k].doc;
            postings[np].weight = qterms[i].p[k].weight;
            np++;
        }
    }

    rc = attck_snap_writer_view(w, "latest", docs, NDOCS, qtechs, NTECHS,
                                tactics, 3, platforms, 3, terms, NTERMS,
                                postings, np);
    if (rc != 0) {
        attck_snap_writer_destroy(w);
        return -1;
    }

    finish_and_open(w, &snap_data, &snap);
    attck_snap_writer_destroy(w);

    view = attck_snap_view(&snap, "latest", 6);

    return view ? 0 : -1;
}


static int
teardown(void **state)
{
    free(snap_data);
    return 0;
}


/* domain, tactic, platform names */

static uint32_t
domain(const char *s)
{
    return attck_query_domain(s, strlen(s));
}


static uint64_t
tactic(const char *s)
{
    return attck_query_tactic(&snap, view, s, strlen(s));
}


static uint64_t
platform(const char *s)
{
    return attck_query_platform(&snap, view, s, strlen(s));
}


static void
test_domain(void **state)
{
    assert_int_equal(domain("enterprise"), ATTCK_DOMAIN_ENTERPRISE);
    assert_int_equal(domain("enterprise-attack"), ATTCK_DOMAIN_ENTERPRISE);
    assert_int_equal(domain("Enterprise-ATTACK"), ATTCK_DOMAIN_ENTERPRISE);
    assert_int_equal(domain("mobile"), ATTCK_DOMAIN_MOBILE);
    assert_int_equal(domain("MOBILE-attack"), ATTCK_DOMAIN_MOBILE);
    assert_int_equal(domain("ics"), ATTCK_DOMAIN_ICS);
    assert_int_equal(domain("ICS-Attack"), ATTCK_DOMAIN_ICS);

    assert_int_equal(domain(""), 0);
    assert_int_equal(domain("ic"), 0);
    assert_int_equal(domain("icss"), 0);
    assert_int_equal(domain("enterprise-"), 0);
    assert_int_equal(domain("enterprise-attackx"), 0);
    assert_int_equal(domain("mobile attack"), 0);
    assert_int_equal(domain("all"), 0);

    /* len is honoured */
    assert_int_equal(attck_query_domain("icsx", 3), ATTCK_DOMAIN_ICS);
    assert_int_equal(attck_query_domain("mobile", 5), 0);
}


static void
test_tactic(void **state)
{
    assert_int_equal(tactic("TA0002"), TA_EXEC_ENT);
    assert_int_equal(tactic("ta0002"), TA_EXEC_ENT);
    assert_int_equal(tactic("TA0003"), TA_PERSIST);
    assert_int_equal(tactic("TA0041"), TA_EXEC_MOB);

    /* a shortname names that tactic in every domain */
    assert_int_equal(tactic("execution"), TA_EXEC_ENT | TA_EXEC_MOB);
    assert_int_equal(tactic("Execution"), TA_EXEC_ENT | TA_EXEC_MOB);
    assert_int_equal(tactic("EXECUTION"), TA_EXEC_ENT | TA_EXEC_MOB);
    assert_int_equal(tactic("persistence"), TA_PERSIST);
    assert_int_equal(tactic("PERSISTENCE"), TA_PERSIST);

    assert_int_equal(tactic(""), 0);
    assert_int_equal(tactic("exec"), 0);
    assert_int_equal(tactic("executions"), 0);
    assert_int_equal(tactic("TA000"), 0);
    assert_int_equal(tactic("TA00021"), 0);
    assert_int_equal(tactic("TA0001"), 0);
    assert_int_equal(tactic("Execution "), 0);

    assert_int_equal(attck_query_tactic(&snap, view, "TA0003x", 6),
                     TA_PERSIST);
}


static void
test_platform(void **state)
{
    assert_int_equal(platform("Windows"), P_WIN);
    assert_int_equal(platform("windows"), P_WIN);
    assert_int_equal(platform("LINUX"), P_LINUX);
    assert_int_equal(platform("android"), P_ANDROID);

    assert_int_equal(platform(""), 0);
    assert_int_equal(platform("win"), 0);
    assert_int_equal(platform("windowss"), 0);
    assert_int_equal(platform("macOS"), 0);

    assert_int_equal(attck_query_platform(&snap, view, "linux!", 5),
                     P_LINUX);
}


/* technique lists */

#define OUT_MAX   16
#define SENTINEL  0xdeadbeefu


static void
check_techs_page(const attck_tech_filter_t *f, uint32_t offset,
    uint32_t limit, uint32_t total, const uint32_t *expect, uint32_t n)
{
    uint32_t  i, got, nout, out[OUT_MAX + 1];

    for (i = 0; i <= OUT_MAX; i++) {
        out[i] = SENTINEL;
    }

    nout = SENTINEL;
    got = attck_query_techniques(&snap, view, f, offset, limit, out, &nout);

    if (got != total || nout != n
        || (n && memcmp(out, expect, n * sizeof(uint32_t)) != 0))
    {
        print_error("techniques offset %u limit %u: total %u (want %u), "
                    "docs", offset, limit, got, total);
        for (i = 0; i < nout && i < OUT_MAX; i++) {
            print_error(" %u", out[i]);
        }
        print_error(" (want");
        for (i = 0; i < n; i++) {
            print_error(" %u", expect[i]);
        }
        print_error(")\n");
    }

    assert_int_equal(got, total);
    assert_int_equal(nout, n);

    for (i = 0; i < n; i++) {
        assert_int_equal(out[i], expect[i]);
    }

    /* nothing written past the page */
    for (i = n; i <= OUT_MAX; i++) {
        assert_int_equal(out[i], SENTINEL);
    }
}


#define check_techs(f, ...)                                                  \
    do {                                                                     \
        const uint32_t expect_[] = { __VA_ARGS__ };                          \
        uint32_t n_ = sizeof(expect_) / sizeof(expect_[0]);                  \
        check_techs_page(f, 0, OUT_MAX, n_, expect_, n_);                    \
    } while (0)

#define check_no_techs(f)                                                    \
    check_techs_page(f, 0, OUT_MAX, 0, NULL, 0)


static void
test_techniques_default(void **state)
{
    attck_tech_filter_t  f;

    /* no filter: techniques only, neither revoked nor deprecated */
    memset(&f, 0, sizeof(f));
    check_techs(&f, D_T1053, D_T1059, D_T1398);

    f.subtechniques = 1;
    check_techs(&f, D_T1053, D_T1053_005, D_T1059, D_T1059_001, D_T1059_003,
                D_T1398);

    f.subtechniques = 0;
    f.include_revoked = 1;
    check_techs(&f, D_T1000, D_T1053, D_T1059, D_T1398, D_T1547);

    f.subtechniques = 1;
    check_techs(&f, D_T1000, D_T1053, D_T1053_005, D_T1059, D_T1059_001,
                D_T1059_003, D_T1398, D_T1547);
}


static void
test_techniques_domain(void **state)
{
    attck_tech_filter_t  f;

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;

    f.domains = ENT;
    check_techs(&f, D_T1053, D_T1053_005, D_T1059, D_T1059_001, D_T1059_003);

    f.domains = MOB;
    check_techs(&f, D_T1398);

    f.domains = ATTCK_DOMAIN_ICS;
    check_no_techs(&f);

    f.domains = ENT | MOB;
    f.subtechniques = 0;
    check_techs(&f, D_T1053, D_T1059, D_T1398);

    f.domains = domain("enterprise-attack");
    f.include_revoked = 1;
    check_techs(&f, D_T1000, D_T1053, D_T1059, D_T1547);
}


static void
test_techniques_tactic(void **state)
{
    attck_tech_filter_t  f;

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;

    f.tactics = tactic("execution");
    check_techs(&f, D_T1053, D_T1053_005, D_T1059, D_T1059_001, D_T1059_003,
                D_T1398);

    f.tactics = tactic("TA0002");
    check_techs(&f, D_T1053, D_T1053_005, D_T1059, D_T1059_001, D_T1059_003);

    f.tactics = tactic("persistence");
    check_techs(&f, D_T1053, D_T1053_005);

    f.include_revoked = 1;
    check_techs(&f, D_T1053, D_T1053_005, D_T1547);

    f.tactics = tactic("TA0041");
    check_techs(&f, D_T1398);

    /* a bit no technique has */
    f.tactics = (uint64_t) 1 << 40;
    check_no_techs(&f);
}


static void
test_techniques_platform(void **state)
{
    attck_tech_filter_t  f;

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;

    f.platforms = platform("linux");
    check_techs(&f, D_T1053, D_T1059);

    f.include_revoked = 1;
    check_techs(&f, D_T1053, D_T1059, D_T1547);

    f.include_revoked = 0;
    f.platforms = platform("android");
    check_techs(&f, D_T1398);

    f.platforms = platform("windows");
    f.subtechniques = 0;
    check_techs(&f, D_T1053, D_T1059);

    /* any of several platforms */
    f.platforms = P_LINUX | P_ANDROID;
    check_techs(&f, D_T1053, D_T1059, D_T1398);
}


static void
test_techniques_combined(void **state)
{
    attck_tech_filter_t  f;

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;

    f.tactics = tactic("persistence");
    f.platforms = platform("linux");
    check_techs(&f, D_T1053);

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;
    f.domains = ENT;
    f.tactics = tactic("execution");
    f.platforms = platform("windows");
    check_techs(&f, D_T1053, D_T1053_005, D_T1059, D_T1059_001, D_T1059_003);

    f.subtechniques = 0;
    check_techs(&f, D_T1053, D_T1059);

    f.include_revoked = 1;
    check_techs(&f, D_T1000, D_T1053, D_T1059);

    /* filters that exclude each other */
    memset(&f, 0, sizeof(f));
    f.domains = MOB;
    f.platforms = platform("windows");
    check_no_techs(&f);

    memset(&f, 0, sizeof(f));
    f.domains = ENT;
    f.tactics = tactic("TA0041");
    check_no_techs(&f);

    memset(&f, 0, sizeof(f));
    f.tactics = tactic("execution");
    f.platforms = platform("android");
    check_techs(&f, D_T1398);
}


static void
test_techniques_paging(void **state)
{
    attck_tech_filter_t  f;
    const uint32_t       all[] = { D_T1053, D_T1053_005, D_T1059,
                                   D_T1059_001, D_T1059_003, D_T1398 };

    memset(&f, 0, sizeof(f));
    f.subtechniques = 1;

    check_techs_page(&f, 0, 2, 6, all, 2);
    check_techs_page(&f, 2, 2, 6, all + 2, 2);
    check_techs_page(&f, 4, 2, 6, all + 4, 2);
    check_techs_page(&f, 5, 10, 6, all + 5, 1);
    check_techs_page(&f, 1, 4, 6, all + 1, 4);
    check_techs_page(&f, 0, 6, 6, all, 6);
    check_techs_page(&f, 0, 1, 6, all, 1);

    /* past the end, or no room: nothing written, the total still right */
    check_techs_page(&f, 6, 5, 6, NULL, 0);
    check_techs_page(&f, 100, 5, 6, NULL, 0);
    check_techs_page(&f, UINT32_MAX, 5, 6, NULL, 0);
    check_techs_page(&f, 0, 0, 6, NULL, 0);
    check_techs_page(&f, 3, 0, 6, NULL, 0);
}


/* search */

#define HITS_MAX  32


typedef struct {
    uint32_t     n;
    uint32_t     total;
    attck_hit_t  hits[HITS_MAX + 1];
} result_t;


static void
search_in(const attck_snap_t *s, const attck_snap_view_t *v, const char *q,
    size_t qlen, uint32_t max, result_t *r)
{
    uint8_t   *seen;
    uint32_t   i;
    float     *scores;
    uint32_t  *touched;

    assert_true(max <= HITS_MAX);

    scores = calloc(v->ndocs, sizeof(float));
    touched = calloc(v->ndocs, sizeof(uint32_t));
    seen = calloc(v->ndocs, 1);
    assert_non_null(scores);
    assert_non_null(touched);
    assert_non_null(seen);

    for (i = 0; i <= HITS_MAX; i++) {
        r->hits[i].doc = SENTINEL;
        r->hits[i].score = -1.0f;
    }

    r->total = SENTINEL;
    r->n = attck_query_search(s, v, q, qlen, scores, touched, seen, r->hits,
                              max, &r->total);

    free(scores);
    free(touched);
    free(seen);

    assert_true(r->n <= max);
    assert_true(r->n <= r->total);

    /* nothing written past max */
    for (i = max; i <= HITS_MAX; i++) {
        assert_int_equal(r->hits[i].doc, SENTINEL);
    }

    /* best first, each doc once */
    for (i = 1; i < r->n; i++) {
        assert_true(r->hits[i - 1].score >= r->hits[i].score);
    }

    for (i = 0; i < r->n; i++) {
        uint32_t  k;

        assert_true(r->hits[i].doc < v->ndocs);

        for (k = 0; k < i; k++) {
            assert_int_not_equal(r->hits[k].doc, r->hits[i].doc);
        }
    }
}


static void
search(const char *q, uint32_t max, result_t *r)
{
    search_in(&snap, view, q, strlen(q), max, r);
}


static void
print_result(const char *q, const result_t *r)
{
    uint32_t  i;

    print_error("search \"%s\": n %u total %u:", q, r->n, r->total);

    for (i = 0; i < r->n; i++) {
        print_error(" %u=%.4f", r->hits[i].doc, (double) r->hits[i].score);
    }

    print_error("\n");
}


typedef struct {
    uint32_t  doc;
    float     score;
} want_t;


/* the exact ranked list and total */
static void
check_search_max(const char *q, uint32_t max, uint32_t total,
    const want_t *want, uint32_t n)
{
    int       bad;
    uint32_t  i;
    result_t  r;

    search(q, max, &r);

    bad = r.n != n || r.total != total;

    for (i = 0; !bad && i < n; i++) {
        bad = r.hits[i].doc != want[i].doc
              || r.hits[i].score < want[i].score - EPS
              || r.hits[i].score > want[i].score + EPS;
    }

    if (bad) {
        print_result(q, &r);
    }

    assert_int_equal(r.total, total);
    assert_int_equal(r.n, n);

    for (i = 0; i < n; i++) {
        assert_int_equal(r.hits[i].doc, want[i].doc);
        assert_float_equal(r.hits[i].score, want[i].score, EPS);
    }
}


#define check_search(q, ...)                                                 \
    do {                                                                     \
        const want_t want_[] = { __VA_ARGS__ };                              \
        uint32_t n_ = sizeof(want_) / sizeof(want_[0]);                      \
        check_search_max(q, HITS_MAX, n_, want_, n_);                        \
    } while (0)

#define check_no_hits(q)  check_search_max(q, HITS_MAX, 0, NULL, 0)


/* the score a prefix expansion gets: weight * 0.4 * len / term len */
#define PFX(w, qlen, tlen)  ((w) * 0.4f * (qlen) / (tlen))


static void
test_search_exact_term(void **state)
{
    check_search("interpreter", { D_T1059, 3.0f });
    check_search("Windows", { D_T1059_003, 2.0f });
    check_search("job", { D_T1053, 2.0f });
    check_search("shell", { D_T1059_003, 1.0f }, { D_T1059_001, 0.5f });
}


static void
test_search_exact_beats_prefix(void **state)
{
    /* "power" is exact for T1398 and a prefix of T1059.001's "powershell",
     * both with weight 2 */
    check_search("power", { D_T1398, 2.0f },
                 { D_T1059_001, PFX(2.0f, 5, 10) });

    /* the longer exact term still scores in full */
    check_search("powershell", { D_T1059_001, 2.0f + 100.0f });

    check_search("command", { D_T1059, 3.0f }, { D_T1059_003, 2.0f },
                 { D_T1000, PFX(1.0f, 7, 8) });
}


static void
test_search_prefix(void **state)
{
    /* three bytes or more expand to the terms they begin */
    check_search("pow", { D_T1398, PFX(2.0f, 3, 5) },
                 { D_T1059_001, PFX(2.0f, 3, 10) });

    check_search("sch", { D_T1053, PFX(2.0f, 3, 9) },
                 { D_T1053_005, PFX(2.0f, 3, 9) });

    check_search("interp", { D_T1059, PFX(3.0f, 6, 11) });

    /* "exe": no exact term; "ex" sorts before it and is not included */
    check_search("exe", { D_TA0002, PFX(3.0f, 3, 9) },
                 { D_TA0041, PFX(3.0f, 3, 9) },
                 { D_T1547, PFX(1.0f, 3, 9) });

    /* two bytes: exact terms only */
    check_search("ex", { D_T1000, 1.0f });
    check_no_hits("po");
    check_no_hits("sc");

    /* no term begins with these */
    check_no_hits("zzz");
    check_no_hits("powershells");
    check_no_hits("aaa");
    check_no_hits("zebra");
}


static void
test_search_compound(void **state)
{
    /*
     * "t1059" is exact for three docs and a prefix of two compounds; the
     * doc whose id is the whole query gets the bonus
     */
    check_search("T1059",
                 { D_T1059, 5.0f + 100.0f },
                 { D_T1059_001, 1.0f + PFX(5.0f, 5, 9) },
                 { D_T1059_003, 1.0f + PFX(5.0f, 5, 9) });

    /* "T1059.001" -> t1059, 001, t1059.001 */
    check_search("T1059.001",
                 { D_T1059_001, 1.0f + PFX(5.0f, 5, 9) + 1.0f + 5.0f + 100.0f },
                 { D_T1059, 5.0f },
                 { D_T1059_003, 1.0f + PFX(5.0f, 5, 9) });
}


static void
test_search_name_bonus(void **state)
{
    /* the whole query equal to the doc's name puts it first */
    check_search("Scheduled Task", { D_T1053_005, 4.0f + 100.0f },
                 { D_T1053, 4.0f });

    /* normalised: case and white space do not matter */
    check_search("  SCHEDULED \t task  ", { D_T1053_005, 4.0f + 100.0f },
                 { D_T1053, 4.0f });

    /* the name as it is, punctuation included */
    check_search("scheduled task/job", { D_T1053, 6.0f + 100.0f },
                 { D_T1053_005, 4.0f });

    /* not the whole name: no bonus */
    check_search("scheduled task job", { D_T1053, 6.0f },
                 { D_T1053_005, 4.0f });

    /* two docs named "execution" */
    check_search("Execution", { D_TA0002, 103.0f }, { D_TA0041, 103.0f },
                 { D_T1547, 1.0f });

    /* the bonus beats a far higher plain score */
    check_search("windows command shell",
                 { D_T1059_003, 2.0f + 2.0f + 1.0f + 100.0f },
                 { D_T1059, 3.0f },
                 { D_T1059_001, 0.5f },
                 { D_T1000, PFX(1.0f, 7, 8) });
}


static void
test_search_duplicate_terms(void **state)
{
    check_search("task task TASK", { D_T1053, 2.0f }, { D_T1053_005, 2.0f });
    check_search("t1053 T1053 t1053",
                 { D_T1053, 5.0f },
                 { D_T1053_005, 1.0f + PFX(5.0f, 5, 9) });
    check_search("power power", { D_T1398, 2.0f },
                 { D_T1059_001, PFX(2.0f, 5, 10) });

    /* a duplicate reached through a compound counts once as well */
    check_search("cmd t1059.001 t1059",
                 { D_T1059_001, 1.0f + PFX(5.0f, 5, 9) + 1.0f + 5.0f },
                 { D_T1059, 5.0f },
                 { D_T1059_003, 1.0f + PFX(5.0f, 5, 9) });
}


static void
test_search_total_and_max(void **state)
{
    result_t       r;
    const want_t   top2[] = {
        { D_T1059, 5.0f + 100.0f },
        { D_T1059_001, 1.0f + PFX(5.0f, 5, 9) },
    };

    /* total counts every matching doc, max limits the hits */
    check_search_max("t1059", 2, 3, top2, 2);
    check_search_max("t1059", 1, 3, top2, 1);
    check_search_max("t1059", 0, 3, NULL, 0);

    /* many terms: every doc once, best first, total = distinct docs */
    search("t1059 task command execution shell windows job power", HITS_MAX,
           &r);
    assert_int_equal(r.total, 10);
    assert_int_equal(r.n, 10);

    search("t1059 task command execution shell windows job power", 4, &r);
    assert_int_equal(r.total, 10);
    assert_int_equal(r.n, 4);
    /* the best four of the ten */
    assert_int_equal(r.hits[0].doc, D_T1059);             /* 5 + 3 = 8 */
    assert_float_equal(r.hits[0].score, 8.0f, EPS);
    assert_int_equal(r.hits[1].doc, D_T1059_003);
    assert_float_equal(r.hits[1].score,
                       1.0f + PFX(5.0f, 5, 9) + 2.0f + 1.0f + 2.0f, EPS);
    assert_int_equal(r.hits[2].doc, D_T1053);             /* 2 + 2 = 4 */
    assert_float_equal(r.hits[2].score, 4.0f, EPS);
    assert_int_equal(r.hits[3].doc, D_T1059_001);   /* just above TA0002 */
    assert_float_equal(r.hits[3].score,
                       1.0f + PFX(5.0f, 5, 9) + 0.5f + PFX(2.0f, 5, 10), EPS);
}


static void
test_search_ties_by_doc(void **state)
{
    const want_t  both[] = { { D_T1059_003, 1.0f }, { D_T1547, 1.0f } };

    /*
     * "alpha" finds doc 5, "beta" doc 2, both with 1.0.  Equal scores are
     * in doc order, whatever the order the docs were reached in, and
     * whatever max is: the best hit for max=1 is the first for max=2.
     */
    check_search_max("alpha beta", 2, 2, both, 2);
    check_search_max("beta alpha", 2, 2, both, 2);
    check_search_max("beta alpha", 1, 2, both, 1);
    check_search_max("alpha beta", 1, 2, both, 1);
}


static void
test_search_empty(void **state)
{
    result_t  r;

    check_no_hits("");
    check_no_hits("   ");
    check_no_hits("!!! ... --- /");
    check_no_hits("a b c");

    /* qlen 0 with text behind it */
    search_in(&snap, view, "task", 0, HITS_MAX, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.total, 0);

    /* qlen is honoured */
    search_in(&snap, view, "jobxyz", 3, HITS_MAX, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.total, 1);
    assert_int_equal(r.hits[0].doc, D_T1053);
}


static void
test_search_scores_scratch(void **state)
{
    uint32_t     i, n, total;
    float        scores[NDOCS];
    uint8_t      seen[NDOCS];
    uint32_t     touched[NDOCS];
    attck_hit_t  hits[NDOCS];

    /* the scratch holds the raw scores, without the name bonus */

    memset(scores, 0, sizeof(scores));
    memset(seen, 0, sizeof(seen));
    n = attck_query_search(&snap, view, "scheduled task", 14, scores, touched,
                           seen, hits, NDOCS, &total);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);

    for (i = 0; i < NDOCS; i++) {
        if (i == D_T1053 || i == D_T1053_005) {
            assert_float_equal(scores[i], 4.0f, EPS);

        } else {
            assert_true(scores[i] == 0.0f);
        }
    }

    assert_true((touched[0] == D_T1053 && touched[1] == D_T1053_005)
                || (touched[0] == D_T1053_005 && touched[1] == D_T1053));
}


/* prefix expansion is bounded */

static void
build_prefix_view(attck_snap_writer_t *w, const char *name, uint32_t nterms,
    int exact)
{
    int                    rc;
    char                   s[32];
    uint32_t               i, ndocs, t;
    attck_snap_doc_t      *docs;
    attck_snap_term_t     *terms;
    attck_snap_posting_t  *postings;

    /* terms "abc000" .. one doc each, and "abc" itself if exact */

    ndocs = nterms + 1;
    docs = calloc(ndocs, sizeof(attck_snap_doc_t));
    terms = calloc(nterms + 1, sizeof(attck_snap_term_t));
    postings = calloc(nterms + 1, sizeof(attck_snap_posting_t));
    assert_non_null(docs);
    assert_non_null(terms);
    assert_non_null(postings);

    for (i = 0; i < ndocs; i++) {
        snprintf(s, sizeof(s), "d/%u", i);
        docs[i].key = wstr(w, s);
        docs[i].body = wstr(w, s);
        docs[i].summary = wstr(w, "{}");      /* a JSON object */
        docs[i].etag = wstr(w, "\"e\"");      /* a quoted entity tag */
        docs[i].name = wstr(w, s);
    }

    t = 0;

    if (exact) {
        terms[t].term = wstr(w, "abc");
        terms[t].postings = t;
        terms[t].npostings = 1;
        postings[t].doc = nterms;       /* the last doc */
        postings[t].weight = 1.0f;
        t++;
    }

    for (i = 0; i < nterms; i++, t++) {
        snprintf(s, sizeof(s), "abc%03u", i);
        terms[t].term = wstr(w, s);
        terms[t].postings = t;
        terms[t].npostings = 1;
        postings[t].doc = i;
        postings[t].weight = 1.0f;
    }

    rc = attck_snap_writer_view(w, name, docs, ndocs, NULL, 0, NULL, 0,
                                NULL, 0, terms, t, postings, t);
    assert_int_equal(rc, 0);

    free(docs);
    free(terms);
    free(postings);
}


/*
 * Every posting of many terms on one doc, at the smallest weight the
 * reader accepts: the doc is touched once, however its scores add up.
 */
static void
test_search_min_weight_touched_once(void **state)
{
    char                   s[16];
    uint32_t               i, n;
    result_t               r;
    attck_snap_t           snap;
    unsigned char         *data;
    attck_snap_doc_t       doc;
    attck_snap_term_t      terms[40];
    attck_snap_posting_t   postings[40];
    attck_snap_writer_t   *w;

    w = attck_snap_writer_create();
    assert_non_null(w);
    memset(&doc, 0, sizeof(doc));
    doc.key = wstr(w, "d/0");
    doc.body = wstr(w, "d/0");
    doc.summary = wstr(w, "{}");
    doc.etag = wstr(w, "\"e\"");
    doc.name = wstr(w, "d/0");
    n = 40;

    for (i = 0; i < n; i++) {
        snprintf(s, sizeof(s), "abc%03u", i);
        terms[i].term = wstr(w, s);
        terms[i].postings = i;
        terms[i].npostings = 1;
        postings[i].doc = 0;
        postings[i].weight = ATTCK_SNAP_WEIGHT_MIN;
    }

    assert_int_equal(attck_snap_writer_view(w, "tiny", &doc, 1, NULL, 0,
                                            NULL, 0, NULL, 0, terms, n,
                                            postings, n), 0);
    finish_and_open(w, &data, &snap);
    attck_snap_writer_destroy(w);

    search_in(&snap, attck_snap_view(&snap, "tiny", 4),
              "abc abc0 abc00 abc001", 21, HITS_MAX, &r);
    assert_int_equal(r.total, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.hits[0].doc, 0);
    assert_true(r.hits[0].score > 0.0f);

    free(data);
}


static void
test_search_prefix_bounded(void **state)
{
    result_t              r;
    attck_snap_t          s;
    unsigned char        *data;
    attck_snap_writer_t  *w;

    w = attck_snap_writer_create();
    assert_non_null(w);
    build_prefix_view(w, "prefix", ATTCK_QUERY_MAX_PREFIX + 10, 0);
    build_prefix_view(w, "exact", ATTCK_QUERY_MAX_PREFIX + 10, 1);
    finish_and_open(w, &data, &s);
    attck_snap_writer_destroy(w);

    /* the exact term, then at most ATTCK_QUERY_MAX_PREFIX expansions */

    search_in(&s, attck_snap_view(&s, "exact", 5), "abc", 3, HITS_MAX, &r);
    if (r.total != ATTCK_QUERY_MAX_PREFIX + 1) {
        print_result("abc", &r);
    }
    assert_int_equal(r.total, ATTCK_QUERY_MAX_PREFIX + 1);
    assert_int_equal(r.n, HITS_MAX);
    assert_int_equal(r.hits[0].doc, ATTCK_QUERY_MAX_PREFIX + 10);
    assert_float_equal(r.hits[0].score, 1.0f, EPS);

    /* with no exact term, still at most ATTCK_QUERY_MAX_PREFIX */

    search_in(&s, attck_snap_view(&s, "prefix", 6), "abc", 3, HITS_MAX, &r);
    if (r.total != ATTCK_QUERY_MAX_PREFIX) {
        print_result("abc", &r);
    }
    assert_int_equal(r.total, ATTCK_QUERY_MAX_PREFIX);
    assert_int_equal(r.n, HITS_MAX);
    assert_float_equal(r.hits[0].score, PFX(1.0f, 3, 6), EPS);

    /* a longer prefix matching fewer terms finds them all */
    search_in(&s, attck_snap_view(&s, "prefix", 6), "abc07", 5, HITS_MAX,
              &r);
    assert_int_equal(r.total, 4);                   /* abc070 .. abc073 */

    free(data);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_tactic),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_techniques_default),
        cmocka_unit_test(test_techniques_domain),
        cmocka_unit_test(test_techniques_tactic),
        cmocka_unit_test(test_techniques_platform),
        cmocka_unit_test(test_techniques_combined),
        cmocka_unit_test(test_techniques_paging),
        cmocka_unit_test(test_search_exact_term),
        cmocka_unit_test(test_search_exact_beats_prefix),
        cmocka_unit_test(test_search_prefix),
        cmocka_unit_test(test_search_compound),
        cmocka_unit_test(test_search_name_bonus),
        cmocka_unit_test(test_search_duplicate_terms),
        cmocka_unit_test(test_search_total_and_max),
        cmocka_unit_test(test_search_ties_by_doc),
        cmocka_unit_test(test_search_empty),
        cmocka_unit_test(test_search_scores_scratch),
        cmocka_unit_test(test_search_prefix_bounded),
        cmocka_unit_test(test_search_min_weight_touched_once),
    };

    return cmocka_run_group_tests_name("attck_query", tests, setup, teardown);
}
