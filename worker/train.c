
/*
 * attck-worker train: learns the mapper's model from ATT&CK's own text
 * (technique texts and procedure examples, see examples.c) and from
 * labeled JSON Lines a user adds.
 *
 * One linear SVM per technique (liblinear, L2-regularised, dual
 * coordinate descent) over TF-IDF vectors of words, compounds and word
 * pairs.  SVM margins are not probabilities, so one logistic
 * calibration (Platt) is fitted on procedure examples of actors held out
 * of a first training, then the model is trained again on everything:
 * a score means the same for every technique.
 *
 * Each technique's SVM is solved on a working set of its examples and
 * the negatives near them (attck_train_class), and the names of groups
 * and malware are examples of no technique: names, not behaviour.  A
 * technique's parent and sub-techniques are not its negatives (a
 * sub-technique's example is an example of its parent's behaviour too),
 * and its own examples weigh ATTCK_TRAIN_POS_WEIGHT times as much as
 * each negative.  The model written is the average of that model and
 * one of the previous method (attck_train_ensemble), which names the
 * exact technique of a description's sentence better.
 */

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <linear.h>

#include "compile.h"
#include "db.h"
#include "examples.h"
#include "train.h"


#define ATTCK_TRAIN_C          0.5
#define ATTCK_TRAIN_EPS        0.1
#define ATTCK_TRAIN_MIN_DF     2
#define ATTCK_TRAIN_CALIB_TOP  10

/* a weight on its way to the postings of its term */
typedef struct {
    uint32_t             term;
    attck_map_posting_t  p;
} attck_train_triple_t;


/* a negative and how like a class's examples it is */
typedef struct {
    double               score;
    uint32_t             i;
} attck_train_score_t;


/* the first working set: this many negatives and this many per positive */
#define ATTCK_TRAIN_WS_FIRST    500
#define ATTCK_TRAIN_WS_PER_POS  20


/* the bias of a class no example was used for: never ranked first */
#define ATTCK_TRAIN_ABSENT     -1e30f


static void attck_train_add(attck_train_t *t, const char *text,
    const char *technique, uint8_t fold, int definition);
static void attck_train_add_label(attck_train_t *t, const char *text,
    const char *technique, uint8_t fold, int definition);
static void attck_train_stix(const char *text, const char *technique,
    const char *source, const char *kind, void *ctx);
static void attck_train_add_span(attck_train_t *t, const char *text,
    size_t len, const char *technique);
static void attck_train_labeled(attck_train_t *t, const char *path);
static void attck_train_confirmed(attck_train_t *t, PGconn *db,
    const char *cmd);
static void attck_train_classes(attck_train_t *t);
static struct feature_node **attck_train_vectors(attck_train_t *t,
    const uint8_t *use, attck_map_vocab_t *vocab, uint32_t min_df);
static void attck_train_free_vectors(attck_train_t *t,
    struct feature_node **x);
static void attck_train_model_classes(attck_train_t *t,
    attck_map_model_t *m, float bias);
static void attck_train_postings(attck_vec_t *all, uint32_t nfeat,
    attck_map_model_t *m);
static double attck_train_dot(const double *w,
    const struct feature_node *x);
static int attck_train_score_cmp(const void *a, const void *b);
static struct model *attck_train_class(struct feature_node **x,
    const uint32_t *neg, size_t nneg, const uint32_t *posi, size_t npos,
    uint32_t nfeat, double *dense, uint8_t *in, struct problem *prob,
    const struct parameter *param, attck_train_score_t *sc, size_t *set);
static void attck_train_ovr(attck_train_t *t, struct feature_node **x,
    uint32_t nfeat, const uint8_t *use, int hold_fold0,
    attck_map_model_t *m);
static void attck_train_average(const attck_map_model_t *a,
    const attck_map_model_t *b, double mix, uint32_t nfeat, double prune,
    attck_train_t *t, attck_map_model_t *m);
static void attck_train_ensemble(attck_train_t *t, struct feature_node **x,
    uint32_t nfeat, const uint8_t *use, int hold_fold0,
    attck_map_model_t *m);
static void attck_train_margins(const attck_map_model_t *m,
    const struct feature_node *x, uint32_t nfeat, double *margin);
static void attck_train_platt(attck_train_t *t,
    const attck_map_model_t *held, struct feature_node **x, uint32_t nfeat,
    const uint8_t *use);
static void attck_train_quiet(const char *s);


static void
attck_train_add(attck_train_t *t, const char *text, const char *technique,
    uint8_t fold, int definition)
{
    t->ngroups++;
    attck_train_add_label(t, text, technique, fold, definition);
}


/* one more label of the text added last */

static void
attck_train_add_label(attck_train_t *t, const char *text,
    const char *technique, uint8_t fold, int definition)
{
    attck_train_example_t  *e;

    e = attck_vec_push(&t->examples);
    e->group = t->ngroups - 1;
    e->text = attck_xstrdup(text);
    e->technique = attck_xstrdup(technique);
    e->cls = 0;
    e->fold = fold;
    e->definition = definition ? 1 : 0;

    /* the training-set hash: label and text of every example, in order */

    EVP_DigestUpdate(t->sha, technique, strlen(technique) + 1);
    EVP_DigestUpdate(t->sha, text, strlen(text) + 1);
}


/* a sentence of a text as an example of its own */

