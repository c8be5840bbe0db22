
/*
 * attck-worker evaluate: how well the mapper maps text it has not seen,
 * by several protocols, so that progress on one is not mistaken for
 * progress: the previous method (technique texts whole, weights pruned
 * at 0.01, every other technique's examples negatives), the current one
 * (technique texts and each of their sentences, pruned at 0.05, a
 * technique's parent and sub-techniques not its negatives, its own
 * examples weighing twice: train.h, averaged with a model of the
 * previous method as train writes it) and a zero-training TF-IDF
 * baseline, each trained without what it is tested on:
 *
 *   actors      procedure examples in five folds by actor (group,
 *               software, campaign), each fold scored by a model of the
 *               rest (its vocabulary too);
 *   campaigns   every campaign's procedure examples, scored by a model
 *               of everything but campaigns;
 *   descriptions
 *               the sentences of technique descriptions in five folds
 *               by technique, each scored against the technique it
 *               describes by a model without those techniques' texts,
 *               whole or in sentences (a sentence's own description
 *               would hand it its answer); their procedure examples
 *               stay;
 *   documents   each group's procedure examples of a held-out actor
 *               fold as one document, scored as classify scores a
 *               document (sentences, best sentence per technique), top
 *               10 against the set of its techniques;
 *
 * micro F1 at top 1 and 3 (one technique per text), exact and rolled up
 * to parents, and for documents micro P/R/F1 at top 10 rolled up, with
 * the reliability of document scores: in bins of score, how many of the
 * techniques given were right, both as plain logistic margins and
 * calibrated as train calibrates them (on the procedure examples of
 * another actor fold, held out of a first training), which is what a
 * document threshold of map and classify is compared with.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "train.h"


#define ATTCK_EVAL_K        3
#define ATTCK_EVAL_DOC_K    10
#define ATTCK_EVAL_METHODS  3
#define ATTCK_EVAL_BINS     10
#define ATTCK_EVAL_SENT     4096


enum {
    ATTCK_EVAL_ACTORS = 0,
    ATTCK_EVAL_CAMPAIGNS,
    ATTCK_EVAL_DESCRIPTIONS,
    ATTCK_EVAL_NPROT
};


/* the reliability curve of document scores: margins and calibrated */
typedef struct {
    double       n[ATTCK_EVAL_BINS];
    double       right[ATTCK_EVAL_BINS];
    double       score[ATTCK_EVAL_BINS];
} attck_eval_bins_t;


/* one method on one sentence protocol: [level exact/parent][top 1/3] */
typedef struct {
    double       tp[2][2];
    double       pred[2][2];
    double       gold[2][2];
} attck_eval_counts_t;


typedef struct {
    double             tp, pred, gold;
    attck_eval_bins_t  bins[2];      /* plain margins, calibrated */
    size_t             docs;
} attck_eval_docs_t;


typedef struct {
    attck_eval_counts_t   c[ATTCK_EVAL_NPROT][ATTCK_EVAL_METHODS];
    size_t                n[ATTCK_EVAL_NPROT];
    attck_eval_docs_t     d[ATTCK_EVAL_METHODS];
    uint32_t             *parent;     /* class -> its parent's class */
    uint32_t              nclasses;
    void                 *mem;
    size_t                memsize;
    attck_cls_hit_t       hits[ATTCK_CLS_MAX_EXPLICIT + ATTCK_EVAL_DOC_K];
} attck_eval_t;


static const char  *attck_eval_method[ATTCK_EVAL_METHODS] = {
    "previous", "current", "TF-IDF baseline"
};


static void attck_eval_init(attck_eval_t *ev, attck_train_t *t);
static size_t attck_eval_classify(attck_eval_t *ev,
    const attck_map_model_t *m, const char *text, size_t k);
static void attck_eval_sentence(attck_eval_t *ev, int prot, int method,
    const attck_map_model_t *m, const attck_train_example_t *e);
