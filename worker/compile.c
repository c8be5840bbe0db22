
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
#include "compile_diff.h"
#include "compile_taxii.h"
#include "db.h"
#include "fetch.h"
#include "index.h"
#include "model.h"
#include "render.h"
#include "render_cyberrange.h"
#include "stix.h"
#include "taxii_bundle.h"
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
    json_t *threats, json_t *status, attck_vec_t *extra);
static uint32_t attck_compile_raw(attck_view_build_t *vb, const char *key,
    const char *body, size_t len);
static uint32_t attck_compile_body(attck_view_build_t *vb, const char *key,
    json_t *body);
static void attck_compile_objects(attck_view_build_t *vb);
static int attck_compile_key(attck_obj_t *o, char *key, size_t len);
static void attck_compile_techs(attck_view_build_t *vb, attck_vec_t *techs,
    attck_vec_t *platforms);
static void attck_compile_search(attck_view_build_t *vb,
    attck_snap_term_t **terms, uint32_t *nterms,
    attck_snap_posting_t **postings, uint32_t *npostings);
static json_t *attck_compile_counts(attck_model_t *m);
static void attck_compile_release(attck_snap_writer_t *w, const char *name,
    attck_bundle_t **bundles, size_t n, json_t *threats, json_t *releases,
    attck_vec_t *extra);
static void attck_compile_views(attck_snap_writer_t *w,
    attck_bundle_t **sorted, size_t n, json_t *threats, json_t *releases,
    attck_vec_t *extra);
static size_t attck_compile_sources(int argc, char **argv,
    const char ***srcs);
static char *attck_compile_dump(json_t *v, size_t *len);
static int attck_str_cmp(const void *a, const void *b);


static int
attck_str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* v serialised, and let go of: every caller hands over a new value */

