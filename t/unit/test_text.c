
/*
 * Unit tests for attck_text.c: the tokeniser shared by the index builder
 * and the search query, and the name normaliser.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "attck_text.h"


#define MAX_TERMS  64


typedef struct {
    char    term[MAX_TERMS][ATTCK_TEXT_MAX_TERM + 16];
    size_t  len[MAX_TERMS];
    size_t  n;
    int     overflow;
} terms_t;


static void
collect(const char *term, size_t len, void *ctx)
{
    terms_t  *t = ctx;

    if (t->n == MAX_TERMS || len > ATTCK_TEXT_MAX_TERM + 15) {
        t->overflow = 1;
        return;
    }

    memcpy(t->term[t->n], term, len);
    t->term[t->n][len] = '\0';
    t->len[t->n] = len;
    t->n++;
}


static void
tokenise(terms_t *t, const char *text, size_t len)
{
    memset(t, 0, sizeof(terms_t));
    attck_text_terms(text, len, collect, t);
}


/*
 * Asserts the exact sequence of terms, given as a NULL-terminated list;
 * on mismatch prints what was produced.
 */
static void
check_terms_len(const char *text, size_t len, const char **expect)
{
    size_t   i, n;
    terms_t  t;

    tokenise(&t, text, len);

    for (n = 0; expect[n]; n++) { /* void */ }

    if (t.n != n || t.overflow) {
        print_error("input \"%.*s\": expected %zu terms, got %zu:\n",
                    (int) len, text, n, t.n);
        for (i = 0; i < t.n; i++) {
            print_error("  [%zu] \"%s\" (%zu)\n", i, t.term[i], t.len[i]);
        }
    }

    assert_false(t.overflow);
    assert_int_equal(t.n, n);

    for (i = 0; i < n; i++) {
        assert_int_equal(t.len[i], strlen(expect[i]));
        assert_memory_equal(t.term[i], expect[i], t.len[i]);
    }
}


#define check_terms(text, ...)                                               \
    do {                                                                     \
        const char *expect_[] = { __VA_ARGS__, NULL };                       \
        check_terms_len(text, strlen(text), expect_);                        \
    } while (0)

#define check_no_terms(text)                                                 \
    do {                                                                     \
        const char *expect_[] = { NULL };                                    \
        check_terms_len(text, strlen(text), expect_);                        \
    } while (0)


static void
test_terms_split_on_non_alnum(void **state)
{
    check_terms("Hello, World! foo_bar baz-qux/quux (x2y)",
                "hello", "world", "foo", "bar", "baz", "qux", "quux", "x2y");
    check_terms("  leading and trailing  ", "leading", "and", "trailing");
    check_terms("tab\tnew\nline\r\nend", "tab", "new", "line", "end");
    check_terms("2024 v2 10", "2024", "v2", "10");
    check_terms("word", "word");
}


static void
test_terms_lower_case(void **state)
{
    check_terms("PowerShell CMD MiXeD", "powershell", "cmd", "mixed");
    check_terms("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz");
    /* characters around the letter ranges are separators, not letters */
    check_no_terms("a@b[c`d{e");
    check_terms("ab@cd[ef`gh{ij", "ab", "cd", "ef", "gh", "ij");
}


static void
test_terms_skip_one_byte(void **state)
{
    check_terms("a b c de x", "de");
    check_no_terms("I/O a 1 z");
    check_terms("T 1 ab", "ab");
}


static void
test_terms_max_length(void **state)
{
    char  text[256], w48[ATTCK_TEXT_MAX_TERM + 1], w49[ATTCK_TEXT_MAX_TERM + 2];

    memset(w48, 'a', ATTCK_TEXT_MAX_TERM);
    w48[ATTCK_TEXT_MAX_TERM] = '\0';
    memset(w49, 'b', ATTCK_TEXT_MAX_TERM + 1);
    w49[ATTCK_TEXT_MAX_TERM + 1] = '\0';

    /* exactly ATTCK_TEXT_MAX_TERM bytes: kept */
    snprintf(text, sizeof(text), "xx %s yy", w48);
    check_terms(text, "xx", w48, "yy");

    /* one byte more: skipped, its neighbours are not */
    snprintf(text, sizeof(text), "xx %s yy", w49);
    check_terms(text, "xx", "yy");

    /* upper case input of the maximal length comes out lower-cased */
    memset(text, 'Q', ATTCK_TEXT_MAX_TERM);
    text[ATTCK_TEXT_MAX_TERM] = '\0';
    memset(w48, 'q', ATTCK_TEXT_MAX_TERM);
    check_terms(text, w48);
}


static void
test_terms_compound(void **state)
{
    check_terms("cmd.exe", "cmd", "exe", "cmd.exe");
    check_terms("T1059.001", "t1059", "001", "t1059.001");
    check_terms("run CMD.EXE now", "run", "cmd", "exe", "cmd.exe", "now");
    check_terms("ab.cd.ef", "ab", "cd", "ef", "ab.cd.ef");
    check_terms("1.2", "1.2");
}


