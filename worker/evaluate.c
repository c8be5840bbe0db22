
/*
 * attck-worker evaluate: how well the model maps text it has not seen,
 * beside a zero-training baseline.  The procedure examples are split
 * into folds by actor (group, software, campaign): each fold is scored
 * by a model trained on all the rest, so no actor's phrasing is both
 * learnt and tested.  Precision, recall and F1, micro and macro, at top
 * 1 and top 3, for exact techniques and rolled up to parents.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "train.h"


#define ATTCK_EVAL_K  3


/* method x level (exact, parent) x k (1, 3) */
typedef struct {
    double      *tp;          /* by class */
    double      *pred;
    double      *gold;
} attck_eval_counts_t;


typedef struct {
    attck_eval_counts_t   c[2][2][2];
    uint32_t             *parent;     /* class -> its parent's class */
    uint32_t              nclasses;
} attck_eval_t;


static void attck_eval_init(attck_eval_t *ev, attck_train_t *t);
static void attck_eval_score(attck_eval_t *ev, int method,
    const attck_map_model_t *m, const attck_train_example_t *e,
    attck_cls_work_t *w, attck_cls_hit_t *hits);
static void attck_eval_count(attck_eval_counts_t *c, uint32_t gold,
    const uint32_t *pred, size_t n);
static void attck_eval_print(attck_eval_t *ev);


static void
attck_eval_init(attck_eval_t *ev, attck_train_t *t)
{
    int                 a, b, k;
    uint32_t            i;
    attck_map_class_t   key, *p;

    memset(ev, 0, sizeof(attck_eval_t));
    ev->nclasses = t->nclasses;
    ev->parent = attck_xcalloc(t->nclasses, sizeof(uint32_t));

    for (i = 0; i < t->nclasses; i++) {
        memset(&key, 0, sizeof(key));
        memcpy(key.id, t->classes[i].id, 5);

        p = bsearch(&key, t->classes, t->nclasses, sizeof(attck_map_class_t),
                    attck_map_class_cmp);

        ev->parent[i] = p ? (uint32_t) (p - t->classes) : i;
    }

    for (a = 0; a < 2; a++) {
        for (b = 0; b < 2; b++) {
            for (k = 0; k < 2; k++) {
                ev->c[a][b][k].tp = attck_xcalloc(t->nclasses,
                                                  sizeof(double));
                ev->c[a][b][k].pred = attck_xcalloc(t->nclasses,
                                                    sizeof(double));
                ev->c[a][b][k].gold = attck_xcalloc(t->nclasses,
                                                    sizeof(double));
            }
        }
    }
}


static void
attck_eval_count(attck_eval_counts_t *c, uint32_t gold, const uint32_t *pred,
    size_t n)
{
    size_t  i;

    c->gold[gold]++;

    for (i = 0; i < n; i++) {
        c->pred[pred[i]]++;

        if (pred[i] == gold) {
            c->tp[gold]++;
        }
    }
}


static void
attck_eval_score(attck_eval_t *ev, int method, const attck_map_model_t *m,
    const attck_train_example_t *e, attck_cls_work_t *w,
    attck_cls_hit_t *hits)
{
    size_t    i, j, n, np, nsent;
    uint32_t  exact[ATTCK_EVAL_K], parent[ATTCK_EVAL_K], p;

    /* as classify scores it, but for ids written in the text: those are
     * not the model's doing */

    n = attck_cls_classify(&m->cls, w, e->text, strlen(e->text),
                           ATTCK_EVAL_K, 0.0, hits, &nsent);

    for (i = 0, j = 0; i < n; i++) {
        if (!hits[i].explicit) {
            hits[j++] = hits[i];
        }
    }

    n = j < ATTCK_EVAL_K ? j : ATTCK_EVAL_K;
    np = 0;

    for (i = 0; i < n; i++) {
        exact[i] = hits[i].cls;

        /* rolled up, a parent named twice counts once */

        p = ev->parent[hits[i].cls];

        for (j = 0; j < np && parent[j] != p; j++) { /* void */ }

        if (j == np) {
            parent[np++] = p;
        }
    }

    attck_eval_count(&ev->c[method][0][0], e->cls, exact, n ? 1 : 0);
    attck_eval_count(&ev->c[method][0][1], e->cls, exact, n);
    attck_eval_count(&ev->c[method][1][0], ev->parent[e->cls], parent,
                     np ? 1 : 0);
    attck_eval_count(&ev->c[method][1][1], ev->parent[e->cls], parent, np);
}