static char *
attck_compile_dump(json_t *v, size_t *len)
{
    char  *s;

    s = json_dumps(v, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(v);

    if (s == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot serialise JSON");
    }

    *len = strlen(s);

    return s;
}


static uint32_t
attck_compile_raw(attck_view_build_t *vb, const char *key, const char *body,
    size_t len)
{
    char               etag[32];
    uint32_t           n;
    attck_snap_doc_t  *d;

    n = (uint32_t) vb->docs.n;
    d = attck_vec_push(&vb->docs);

    d->key = attck_snap_writer_str(vb->writer, key, strlen(key));
    d->body = attck_snap_writer_str(vb->writer, body, len);
    snprintf(etag, sizeof(etag), "\"%08x-%zx\"", attck_snap_crc32(body, len),
             len);
    d->etag = attck_snap_writer_str(vb->writer, etag, strlen(etag));

    json_object_set_new(vb->keys, key, json_integer(n));

    return n;
}


static uint32_t
attck_compile_body(attck_view_build_t *vb, const char *key, json_t *body)
{
    char      *s;
    size_t     len;
    uint32_t   n;

    s = attck_compile_dump(body, &len);

    n = attck_compile_raw(vb, key, s, len);
    free(s);

    return n;
}


/* the address of an object: "techniques/T1059.001"; 0 if it has none */

static int
attck_compile_key(attck_obj_t *o, char *key, size_t len)
{
    if (o->id == NULL || attck_kind_collection[o->kind] == NULL) {
        return 0;
    }

    snprintf(key, len, "%s/%s", attck_kind_collection[o->kind], o->id);

    return 1;
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

        if (!attck_compile_key(o, key, sizeof(key))) {
            continue;
        }
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

        if (!attck_compile_key(o, key, sizeof(key))) {
            continue;
        }

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
attck_compile_view(attck_snap_writer_t *w, attck_model_t *m, json_t *threats,
    json_t *status, attck_vec_t *extra)
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
    const char            *shortname;
    static const attck_kind_t  lists[] = {
        ATTCK_KIND_GROUP, ATTCK_KIND_SOFTWARE, ATTCK_KIND_MITIGATION,
        ATTCK_KIND_CAMPAIGN, ATTCK_KIND_DETECTION, ATTCK_KIND_ANALYTIC,
        ATTCK_KIND_DATACOMP, ATTCK_KIND_ASSET
    };

    memset(&vb, 0, sizeof(attck_view_build_t));
    vb.writer = w;
    vb.model = m;
    vb.keys = json_object();
    attck_vec_init(&vb.docs, sizeof(attck_snap_doc_t));
    attck_render_init(&vb.render, m);
    vb.render.threats = threats;

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

    /*
     * the cyber-range service's documents: the technique index is
     * Enterprise's, the matrix templates are per domain
     */

    if (m->matrix[0] != ATTCK_NONE) {
        attck_compile_body(&vb, "cyberrange/technique-index",
                           attck_render_cr_index(&vb.render));
    }

    for (d = 0; d < 3; d++) {
        char    *html, name[16];
        size_t   len;

        if (m->matrix[d] == ATTCK_NONE) {
            continue;
        }

        snprintf(name, sizeof(name), "%s", attck_domain_name(1u << d));
        *strchr(name, '-') = '\0';

        snprintf(key, sizeof(key), "cyberrange/matrix/%s", name);
        html = attck_render_cr_matrix(&vb.render, d, 0, &len);
        attck_compile_raw(&vb, key, html, len);
        free(html);

        snprintf(key, sizeof(key), "cyberrange/matrix-sub/%s", name);
        html = attck_render_cr_matrix(&vb.render, d, 1, &len);
        attck_compile_raw(&vb, key, html, len);
        free(html);
    }

    /* changelogs into this release, technique states (compile_diff.c) */

    for (k = 0; k < extra->n; k++) {
        attck_extra_doc_t  *ed = attck_vec_at(extra, attck_extra_doc_t, k);

        if (strcmp(ed->view, m->name) == 0) {
            attck_compile_raw(&vb, ed->key, ed->body, ed->len);
        }
    }

    attck_vec_init(&techs, sizeof(attck_snap_tech_t));
    attck_vec_init(&platforms, sizeof(attck_snap_str_t));
    attck_vec_init(&tactics, sizeof(attck_snap_tactic_t));

    attck_compile_techs(&vb, &techs, &platforms);

    for (i = 0; i < m->ntactics; i++) {
        o = attck_model_obj(m, m->tactics[i]);
        ta = attck_vec_push(&tactics);

        /* a tactic has both, or its bundle was refused (stix.c) */

        shortname = attck_json_str(o->stix, "x_mitre_shortname");
        ta->id = attck_snap_writer_str(w, o->id, strlen(o->id));
        ta->shortname = attck_snap_writer_str(w, shortname,
                                              strlen(shortname));
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
    int                    c;
    const attck_bundle_t  *x = *(attck_bundle_t *const *) a;
    const attck_bundle_t  *y = *(attck_bundle_t *const *) b;

    c = attck_version_cmp(y->version, x->version);

    /* equal releases keep the command line's order: same input, same file */

    return c ? c : (x > y) - (x < y);
}


static void
attck_compile_release(attck_snap_writer_t *w, const char *name,
    attck_bundle_t **bundles, size_t n, json_t *threats, json_t *releases,
    attck_vec_t *extra)
{
    char           err[256];
    attck_model_t  model;

    if (attck_model_build(&model, name, bundles, n, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_DATAERR, "compile: %s", err);
    }

    attck_compile_view(w, &model, threats, releases, extra);
    attck_model_free(&model);
}


/*
 * bundles sorted newest first: the first view takes the newest bundle of
 * every domain, then each older release gets a view of its own bundles
 */

static void
attck_compile_views(attck_snap_writer_t *w, attck_bundle_t **sorted,
    size_t n, json_t *threats, json_t *releases, attck_vec_t *extra)
{
    int              d;
    size_t           i, nb;
    const char      *version;
    attck_bundle_t  *pick[3];

    nb = 0;
    pick[0] = pick[1] = pick[2] = NULL;

    for (i = 0; i < n; i++) {
        d = attck_domain_index(sorted[i]->domain_bit);

        if (pick[d] == NULL) {
            pick[d] = sorted[i];
        }
    }

    for (d = 0; d < 3; d++) {
        if (pick[d]) {
            pick[nb++] = pick[d];
        }
    }

    attck_compile_release(w, sorted[0]->version, pick, nb, threats,
                          releases, extra);

    for (i = 0; i < n; /* void */) {
        version = sorted[i]->version;
        nb = 0;
        pick[0] = pick[1] = pick[2] = NULL;

        for ( /* void */ ; i < n && strcmp(sorted[i]->version, version) == 0;
             i++)
        {
            d = attck_domain_index(sorted[i]->domain_bit);

            if (pick[d]) {
                attck_log("warn", "%s: %s %s given twice, using %s",
                          sorted[i]->source, sorted[i]->domain, version,
                          pick[d]->source);
                continue;
            }

            pick[d] = sorted[i];
        }

        if (strcmp(version, sorted[0]->version) == 0) {
            continue;
        }

        for (d = 0; d < 3; d++) {
            if (pick[d]) {
                pick[nb++] = pick[d];
            }
        }

        attck_compile_release(w, version, pick, nb, threats, releases,
                              extra);
    }
}


/* the sources: arguments, else $ATTCK_SOURCES (space-separated) */

static size_t
attck_compile_sources(int argc, char **argv, const char ***srcs)
{
    char    *env, *tok, *save;
    size_t   n;

    *srcs = attck_xcalloc(argc + 64, sizeof(char *));
    n = 0;

    while (optind < argc) {
        (*srcs)[n++] = argv[optind++];
    }

    env = getenv("ATTCK_SOURCES");

    if (n == 0 && env) {
        env = attck_xstrdup(env);

        for (tok = strtok_r(env, " \t\n", &save); tok && n < 64;
             tok = strtok_r(NULL, " \t\n", &save))
        {
            (*srcs)[n++] = tok;
        }
    }

    return n;
}


size_t
attck_compile_load(const char *cmd, int argc, char **argv,
    attck_bundle_t **bundles)
{
    int                    rc;
    char                   err[1024];
    size_t                 i, nsrc;
    const char           **srcs;
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   res;

    nsrc = attck_compile_sources(argc, argv, &srcs);

    if (nsrc == 0) {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: no sources given "
                    "(arguments or ATTCK_SOURCES)", cmd);
    }

    attck_fetch_defaults(&opts);
    *bundles = attck_xcalloc(nsrc, sizeof(attck_bundle_t));

    for (i = 0; i < nsrc; i++) {
        rc = attck_taxii_source(srcs[i])
             ? attck_taxii_bundle(srcs[i], &res, err, sizeof(err))
             : attck_fetch(srcs[i], &opts, &res, err, sizeof(err));
        if (rc != 0) {
            attck_fatal(rc, "%s: %s", cmd, err);
        }

        rc = attck_bundle_load(&(*bundles)[i], srcs[i], res.data, res.len,
                               err, sizeof(err));

        /* TAXII serves each object as the file's bytes (compile_taxii.c) */

        if (rc == 0 && attck_compile_taxii) {
            (*bundles)[i].raw = res.data;
            (*bundles)[i].raw_len = res.len;

        } else {
            free(res.data);
        }

        if (rc != 0) {
            attck_fatal(rc, "%s: %s", cmd, err);
        }

        attck_log("info", "loaded %s: %s %s, %zu objects", srcs[i],
                  (*bundles)[i].domain, (*bundles)[i].version,
                  json_array_size((*bundles)[i].objects));
    }

    free(srcs);

    return nsrc;
}


/*
 * The stored releases, read back as bundles: every one, or the newest of
 * each domain.  Exits with one clear line when there are none.
 */

size_t
attck_compile_db_bundles(PGconn *db, const char *cmd, int newest,
    attck_bundle_t **bundles)
{
    int          rc;
    char         err[512];
    size_t       i, n;
    PGresult    *res;
    const char  *param[1];

    param[0] = newest ? "t" : "f";

    res = attck_db_query(db, cmd,
        "SELECT attck_release_bundle(id) FROM ("
        "  SELECT DISTINCT ON (domain, CASE WHEN $1::boolean THEN ''"
        "                      ELSE version END) id, domain, version"
        "    FROM attack_releases"
        "   ORDER BY domain, CASE WHEN $1::boolean THEN '' ELSE version END,"
        "            CASE WHEN version ~ '^[0-9]+(\\.[0-9]+)*$'"
        "            THEN string_to_array(version, '.')::int[] END"
        "            DESC NULLS LAST, loaded_at DESC) r"
        " ORDER BY domain, version", 1, param);

    n = (size_t) PQntuples(res);

    if (n == 0) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "%s: no ATT&CK release in the "
                    "database (attck-worker ingest attack)", cmd);
    }

    *bundles = attck_xcalloc(n, sizeof(attck_bundle_t));

    for (i = 0; i < n; i++) {
        rc = attck_bundle_load(&(*bundles)[i], "postgresql",
                               PQgetvalue(res, (int) i, 0),
                               (size_t) PQgetlength(res, (int) i, 0), err,
                               sizeof(err));
        if (rc != 0) {
            attck_fatal(rc, "%s: %s", cmd, err);
        }

        attck_log("info", "%s: read %s %s from the database", cmd,
                  (*bundles)[i].domain, (*bundles)[i].version);
    }

    PQclear(res);

    return n;
}


