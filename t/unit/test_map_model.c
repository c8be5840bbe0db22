
/*
 * Unit tests for worker/map_model.c: the model file round trip, its
 * checks, calibrated scores and evidence.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_model.h"


static char  path[64];


/*
 * Three classes over the terms of four texts; "powershell" and
 * "encodedcommand" point to T1059.001, "spearphishing" to T1566.001.
 */
static void
write_model(void)
{
    char                 err[256];
    size_t               i;
    int64_t              id;
    uint32_t             starts[64];
    attck_map_meta_t     meta;
    attck_map_vocab_t    v;
    attck_map_class_t    classes[3];
    attck_map_posting_t  post[8];
    size_t               np;

    static const char  *texts[] = {
        "powershell encodedcommand", "spearphishing attachment",
        "powershell script", "scheduled task"
    };

    attck_map_vocab_init(&v);

    for (i = 0; i < 4; i++) {
        attck_map_vocab_add(&v, texts[i], strlen(texts[i]));
    }

    assert_true(attck_map_vocab_freeze(&v, 1) < 63);

    memset(classes, 0, sizeof(classes));
    strcpy(classes[0].id, "T1053.005");
    strcpy(classes[1].id, "T1059.001");
    strcpy(classes[2].id, "T1566.001");

    for (i = 0; i < 3; i++) {
        classes[i].bias = -1.0f;
    }

    np = 0;

    for (i = 0; i < v.n; i++) {
        starts[i] = (uint32_t) np;

        if (strcmp(v.terms[i], "powershell") == 0) {
            post[np++] = (attck_map_posting_t) { 1, 2.0f };
        }

        if (strcmp(v.terms[i], "encodedcommand") == 0) {
            post[np++] = (attck_map_posting_t) { 0, -0.5f };
            post[np++] = (attck_map_posting_t) { 1, 3.0f };
        }

        if (strcmp(v.terms[i], "spearphishing") == 0) {
            post[np++] = (attck_map_posting_t) { 2, 4.0f };
        }
    }

    starts[v.n] = (uint32_t) np;
    id = attck_map_vocab_find(&v, "powershell", 10);
    assert_true(id >= 0);

    memset(&meta, 0, sizeof(meta));
    strcpy(meta.release, "18.1");
    strcpy(meta.created, "2025-10-28T00:00:00Z");
    strcpy(meta.trainset, "abc");
    meta.platt_a = 2.0f;
    meta.platt_b = 0.5f;
    meta.doc_a = 2.0f;
    meta.doc_b = 0.5f;

    assert_int_equal(attck_map_model_write(path, &meta, &v, starts, post,
                                           classes, 3, err, sizeof(err)),
                     0);
    attck_map_vocab_free(&v);
}


static int
setup(void **state)
{
    snprintf(path, sizeof(path), "/tmp/attck-model-test-%d", (int) getpid());
    write_model();
    return 0;
}


static int
teardown(void **state)
{
    unlink(path);
    return 0;
}


static size_t
classify(attck_map_model_t *m, const char *text, size_t k, double threshold,
    attck_cls_hit_t *hits)
{
    size_t             n, nsent;
    static char        mem[1 << 16];
    attck_cls_work_t   w;

    assert_true(attck_cls_work_size(&m->cls, 16) <= sizeof(mem));
    attck_cls_work_init(&w, &m->cls, mem, 16);
    n = attck_cls_classify(&m->cls, &w, text, strlen(text), k, threshold,
                           hits, &nsent);

    return n;
}


static void
test_round_trip(void **state)
{
    char               err[256];
    size_t             n;
    attck_cls_hit_t    hits[ATTCK_CLS_MAX_EXPLICIT + 3];
    attck_map_model_t  m;

    assert_int_equal(attck_map_model_load(&m, path, err, sizeof(err)), 0);
    assert_string_equal(m.meta.release, "18.1");
    assert_string_equal(m.meta.trainset, "abc");
    assert_int_equal(m.nclasses, 3);
    assert_string_equal(m.cls.classes[1].id, "T1059.001");

    n = classify(&m, "Ran PowerShell -EncodedCommand", 3, 0.0, hits);
    assert_int_equal(n, 3);
    assert_string_equal(m.cls.classes[hits[0].cls].id, "T1059.001");

    /* evidence: the terms that weighed for the class, heaviest first */
    assert_int_equal(hits[0].nevidence, 2);
    assert_string_equal(attck_cls_term_str(&m.cls, hits[0].evidence[0]),
                        "encodedcommand");
    assert_string_equal(attck_cls_term_str(&m.cls, hits[0].evidence[1]),
                        "powershell");

    /* scores calibrated into [0,1], best first; a negative weight is no
     * evidence */
    assert_true(hits[0].score <= 1.0f && hits[2].score >= 0.0f);
    assert_true(hits[0].score > hits[1].score);
    assert_true(hits[1].score >= hits[2].score);
    assert_int_equal(hits[1].nevidence + hits[2].nevidence, 0);

    /* a threshold leaves out what scores under it */
    n = classify(&m, "spearphishing", 3, 0.9, hits);
    assert_int_equal(n, 1);
    assert_string_equal(m.cls.classes[hits[0].cls].id, "T1566.001");

    /* nothing known, nothing found */
    assert_int_equal(classify(&m, "hello world", 3, 0.0, hits), 0);

    attck_map_model_free(&m);
}


