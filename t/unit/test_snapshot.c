
/*
 * Unit tests for attck_snapshot.c: the writer, the validating reader and
 * the key hash table.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attck_snapshot.h"


#define CREATED  UINT64_C(1717171717)
#define STATUS   "{\"views\":[\"18.1\",\"16.1\"],\"objects\":5}"
#define HDR      sizeof(attck_snap_header_t)


typedef struct {
    const char  *key;
    const char  *body;
    const char  *summary;
    const char  *etag;
    const char  *name;
} doc_spec_t;


static const doc_spec_t  docs_18[] = {
    { "techniques/T1059",
      "{\"id\":\"T1059\",\"name\":\"Command and Scripting Interpreter\"}",
      "{\"id\":\"T1059\",\"name\":\"Command and Scripting Interpreter\"}",
      "\"t1059-18\"", "command and scripting interpreter" },
    { "techniques/T1059.001",
      "{\"id\":\"T1059.001\",\"name\":\"PowerShell\",\"x\":\"\xc3\xa9\"}",
      "{\"id\":\"T1059.001\"}", "\"t1059.001-18\"", "powershell" },
    { "tactics/TA0002", "{\"id\":\"TA0002\",\"name\":\"Execution\"}",
      "{\"id\":\"TA0002\"}", "\"ta0002-18\"", "execution" },
    { "tactics/TA0003", "{\"id\":\"TA0003\",\"name\":\"Persistence\"}",
      "{\"id\":\"TA0003\"}", "\"ta0003-18\"", "persistence" },
    /* empty summary and name */
    { "matrix/enterprise", "{\"matrix\":\"enterprise\",\"tactics\":[]}",
      "", "\"matrix-18\"", "" },
};

static const doc_spec_t  docs_16[] = {
    { "techniques/T1059", "{\"id\":\"T1059\",\"release\":\"16.1\"}",
      "{\"id\":\"T1059\"}", "\"t1059-16\"",
      "command and scripting interpreter" },
    { "tactics/TA0002", "{\"id\":\"TA0002\",\"release\":\"16.1\"}",
      "{\"id\":\"TA0002\"}", "\"ta0002-16\"", "execution" },
    { "matrix/enterprise", "{\"matrix\":\"enterprise\",\"release\":16}",
      "{}", "\"matrix-16\"", "" },
};

#define NDOCS_18  (sizeof(docs_18) / sizeof(docs_18[0]))
#define NDOCS_16  (sizeof(docs_16) / sizeof(docs_16[0]))


/* the snapshot every test starts from, built once */

static unsigned char  *fixture;
static size_t          fixture_size;


static attck_snap_str_t
wstr(attck_snap_writer_t *w, const char *s)
{
    return attck_snap_writer_str(w, s, strlen(s));
}


static void
add_docs(attck_snap_writer_t *w, const doc_spec_t *spec, size_t n,
    attck_snap_doc_t *docs)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        docs[i].key = wstr(w, spec[i].key);
        docs[i].body = wstr(w, spec[i].body);
        docs[i].summary = wstr(w, spec[i].summary);
        docs[i].etag = wstr(w, spec[i].etag);
        docs[i].name = wstr(w, spec[i].name);
    }
}


/* builds the two-view snapshot; the result is a malloc()ed copy */
static unsigned char *
build(uint64_t created, size_t *size)
{
    int                   rc;
    size_t                len;
    const void           *data;
    unsigned char        *copy;
    attck_snap_writer_t  *w;
    attck_snap_doc_t      d18[NDOCS_18], d16[NDOCS_16];
    attck_snap_str_t      plat18[2], plat16[1];
    attck_snap_tactic_t   ta18[2], ta16[1];
    attck_snap_term_t     terms18[3], terms16[1];

    attck_snap_tech_t  techs18[] = {
        { 0x1, 0x3, 0, ATTCK_DOMAIN_ENTERPRISE },
        { 0x1, 0x1, 1, ATTCK_DOMAIN_ENTERPRISE | ATTCK_TECH_SUB },
    };
    attck_snap_tech_t  techs16[] = {
        { 0x1, 0x1, 0, ATTCK_DOMAIN_ENTERPRISE | ATTCK_TECH_DEPRECATED },
    };
    attck_snap_posting_t  post18[] = {
        { 0, 2.5f }, { 1, 3.0f }, { 0, 4.0f }, { 1, 1.5f },
    };
    attck_snap_posting_t  post16[] = { { 0, 0.75f } };

    w = attck_snap_writer_create();
    assert_non_null(w);

    add_docs(w, docs_18, NDOCS_18, d18);

    ta18[0].id = wstr(w, "TA0002");
    ta18[0].shortname = wstr(w, "execution");
    ta18[0].domains = ATTCK_DOMAIN_ENTERPRISE;
    ta18[0].doc = 2;
    ta18[1].id = wstr(w, "TA0003");
    ta18[1].shortname = wstr(w, "persistence");
    ta18[1].domains = ATTCK_DOMAIN_ENTERPRISE;
    ta18[1].doc = 3;

    plat18[0] = wstr(w, "Windows");
    plat18[1] = wstr(w, "Linux");

    terms18[0].term = wstr(w, "command");
    terms18[0].postings = 0;
    terms18[0].npostings = 1;
    terms18[1].term = wstr(w, "powershell");
    terms18[1].postings = 1;
    terms18[1].npostings = 1;
    terms18[2].term = wstr(w, "t1059");
    terms18[2].postings = 2;
    terms18[2].npostings = 2;

    rc = attck_snap_writer_view(w, "18.1", d18, NDOCS_18, techs18, 2,
                                ta18, 2, plat18, 2, terms18, 3, post18, 4);
    assert_int_equal(rc, 0);

    add_docs(w, docs_16, NDOCS_16, d16);

    ta16[0].id = wstr(w, "TA0002");
    ta16[0].shortname = wstr(w, "execution");
    ta16[0].domains = ATTCK_DOMAIN_ENTERPRISE;
    ta16[0].doc = 1;
    plat16[0] = wstr(w, "Windows");
    terms16[0].term = wstr(w, "t1059");
    terms16[0].postings = 0;
    terms16[0].npostings = 1;

    rc = attck_snap_writer_view(w, "16.1", d16, NDOCS_16, techs16, 1,
                                ta16, 1, plat16, 1, terms16, 1, post16, 1);
    assert_int_equal(rc, 0);

    rc = attck_snap_writer_finish(w, STATUS, strlen(STATUS), created, &data,
                                  &len);
    assert_int_equal(rc, 0);
    assert_non_null(data);
    assert_true(len > HDR);

    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, data, len);

    attck_snap_writer_destroy(w);

    *size = len;
    return copy;
}


