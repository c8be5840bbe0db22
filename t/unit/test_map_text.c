
/*
 * Unit tests for worker/map_text.c: the mapper's security-aware
 * tokeniser and the extraction of technique ids written in the text.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "map_text.h"


#define MAX_TOKENS  64


typedef struct {
    char    tok[MAX_TOKENS][ATTCK_MAP_MAX_TOKEN + 3];
    size_t  n;
    int     overflow;
} tokens_t;


/* compounds are recorded as "+token", words as they are */

static void
collect(const char *tok, size_t len, attck_map_kind_e kind, void *ctx)
{
    tokens_t  *t = ctx;
    char      *d;

    if (t->n == MAX_TOKENS || len > ATTCK_MAP_MAX_TOKEN) {
        t->overflow = 1;
        return;
    }

    d = t->tok[t->n++];

    if (kind == ATTCK_MAP_COMPOUND) {
        *d++ = '+';
    }

    memcpy(d, tok, len);
    d[len] = '\0';
}


static void
check_tokens_list(const char *text, const char **expect)
{
    size_t    i, n;
    tokens_t  t;

    memset(&t, 0, sizeof(tokens_t));
    attck_map_tokens(text, strlen(text), collect, &t);

    for (n = 0; expect[n]; n++) { /* void */ }

    if (t.n != n || t.overflow) {
        print_error("input \"%s\": expected %zu tokens, got %zu:\n",
                    text, n, t.n);
        for (i = 0; i < t.n; i++) {
            print_error("  [%zu] \"%s\"\n", i, t.tok[i]);
        }
    }

    assert_false(t.overflow);
    assert_int_equal(t.n, n);

    for (i = 0; i < n; i++) {
        assert_string_equal(t.tok[i], expect[i]);
    }
}


#define check_tokens(text, ...)                                              \
    do {                                                                     \
        const char *expect_[] = { __VA_ARGS__, NULL };                       \
        check_tokens_list(text, expect_);                                    \
    } while (0)


static void
test_tokens_words(void **state)
{
    check_tokens("APT29 has used PowerShell to run commands",
                 "apt29", "used", "powershell", "run", "commands");
    check_tokens("The actor, then; (again) \"quoted\"",
                 "actor", "again", "quoted");
    check_tokens("a I x", NULL);
}


static void
test_tokens_files_and_switches(void **state)
{
    check_tokens("ran cmd.exe /c whoami",
                 "ran", "+cmd.exe", "cmd", "exe", "+/c", "whoami");
    check_tokens("powershell.exe -NoP -EncodedCommand SQBFAFgA",
                 "+powershell.exe", "powershell", "exe", "+-nop", "nop",
                 "+-encodedcommand", "encodedcommand", "sqbfafga");
    /* sentence punctuation is not part of a file name */
    check_tokens("It dropped svchost.dll.", "dropped", "+svchost.dll",
                 "svchost", "dll");
}


static void
test_tokens_paths_and_ids(void **state)
{
    check_tokens("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                 "+hklm\\software\\microsoft\\windows\\currentversion\\run",
                 "hklm", "software", "microsoft", "windows",
                 "currentversion", "run");
    check_tokens("exploited CVE-2021-44228 in Log4j",
                 "exploited", "+cve-2021-44228", "cve", "2021", "44228",
                 "log4j");
    check_tokens("%APPDATA%\\evil.bat", "+%appdata%\\evil.bat", "appdata",
                 "evil", "bat");
}


static void
test_tokens_markup(void **state)
{
    check_tokens("used <code>net user</code> and <br/>whoami",
                 "used", "net", "user", "whoami");
    /* a lone "<" is not a tag */
    check_tokens("if a < b then", NULL);
    check_tokens("x <3 y <notatag", "notatag");
}


