
/*
 * attck-worker: STIX 2.1 bundles of ATT&CK, loaded and checked.
 */


#include <stdio.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "stix.h"
#include "util.h"


/* indexed by a domain's bit position */
static const char  *attck_domain_names[] = {
    "enterprise-attack", "mobile-attack", "ics-attack"
};


/*
 * The fields of STIX objects that the compiler (model.c, compile.c,
 * render*.c, index.c) reads, with the type it reads each as.  A field of
 * another type is refused, not read as absent: a number where a name
 * should be is a broken bundle, not a nameless object.  Required are the
 * fields the compiler cannot do without; the rest it does without.
 */

typedef enum {
    ATTCK_STIX_STRING = 0,
    ATTCK_STIX_BOOLEAN,
    ATTCK_STIX_STRINGS,              /* an array of strings */
    ATTCK_STIX_OBJECTS               /* an array of objects */
} attck_stix_is_t;


typedef struct {
    const char       *type;          /* the objects it is of, NULL: all */
    const char       *field;
    attck_stix_is_t   is;
    unsigned          required;
} attck_stix_field_t;


static const attck_stix_field_t  attck_stix_fields[] = {
    { NULL, "name", ATTCK_STIX_STRING, 0 },
    { NULL, "description", ATTCK_STIX_STRING, 0 },
    { NULL, "modified", ATTCK_STIX_STRING, 0 },
    { NULL, "revoked", ATTCK_STIX_BOOLEAN, 0 },
    { NULL, "x_mitre_deprecated", ATTCK_STIX_BOOLEAN, 0 },
    { NULL, "x_mitre_domains", ATTCK_STIX_STRINGS, 0 },
    { NULL, "x_mitre_platforms", ATTCK_STIX_STRINGS, 0 },
    { NULL, "aliases", ATTCK_STIX_STRINGS, 0 },
    { NULL, "x_mitre_aliases", ATTCK_STIX_STRINGS, 0 },
    { NULL, "external_references", ATTCK_STIX_OBJECTS, 0 },
    { "attack-pattern", "x_mitre_is_subtechnique", ATTCK_STIX_BOOLEAN, 0 },
    { "attack-pattern", "kill_chain_phases", ATTCK_STIX_OBJECTS, 0 },
    { "x-mitre-tactic", "x_mitre_shortname", ATTCK_STIX_STRING, 1 },
    { "x-mitre-matrix", "tactic_refs", ATTCK_STIX_STRINGS, 0 },
    { "x-mitre-detection-strategy", "x_mitre_analytic_refs",
      ATTCK_STIX_STRINGS, 0 },
    { "x-mitre-analytic", "x_mitre_log_source_references",
      ATTCK_STIX_OBJECTS, 0 },
    { "x-mitre-collection", "x_mitre_version", ATTCK_STIX_STRING, 0 },
    { "relationship", "relationship_type", ATTCK_STIX_STRING, 1 },
    { "relationship", "source_ref", ATTCK_STIX_STRING, 1 },
    { "relationship", "target_ref", ATTCK_STIX_STRING, 1 },
    { NULL, NULL, 0, 0 }
};

/* the fields of the objects in those arrays: type names the array */

static const attck_stix_field_t  attck_stix_item_fields[] = {
    { "external_references", "source_name", ATTCK_STIX_STRING, 0 },
    { "external_references", "external_id", ATTCK_STIX_STRING, 0 },
    { "external_references", "url", ATTCK_STIX_STRING, 0 },
    { "kill_chain_phases", "kill_chain_name", ATTCK_STIX_STRING, 1 },
    { "kill_chain_phases", "phase_name", ATTCK_STIX_STRING, 1 },
    { "x_mitre_log_source_references", "x_mitre_data_component_ref",
      ATTCK_STIX_STRING, 0 },
    { NULL, NULL, 0, 0 }
};


int
attck_domain_index(unsigned bit)
{
    return bit == ATTCK_DOMAIN_ENTERPRISE ? 0
           : bit == ATTCK_DOMAIN_MOBILE ? 1 : 2;
}


const char *
attck_domain_name(unsigned bit)
{
    return attck_domain_names[attck_domain_index(bit)];
}


unsigned
attck_domain_bit(const char *name)
{
    int  d;

    for (d = 0; name && d < 3; d++) {
        if (strcmp(name, attck_domain_names[d]) == 0) {
            return 1u << d;
        }
    }

    return 0;
}


const char *
attck_json_str(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}


int
attck_json_true(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}