static int
setup(void **state)
{
    fixture = build(CREATED, &fixture_size);
    return 0;
}


static int
teardown(void **state)
{
    free(fixture);
    fixture = NULL;
    return 0;
}


/* a private, writable copy of the fixture */
static unsigned char *
dup_fixture(void)
{
    unsigned char  *p;

    p = malloc(fixture_size);
    assert_non_null(p);
    memcpy(p, fixture, fixture_size);

    return p;
}


static attck_snap_header_t *
hdr(unsigned char *buf)
{
    return (attck_snap_header_t *) buf;
}


static attck_snap_view_t *
view_at(unsigned char *buf, uint32_t i)
{
    return (attck_snap_view_t *) (buf + hdr(buf)->views) + i;
}


/* recomputes the checksum after a deliberate patch */
static void
reseal(unsigned char *buf, size_t size)
{
    hdr(buf)->checksum = attck_snap_checksum(buf, size);
}


static void
open_ok(attck_snap_t *snap, const void *buf, size_t size)
{
    int   rc;
    char  err[256];

    err[0] = '\0';
    rc = attck_snap_open(snap, buf, size, 0, err, sizeof(err));

    if (rc != 0) {
        print_error("attck_snap_open failed: %s\n", err);
    }

    assert_int_equal(rc, 0);
}


static void
open_fails(const void *buf, size_t size, const char *expect)
{
    int           rc;
    char          err[256];
    attck_snap_t  snap;

    strcpy(err, "(no message)");
    rc = attck_snap_open(&snap, buf, size, 0, err, sizeof(err));

    if (rc != -1 || strstr(err, expect) == NULL) {
        print_error("attck_snap_open: rc %d, err \"%s\", expected -1 and "
                    "\"%s\"\n", rc, err, expect);
    }

    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, expect));
}


static void
assert_str(const attck_snap_t *snap, attck_snap_str_t s, const char *expect)
{
    if (s.len != strlen(expect)
        || memcmp(attck_snap_bytes(snap, s), expect, s.len) != 0)
    {
        print_error("snapshot string \"%.*s\", expected \"%s\"\n",
                    (int) s.len, attck_snap_bytes(snap, s), expect);
    }

    assert_int_equal(s.len, strlen(expect));
    assert_memory_equal(attck_snap_bytes(snap, s), expect, s.len);
}


static const attck_snap_doc_t *
find(const attck_snap_t *snap, const attck_snap_view_t *v, const char *key)
{
    return attck_snap_find(snap, v, key, strlen(key));
}


static void
test_open_header(void **state)
{
    attck_snap_t  snap;

    open_ok(&snap, fixture, fixture_size);

    assert_ptr_equal(snap.base, fixture);
    assert_int_equal(snap.size, fixture_size);
    assert_ptr_equal(snap.header, fixture);
    assert_memory_equal(snap.header->magic, ATTCK_SNAP_MAGIC, 8);
    assert_int_equal(snap.header->version, ATTCK_SNAP_VERSION);
    assert_int_equal(snap.header->bom, ATTCK_SNAP_BOM);
    assert_int_equal(snap.header->size, fixture_size);
    assert_int_equal(snap.header->created, CREATED);
    assert_int_equal(snap.header->nviews, 2);
    assert_int_equal(snap.header->checksum,
                     attck_snap_checksum(fixture, fixture_size));
    assert_int_equal(snap.header->views % 8, 0);
    assert_ptr_equal(snap.views, fixture + snap.header->views);
    assert_int_equal(fixture_size % 8, 0);
    assert_str(&snap, snap.header->status, STATUS);
}


static void
check_view_docs(const attck_snap_t *snap, const attck_snap_view_t *v,
    const doc_spec_t *spec, size_t n)
{
    size_t                   i;
    const attck_snap_doc_t  *d;

    assert_int_equal(v->ndocs, n);

    for (i = 0; i < n; i++) {
        d = find(snap, v, spec[i].key);

        if (d == NULL) {
            print_error("key \"%s\" not found\n", spec[i].key);
        }

        assert_non_null(d);
        assert_ptr_equal(d, &attck_snap_docs(snap, v)[i]);
        assert_str(snap, d->key, spec[i].key);
        assert_str(snap, d->body, spec[i].body);
        assert_str(snap, d->summary, spec[i].summary);
        assert_str(snap, d->etag, spec[i].etag);
        assert_str(snap, d->name, spec[i].name);
    }
}