static void attck_eval_document(attck_eval_t *ev, int method,
    const attck_map_model_t *m, const char *text, const uint8_t *gold);
static void attck_eval_bin(attck_eval_bins_t *bins, double score,
    int right);
static void attck_eval_models(attck_train_t *t, const uint8_t *use,
    int calibrate, uint8_t held, attck_map_model_t *models);
static uint8_t attck_eval_description_fold(const attck_train_example_t *e);
static void attck_eval_print(attck_eval_t *ev);
static int attck_eval_actor_cmp(const void *a, const void *b);


/* for qsort(3): examples by actor, then in the order ATT&CK gives them */
static attck_train_t  *attck_eval_examples;


static void
attck_eval_init(attck_eval_t *ev, attck_train_t *t)
{
    memset(ev, 0, sizeof(attck_eval_t));
    ev->nclasses = t->nclasses;
    ev->parent = attck_train_parents(t);
}


/* the model's hits for a text, as classify finds them, ids written in
 * the text left out: those are not the model's doing */

static size_t
attck_eval_classify(attck_eval_t *ev, const attck_map_model_t *m,
    const char *text, size_t k)
{
    size_t            i, j, n, nsent, need;
    attck_cls_work_t  w;

    need = attck_cls_work_size(&m->cls, ATTCK_EVAL_SENT);

    if (need > ev->memsize) {
        free(ev->mem);
        ev->mem = attck_xmalloc(need);
        ev->memsize = need;
    }

    attck_cls_work_init(&w, &m->cls, ev->mem, ATTCK_EVAL_SENT);
    n = attck_cls_classify(&m->cls, &w, text, strlen(text), k, 0.0,
                           ev->hits, &nsent);

    for (i = 0, j = 0; i < n; i++) {
        if (!ev->hits[i].explicit) {
            ev->hits[j++] = ev->hits[i];
        }
    }

    return j < k ? j : k;
}


static void
attck_eval_sentence(attck_eval_t *ev, int prot, int method,
    const attck_map_model_t *m, const attck_train_example_t *e)
{
    size_t                i, j, n, np, k;
    uint32_t              parent[ATTCK_EVAL_K], p, gold[2];
    attck_eval_counts_t  *c;

    c = &ev->c[prot][method];
    n = attck_eval_classify(ev, m, e->text, ATTCK_EVAL_K);
    gold[0] = e->cls;
    gold[1] = ev->parent[e->cls];
    np = 0;

    for (i = 0; i < n; i++) {

        /* rolled up, a parent named twice counts once */

        p = ev->parent[ev->hits[i].cls];

        for (j = 0; j < np && parent[j] != p; j++) { /* void */ }

        if (j == np) {
            parent[np++] = p;
        }
    }

    for (k = 0; k < 2; k++) {
        c->gold[0][k]++;
        c->gold[1][k]++;

        for (i = 0; i < (k ? n : (n ? 1 : 0)); i++) {
            c->pred[0][k]++;
            c->tp[0][k] += ev->hits[i].cls == gold[0];
        }

        for (i = 0; i < (k ? np : (np ? 1 : 0)); i++) {
            c->pred[1][k]++;
            c->tp[1][k] += parent[i] == gold[1];
        }
    }
}


/* gold: by class, the parents the document's examples name */

static void
attck_eval_document(attck_eval_t *ev, int method, const attck_map_model_t *m,
    const char *text, const uint8_t *gold)
{
    size_t              i, j, n, np;
    uint32_t            parent[ATTCK_EVAL_DOC_K], p;
    attck_eval_docs_t  *d;

    d = &ev->d[method];
    n = attck_eval_classify(ev, m, text, ATTCK_EVAL_DOC_K);
    np = 0;
    d->docs++;

    for (i = 0; i < ev->nclasses; i++) {
        d->gold += gold[i];
    }

    for (i = 0; i < n; i++) {
        p = ev->parent[ev->hits[i].cls];

        for (j = 0; j < np && parent[j] != p; j++) { /* void */ }

        if (j < np) {
            continue;
        }

        parent[np++] = p;
        d->pred++;
        d->tp += gold[p];

        /* the same margin, as a plain logistic and as classify gives it */

        attck_eval_bin(&d->bins[0],
                       (float) attck_cls_calibrate(1.0f, 0.0f,
                                                   ev->hits[i].margin),
                       gold[p]);
        attck_eval_bin(&d->bins[1], ev->hits[i].score, gold[p]);
    }
}


