
/*
 * attck-worker: the changelog between two releases of one domain.
 *
 * Objects are matched by STIX id, as ATT&CK keeps an object's STIX id
 * across releases (its ATT&CK id may move, a sub-technique's with its
 * parent).  The section of a matched object follows ATT&CK's versioning
 * rules for x_mitre_version: a major change resets the minor number
 * (1.3 -> 2.0), a minor change adds one to it (1.0 -> 1.1); anything else
 * (1.0 -> 1.3, 2.1 -> 1.0, a version that appears or goes) is an "other"
 * version change, and a change without a new version is a patch.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "util.h"


const char  *attck_diff_types[ATTCK_DIFF_NTYPES] = {
    "technique", "tactic", "group", "software", "mitigation", "campaign",
    "data-component", "detection-strategy", "analytic", "asset"
};

attck_kind_t  attck_diff_kinds[ATTCK_DIFF_NTYPES] = {
    ATTCK_KIND_TECHNIQUE, ATTCK_KIND_TACTIC, ATTCK_KIND_GROUP,
    ATTCK_KIND_SOFTWARE, ATTCK_KIND_MITIGATION, ATTCK_KIND_CAMPAIGN,
    ATTCK_KIND_DATACOMP, ATTCK_KIND_DETECTION, ATTCK_KIND_ANALYTIC,
    ATTCK_KIND_ASSET
};

const char  *attck_diff_sections[ATTCK_DIFF_NSECTIONS] = {
    "additions", "major_version_changes", "minor_version_changes",
    "other_version_changes", "patches", "revocations", "deprecations",
    "deletions"
};

const char  *attck_diff_titles[ATTCK_DIFF_NSECTIONS] = {
    "Additions", "Major version changes", "Minor version changes",
    "Other version changes", "Patches", "Revocations", "Deprecations",
    "Deletions"
};


/* a relationship seen from its target */
static const char  *attck_diff_passive[][2] = {
    { "uses", "used_by" },
    { "mitigates", "mitigated_by" },
    { "detects", "detected_by" },
    { "attributed-to", "attributed_by" },
    { "targets", "targeted_by" },
    { NULL, NULL }
};




static int attck_diff_kind_index(attck_kind_t kind);
static int attck_diff_version(const char *v, long *major, long *minor);
static int attck_diff_class(attck_obj_t *x, attck_obj_t *y);
static int attck_diff_str_eq(const char *x, const char *y);
static json_t *attck_diff_ref(attck_model_t *m, uint32_t i);
static json_t *attck_diff_tactics(attck_model_t *m, attck_obj_t *o);
static json_t *attck_diff_platforms(attck_obj_t *o);
static json_t *attck_diff_rels(attck_model_t *m, uint32_t i);
static int attck_diff_set_changes(json_t *old, json_t *new, json_t **added,
    json_t **removed);
static json_t *attck_diff_fields(attck_model_t *a, uint32_t ia,
    attck_model_t *b, uint32_t ib, json_t *entry);
static json_t *attck_diff_entry(attck_obj_t *o, attck_obj_t *old,
    attck_obj_t *new);
static void attck_diff_add(json_t *changes, attck_obj_t *o, int section,
    json_t *entry);
static int attck_diff_entry_cmp(const void *x, const void *y);
static json_t *attck_diff_sorted(json_t *list);


static int
attck_diff_kind_index(attck_kind_t kind)
{
    int  t;

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        if (attck_diff_kinds[t] == kind) {
            return t;
        }
    }

    return -1;
}


int
attck_diff_type(const char *name, size_t len)
{
    int  t;

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        if (strlen(attck_diff_types[t]) == len
            && strncmp(attck_diff_types[t], name, len) == 0)
        {
            return t;
        }
    }

    return -1;
}


int
attck_diff_section(const char *name, size_t len)
{
    int  s;

    for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
        if (strlen(attck_diff_sections[s]) == len
            && strncmp(attck_diff_sections[s], name, len) == 0)
        {
            return s;
        }
    }

    return -1;
}


/* "2.1" -> 2, 1; 0 when v is no such version */

static int
attck_diff_version(const char *v, long *major, long *minor)
{
    char  *end;

    if (v == NULL || *v < '0' || *v > '9') {
        return 0;
    }

    *major = strtol(v, &end, 10);
    *minor = 0;

    if (*end == '.') {
        if (end[1] < '0' || end[1] > '9') {
            return 0;
        }

        *minor = strtol(end + 1, &end, 10);
    }

    return *end == '\0';
}