static void
test_find_docs(void **state)
{
    attck_snap_t              snap;
    const attck_snap_view_t  *v18, *v16;

    open_ok(&snap, fixture, fixture_size);

    v18 = attck_snap_view(&snap, "18.1", 4);
    v16 = attck_snap_view(&snap, "16.1", 4);
    assert_non_null(v18);
    assert_non_null(v16);

    check_view_docs(&snap, v18, docs_18, NDOCS_18);
    check_view_docs(&snap, v16, docs_16, NDOCS_16);

    /* the same key gives each view's own document */
    assert_str(&snap, find(&snap, v18, "techniques/T1059")->body,
               docs_18[0].body);
    assert_str(&snap, find(&snap, v16, "techniques/T1059")->body,
               docs_16[0].body);
}


static void
test_find_unknown(void **state)
{
    size_t                    i;
    attck_snap_t              snap;
    const attck_snap_view_t  *v18, *v16;

    static const char  *unknown[] = {
        "techniques/T1059.002", "techniques/T105", "techniques/T10599",
        "techniques/T1059 ", "TECHNIQUES/T1059", "techniques/t1059",
        "techniques/", "T1059", "matrix/mobile", "/", "x",
    };

    open_ok(&snap, fixture, fixture_size);
    v18 = attck_snap_view(&snap, "18.1", 4);
    v16 = attck_snap_view(&snap, "16.1", 4);
    assert_non_null(v18);
    assert_non_null(v16);

    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_null(find(&snap, v18, unknown[i]));
        assert_null(find(&snap, v16, unknown[i]));
    }

    assert_null(attck_snap_find(&snap, v18, "", 0));

    /* a prefix of a key, given by length, is not the key */
    assert_null(attck_snap_find(&snap, v18, "techniques/T1059.001", 19));
    assert_non_null(attck_snap_find(&snap, v18, "techniques/T1059.001", 20));
    assert_ptr_equal(attck_snap_find(&snap, v18, "techniques/T1059.001", 16),
                     find(&snap, v18, "techniques/T1059"));

    /* keys of one view are not found in the other */
    assert_null(find(&snap, v16, "techniques/T1059.001"));
    assert_null(find(&snap, v16, "tactics/TA0003"));
}


static void
test_view_lookup(void **state)
{
    attck_snap_t  snap;

    open_ok(&snap, fixture, fixture_size);

    assert_ptr_equal(attck_snap_view(&snap, "18.1", 4), &snap.views[0]);
    assert_ptr_equal(attck_snap_view(&snap, "16.1", 4), &snap.views[1]);
    assert_ptr_equal(attck_snap_view(&snap, "18.1x", 4), &snap.views[0]);

    assert_null(attck_snap_view(&snap, "18", 2));
    assert_null(attck_snap_view(&snap, "18.", 3));
    assert_null(attck_snap_view(&snap, "18.10", 5));
    assert_null(attck_snap_view(&snap, "17.1", 4));
    assert_null(attck_snap_view(&snap, "latest", 6));
    assert_null(attck_snap_view(&snap, "", 0));

    assert_str(&snap, snap.views[0].name, "18.1");
    assert_str(&snap, snap.views[1].name, "16.1");
}


static void
check_aligned(const attck_snap_view_t *v)
{
    assert_int_equal(v->docs % 8, 0);
    assert_int_equal(v->slots % 8, 0);
    assert_int_equal(v->techs % 8, 0);
    assert_int_equal(v->tactics % 8, 0);
    assert_int_equal(v->platforms % 8, 0);
    assert_int_equal(v->terms % 8, 0);
    assert_int_equal(v->postings % 8, 0);
}


static void
check_slots(const attck_snap_t *snap, const attck_snap_view_t *v)
{
    uint32_t         i, used;
    const uint32_t  *slots;

    /* a power of two, at least twice the docs, each doc in exactly once */

    assert_int_equal(v->nslots & (v->nslots - 1), 0);
    assert_true(v->nslots >= 16);
    assert_true(v->nslots >= 2 * v->ndocs);

    slots = attck_snap_ptr(snap, v->slots);
    used = 0;

    for (i = 0; i < v->nslots; i++) {
        assert_true(slots[i] <= v->ndocs);
        used += slots[i] != 0;
    }

    assert_int_equal(used, v->ndocs);
}