static void
test_terms_compound_one_byte_parts(void **state)
{
    /* the parts are one byte each and skipped, the compound is not */
    check_terms("a.b.c", "a.b.c");
    check_terms("x.y", "x.y");
    check_terms("v1.2.3", "v1", "v1.2.3");
}


static void
test_terms_compound_dots(void **state)
{
    /* a trailing dot joins nothing */
    check_terms("end.", "end");
    check_terms("end. next", "end", "next");
    check_terms("cmd.exe.", "cmd", "exe", "cmd.exe");

    /* a leading dot, doubled dots and spaced dots are plain separators */
    check_terms(".net", "net");
    check_terms("cmd..exe", "cmd", "exe");
    check_terms("cmd. exe", "cmd", "exe");
    check_terms("cmd .exe", "cmd", "exe");

    /* other punctuation does not join */
    check_terms("cmd-exe cmd,exe cmd_exe", "cmd", "exe", "cmd", "exe",
                "cmd", "exe");
}


static void
test_terms_compound_length(void **state)
{
    char  text[128], a[64], b[64], c[128];

    /* 23 + 1 + 24 = 48 bytes: the compound is kept */
    memset(a, 'a', 23);
    a[23] = '\0';
    memset(b, 'b', 24);
    b[24] = '\0';
    snprintf(text, sizeof(text), "%s.%s", a, b);
    snprintf(c, sizeof(c), "%s.%s", a, b);
    check_terms(text, a, b, c);

    /* 24 + 1 + 24 = 49 bytes: the compound is skipped, the parts are not */
    memset(a, 'a', 24);
    a[24] = '\0';
    snprintf(text, sizeof(text), "%s.%s", a, b);
    check_terms(text, a, b);
}


static void
test_terms_utf8(void **state)
{
    /* bytes >= 0x80 belong to words and are not changed */
    check_terms("caf\xc3\xa9 na\xc3\xafve", "caf\xc3\xa9", "na\xc3\xafve");
    check_terms("\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89");
    check_terms("\xd0\x9f\xd1\x80\xd0\xb8", "\xd0\x9f\xd1\x80\xd0\xb8");
    check_terms("x \xc3\xa9 y", "\xc3\xa9");
    check_terms("caf\xc3\xa9.exe", "caf\xc3\xa9", "exe", "caf\xc3\xa9.exe");
}


static void
test_terms_bounds(void **state)
{
    terms_t      t;
    const char  *none[] = { NULL };
    const char  *abc[] = { "abc", NULL };
    const char  *cmd[] = { "cmd", NULL };
    const char  *abcd[] = { "ab", "cd", NULL };

    /* nothing at all */
    tokenise(&t, "", 0);
    assert_int_equal(t.n, 0);
    tokenise(&t, "ignored", 0);
    assert_int_equal(t.n, 0);
    check_no_terms("... ,;: --- ");

    /* len is honoured, the text need not be NUL-terminated */
    check_terms_len("abcdef", 3, abc);
    check_terms_len("cmd.exe", 4, cmd);
    check_terms_len("x", 1, none);

    /* a NUL byte inside the text is a separator */
    check_terms_len("ab\0cd", 5, abcd);
}


static void
check_normalize(const char *src, const char *expect)
{
    char    dst[256];
    size_t  n;

    memset(dst, 'Z', sizeof(dst));
    n = attck_text_normalize(dst, sizeof(dst), src, strlen(src));

    if (n != strlen(expect) || memcmp(dst, expect, n) != 0) {
        print_error("normalize(\"%s\") = \"%.*s\", expected \"%s\"\n",
                    src, (int) n, dst, expect);
    }

    assert_int_equal(n, strlen(expect));
    assert_memory_equal(dst, expect, n);
}


static void
test_utf8(void **state)
{
    /* valid: ASCII, 2, 3 and 4 bytes, the edges of each range */
    assert_true(attck_text_utf8("", 0));
    assert_true(attck_text_utf8("powershell", 10));
    assert_true(attck_text_utf8("\xc3\xa9", 2));                 /* U+00E9 */
    assert_true(attck_text_utf8("\xc2\x80", 2));                 /* U+0080 */
    assert_true(attck_text_utf8("\xe0\xa0\x80", 3));             /* U+0800 */
    assert_true(attck_text_utf8("\xed\x9f\xbf", 3));             /* U+D7FF */
    assert_true(attck_text_utf8("\xee\x80\x80", 3));             /* U+E000 */
    assert_true(attck_text_utf8("\xf0\x90\x80\x80", 4));         /* U+10000 */
    assert_true(attck_text_utf8("\xf4\x8f\xbf\xbf", 4));         /* U+10FFFF */

    /* invalid: overlong, surrogates, past U+10FFFF, bad bytes, cut */
    assert_false(attck_text_utf8("\xc0\xaf", 2));
    assert_false(attck_text_utf8("\xc1\xbf", 2));
    assert_false(attck_text_utf8("\xe0\x80\xaf", 3));
    assert_false(attck_text_utf8("\xf0\x80\x80\xaf", 4));
    assert_false(attck_text_utf8("\xed\xa0\x80", 3));             /* D800 */
    assert_false(attck_text_utf8("\xed\xbf\xbf", 3));             /* DFFF */
    assert_false(attck_text_utf8("\xf4\x90\x80\x80", 4));
    assert_false(attck_text_utf8("\xf5\x80\x80\x80", 4));
    assert_false(attck_text_utf8("\xf8\x90\x80\x80", 4));
    assert_false(attck_text_utf8("\xff", 1));
    assert_false(attck_text_utf8("\x80", 1));
    assert_false(attck_text_utf8("\xc3\xc3", 2));
    assert_false(attck_text_utf8("\xc3", 1));
    assert_false(attck_text_utf8("a\xe2\x82", 3));
    assert_false(attck_text_utf8("\xc3\xa9\xc3", 3));

    /* the length is respected: a valid prefix of a longer buffer */
    assert_true(attck_text_utf8("\xc3\xa9\xc3", 2));
}


