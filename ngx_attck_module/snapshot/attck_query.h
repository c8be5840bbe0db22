
/*
 * Queries over one snapshot view that cannot be pre-rendered: filtered
 * technique lists and ranked search.  The caller owns all memory, so the
 * module can hand in request-pool scratch and never allocate here.
 */

#ifndef _ATTCK_QUERY_H_INCLUDED_
#define _ATTCK_QUERY_H_INCLUDED_


#include "attck_snapshot.h"


#define ATTCK_QUERY_MAX_TERMS    32
#define ATTCK_QUERY_MAX_PREFIX   64    /* terms one prefix may expand to */


typedef struct {
    uint64_t  tactics;           /* 0: any */
    uint64_t  platforms;         /* 0: any */
    uint32_t  domains;           /* 0: any */
    int       subtechniques;     /* include sub-techniques */
    int       include_revoked;   /* include revoked and deprecated */
} attck_tech_filter_t;


typedef struct {
    uint32_t  doc;
    float     score;
} attck_hit_t;


/* "enterprise", "enterprise-attack", ... -> ATTCK_DOMAIN_*, or 0 */
uint32_t attck_query_domain(const char *s, size_t len);
/* a domain's short name ("enterprise", "mobile", "ics"); NULL if unknown */
const char *attck_query_domain_name(uint32_t domain);

/* tactic by ATT&CK id or shortname, any case: a bit mask, 0 if unknown */
uint64_t attck_query_tactic(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *s, size_t len);

/* platform by name, any case: a bit mask, 0 if unknown */
uint64_t attck_query_platform(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *s, size_t len);

/*
 * Writes the doc indexes of matching techniques [offset, offset + limit)
 * into out, in id order; returns the total number that match.
 */
uint32_t attck_query_techniques(const attck_snap_t *snap,
    const attck_snap_view_t *v, const attck_tech_filter_t *f,
    uint32_t offset, uint32_t limit, uint32_t *out, uint32_t *nout);

/*
 * Ranked search.  scores, touched and seen are scratch of v->ndocs
 * elements, scores and seen zeroed by the caller.  Returns the number of
 * hits written (at most max), best first; *total gets the number of
 * matching docs.
 */
uint32_t attck_query_search(const attck_snap_t *snap,
    const attck_snap_view_t *v, const char *q, size_t qlen,
    float *scores, uint32_t *touched, uint8_t *seen, attck_hit_t *hits,
    uint32_t max, uint32_t *total);


#endif /* _ATTCK_QUERY_H_INCLUDED_ */
