
/*
 * attck threat index: the mapped threats of one publish, compact, for the
 * facet queries (threats/stats) and the filtered threat lists.
 *
 * It is a section of the snapshot (attck_snap_header_t.threats), so it is
 * checked, loaded, swapped and freed with the snapshot: the ATT&CK data
 * and the threat data a request sees are always of one publish.  It has a
 * version and a CRC-32 of its own besides the snapshot's, and every offset
 * in it is relative to its first byte and checked before use: a bad index
 * refuses the whole snapshot.
 *
 * Layout: header, then arrays, each on an 8-byte boundary.  Threats are
 * ordered newest first (seen descending, then id descending), so a period
 * is one slice found by binary search; byid orders them by id.  Each
 * threat's mappings are a slice of maps, its countries, tags and malware
 * families a slice of vals (indexes into strs, whose bytes are in text).
 */

#ifndef _ATTCK_TIX_H_INCLUDED_
#define _ATTCK_TIX_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "attck_snapshot.h"


#define ATTCK_TIX_MAGIC      "ATTCKTIX"
#define ATTCK_TIX_VERSION    2
#define ATTCK_TIX_NONE       0xffffffff
/* a threat's tactics are a set of 64 bits where threats are counted */
#define ATTCK_TIX_MAX_TACTICS  64

#define ATTCK_TIX_OTX         0
#define ATTCK_TIX_VIRUSTOTAL  1
#define ATTCK_TIX_TAXII       2
#define ATTCK_TIX_NSOURCES    3

#define ATTCK_TIX_EXPLICIT    0
#define ATTCK_TIX_MODEL       1
#define ATTCK_TIX_ANALYST     2
#define ATTCK_TIX_NMETHODS    3

/* attck_tix_map_t.flags */
#define ATTCK_TIX_CONFIRMED   0x01


typedef struct {
    char      magic[8];
    uint32_t  version;
    uint32_t  crc;          /* attck_snap_crc32 of the bytes after this */
    uint64_t  size;         /* the whole index, this header included */
    uint32_t  threats;      /* attck_tix_threat_t[nthreats], newest first */
    uint32_t  nthreats;
    uint32_t  byid;         /* uint32_t[nthreats]: threat indexes by id */
    uint32_t  maps;         /* attck_tix_map_t[nmaps] */
    uint32_t  nmaps;
    uint32_t  vals;         /* uint32_t[nvals]: string indexes */
    uint32_t  nvals;
    uint32_t  techs;        /* attck_tix_tech_t[ntechs], sorted by id */
    uint32_t  ntechs;
    uint32_t  tactics;      /* attck_tix_tactic_t[ntactics] */
    uint32_t  ntactics;
    uint32_t  strs;         /* attck_snap_str_t[nstrs], index-relative */
    uint32_t  nstrs;
    uint32_t  text;         /* the bytes strs point into */
    uint32_t  ntext;
    uint32_t  posts;        /* attck_tix_post_t[nmaps], by technique */
    uint32_t  units;        /* attck_tix_unit_t[nunits], newest day first */
    uint32_t  nunits;
    uint32_t  techsums;     /* attck_tix_techsum_t[ntechsums] */
    uint32_t  ntechsums;
    uint32_t  counts;       /* attck_tix_count_t[ncounts] */
    uint32_t  ncounts;
} attck_tix_header_t;


/* 56 bytes */

typedef struct {
    int64_t   id;           /* threat_intelligence_data.id */
    int64_t   seen;         /* last seen (else first seen, updated), UTC */
    uint32_t  maps;         /* first mapping */
    uint32_t  vals;         /* countries, then tags, then malware */
    uint32_t  type;         /* a string, or ATTCK_TIX_NONE */
    uint16_t  nmaps;
    uint16_t  ncountries;
    uint16_t  ntags;
    uint16_t  nmalware;
    uint8_t   source;       /* ATTCK_TIX_OTX ... */
    uint8_t   pad[3];
    uint8_t   digest[16];   /* of the threat's document, as published */
} attck_tix_threat_t;


/* 8 bytes; a threat's mappings are ordered by technique */

typedef struct {
    uint16_t  tech;         /* index into techs */
    uint8_t   method;       /* ATTCK_TIX_EXPLICIT ... */
    uint8_t   flags;
    float     score;        /* 0 to 1 */
} attck_tix_map_t;


typedef struct {
    attck_snap_str_t  id;          /* "T1059.001" */
    attck_snap_str_t  name;        /* "" when no release names it */
    uint32_t          parent;      /* a sub-technique's parent, or NONE */
    uint32_t          domains;     /* ATTCK_DOMAIN_* */
    uint32_t          tactics;     /* first of ntactics in vals */
    uint32_t          ntactics;    /* indexes into the index's tactics */
    uint32_t          posts;       /* first of nposts in posts */
    uint32_t          nposts;      /* the threats mapped to it */
} attck_tix_tech_t;


/* a technique's threats: best score first, then the newest id */

typedef struct {
    uint32_t  threat;
    float     score;
} attck_tix_post_t;


