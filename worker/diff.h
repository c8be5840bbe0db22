
/*
 * attck-worker: the changelog between two releases of one ATT&CK domain,
 * in the sections of mitreattack-python's diff_stix (README: "Changes
 * between releases" has the exact definitions).
 */

#ifndef _ATTCK_DIFF_H_INCLUDED_
#define _ATTCK_DIFF_H_INCLUDED_


#include <jansson.h>

#include "model.h"


#define ATTCK_DIFF_NTYPES     10
#define ATTCK_DIFF_NSECTIONS  8


/* the sections, indexes into attck_diff_sections */
enum {
    ATTCK_DIFF_ADD = 0,
    ATTCK_DIFF_MAJOR,
    ATTCK_DIFF_MINOR,
    ATTCK_DIFF_OTHER,
    ATTCK_DIFF_PATCH,
    ATTCK_DIFF_REVOKED,
    ATTCK_DIFF_DEPRECATED,
    ATTCK_DIFF_DELETED
};


/* "technique", "tactic", ... in the changelog's order */
extern const char    *attck_diff_types[ATTCK_DIFF_NTYPES];
extern attck_kind_t   attck_diff_kinds[ATTCK_DIFF_NTYPES];

/* "additions", "major_version_changes", ... in the changelog's order */
extern const char    *attck_diff_sections[ATTCK_DIFF_NSECTIONS];
extern const char    *attck_diff_titles[ATTCK_DIFF_NSECTIONS];


/*
 * The changelog of one domain from the release of model a to that of
 * model b, both built of that domain's bundle alone:
 *
 *   {"domain":"enterprise-attack","from":"16.1","to":"18.1",
 *    "counts":{"technique":{"additions":36,...},...},
 *    "changes":{"technique":{"additions":[entry,...],...},...}}
 *
 * Every type and section is present, entries sorted by ATT&CK id.
 */
json_t *attck_diff_build(attck_model_t *a, attck_model_t *b,
    const char *domain);

/* the type's index for a name ("technique"), -1 if none */
int attck_diff_type(const char *name, size_t len);
int attck_diff_section(const char *name, size_t len);

/*
 * The changelog cut to one type and/or one section (-1: all), counts
 * included; a new reference.
 */
json_t *attck_diff_slice(json_t *diff, int type, int section);

/*
 * The state of every technique of a model, for what points at them by
 * key ("TA0005.T1562.001"):
 *   {"T1562.001":{"status":"active","tactics":["TA0005"]},
 *    "T1086":{"status":"revoked","revoked_by":"T1059.001",
 *             "tactics":["TA0002"]},...}
 * where tactics are the replacement's for a revoked one.
 */
json_t *attck_diff_technique_status(attck_model_t *m);


#endif /* _ATTCK_DIFF_H_INCLUDED_ */
