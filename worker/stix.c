
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


/* the release names a view and goes into URLs: it must be plain */

int
attck_stix_release_ok(const char *version)
{
    size_t  len;

    len = strlen(version);

    return len > 0 && len <= 32
           && strspn(version, "0123456789abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-") == len;
}


int
attck_bundle_load(attck_bundle_t *b, const char *source, const char *data,
    size_t len, char *err, size_t errlen)
{
    size_t        i;
    json_t       *obj, *collection, *matrix;
    const char   *type, *domain;
    json_error_t  je;

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

    json_array_foreach(b->objects, i, obj) {
        type = attck_json_str(obj, "type");

        if (type == NULL || attck_json_str(obj, "id") == NULL) {
            snprintf(err, errlen, "%s: object %zu has no \"type\" or \"id\"",
                     source, i);
            goto failed;
        }

        if (strcmp(type, "x-mitre-collection") == 0 && collection == NULL) {
            collection = obj;

        } else if (strcmp(type, "x-mitre-matrix") == 0
                   && !attck_json_true(obj, "x_mitre_deprecated")
                   && !attck_json_true(obj, "revoked"))
        {
            matrix = obj;
        }
    }

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
}