static void
test_view_contents(void **state)
{
    attck_snap_t                 snap;
    const attck_snap_view_t     *v;
    const attck_snap_tech_t     *t;
    const attck_snap_tactic_t   *ta;
    const attck_snap_str_t      *p;
    const attck_snap_term_t     *term;
    const attck_snap_posting_t  *post;

    open_ok(&snap, fixture, fixture_size);

    /* 18.1 */

    v = attck_snap_view(&snap, "18.1", 4);
    assert_non_null(v);
    check_aligned(v);
    check_slots(&snap, v);

    assert_int_equal(v->ntechs, 2);
    t = attck_snap_techs(&snap, v);
    assert_int_equal(t[0].tactics, 0x1);
    assert_int_equal(t[0].platforms, 0x3);
    assert_int_equal(t[0].doc, 0);
    assert_int_equal(t[0].flags, ATTCK_DOMAIN_ENTERPRISE);
    assert_int_equal(t[1].tactics, 0x1);
    assert_int_equal(t[1].platforms, 0x1);
    assert_int_equal(t[1].doc, 1);
    assert_int_equal(t[1].flags, ATTCK_DOMAIN_ENTERPRISE | ATTCK_TECH_SUB);

    assert_int_equal(v->ntactics, 2);
    ta = attck_snap_tactics(&snap, v);
    assert_str(&snap, ta[0].id, "TA0002");
    assert_str(&snap, ta[0].shortname, "execution");
    assert_int_equal(ta[0].domains, ATTCK_DOMAIN_ENTERPRISE);
    assert_int_equal(ta[0].doc, 2);
    assert_str(&snap, ta[1].id, "TA0003");
    assert_str(&snap, ta[1].shortname, "persistence");
    assert_int_equal(ta[1].doc, 3);

    assert_int_equal(v->nplatforms, 2);
    p = attck_snap_platforms(&snap, v);
    assert_str(&snap, p[0], "Windows");
    assert_str(&snap, p[1], "Linux");

    assert_int_equal(v->nterms, 3);
    term = attck_snap_terms(&snap, v);
    assert_str(&snap, term[0].term, "command");
    assert_int_equal(term[0].postings, 0);
    assert_int_equal(term[0].npostings, 1);
    assert_str(&snap, term[1].term, "powershell");
    assert_int_equal(term[1].postings, 1);
    assert_int_equal(term[1].npostings, 1);
    assert_str(&snap, term[2].term, "t1059");
    assert_int_equal(term[2].postings, 2);
    assert_int_equal(term[2].npostings, 2);

    assert_int_equal(v->npostings, 4);
    post = attck_snap_postings(&snap, v);
    assert_int_equal(post[0].doc, 0);
    assert_true(post[0].weight == 2.5f);
    assert_int_equal(post[1].doc, 1);
    assert_true(post[1].weight == 3.0f);
    assert_int_equal(post[2].doc, 0);
    assert_true(post[2].weight == 4.0f);
    assert_int_equal(post[3].doc, 1);
    assert_true(post[3].weight == 1.5f);

    /* 16.1 */

    v = attck_snap_view(&snap, "16.1", 4);
    assert_non_null(v);
    check_aligned(v);
    check_slots(&snap, v);

    assert_int_equal(v->ntechs, 1);
    t = attck_snap_techs(&snap, v);
    assert_int_equal(t[0].doc, 0);
    assert_int_equal(t[0].flags,
                     ATTCK_DOMAIN_ENTERPRISE | ATTCK_TECH_DEPRECATED);

    assert_int_equal(v->ntactics, 1);
    ta = attck_snap_tactics(&snap, v);
    assert_str(&snap, ta[0].id, "TA0002");
    assert_int_equal(ta[0].doc, 1);

    assert_int_equal(v->nplatforms, 1);
    assert_str(&snap, attck_snap_platforms(&snap, v)[0], "Windows");

    assert_int_equal(v->nterms, 1);
    assert_str(&snap, attck_snap_terms(&snap, v)[0].term, "t1059");
    assert_int_equal(v->npostings, 1);
    assert_int_equal(attck_snap_postings(&snap, v)[0].doc, 0);
    assert_true(attck_snap_postings(&snap, v)[0].weight == 0.75f);
}


static void
test_deterministic(void **state)
{
    size_t          size, i;
    unsigned char  *again, *other;

    /* same input, same created: the very same bytes */

    again = build(CREATED, &size);
    assert_int_equal(size, fixture_size);
    assert_memory_equal(again, fixture, size);
    free(again);

    /* another created: only that field and the checksum differ */

    other = build(CREATED + 1, &size);
    assert_int_equal(size, fixture_size);
    assert_int_equal(hdr(other)->created, CREATED + 1);

    for (i = 0; i < size; i++) {
        if ((i >= offsetof(attck_snap_header_t, created)
             && i < offsetof(attck_snap_header_t, created) + 8)
            || (i >= offsetof(attck_snap_header_t, checksum)
                && i < offsetof(attck_snap_header_t, checksum) + 4))
        {
            continue;
        }

        if (other[i] != fixture[i]) {
            print_error("byte %zu differs\n", i);
        }

        assert_int_equal(other[i], fixture[i]);
    }

    free(other);
}


static void
test_corrupt_flip_each_byte(void **state)
{
    size_t          i;
    unsigned char  *buf;

    buf = dup_fixture();

    /* every single byte after the header is covered by the checksum */

    for (i = HDR; i < fixture_size; i++) {
        buf[i] ^= 0x20;
        open_fails(buf, fixture_size, "checksum");
        buf[i] ^= 0x20;
    }

    /* and the untouched copy still opens */
    {
        attck_snap_t  snap;

        open_ok(&snap, buf, fixture_size);
    }

    free(buf);
}


static void
test_corrupt_checksum_field(void **state)
{
    unsigned char  *buf;

    buf = dup_fixture();
    hdr(buf)->checksum ^= 1;
    open_fails(buf, fixture_size, "checksum");
    free(buf);
}


static void
test_truncated(void **state)
{
    unsigned char  *buf;

    buf = dup_fixture();

    open_fails(buf, fixture_size - 1, "truncated");
    open_fails(buf, fixture_size - 8, "truncated");
    open_fails(buf, HDR, "truncated");
    open_fails(buf, HDR - 1, "too short");
    open_fails(buf, 0, "too short");

    free(buf);

    /* padded by one byte */

    buf = malloc(fixture_size + 1);
    assert_non_null(buf);
    memcpy(buf, fixture, fixture_size);
    buf[fixture_size] = 0;
    open_fails(buf, fixture_size + 1, "padded");
    free(buf);
}


static void
test_bad_magic(void **state)
{
    unsigned char  *buf;

    buf = dup_fixture();

    buf[0] = 'X';
    open_fails(buf, fixture_size, "magic");

    memcpy(buf, fixture, fixture_size);
    buf[7] ^= 0x20;                     /* "ATTCKSNp" */
    open_fails(buf, fixture_size, "magic");

    free(buf);
}


static void
test_bad_version(void **state)
{
    unsigned char  *buf;

    buf = dup_fixture();

    hdr(buf)->version = ATTCK_SNAP_VERSION + 1;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "version");

    hdr(buf)->version = 0;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "version");

    free(buf);
}