static int
attck_diff_str_eq(const char *x, const char *y)
{
    return strcmp(x ? x : "", y ? y : "") == 0;
}


/* the section of an object in both releases, -1 when it did not change */

static int
attck_diff_class(attck_obj_t *x, attck_obj_t *y)
{
    long         xa, xi, ya, yi;
    const char  *xv, *yv;

    if (y->revoked && !x->revoked) {
        return ATTCK_DIFF_REVOKED;
    }

    if (y->deprecated && !x->deprecated && !y->revoked) {
        return ATTCK_DIFF_DEPRECATED;
    }

    /* still revoked or deprecated: nothing of ours points there anew */

    if (!attck_obj_active(y)) {
        return -1;
    }

    xv = attck_json_str(x->stix, "x_mitre_version");
    yv = attck_json_str(y->stix, "x_mitre_version");

    if (attck_diff_str_eq(xv, yv)) {
        return ATTCK_DIFF_PATCH;
    }

    if (!attck_diff_version(xv, &xa, &xi)
        || !attck_diff_version(yv, &ya, &yi))
    {
        return ATTCK_DIFF_OTHER;
    }

    if (ya == xa + 1 && yi == 0) {
        return ATTCK_DIFF_MAJOR;
    }

    if (ya == xa && yi == xi + 1) {
        return ATTCK_DIFF_MINOR;
    }

    return ATTCK_DIFF_OTHER;
}


/* {"id":"T1059.001","name":"PowerShell"} */

static json_t *
attck_diff_ref(attck_model_t *m, uint32_t i)
{
    attck_obj_t  *o;

    if (i == ATTCK_NONE) {
        return json_null();
    }

    o = attck_model_obj(m, i);

    return json_pack("{s:s?, s:s?}", "id", o->id, "name", o->name);
}


/* a technique's tactics as ATT&CK ids, in matrix order */

static json_t *
attck_diff_tactics(attck_model_t *m, attck_obj_t *o)
{
    uint32_t      t;
    json_t       *a;
    attck_obj_t  *ta;

    a = json_array();

    for (t = 0; t < m->ntactics; t++) {
        if (o->tactics & ((uint64_t) 1 << t)) {
            ta = attck_model_obj(m, m->tactics[t]);

            if (ta->id) {
                json_array_append_new(a, json_string(ta->id));
            }
        }
    }

    return a;
}


static json_t *
attck_diff_platforms(attck_obj_t *o)
{
    size_t   k;
    json_t  *a, *p;

    a = json_array();

    json_array_foreach(json_object_get(o->stix, "x_mitre_platforms"), k, p) {
        if (json_is_string(p)) {
            json_array_append(a, p);
        }
    }

    return a;
}


/*
 * An object's relationships to other objects with an ATT&CK id, by
 * category: "uses" (it uses them), "used_by" (they use it), "mitigated_by",
 * "detected_by", ...; each a sorted array of ids.
 */

static json_t *
attck_diff_rels(attck_model_t *m, uint32_t i)
{
    char          cat[64];
    size_t        k, n, len;
    json_t       *cats, *set, *v, *out;
    uint32_t      other;
    const char   *key, *type;
    attck_obj_t  *o, *oo;
    attck_rel_t  *r;

    o = attck_model_obj(m, i);
    cats = json_object();

    for (k = 0; k < o->rels.n; k++) {
        r = attck_model_rel(m, *attck_vec_at(&o->rels, uint32_t, k));
        type = r->type;

        if (strcmp(type, "subtechnique-of") == 0
            || strcmp(type, "revoked-by") == 0)
        {
            continue;
        }

        other = (r->src == i) ? r->dst : r->src;
        oo = attck_model_obj(m, other);

        if (oo->id == NULL || other == i) {
            continue;
        }

        if (r->src == i) {
            snprintf(cat, sizeof(cat), "%.60s", type);

        } else {
            /* "uses" -> "used_by", "mitigates" -> "mitigated_by" */

            for (n = 0; attck_diff_passive[n][0]; n++) {
                if (strcmp(type, attck_diff_passive[n][0]) == 0) {
                    break;
                }
            }

            snprintf(cat, sizeof(cat), "%.40s%s",
                     attck_diff_passive[n][0] ? attck_diff_passive[n][1]
                                              : type,
                     attck_diff_passive[n][0] ? "" : "_by");
        }

        for (len = 0; cat[len]; len++) {
            if (cat[len] == '-') {
                cat[len] = '_';
            }
        }

        set = json_object_get(cats, cat);

        if (set == NULL) {
            set = json_object();
            json_object_set_new(cats, cat, set);
        }

        json_object_set_new(set, oo->id, json_true());
    }

    /* the sets as sorted arrays */

    out = json_object();

    json_object_foreach(cats, key, set) {
        const char  **ids;
        const char   *id;

        n = 0;
        ids = attck_xcalloc(json_object_size(set) + 1, sizeof(char *));

        json_object_foreach(set, id, v) {
            ids[n++] = id;
        }

        qsort(ids, n, sizeof(char *), attck_diff_entry_cmp);

        v = json_array();

        for (k = 0; k < n; k++) {
            json_array_append_new(v, json_string(ids[k]));
        }

        free(ids);
        json_object_set_new(out, key, v);
    }

    json_decref(cats);

    return out;
}