static void
attck_train_add_span(attck_train_t *t, const char *text, size_t len,
    const char *technique)
{
    char  *copy;

    copy = attck_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';

    attck_train_add(t, copy, technique, ATTCK_TRAIN_NO_FOLD, 0);
    free(copy);
}


/*
 * Procedure examples fall in folds by actor: holding out a fold holds
 * out whole actors, whose phrasing is then unseen, as an analyst's
 * would be.
 */

static void
attck_train_stix(const char *text, const char *technique,
    const char *source, const char *kind, void *ctx)
{
    attck_train_t *t = ctx;

    size_t                  i, n;
    uint32_t                h;
    const char             *p;
    attck_cls_span_t        spans[256];
    attck_train_example_t  *e;

    if (strcmp(kind, "name") == 0) {
        attck_train_add(ctx, text, "", ATTCK_TRAIN_NO_FOLD, 0);
        e = attck_vec_at(&t->examples, attck_train_example_t,
                         t->examples.n - 1);
        e->negative = 1;
        return;
    }

    if (strcmp(kind, "procedure") != 0) {
        attck_train_add(ctx, text, technique, ATTCK_TRAIN_NO_FOLD, 1);

        /* and each sentence of it on its own: reports name a technique
         * in one sentence, not in its whole description */

        n = attck_cls_split(text, strlen(text), spans, 256);

        for (i = 0; n > 1 && i < n && i < 256; i++) {
            if (spans[i].end - spans[i].start < 40) {
                continue;
            }

            attck_train_add_span(t, text + spans[i].start,
                                 spans[i].end - spans[i].start, technique);
            e = attck_vec_at(&t->examples, attck_train_example_t,
                             t->examples.n - 1);
            e->sentence = 1;
        }

        return;
    }

    h = 2166136261u;

    for (p = source; *p; p++) {
        h = (h ^ (unsigned char) *p) * 16777619u;
    }

    attck_train_add(ctx, text, technique, (uint8_t) (h % ATTCK_TRAIN_FOLDS),
                    0);
    e = attck_vec_at(&t->examples, attck_train_example_t,
                     t->examples.n - 1);
    e->campaign = source[0] == 'C';
    e->intrusion = source[0] == 'G';
    e->actor = h;
}


/* {"text": "...", "techniques": ["T1059.001", ...]}, one per line */

static void
attck_train_labeled(attck_train_t *t, const char *path)
{
    int            first;
    FILE          *f;
    char          *line;
    size_t         cap, lineno, i, bad, used;
    ssize_t        n;
    json_t        *j, *ids, *id;
    json_error_t   jerr;
    const char    *text;

    f = fopen(path, "r");
    if (f == NULL) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "train: %s: cannot open", path);
    }

    line = NULL;
    cap = 0;
    lineno = 0;
    bad = 0;
    used = 0;

    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;

        j = json_loadb(line, (size_t) n, 0, &jerr);
        text = attck_json_str(j, "text");
        ids = json_object_get(j, "techniques");

        if (text == NULL || !json_is_array(ids) || json_array_size(ids) == 0)
        {
            if (bad++ < 5) {
                attck_log("warn", "train: %s:%zu: not {\"text\": ..., "
                          "\"techniques\": [...]}, skipped", path, lineno);
            }

            json_decref(j);
            continue;
        }

        first = 1;

        json_array_foreach(ids, i, id) {
            if (!json_is_string(id)
                || !attck_map_id_valid(json_string_value(id)))
            {
                bad++;
                continue;
            }

            /* the labels of one text: none is a negative for another */

            if (first) {
                attck_train_add(t, text, json_string_value(id),
                                ATTCK_TRAIN_NO_FOLD, 0);
                first = 0;

            } else {
                attck_train_add_label(t, text, json_string_value(id),
                                      ATTCK_TRAIN_NO_FOLD, 0);
            }

            used++;
        }

        json_decref(j);
    }

    free(line);

    if (ferror(f)) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "train: %s: read error", path);
    }

    fclose(f);

    attck_log("info", "train: %s: %zu labeled examples, %zu refused", path,
              used, bad);
}


/* classes in id order, each example given its class */

static void
attck_train_classes(attck_train_t *t)
{
    size_t                  i;
    uint32_t                n, k;
    attck_map_class_t      *c, key;
    attck_train_example_t  *e;

    c = attck_xcalloc(t->examples.n + 1, sizeof(attck_map_class_t));
    n = 0;

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        if (!e->negative) {
            snprintf(c[n++].id, sizeof(c->id), "%s", e->technique);
        }
    }

    qsort(c, n, sizeof(attck_map_class_t), attck_map_class_cmp);

    for (i = 0, k = 0; i < n; i++) {
        if (k == 0 || strcmp(c[k - 1].id, c[i].id) != 0) {
            c[k++] = c[i];
        }
    }

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);

        if (e->negative) {
            e->cls = UINT32_MAX;    /* a negative of every class */
            continue;
        }

        snprintf(key.id, sizeof(key.id), "%s", e->technique);
        e->cls = (uint32_t) ((attck_map_class_t *)
                             bsearch(&key, c, k, sizeof(attck_map_class_t),
                                     attck_map_class_cmp) - c);
    }

    t->classes = c;
    t->nclasses = k;
}


/* mappings an analyst confirmed: the closest thing to labeled reports */