static void
attck_eval_bin(attck_eval_bins_t *bins, double score, int right)
{
    int  b;

    b = (int) (score * ATTCK_EVAL_BINS);
    b = b < 0 ? 0 : b >= ATTCK_EVAL_BINS ? ATTCK_EVAL_BINS - 1 : b;
    bins->n[b]++;
    bins->right[b] += right;
    bins->score[b] += score;
}


/*
 * The three methods trained on the examples where use[i] is set; with
 * calibrate, the two trained ones calibrated as train calibrates (the
 * final training is the same, so are margins and ranks).  Train fits
 * the calibration on actor fold 0: the folds are renumbered for it so
 * that fold 0 is the one after the held-out fold, never the held-out
 * one, which is not used and would leave nothing to fit on.
 */

static void
attck_eval_models(attck_train_t *t, const uint8_t *use, int calibrate,
    uint8_t held, attck_map_model_t *models)
{
    size_t                  i;
    uint8_t                *prev, shift;
    attck_train_example_t  *e;

    prev = attck_xcalloc(t->examples.n, 1);
    shift = (uint8_t) ((held + 1) % ATTCK_TRAIN_FOLDS);

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        prev[i] = use[i] && !e->sentence;

        if (calibrate && e->fold != ATTCK_TRAIN_NO_FOLD) {
            e->fold = (uint8_t) ((e->fold + ATTCK_TRAIN_FOLDS - shift)
                                 % ATTCK_TRAIN_FOLDS);
        }
    }

    t->prune = ATTCK_TRAIN_PRUNE_PREV;
    t->previous = 1;
    attck_train_learn(t, prev, calibrate, &models[0]);
    t->prune = ATTCK_TRAIN_PRUNE;
    t->previous = 0;
    attck_train_learn(t, use, calibrate, &models[1]);
    attck_train_baseline(t, prev, &models[2]);

    for (i = 0; calibrate && i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);

        if (e->fold != ATTCK_TRAIN_NO_FOLD) {
            e->fold = (uint8_t) ((e->fold + shift) % ATTCK_TRAIN_FOLDS);
        }
    }

    for (i = 0; i < ATTCK_EVAL_METHODS; i++) {
        attck_map_model_seal(&models[i]);
    }

    free(prev);
}


/* a technique's description and its sentences: a fold by technique */

static uint8_t
attck_eval_description_fold(const attck_train_example_t *e)
{
    uint32_t     h;
    const char  *p;

    h = 2166136261u;

    for (p = e->technique; *p; p++) {
        h = (h ^ (unsigned char) *p) * 16777619u;
    }

    return (uint8_t) (h % ATTCK_TRAIN_FOLDS);
}


static int
attck_eval_actor_cmp(const void *a, const void *b)
{
    uint32_t                ia, ib;
    attck_train_example_t  *x, *y;

    ia = *(const uint32_t *) a;
    ib = *(const uint32_t *) b;
    x = attck_vec_at(&attck_eval_examples->examples, attck_train_example_t,
                     ia);
    y = attck_vec_at(&attck_eval_examples->examples, attck_train_example_t,
                     ib);

    if (x->actor != y->actor) {
        return x->actor < y->actor ? -1 : 1;
    }

    return (ia > ib) - (ia < ib);
}


