
/*
 * attck-worker compile: the changelogs and technique states of a
 * snapshot, rendered ahead of time so that the module only looks them up.
 *
 * Every (type, section) slice of a changelog is its own document in each
 * format: the filters of "GET diff" pick a document, nothing is built per
 * request.  An empty slice is a small document, not a missing one.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_diff.h"
#include "diff.h"
#include "model.h"
#include "render_diff.h"


static void attck_compile_diff_short(char *out, size_t size,
    const char *domain);
static void attck_compile_diff_add(attck_vec_t *docs, const char *view,
    const char *key, char *body, size_t len);
static void attck_compile_diff_render(attck_vec_t *docs, json_t *diff,
    const char *view);
static void attck_compile_diff_status(attck_vec_t *docs, attck_model_t *m,
    const char *view);
static void attck_compile_diff_model(attck_model_t *m, attck_bundle_t *b);


static void
attck_compile_diff_add(attck_vec_t *docs, const char *view, const char *key,
    char *body, size_t len)
{
    attck_extra_doc_t  *d;

    d = attck_vec_push(docs);
    d->view = view;
    d->key = attck_xstrdup(key);
    d->body = body;
    d->len = len;
}


/* "enterprise-attack" -> "enterprise" */

static void
attck_compile_diff_short(char *out, size_t size, const char *domain)
{
    snprintf(out, size, "%.*s", (int) strcspn(domain, "-"), domain);
}


static void
attck_compile_diff_render(attck_vec_t *docs, json_t *diff, const char *view)
{
    int          f, t, s;
    char         key[160], dom[32], *body;
    size_t       len, total;
    json_t      *slice;
    const char  *from;

    from = json_string_value(json_object_get(diff, "from"));
    attck_compile_diff_short(dom, sizeof(dom),
                             json_string_value(json_object_get(diff,
                                                               "domain")));
    total = 0;

    for (t = -1; t < ATTCK_DIFF_NTYPES; t++) {
        for (s = -1; s < ATTCK_DIFF_NSECTIONS; s++) {
            slice = attck_diff_slice(diff, t, s);

            for (f = 0; f < ATTCK_DIFF_NFORMATS; f++) {

                /* a layer shows techniques whatever the type asked */

                if (f == ATTCK_DIFF_LAYER && t >= 0) {
                    continue;
                }

                snprintf(key, sizeof(key), "diff/%s/%s/%s/%s/%s", from, dom,
                         attck_diff_formats[f],
                         t < 0 ? "all" : attck_diff_types[t],
                         s < 0 ? "all" : attck_diff_sections[s]);

                body = attck_render_diff(slice, f, &len);
                attck_compile_diff_add(docs, view, key, body, len);
                total += len;
            }

            json_decref(slice);
        }
    }

    attck_log("info", "changes of %s from %s to %s: %zu bytes", dom, from,
              view, total);
}


json_t *
attck_compile_diff_pair(attck_bundle_t *from, attck_bundle_t *to)
{
    json_t         *diff;
    attck_model_t   a, b;

    attck_compile_diff_model(&a, from);
    attck_compile_diff_model(&b, to);

    diff = attck_diff_build(&a, &b, to->domain);

    attck_model_free(&a);
    attck_model_free(&b);

    return diff;
}


static void
attck_compile_diff_status(attck_vec_t *docs, attck_model_t *m,
    const char *view)
{
    char    *body;
    json_t  *st;

    st = attck_diff_technique_status(m);
    body = json_dumps(st, JSON_COMPACT|JSON_SORT_KEYS);
    json_decref(st);

    if (body == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot serialise JSON");
    }

    attck_compile_diff_add(docs, view, "cyberrange/technique-status", body,
                           strlen(body));
}


static void
attck_compile_diff_model(attck_model_t *m, attck_bundle_t *b)
{
    char  err[256];

    if (attck_model_build(m, b->version, &b, 1, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_DATAERR, "changes: %s", err);
    }
}


void
attck_compile_diff_docs(attck_bundle_t **sorted, size_t n, attck_vec_t *docs)
{
    int              d;
    size_t           i, j, k, nd;
    json_t          *diff;
    attck_model_t   *models;
    attck_bundle_t  *dom[64];

    attck_vec_init(docs, sizeof(attck_extra_doc_t));

    for (d = 0; d < 3; d++) {

        /* the domain's releases, newest first, each once */

        nd = 0;

        for (i = 0; i < n && nd < 64; i++) {
            if (sorted[i]->domain_bit != (1u << d)
                || (nd && strcmp(dom[nd - 1]->version, sorted[i]->version)
                          == 0))
            {
                continue;
            }

            dom[nd++] = sorted[i];
        }

        /* the model of a release alone, built once for all it takes part in */

        if (nd < 2 && d != 0) {
            continue;
        }

        models = attck_xcalloc(nd + 1, sizeof(attck_model_t));

        for (k = 0; k < nd; k++) {
            attck_compile_diff_model(&models[k], dom[k]);
        }

        if (d == 0) {
            for (k = 0; k < nd; k++) {
                attck_compile_diff_status(docs, &models[k], dom[k]->version);
            }

            /* the view of the newest releases may be named by another */

            if (nd && strcmp(dom[0]->version, sorted[0]->version) != 0) {
                attck_compile_diff_status(docs, &models[0],
                                          sorted[0]->version);
            }
        }

        /* each against the next newer one, and each against the newest */

        for (j = 1; j < nd; j++) {
            for (k = 0; k < 2; k++) {
                i = k ? 0 : j - 1;

                if (k && j == 1) {
                    break;
                }

                diff = attck_diff_build(&models[j], &models[i],
                                        dom[i]->domain);
                attck_compile_diff_render(docs, diff, dom[i]->version);
                json_decref(diff);
            }
        }

        for (k = 0; k < nd; k++) {
            attck_model_free(&models[k]);
        }

        free(models);
    }
}


void
attck_compile_diff_free(attck_vec_t *docs)
{
    size_t              i;
    attck_extra_doc_t  *d;

    for (i = 0; i < docs->n; i++) {
        d = attck_vec_at(docs, attck_extra_doc_t, i);
        free(d->key);
        free(d->body);
    }

    attck_vec_free(docs);
}