/* what is in new and not in old, and the reverse; 1 if either is not empty */

static int
attck_diff_set_changes(json_t *old, json_t *new, json_t **added,
    json_t **removed)
{
    size_t   i, j;
    json_t  *x, *y;

    *added = json_array();
    *removed = json_array();

    json_array_foreach(new, i, x) {
        json_array_foreach(old, j, y) {
            if (json_equal(x, y)) {
                break;
            }
        }

        if (j == json_array_size(old)) {
            json_array_append(*added, x);
        }
    }

    json_array_foreach(old, i, x) {
        json_array_foreach(new, j, y) {
            if (json_equal(x, y)) {
                break;
            }
        }

        if (j == json_array_size(new)) {
            json_array_append(*removed, x);
        }
    }

    return json_array_size(*added) || json_array_size(*removed);
}


/*
 * The fields of an object that changed from release a to b, added to the
 * entry; returns the list of their names.
 */

static json_t *
attck_diff_fields(attck_model_t *a, uint32_t ia, attck_model_t *b,
    uint32_t ib, json_t *entry)
{
    json_t       *changed, *x, *y, *added, *removed, *rels, *ra, *rb;
    const char   *key, *px, *py;
    attck_obj_t  *oa, *ob;

    oa = attck_model_obj(a, ia);
    ob = attck_model_obj(b, ib);
    changed = json_array();

    if (!attck_diff_str_eq(oa->name, ob->name)) {
        json_array_append_new(changed, json_string("name"));
        json_object_set_new(entry, "old_name", json_string(oa->name));
    }

    if (!attck_diff_str_eq(attck_json_str(oa->stix, "description"),
                           attck_json_str(ob->stix, "description")))
    {
        json_array_append_new(changed, json_string("description"));
    }

    if (ob->kind == ATTCK_KIND_TECHNIQUE) {
        x = attck_diff_tactics(a, oa);
        y = attck_diff_tactics(b, ob);

        if (attck_diff_set_changes(x, y, &added, &removed)) {
            json_array_append_new(changed, json_string("tactics"));
            json_object_set_new(entry, "tactics",
                                json_pack("{s:o, s:o, s:o, s:o}",
                                          "old", x, "new", y,
                                          "added", added,
                                          "removed", removed));
        } else {
            json_decref(x);
            json_decref(y);
            json_decref(added);
            json_decref(removed);
        }

        x = attck_diff_platforms(oa);
        y = attck_diff_platforms(ob);

        if (attck_diff_set_changes(x, y, &added, &removed)) {
            json_array_append_new(changed, json_string("platforms"));
            json_object_set_new(entry, "platforms",
                                json_pack("{s:o, s:o}", "added", added,
                                          "removed", removed));
        } else {
            json_decref(added);
            json_decref(removed);
        }

        json_decref(x);
        json_decref(y);

        px = oa->parent != ATTCK_NONE ? attck_model_obj(a, oa->parent)->id
                                      : NULL;
        py = ob->parent != ATTCK_NONE ? attck_model_obj(b, ob->parent)->id
                                      : NULL;

        if (!attck_diff_str_eq(px, py)) {
            json_array_append_new(changed, json_string("parent"));
            json_object_set_new(entry, "parent",
                                json_pack("{s:s?, s:s?}", "old", px,
                                          "new", py));
        }
    }

    ra = attck_diff_rels(a, ia);
    rb = attck_diff_rels(b, ib);
    rels = json_object();

    /* every category in either release */

    json_object_foreach(rb, key, y) {
        x = json_object_get(ra, key);

        if (attck_diff_set_changes(x, y, &added, &removed)) {
            json_object_set_new(rels, key, json_pack("{s:o, s:o}",
                                "added", added, "removed", removed));
        } else {
            json_decref(added);
            json_decref(removed);
        }
    }

    json_object_foreach(ra, key, x) {
        if (json_object_get(rb, key)) {
            continue;
        }

        json_object_set_new(rels, key, json_pack("{s:[], s:O}",
                            "added", "removed", x));
    }

    /* detection: the text of old, or what detects it (v18: strategies) */

    if (!attck_diff_str_eq(attck_json_str(oa->stix, "x_mitre_detection"),
                           attck_json_str(ob->stix, "x_mitre_detection"))
        || json_object_get(rels, "detected_by"))
    {
        json_array_append_new(changed, json_string("detection"));
    }

    if (json_object_size(rels)) {
        json_array_append_new(changed, json_string("relationships"));
        json_object_set(entry, "relationships", rels);
    }

    json_decref(rels);
    json_decref(ra);
    json_decref(rb);

    return changed;
}