static void
attck_train_confirmed(attck_train_t *t, PGconn *db, const char *cmd)
{
    int        i, n;
    PGresult  *res;

    res = attck_db_query(db, cmd,
        "SELECT attck_threat_text(t), m.technique_id, m.threat_id"
        "  FROM mapped_threat_data m"
        "  JOIN threat_intelligence_data t ON t.id = m.threat_id"
        " WHERE m.confirmed ORDER BY m.threat_id, m.technique_id",
        0, NULL);

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(PQgetvalue(res, i, 2),
                            PQgetvalue(res, i - 1, 2)) == 0)
        {
            attck_train_add_label(t, PQgetvalue(res, i, 0),
                                  PQgetvalue(res, i, 1),
                                  ATTCK_TRAIN_NO_FOLD, 0);
            continue;
        }

        attck_train_add(t, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                        ATTCK_TRAIN_NO_FOLD, 0);
    }

    PQclear(res);

    attck_log("info", "%s: %d analyst-confirmed mappings", cmd, n);
}


void
attck_train_collect(attck_train_t *t, const char *cmd, int argc,
    char **argv, const char **labeled, size_t nlabeled)
{
    char             hash[EVP_MAX_MD_SIZE], *env, *end;
    size_t           i, j, nsrc, ndef, nproc, nnames;
    PGconn          *db;
    unsigned         hlen;
    attck_model_t    model;
    attck_bundle_t  *bundles;

    memset(t, 0, sizeof(attck_train_t));
    attck_vec_init(&t->examples, sizeof(attck_train_example_t));
    t->prune = ATTCK_TRAIN_PRUNE;
    t->mix = ATTCK_TRAIN_MIX;

    /* the previous method's part, for experiments (evaluate, t/724) */

    env = getenv("ATTCK_TRAIN_MIX_TRY");
    if (env && *env) {
        t->mix = strtod(env, &end);

        if (*end != '\0' || !(t->mix >= 0 && t->mix <= 1)) {
            attck_fatal(ATTCK_EXIT_USAGE, "%s: ATTCK_TRAIN_MIX_TRY: not a "
                        "number from 0 to 1", cmd);
        }
    }

    t->sha = EVP_MD_CTX_new();
    if (t->sha == NULL || !EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL)) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    /* ATT&CK's own text first (from the bundles given, or else the
     * database), then what people add */

    db = NULL;

    if (getenv("ATTCK_DATABASE_URL") && *getenv("ATTCK_DATABASE_URL")) {
        db = attck_db_connect();
    }

    env = getenv("ATTCK_SOURCES");

    if (optind == argc && (env == NULL || *env == '\0') && db) {
        nsrc = attck_compile_db_bundles(db, cmd, 1, &bundles);
        attck_examples_build(cmd, &model, bundles, nsrc);

    } else {
        nsrc = attck_examples_load(cmd, argc, argv, &model, &bundles);
    }

    ndef = attck_examples_collect(&model, attck_train_stix, t, &nproc);
    nnames = attck_examples_names(&model, attck_train_stix, t);

    for (i = 0; i < nsrc; i++) {
        j = strlen(t->meta.release);
        snprintf(t->meta.release + j, sizeof(t->meta.release) - j, "%s%s",
                 j ? "," : "", bundles[i].version);

        if (bundles[i].modified
            && strcmp(bundles[i].modified, t->meta.created) > 0)
        {
            snprintf(t->meta.created, sizeof(t->meta.created), "%s",
                     bundles[i].modified);
        }
    }

    attck_examples_unload(&model, bundles, nsrc);

    attck_log("info", "%s: %zu technique texts, %zu procedure examples, "
              "%zu names of groups and malware (examples of no technique)",
              cmd, ndef, nproc, nnames);

    for (i = 0; i < nlabeled; i++) {
        attck_train_labeled(t, labeled[i]);
    }

    if (db) {
        attck_train_confirmed(t, db, cmd);
        PQfinish(db);
    }

    EVP_DigestFinal_ex(t->sha, (unsigned char *) hash, &hlen);
    EVP_MD_CTX_free(t->sha);
    t->sha = NULL;

    for (i = 0; i < hlen && 2 * i + 2 < sizeof(t->meta.trainset); i++) {
        snprintf(t->meta.trainset + 2 * i, 3, "%02x",
                 (unsigned char) hash[i]);
    }

    attck_train_classes(t);

    if (t->nclasses < 3) {
        attck_fatal(ATTCK_EXIT_DATAERR, "%s: examples of %u techniques; "
                    "a model needs at least 3", cmd, t->nclasses);
    }
}


/*
 * The vocabulary of the examples used, and every example's vector over
 * it in liblinear's form, with the bias as the last feature.
 */

