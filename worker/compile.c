
/*
 * attck-worker compile: STIX bundles -> snapshot file.
 *
 * Bundles are grouped into views: "latest" holds the newest release of
 * each domain given, and each older release gets a view of its own, so
 * that the API can answer for either.
 */


#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "../ngx_attck_module/snapshot/attck_text.h"
#include "compile.h"
#include "fetch.h"
#include "index.h"
#include "model.h"
#include "render.h"
#include "stix.h"
#include "util.h"


typedef struct {
    attck_snap_writer_t  *writer;
    attck_model_t        *model;
    attck_render_t        render;
    attck_vec_t           docs;        /* attck_snap_doc_t */
    json_t               *keys;        /* doc key -> doc index */
} attck_view_build_t;


static int attck_bundle_newer(const void *a, const void *b);
static void attck_compile_view(attck_snap_writer_t *w, attck_model_t *m,
    json_t *status);
static uint32_t attck_compile_body(attck_view_build_t *vb, const char *key,
    json_t *body);
static void attck_compile_objects(attck_view_build_t *vb);
static void attck_compile_techs(attck_view_build_t *vb, attck_vec_t *techs,
    attck_vec_t *platforms);
static void attck_compile_search(attck_view_build_t *vb,
    attck_snap_term_t **terms, uint32_t *nterms,
    attck_snap_posting_t **postings, uint32_t *npostings);
static json_t *attck_compile_counts(attck_model_t *m);
static char *attck_compile_dump(json_t *v, size_t *len);
static int attck_str_cmp(const void *a, const void *b);


static int
attck_str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static char *
attck_compile_dump(json_t *v, size_t *len)
{
    char  *s;

    s = json_dumps(v, JSON_COMPACT|JSON_PRESERVE_ORDER);
    if (s == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot serialise JSON");
    }

    *len = strlen(s);

    return s;
}


static uint32_t
attck_compile_body(attck_view_build_t *vb, const char *key, json_t *body)
{
    char               etag[32], *s;
    size_t             len;
    uint32_t           n;
    attck_snap_doc_t  *d;

    n = (uint32_t) vb->docs.n;
    d = attck_vec_push(&vb->docs);

    s = attck_compile_dump(body, &len);
    json_decref(body);

    d->key = attck_snap_writer_str(vb->writer, key, strlen(key));
    d->body = attck_snap_writer_str(vb->writer, s, len);
    snprintf(etag, sizeof(etag), "\"%08x-%zx\"", attck_snap_crc32(s, len),
             len);
    d->etag = attck_snap_writer_str(vb->writer, etag, strlen(etag));
    free(s);

    json_object_set_new(vb->keys, key, json_integer(n));

    return n;
}


static void
attck_compile_objects(attck_view_build_t *vb)
{
    char               key[128], norm[256], *s;
    size_t             i, len;
    json_t            *owners, *prev;
    attck_obj_t       *o, *po;
    attck_model_t     *m;
    attck_snap_doc_t  *d;

    m = vb->model;
    owners = json_object();

    /*
     * One address per id: where two objects claim the same one (an old,
     * revoked object and its replacement), the active one, else the
     * newer one, answers.
     */

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->id == NULL || attck_kind_collection[o->kind] == NULL) {
            continue;
        }

        snprintf(key, sizeof(key), "%s/%s", attck_kind_collection[o->kind],
                 o->id);
        prev = json_object_get(owners, key);

        if (prev) {
            po = attck_model_obj(m, json_integer_value(prev));

            if (attck_obj_active(po) > attck_obj_active(o)
                || (attck_obj_active(po) == attck_obj_active(o)
                    && strcmp(po->modified ? po->modified : "",
                              o->modified ? o->modified : "") >= 0))
            {
                continue;
            }
        }

        json_object_set_new(owners, key, json_integer((json_int_t) i));
    }

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->id == NULL || attck_kind_collection[o->kind] == NULL) {
            continue;
        }

        snprintf(key, sizeof(key), "%s/%s", attck_kind_collection[o->kind],
                 o->id);

        if ((size_t) json_integer_value(json_object_get(owners, key)) != i) {
            continue;
        }

        o->doc = attck_compile_body(vb, key,
                                    attck_render_doc(&vb->render, i));
        d = attck_vec_at(&vb->docs, attck_snap_doc_t, o->doc);

        s = attck_compile_dump(attck_render_summary(&vb->render, i), &len);
        d->summary = attck_snap_writer_str(vb->writer, s, len);
        free(s);

        len = o->name ? attck_text_normalize(norm, sizeof(norm), o->name,
                                             strlen(o->name))
                      : 0;
        d->name = attck_snap_writer_str(vb->writer, norm, len);
    }

    json_decref(owners);
}


