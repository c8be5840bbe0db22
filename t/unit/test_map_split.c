
/*
 * Unit tests for snapshot/attck_classify.c's sentence split: CTI text
 * (IOCs, paths, command lines, versions, URLs, bullets) and hostile
 * input.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attck_classify.h"


#define MAX  64


/* the sentences of text joined by " | " */
static const char *
split(const char *text)
{
    size_t             i, n, len;
    static char        out[4096];
    attck_cls_span_t   spans[MAX];

    n = attck_cls_split(text, strlen(text), spans, MAX);
    assert_true(n <= MAX);
    len = 0;
    out[0] = '\0';

    for (i = 0; i < n; i++) {
        assert_true(spans[i].start < spans[i].end);
        assert_true(spans[i].end <= strlen(text));
        assert_true(i == 0 || spans[i].start >= spans[i - 1].end);

        len += snprintf(out + len, sizeof(out) - len, "%s%.*s",
                        i ? " | " : "",
                        (int) (spans[i].end - spans[i].start),
                        text + spans[i].start);
    }

    return out;
}


static void
test_cti_text(void **state)
{
    assert_string_equal(split("The actor ran cmd.exe /c whoami. Then it "
                              "left."),
                        "The actor ran cmd.exe /c whoami. | Then it left.");

    /* versions, addresses, defanged URLs and paths are not ends */
    assert_string_equal(split("It beacons to 10.2.3.4 and hxxp://evil[.]com/"
                              "a.php over v2.1.3 of the tool."),
                        "It beacons to 10.2.3.4 and hxxp://evil[.]com/a.php"
                        " over v2.1.3 of the tool.");
    assert_string_equal(split("Dropped C:\\Users\\Public\\a.dll. Loaded "
                              "it with rundll32.exe."),
                        "Dropped C:\\Users\\Public\\a.dll. | Loaded it "
                        "with rundll32.exe.");

    /* abbreviations and initials */
    assert_string_equal(split("Tools, e.g. Mimikatz, etc. were used by "
                              "J. Doe. Next one."),
                        "Tools, e.g. Mimikatz, etc. were used by J. Doe. "
                        "| Next one.");

    /* a lower-case word after a period: not a new sentence */
    assert_string_equal(split("It uses the .NET runtime. see also x."),
                        "It uses the .NET runtime. see also x.");

    /* questions, exclamations, quotes */
    assert_string_equal(split("Why? \"Because.\" Done!"),
                        "Why? | \"Because.\" | Done!");
}


static void
test_lines_and_bullets(void **state)
{
    assert_string_equal(split("Indicators:\n- a.exe\n- b.dll\n* c.ps1\n"
                              "\xe2\x80\xa2 d.vbs\n1. e.bat\n2) f.js"),
                        "Indicators: | a.exe | b.dll | c.ps1 | d.vbs | "
                        "e.bat | f.js");

    /* a wrapped line goes on; a blank line ends a paragraph */
    assert_string_equal(split("The loader was\nwritten in Go\n\nA second "
                              "paragraph"),
                        "The loader was\nwritten in Go | A second "
                        "paragraph");

    assert_string_equal(split("Title line:\r\nbody text here."),
                        "Title line: | body text here.");
}


static void
test_hostile(void **state)
{
    size_t             n, i;
    char              *big;
    attck_cls_span_t   spans[MAX];

    /* nothing to say */
    assert_string_equal(split(""), "");
    assert_string_equal(split("   \n\n\t "), "");
    assert_string_equal(split("...!!!???"), "");
    assert_string_equal(split("- \n* \n"), "");

    /* periods everywhere */
    assert_string_equal(split(". . . A. B. c"), "A. B. c");

    /* a run with no space is cut at the longest sentence */
    big = malloc(5000);
    assert_non_null(big);
    memset(big, 'a', 4999);
    big[4999] = '\0';

    n = attck_cls_split(big, 4999, spans, MAX);
    assert_int_equal(n, 5);

    for (i = 0; i < n; i++) {
        assert_true(spans[i].end - spans[i].start
                    <= ATTCK_CLS_MAX_SENTENCE);
    }

    /* multi-byte characters are not cut in half */
    for (i = 0; i + 3 <= 4998; i += 3) {
        memcpy(big + i, "\xe2\x80\x94", 3);
    }

    big[i] = '\0';
    n = attck_cls_split(big, i, spans, MAX);

    for (i = 0; i < n; i++) {
        assert_true(((unsigned char) big[spans[i].start] & 0xc0) != 0x80);
    }

    /* more sentences than room: counted, not stored past max */
    memset(big, 0, 5000);

    for (i = 0; i + 4 <= 4000; i += 4) {
        memcpy(big + i, "Ab. ", 4);
    }

    n = attck_cls_split(big, strlen(big), spans, 8);
    assert_int_equal(n, 1000);

    free(big);
}


static void
test_utf8(void **state)
{
    assert_true(attck_cls_utf8("plain", 5));
    assert_true(attck_cls_utf8("\xe2\x80\x94 \xf0\x9f\x98\x80", 8));
    assert_false(attck_cls_utf8("\xff", 1));
    assert_false(attck_cls_utf8("\xc0\xaf", 2));            /* overlong */
    assert_false(attck_cls_utf8("\xed\xa0\x80", 3));        /* surrogate */
    assert_false(attck_cls_utf8("\xe2\x80", 2));            /* cut short */
    assert_false(attck_cls_utf8("\xf4\x90\x80\x80", 4));    /* > U+10FFFF */
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cti_text),
        cmocka_unit_test(test_lines_and_bullets),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_utf8),
    };

    return cmocka_run_group_tests_name("map_split", tests, NULL, NULL);
}