static struct feature_node **
attck_train_vectors(attck_train_t *t, const uint8_t *use,
    attck_map_vocab_t *vocab, uint32_t min_df)
{
    size_t                  i, k;
    uint32_t                nfeat;
    attck_vec_t             vec;
    attck_map_feat_t       *f;
    struct feature_node   **x;
    attck_train_example_t  *e;

    attck_map_vocab_init(vocab);

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        /* a sentence of a technique's text is in the text already: it
         * would count its terms twice */

        if (use[i] && !e->sentence) {
            attck_map_vocab_add(vocab, e->text, strlen(e->text));
        }

        /* a name's words are terms however rarely ATT&CK repeats them:
         * "hidden cobra" must be a term for the model to learn that it
         * is a name, not a way of hiding */

        if (use[i] && e->negative) {
            attck_map_vocab_add(vocab, e->text, strlen(e->text));
        }
    }

    nfeat = (uint32_t) attck_map_vocab_freeze(vocab, min_df);

    x = attck_xcalloc(t->examples.n, sizeof(struct feature_node *));
    attck_vec_init(&vec, sizeof(attck_map_feat_t));

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        attck_map_vocab_vector(vocab, e->text, strlen(e->text), &vec);

        x[i] = attck_xcalloc(vec.n + 2, sizeof(struct feature_node));

        for (k = 0; k < vec.n; k++) {
            f = attck_vec_at(&vec, attck_map_feat_t, k);
            x[i][k].index = (int) f->id + 1;
            x[i][k].value = f->w;
        }

        x[i][k].index = (int) nfeat + 1;
        x[i][k].value = 1;
        x[i][k + 1].index = -1;
    }

    attck_vec_free(&vec);

    return x;
}


static void
attck_train_free_vectors(attck_train_t *t, struct feature_node **x)
{
    size_t  i;

    for (i = 0; i < t->examples.n; i++) {
        free(x[i]);
    }

    free(x);
}


static void
attck_train_quiet(const char *s)
{
    (void) s;
}


/* the model's classes are the training's, each with the given bias */

static void
attck_train_model_classes(attck_train_t *t, attck_map_model_t *m,
    float bias)
{
    uint32_t  c;

    m->classes = attck_xcalloc(t->nclasses, sizeof(attck_map_class_t));
    memcpy(m->classes, t->classes, t->nclasses * sizeof(attck_map_class_t));
    m->nclasses = t->nclasses;

    for (c = 0; c < t->nclasses; c++) {
        m->classes[c].bias = bias;
    }
}


/*
 * Weights collected as (term, class, weight) to the model's postings,
 * grouped by term in the order they came: a counting sort.  Frees all.
 */

static void
attck_train_postings(attck_vec_t *all, uint32_t nfeat, attck_map_model_t *m)
{
    size_t                 i;
    uint32_t               k, *fill;
    attck_train_triple_t  *tr;

    m->starts = attck_xcalloc(nfeat + 1, sizeof(uint32_t));
    m->postings = attck_xcalloc(all->n ? all->n : 1,
                                sizeof(attck_map_posting_t));

    for (i = 0; i < all->n; i++) {
        m->starts[attck_vec_at(all, attck_train_triple_t, i)->term + 1]++;
    }

    for (k = 0; k < nfeat; k++) {
        m->starts[k + 1] += m->starts[k];
    }

    fill = attck_xcalloc(nfeat + 1, sizeof(uint32_t));
    memcpy(fill, m->starts, (nfeat + 1) * sizeof(uint32_t));

    for (i = 0; i < all->n; i++) {
        tr = attck_vec_at(all, attck_train_triple_t, i);
        m->postings[fill[tr->term]++] = tr->p;
    }

    free(fill);
    attck_vec_free(all);
}


/* w * x over liblinear's vector, the bias feature included */

static double
attck_train_dot(const double *w, const struct feature_node *x)
{
    double  d;

    for (d = 0; x->index != -1; x++) {
        d += w[x->index - 1] * x->value;
    }

    return d;
}


static int
attck_train_score_cmp(const void *a, const void *b)
{
    const attck_train_score_t  *sa = a, *sb = b;

    if (sa->score != sb->score) {
        return sa->score < sb->score ? 1 : -1;
    }

    return (sa->i > sb->i) - (sa->i < sb->i);
}


/*
 * One class's SVM by working sets: a support vector machine's solution
 * depends on its support vectors alone, and of the other techniques'
 * twenty thousand examples a few hundred are.  So liblinear solves the
 * problem on the class's examples and the negatives most like them (by
 * their centroid), the solution is checked against every other negative,
 * those within the margin join, and again until none is: the solution
 * of the whole problem (to liblinear's tolerance), for a sixth of the
 * time of solving it whole.  Returns liblinear's model of the last set.
 */