static void
attck_compile_techs(attck_view_build_t *vb, attck_vec_t *techs,
    attck_vec_t *platforms)
{
    size_t              i, k, p;
    json_t             *plat, *names;
    uint64_t            bit;
    attck_vec_t         order;
    attck_obj_t        *o;
    attck_model_t      *m;
    attck_snap_tech_t  *t;
    attck_snap_str_t   *ps;
    const char        **sorted;

    m = vb->model;

    /* platforms first: each technique's platforms become a bit mask */

    names = json_object();

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind != ATTCK_KIND_TECHNIQUE || o->doc == ATTCK_NONE) {
            continue;
        }

        json_array_foreach(json_object_get(o->stix, "x_mitre_platforms"), k,
                           plat)
        {
            if (json_is_string(plat)) {
                json_object_set_new(names, json_string_value(plat),
                                    json_integer(0));
            }
        }
    }

    if (json_object_size(names) > ATTCK_SNAP_MAX_PLATFORMS) {
        attck_fatal(ATTCK_EXIT_DATAERR, "release %s has more than %d "
                    "platforms", m->name, ATTCK_SNAP_MAX_PLATFORMS);
    }

    sorted = attck_xcalloc(json_object_size(names), sizeof(char *));
    p = 0;

    {
        const char  *key;
        json_t      *v;

        json_object_foreach(names, key, v) {
            sorted[p++] = key;
        }
    }

    qsort(sorted, p, sizeof(char *), attck_str_cmp);

    for (i = 0; i < p; i++) {
        ps = attck_vec_push(platforms);
        *ps = attck_snap_writer_str(vb->writer, sorted[i], strlen(sorted[i]));
        json_object_set_new(names, sorted[i], json_integer((json_int_t) i));
    }

    free(sorted);

    /* the list endpoint pages through techniques in id order */

    attck_vec_init(&order, sizeof(uint32_t));

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind == ATTCK_KIND_TECHNIQUE && o->doc != ATTCK_NONE) {
            *(uint32_t *) attck_vec_push(&order) = (uint32_t) i;
        }
    }

    attck_model_sort(m, order.data, order.n, sizeof(uint32_t));

    for (i = 0; i < order.n; i++) {
        o = attck_model_obj(m, *attck_vec_at(&order, uint32_t, i));

        t = attck_vec_push(techs);
        t->doc = o->doc;
        t->tactics = o->tactics;
        t->flags = o->domains
                   | (o->sub ? ATTCK_TECH_SUB : 0)
                   | (o->revoked ? ATTCK_TECH_REVOKED : 0)
                   | (o->deprecated ? ATTCK_TECH_DEPRECATED : 0);

        json_array_foreach(json_object_get(o->stix, "x_mitre_platforms"), k,
                           plat)
        {
            bit = json_integer_value(json_object_get(names,
                                                  json_string_value(plat)));
            t->platforms |= (uint64_t) 1 << bit;
        }
    }

    attck_vec_free(&order);
    json_decref(names);
}