static void
test_bad_bom(void **state)
{
    unsigned char  *buf;

    buf = dup_fixture();

    hdr(buf)->bom = 0x04030201;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "byte order");

    free(buf);
}


static void
test_header_out_of_range(void **state)
{
    unsigned char  *buf;

    /*
     * the checksum covers the header: a patched header is refused as
     * corrupt, and with a recomputed checksum its offsets are still
     * range-checked
     */

    buf = dup_fixture();
    hdr(buf)->views += 8;
    open_fails(buf, fixture_size, "checksum");

    memcpy(buf, fixture, fixture_size);
    hdr(buf)->views = (uint32_t) fixture_size;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    hdr(buf)->views += 4;                           /* misaligned */
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    hdr(buf)->nviews = 3;                           /* past the end */
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    hdr(buf)->nviews = 0;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    hdr(buf)->status.off = (uint32_t) fixture_size - 4;
    hdr(buf)->status.len = 5;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    free(buf);
}


/* patches one view field through fn, reseals, expects "out of range" */
static void
view_patch_fails(uint32_t i, void (*fn)(unsigned char *buf, size_t size,
    attck_snap_view_t *v))
{
    unsigned char  *buf;

    buf = dup_fixture();
    fn(buf, fixture_size, view_at(buf, i));
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");
    free(buf);
}


static void
p_docs_beyond(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->docs = (uint32_t) size + 8;
}

static void
p_docs_at_end(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->docs = (uint32_t) size;
}

static void
p_docs_misaligned(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->docs += 4;
}

static void
p_docs_huge(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->docs = 0xfffffff8u;
}

static void
p_ndocs_too_many(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->ndocs = (uint32_t) (size / sizeof(attck_snap_doc_t)) + 1;
}

static void
p_terms_overrun(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    /* 8 bytes left, a term needs 16 */
    v->terms = (uint32_t) size - 8;
    v->nterms = 1;
}

static void
p_name_beyond(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->name.off = (uint32_t) size - 2;
    v->name.len = 3;
}

static void
p_body_beyond(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_doc_t  *d = (attck_snap_doc_t *) (b + v->docs);

    d[v->ndocs - 1].body.len = (uint32_t) size;
}

static void
p_etag_huge(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_doc_t  *d = (attck_snap_doc_t *) (b + v->docs);

    d[0].etag.off = 0xffffffffu;
    d[0].etag.len = 2;
}

static void
p_slot_too_big(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    uint32_t  i, *slots = (uint32_t *) (b + v->slots);

    for (i = 0; slots[i] != 0; i++) { /* void */ }
    slots[i] = v->ndocs + 1;
}

static void
p_slot_huge(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    uint32_t  i, *slots = (uint32_t *) (b + v->slots);

    for (i = 0; slots[i] == 0; i++) { /* void */ }
    slots[i] = 0xffffffffu;
}

static void
p_nslots_not_pow2(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->nslots -= 1;
}

static void
p_nslots_zero(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->nslots = 0;
}

static void
p_nslots_le_ndocs(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    /* 4 slots for 5 docs: the table would be full */
    v->nslots = 4;
}

static void
p_tech_doc(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_tech_t  *t = (attck_snap_tech_t *) (b + v->techs);

    t[v->ntechs - 1].doc = v->ndocs;
}

static void
p_tactic_doc(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_tactic_t  *t = (attck_snap_tactic_t *) (b + v->tactics);

    t[0].doc = v->ndocs;
}

static void
p_tactic_id(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_tactic_t  *t = (attck_snap_tactic_t *) (b + v->tactics);

    t[0].shortname.off = (uint32_t) size;
    t[0].shortname.len = 1;
}

static void
p_ntactics(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->tactics = (uint32_t) HDR;
    v->ntactics = ATTCK_SNAP_MAX_TACTICS + 1;
}

static void
p_nplatforms(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    v->platforms = (uint32_t) HDR;
    v->nplatforms = ATTCK_SNAP_MAX_PLATFORMS + 1;
}

static void
p_platform_str(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_str_t  *p = (attck_snap_str_t *) (b + v->platforms);

    p[0].len = (uint32_t) size;
}

static void
p_term_str(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_term_t  *t = (attck_snap_term_t *) (b + v->terms);

    t[0].term.off = (uint32_t) size + 1;
    t[0].term.len = 0;
}

static void
p_term_postings(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_term_t  *t = (attck_snap_term_t *) (b + v->terms);

    /* postings [npostings - 1, npostings + 1) */
    t[v->nterms - 1].postings = v->npostings - 1;
    t[v->nterms - 1].npostings = 2;
}

static void
p_term_postings_start(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_term_t  *t = (attck_snap_term_t *) (b + v->terms);

    t[0].postings = v->npostings + 1;
    t[0].npostings = 0;
}

static void
p_term_postings_wrap(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_term_t  *t = (attck_snap_term_t *) (b + v->terms);

    /* postings + npostings wraps around 2^32 */
    t[0].postings = 1;
    t[0].npostings = 0xffffffffu;
}

static void
p_posting_doc(unsigned char *b, size_t size, attck_snap_view_t *v)
{
    attck_snap_posting_t  *p = (attck_snap_posting_t *) (b + v->postings);

    p[v->npostings - 1].doc = v->ndocs;
}