static void
test_tokens_limits(void **state)
{
    char      long_word[200];
    tokens_t  t;

    memset(long_word, 'a', sizeof(long_word) - 1);
    long_word[sizeof(long_word) - 1] = '\0';
    check_tokens(long_word, NULL);

    /* bytes >= 0x80 stay inside words; nothing is read past len */
    memset(&t, 0, sizeof(tokens_t));
    attck_map_tokens("caf\xc3\xa9 xyz", 6, collect, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.tok[0], "caf\xc3\xa9");

    /* Unicode spaces separate words; other non-ASCII letters do not */
    check_tokens("system.\xc2\xa0When\xe2\x80\xafLKMs\xe2\x80\x83x"
                 "\xe3\x80\x80ring0", "system", "when", "lkms", "ring0");
    assert_int_equal(attck_map_unicode_space("\xc2\xa0", 2), 2);
    assert_int_equal(attck_map_unicode_space("\xc2\xa0", 1), 0);
    assert_int_equal(attck_map_unicode_space("\xe2\x80\x8b", 3), 3);
    assert_int_equal(attck_map_unicode_space("\xe2\x80\x8c", 3), 0);
    assert_int_equal(attck_map_unicode_space("\xe2\x80\x2f", 3), 0);
    assert_int_equal(attck_map_unicode_space("\xe2\x81\x9f", 3), 3);

    /* curly quotes and dashes do not stick to words */
    check_tokens("\xe2\x80\x9cpowershell\xe2\x80\x9d APT29\xe2\x80\x99s "
                 "x\xe2\x80\x94" "cmd \xc2\xabwmi\xc2\xbb", "powershell",
                 "apt29", "cmd", "wmi");

    memset(&t, 0, sizeof(tokens_t));
    attck_map_tokens(NULL, 0, collect, &t);
    assert_int_equal(t.n, 0);
}


#define check_ids(text, ...)                                                 \
    do {                                                                     \
        const char *expect_[] = { __VA_ARGS__, NULL };                       \
        check_ids_list(text, expect_);                                       \
    } while (0)


static void
check_ids_list(const char *text, const char **expect)
{
    char    ids[8][ATTCK_MAP_ID_SIZE];
    size_t  i, n, got;

    got = attck_map_explicit_ids(text, strlen(text), ids, 8);

    for (n = 0; expect[n]; n++) { /* void */ }

    if (got != n) {
        print_error("input \"%s\": expected %zu ids, got %zu\n", text, n,
                    got);
        for (i = 0; i < got; i++) {
            print_error("  [%zu] %s\n", i, ids[i]);
        }
    }

    assert_int_equal(got, n);

    for (i = 0; i < n; i++) {
        assert_string_equal(ids[i], expect[i]);
    }
}


static void
test_ids_found(void **state)
{
    check_ids("Uses T1059.001 and T1566.", "T1059.001", "T1566");
    check_ids("(t1003) then T0859 in ICS", "T1003", "T0859");
    check_ids("https://attack.mitre.org/techniques/T1547/001/",
              "T1547.001");
    check_ids("attack_ids: [\"T1071.001\",\"T1105\"]", "T1071.001",
              "T1105");
    check_ids("T1059", "T1059");
    /* curly quotes, no-break spaces and apostrophes around an id */
    check_ids("\xe2\x80\x9cT1059.001\xe2\x80\x9d, "
              "\xc2\xa0T1105\xe2\x80\x99s",
              "T1059.001", "T1105");
}


static void
test_ids_once_in_order(void **state)
{
    check_ids("T1105, T1059.001, t1105, T1059.001, T1059",
              "T1105", "T1059.001", "T1059");
}


static void
test_ids_not_ids(void **state)
{
    check_ids("AT1059 T10590 T1059x T105 T12a4 5T1234 host.T1234", NULL);
    check_ids("build T1234567 and T-1059", NULL);
    /* a sub-technique needs exactly three digits */
    check_ids("T1059.01 T1059.0011", "T1059");
}


static void
test_ids_limit(void **state)
{
    char    ids[2][ATTCK_MAP_ID_SIZE];
    size_t  n;

    n = attck_map_explicit_ids("T1001 T1002 T1003", 17, ids, 2);
    assert_int_equal(n, 2);
    assert_string_equal(ids[1], "T1002");

    /* an id cut by the length is not read past it */
    n = attck_map_explicit_ids("T1059.001", 7, ids, 2);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "T1059");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_words),
        cmocka_unit_test(test_tokens_files_and_switches),
        cmocka_unit_test(test_tokens_paths_and_ids),
        cmocka_unit_test(test_tokens_markup),
        cmocka_unit_test(test_tokens_limits),
        cmocka_unit_test(test_ids_found),
        cmocka_unit_test(test_ids_once_in_order),
        cmocka_unit_test(test_ids_not_ids),
        cmocka_unit_test(test_ids_limit),
    };

    return cmocka_run_group_tests_name("map_text", tests, NULL, NULL);
}
