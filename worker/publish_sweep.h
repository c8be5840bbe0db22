
/*
 * attck-worker publish: removing from Redis what neither the new nor the
 * previous generation uses.
 */

#ifndef _ATTCK_PUBLISH_SWEEP_H_INCLUDED_
#define _ATTCK_PUBLISH_SWEEP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>


/* what publishes that did not switch wrote (attck:unpublished) */
typedef struct {
    uint8_t                 *names;      /* 16 bytes each */
    size_t                   n;
    char                    *snapshots;  /* SHA-256 hex, space-separated */
} attck_publish_left_t;


/* the documents' names: 16 bytes each, sorted with this */
int attck_publish_name_cmp(const void *a, const void *b);
int attck_publish_named(const uint8_t *names, size_t n,
    const uint8_t *name);

/*
 * After generation gen (snapshot sha, documents names[n]) became current
 * over prev_gen (prev_sha, prev[nprev]): the documents prev names and
 * gen does not are recorded (attck:retired), to be removed by the next
 * publish; those the record of prev_gen names and gen does not are
 * removed now, with the snapshot before prev_sha.  That costs what
 * changed.  With everything set (a publish that read every threat), or
 * without a record of prev_gen, every key is scanned instead, which also
 * finds what a publish that died half-way left.
 */
void attck_publish_sweep(redisContext *c, const char *gen,
    const char *prev_gen, const char *sha, const char *prev_sha,
    const uint8_t *names, size_t n, const uint8_t *prev, size_t nprev,
    int everything, const attck_publish_left_t *left);

/*
 * Before a publish writes its snapshot sha and its new documents
 * fresh[nfresh]: they are added to attck:unpublished, the record of what
 * runs not yet switched wrote, and *left is what was there (runs that
 * died before their switch), for the sweep after the switch to remove.
 * 0, or -1 with err.
 */
int attck_publish_unpublished(redisContext *c, const char *sha,
    const uint8_t *fresh, size_t nfresh, attck_publish_left_t *left,
    char *err, size_t errlen);
void attck_publish_left_free(attck_publish_left_t *left);


#endif /* _ATTCK_PUBLISH_SWEEP_H_INCLUDED_ */