static struct model *
attck_train_class(struct feature_node **x, const uint32_t *neg,
    size_t nneg, const uint32_t *posi, size_t npos, uint32_t nfeat,
    double *dense, uint8_t *in, struct problem *prob,
    const struct parameter *param, attck_train_score_t *sc, size_t *set)
{
    size_t                 i, k, nset, nadd, want;
    double                 d;
    const char            *msg;
    struct model          *mdl;
    struct feature_node   *f;

    /* the positives' centroid ranks the negatives */

    for (i = 0; i < npos; i++) {
        for (f = x[posi[i]]; f->index != -1; f++) {
            if ((uint32_t) f->index <= nfeat) {
                dense[f->index - 1] += f->value;
            }
        }
    }

    for (k = 0; k < nneg; k++) {
        sc[k].score = attck_train_dot(dense, x[neg[k]]);
        sc[k].i = (uint32_t) k;
    }

    for (i = 0; i < npos; i++) {
        for (f = x[posi[i]]; f->index != -1; f++) {
            if ((uint32_t) f->index <= nfeat) {
                dense[f->index - 1] = 0;
            }
        }
    }

    want = ATTCK_TRAIN_WS_FIRST + ATTCK_TRAIN_WS_PER_POS * npos;
    if (want > nneg) {
        want = nneg;
    }

    qsort(sc, nneg, sizeof(attck_train_score_t), attck_train_score_cmp);

    memset(in, 0, nneg);
    nset = 0;

    for (k = 0; k < want; k++) {
        in[sc[k].i] = 1;
    }

    for ( ;; ) {

        /* the examples in the order they came: the same input, the same
         * model */

        nset = 0;

        for (k = 0; k < nneg; k++) {
            if (in[k]) {
                set[nset++] = k;
            }
        }

        prob->l = 0;

        for (i = 0; i < npos; i++) {
            prob->x[prob->l] = x[posi[i]];
            prob->y[prob->l++] = 1;
        }

        for (k = 0; k < nset; k++) {
            prob->x[prob->l] = x[neg[set[k]]];
            prob->y[prob->l++] = -1;
        }

        msg = check_parameter(prob, param);
        if (msg) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "train: liblinear: %s", msg);
        }

        /* liblinear visits examples in rand() order: the same seed, the
         * same model */
        srand(1);
        mdl = train(prob, param);

        if (nset == nneg) {
            return mdl;
        }

        /* the negatives left out that the margin does not clear */

        for (k = 0; k < (size_t) mdl->nr_feature + 1; k++) {
            dense[k] = (mdl->nr_class == 2 && mdl->label[0] == 1)
                       ? mdl->w[k] : -mdl->w[k];
        }

        nadd = 0;

        for (k = 0; k < nneg; k++) {
            if (in[k]) {
                continue;
            }

            d = attck_train_dot(dense, x[neg[k]]);

            if (d > -1.0) {
                in[k] = 1;
                nadd++;
            }
        }

        memset(dense, 0, ((size_t) nfeat + 1) * sizeof(double));

        if (nadd == 0) {
            return mdl;
        }

        free_and_destroy_model(&mdl);
    }
}


uint32_t *
attck_train_parents(attck_train_t *t)
{
    uint32_t            i, *parent;
    attck_map_class_t   key, *p;

    parent = attck_xcalloc(t->nclasses ? t->nclasses : 1, sizeof(uint32_t));

    for (i = 0; i < t->nclasses; i++) {
        memset(&key, 0, sizeof(key));
        memcpy(key.id, t->classes[i].id, 5);

        p = bsearch(&key, t->classes, t->nclasses, sizeof(attck_map_class_t),
                    attck_map_class_cmp);

        parent[i] = p ? (uint32_t) (p - t->classes) : i;
    }

    return parent;
}


/*
 * One binary problem per technique: its examples against all the others,
 * except other labels of its own texts and (but for the previous method)
 * the examples of its parent and of its sub-techniques: "PowerShell ran
 * an encoded script" is T1059.001 and T1059 alike, and as a negative of
 * T1059 it taught the parent that its own behaviour is not its own.
 * Siblings stay negatives of each other: they are the distinction a
 * sub-technique makes.  Weights that matter are kept, by term, in m
 * (starts, postings, class biases).
 */

static void
attck_train_ovr(attck_train_t *t, struct feature_node **x, uint32_t nfeat,
    const uint8_t *use, int hold_fold0, attck_map_model_t *m)
{
    int                     pos_label;
    size_t                  i, k, npos, nneg, *set;
    double                  w, sign, *dense, pos_weight;
    uint8_t                *pos, *in;
    uint32_t                c, *neg, *posi, *parent;
    attck_vec_t             all;
    struct model           *mdl;
    struct problem          prob;
    struct parameter        param;
    attck_train_score_t    *sc;
    attck_train_triple_t   *tr;
    attck_train_example_t  *e;

    memset(&param, 0, sizeof(struct parameter));
    param.solver_type = L2R_L2LOSS_SVC_DUAL;
    param.C = ATTCK_TRAIN_C;
    param.eps = ATTCK_TRAIN_EPS;

    pos_label = 1;
    pos_weight = ATTCK_TRAIN_POS_WEIGHT;

    if (!t->previous) {
        param.nr_weight = 1;
        param.weight_label = &pos_label;
        param.weight = &pos_weight;
    }

    parent = attck_train_parents(t);

    memset(&prob, 0, sizeof(struct problem));
    prob.n = (int) nfeat + 1;
    prob.bias = 1;
    prob.x = attck_xcalloc(t->examples.n, sizeof(struct feature_node *));
    prob.y = attck_xcalloc(t->examples.n, sizeof(double));

    pos = attck_xcalloc(t->ngroups ? t->ngroups : 1, 1);
    neg = attck_xcalloc(t->examples.n + 1, sizeof(uint32_t));
    posi = attck_xcalloc(t->examples.n + 1, sizeof(uint32_t));
    in = attck_xcalloc(t->examples.n + 1, 1);
    set = attck_xcalloc(t->examples.n + 1, sizeof(size_t));
    sc = attck_xcalloc(t->examples.n + 1, sizeof(attck_train_score_t));
    dense = attck_xcalloc((size_t) nfeat + 1, sizeof(double));
    attck_vec_init(&all, sizeof(attck_train_triple_t));

    attck_train_model_classes(t, m, ATTCK_TRAIN_ABSENT);
    set_print_string_function(attck_train_quiet);

    for (c = 0; c < t->nclasses; c++) {
        memset(pos, 0, t->ngroups ? t->ngroups : 1);
        npos = 0;

        for (i = 0; i < t->examples.n; i++) {
            e = attck_vec_at(&t->examples, attck_train_example_t, i);
            if (use[i] && !(hold_fold0 && e->fold == 0) && e->cls == c) {
                pos[e->group] = 1;
                posi[npos++] = (uint32_t) i;
            }
        }

        if (npos == 0) {
            continue;
        }

        nneg = 0;

        for (i = 0; i < t->examples.n; i++) {
            e = attck_vec_at(&t->examples, attck_train_example_t, i);

            if (!use[i] || (hold_fold0 && e->fold == 0) || pos[e->group]) {
                continue;
            }

            if (!t->previous && !e->negative && e->cls != c
                && (parent[e->cls] == c || parent[c] == e->cls))
            {
                continue;           /* its parent or a sub-technique */
            }

            neg[nneg++] = (uint32_t) i;
        }

        mdl = attck_train_class(x, neg, nneg, posi, npos, nfeat, dense, in,
                                &prob, &param, sc, set);

        /* one weight vector for two labels, for the first label seen */

        sign = (mdl->nr_class == 2 && mdl->label[0] == 1) ? 1.0 : -1.0;

        if (mdl->nr_class == 1) {
            sign = mdl->label[0] == 1 ? 1.0 : -1.0;
        }

        for (k = 0; k < nfeat; k++) {
            w = sign * mdl->w[k];

            if (fabs(w) >= t->prune) {
                tr = attck_vec_push(&all);
                tr->term = (uint32_t) k;
                tr->p.cls = c;
                tr->p.w = (float) w;
            }
        }

        m->classes[c].bias = (float) (sign * mdl->w[nfeat]);
        free_and_destroy_model(&mdl);
    }

    attck_train_postings(&all, nfeat, m);
    free(parent);
    free(pos);
    free(neg);
    free(posi);
    free(in);
    free(set);
    free(sc);
    free(dense);
    free(prob.x);
    free(prob.y);
}


