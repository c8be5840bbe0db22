
/*
 * TAXII 2.1 collections in a snapshot: documents of their own under the
 * key prefix "taxii/", so that the snapshot format itself does not change.
 * Written by attck-worker compile (worker/compile_taxii.c), read by the
 * module (ngx_http_attck_taxii*.c).  No nginx or jansson types.
 *
 * Per view:
 *   "taxii/collections"        the collections resource, JSON
 *   "taxii/collection/ID"      one collection resource, JSON
 *   "taxii/index/ID"           binary: attck_taxii_index_t, then
 *                              attck_taxii_obj_t[n] in date_added order,
 *                              then uint32_t[n], record numbers in id order
 * ID is the collection's id (MITRE's "x-mitre-collection--UUID").
 *
 * An object's bytes are followed by a ',' in the snapshot, so that a run
 * of objects stored one after the other is sent as one buffer.
 */

#ifndef _ATTCK_TAXII_H_INCLUDED_
#define _ATTCK_TAXII_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "attck_snapshot.h"


#define ATTCK_TAXII_MAGIC      0x31495854      /* "TXI1" */
#define ATTCK_TAXII_MAX_TIME   64


typedef struct {
    uint32_t          magic;
    uint32_t          n;
    uint64_t          hash;      /* of the content: names next tokens */
} attck_taxii_index_t;


typedef struct {
    int64_t           added;     /* date_added, microseconds since 1970 */
    int64_t           version;   /* modified, else created, microseconds */
    attck_snap_str_t  object;    /* the object's bytes, as in its bundle */
    attck_snap_str_t  id;
    attck_snap_str_t  ver;       /* the version's text, as in the object */
    uint32_t          type_len;  /* of the id's "type" before "--" */
    uint32_t          spec;      /* 20 or 21: spec_version 2.0 or 2.1 */
} attck_taxii_obj_t;


/*
 * RFC 3339 date-time, strictly: "2025-11-13T14:00:00.188Z", with 1 to 9
 * digits of fraction or none, "Z" or "+hh:mm"/"-hh:mm".  Microseconds
 * since 1970 (fractions below truncated), or 0 with -1 returned.
 */
int attck_taxii_time(const char *s, size_t len, int64_t *us);

/* "2025-11-13T14:00:00.188Z" (milliseconds, or microseconds if any);
 * buf has ATTCK_TAXII_MAX_TIME bytes; returns the length */
size_t attck_taxii_time_format(char *buf, int64_t us);

/* FNV-1a 64, continued from h (start with ATTCK_TAXII_FNV) */
#define ATTCK_TAXII_FNV  0xcbf29ce484222325ULL
uint64_t attck_taxii_hash(uint64_t h, const void *data, size_t len);


#endif /* _ATTCK_TAXII_H_INCLUDED_ */