static void
test_view_out_of_range(void **state)
{
    uint32_t  i;

    for (i = 0; i < 2; i++) {
        view_patch_fails(i, p_docs_beyond);
        view_patch_fails(i, p_docs_at_end);
        view_patch_fails(i, p_docs_misaligned);
        view_patch_fails(i, p_docs_huge);
        view_patch_fails(i, p_ndocs_too_many);
        view_patch_fails(i, p_terms_overrun);
        view_patch_fails(i, p_name_beyond);
        view_patch_fails(i, p_body_beyond);
        view_patch_fails(i, p_etag_huge);
        view_patch_fails(i, p_nslots_not_pow2);
        view_patch_fails(i, p_nslots_zero);
        view_patch_fails(i, p_tech_doc);
        view_patch_fails(i, p_tactic_doc);
        view_patch_fails(i, p_tactic_id);
        view_patch_fails(i, p_ntactics);
        view_patch_fails(i, p_nplatforms);
        view_patch_fails(i, p_platform_str);
        view_patch_fails(i, p_term_str);
        view_patch_fails(i, p_term_postings);
        view_patch_fails(i, p_term_postings_start);
        view_patch_fails(i, p_term_postings_wrap);
        view_patch_fails(i, p_posting_doc);
    }

    view_patch_fails(0, p_nslots_le_ndocs);
}


/*
 * A view whose tactic and platform arrays are full (64 each) and followed
 * by data that happens to be valid as one more entry: only the limits
 * themselves can refuse a 65th.
 */
static void
test_too_many_tactics_platforms(void **state)
{
    int                   rc;
    char                  s[32];
    size_t                size;
    uint32_t              i;
    const void           *data;
    attck_snap_t          snap;
    unsigned char        *buf;
    attck_snap_doc_t      docs[3];
    attck_snap_str_t      pl[ATTCK_SNAP_MAX_PLATFORMS];
    attck_snap_term_t     term;
    attck_snap_tactic_t   ta[ATTCK_SNAP_MAX_TACTICS];
    attck_snap_writer_t  *w;
    attck_snap_view_t    *v;
    attck_snap_posting_t  post = { 0, 1.0f };

    w = attck_snap_writer_create();
    assert_non_null(w);

    for (i = 0; i < 3; i++) {
        snprintf(s, sizeof(s), "d/%u", i);
        docs[i].key = wstr(w, s);
        docs[i].body = wstr(w, s);
        docs[i].summary = wstr(w, "{}");      /* a JSON object */
        docs[i].etag = wstr(w, "\"e\"");      /* a quoted entity tag */
        docs[i].name = wstr(w, s);
    }

    for (i = 0; i < ATTCK_SNAP_MAX_TACTICS; i++) {
        snprintf(s, sizeof(s), "TA%04u", i);
        ta[i].id = wstr(w, s);
        snprintf(s, sizeof(s), "s%u", i);
        ta[i].shortname = wstr(w, s);
        ta[i].domains = ATTCK_DOMAIN_ENTERPRISE;
        ta[i].doc = 0;
    }

    /* platform 2 is 2 bytes long: as a tactic's doc, that is in range */
    for (i = 0; i < ATTCK_SNAP_MAX_PLATFORMS; i++) {
        snprintf(s, sizeof(s), "P%u", i);
        pl[i] = wstr(w, s);
    }

    term.term = wstr(w, "abc");
    term.postings = 0;
    term.npostings = 1;

    rc = attck_snap_writer_view(w, "full", docs, 3, NULL, 0,
                                ta, ATTCK_SNAP_MAX_TACTICS,
                                pl, ATTCK_SNAP_MAX_PLATFORMS,
                                &term, 1, &post, 1);
    assert_int_equal(rc, 0);

    rc = attck_snap_writer_finish(w, "{}", 2, 0, &data, &size);
    assert_int_equal(rc, 0);

    buf = malloc(size);
    assert_non_null(buf);

    /* as written, it opens */
    memcpy(buf, data, size);
    open_ok(&snap, buf, size);
    assert_int_equal(snap.views[0].ntactics, ATTCK_SNAP_MAX_TACTICS);
    assert_int_equal(snap.views[0].nplatforms, ATTCK_SNAP_MAX_PLATFORMS);

    /* the tactics are directly followed by the platforms */
    v = view_at(buf, 0);
    assert_int_equal(v->platforms,
                     v->tactics
                     + ATTCK_SNAP_MAX_TACTICS * sizeof(attck_snap_tactic_t));
    assert_int_equal(v->terms,
                     v->platforms
                     + ATTCK_SNAP_MAX_PLATFORMS * sizeof(attck_snap_str_t));

    v->ntactics = ATTCK_SNAP_MAX_TACTICS + 1;
    reseal(buf, size);
    open_fails(buf, size, "out of range");

    memcpy(buf, data, size);
    v->nplatforms = ATTCK_SNAP_MAX_PLATFORMS + 1;
    reseal(buf, size);
    open_fails(buf, size, "out of range");

    free(buf);
    attck_snap_writer_destroy(w);
}


static void
test_slot_out_of_range(void **state)
{
    view_patch_fails(0, p_slot_too_big);
    view_patch_fails(1, p_slot_too_big);
    view_patch_fails(0, p_slot_huge);
    view_patch_fails(1, p_slot_huge);
}


static void
test_slot_boundary_is_valid(void **state)
{
    uint32_t                 i, found, *slots;
    attck_snap_t             snap;
    const attck_snap_doc_t  *last;
    unsigned char      *buf;
    attck_snap_view_t  *v;

    /*
     * a slot naming the last doc (value ndocs) is in range: the writer's
     * own table holds one, and it opens and finds that doc
     */

    buf = dup_fixture();
    v = view_at(buf, 0);
    slots = (uint32_t *) (buf + v->slots);
    found = 0;

    for (i = 0; i < v->nslots; i++) {
        found += (slots[i] == v->ndocs);
    }

    assert_int_equal(found, 1);

    open_ok(&snap, buf, fixture_size);
    last = &attck_snap_docs(&snap, &snap.views[0])[v->ndocs - 1];
    assert_ptr_equal(attck_snap_find(&snap, &snap.views[0],
                                     attck_snap_bytes(&snap, last->key),
                                     last->key.len),
                     last);

    free(buf);
}