const char *
attck_stix_attack_id(json_t *obj, const char **url)
{
    size_t       i;
    json_t      *refs, *ref;
    const char  *source;

    refs = json_object_get(obj, "external_references");

    json_array_foreach(refs, i, ref) {
        source = attck_json_str(ref, "source_name");

        if (source == NULL
            || (strcmp(source, "mitre-attack") != 0
                && strcmp(source, "mitre-mobile-attack") != 0
                && strcmp(source, "mitre-ics-attack") != 0))
        {
            continue;
        }

        if (url) {
            *url = attck_json_str(ref, "url");
        }

        return attck_json_str(ref, "external_id");
    }

    if (url) {
        *url = NULL;
    }

    return NULL;
}


/*
 * A release names a view and an ATT&CK id addresses a document: both go
 * into URLs, keys and HTML attributes, so they must be plain.
 */

static int
attck_stix_plain(const char *s)
{
    size_t  len;

    len = strlen(s);

    return len > 0 && len <= 32
           && strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-") == len;
}


int
attck_stix_release_ok(const char *version)
{
    return attck_stix_plain(version);
}


void
attck_stix_check_init(attck_stix_check_t *c)
{
    c->platforms = json_object();
}


void
attck_stix_check_free(attck_stix_check_t *c)
{
    json_decref(c->platforms);
    c->platforms = NULL;
}


/* NULL if v is what is wanted, else what is wrong with it */

static const char *
attck_stix_wrong(json_t *v, attck_stix_is_t is)
{
    size_t   i;
    json_t  *e;

    switch (is) {

    case ATTCK_STIX_STRING:
        return json_is_string(v) ? NULL : "is not a string";

    case ATTCK_STIX_BOOLEAN:
        return json_is_boolean(v) ? NULL : "is not true or false";

    case ATTCK_STIX_STRINGS:
        if (!json_is_array(v)) {
            return "is not an array of strings";
        }

        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                return "is not an array of strings";
            }
        }

        return NULL;

    default: /* ATTCK_STIX_OBJECTS */
        if (!json_is_array(v)) {
            return "is not an array of objects";
        }

        json_array_foreach(v, i, e) {
            if (!json_is_object(e)) {
                return "is not an array of objects";
            }
        }

        return NULL;
    }
}


/* the fields of the objects in the array field of obj */

static int
attck_stix_check_items(json_t *obj, const char *field, const char *id,
    char *err, size_t errlen)
{
    size_t                     i;
    json_t                    *item, *v;
    const char                *wrong;
    const attck_stix_field_t  *f;

    for (f = attck_stix_item_fields; f->field; f++) {
        if (strcmp(f->type, field) != 0) {
            continue;
        }

        json_array_foreach(json_object_get(obj, field), i, item) {
            v = json_object_get(item, f->field);

            if (v == NULL) {
                if (f->required) {
                    snprintf(err, errlen, "%s: no \"%s\" in %s[%zu]", id,
                             f->field, field, i);
                    return -1;
                }

                continue;
            }

            wrong = attck_stix_wrong(v, f->is);

            if (wrong) {
                snprintf(err, errlen, "%s: \"%s\" of %s[%zu] %s", id,
                         f->field, field, i, wrong);
                return -1;
            }
        }
    }

    return 0;
}


int
attck_stix_check_object(attck_stix_check_t *c, json_t *obj, size_t i,
    char *err, size_t errlen)
{
    size_t                     k;
    json_t                    *v, *p;
    const char                *type, *id, *attack_id, *wrong;
    const attck_stix_field_t  *f;

    type = attck_json_str(obj, "type");
    id = attck_json_str(obj, "id");

    if (type == NULL || id == NULL) {
        snprintf(err, errlen, "object %zu has no \"type\" or \"id\"", i);
        return -1;
    }

    for (f = attck_stix_fields; f->field; f++) {
        if (f->type && strcmp(f->type, type) != 0) {
            continue;
        }

        v = json_object_get(obj, f->field);

        if (v == NULL) {
            if (f->required) {
                snprintf(err, errlen, "%s: no \"%s\"", id, f->field);
                return -1;
            }

            continue;
        }

        wrong = attck_stix_wrong(v, f->is);

        if (wrong) {
            snprintf(err, errlen, "%s: \"%s\" %s", id, f->field, wrong);
            return -1;
        }

        if (f->is == ATTCK_STIX_OBJECTS
            && attck_stix_check_items(obj, f->field, id, err, errlen) != 0)
        {
            return -1;
        }
    }

    /*
     * Techniques and tactics are what the API and the mapper address by
     * ATT&CK id: one without is refused.  Other kinds may lack one (the
     * data components of releases before 18 do): they get no address.
     */

    attack_id = attck_stix_attack_id(obj, NULL);

    if (attack_id == NULL
        && (strcmp(type, "attack-pattern") == 0
            || strcmp(type, "x-mitre-tactic") == 0))
    {
        snprintf(err, errlen, "%s: no ATT&CK id (an external_references "
                 "entry from mitre-attack, mitre-mobile-attack or "
                 "mitre-ics-attack with an external_id)", id);
        return -1;
    }

    if (attack_id && !attck_stix_plain(attack_id)) {
        snprintf(err, errlen, "%s: ATT&CK id \"%.40s\" is not plain "
                 "(letters, digits, dots, dashes, at most 32)", id,
                 attack_id);
        return -1;
    }

    /* the snapshot's bit masks: limits of one view, so of one bundle */

    if (strcmp(type, "x-mitre-matrix") == 0
        && json_array_size(json_object_get(obj, "tactic_refs"))
           > ATTCK_SNAP_MAX_TACTICS)
    {
        snprintf(err, errlen, "%s: more than %d tactic_refs", id,
                 ATTCK_SNAP_MAX_TACTICS);
        return -1;
    }

    if (strcmp(type, "attack-pattern") == 0) {
        json_array_foreach(json_object_get(obj, "x_mitre_platforms"), k, p) {
            json_object_set_new(c->platforms, json_string_value(p),
                                json_true());
        }

        if (json_object_size(c->platforms) > ATTCK_SNAP_MAX_PLATFORMS) {
            snprintf(err, errlen, "%s: the techniques name more than %d "
                     "platforms", id, ATTCK_SNAP_MAX_PLATFORMS);
            return -1;
        }
    }

    return 0;
}


