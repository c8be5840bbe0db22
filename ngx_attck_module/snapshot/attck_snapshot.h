
/*
 * attck snapshot format: the one compiled artefact between attck-worker
 * (writer) and ngx_http_attck_module (reader).
 *
 * A snapshot is a flat, position-independent byte string: every reference
 * is an offset from the start of the file, so the module can copy it into
 * shared memory and use it in place in every worker process.  Nothing here
 * uses nginx or jansson types; this file is compiled into both programs.
 *
 * Layout: header, then sections in any order.  All integers are native
 * little-endian (the header carries a byte-order mark); every section
 * starts on an 8-byte boundary.  When the layout changes, both sides
 * change in the same commit and ATTCK_SNAP_VERSION goes up.
 */

#ifndef _ATTCK_SNAPSHOT_H_INCLUDED_
#define _ATTCK_SNAPSHOT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define ATTCK_SNAP_MAGIC        "ATTCKSNP"
#define ATTCK_SNAP_VERSION      1
#define ATTCK_SNAP_BOM          0x01020304

#define ATTCK_DOMAIN_ENTERPRISE  0x01
#define ATTCK_DOMAIN_MOBILE      0x02
#define ATTCK_DOMAIN_ICS         0x04
#define ATTCK_DOMAIN_ALL         0x07

/* attck_snap_tech_t.flags, above the domain bits */
#define ATTCK_TECH_SUB           0x100
#define ATTCK_TECH_REVOKED       0x200
#define ATTCK_TECH_DEPRECATED    0x400

/*
 * The cyber-range matrix ("cyberrange/matrix", "cyberrange/matrix-sub") is
 * an HTML template: the module puts a cell's overlay dots where
 * ATTCK_CR_CELL, the cell's key ("TA0043.T1595") and ATTCK_CR_END stand,
 * and the legend at ATTCK_CR_LEGEND.  The compiler turns control bytes
 * in the matrix's text into spaces, so these never occur otherwise.
 */
#define ATTCK_CR_CELL            '\x01'
#define ATTCK_CR_END             '\x02'
#define ATTCK_CR_LEGEND          '\x03'

#define ATTCK_SNAP_MAX_TACTICS    64
#define ATTCK_SNAP_MAX_PLATFORMS  64


typedef struct {
    uint32_t  off;
    uint32_t  len;
} attck_snap_str_t;


typedef struct {
    char      magic[8];
    uint32_t  version;
    uint32_t  bom;
    uint64_t  size;          /* the whole file, header included */
    uint64_t  created;       /* unix time of compilation */
    uint32_t  checksum;      /* attck_snap_checksum() of the whole file */
    uint32_t  nviews;
    uint32_t  views;         /* offset of attck_snap_view_t[nviews] */
    uint32_t  reserved;
    attck_snap_str_t  status;   /* JSON object describing the content */
    attck_snap_str_t  threats;  /* the threat index (attck_tix.h), 8-byte
                                   aligned; len 0: none.  Zero in snapshots
                                   written before it, so they still load */
} attck_snap_header_t;


/*
 * A view is one consistent set of ATT&CK data: "latest" (the newest
 * release of every domain loaded) and one per older release.
 */

typedef struct {
    attck_snap_str_t  name;
    uint32_t  docs;          /* attck_snap_doc_t[ndocs] */
    uint32_t  ndocs;
    uint32_t  slots;         /* uint32_t[nslots]: doc index + 1, 0 empty */
    uint32_t  nslots;        /* a power of two */
    uint32_t  techs;         /* attck_snap_tech_t[ntechs], sorted by id */
    uint32_t  ntechs;
    uint32_t  tactics;       /* attck_snap_tactic_t[ntactics] */
    uint32_t  ntactics;
    uint32_t  platforms;     /* attck_snap_str_t[nplatforms] */
    uint32_t  nplatforms;
    uint32_t  terms;         /* attck_snap_term_t[nterms], sorted */
    uint32_t  nterms;
    uint32_t  postings;      /* attck_snap_posting_t[npostings] */
    uint32_t  npostings;
} attck_snap_view_t;


typedef struct {
    attck_snap_str_t  key;       /* "techniques/T1059.001", "matrix/ics" */
    attck_snap_str_t  body;      /* complete response body */
    attck_snap_str_t  summary;   /* JSON object for lists and search */
    attck_snap_str_t  etag;      /* quoted entity tag of body */
    attck_snap_str_t  name;      /* lower-cased name, for ranking */
} attck_snap_doc_t;