/*
 * Lays out the snapshot of the bundles.  created is the time it stands
 * for: "now" for files, the data's own time for a database, so that the
 * same data always gives the same bytes.
 */

attck_snap_writer_t *
attck_compile_snapshot(attck_bundle_t *bundles, size_t n, json_t *threats,
    time_t created, const void **data, size_t *size)
{
    return attck_compile_snapshot_index(bundles, n, threats, NULL, 0,
                                        created, data, size);
}


attck_snap_writer_t *
attck_compile_snapshot_index(attck_bundle_t *bundles, size_t n,
    json_t *threats, const void *index, size_t index_len, time_t created,
    const void **data, size_t *size)
{
    char                  stamp[32], *status;
    size_t                i, slen;
    json_t               *releases;
    struct tm             tm;
    attck_vec_t           extra;
    attck_bundle_t      **sorted;
    attck_snap_writer_t  *w;

    sorted = attck_xcalloc(n, sizeof(attck_bundle_t *));

    for (i = 0; i < n; i++) {
        sorted[i] = &bundles[i];
    }

    qsort(sorted, n, sizeof(attck_bundle_t *), attck_bundle_newer);

    w = attck_snap_writer_create();
    if (w == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    releases = json_array();
    attck_compile_diff_docs(sorted, n, &extra);

    if (attck_compile_taxii) {
        attck_compile_taxii_docs(w, sorted, n, &extra);
    }

    attck_compile_views(w, sorted, n, threats, releases, &extra);
    attck_compile_diff_free(&extra);

    gmtime_r(&created, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    status = attck_compile_dump(json_pack("{s:i, s:s, s:o}",
                                "format_version", ATTCK_SNAP_VERSION,
                                "compiled", stamp,
                                "releases", releases), &slen);

    if ((index_len
         && attck_snap_writer_threats(w, index, index_len) != 0)
        || attck_snap_writer_finish(w, status, slen, (uint64_t) created, data,
                                    size)
           != 0)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "cannot lay out the snapshot "
                    "(more than 4 GB?)");
    }

    free(status);
    free(sorted);

    return w;
}