/*
 * mix * a + (1 - mix) * b, term by term and class by class (each term's
 * postings are in class order in both), weights under prune left out.
 * A class absent from either is absent.
 */

static void
attck_train_average(const attck_map_model_t *a, const attck_map_model_t *b,
    double mix, uint32_t nfeat, double prune, attck_train_t *t,
    attck_map_model_t *m)
{
    double                 w;
    uint32_t               k, i, j, ie, je, c;
    attck_vec_t            all;
    attck_train_triple_t  *tr;

    attck_vec_init(&all, sizeof(attck_train_triple_t));
    attck_train_model_classes(t, m, ATTCK_TRAIN_ABSENT);

    for (c = 0; c < t->nclasses; c++) {
        if (a->classes[c].bias != ATTCK_TRAIN_ABSENT
            && b->classes[c].bias != ATTCK_TRAIN_ABSENT)
        {
            m->classes[c].bias = (float) (mix * a->classes[c].bias
                                          + (1 - mix) * b->classes[c].bias);
        }
    }

    for (k = 0; k < nfeat; k++) {
        i = a->starts[k];
        ie = a->starts[k + 1];
        j = b->starts[k];
        je = b->starts[k + 1];

        while (i < ie || j < je) {
            if (j == je || (i < ie && a->postings[i].cls < b->postings[j].cls))
            {
                c = a->postings[i].cls;
                w = mix * a->postings[i++].w;

            } else if (i == ie || b->postings[j].cls < a->postings[i].cls) {
                c = b->postings[j].cls;
                w = (1 - mix) * b->postings[j++].w;

            } else {
                c = a->postings[i].cls;
                w = mix * a->postings[i++].w + (1 - mix) * b->postings[j++].w;
            }

            if (fabs(w) >= prune
                && m->classes[c].bias != ATTCK_TRAIN_ABSENT)
            {
                tr = attck_vec_push(&all);
                tr->term = k;
                tr->p.cls = c;
                tr->p.w = (float) w;
            }
        }
    }

    attck_train_postings(&all, nfeat, m);
}


/*
 * The model train writes: the average of two linear models over the
 * same terms.  The previous method (technique texts whole, every other
 * technique's examples negatives) ranks the exact technique a sentence
 * of a description names best; the current one (sentences of technique
 * texts as examples, the family rule, positives weighing twice) ranks
 * parents and procedures best.  Their average is again a linear model,
 * so classify, the model file and the module are unchanged.  Each part
 * is pruned at ATTCK_TRAIN_PRUNE_PART, the average at t->prune.
 */

static void
attck_train_ensemble(attck_train_t *t, struct feature_node **x,
    uint32_t nfeat, const uint8_t *use, int hold_fold0, attck_map_model_t *m)
{
    size_t                  i;
    double                  prune;
    uint8_t                *whole;
    attck_map_model_t       a, b;
    attck_train_example_t  *e;

    if (t->previous || t->mix <= 0) {
        attck_train_ovr(t, x, nfeat, use, hold_fold0, m);
        return;
    }

    whole = attck_xcalloc(t->examples.n ? t->examples.n : 1, 1);

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        whole[i] = use[i] && !e->sentence;
    }

    memset(&a, 0, sizeof(attck_map_model_t));
    memset(&b, 0, sizeof(attck_map_model_t));
    prune = t->prune;
    t->prune = ATTCK_TRAIN_PRUNE_PART;

    t->previous = 1;
    attck_train_ovr(t, x, nfeat, whole, hold_fold0, &a);
    t->previous = 0;
    attck_train_ovr(t, x, nfeat, use, hold_fold0, &b);

    t->prune = prune;
    attck_train_average(&a, &b, t->mix, nfeat, prune, t, m);

    attck_map_model_free(&a);
    attck_map_model_free(&b);
    free(whole);
}