int
attck_bundle_load(attck_bundle_t *b, const char *source, const char *data,
    size_t len, char *err, size_t errlen)
{
    char                 msg[512];
    size_t               i;
    json_t              *obj, *collection, *matrix;
    const char          *type, *domain;
    json_error_t         je;
    attck_stix_check_t   check;

    memset(b, 0, sizeof(attck_bundle_t));
    b->source = source;

    b->root = json_loadb(data, len, 0, &je);
    if (b->root == NULL) {
        snprintf(err, errlen, "%s: not valid JSON: %s (line %d, column %d)",
                 source, je.text, je.line, je.column);
        return ATTCK_EXIT_DATAERR;
    }

    type = attck_json_str(b->root, "type");
    b->objects = json_object_get(b->root, "objects");

    if (type == NULL || strcmp(type, "bundle") != 0
        || !json_is_array(b->objects))
    {
        snprintf(err, errlen, "%s: not a STIX bundle (need \"type\": "
                 "\"bundle\" and an \"objects\" array)", source);
        goto failed;
    }

    collection = NULL;
    matrix = NULL;

    attck_stix_check_init(&check);

    json_array_foreach(b->objects, i, obj) {
        if (attck_stix_check_object(&check, obj, i, msg, sizeof(msg)) != 0) {
            snprintf(err, errlen, "%s: %s", source, msg);
            attck_stix_check_free(&check);
            goto failed;
        }

        type = attck_json_str(obj, "type");

        if (strcmp(type, "x-mitre-collection") == 0 && collection == NULL) {
            collection = obj;

        } else if (strcmp(type, "x-mitre-matrix") == 0
                   && !attck_json_true(obj, "x_mitre_deprecated")
                   && !attck_json_true(obj, "revoked"))
        {
            matrix = obj;
        }
    }

    attck_stix_check_free(&check);

    if (collection == NULL || attck_json_str(collection, "x_mitre_version")
                              == NULL)
    {
        snprintf(err, errlen, "%s: no x-mitre-collection with "
                 "x_mitre_version: cannot tell the ATT&CK release", source);
        goto failed;
    }

    if (matrix == NULL) {
        snprintf(err, errlen, "%s: no active x-mitre-matrix: cannot tell "
                 "the ATT&CK domain", source);
        goto failed;
    }

    domain = attck_stix_attack_id(matrix, NULL);
    b->domain_bit = attck_domain_bit(domain);

    if (b->domain_bit == 0) {
        snprintf(err, errlen, "%s: unknown ATT&CK domain \"%s\"", source,
                 domain ? domain : "");
        goto failed;
    }

    b->domain = attck_domain_name(b->domain_bit);
    b->version = attck_json_str(collection, "x_mitre_version");

    if (!attck_stix_release_ok(b->version)) {
        snprintf(err, errlen, "%s: x_mitre_version is not a release number "
                 "(letters, digits, dots, at most 32)", source);
        goto failed;
    }
    b->name = attck_json_str(collection, "name");
    b->modified = attck_json_str(collection, "modified");
    b->collection = collection;
    b->collection_id = attck_json_str(collection, "id");

    return 0;

failed:

    json_decref(b->root);
    b->root = NULL;

    return ATTCK_EXIT_DATAERR;
}


void
attck_bundle_free(attck_bundle_t *b)
{
    json_decref(b->root);
    b->root = NULL;
    free(b->raw);
    b->raw = NULL;
}
