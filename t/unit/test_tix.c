
/*
 * Unit tests for attck_tix.c: the threat index written and read back,
 * its lookups, and every kind of corruption refused.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attck_tix.h"


#define NTHREATS  50


static attck_tix_writer_t *
build(const void **data, size_t *size)
{
    uint32_t             i, k, tac[2], vals[3], parent;
    attck_tix_map_t      maps[3];
    attck_tix_threat_t   t;
    attck_tix_writer_t  *w;

    w = attck_tix_writer_create();
    assert_non_null(w);

    tac[0] = attck_tix_writer_tactic(w, "TA0002", "execution", "Execution",
                                     ATTCK_DOMAIN_ENTERPRISE);
    tac[1] = attck_tix_writer_tactic(w, "TA0003", "persistence",
                                     "Persistence", ATTCK_DOMAIN_ENTERPRISE);

    parent = attck_tix_writer_tech(w, "T1059", "Command and Scripting "
                                   "Interpreter", ATTCK_TIX_NONE,
                                   ATTCK_DOMAIN_ENTERPRISE, tac, 1);
    assert_int_equal(attck_tix_writer_tech(w, "T1059.001", "PowerShell",
                                           parent, ATTCK_DOMAIN_ENTERPRISE,
                                           tac, 1), 1);
    assert_int_equal(attck_tix_writer_tech(w, "T1547", "Boot or Logon",
                                           ATTCK_TIX_NONE,
                                           ATTCK_DOMAIN_ENTERPRISE, tac + 1,
                                           1), 2);
    assert_int_equal(attck_tix_writer_find(w, "T1059.001"), 1);
    assert_int_equal(attck_tix_writer_find(w, "T9999"), ATTCK_TIX_NONE);

    /* newest first: seen descending */

    for (i = 0; i < NTHREATS; i++) {
        memset(&t, 0, sizeof(attck_tix_threat_t));
        t.id = 5000 + (int64_t) ((i * 37) % NTHREATS);
        t.seen = 1700000000 - (int64_t) i * 86400;
        t.source = i % 2 ? ATTCK_TIX_VIRUSTOTAL : ATTCK_TIX_OTX;
        t.type = attck_tix_writer_str(w, i % 3 ? "apt" : "ransomware",
                                      i % 3 ? 3 : 10);
        vals[0] = attck_tix_writer_str(w, "DE", 2);
        vals[1] = attck_tix_writer_str(w, "tag", 3);
        vals[2] = attck_tix_writer_str(w, "apt", 3);
        t.ncountries = 1;
        t.ntags = 1;
        t.nmalware = 1;
        t.digest[0] = (uint8_t) i;

        t.nmaps = 1 + i % 3;

        for (k = 0; k < t.nmaps; k++) {
            maps[k].tech = (uint16_t) k;
            maps[k].method = (uint8_t) (k % ATTCK_TIX_NMETHODS);
            maps[k].flags = 0;
            maps[k].score = (float) ((i + k) % 10) / 10;
        }

        assert_int_equal(attck_tix_writer_threat(w, &t, maps, vals), 0);
    }

    assert_int_equal(attck_tix_writer_finish(w, data, size), 0);

    return w;
}


static void
test_round_trip(void **state)
{
    char                 err[256];
    size_t               size;
    uint32_t             i, k, t;
    const void          *data;
    attck_tix_t          tix;
    attck_tix_writer_t  *w;

    w = build(&data, &size);

    assert_int_equal(attck_tix_open(&tix, data, size, 0, err, sizeof(err)),
                     0);
    assert_int_equal(tix.header->nthreats, NTHREATS);
    assert_int_equal(tix.header->ntechs, 3);

    /* a string written twice is one string */
    assert_int_equal(tix.header->nstrs, 4);

    assert_int_equal(attck_tix_tech(&tix, "T1059.001", 9), 1);
    assert_int_equal(attck_tix_tech(&tix, "T1059", 5), 0);
    assert_int_equal(attck_tix_tech(&tix, "T105", 4), ATTCK_TIX_NONE);
    assert_int_equal(tix.techs[1].parent, 0);

    for (i = 0; i < NTHREATS; i++) {
        t = attck_tix_find(&tix, 5000 + i);
        assert_int_not_equal(t, ATTCK_TIX_NONE);
        assert_int_equal(tix.threats[t].id, 5000 + i);
    }

    assert_int_equal(attck_tix_find(&tix, 4999), ATTCK_TIX_NONE);

    /* a period: threats[i].seen < until from the index returned */

    assert_int_equal(attck_tix_until(&tix, INT64_MAX), 0);
    assert_int_equal(attck_tix_until(&tix, 1700000000), 1);
    assert_int_equal(attck_tix_until(&tix, 1700000000 - 10 * 86400 + 1), 10);
    assert_int_equal(attck_tix_until(&tix, 0), NTHREATS);

    /* postings: every mapping, best score first, then the newest id */

    assert_int_equal(tix.techs[0].nposts, NTHREATS);

    for (k = 0; k < 3; k++) {
        const attck_tix_post_t  *p = tix.posts + tix.techs[k].posts;

        for (i = 1; i < tix.techs[k].nposts; i++) {
            assert_true(p[i - 1].score >= p[i].score);

            if (p[i - 1].score == p[i].score) {
                assert_true(tix.threats[p[i - 1].threat].id
                            > tix.threats[p[i].threat].id);
            }
        }
    }

    attck_tix_writer_destroy(w);
}


