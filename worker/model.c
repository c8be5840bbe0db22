
/*
 * attck-worker: the ATT&CK model of one view.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "model.h"


const char  *attck_kind_collection[ATTCK_KIND_N] = {
    NULL, "techniques", "tactics", "groups", "software", "mitigations",
    "campaigns", "detection-strategies", "analytics", "data-components",
    "assets", NULL
};

const char  *attck_kind_name[ATTCK_KIND_N] = {
    NULL, "technique", "tactic", "group", "software", "mitigation",
    "campaign", "detection-strategy", "analytic", "data-component",
    "asset", "matrix"
};


static const struct {
    const char    *type;
    attck_kind_t   kind;
} attck_model_types[] = {
    { "attack-pattern", ATTCK_KIND_TECHNIQUE },
    { "x-mitre-tactic", ATTCK_KIND_TACTIC },
    { "intrusion-set", ATTCK_KIND_GROUP },
    { "malware", ATTCK_KIND_SOFTWARE },
    { "tool", ATTCK_KIND_SOFTWARE },
    { "course-of-action", ATTCK_KIND_MITIGATION },
    { "campaign", ATTCK_KIND_CAMPAIGN },
    { "x-mitre-detection-strategy", ATTCK_KIND_DETECTION },
    { "x-mitre-analytic", ATTCK_KIND_ANALYTIC },
    { "x-mitre-data-component", ATTCK_KIND_DATACOMP },
    { "x-mitre-asset", ATTCK_KIND_ASSET },
    { "x-mitre-matrix", ATTCK_KIND_MATRIX },
    { NULL, ATTCK_KIND_OTHER }
};


/* qsort(3) takes no context: the model being sorted */
static attck_model_t  *attck_model_sorting;


static const char  *attck_kill_chains[] = {
    "mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"
};


static int attck_model_id_cmp(const void *a, const void *b);
static void attck_model_add_object(attck_model_t *m, attck_bundle_t *b,
    json_t *stix);
static void attck_model_add_rel(attck_model_t *m, json_t *stix,
    json_t *seen);
static unsigned attck_model_domains(json_t *stix, unsigned fallback);
static int attck_model_tactics(attck_model_t *m, char *err, size_t errlen);
static void attck_model_technique_tactics(attck_obj_t *o, json_t *by_phase);


int
attck_obj_active(const attck_obj_t *o)
{
    return !o->revoked && !o->deprecated;
}


uint32_t
attck_model_find(attck_model_t *m, const char *stix_id)
{
    json_t  *v;

    v = stix_id ? json_object_get(m->by_stix, stix_id) : NULL;

    return v ? (uint32_t) json_integer_value(v) : ATTCK_NONE;
}


static int
attck_model_id_cmp(const void *a, const void *b)
{
    const char  *x, *y;

    x = attck_model_obj(attck_model_sorting, *(const uint32_t *) a)->id;
    y = attck_model_obj(attck_model_sorting, *(const uint32_t *) b)->id;

    return strcmp(x ? x : "", y ? y : "");
}


void
attck_model_sort(attck_model_t *m, void *base, size_t n, size_t size)
{
    /* nothing to sort: an empty vector's base may be NULL */

    if (n < 2) {
        return;
    }

    attck_model_sorting = m;
    qsort(base, n, size, attck_model_id_cmp);
}


static unsigned
attck_model_domains(json_t *stix, unsigned fallback)
{
    size_t     i;
    json_t    *d;
    unsigned   bits;

    bits = 0;

    json_array_foreach(json_object_get(stix, "x_mitre_domains"), i, d) {
        bits |= attck_domain_bit(json_string_value(d));
    }

    return bits ? bits : fallback;
}