static json_t *
attck_diff_entry(attck_obj_t *o, attck_obj_t *old, attck_obj_t *new)
{
    json_t      *e;
    const char  *v;

    e = json_pack("{s:s, s:s?}", "id", o->id, "name", o->name);

    if (o->kind == ATTCK_KIND_TECHNIQUE) {
        json_object_set_new(e, "subtechnique", json_boolean(o->sub));
    }

    v = old ? attck_json_str(old->stix, "x_mitre_version") : NULL;
    json_object_set_new(e, "old_version", v ? json_string(v) : json_null());

    v = new ? attck_json_str(new->stix, "x_mitre_version") : NULL;
    json_object_set_new(e, "new_version", v ? json_string(v) : json_null());

    return e;
}


static void
attck_diff_add(json_t *changes, attck_obj_t *o, int section, json_t *entry)
{
    json_t  *list;

    list = json_object_get(json_object_get(changes,
                           attck_diff_types[attck_diff_kind_index(o->kind)]),
                           attck_diff_sections[section]);

    json_array_append_new(list, entry);
}


static int
attck_diff_entry_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *) x, *(const char *const *) y);
}


/* the entries of a section sorted by ATT&CK id (qsort on the ids) */

static json_t *
attck_diff_sorted(json_t *list)
{
    size_t        i, n;
    json_t       *out, *e, *index;
    const char  **ids;
    char          key[64];

    n = json_array_size(list);
    ids = attck_xcalloc(n + 1, sizeof(char *));
    index = json_object();

    /* ids are unique within a section but for a revoked namesake: keyed */

    for (i = 0; i < n; i++) {
        e = json_array_get(list, i);
        snprintf(key, sizeof(key), "%s\t%08zu",
                 json_string_value(json_object_get(e, "id")), i);
        json_object_set(index, key, e);
    }

    i = 0;

    {
        const char  *k;

        json_object_foreach(index, k, e) {
            ids[i++] = k;
        }
    }

    qsort(ids, n, sizeof(char *), attck_diff_entry_cmp);

    out = json_array();

    for (i = 0; i < n; i++) {
        json_array_append(out, json_object_get(index, ids[i]));
    }

    free(ids);
    json_decref(index);

    return out;
}