static void
attck_compile_search(attck_view_build_t *vb, attck_snap_term_t **terms,
    uint32_t *nterms, attck_snap_posting_t **postings, uint32_t *npostings)
{
    size_t          i;
    json_t         *aliases;
    attck_obj_t    *o;
    attck_index_t   ix;
    attck_model_t  *m;

    m = vb->model;
    attck_index_init(&ix);

    /* what an analyst searches for: the main kinds, active ones only */

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->doc == ATTCK_NONE || !attck_obj_active(o)
            || o->kind > ATTCK_KIND_CAMPAIGN)
        {
            continue;
        }

        aliases = json_object_get(o->stix, "aliases");
        if (aliases == NULL) {
            aliases = json_object_get(o->stix, "x_mitre_aliases");
        }

        attck_index_add(&ix, o->doc, o->id, o->name, aliases,
                        attck_json_str(o->stix, "description"));
    }

    attck_index_finish(&ix, vb->writer, terms, nterms, postings, npostings);
    attck_index_free(&ix);
}


static json_t *
attck_compile_counts(attck_model_t *m)
{
    size_t        i;
    json_t       *c;
    json_int_t    n[ATTCK_KIND_N], subs;
    attck_obj_t  *o;

    memset(n, 0, sizeof(n));
    subs = 0;

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->id == NULL || !attck_obj_active(o)) {
            continue;
        }

        if (o->kind == ATTCK_KIND_TECHNIQUE && o->sub) {
            subs++;

        } else {
            n[o->kind]++;
        }
    }

    c = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                  "s:I}",
                  "techniques", n[ATTCK_KIND_TECHNIQUE],
                  "subtechniques", subs,
                  "tactics", (json_int_t) m->ntactics,
                  "groups", n[ATTCK_KIND_GROUP],
                  "software", n[ATTCK_KIND_SOFTWARE],
                  "mitigations", n[ATTCK_KIND_MITIGATION],
                  "campaigns", n[ATTCK_KIND_CAMPAIGN],
                  "detection_strategies", n[ATTCK_KIND_DETECTION],
                  "analytics", n[ATTCK_KIND_ANALYTIC],
                  "data_components", n[ATTCK_KIND_DATACOMP],
                  "assets", n[ATTCK_KIND_ASSET],
                  "relationships", (json_int_t) m->rels.n);

    return c;
}