static void
attck_model_add_object(attck_model_t *m, attck_bundle_t *b, json_t *stix)
{
    size_t        k;
    uint32_t      i;
    const char   *type, *modified;
    attck_obj_t  *o;
    attck_kind_t  kind;

    type = attck_json_str(stix, "type");
    kind = ATTCK_KIND_OTHER;

    for (k = 0; attck_model_types[k].type; k++) {
        if (strcmp(type, attck_model_types[k].type) == 0) {
            kind = attck_model_types[k].kind;
            break;
        }
    }

    if (kind == ATTCK_KIND_OTHER) {
        return;
    }

    modified = attck_json_str(stix, "modified");
    i = attck_model_find(m, attck_json_str(stix, "id"));

    if (i != ATTCK_NONE) {
        /* the same object in two domains' bundles: keep the newer */

        o = attck_model_obj(m, i);
        o->domains |= attck_model_domains(stix, b->domain_bit);

        if (modified == NULL || o->modified == NULL
            || strcmp(modified, o->modified) <= 0)
        {
            return;
        }

    } else {
        i = (uint32_t) m->objs.n;
        o = attck_vec_push(&m->objs);
        attck_vec_init(&o->rels, sizeof(uint32_t));
        json_object_set_new(m->by_stix, attck_json_str(stix, "id"),
                            json_integer(i));
    }

    o->stix = stix;
    o->type = type;
    o->kind = kind;
    o->id = attck_stix_attack_id(stix, &o->url);
    o->name = attck_json_str(stix, "name");
    o->modified = modified;
    o->domains |= attck_model_domains(stix, b->domain_bit);
    o->revoked = attck_json_true(stix, "revoked");
    o->deprecated = attck_json_true(stix, "x_mitre_deprecated");
    o->sub = attck_json_true(stix, "x_mitre_is_subtechnique");
    o->parent = ATTCK_NONE;
    o->revoked_by = ATTCK_NONE;
    o->doc = ATTCK_NONE;
}


static void
attck_model_add_rel(attck_model_t *m, json_t *stix, json_t *seen)
{
    uint32_t      src, dst, i, *p;
    const char   *id;
    attck_rel_t  *r;

    id = attck_json_str(stix, "id");

    if (json_object_get(seen, id)
        || attck_json_true(stix, "revoked")
        || attck_json_true(stix, "x_mitre_deprecated"))
    {
        return;
    }

    src = attck_model_find(m, attck_json_str(stix, "source_ref"));
    dst = attck_model_find(m, attck_json_str(stix, "target_ref"));

    if (src == ATTCK_NONE || dst == ATTCK_NONE
        || attck_json_str(stix, "relationship_type") == NULL)
    {
        return;
    }

    json_object_set_new(seen, id, json_true());

    i = (uint32_t) m->rels.n;
    r = attck_vec_push(&m->rels);
    r->src = src;
    r->dst = dst;
    r->type = attck_json_str(stix, "relationship_type");
    r->description = attck_json_str(stix, "description");

    p = attck_vec_push(&attck_model_obj(m, src)->rels);
    *p = i;
    p = attck_vec_push(&attck_model_obj(m, dst)->rels);
    *p = i;

    /* a parent is a technique: its ATT&CK id is sure (stix.c) */

    if (strcmp(r->type, "subtechnique-of") == 0
        && attck_model_obj(m, dst)->kind == ATTCK_KIND_TECHNIQUE)
    {
        attck_model_obj(m, src)->parent = dst;

    } else if (strcmp(r->type, "revoked-by") == 0) {
        attck_model_obj(m, src)->revoked_by = dst;
    }
}