static void
attck_eval_print(attck_eval_t *ev)
{
    int                   prot, a, b, k, cal;
    double                p, r, f1[2][2];
    attck_eval_docs_t    *d;
    attck_eval_bins_t    *bins;
    attck_eval_counts_t  *c;

    static const char  *name[ATTCK_EVAL_NPROT] = {
        "actors held out (5 folds)", "campaigns held out",
        "technique-description sentences held out (5 folds by technique)"
    };
    static const char  *unit[ATTCK_EVAL_NPROT] = {
        "procedure examples", "procedure examples",
        "sentences of technique descriptions"
    };

    for (prot = 0; prot < ATTCK_EVAL_NPROT; prot++) {
        printf("%s: %zu %s, micro F1\n\n", name[prot], ev->n[prot],
               unit[prot]);
        printf("| method | exact top 1 | exact top %d | parent top 1 "
               "| parent top %d |\n|---|---|---|---|---|\n",
               ATTCK_EVAL_K, ATTCK_EVAL_K);

        for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
            c = &ev->c[prot][a];

            for (b = 0; b < 2; b++) {
                for (k = 0; k < 2; k++) {
                    p = c->pred[b][k] ? c->tp[b][k] / c->pred[b][k] : 0;
                    r = c->gold[b][k] ? c->tp[b][k] / c->gold[b][k] : 0;
                    f1[b][k] = (p + r) ? 2 * p * r / (p + r) : 0;
                }
            }

            printf("| %s | %.3f | %.3f | %.3f | %.3f |\n",
                   attck_eval_method[a], f1[0][0], f1[0][1], f1[1][0],
                   f1[1][1]);
        }

        printf("\n");
    }

    printf("documents (each group's procedure examples of a held-out "
           "actor fold): %zu, top %d rolled up to parents\n\n",
           ev->d[0].docs, ATTCK_EVAL_DOC_K);
    printf("| method | micro P | micro R | micro F1 |\n|---|---|---|---|\n");

    for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
        d = &ev->d[a];
        p = d->pred ? d->tp / d->pred : 0;
        r = d->gold ? d->tp / d->gold : 0;
        printf("| %s | %.3f | %.3f | %.3f |\n", attck_eval_method[a], p, r,
               (p + r) ? 2 * p * r / (p + r) : 0);
    }

    printf("\nreliability of document scores (techniques given, by "
           "score): mean score / fraction right (n); plain logistic "
           "margins, and calibrated as train and classify give them\n\n"
           "| score | previous | current | previous calibrated "
           "| current calibrated |\n|---|---|---|---|---|\n");

    for (b = 0; b < ATTCK_EVAL_BINS; b++) {
        printf("| %.1f-%.1f |", (double) b / ATTCK_EVAL_BINS,
               (double) (b + 1) / ATTCK_EVAL_BINS);

        for (cal = 0; cal < 2; cal++) {
            for (a = 0; a < 2; a++) {
                bins = &ev->d[a].bins[cal];

                if (bins->n[b] == 0) {
                    printf(" - |");
                    continue;
                }

                printf(" %.2f / %.2f (%.0f) |", bins->score[b] / bins->n[b],
                       bins->right[b] / bins->n[b], bins->n[b]);
            }
        }

        printf("\n");
    }
}