/*
 * The threats of one day and one source, counted as threats/stats counts
 * them without filters: an answer about whole days and sources is the sum
 * of a few units, not a walk over their threats.  Every count is of
 * threats (a threat is in one unit), so units add up.
 */

typedef struct {
    int64_t   first;        /* the oldest seen of its threats */
    int64_t   last;         /* the newest */
    int32_t   day;          /* days since 1970-01-01, UTC */
    uint32_t  source;       /* ATTCK_TIX_OTX ... */
    uint32_t  threats;
    uint32_t  techsums;     /* first of ntechsums */
    uint32_t  ntechsums;
    uint32_t  counts;       /* first of ncounts */
    uint32_t  ncounts;
    uint32_t  mapped;       /* its threats with a mapping */
} attck_tix_unit_t;


/* a technique in a unit: its mappings, and its family's threats */

typedef struct {
    uint32_t  tech;
    uint32_t  count;        /* mappings (threats: one each) */
    uint32_t  incl;         /* a parent's threats, with its subs' */
    float     best;
    double    sum;          /* of the scores, for the mean */
} attck_tix_techsum_t;


#define ATTCK_TIX_TYPE        0
#define ATTCK_TIX_COUNTRY     1
#define ATTCK_TIX_TAG         2
#define ATTCK_TIX_MALWARE     3
#define ATTCK_TIX_TACTIC      4
#define ATTCK_TIX_NKINDS      5

/* a value in a unit: a string (type, country, tag, malware) or a tactic */

typedef struct {
    uint32_t  kind;
    uint32_t  key;
    uint32_t  count;
} attck_tix_count_t;


typedef struct {
    attck_snap_str_t  id;          /* "TA0002" */
    attck_snap_str_t  shortname;   /* "execution" */
    attck_snap_str_t  name;        /* "Execution" */
    uint32_t          domains;
    uint32_t          pad;
} attck_tix_tactic_t;


/* reader */

typedef struct {
    const unsigned char         *base;
    size_t                       size;
    const attck_tix_header_t    *header;
    const attck_tix_threat_t    *threats;
    const uint32_t              *byid;
    const attck_tix_map_t       *maps;
    const uint32_t              *vals;
    const attck_tix_tech_t      *techs;
    const attck_tix_tactic_t    *tactics;
    const attck_snap_str_t      *strs;
    const attck_tix_post_t      *posts;
    const attck_tix_unit_t      *units;
    const attck_tix_techsum_t   *techsums;
    const attck_tix_count_t     *counts;
} attck_tix_t;


/*
 * Checks an index (size, version, CRC, every offset and index) and sets
 * up a reader; ATTCK_SNAP_TRUSTED skips the checks.  -1 with err.
 */
int attck_tix_open(attck_tix_t *tix, const void *data, size_t size,
    int flags, char *err, size_t errlen);

/* the index of a snapshot: 0, or -1 when it has none */
int attck_tix_of(attck_tix_t *tix, const attck_snap_t *snap);

#define attck_tix_bytes(tix, s)  ((const char *) ((tix)->base + (s).off))

/* the first threat not newer than seen: threats[i].seen < until */
uint32_t attck_tix_until(const attck_tix_t *tix, int64_t until);

/* the first unit of a day before until (days): units[i].day < until */
uint32_t attck_tix_unit_until(const attck_tix_t *tix, int64_t until);

/* the threat of an id, or ATTCK_TIX_NONE */
uint32_t attck_tix_find(const attck_tix_t *tix, int64_t id);

/* the technique of an id, or ATTCK_TIX_NONE */
uint32_t attck_tix_tech(const attck_tix_t *tix, const char *id, size_t len);

extern const char  *attck_tix_sources[ATTCK_TIX_NSOURCES];
extern const char  *attck_tix_methods[ATTCK_TIX_NMETHODS];


/* writer: the index as one block, for attck_snap_writer_threats() */

typedef struct attck_tix_writer_s  attck_tix_writer_t;

attck_tix_writer_t *attck_tix_writer_create(void);
void attck_tix_writer_destroy(attck_tix_writer_t *w);

/* a string of the index, the same bytes always the same index */
uint32_t attck_tix_writer_str(attck_tix_writer_t *w, const char *s,
    size_t len);
uint32_t attck_tix_writer_tactic(attck_tix_writer_t *w, const char *id,
    const char *shortname, const char *name, uint32_t domains);
/* techniques in id order, each parent before its subs */
uint32_t attck_tix_writer_tech(attck_tix_writer_t *w, const char *id,
    const char *name, uint32_t parent, uint32_t domains,
    const uint32_t *tactics, uint32_t ntactics);
/* a technique written already, or ATTCK_TIX_NONE */
uint32_t attck_tix_writer_find(attck_tix_writer_t *w, const char *id);
/* threats newest first; then their mappings, countries, tags, malware */
int attck_tix_writer_threat(attck_tix_writer_t *w,
    const attck_tix_threat_t *t, const attck_tix_map_t *maps,
    const uint32_t *vals);
int attck_tix_writer_finish(attck_tix_writer_t *w, const void **data,
    size_t *size);


#endif /* _ATTCK_TIX_H_INCLUDED_ */