typedef struct {
    uint64_t  tactics;       /* bit i: view's tactic i */
    uint64_t  platforms;     /* bit i: view's platform i */
    uint32_t  doc;
    uint32_t  flags;         /* ATTCK_DOMAIN_* | ATTCK_TECH_* */
} attck_snap_tech_t;


typedef struct {
    attck_snap_str_t  id;        /* "TA0002" */
    attck_snap_str_t  shortname; /* "execution" */
    uint32_t          domains;
    uint32_t          doc;
} attck_snap_tactic_t;


typedef struct {
    attck_snap_str_t  term;
    uint32_t          postings;  /* index of the first posting */
    uint32_t          npostings;
} attck_snap_term_t;


typedef struct {
    uint32_t  doc;
    float     weight;
} attck_snap_posting_t;


/*
 * A posting's weight is a BM25 score.  The writer keeps it within these
 * bounds and the reader refuses any other, so that no sum of weights
 * times search factors is 0, infinite or NaN.
 */
#define ATTCK_SNAP_WEIGHT_MIN  1e-6f
#define ATTCK_SNAP_WEIGHT_MAX  1e6f


/* reader: a validated snapshot in memory */

typedef struct {
    const unsigned char         *base;
    size_t                       size;
    const attck_snap_header_t   *header;
    const attck_snap_view_t     *views;
} attck_snap_t;


/*
 * Checks a snapshot (size, checksum, every offset) and sets up a reader.
 * ATTCK_SNAP_TRUSTED skips the checks, for bytes already checked once
 * (the module checks a snapshot before it enters shared memory).
 */
#define ATTCK_SNAP_TRUSTED  0x01

int attck_snap_open(attck_snap_t *snap, const void *data, size_t size,
    int flags, char *err, size_t errlen);
uint32_t attck_snap_crc32(const void *data, size_t size);

/* CRC-32 of the whole file, the checksum field counted as zero */
uint32_t attck_snap_checksum(const void *data, size_t size);
const attck_snap_view_t *attck_snap_view(const attck_snap_t *snap,
    const char *name, size_t len);
const attck_snap_doc_t *attck_snap_find(const attck_snap_t *snap,
    const attck_snap_view_t *view, const char *key, size_t len);
uint32_t attck_snap_hash(const char *key, size_t len);

#define attck_snap_ptr(snap, off)  ((const void *) ((snap)->base + (off)))
#define attck_snap_bytes(snap, s)  ((const char *) ((snap)->base + (s).off))

#define attck_snap_docs(snap, v)                                            \
    ((const attck_snap_doc_t *) attck_snap_ptr(snap, (v)->docs))
#define attck_snap_techs(snap, v)                                           \
    ((const attck_snap_tech_t *) attck_snap_ptr(snap, (v)->techs))
#define attck_snap_tactics(snap, v)                                         \
    ((const attck_snap_tactic_t *) attck_snap_ptr(snap, (v)->tactics))
#define attck_snap_platforms(snap, v)                                       \
    ((const attck_snap_str_t *) attck_snap_ptr(snap, (v)->platforms))
#define attck_snap_terms(snap, v)                                           \
    ((const attck_snap_term_t *) attck_snap_ptr(snap, (v)->terms))
#define attck_snap_postings(snap, v)                                        \
    ((const attck_snap_posting_t *) attck_snap_ptr(snap, (v)->postings))


/* writer: used by attck-worker only */

typedef struct attck_snap_writer_s  attck_snap_writer_t;

attck_snap_writer_t *attck_snap_writer_create(void);
void attck_snap_writer_destroy(attck_snap_writer_t *w);

/* appends bytes to the string area, returns their place */
attck_snap_str_t attck_snap_writer_str(attck_snap_writer_t *w,
    const void *data, size_t len);

int attck_snap_writer_view(attck_snap_writer_t *w, const char *name,
    const attck_snap_doc_t *docs, uint32_t ndocs,
    const attck_snap_tech_t *techs, uint32_t ntechs,
    const attck_snap_tactic_t *tactics, uint32_t ntactics,
    const attck_snap_str_t *platforms, uint32_t nplatforms,
    const attck_snap_term_t *terms, uint32_t nterms,
    const attck_snap_posting_t *postings, uint32_t npostings);

/* the threat index (attck_tix.h), laid out after the views */
int attck_snap_writer_threats(attck_snap_writer_t *w, const void *data,
    size_t len);

/* lays out the file; the result is owned by the writer */
int attck_snap_writer_finish(attck_snap_writer_t *w, const char *status,
    size_t status_len, uint64_t created, const void **data, size_t *size);


#endif /* _ATTCK_SNAPSHOT_H_INCLUDED_ */
