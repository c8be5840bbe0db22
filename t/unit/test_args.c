
/*
 * Unit tests for attck_args.c: query-string pairs, percent-decoding,
 * booleans and bounded unsigned integers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "attck_args.h"


#define CANARY  '#'


typedef struct {
    const char  *p;
    const char  *end;
    char         buf[64];
    size_t       buflen;
    attck_arg_t  arg;
} parser_t;


static void
parser_init(parser_t *ps, const char *qs, size_t len, size_t buflen)
{
    memset(ps, 0, sizeof(parser_t));
    ps->p = qs;
    ps->end = qs + len;
    ps->buflen = buflen;
    memset(ps->buf, CANARY, sizeof(ps->buf));
}


static int
parser_next(parser_t *ps)
{
    int  rc;

    rc = attck_args_next(&ps->p, ps->end, &ps->arg, ps->buf, ps->buflen);

    /* nothing is ever written past buflen */
    assert_true(ps->buflen < sizeof(ps->buf));
    assert_int_equal(ps->buf[ps->buflen], CANARY);

    return rc;
}


static void
expect_pair(parser_t *ps, const char *name, const char *value)
{
    assert_int_equal(parser_next(ps), ATTCK_ARGS_OK);
    assert_int_equal(ps->arg.name_len, strlen(name));
    assert_memory_equal(ps->arg.name, name, ps->arg.name_len);
    assert_ptr_equal(ps->arg.value, ps->buf);
    assert_int_equal(ps->arg.value_len, strlen(value));
    assert_memory_equal(ps->arg.value, value, ps->arg.value_len);
}