json_t *
attck_diff_build(attck_model_t *a, attck_model_t *b, const char *domain)
{
    int           t, s, section;
    size_t        i;
    json_t       *diff, *changes, *counts, *sections, *cs, *entry;
    uint32_t      j;
    attck_obj_t  *oa, *ob;

    changes = json_object();
    counts = json_object();

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        sections = json_object();

        for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
            json_object_set_new(sections, attck_diff_sections[s],
                                json_array());
        }

        json_object_set_new(changes, attck_diff_types[t], sections);
    }

    /* what the newer release holds: added, changed, revoked, deprecated */

    for (i = 0; i < b->objs.n; i++) {
        ob = attck_model_obj(b, i);

        if (ob->id == NULL || attck_diff_kind_index(ob->kind) < 0) {
            continue;
        }

        j = attck_model_find(a, attck_json_str(ob->stix, "id"));

        if (j == ATTCK_NONE) {
            if (attck_obj_active(ob)) {
                attck_diff_add(changes, ob, ATTCK_DIFF_ADD,
                               attck_diff_entry(ob, NULL, ob));
            }

            continue;
        }

        oa = attck_model_obj(a, j);
        section = attck_diff_class(oa, ob);

        if (section < 0) {
            continue;
        }

        entry = attck_diff_entry(ob, oa, ob);

        if (section == ATTCK_DIFF_REVOKED) {
            json_object_set_new(entry, "revoked_by",
                                attck_diff_ref(b, ob->revoked_by));

            if (ob->revoked_by != ATTCK_NONE
                && ob->kind == ATTCK_KIND_TECHNIQUE)
            {
                json_object_set_new(json_object_get(entry, "revoked_by"),
                                    "tactics",
                                    attck_diff_tactics(b,
                                        attck_model_obj(b, ob->revoked_by)));
            }

        } else if (section != ATTCK_DIFF_DEPRECATED) {
            json_object_set_new(entry, "changed",
                                attck_diff_fields(a, j, b, (uint32_t) i,
                                                  entry));

            /* same version, same object: nothing happened to it */

            if (section == ATTCK_DIFF_PATCH
                && attck_diff_str_eq(oa->modified, ob->modified)
                && json_array_size(json_object_get(entry, "changed")) == 0)
            {
                json_decref(entry);
                continue;
            }
        }

        attck_diff_add(changes, ob, section, entry);
    }

    /* what only the older release holds */

    for (i = 0; i < a->objs.n; i++) {
        oa = attck_model_obj(a, i);

        if (oa->id == NULL || attck_diff_kind_index(oa->kind) < 0
            || attck_model_find(b, attck_json_str(oa->stix, "id"))
               != ATTCK_NONE)
        {
            continue;
        }

        attck_diff_add(changes, oa, ATTCK_DIFF_DELETED,
                       attck_diff_entry(oa, oa, NULL));
    }

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        sections = json_object_get(changes, attck_diff_types[t]);
        cs = json_object();

        for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
            entry = attck_diff_sorted(json_object_get(sections,
                                                   attck_diff_sections[s]));
            json_object_set_new(cs, attck_diff_sections[s],
                                json_integer((json_int_t)
                                             json_array_size(entry)));
            json_object_set_new(sections, attck_diff_sections[s], entry);
        }

        json_object_set_new(counts, attck_diff_types[t], cs);
    }

    diff = json_pack("{s:s, s:s, s:s, s:o, s:o}",
                     "domain", domain,
                     "from", a->name,
                     "to", b->name,
                     "counts", counts,
                     "changes", changes);

    return diff;
}


json_t *
attck_diff_slice(json_t *diff, int type, int section)
{
    int      t, s;
    json_t  *out, *changes, *counts, *sc, *cc, *from;

    changes = json_object();
    counts = json_object();

    for (t = 0; t < ATTCK_DIFF_NTYPES; t++) {
        if (type >= 0 && t != type) {
            continue;
        }

        from = json_object_get(json_object_get(diff, "changes"),
                               attck_diff_types[t]);
        sc = json_object();
        cc = json_object();

        for (s = 0; s < ATTCK_DIFF_NSECTIONS; s++) {
            if (section >= 0 && s != section) {
                continue;
            }

            json_object_set(sc, attck_diff_sections[s],
                            json_object_get(from, attck_diff_sections[s]));
            json_object_set_new(cc, attck_diff_sections[s],
                                json_integer((json_int_t) json_array_size(
                                    json_object_get(from,
                                                attck_diff_sections[s]))));
        }

        json_object_set_new(changes, attck_diff_types[t], sc);
        json_object_set_new(counts, attck_diff_types[t], cc);
    }

    out = json_pack("{s:O, s:O, s:O, s:o, s:o}",
                    "domain", json_object_get(diff, "domain"),
                    "from", json_object_get(diff, "from"),
                    "to", json_object_get(diff, "to"),
                    "counts", counts,
                    "changes", changes);

    return out;
}


json_t *
attck_diff_technique_status(attck_model_t *m)
{
    size_t        i;
    json_t       *all, *st, *prev;
    attck_obj_t  *o, *by;

    all = json_object();

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind != ATTCK_KIND_TECHNIQUE || o->id == NULL) {
            continue;
        }

        /* an id held by a revoked object and an active one: the active */

        prev = json_object_get(all, o->id);

        if (prev && !attck_obj_active(o)) {
            continue;
        }

        if (o->revoked) {
            by = o->revoked_by != ATTCK_NONE
                 ? attck_model_obj(m, o->revoked_by) : NULL;

            st = json_pack("{s:s, s:s?, s:o}", "status", "revoked",
                           "revoked_by", by ? by->id : NULL,
                           "tactics", by ? attck_diff_tactics(m, by)
                                         : json_array());

        } else {
            st = json_pack("{s:s, s:o}", "status",
                           o->deprecated ? "deprecated" : "active",
                           "tactics", attck_diff_tactics(m, o));
        }

        json_object_set_new(all, o->id, st);
    }

    return all;
}