static void
attck_eval_print(attck_eval_t *ev)
{
    int                   a, b, k;
    double                tp, pred, gold, mp, mr, mf, p, r, f1[2][2][2],
                          classes;
    uint32_t              i;
    attck_eval_counts_t  *c;

    static const char  *method[] = { "model", "TF-IDF baseline" };
    static const char  *level[] = { "exact", "parent" };

    printf("| method | level | top | micro P | micro R | micro F1 "
           "| macro P | macro R | macro F1 |\n"
           "|---|---|---|---|---|---|---|---|---|\n");

    for (a = 0; a < 2; a++) {
        for (b = 0; b < 2; b++) {
            for (k = 0; k < 2; k++) {
                c = &ev->c[a][b][k];
                tp = pred = gold = 0;
                mp = mr = mf = classes = 0;

                for (i = 0; i < ev->nclasses; i++) {
                    tp += c->tp[i];
                    pred += c->pred[i];
                    gold += c->gold[i];

                    if (c->gold[i] == 0) {
                        continue;
                    }

                    /* macro: over the techniques the test set holds */

                    p = c->pred[i] ? c->tp[i] / c->pred[i] : 0;
                    r = c->tp[i] / c->gold[i];
                    mp += p;
                    mr += r;
                    mf += (p + r) ? 2 * p * r / (p + r) : 0;
                    classes++;
                }

                p = pred ? tp / pred : 0;
                r = gold ? tp / gold : 0;
                f1[a][b][k] = (p + r) ? 2 * p * r / (p + r) : 0;

                printf("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f "
                       "| %.3f |\n", method[a], level[b], k ? ATTCK_EVAL_K : 1,
                       p, r, f1[a][b][k], mp / classes, mr / classes,
                       mf / classes);
            }
        }
    }

    printf("\nmodel / baseline, micro F1 at top %d rolled up to parents: "
           "%.2fx\n", ATTCK_EVAL_K,
           f1[1][1][1] ? f1[0][1][1] / f1[1][1][1] : 0.0);
}


int
attck_evaluate_main(int argc, char **argv)
{
    int                     c, a, b, k;
    size_t                  i, ntest;
    uint8_t                *use;
    uint32_t                fold;
    attck_eval_t            ev;
    attck_train_t           t;
    void                   *mem;
    attck_cls_hit_t         hits[ATTCK_CLS_MAX_EXPLICIT + ATTCK_EVAL_K];
    attck_cls_work_t        w;
    attck_map_model_t       model, baseline;
    attck_train_example_t  *e;
    static struct option    longopts[] = {
        { "stix", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            break;
        case 'h':
            printf("usage: attck-worker evaluate [--stix] SOURCE...\n"
                   "SOURCE: STIX 2.1 bundles of one ATT&CK release; "
                   "default $ATTCK_SOURCES\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("evaluate", c, argv);
        }
    }

    attck_train_collect(&t, "evaluate", argc, argv, NULL, 0);
    attck_eval_init(&ev, &t);

    use = attck_xcalloc(t.examples.n, 1);

    for (fold = 0; fold < ATTCK_TRAIN_FOLDS; fold++) {
        ntest = 0;

        for (i = 0; i < t.examples.n; i++) {
            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            use[i] = e->fold != fold;
            ntest += !use[i];
        }

        attck_train_learn(&t, use, 0, &model);
        attck_train_baseline(&t, use, &baseline);
        attck_map_model_seal(&model);
        attck_map_model_seal(&baseline);

        /* one text at a time, the longest procedure example's sentences */

        mem = attck_xmalloc(attck_cls_work_size(&model.cls, 4096)
                            + attck_cls_work_size(&baseline.cls, 4096));

        for (i = 0; i < t.examples.n; i++) {
            if (use[i]) {
                continue;
            }

            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            attck_cls_work_init(&w, &model.cls, mem, 4096);
            attck_eval_score(&ev, 0, &model, e, &w, hits);
            attck_cls_work_init(&w, &baseline.cls, mem, 4096);
            attck_eval_score(&ev, 1, &baseline, e, &w, hits);
        }

        attck_log("info", "evaluate: fold %u: %zu held-out procedure "
                  "examples", fold + 1, ntest);

        free(mem);
        attck_map_model_free(&model);
        attck_map_model_free(&baseline);
    }

    attck_eval_print(&ev);

    for (a = 0; a < 2; a++) {
        for (b = 0; b < 2; b++) {
            for (k = 0; k < 2; k++) {
                free(ev.c[a][b][k].tp);
                free(ev.c[a][b][k].pred);
                free(ev.c[a][b][k].gold);
            }
        }
    }

    free(ev.parent);
    free(use);
    attck_train_free(&t);

    return ATTCK_EXIT_OK;
}
