
/*
 * attck-worker: the JSON bodies the module serves, rendered ahead of time.
 */


#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "render.h"


/* one list of related objects, read off the relationships */

typedef struct {
    const char    *field;
    const char    *rel;
    int            outgoing;      /* the object is the relationship's source */
    attck_kind_t   kind;          /* of the object at the other end */
    int            description;   /* keep the relationship's description */
} attck_relspec_t;


typedef struct {
    uint32_t       obj;
    const char    *description;
} attck_related_t;


static const attck_relspec_t  attck_technique_rels[] = {
    { "subtechniques", "subtechnique-of", 0, ATTCK_KIND_TECHNIQUE, 0 },
    { "mitigations", "mitigates", 0, ATTCK_KIND_MITIGATION, 1 },
    { "groups", "uses", 0, ATTCK_KIND_GROUP, 1 },
    { "software", "uses", 0, ATTCK_KIND_SOFTWARE, 1 },
    { "campaigns", "uses", 0, ATTCK_KIND_CAMPAIGN, 1 },
    { "detection_strategies", "detects", 0, ATTCK_KIND_DETECTION, 0 },
    { "assets", "targets", 1, ATTCK_KIND_ASSET, 0 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_group_rels[] = {
    { "techniques", "uses", 1, ATTCK_KIND_TECHNIQUE, 1 },
    { "software", "uses", 1, ATTCK_KIND_SOFTWARE, 1 },
    { "campaigns", "attributed-to", 0, ATTCK_KIND_CAMPAIGN, 0 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_software_rels[] = {
    { "techniques", "uses", 1, ATTCK_KIND_TECHNIQUE, 1 },
    { "groups", "uses", 0, ATTCK_KIND_GROUP, 1 },
    { "campaigns", "uses", 0, ATTCK_KIND_CAMPAIGN, 1 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_mitigation_rels[] = {
    { "techniques", "mitigates", 1, ATTCK_KIND_TECHNIQUE, 1 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_campaign_rels[] = {
    { "groups", "attributed-to", 1, ATTCK_KIND_GROUP, 0 },
    { "techniques", "uses", 1, ATTCK_KIND_TECHNIQUE, 1 },
    { "software", "uses", 1, ATTCK_KIND_SOFTWARE, 1 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_detection_rels[] = {
    { "techniques", "detects", 1, ATTCK_KIND_TECHNIQUE, 0 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_asset_rels[] = {
    { "techniques", "targets", 0, ATTCK_KIND_TECHNIQUE, 0 },
    { NULL, NULL, 0, 0, 0 }
};

static const attck_relspec_t  attck_none_rels[] = {
    { NULL, NULL, 0, 0, 0 }
};


/* STIX fields copied as they are, when present, STIX name -> API name */

static const char  *attck_copy_fields[][2] = {
    { "aliases", "aliases" },
    { "x_mitre_aliases", "aliases" },
    { "x_mitre_shortname", "shortname" },
    { "x_mitre_platforms", "platforms" },
    { "x_mitre_detection", "detection" },
    { "x_mitre_data_sources", "data_sources" },
    { "x_mitre_permissions_required", "permissions_required" },
    { "x_mitre_effective_permissions", "effective_permissions" },
    { "x_mitre_system_requirements", "system_requirements" },
    { "x_mitre_defense_bypassed", "defense_bypassed" },
    { "x_mitre_remote_support", "remote_support" },
    { "x_mitre_impact_type", "impact_type" },
    { "x_mitre_tactic_type", "tactic_type" },
    { "x_mitre_log_sources", "log_sources" },
    { "first_seen", "first_seen" },
    { "last_seen", "last_seen" },
    { "x_mitre_contributors", "contributors" },
    { NULL, NULL }
};


static const attck_relspec_t *attck_render_relspecs(attck_kind_t kind);
static json_t *attck_render_ref(attck_render_t *r, uint32_t i);
static json_t *attck_render_domains(unsigned domains);
static json_t *attck_render_related(attck_render_t *r, uint32_t i,
    const attck_relspec_t *spec);
static json_t *attck_render_refs(attck_render_t *r, attck_vec_t *objs);
static void attck_render_dcs_of(attck_render_t *r, uint32_t t,
    attck_vec_t *out);
static void attck_vec_add_unique(attck_vec_t *v, uint32_t x);
static json_t *attck_render_tactic_refs(attck_render_t *r, uint64_t bits);
static json_t *attck_render_tactic_techniques(attck_render_t *r,
    uint32_t tactic);
static json_t *attck_render_references(json_t *stix);


static const attck_relspec_t *
attck_render_relspecs(attck_kind_t kind)
{
    switch (kind) {
    case ATTCK_KIND_TECHNIQUE:
        return attck_technique_rels;
    case ATTCK_KIND_GROUP:
        return attck_group_rels;
    case ATTCK_KIND_SOFTWARE:
        return attck_software_rels;
    case ATTCK_KIND_MITIGATION:
        return attck_mitigation_rels;
    case ATTCK_KIND_CAMPAIGN:
        return attck_campaign_rels;
    case ATTCK_KIND_DETECTION:
    case ATTCK_KIND_DATACOMP:
        return attck_detection_rels;
    case ATTCK_KIND_ASSET:
        return attck_asset_rels;
    default:
        return attck_none_rels;
    }
}


static void
attck_vec_add_unique(attck_vec_t *v, uint32_t x)
{
    size_t     i;
    uint32_t  *p;

    for (i = 0; i < v->n; i++) {
        if (*attck_vec_at(v, uint32_t, i) == x) {
            return;
        }
    }

    p = attck_vec_push(v);
    *p = x;
}


static void
attck_render_dcs_of(attck_render_t *r, uint32_t t, attck_vec_t *out)
{
    size_t         i, k, j;
    json_t        *aref, *ls;
    uint32_t       an, dc;
    attck_rel_t   *rel;
    attck_obj_t   *o, *so;
    attck_model_t *m;

    m = r->model;
    o = attck_model_obj(m, t);

    /*
     * ATT&CK 18: technique <- detects - detection strategy -> analytics ->
     * log sources -> data components.  Before 18: data component
     * - detects -> technique.
     */

    for (i = 0; i < o->rels.n; i++) {
        rel = attck_model_rel(m, *attck_vec_at(&o->rels, uint32_t, i));

        if (rel->dst != t || strcmp(rel->type, "detects") != 0) {
            continue;
        }

        so = attck_model_obj(m, rel->src);

        if (!attck_obj_active(so)) {
            continue;
        }

        if (so->kind == ATTCK_KIND_DATACOMP) {
            attck_vec_add_unique(out, rel->src);
            continue;
        }

        if (so->kind != ATTCK_KIND_DETECTION) {
            continue;
        }

        json_array_foreach(json_object_get(so->stix, "x_mitre_analytic_refs"),
                           k, aref)
        {
            an = attck_model_find(m, json_string_value(aref));
            if (an == ATTCK_NONE) {
                continue;
            }

            json_array_foreach(json_object_get(attck_model_obj(m, an)->stix,
                                               "x_mitre_log_source_references"),
                               j, ls)
            {
                dc = attck_model_find(m, attck_json_str(ls,
                                          "x_mitre_data_component_ref"));

                if (dc != ATTCK_NONE
                    && attck_obj_active(attck_model_obj(m, dc)))
                {
                    attck_vec_add_unique(out, dc);
                }
            }
        }
    }
}


void
attck_render_init(attck_render_t *r, attck_model_t *m)
{
    size_t        i, k;
    uint32_t     *p, dc;
    attck_vec_t   dcs;
    attck_obj_t  *o;

    r->model = m;
    r->tech_dcs = attck_xcalloc(m->objs.n, sizeof(attck_vec_t));

    for (i = 0; i < m->objs.n; i++) {
        attck_vec_init(&r->tech_dcs[i], sizeof(uint32_t));
    }

    /* technique -> data components, and the reverse for data components */

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind != ATTCK_KIND_TECHNIQUE) {
            continue;
        }

        attck_vec_init(&dcs, sizeof(uint32_t));
        attck_render_dcs_of(r, (uint32_t) i, &dcs);

        for (k = 0; k < dcs.n; k++) {
            dc = *attck_vec_at(&dcs, uint32_t, k);
            p = attck_vec_push(&r->tech_dcs[i]);
            *p = dc;
            attck_vec_add_unique(&r->tech_dcs[dc], (uint32_t) i);
        }

        attck_vec_free(&dcs);
    }
}


void
attck_render_free(attck_render_t *r)
{
    size_t  i;

    for (i = 0; i < r->model->objs.n; i++) {
        attck_vec_free(&r->tech_dcs[i]);
    }

    free(r->tech_dcs);
}


static json_t *
attck_render_ref(attck_render_t *r, uint32_t i)
{
    json_t       *ref;
    attck_obj_t  *o;

    o = attck_model_obj(r->model, i);

    ref = json_pack("{s:s?, s:s?}", "id", o->id, "name", o->name);

    if (o->kind == ATTCK_KIND_SOFTWARE) {
        json_object_set_new(ref, "software_type", json_string(o->type));
    }

    if (o->kind == ATTCK_KIND_TECHNIQUE) {
        json_object_set_new(ref, "is_subtechnique", json_boolean(o->sub));
    }

    return ref;
}


static json_t *
attck_render_domains(unsigned domains)
{
    int      d;
    json_t  *a;

    a = json_array();

    for (d = 0; d < 3; d++) {
        if (domains & (1u << d)) {
            json_array_append_new(a, json_string(attck_domain_name(1u << d)));
        }
    }

    return a;
}


static json_t *
attck_render_related(attck_render_t *r, uint32_t i,
    const attck_relspec_t *spec)
{
    size_t            k, n;
    json_t           *a, *ref;
    uint32_t          other;
    attck_vec_t       found;
    attck_rel_t      *rel;
    attck_obj_t      *o, *oo;
    attck_model_t    *m;
    attck_related_t  *rd;

    m = r->model;
    o = attck_model_obj(m, i);
    attck_vec_init(&found, sizeof(attck_related_t));

    for (k = 0; k < o->rels.n; k++) {
        rel = attck_model_rel(m, *attck_vec_at(&o->rels, uint32_t, k));

        if (strcmp(rel->type, spec->rel) != 0
            || (spec->outgoing ? rel->src : rel->dst) != i)
        {
            continue;
        }

        other = spec->outgoing ? rel->dst : rel->src;
        oo = attck_model_obj(m, other);

        if (oo->kind != spec->kind || oo->id == NULL || !attck_obj_active(oo))
        {
            continue;
        }

        rd = attck_vec_push(&found);
        rd->obj = other;
        rd->description = rel->description;
    }

    attck_model_sort(m, found.data, found.n, sizeof(attck_related_t));

    a = json_array();

    for (k = 0, n = 0; k < found.n; k++) {
        rd = attck_vec_at(&found, attck_related_t, k);

        /* one entry per object even if several relationships link them */

        if (n && attck_vec_at(&found, attck_related_t, n - 1)->obj == rd->obj)
        {
            continue;
        }

        *attck_vec_at(&found, attck_related_t, n++) = *rd;

        ref = attck_render_ref(r, rd->obj);

        if (spec->description && rd->description) {
            json_object_set_new(ref, "description",
                                json_string(rd->description));
        }

        json_array_append_new(a, ref);
    }

    attck_vec_free(&found);

    return a;
}


static json_t *
attck_render_refs(attck_render_t *r, attck_vec_t *objs)
{
    size_t           k;
    json_t          *a;
    attck_vec_t      sorted;
    attck_related_t *rd;

    attck_vec_init(&sorted, sizeof(attck_related_t));

    for (k = 0; k < objs->n; k++) {
        rd = attck_vec_push(&sorted);
        rd->obj = *attck_vec_at(objs, uint32_t, k);

        if (attck_model_obj(r->model, rd->obj)->id == NULL) {
            sorted.n--;
        }
    }

    attck_model_sort(r->model, sorted.data, sorted.n,
                     sizeof(attck_related_t));

    a = json_array();

    for (k = 0; k < sorted.n; k++) {
        json_array_append_new(a, attck_render_ref(r,
                               attck_vec_at(&sorted, attck_related_t, k)->obj));
    }

    attck_vec_free(&sorted);

    return a;
}


static json_t *
attck_render_tactic_refs(attck_render_t *r, uint64_t bits)
{
    json_t       *a;
    uint32_t      k;
    attck_obj_t  *t;

    a = json_array();

    for (k = 0; k < r->model->ntactics; k++) {
        if (!(bits & ((uint64_t) 1 << k))) {
            continue;
        }

        t = attck_model_obj(r->model, r->model->tactics[k]);

        json_array_append_new(a, json_pack("{s:s?, s:s?, s:s?}",
                              "id", t->id,
                              "shortname", attck_json_str(t->stix,
                                                          "x_mitre_shortname"),
                              "name", t->name));
    }

    return a;
}


static json_t *
attck_render_tactic_techniques(attck_render_t *r, uint32_t tactic)
{
    size_t        i;
    attck_vec_t   objs;
    json_t       *a;
    uint32_t     *p;
    attck_obj_t  *o;

    attck_vec_init(&objs, sizeof(uint32_t));

    for (i = 0; i < r->model->objs.n; i++) {
        o = attck_model_obj(r->model, i);

        if (o->kind == ATTCK_KIND_TECHNIQUE && attck_obj_active(o)
            && (o->tactics & ((uint64_t) 1 << tactic)))
        {
            p = attck_vec_push(&objs);
            *p = (uint32_t) i;
        }
    }

    a = attck_render_refs(r, &objs);
    attck_vec_free(&objs);

    return a;
}


static json_t *
attck_render_references(json_t *stix)
{
    size_t       i;
    json_t      *a, *ref;
    const char  *source;

    a = json_array();

    json_array_foreach(json_object_get(stix, "external_references"), i, ref) {
        source = attck_json_str(ref, "source_name");

        if (source && strncmp(source, "mitre-", 6) == 0) {
            continue;
        }

        json_array_append(a, ref);
    }

    return a;
}


json_t *
attck_render_doc(attck_render_t *r, uint32_t i)
{
    size_t                  k;
    json_t                 *doc, *v;
    uint32_t                t;
    attck_obj_t            *o;
    attck_model_t          *m;
    const attck_relspec_t  *spec;

    m = r->model;
    o = attck_model_obj(m, i);

    doc = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:o}",
                    "type", attck_kind_name[o->kind],
                    "id", o->id,
                    "stix_id", attck_json_str(o->stix, "id"),
                    "name", o->name,
                    "description", attck_json_str(o->stix, "description"),
                    "domains", attck_render_domains(o->domains));

    if (o->kind == ATTCK_KIND_SOFTWARE) {
        json_object_set_new(doc, "software_type", json_string(o->type));
    }

    if (o->kind == ATTCK_KIND_TECHNIQUE) {
        json_object_set_new(doc, "tactics",
                            attck_render_tactic_refs(r, o->tactics));
        json_object_set_new(doc, "is_subtechnique", json_boolean(o->sub));
        json_object_set_new(doc, "parent", o->parent == ATTCK_NONE
                                           ? json_null()
                                           : attck_render_ref(r, o->parent));
    }

    for (k = 0; attck_copy_fields[k][0]; k++) {
        v = json_object_get(o->stix, attck_copy_fields[k][0]);

        if (v && !(json_is_string(v) && json_string_length(v) == 0)) {
            json_object_set(doc, attck_copy_fields[k][1], v);
        }
    }

    json_object_set_new(doc, "url", o->url ? json_string(o->url)
                                           : json_null());
    json_object_set(doc, "created", json_object_get(o->stix, "created"));
    json_object_set(doc, "modified", json_object_get(o->stix, "modified"));
    json_object_set(doc, "version",
                    json_object_get(o->stix, "x_mitre_version"));
    json_object_set_new(doc, "deprecated", json_boolean(o->deprecated));
    json_object_set_new(doc, "revoked", json_boolean(o->revoked));
    json_object_set_new(doc, "revoked_by",
                        o->revoked_by == ATTCK_NONE
                        ? json_null() : attck_render_ref(r, o->revoked_by));

    for (spec = attck_render_relspecs(o->kind); spec->field; spec++) {
        if (o->kind == ATTCK_KIND_DATACOMP) {
            break;
        }

        json_object_set_new(doc, spec->field,
                            attck_render_related(r, i, spec));
    }

    if (o->kind == ATTCK_KIND_TECHNIQUE) {
        json_object_set_new(doc, "data_components",
                            attck_render_refs(r, &r->tech_dcs[i]));
    }

    /* published from the database: what threat intelligence maps here */

    if (o->kind == ATTCK_KIND_TECHNIQUE && r->threats) {
        v = json_object_get(r->threats, o->id);
        json_object_set_new(doc, "threats",
                            v ? json_incref(v)
                              : json_pack("{s:i, s:[]}", "count", 0, "top"));
    }

    if (o->kind == ATTCK_KIND_DATACOMP) {
        json_object_set_new(doc, "techniques",
                            attck_render_refs(r, &r->tech_dcs[i]));
    }

    if (o->kind == ATTCK_KIND_DETECTION) {
        attck_vec_t  an;
        uint32_t    *p;

        attck_vec_init(&an, sizeof(uint32_t));

        json_array_foreach(json_object_get(o->stix, "x_mitre_analytic_refs"),
                           k, v)
        {
            t = attck_model_find(m, json_string_value(v));
            if (t != ATTCK_NONE) {
                p = attck_vec_push(&an);
                *p = t;
            }
        }

        json_object_set_new(doc, "analytics", attck_render_refs(r, &an));
        attck_vec_free(&an);
    }

    if (o->kind == ATTCK_KIND_TACTIC) {
        for (t = 0; t < m->ntactics; t++) {
            if (m->tactics[t] == i) {
                json_object_set_new(doc, "techniques",
                                    attck_render_tactic_techniques(r, t));
            }
        }
    }

    json_object_set_new(doc, "references", attck_render_references(o->stix));

    return doc;
}


json_t *
attck_render_summary(attck_render_t *r, uint32_t i)
{
    size_t        k;
    json_t       *s, *tactics;
    attck_obj_t  *o;

    o = attck_model_obj(r->model, i);

    s = json_pack("{s:s, s:s?, s:s?, s:o}",
                  "type", attck_kind_name[o->kind],
                  "id", o->id,
                  "name", o->name,
                  "domains", attck_render_domains(o->domains));

    if (o->kind == ATTCK_KIND_SOFTWARE) {
        json_object_set_new(s, "software_type", json_string(o->type));
    }

    if (o->kind == ATTCK_KIND_TECHNIQUE) {
        tactics = json_array();

        for (k = 0; k < r->model->ntactics; k++) {
            if (o->tactics & ((uint64_t) 1 << k)) {
                json_array_append_new(tactics, json_string(attck_model_obj(
                    r->model, r->model->tactics[k])->id));
            }
        }

        json_object_set_new(s, "tactics", tactics);
        json_object_set(s, "platforms",
                        json_object_get(o->stix, "x_mitre_platforms"));
        json_object_set_new(s, "is_subtechnique", json_boolean(o->sub));
        json_object_set_new(s, "parent", o->parent == ATTCK_NONE
                ? json_null()
                : json_string(attck_model_obj(r->model, o->parent)->id));
    }

    json_object_set_new(s, "deprecated", json_boolean(o->deprecated));
    json_object_set_new(s, "revoked", json_boolean(o->revoked));
    json_object_set_new(s, "url", o->url ? json_string(o->url) : json_null());

    return s;
}


json_t *
attck_render_matrix(attck_render_t *r, int d)
{
    size_t          i, k, s;
    json_t         *tactics, *techs, *subs, *tech;
    uint32_t        t, ti;
    attck_vec_t     parents;
    attck_obj_t    *mx, *to, *o, *so;
    attck_model_t  *m;
    attck_related_t *rd;

    m = r->model;
    mx = attck_model_obj(m, m->matrix[d]);
    tactics = json_array();

    for (t = 0; t < m->ntactics; t++) {
        to = attck_model_obj(m, m->tactics[t]);

        if (!(to->domains & (1u << d))) {
            continue;
        }

        /* parent techniques by name, as the ATT&CK matrix shows them */

        attck_vec_init(&parents, sizeof(attck_related_t));

        for (i = 0; i < m->objs.n; i++) {
            o = attck_model_obj(m, i);

            if (o->kind == ATTCK_KIND_TECHNIQUE && !o->sub && o->id
                && attck_obj_active(o) && (o->tactics & ((uint64_t) 1 << t)))
            {
                rd = attck_vec_push(&parents);
                rd->obj = (uint32_t) i;
                rd->description = o->name ? o->name : "";
            }
        }

        for (i = 1; i < parents.n; i++) {
            attck_related_t  x = *attck_vec_at(&parents, attck_related_t, i);

            for (k = i; k > 0; k--) {
                rd = attck_vec_at(&parents, attck_related_t, k - 1);
                if (strcmp(rd->description, x.description) <= 0) {
                    break;
                }
                *attck_vec_at(&parents, attck_related_t, k) = *rd;
            }

            *attck_vec_at(&parents, attck_related_t, k) = x;
        }

        techs = json_array();

        for (i = 0; i < parents.n; i++) {
            ti = attck_vec_at(&parents, attck_related_t, i)->obj;
            o = attck_model_obj(m, ti);
            subs = json_array();

            for (s = 0; s < o->rels.n; s++) {
                attck_rel_t *rel = attck_model_rel(m,
                                        *attck_vec_at(&o->rels, uint32_t, s));

                if (rel->dst != ti || strcmp(rel->type, "subtechnique-of") != 0)
                {
                    continue;
                }

                so = attck_model_obj(m, rel->src);

                if (so->id && attck_obj_active(so)
                    && (so->tactics & ((uint64_t) 1 << t)))
                {
                    json_array_append_new(subs, json_pack("{s:s, s:s?}",
                                          "id", so->id, "name", so->name));
                }
            }

            tech = json_pack("{s:s, s:s?, s:o}", "id", o->id, "name", o->name,
                             "subtechniques", subs);
            json_array_append_new(techs, tech);
        }

        attck_vec_free(&parents);

        json_array_append_new(tactics, json_pack("{s:s?, s:s?, s:s?, s:o}",
                              "id", to->id,
                              "shortname", attck_json_str(to->stix,
                                                          "x_mitre_shortname"),
                              "name", to->name,
                              "techniques", techs));
    }

    return json_pack("{s:s, s:s?, s:s, s:o}",
                     "domain", attck_domain_name(1u << d),
                     "name", mx->name,
                     "release", m->name,
                     "tactics", tactics);
}


json_t *
attck_render_list(attck_render_t *r, attck_kind_t kind)
{
    size_t           i;
    json_t          *a;
    attck_vec_t      objs;
    uint32_t        *p;
    attck_obj_t     *o;

    attck_vec_init(&objs, sizeof(uint32_t));

    for (i = 0; i < r->model->objs.n; i++) {
        o = attck_model_obj(r->model, i);

        if (o->kind == kind && o->id && attck_obj_active(o)) {
            p = attck_vec_push(&objs);
            *p = (uint32_t) i;
        }
    }

    a = attck_render_refs(r, &objs);
    attck_vec_free(&objs);

    return json_pack("{s:i, s:o}", "total", (json_int_t) json_array_size(a),
                     attck_kind_collection[kind], a);
}


json_t *
attck_render_tactics(attck_render_t *r)
{
    json_t       *a;
    uint32_t      t;
    attck_obj_t  *o;

    a = json_array();

    for (t = 0; t < r->model->ntactics; t++) {
        o = attck_model_obj(r->model, r->model->tactics[t]);

        json_array_append_new(a, json_pack("{s:s?, s:s?, s:s?, s:o}",
                              "id", o->id,
                              "shortname", attck_json_str(o->stix,
                                                          "x_mitre_shortname"),
                              "name", o->name,
                              "domains", attck_render_domains(o->domains)));
    }

    return json_pack("{s:i, s:o}", "total", (json_int_t) json_array_size(a),
                     "tactics", a);
}