/* every class's margin for one example: bias + sum of w * x */

static void
attck_train_margins(const attck_map_model_t *m, const struct feature_node *x,
    uint32_t nfeat, double *margin)
{
    uint32_t  c, j, f;

    for (c = 0; c < m->nclasses; c++) {
        margin[c] = m->classes[c].bias;
    }

    for ( /* void */ ; x->index != -1; x++) {
        f = (uint32_t) x->index - 1;

        if (f >= nfeat) {
            continue;               /* the bias feature */
        }

        for (j = m->starts[f]; j < m->starts[f + 1]; j++) {
            margin[m->postings[j].cls] += m->postings[j].w * x->value;
        }
    }
}


/*
 * Fits p = 1 / (1 + exp(-(a * margin + b))) by Newton's method on the
 * held-out examples (fold 0): each one's true class and its best wrong
 * ones, with Platt's smoothed targets.
 */

static void
attck_train_platt(attck_train_t *t, const attck_map_model_t *held,
    struct feature_node **x, uint32_t nfeat, const uint8_t *use)
{
    int                     it;
    size_t                  i, c, k, n, npairs;
    double                 *dec, *best, a, b, p, w, d1a, d1b, h11, h12,
                            h22, det, pos, neg, tp, tn, *m, *y;
    attck_train_example_t  *e;

    dec = attck_xcalloc(t->nclasses, sizeof(double));
    best = attck_xcalloc(ATTCK_TRAIN_CALIB_TOP, sizeof(double));
    m = NULL;
    y = NULL;
    npairs = 0;
    pos = 0;
    neg = 0;

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        if (!use[i] || e->fold != 0
            || held->classes[e->cls].bias == ATTCK_TRAIN_ABSENT)
        {
            continue;
        }

        attck_train_margins(held, x[i], nfeat, dec);

        for (k = 0; k < ATTCK_TRAIN_CALIB_TOP; k++) {
            best[k] = -HUGE_VAL;
        }

        for (c = 0; c < t->nclasses; c++) {
            if (c == e->cls || dec[c] <= best[ATTCK_TRAIN_CALIB_TOP - 1]
                || held->classes[c].bias == ATTCK_TRAIN_ABSENT)
            {
                continue;
            }

            for (k = ATTCK_TRAIN_CALIB_TOP - 1;
                 k > 0 && best[k - 1] < dec[c]; k--)
            {
                best[k] = best[k - 1];
            }

            best[k] = dec[c];
        }

        m = realloc(m, (npairs + ATTCK_TRAIN_CALIB_TOP + 1) * sizeof(double));
        y = realloc(y, (npairs + ATTCK_TRAIN_CALIB_TOP + 1) * sizeof(double));
        if (m == NULL || y == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        m[npairs] = dec[e->cls];
        y[npairs++] = 1;
        pos++;

        for (k = 0; k < ATTCK_TRAIN_CALIB_TOP; k++) {
            if (best[k] == -HUGE_VAL) {
                break;
            }

            m[npairs] = best[k];
            y[npairs++] = 0;
            neg++;
        }
    }

    a = 1.0;
    b = 0.0;

    if (pos > 0 && neg > 0) {
        tp = (pos + 1) / (pos + 2);
        tn = 1 / (neg + 2);

        for (it = 0; it < 100; it++) {
            d1a = d1b = 0;
            h11 = h12 = h22 = 1e-12;

            for (n = 0; n < npairs; n++) {
                p = 1 / (1 + exp(-(a * m[n] + b)));
                w = p * (1 - p);
                d1a += (p - (y[n] ? tp : tn)) * m[n];
                d1b += p - (y[n] ? tp : tn);
                h11 += w * m[n] * m[n];
                h12 += w * m[n];
                h22 += w;
            }

            det = h11 * h22 - h12 * h12;
            if (fabs(det) < 1e-18) {
                break;
            }

            a -= (h22 * d1a - h12 * d1b) / det;
            b -= (h11 * d1b - h12 * d1a) / det;

            if (fabs(d1a) + fabs(d1b) < 1e-9) {
                break;
            }
        }
    }

    /* a score must grow with the margin: without that, no calibration */

    if (!isfinite(a) || !isfinite(b) || !(a > 0)) {
        attck_log("warn", "train: calibration failed (a=%g b=%g), scores "
                  "are plain logistic margins", a, b);
        a = 1.0;
        b = 0.0;
    }

    t->meta.platt_a = (float) a;
    t->meta.platt_b = (float) b;

    /* a document's score is its best sentence's until fitted for them */

    t->meta.doc_a = (float) a;
    t->meta.doc_b = (float) b;

    attck_log("info", "train: calibration on %zu held-out examples: "
              "a=%.4f b=%.4f", (size_t) pos, a, b);

    free(m);
    free(y);
    free(best);
    free(dec);
}


