
/*
 * attck-worker: STIX 2.1 bundles of ATT&CK, loaded and checked.
 */

#ifndef _ATTCK_STIX_H_INCLUDED_
#define _ATTCK_STIX_H_INCLUDED_


#include <jansson.h>


typedef struct {
    json_t      *root;
    json_t      *objects;       /* borrowed from root */
    const char  *source;        /* as given on the command line */
    const char  *domain;        /* "enterprise-attack" */
    unsigned     domain_bit;    /* ATTCK_DOMAIN_* */
    const char  *name;          /* "Enterprise ATT&CK" */
    const char  *version;       /* "18.1" */
    const char  *modified;      /* of the collection */

    /* for TAXII (compile_taxii.c) */
    json_t      *collection;    /* the x-mitre-collection, borrowed */
    const char  *collection_id; /* its STIX id */
    char        *raw;           /* the file's bytes where compile kept them */
    size_t       raw_len;
} attck_bundle_t;


/*
 * What the checks of one bundle's objects carry from one object to the
 * next (the platforms seen so far).
 */
typedef struct {
    json_t      *platforms;
} attck_stix_check_t;


/* parses and checks a bundle; returns 0 or ATTCK_EXIT_DATAERR */
int attck_bundle_load(attck_bundle_t *b, const char *source,
    const char *data, size_t len, char *err, size_t errlen);
void attck_bundle_free(attck_bundle_t *b);

/*
 * Checks the i-th object of a bundle: every field the compiler reads has
 * the type it reads it as, and those it cannot do without are there.
 * Returns 0, or -1 with err naming the object (its STIX id) and the field.
 * ingest runs it on every object before it stores any of them.
 */
void attck_stix_check_init(attck_stix_check_t *c);
int attck_stix_check_object(attck_stix_check_t *c, json_t *obj, size_t i,
    char *err, size_t errlen);
void attck_stix_check_free(attck_stix_check_t *c);

/* small accessors that treat a missing or mistyped field as absent */
const char *attck_json_str(json_t *obj, const char *key);
int attck_json_true(json_t *obj, const char *key);

/* ATT&CK domains: "enterprise-attack" <-> ATTCK_DOMAIN_* <-> 0, 1, 2 */
int attck_domain_index(unsigned bit);
const char *attck_domain_name(unsigned bit);
unsigned attck_domain_bit(const char *name);

/* a release number fit to name a view: letters, digits, dots, <= 32 */
int attck_stix_release_ok(const char *version);

/* the ATT&CK id ("T1059.001") and URL from external_references */
const char *attck_stix_attack_id(json_t *obj, const char **url);


#endif /* _ATTCK_STIX_H_INCLUDED_ */