static void
refused(unsigned char *copy, size_t size, const char *why)
{
    char         err[256];
    attck_tix_t  tix;

    assert_int_equal(attck_tix_open(&tix, copy, size, 0, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, why));
}


/* the CRC made right again: only the check named fails */

static void
recrc(unsigned char *copy, size_t size)
{
    attck_tix_header_t  *h = (attck_tix_header_t *) copy;

    h->crc = attck_snap_crc32(copy + sizeof(attck_tix_header_t),
                              size - sizeof(attck_tix_header_t));
}


static void
test_corruption(void **state)
{
    size_t               size;
    unsigned char       *copy;
    const void          *data;
    attck_tix_map_t     *m;
    attck_tix_threat_t  *t;
    attck_tix_header_t  *h;
    attck_tix_writer_t  *w;

    w = build(&data, &size);
    copy = malloc(size);
    h = (attck_tix_header_t *) copy;

    memcpy(copy, data, size);
    copy[0] = 'X';
    refused(copy, size, "bad magic");

    memcpy(copy, data, size);
    h->version = ATTCK_TIX_VERSION + 1;
    refused(copy, size, "version 3");

    memcpy(copy, data, size);
    refused(copy, size - 8, "truncated");
    refused(copy, 10, "too short");

    memcpy(copy, data, size);
    copy[size - 1] ^= 0x55;
    refused(copy, size, "checksum");

    memcpy(copy, data, size);
    h->maps = (uint32_t) size;
    refused(copy, size, "header out of range");

    memcpy(copy, data, size);
    h->threats += 4;
    refused(copy, size, "header out of range");

    memcpy(copy, data, size);
    m = (attck_tix_map_t *) (copy + h->maps);
    m->tech = 60000;
    recrc(copy, size);
    refused(copy, size, "mapping out of range");

    memcpy(copy, data, size);
    m = (attck_tix_map_t *) (copy + h->maps);
    m->score = 1.5f;
    recrc(copy, size);
    refused(copy, size, "mapping out of range");

    memcpy(copy, data, size);
    t = (attck_tix_threat_t *) (copy + h->threats);
    t[1].seen = t[0].seen + 1;
    recrc(copy, size);
    refused(copy, size, "order");

    memcpy(copy, data, size);
    t = (attck_tix_threat_t *) (copy + h->threats);
    t[3].nmaps = 60000;
    recrc(copy, size);
    refused(copy, size, "out of range");

    memcpy(copy, data, size);
    t = (attck_tix_threat_t *) (copy + h->threats);
    t[2].type = 1000;
    recrc(copy, size);
    refused(copy, size, "out of range");

    memcpy(copy, data, size);
    ((uint32_t *) (copy + h->byid))[0] = NTHREATS;
    recrc(copy, size);
    refused(copy, size, "out of range");

    memcpy(copy, data, size);
    ((attck_tix_post_t *) (copy + h->posts))[0].threat = NTHREATS;
    recrc(copy, size);
    refused(copy, size, "threat out of range");

    memcpy(copy, data, size);
    ((attck_tix_techsum_t *) (copy + h->techsums))[0].tech = 3;
    recrc(copy, size);
    refused(copy, size, "unit 0 has a technique out of range");

    memcpy(copy, data, size);
    ((attck_tix_count_t *) (copy + h->counts))[0].key = 100;
    recrc(copy, size);
    refused(copy, size, "unit 0 has a value out of range");

    memcpy(copy, data, size);
    ((attck_tix_unit_t *) (copy + h->units))[1].day += 1000;
    recrc(copy, size);
    refused(copy, size, "unit 1 out of range or order");

    memcpy(copy, data, size);
    ((attck_snap_str_t *) (copy + h->strs))[0].len = 1000000;
    recrc(copy, size);
    refused(copy, size, "string 0 out of range");

    /* a later technique's id out of range: refused before any search */

    memcpy(copy, data, size);
    ((attck_tix_tech_t *) (copy + h->techs))[2].id.off = 0xfffffff0;
    recrc(copy, size);
    refused(copy, size, "technique 2 out of range");

    memcpy(copy, data, size);
    ((attck_tix_tech_t *) (copy + h->techs))[1].parent = 1;
    recrc(copy, size);
    refused(copy, size, "technique 1 out of range");

    /* a threat's tactics are 64 bits where they are counted */
    memcpy(copy, data, size);
    h->ntactics = ATTCK_TIX_MAX_TACTICS + 1;
    h->tactics = sizeof(attck_tix_header_t);
    recrc(copy, size);
    refused(copy, size, "header out of range");

    free(copy);
    attck_tix_writer_destroy(w);
}


/* no more tactics than a threat's 64 bits: the writer fails */

static void
test_too_many_tactics(void **state)
{
    int                  i;
    char                 id[16];
    size_t               size;
    const void          *data;
    attck_tix_writer_t  *w;

    w = attck_tix_writer_create();
    assert_non_null(w);

    for (i = 0; i < ATTCK_TIX_MAX_TACTICS; i++) {
        snprintf(id, sizeof(id), "TA%04d", i);
        assert_int_equal(attck_tix_writer_tactic(w, id, id, id,
                                                 ATTCK_DOMAIN_ENTERPRISE),
                         i);
    }

    assert_int_equal(attck_tix_writer_tactic(w, "TA9999", "x", "x",
                                             ATTCK_DOMAIN_ENTERPRISE),
                     ATTCK_TIX_NONE);
    assert_int_equal(attck_tix_writer_finish(w, &data, &size), -1);

    attck_tix_writer_destroy(w);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_too_many_tactics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