int
attck_compile_main(int argc, char **argv)
{
    int                    c;
    char                   err[1024], *out;
    size_t                 i, nsrc, size;
    const void            *data;
    attck_bundle_t        *bundles;
    attck_snap_writer_t   *w;
    static struct option   longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "taxii", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    out = NULL;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":o:th", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 't':
            attck_compile_taxii = 1;
            break;
        case 'h':
            printf("usage: attck-worker compile -o OUT.snap [--taxii] "
                   "[SOURCE...]\n"
                   "--taxii: add TAXII 2.1 collections of every bundle\n"
                   "SOURCE: a STIX 2.1 bundle path or http(s)/file URL; "
                   "default $ATTCK_SOURCES\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("compile", c, argv);
        }
    }

    if (out == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "compile: -o OUT.snap is required");
    }

    nsrc = attck_compile_load("compile", argc, argv, &bundles);

    w = attck_compile_snapshot(bundles, nsrc, NULL, time(NULL), &data,
                               &size);

    if (attck_write_atomic(out, data, size, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "compile: %s", err);
    }

    attck_log("info", "wrote %s: %zu bytes", out, size);

    attck_snap_writer_destroy(w);

    for (i = 0; i < nsrc; i++) {
        attck_bundle_free(&bundles[i]);
    }

    free(bundles);

    return ATTCK_EXIT_OK;
}
