
/*
 * Unit tests for worker/map_vocab.c: terms with bigrams, document
 * frequencies, deterministic feature ids and TF-IDF vectors.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_vocab.h"


#define MAX_TERMS  32


typedef struct {
    char    term[MAX_TERMS][ATTCK_MAP_MAX_TERM + 1];
    size_t  n;
} terms_t;


static void
collect(const char *term, size_t len, void *ctx)
{
    terms_t  *t = ctx;

    assert_true(t->n < MAX_TERMS);
    memcpy(t->term[t->n], term, len);
    t->term[t->n][len] = '\0';
    t->n++;
}


static void
add_all(attck_map_vocab_t *v, const char **texts)
{
    for ( /* void */ ; *texts; texts++) {
        attck_map_vocab_add(v, *texts, strlen(*texts));
    }
}


static int64_t
find(attck_map_vocab_t *v, const char *term)
{
    return attck_map_vocab_find(v, term, strlen(term));
}


static void
test_terms_with_bigrams(void **state)
{
    size_t   i;
    terms_t  t;

    static const char  *expect[] = {
        "ran", "+cmd.exe", "cmd", "ran cmd", "exe", "cmd exe", "+/c",
        "whoami", "exe whoami"
    };

    memset(&t, 0, sizeof(terms_t));
    attck_map_terms("It ran cmd.exe /c whoami", 24, collect, &t);

    assert_int_equal(t.n, sizeof(expect) / sizeof(expect[0]));

    for (i = 0; i < t.n; i++) {
        /* compounds carry their own punctuation, no "+" */
        assert_string_equal(t.term[i],
                            expect[i][0] == '+' ? expect[i] + 1 : expect[i]);
    }
}


static void
test_df_and_min_df(void **state)
{
    attck_map_vocab_t  v;

    static const char  *texts[] = {
        "powershell powershell powershell encoded",
        "powershell download",
        "encoded payload",
        NULL
    };

    attck_map_vocab_init(&v);
    add_all(&v, texts);

    /* df counts texts, not occurrences: kept at 2, dropped below */
    assert_int_equal(attck_map_vocab_freeze(&v, 2), 2);
    assert_int_equal(find(&v, "encoded"), 0);
    assert_int_equal(find(&v, "powershell"), 1);
    assert_int_equal(find(&v, "download"), -1);
    assert_int_equal(find(&v, "powershell encoded"), -1);
    assert_int_equal(v.ntexts, 3);
    assert_string_equal(v.terms[1], "powershell");

    attck_map_vocab_free(&v);
}


static void
test_ids_do_not_depend_on_order(void **state)
{
    size_t             i, n1, n2;
    attck_map_vocab_t  v1, v2;

    static const char  *forward[] = {
        "zeta alpha mimikatz.exe", "beta gamma", "alpha zeta", NULL
    };
    static const char  *backward[] = {
        "alpha zeta", "beta gamma", "zeta alpha mimikatz.exe", NULL
    };

    attck_map_vocab_init(&v1);
    attck_map_vocab_init(&v2);
    add_all(&v1, forward);
    add_all(&v2, backward);

    n1 = attck_map_vocab_freeze(&v1, 1);
    n2 = attck_map_vocab_freeze(&v2, 1);

    assert_int_equal(n1, n2);

    for (i = 0; i < n1; i++) {
        assert_string_equal(v1.terms[i], v2.terms[i]);
        assert_true(v1.idf[i] == v2.idf[i]);

        if (i) {
            assert_true(strcmp(v1.terms[i - 1], v1.terms[i]) < 0);
        }
    }

    attck_map_vocab_free(&v1);
    attck_map_vocab_free(&v2);
}


static void
test_growth_keeps_every_term(void **state)
{
    char               text[32];
    size_t             i;
    attck_map_vocab_t  v;

    attck_map_vocab_init(&v);

    for (i = 0; i < 5000; i++) {
        snprintf(text, sizeof(text), "term%zu", i);
        attck_map_vocab_add(&v, text, strlen(text));
    }

    assert_int_equal(attck_map_vocab_freeze(&v, 1), 5000);

    for (i = 0; i < 5000; i += 499) {
        snprintf(text, sizeof(text), "term%zu", i);
        assert_true(find(&v, text) >= 0);
        assert_string_equal(v.terms[find(&v, text)], text);
    }

    attck_map_vocab_free(&v);
}


static void
test_vector(void **state)
{
    size_t             i;
    double             norm;
    attck_vec_t        vec;
    attck_map_feat_t  *f;
    attck_map_vocab_t  v;
    int64_t            rare, common;

    static const char  *texts[] = {
        "used powershell", "used cmd", "used wmi", "used rundll32", NULL
    };

    attck_map_vocab_init(&v);
    add_all(&v, texts);
    attck_map_vocab_freeze(&v, 1);

    attck_vec_init(&vec, sizeof(attck_map_feat_t));

    /* unknown words are left out; ids increase; unit length */
    attck_map_vocab_vector(&v, "Adversary used PowerShell used", 30, &vec);
    assert_int_equal(vec.n, 3);

    rare = find(&v, "powershell");
    common = find(&v, "used");
    norm = 0.0;

    for (i = 0; i < vec.n; i++) {
        f = attck_vec_at(&vec, attck_map_feat_t, i);
        norm += (double) f->w * f->w;

        if (i) {
            assert_true(f[-1].id < f->id);
        }
    }

    assert_true(fabs(norm - 1.0) < 1e-5);

    /* "used" twice but in every text: it still weighs less than a rare
     * word met once */
    for (i = 0; i < vec.n; i++) {
        f = attck_vec_at(&vec, attck_map_feat_t, i);
        if ((int64_t) f->id == rare) {
            norm = f->w;
        }
    }

    for (i = 0; i < vec.n; i++) {
        f = attck_vec_at(&vec, attck_map_feat_t, i);
        if ((int64_t) f->id == common) {
            assert_true(f->w < norm);
        }
    }

    /* nothing known: an empty vector, no division by zero */
    attck_map_vocab_vector(&v, "nothing here", 12, &vec);
    assert_int_equal(vec.n, 0);

    attck_vec_free(&vec);
    attck_map_vocab_free(&v);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_with_bigrams),
        cmocka_unit_test(test_df_and_min_df),
        cmocka_unit_test(test_ids_do_not_depend_on_order),
        cmocka_unit_test(test_growth_keeps_every_term),
        cmocka_unit_test(test_vector),
    };

    return cmocka_run_group_tests_name("map_vocab", tests, NULL, NULL);
}