static void
test_contents_checked(void **state)
{
    float                  nan;
    unsigned char         *buf;
    attck_snap_doc_t      *d;
    attck_snap_view_t     *v;
    attck_snap_header_t   *h;
    attck_snap_posting_t  *p;

    /*
     * Bytes the module sends or copies must be what they claim: a summary
     * is a JSON object, an entity tag a quoted printable token, a release
     * name plain, postings positive and finite, the status an object.
     */

    buf = dup_fixture();
    v = view_at(buf, 0);
    d = (attck_snap_doc_t *) (buf + v->docs);
    buf[d[0].summary.off] = 'x';
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    buf[d[0].etag.off + 1] = '\r';
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    buf[d[0].etag.off] = 'W';
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    buf[v->name.off] = '"';
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    p = (attck_snap_posting_t *) (buf + v->postings);
    assert_true(v->npostings > 0);
    p[0].weight = 0.0f;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    p[0].weight = -1.0f;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    nan = 0.0f;
    p[0].weight = nan / nan;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    /* positive, but outside what the writer produces: the smallest
     * denormal made search add a doc once per posting */

    memcpy(buf, fixture, fixture_size);
    memcpy(&p[0].weight, "\x01\x00\x00\x00", 4);
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    p[0].weight = ATTCK_SNAP_WEIGHT_MIN / 2;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    p[0].weight = ATTCK_SNAP_WEIGHT_MAX * 2;
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "out of range");

    memcpy(buf, fixture, fixture_size);
    h = hdr(buf);
    buf[h->status.off] = '[';
    reseal(buf, fixture_size);
    open_fails(buf, fixture_size, "header out of range");

    free(buf);
}


static sigjmp_buf  alarm_env;

static void
on_alarm(int signo)
{
    siglongjmp(alarm_env, 1);
}


static void
test_slot_table_without_empty_slot(void **state)
{
    int                          rc;
    char                         err[256];
    uint32_t                     i, *slots;
    attck_snap_t                 snap;
    unsigned char               *buf;
    attck_snap_view_t           *v;
    struct sigaction             sa, old;
    const attck_snap_doc_t      *volatile d;
    volatile int                 looped;

    /*
     * Every slot in range but none empty (the same docs several times):
     * attck_snap_find() relies on an empty slot to stop probing, so either
     * attck_snap_open() refuses the table or a miss still terminates.
     */

    buf = dup_fixture();
    v = view_at(buf, 1);
    slots = (uint32_t *) (buf + v->slots);

    for (i = 0; i < v->nslots; i++) {
        slots[i] = i % v->ndocs + 1;
    }

    reseal(buf, fixture_size);

    rc = attck_snap_open(&snap, buf, fixture_size, 0, err, sizeof(err));

    if (rc != 0) {
        free(buf);
        return;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);

    d = NULL;
    looped = 0;

    if (sigsetjmp(alarm_env, 1) == 0) {
        alarm(2);
        d = find(&snap, &snap.views[1], "techniques/T9999");
        alarm(0);

    } else {
        looped = 1;
    }

    sigaction(SIGALRM, &old, NULL);
    free(buf);

    if (looped) {
        fail_msg("attck_snap_open() accepted a slot table with no empty slot "
                 "and attck_snap_find() of an unknown key never returned");
    }

    assert_null(d);
}


static void
test_trusted_skips_checks(void **state)
{
    int             rc;
    char            err[64];
    attck_snap_t    snap;
    unsigned char  *buf;

    buf = dup_fixture();
    buf[fixture_size - 1] ^= 0xff;      /* breaks the checksum only */

    open_fails(buf, fixture_size, "checksum");

    rc = attck_snap_open(&snap, buf, fixture_size, ATTCK_SNAP_TRUSTED, err,
                         sizeof(err));
    assert_int_equal(rc, 0);
    assert_ptr_equal(snap.views, buf + hdr(buf)->views);
    assert_non_null(find(&snap, attck_snap_view(&snap, "16.1", 4),
                         "tactics/TA0002"));

    /* even trusted, a buffer shorter than a header is refused */
    rc = attck_snap_open(&snap, buf, HDR - 1, ATTCK_SNAP_TRUSTED, err,
                         sizeof(err));
    assert_int_equal(rc, -1);

    free(buf);
}


