
/*
 * Unit tests for attck_taxii.c: RFC 3339 times parsed strictly (what
 * added_after, match[version] and X-TAXII-Date-Added-Last accept),
 * formatted back, and the content hash.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "attck_taxii.h"


static int64_t
parse(const char *s)
{
    int64_t  us;

    assert_int_equal(attck_taxii_time(s, strlen(s), &us), 0);

    return us;
}


static void
refused(const char *s)
{
    int64_t  us = 1;

    assert_int_equal(attck_taxii_time(s, strlen(s), &us), -1);
    assert_true(us == 0);
}


static void
test_valid(void **state)
{
    struct tm  tm;
    time_t     t;

    /* against the C library's own calendar */

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 2025 - 1900;
    tm.tm_mon = 10;
    tm.tm_mday = 13;
    tm.tm_hour = 14;
    t = timegm(&tm);

    assert_true(parse("2025-11-13T14:00:00Z") == (int64_t) t * 1000000);
    assert_true(parse("2025-11-13T14:00:00.188Z")
                == (int64_t) t * 1000000 + 188000);
    assert_true(parse("2025-11-13t14:00:00.188z")
                == (int64_t) t * 1000000 + 188000);
    assert_true(parse("2025-11-13T15:00:00.188+01:00")
                == parse("2025-11-13T14:00:00.188Z"));
    assert_true(parse("2025-11-13T13:30:00.188-00:30")
                == parse("2025-11-13T14:00:00.188Z"));
    assert_true(parse("2025-11-13T14:00:00.123456789Z")
                == (int64_t) t * 1000000 + 123456);
    assert_true(parse("2024-02-29T00:00:00Z") > 0);
    assert_true(parse("2000-02-29T00:00:00Z") > 0);
    assert_true(parse("1970-01-01T00:00:00Z") == 0);
    assert_true(parse("1969-12-31T23:59:59.5Z") == -500000);
}


static void
test_refused(void **state)
{
    refused("");
    refused("2025-11-13");
    refused("2025-11-13T14:00:00");
    refused("2025-11-13 14:00:00Z");
    refused("2025-11-13T14:00Z");
    refused("2025-11-13T14:00:00.Z");
    refused("2025-11-13T14:00:00.1234567890Z");
    refused("2025-11-13T14:00:00+0100");
    refused("2025-11-13T14:00:00+01");
    refused("2025-11-13T14:00:00+24:00");
    refused("2025-11-13T14:00:00Zx");
    refused("2025-02-29T00:00:00Z");
    refused("1900-02-29T00:00:00Z");
    refused("2025-04-31T00:00:00Z");
    refused("2025-00-01T00:00:00Z");
    refused("2025-13-01T00:00:00Z");
    refused("2025-11-13T24:00:00Z");
    refused("2025-11-13T14:60:00Z");
    refused("2025-11-13T14:00:61Z");
    refused("+2025-11-13T14:00:00Z");
    refused("2025-11-13 14:00:00.188000+00:00");
    refused("２025-11-13T14:00:00Z");
}


static void
test_format(void **state)
{
    char         buf[ATTCK_TAXII_MAX_TIME];
    size_t       i, n;
    static const char  *round[] = {
        "2025-11-13T14:00:00.188Z", "1970-01-01T00:00:00.000Z",
        "2024-02-29T23:59:59.999Z", "2026-03-02T00:00:00.000001Z",
        "1969-12-31T23:59:59.500Z", "9999-12-31T23:59:59.999999Z"
    };

    for (i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
        n = attck_taxii_time_format(buf, parse(round[i]));
        assert_int_equal(n, strlen(round[i]));
        assert_string_equal(buf, round[i]);
    }

    attck_taxii_time_format(buf, parse("2026-04-01T02:00:00.5+02:00"));
    assert_string_equal(buf, "2026-04-01T00:00:00.500Z");
}


static void
test_hash(void **state)
{
    uint64_t  a, b;

    a = attck_taxii_hash(ATTCK_TAXII_FNV, "ab", 2);
    b = attck_taxii_hash(attck_taxii_hash(ATTCK_TAXII_FNV, "a", 1), "b", 1);

    assert_true(a == b);
    assert_true(a != attck_taxii_hash(ATTCK_TAXII_FNV, "ba", 2));
    assert_true(attck_taxii_hash(ATTCK_TAXII_FNV, "", 0) == ATTCK_TAXII_FNV);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