static int
attck_model_tactics(attck_model_t *m, char *err, size_t errlen)
{
    int           d;
    size_t        i, k;
    json_t       *ref, *by_phase;
    uint32_t      t, j;
    attck_obj_t  *o, *mx;
    const char   *shortname;
    char          key[128];

    by_phase = json_object();

    /* the view's tactics: each domain's matrix, in the matrix's order */

    for (d = 0; d < 3; d++) {
        if (m->matrix[d] == ATTCK_NONE) {
            continue;
        }

        mx = attck_model_obj(m, m->matrix[d]);

        json_array_foreach(json_object_get(mx->stix, "tactic_refs"), k, ref) {
            /* a tactic has its ATT&CK id and shortname (stix.c) */

            t = attck_model_find(m, json_string_value(ref));
            if (t == ATTCK_NONE
                || attck_model_obj(m, t)->kind != ATTCK_KIND_TACTIC)
            {
                continue;
            }

            /*
             * a tactic's document is found by its ATT&CK id: no other
             * tactic, in the matrix or not, may have it
             */

            for (j = 0; j < m->objs.n; j++) {
                o = attck_model_obj(m, j);

                if (j != t && o->kind == ATTCK_KIND_TACTIC
                    && strcmp(o->id, attck_model_obj(m, t)->id) == 0)
                {
                    snprintf(err, errlen, "%s and %s: two tactics with the "
                             "ATT&CK id %s", attck_json_str(o->stix, "id"),
                             attck_json_str(attck_model_obj(m, t)->stix,
                                            "id"),
                             o->id);
                    json_decref(by_phase);
                    return -1;
                }
            }

            if (m->ntactics == ATTCK_SNAP_MAX_TACTICS) {
                snprintf(err, errlen, "more than %d tactics in release %s",
                         ATTCK_SNAP_MAX_TACTICS, m->name);
                json_decref(by_phase);
                return -1;
            }

            shortname = attck_json_str(attck_model_obj(m, t)->stix,
                                       "x_mitre_shortname");
            snprintf(key, sizeof(key), "%s:%s", attck_kill_chains[d],
                     shortname ? shortname : "");
            json_object_set_new(by_phase, key, json_integer(m->ntactics));
            m->tactic_matrix[m->ntactics] = d;
            m->tactics[m->ntactics++] = t;
        }
    }

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind == ATTCK_KIND_TECHNIQUE) {
            attck_model_technique_tactics(o, by_phase);
        }
    }

    json_decref(by_phase);

    return 0;
}


static void
attck_model_technique_tactics(attck_obj_t *o, json_t *by_phase)
{
    size_t       k;
    json_t      *phase, *bit;
    const char  *chain, *name;
    char         key[128];

    json_array_foreach(json_object_get(o->stix, "kill_chain_phases"), k,
                       phase)
    {
        chain = attck_json_str(phase, "kill_chain_name");
        name = attck_json_str(phase, "phase_name");

        if (chain == NULL || name == NULL) {
            continue;
        }

        snprintf(key, sizeof(key), "%s:%s", chain, name);
        bit = json_object_get(by_phase, key);

        if (bit) {
            o->tactics |= (uint64_t) 1 << json_integer_value(bit);
        }
    }
}


int
attck_model_build(attck_model_t *m, const char *name,
    attck_bundle_t **bundles, size_t nbundles, char *err, size_t errlen)
{
    size_t        i, k;
    json_t       *stix, *seen;
    attck_obj_t  *o;
    const char   *type;

    memset(m, 0, sizeof(attck_model_t));
    m->name = name;
    m->bundles = bundles;
    m->nbundles = nbundles;
    m->by_stix = json_object();
    m->matrix[0] = m->matrix[1] = m->matrix[2] = ATTCK_NONE;
    attck_vec_init(&m->objs, sizeof(attck_obj_t));
    attck_vec_init(&m->rels, sizeof(attck_rel_t));

    for (k = 0; k < nbundles; k++) {
        json_array_foreach(bundles[k]->objects, i, stix) {
            attck_model_add_object(m, bundles[k], stix);
        }
    }

    /* relationships only once every object they may point at is known */

    seen = json_object();

    for (k = 0; k < nbundles; k++) {
        json_array_foreach(bundles[k]->objects, i, stix) {
            type = attck_json_str(stix, "type");

            if (strcmp(type, "relationship") == 0) {
                attck_model_add_rel(m, stix, seen);
            }
        }
    }

    json_decref(seen);

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind != ATTCK_KIND_MATRIX || !attck_obj_active(o)) {
            continue;
        }

        if (attck_domain_bit(o->id)) {
            m->matrix[attck_domain_index(attck_domain_bit(o->id))] =
                (uint32_t) i;
        }
    }

    return attck_model_tactics(m, err, errlen);
}


void
attck_model_free(attck_model_t *m)
{
    size_t  i;

    for (i = 0; i < m->objs.n; i++) {
        attck_vec_free(&attck_model_obj(m, i)->rels);
    }

    attck_vec_free(&m->objs);
    attck_vec_free(&m->rels);
    json_decref(m->by_stix);
}