static void
attck_compile_view(attck_snap_writer_t *w, attck_model_t *m, json_t *status)
{
    int                    d;
    char                   key[64];
    size_t                 k;
    json_t                *domains;
    uint32_t               i, nterms, npostings;
    attck_vec_t            techs, platforms, tactics;
    attck_obj_t           *o;
    attck_snap_term_t     *terms;
    attck_snap_tactic_t   *ta;
    attck_view_build_t     vb;
    attck_snap_posting_t  *postings;
    static const attck_kind_t  lists[] = {
        ATTCK_KIND_GROUP, ATTCK_KIND_SOFTWARE, ATTCK_KIND_MITIGATION,
        ATTCK_KIND_CAMPAIGN, ATTCK_KIND_DETECTION, ATTCK_KIND_DATACOMP,
        ATTCK_KIND_ASSET
    };

    memset(&vb, 0, sizeof(attck_view_build_t));
    vb.writer = w;
    vb.model = m;
    vb.keys = json_object();
    attck_vec_init(&vb.docs, sizeof(attck_snap_doc_t));
    attck_render_init(&vb.render, m);

    attck_compile_objects(&vb);

    attck_compile_body(&vb, "tactics", attck_render_tactics(&vb.render));

    for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        attck_compile_body(&vb, attck_kind_collection[lists[k]],
                           attck_render_list(&vb.render, lists[k]));
    }

    for (d = 0; d < 3; d++) {
        if (m->matrix[d] != ATTCK_NONE) {
            snprintf(key, sizeof(key), "matrix/%s",
                     attck_domain_name(1u << d));
            *strchr(key, '-') = '\0';
            attck_compile_body(&vb, key, attck_render_matrix(&vb.render, d));
        }
    }

    attck_vec_init(&techs, sizeof(attck_snap_tech_t));
    attck_vec_init(&platforms, sizeof(attck_snap_str_t));
    attck_vec_init(&tactics, sizeof(attck_snap_tactic_t));

    attck_compile_techs(&vb, &techs, &platforms);

    for (i = 0; i < m->ntactics; i++) {
        o = attck_model_obj(m, m->tactics[i]);
        ta = attck_vec_push(&tactics);
        ta->id = attck_snap_writer_str(w, o->id, strlen(o->id));
        key[0] = '\0';
        if (attck_json_str(o->stix, "x_mitre_shortname")) {
            snprintf(key, sizeof(key), "%s",
                     attck_json_str(o->stix, "x_mitre_shortname"));
        }
        ta->shortname = attck_snap_writer_str(w, key, strlen(key));
        ta->domains = o->domains;
        ta->doc = o->doc;
    }

    attck_compile_search(&vb, &terms, &nterms, &postings, &npostings);

    if (attck_snap_writer_view(w, m->name,
                               vb.docs.data, (uint32_t) vb.docs.n,
                               techs.data, (uint32_t) techs.n,
                               tactics.data, (uint32_t) tactics.n,
                               platforms.data, (uint32_t) platforms.n,
                               terms, nterms, postings, npostings)
        != 0)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot lay out release %s",
                    m->name);
    }

    domains = json_array();

    for (k = 0; k < m->nbundles; k++) {
        json_array_append_new(domains, json_pack("{s:s, s:s?, s:s, s:s?}",
                              "domain", m->bundles[k]->domain,
                              "name", m->bundles[k]->name,
                              "version", m->bundles[k]->version,
                              "modified", m->bundles[k]->modified));
    }

    json_array_append_new(status, json_pack("{s:s, s:o, s:o}",
                          "release", m->name,
                          "domains", domains,
                          "counts", attck_compile_counts(m)));

    attck_log("info", "release %s: %zu documents, %zu techniques, "
              "%u search terms", m->name, vb.docs.n, techs.n, nterms);

    free(terms);
    free(postings);
    attck_vec_free(&techs);
    attck_vec_free(&platforms);
    attck_vec_free(&tactics);
    attck_vec_free(&vb.docs);
    attck_render_free(&vb.render);
    json_decref(vb.keys);
}


static int
attck_bundle_newer(const void *a, const void *b)
{
    const attck_bundle_t  *x = *(attck_bundle_t *const *) a;
    const attck_bundle_t  *y = *(attck_bundle_t *const *) b;

    return attck_version_cmp(y->version, x->version);
}