static void
test_calibration_bounds(void **state)
{
    double            s;
    attck_map_meta_t  meta;

    memset(&meta, 0, sizeof(meta));
    meta.platt_a = 5.0f;
    meta.platt_b = 1.0f;

    s = attck_map_model_calibrate(&meta, 1e6);
    assert_true(s >= 0.0 && s <= 1.0 && isfinite(s));
    s = attck_map_model_calibrate(&meta, -1e6);
    assert_true(s >= 0.0 && s <= 1.0 && isfinite(s));
    assert_true(attck_map_model_calibrate(&meta, 0.5)
                > attck_map_model_calibrate(&meta, 0.4));
}


static void
rewrite(const char *p, const char *data, size_t len)
{
    FILE  *f;

    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}


static void
test_damage_refused(void **state)
{
    char               err[256], bad[80], *data;
    size_t             len;
    attck_map_model_t  m;

    data = attck_read_file(path, &len, err, sizeof(err));
    assert_non_null(data);
    snprintf(bad, sizeof(bad), "%s.bad", path);

    /* one flipped byte anywhere */
    data[len / 2] ^= 0x40;
    rewrite(bad, data, len);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);
    assert_non_null(strstr(err, "checksum"));
    data[len / 2] ^= 0x40;

    /* cut short */
    rewrite(bad, data, len - 5);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);
    assert_non_null(strstr(err, "truncated"));

    /* another format version */
    data[8]++;
    rewrite(bad, data, len);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);
    assert_non_null(strstr(err, "format"));

    /* not a model at all */
    rewrite(bad, "{\"json\": true}", 14);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);

    unlink(bad);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_NOINPUT);

    free(data);
}


/* written by the writer, refused by the loader: what the CRC cannot
 * catch because the file is whole */
static void
test_bad_content_refused(void **state)
{
    char                 err[256], bad[80];
    uint32_t             starts[1] = { 0 };
    attck_map_meta_t     meta;
    attck_map_vocab_t    v;
    attck_map_model_t    m;
    attck_map_class_t    classes[3];

    snprintf(bad, sizeof(bad), "%s.content", path);
    attck_map_vocab_init(&v);
    attck_map_vocab_freeze(&v, 1);

    memset(&meta, 0, sizeof(meta));
    meta.platt_a = 1.0f;
    meta.doc_a = 1.0f;
    memset(classes, 0, sizeof(classes));
    strcpy(classes[0].id, "T1001");
    strcpy(classes[1].id, "T1002");
    strcpy(classes[2].id, "T1003");

    assert_int_equal(attck_map_model_write(bad, &meta, &v, starts, NULL,
                                           classes, 3, err, sizeof(err)), 0);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)), 0);
    attck_map_model_free(&m);

    /* not a technique id, which would end up in SQL rows */
    strcpy(classes[1].id, "X'; --");
    assert_int_equal(attck_map_model_write(bad, &meta, &v, starts, NULL,
                                           classes, 3, err, sizeof(err)), 0);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);
    assert_non_null(strstr(err, "class"));

    /* out of order */
    strcpy(classes[1].id, "T1000");
    assert_int_equal(attck_map_model_write(bad, &meta, &v, starts, NULL,
                                           classes, 3, err, sizeof(err)), 0);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);

    /* a calibration that does not grow with the margin */
    strcpy(classes[1].id, "T1002");
    meta.platt_a = -1.0f;
    assert_int_equal(attck_map_model_write(bad, &meta, &v, starts, NULL,
                                           classes, 3, err, sizeof(err)), 0);
    assert_int_equal(attck_map_model_load(&m, bad, err, sizeof(err)),
                     ATTCK_EXIT_DATAERR);
    assert_non_null(strstr(err, "description"));

    attck_map_vocab_free(&v);
    unlink(bad);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_calibration_bounds),
        cmocka_unit_test(test_damage_refused),
        cmocka_unit_test(test_bad_content_refused),
    };

    return cmocka_run_group_tests_name("map_model", tests, setup, teardown);
}