static void
test_utf8_repair(void **state)
{
    char    out[64];
    size_t  len;

    /* valid text is copied as it is */
    assert_int_equal(attck_text_utf8_repair(out, &len, "caf\xc3\xa9", 5), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "caf\xc3\xa9", 5);

    /* each bad byte becomes U+FFFD; what follows is kept */
    assert_int_equal(attck_text_utf8_repair(out, &len, "a\xff" "b", 3), 1);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "a\xef\xbf\xbd" "b", 5);

    /* a cut sequence at the end, a surrogate, an overlong form */
    assert_int_equal(attck_text_utf8_repair(out, &len, "x\xe2\x82", 3), 2);
    assert_true(attck_text_utf8(out, len));
    assert_int_equal(attck_text_utf8_repair(out, &len, "\xed\xa0\x80", 3), 3);
    assert_true(attck_text_utf8(out, len));
    assert_int_equal(attck_text_utf8_repair(out, &len, "\xc0\xaf", 2), 2);
    assert_int_equal(len, 6);

    /* the result is always valid */
    assert_int_equal(attck_text_utf8_repair(out, &len, "\x80\x80\xc3", 3), 3);
    assert_true(attck_text_utf8(out, len));
}


static void
test_normalize(void **state)
{
    check_normalize("Command and Scripting Interpreter",
                    "command and scripting interpreter");
    check_normalize("  Hello   World\t\n", "hello world");
    check_normalize("A\tB\r\nC", "a b c");
    check_normalize("\n\r\t x", "x");
    check_normalize("Scheduled Task/Job", "scheduled task/job");
    check_normalize("T1059.001", "t1059.001");
    check_normalize("", "");
    check_normalize(" \t\r\n ", "");
    check_normalize("single", "single");
    /* bytes >= 0x80 are kept as they are */
    check_normalize("CAF\xc3\x89  Bar", "caf\xc3\x89 bar");
}


static void
test_normalize_dstlen(void **state)
{
    char         full[64], dst[64];
    size_t       k, nfull, n;
    const char  *src = "  Hello   World \t Again  ";

    nfull = attck_text_normalize(full, sizeof(full), src, strlen(src));
    assert_int_equal(nfull, strlen("hello world again"));
    assert_memory_equal(full, "hello world again", nfull);

    /* any dstlen: never writes past it, and gives a prefix of the result */

    for (k = 0; k <= nfull + 2; k++) {
        memset(dst, '#', sizeof(dst));
        n = attck_text_normalize(dst, k, src, strlen(src));

        assert_int_equal(n, k < nfull ? k : nfull);
        assert_memory_equal(dst, full, n);
        assert_int_equal(dst[k], '#');
        assert_int_equal(dst[sizeof(dst) - 1], '#');
    }

    /* dstlen 0 writes nothing */
    memset(dst, '#', sizeof(dst));
    assert_int_equal(attck_text_normalize(dst, 0, "abc", 3), 0);
    assert_int_equal(dst[0], '#');

    /* the source length is honoured */
    n = attck_text_normalize(dst, sizeof(dst), "ABC DEF", 3);
    assert_int_equal(n, 3);
    assert_memory_equal(dst, "abc", 3);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_split_on_non_alnum),
        cmocka_unit_test(test_terms_lower_case),
        cmocka_unit_test(test_terms_skip_one_byte),
        cmocka_unit_test(test_terms_max_length),
        cmocka_unit_test(test_terms_compound),
        cmocka_unit_test(test_terms_compound_one_byte_parts),
        cmocka_unit_test(test_terms_compound_dots),
        cmocka_unit_test(test_terms_compound_length),
        cmocka_unit_test(test_terms_utf8),
        cmocka_unit_test(test_terms_bounds),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_dstlen),
    };

    return cmocka_run_group_tests_name("attck_text", tests, NULL, NULL);
}