int
attck_compile_main(int argc, char **argv)
{
    int                    c, rc;
    char                   err[1024], created[32], *env, *tok, *save, *status;
    char                  *out;
    size_t                 i, k, nsrc, nb, size, slen, nviews;
    json_t                *releases;
    time_t                 now;
    struct tm              tm;
    const void            *data;
    const char           **srcs;
    attck_model_t          model;
    attck_bundle_t        *bundles, **view, *seen[3];
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   res;
    attck_snap_writer_t   *w;
    static struct option   longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    out = NULL;
    optind = 1;

    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            printf("usage: attck-worker compile -o OUT.snap [SOURCE...]\n"
                   "SOURCE: a STIX 2.1 bundle path or http(s)/file URL; "
                   "default $ATTCK_SOURCES\n");
            return ATTCK_EXIT_OK;
        default:
            return ATTCK_EXIT_USAGE;
        }
    }

    if (out == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "compile: -o OUT.snap is required");
    }

    srcs = attck_xcalloc(argc + 64, sizeof(char *));
    nsrc = 0;

    for (i = optind; i < (size_t) argc; i++) {
        srcs[nsrc++] = argv[i];
    }

    env = getenv("ATTCK_SOURCES");

    if (nsrc == 0 && env) {
        env = attck_xstrdup(env);

        for (tok = strtok_r(env, " \t\n", &save); tok && nsrc < 64;
             tok = strtok_r(NULL, " \t\n", &save))
        {
            srcs[nsrc++] = tok;
        }
    }

    if (nsrc == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "compile: no sources given "
                    "(arguments or ATTCK_SOURCES)");
    }

    attck_fetch_defaults(&opts);
    bundles = attck_xcalloc(nsrc, sizeof(attck_bundle_t));

    for (i = 0; i < nsrc; i++) {
        rc = attck_fetch(srcs[i], &opts, &res, err, sizeof(err));
        if (rc != 0) {
            attck_fatal(rc, "compile: %s", err);
        }

        rc = attck_bundle_load(&bundles[i], srcs[i], res.data, res.len, err,
                               sizeof(err));
        free(res.data);

        if (rc != 0) {
            attck_fatal(rc, "compile: %s", err);
        }

        attck_log("info", "loaded %s: %s %s, %zu objects", srcs[i],
                  bundles[i].domain, bundles[i].version,
                  json_array_size(bundles[i].objects));
    }

    view = attck_xcalloc(nsrc, sizeof(attck_bundle_t *));

    for (i = 0; i < nsrc; i++) {
        view[i] = &bundles[i];
    }

    qsort(view, nsrc, sizeof(attck_bundle_t *), attck_bundle_newer);

    w = attck_snap_writer_create();
    releases = json_array();

    /* the first view: the newest bundle of every domain */

    seen[0] = seen[1] = seen[2] = NULL;
    nb = 0;

    {
        attck_bundle_t  **latest;

        latest = attck_xcalloc(3, sizeof(attck_bundle_t *));

        for (i = 0; i < nsrc; i++) {
            k = attck_domain_index(view[i]->domain_bit);
            if (seen[k] == NULL) {
                seen[k] = view[i];
                latest[nb++] = view[i];
            }
        }

        if (attck_model_build(&model, latest[0]->version, latest, nb, err,
                              sizeof(err))
            != 0)
        {
            attck_fatal(ATTCK_EXIT_DATAERR, "compile: %s", err);
        }

        attck_compile_view(w, &model, releases);
        attck_model_free(&model);
        free(latest);
    }

    /* then one view per older release, of the bundles of that release */

    for (i = 0; i < nsrc; /* void */) {
        attck_bundle_t  **older;
        const char       *version;

        version = view[i]->version;
        older = attck_xcalloc(3, sizeof(attck_bundle_t *));
        nb = 0;
        seen[0] = seen[1] = seen[2] = NULL;

        for ( /* void */ ; i < nsrc
                           && strcmp(view[i]->version, version) == 0; i++)
        {
            k = attck_domain_index(view[i]->domain_bit);

            if (seen[k]) {
                attck_log("warn", "%s: %s %s given twice, using %s",
                          view[i]->source, view[i]->domain, version,
                          seen[k]->source);
                continue;
            }

            seen[k] = view[i];
            older[nb++] = view[i];
        }

        if (strcmp(version, view[0]->version) != 0) {
            if (attck_model_build(&model, version, older, nb, err,
                                  sizeof(err))
                != 0)
            {
                attck_fatal(ATTCK_EXIT_DATAERR, "compile: %s", err);
            }

            attck_compile_view(w, &model, releases);
            attck_model_free(&model);
        }

        free(older);
    }

    nviews = json_array_size(releases);
    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);

    status = attck_compile_dump(json_pack("{s:i, s:s, s:o}",
                                "format_version", ATTCK_SNAP_VERSION,
                                "compiled", created,
                                "releases", releases), &slen);

    if (attck_snap_writer_finish(w, status, slen, (uint64_t) now, &data,
                                 &size)
        != 0)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "compile: cannot lay out the "
                    "snapshot (more than 4 GB?)");
    }

    if (attck_write_atomic(out, data, size, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "compile: %s", err);
    }

    attck_log("info", "wrote %s: %zu bytes, %zu releases", out, size,
              nviews);

    free(status);
    attck_snap_writer_destroy(w);

    for (i = 0; i < nsrc; i++) {
        attck_bundle_free(&bundles[i]);
    }

    free(bundles);
    free(view);
    free(srcs);

    return ATTCK_EXIT_OK;
}