/* decodes a query string of one pair and checks the value */
static void
check_value(const char *qs, const char *value)
{
    parser_t  ps;

    parser_init(&ps, qs, strlen(qs), 32);
    expect_pair(&ps, "x", value);
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static int
first_rc(const char *qs, size_t len, size_t buflen)
{
    parser_t  ps;

    parser_init(&ps, qs, len, buflen);
    return parser_next(&ps);
}


static void
test_next_sequence(void **state)
{
    parser_t     ps;
    const char  *qs = "a=1&b=two+words&c=%41%42&&d&e=";

    parser_init(&ps, qs, strlen(qs), 32);

    expect_pair(&ps, "a", "1");
    expect_pair(&ps, "b", "two words");
    expect_pair(&ps, "c", "AB");
    expect_pair(&ps, "d", "");
    expect_pair(&ps, "e", "");

    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
    assert_ptr_equal(ps.p, ps.end);

    /* END is sticky */
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
    assert_ptr_equal(ps.p, ps.end);
}


static void
test_next_name_points_into_input(void **state)
{
    parser_t     ps;
    const char  *qs = "tactic=TA0002&platform=windows";

    parser_init(&ps, qs, strlen(qs), 32);

    expect_pair(&ps, "tactic", "TA0002");
    assert_ptr_equal(ps.arg.name, qs);
    assert_ptr_equal(ps.p, qs + strlen("tactic=TA0002"));

    expect_pair(&ps, "platform", "windows");
    assert_ptr_equal(ps.arg.name, qs + strlen("tactic=TA0002&"));
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static void
test_next_empty_pairs(void **state)
{
    parser_t  ps;

    parser_init(&ps, "", 0, 32);
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);

    parser_init(&ps, "&&&", 3, 32);
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
    assert_ptr_equal(ps.p, ps.end);

    parser_init(&ps, "&&a=1&&&b=2&&", 13, 32);
    expect_pair(&ps, "a", "1");
    expect_pair(&ps, "b", "2");
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static void
test_next_end_bound(void **state)
{
    parser_t     ps;
    const char  *qs = "a=123&b=2";

    /* end cuts the input: nothing beyond it is read */
    parser_init(&ps, qs, 4, 32);
    expect_pair(&ps, "a", "12");
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);

    parser_init(&ps, qs, 1, 32);
    expect_pair(&ps, "a", "");
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static void
test_next_name_and_equals(void **state)
{
    parser_t  ps;

    /* only the first '=' separates; names are raw */
    check_value("x=b=c", "b=c");
    check_value("x==", "=");

    parser_init(&ps, "%41=1&a+b=2", 11, 32);
    expect_pair(&ps, "%41", "1");
    expect_pair(&ps, "a+b", "2");
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static void
test_next_decoding(void **state)
{
    check_value("x=a+b++c", "a b  c");
    check_value("x=%2B", "+");
    check_value("x=%20", " ");
    check_value("x=%25", "%");
    check_value("x=%6a%4A", "jJ");
    check_value("x=%c3%A9", "\xc3\xa9");
    /* decoded once, not twice */
    check_value("x=%2541", "%41");
    check_value("x=%25%34%31", "%41");
    /* raw bytes >= 0x80 are kept */
    check_value("x=caf\xc3\xa9", "caf\xc3\xa9");
    check_value("x=cmd.exe", "cmd.exe");
}


static void
test_next_malformed_percent(void **state)
{
    check_value("x=%4", "%4");
    check_value("x=%zz", "%zz");
    check_value("x=%", "%");
    check_value("x=%%", "%%");
    check_value("x=%4g", "%4g");
    check_value("x=%g4", "%g4");
    check_value("x=%%41", "%A");
    check_value("x=a%", "a%");

    /* an escape is not completed across '&' */
    {
        parser_t  ps;

        parser_init(&ps, "x=%4&y=1&z=%&w=%A", 17, 32);
        expect_pair(&ps, "x", "%4");
        expect_pair(&ps, "y", "1");
        expect_pair(&ps, "z", "%");
        expect_pair(&ps, "w", "%A");
        assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
    }

    /* a truncated escape at the end of the input is not read past end */
    {
        parser_t     ps;
        const char  *qs = "x=%41";

        parser_init(&ps, qs, 4, 32);
        expect_pair(&ps, "x", "%4");

        parser_init(&ps, qs, 3, 32);
        expect_pair(&ps, "x", "%");
    }
}


static void
test_next_too_long(void **state)
{
    parser_t  ps;

    assert_int_equal(first_rc("q=abcdef", 8, 5), ATTCK_ARGS_TOO_LONG);
    assert_int_equal(first_rc("q=abcdef", 8, 0), ATTCK_ARGS_TOO_LONG);

    /* exactly buflen bytes fit */
    parser_init(&ps, "q=abcdef", 8, 6);
    expect_pair(&ps, "q", "abcdef");

    /* the limit is on decoded bytes */
    parser_init(&ps, "q=%41%42%43", 11, 3);
    expect_pair(&ps, "q", "ABC");
    assert_int_equal(first_rc("q=%41%42%43", 11, 2), ATTCK_ARGS_TOO_LONG);

    /* an empty value or a bare name needs no room */
    parser_init(&ps, "e=&d", 4, 0);
    expect_pair(&ps, "e", "");
    expect_pair(&ps, "d", "");
    assert_int_equal(parser_next(&ps), ATTCK_ARGS_END);
}


static void
test_next_bad(void **state)
{
    assert_int_equal(first_rc("q=%00", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=a%00b", 7, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=a%0Ab", 7, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=%0d", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=%1F", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=%7f", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=\x01", 3, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=a\tb", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=a\nb", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=\x7f", 3, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=a\0b", 5, 32), ATTCK_ARGS_BAD);
    assert_int_equal(first_rc("q=\x1f", 3, 32), ATTCK_ARGS_BAD);

    /* the neighbours of the bad ranges are fine */
    check_value("x=%20%7E%7e", " ~~");
    check_value("x=\x20~", " ~");
    check_value("x=%80%FF", "\x80\xff");
}


static void
test_bool(void **state)
{
    assert_int_equal(attck_args_bool("true", 4), 1);
    assert_int_equal(attck_args_bool("1", 1), 1);
    assert_int_equal(attck_args_bool("yes", 3), 1);
    assert_int_equal(attck_args_bool("false", 5), 0);
    assert_int_equal(attck_args_bool("0", 1), 0);
    assert_int_equal(attck_args_bool("no", 2), 0);

    assert_int_equal(attck_args_bool("", 0), -1);
    assert_int_equal(attck_args_bool("TRUE", 4), -1);
    assert_int_equal(attck_args_bool("True", 4), -1);
    assert_int_equal(attck_args_bool("yes ", 4), -1);
    assert_int_equal(attck_args_bool(" no", 3), -1);
    assert_int_equal(attck_args_bool("tru", 3), -1);
    assert_int_equal(attck_args_bool("truex", 5), -1);
    assert_int_equal(attck_args_bool("2", 1), -1);
    assert_int_equal(attck_args_bool("01", 2), -1);
    assert_int_equal(attck_args_bool("on", 2), -1);

    /* len is honoured */
    assert_int_equal(attck_args_bool("true", 3), -1);
    assert_int_equal(attck_args_bool("1abc", 1), 1);
    assert_int_equal(attck_args_bool("nope", 2), 0);
}


static void
test_uint(void **state)
{
    assert_int_equal(attck_args_uint("0", 1, 100), 0);
    assert_int_equal(attck_args_uint("7", 1, 100), 7);
    assert_int_equal(attck_args_uint("007", 3, 100), 7);
    assert_int_equal(attck_args_uint("42", 2, 100), 42);

    /* not a plain decimal */
    assert_int_equal(attck_args_uint("", 0, 100), -1);
    assert_int_equal(attck_args_uint("+1", 2, 100), -1);
    assert_int_equal(attck_args_uint("-1", 2, 100), -1);
    assert_int_equal(attck_args_uint(" 1", 2, 100), -1);
    assert_int_equal(attck_args_uint("1 ", 2, 100), -1);
    assert_int_equal(attck_args_uint("12a", 3, 100), -1);
    assert_int_equal(attck_args_uint("0x1", 3, 100), -1);
    assert_int_equal(attck_args_uint("1.0", 3, 100), -1);
    assert_int_equal(attck_args_uint("/", 1, 100), -1);
    assert_int_equal(attck_args_uint(":", 1, 100), -1);

    /* len is honoured */
    assert_int_equal(attck_args_uint("123", 2, 1000), 12);
    assert_int_equal(attck_args_uint("5x", 1, 1000), 5);
}


static void
test_uint_bounds(void **state)
{
    /* max is inclusive */
    assert_int_equal(attck_args_uint("100", 3, 100), 100);
    assert_int_equal(attck_args_uint("101", 3, 100), -1);
    assert_int_equal(attck_args_uint("0", 1, 0), 0);
    assert_int_equal(attck_args_uint("1", 1, 0), -1);
    assert_int_equal(attck_args_uint("99999", 5, 1000), -1);

    /* 18 digits are accepted */
    assert_int_equal(attck_args_uint("999999999999999999", 18, INT64_MAX),
                     INT64_C(999999999999999999));
    assert_int_equal(attck_args_uint("000000000000000001", 18, INT64_MAX), 1);
    assert_int_equal(attck_args_uint("999999999999999999", 18,
                                     INT64_C(999999999999999998)), -1);

    /* more than 18 digits never overflow into a wrong value */
    assert_int_equal(attck_args_uint("1000000000000000000", 19, INT64_MAX),
                     -1);
    assert_int_equal(attck_args_uint("9999999999999999999", 19, INT64_MAX),
                     -1);
    assert_int_equal(attck_args_uint("99999999999999999999999", 23,
                                     INT64_MAX), -1);
    assert_int_equal(attck_args_uint("18446744073709551617", 20, INT64_MAX),
                     -1);
}


static void
test_eq(void **state)
{
    assert_true(attck_args_eq("abc", 3, "abc"));
    assert_true(attck_args_eq("", 0, ""));
    assert_true(attck_args_eq("abcd", 3, "abc"));
    assert_true(attck_args_eq("q", 1, "q"));

    assert_false(attck_args_eq("ab", 2, "abc"));
    assert_false(attck_args_eq("abcd", 4, "abc"));
    assert_false(attck_args_eq("ABC", 3, "abc"));
    assert_false(attck_args_eq("abd", 3, "abc"));
    assert_false(attck_args_eq("", 0, "a"));
    assert_false(attck_args_eq("a", 1, ""));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_sequence),
        cmocka_unit_test(test_next_name_points_into_input),
        cmocka_unit_test(test_next_empty_pairs),
        cmocka_unit_test(test_next_end_bound),
        cmocka_unit_test(test_next_name_and_equals),
        cmocka_unit_test(test_next_decoding),
        cmocka_unit_test(test_next_malformed_percent),
        cmocka_unit_test(test_next_too_long),
        cmocka_unit_test(test_next_bad),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_uint_bounds),
        cmocka_unit_test(test_eq),
    };

    return cmocka_run_group_tests_name("attck_args", tests, NULL, NULL);
}