void
attck_train_learn(attck_train_t *t, const uint8_t *use, int calibrate,
    attck_map_model_t *m)
{
    uint32_t               nfeat;
    attck_map_model_t      held;
    struct feature_node  **x;

    memset(m, 0, sizeof(attck_map_model_t));

    x = attck_train_vectors(t, use, &m->vocab, ATTCK_TRAIN_MIN_DF);
    nfeat = (uint32_t) m->vocab.n;

    t->meta.platt_a = 1.0f;
    t->meta.platt_b = 0.0f;
    t->meta.doc_a = 1.0f;
    t->meta.doc_b = 0.0f;

    if (calibrate) {
        memset(&held, 0, sizeof(attck_map_model_t));
        attck_train_ensemble(t, x, nfeat, use, 1, &held);
        attck_train_platt(t, &held, x, nfeat, use);
        attck_map_model_free(&held);
    }

    attck_train_ensemble(t, x, nfeat, use, 0, m);
    attck_train_free_vectors(t, x);

    m->meta = t->meta;
}


void
attck_train_baseline(attck_train_t *t, const uint8_t *use,
    attck_map_model_t *m)
{
    size_t                  i;
    uint8_t                *defs;
    attck_vec_t             all;
    struct feature_node    *f, **x;
    attck_train_triple_t   *tr;
    attck_train_example_t  *e;

    memset(m, 0, sizeof(attck_map_model_t));

    /* the vocabulary of the technique texts alone: no training at all */

    defs = attck_xcalloc(t->examples.n, 1);

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        defs[i] = use[i] && e->definition;
    }

    x = attck_train_vectors(t, defs, &m->vocab, 1);

    /* each technique text's weight for a term is its posting there */

    attck_vec_init(&all, sizeof(attck_train_triple_t));

    for (i = 0; i < t->examples.n; i++) {
        if (!defs[i]) {
            continue;
        }

        e = attck_vec_at(&t->examples, attck_train_example_t, i);

        for (f = x[i]; f->index != -1 && (size_t) f->index <= m->vocab.n;
             f++)
        {
            tr = attck_vec_push(&all);
            tr->term = (uint32_t) f->index - 1;
            tr->p.cls = e->cls;
            tr->p.w = (float) f->value;
        }
    }

    attck_train_free_vectors(t, x);
    attck_train_postings(&all, (uint32_t) m->vocab.n, m);
    attck_train_model_classes(t, m, 0.0f);

    m->meta = t->meta;
    m->meta.platt_a = 1.0f;
    m->meta.platt_b = 0.0f;
    m->meta.doc_a = 1.0f;
    m->meta.doc_b = 0.0f;

    free(defs);
}


void
attck_train_free(attck_train_t *t)
{
    size_t                  i;
    attck_train_example_t  *e;

    for (i = 0; i < t->examples.n; i++) {
        e = attck_vec_at(&t->examples, attck_train_example_t, i);
        free(e->text);
        free(e->technique);
    }

    attck_vec_free(&t->examples);
    free(t->classes);
}


int
attck_train_main(int argc, char **argv)
{
    int                 c, stix;
    char               *out, err[512];
    size_t              i, nlabeled, nsent;
    uint8_t            *use;
    const char        **labeled;
    attck_train_t       t;
    attck_map_model_t   m;
    static struct option   longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "stix", no_argument, NULL, 's' },
        { "labeled", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    out = NULL;
    stix = 0;
    labeled = attck_xcalloc(argc, sizeof(char *));
    nlabeled = 0;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":o:l:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 's':
            stix = 1;
            break;
        case 'l':
            labeled[nlabeled++] = optarg;
            break;
        case 'h':
            printf("usage: attck-worker train -o MODEL [--stix SOURCE...] "
                   "[--labeled FILE.jsonl]...\n"
                   "SOURCE: STIX 2.1 bundles of one ATT&CK release "
                   "(paths or URLs); default $ATTCK_SOURCES\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("train", c, argv);
        }
    }

    if (out == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "train: -o MODEL is required");
    }

    if (!stix && optind == argc && getenv("ATTCK_SOURCES") == NULL
        && getenv("ATTCK_DATABASE_URL") == NULL)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "train: give the ATT&CK bundles to "
                    "learn from (--stix SOURCE..., ATTCK_SOURCES, or a "
                    "database: ATTCK_DATABASE_URL)");
    }

    attck_train_collect(&t, "train", argc, argv, labeled, nlabeled);

    use = attck_xcalloc(t.examples.n, 1);

    for (i = 0; i < t.examples.n; i++) {
        use[i] = 1;
    }

    attck_train_learn(&t, use, 1, &m);

    if (attck_map_model_write(out, &m.meta, &m.vocab, m.starts, m.postings,
                              m.classes, m.nclasses, err, sizeof(err))
        != 0)
    {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "train: %s", err);
    }

    for (i = 0, nsent = 0; i < t.examples.n; i++) {
        nsent += attck_vec_at(&t.examples, attck_train_example_t, i)
                     ->sentence;
    }

    attck_log("info", "train: wrote %s: %zu examples (%zu of them sentences "
              "of technique texts), %u techniques, %zu terms, %u weights",
              out, t.examples.n, nsent, m.nclasses, m.vocab.n,
              m.starts[m.vocab.n]);

    attck_map_model_free(&m);
    attck_train_free(&t);
    free(use);
    free(labeled);

    return ATTCK_EXIT_OK;
}