static void
test_many_docs(void **state)
{
    int                       rc;
    char                      key[64], body[64];
    size_t                    size;
    uint32_t                  i, n;
    const void               *data;
    attck_snap_t              snap;
    attck_snap_doc_t         *docs;
    attck_snap_writer_t      *w;
    const attck_snap_doc_t   *d;
    const attck_snap_view_t  *v;

    n = 5000;

    w = attck_snap_writer_create();
    assert_non_null(w);

    docs = calloc(n, sizeof(attck_snap_doc_t));
    assert_non_null(docs);

    for (i = 0; i < n; i++) {
        /* mixed shapes, many sharing long prefixes */
        if (i % 3 == 0) {
            snprintf(key, sizeof(key), "techniques/T%04u", i);
        } else if (i % 3 == 1) {
            snprintf(key, sizeof(key), "techniques/T%04u.%03u", i / 10,
                     i % 1000);
        } else {
            snprintf(key, sizeof(key), "groups/G%u", i);
        }

        snprintf(body, sizeof(body), "{\"n\":%u}", i);

        docs[i].key = wstr(w, key);
        docs[i].body = wstr(w, body);
        docs[i].summary = wstr(w, body);
        docs[i].etag = wstr(w, "\"e\"");
        docs[i].name = wstr(w, key);
    }

    rc = attck_snap_writer_view(w, "latest", docs, n, NULL, 0, NULL, 0,
                                NULL, 0, NULL, 0, NULL, 0);
    assert_int_equal(rc, 0);

    rc = attck_snap_writer_finish(w, "{}", 2, 0, &data, &size);
    assert_int_equal(rc, 0);

    open_ok(&snap, data, size);
    v = attck_snap_view(&snap, "latest", 6);
    assert_non_null(v);
    assert_int_equal(v->ndocs, n);
    check_slots(&snap, v);

    for (i = 0; i < n; i++) {
        d = attck_snap_find(&snap, v,
                            attck_snap_bytes(&snap, docs[i].key),
                            docs[i].key.len);

        if (d != &attck_snap_docs(&snap, v)[i]) {
            print_error("doc %u \"%.*s\" not found\n", i,
                        (int) docs[i].key.len,
                        attck_snap_bytes(&snap, docs[i].key));
        }

        assert_ptr_equal(d, &attck_snap_docs(&snap, v)[i]);

        snprintf(body, sizeof(body), "{\"n\":%u}", i);
        assert_str(&snap, d->body, body);
    }

    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "techniques/X%04u", i);
        assert_null(find(&snap, v, key));
        snprintf(key, sizeof(key), "groups/G%u", n + i);
        assert_null(find(&snap, v, key));
    }

    free(docs);
    attck_snap_writer_destroy(w);
}


static void
test_writer_empty_view(void **state)
{
    int                       rc;
    size_t                    size;
    const void               *data;
    attck_snap_t              snap;
    attck_snap_writer_t      *w;
    const attck_snap_view_t  *v;

    w = attck_snap_writer_create();
    assert_non_null(w);

    rc = attck_snap_writer_view(w, "empty", NULL, 0, NULL, 0, NULL, 0, NULL,
                                0, NULL, 0, NULL, 0);
    assert_int_equal(rc, 0);

    rc = attck_snap_writer_finish(w, "{}", 2, 1, &data, &size);
    assert_int_equal(rc, 0);

    open_ok(&snap, data, size);
    v = attck_snap_view(&snap, "empty", 5);
    assert_non_null(v);
    assert_int_equal(v->ndocs, 0);
    assert_int_equal(v->nslots, 16);
    assert_null(find(&snap, v, "techniques/T1059"));
    assert_int_equal(snap.header->status.len, 2);

    attck_snap_writer_destroy(w);
}


static void
test_writer_errors(void **state)
{
    int                   rc;
    size_t                size;
    const void           *data;
    attck_snap_writer_t  *w;
    attck_snap_tactic_t   ta[ATTCK_SNAP_MAX_TACTICS + 1];
    attck_snap_str_t      pl[ATTCK_SNAP_MAX_PLATFORMS + 1];

    /* no view: nothing to finish */

    w = attck_snap_writer_create();
    assert_non_null(w);
    rc = attck_snap_writer_finish(w, "{}", 2, 0, &data, &size);
    assert_int_equal(rc, -1);
    attck_snap_writer_destroy(w);

    /* more tactics or platforms than a bit mask holds */

    memset(ta, 0, sizeof(ta));
    memset(pl, 0, sizeof(pl));

    w = attck_snap_writer_create();
    assert_non_null(w);
    rc = attck_snap_writer_view(w, "x", NULL, 0, NULL, 0,
                                ta, ATTCK_SNAP_MAX_TACTICS + 1, NULL, 0,
                                NULL, 0, NULL, 0);
    assert_int_equal(rc, -1);
    rc = attck_snap_writer_view(w, "y", NULL, 0, NULL, 0, NULL, 0,
                                pl, ATTCK_SNAP_MAX_PLATFORMS + 1,
                                NULL, 0, NULL, 0);
    assert_int_equal(rc, -1);
    attck_snap_writer_destroy(w);

    attck_snap_writer_destroy(NULL);
}


static void
test_hash(void **state)
{
    /* FNV-1a 32 reference values */
    assert_int_equal(attck_snap_hash("", 0), 0x811c9dc5u);
    assert_int_equal(attck_snap_hash("a", 1), 0xe40c292cu);
    assert_int_equal(attck_snap_hash("foobar", 6), 0xbf9cf968u);

    /* zlib's CRC-32 */
    assert_int_equal(attck_snap_crc32("", 0), 0);
    assert_int_equal(attck_snap_crc32("123456789", 9), 0xcbf43926u);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_header),
        cmocka_unit_test(test_find_docs),
        cmocka_unit_test(test_find_unknown),
        cmocka_unit_test(test_view_lookup),
        cmocka_unit_test(test_view_contents),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_corrupt_flip_each_byte),
        cmocka_unit_test(test_corrupt_checksum_field),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_bom),
        cmocka_unit_test(test_header_out_of_range),
        cmocka_unit_test(test_view_out_of_range),
        cmocka_unit_test(test_too_many_tactics_platforms),
        cmocka_unit_test(test_slot_out_of_range),
        cmocka_unit_test(test_slot_boundary_is_valid),
        cmocka_unit_test(test_contents_checked),
        cmocka_unit_test(test_slot_table_without_empty_slot),
        cmocka_unit_test(test_trusted_skips_checks),
        cmocka_unit_test(test_many_docs),
        cmocka_unit_test(test_writer_empty_view),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_hash),
    };

    return cmocka_run_group_tests_name("attck_snapshot", tests, setup,
                                       teardown);
}