int
attck_evaluate_main(int argc, char **argv)
{
    int                     c, a;
    char                   *doc;
    size_t                  i, j, k, len, cap, ngroups, nidx;
    uint8_t                *use, *gold;
    uint32_t                fold, *idx;
    attck_eval_t            ev;
    attck_train_t           t;
    attck_map_model_t       models[ATTCK_EVAL_METHODS];
    attck_train_example_t  *e, *f;
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
    idx = attck_xcalloc(t.examples.n, sizeof(uint32_t));
    gold = attck_xcalloc(t.nclasses, 1);
    cap = 1024;
    doc = attck_xmalloc(cap);

    /* actors held out; the groups of the fold as documents */

    for (fold = 0; fold < ATTCK_TRAIN_FOLDS; fold++) {
        for (i = 0; i < t.examples.n; i++) {
            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            use[i] = e->fold != fold;
        }

        attck_eval_models(&t, use, 1, (uint8_t) fold, models);
        ngroups = 0;

        for (i = 0; i < t.examples.n; i++) {
            if (use[i]) {
                continue;
            }

            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            ev.n[ATTCK_EVAL_ACTORS]++;

            for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
                attck_eval_sentence(&ev, ATTCK_EVAL_ACTORS, a, &models[a], e);
            }
        }

        /* each group of the fold: its examples as one document */

        nidx = 0;

        for (i = 0; i < t.examples.n; i++) {
            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            if (!use[i] && e->intrusion) {
                idx[nidx++] = (uint32_t) i;
            }
        }

        attck_eval_examples = &t;
        qsort(idx, nidx, sizeof(uint32_t), attck_eval_actor_cmp);

        for (i = 0; i < nidx; i = j) {
            e = attck_vec_at(&t.examples, attck_train_example_t, idx[i]);

            for (j = i + 1; j < nidx; j++) {
                f = attck_vec_at(&t.examples, attck_train_example_t, idx[j]);
                if (f->actor != e->actor) {
                    break;
                }
            }

            if (j - i < 3) {
                continue;
            }

            memset(gold, 0, t.nclasses);
            len = 0;

            for (k = i; k < j; k++) {
                f = attck_vec_at(&t.examples, attck_train_example_t, idx[k]);
                gold[ev.parent[f->cls]] = 1;

                while (len + strlen(f->text) + 2 > cap) {
                    cap *= 2;
                    doc = realloc(doc, cap);
                    if (doc == NULL) {
                        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
                    }
                }

                len += sprintf(doc + len, "%s\n", f->text);
            }

            ngroups++;

            for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
                attck_eval_document(&ev, a, &models[a], doc, gold);
            }
        }

        attck_log("info", "evaluate: fold %u: %zu documents", fold + 1,
                  ngroups);

        for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
            attck_map_model_free(&models[a]);
        }
    }

    /* campaigns held out */

    for (i = 0; i < t.examples.n; i++) {
        e = attck_vec_at(&t.examples, attck_train_example_t, i);
        use[i] = !e->campaign;
    }

    attck_eval_models(&t, use, 0, 0, models);

    for (i = 0; i < t.examples.n; i++) {
        if (use[i]) {
            continue;
        }

        e = attck_vec_at(&t.examples, attck_train_example_t, i);
        ev.n[ATTCK_EVAL_CAMPAIGNS]++;

        for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
            attck_eval_sentence(&ev, ATTCK_EVAL_CAMPAIGNS, a, &models[a], e);
        }
    }

    for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
        attck_map_model_free(&models[a]);
    }

    /*
     * technique-description sentences held out: the techniques of a fold
     * lose their description, whole and in sentences, and each of its
     * sentences is scored against the technique it describes
     */

    for (fold = 0; fold < ATTCK_TRAIN_FOLDS; fold++) {
        for (i = 0; i < t.examples.n; i++) {
            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            use[i] = !(e->definition || e->sentence)
                     || attck_eval_description_fold(e) != fold;
        }

        attck_eval_models(&t, use, 0, 0, models);
        nidx = 0;

        for (i = 0; i < t.examples.n; i++) {
            e = attck_vec_at(&t.examples, attck_train_example_t, i);
            if (use[i] || !e->sentence) {
                continue;
            }

            ev.n[ATTCK_EVAL_DESCRIPTIONS]++;
            nidx++;

            for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
                attck_eval_sentence(&ev, ATTCK_EVAL_DESCRIPTIONS, a,
                                    &models[a], e);
            }
        }

        attck_log("info", "evaluate: description fold %u: %zu sentences",
                  fold + 1, nidx);

        for (a = 0; a < ATTCK_EVAL_METHODS; a++) {
            attck_map_model_free(&models[a]);
        }
    }

    attck_eval_print(&ev);

    free(doc);
    free(idx);
    free(gold);
    free(ev.parent);
    free(ev.mem);
    free(use);
    attck_train_free(&t);

    return ATTCK_EXIT_OK;
}
