
/*
 * attck snapshot format: reader (validation, lookups) and writer.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "attck_snapshot.h"
#include "attck_tix.h"


#define ATTCK_SNAP_ALIGN(n)  (((n) + 7) & ~((size_t) 7))


static uLong attck_snap_crc32_update(uLong crc, const unsigned char *p,
    size_t size);
static int attck_snap_range(const attck_snap_t *snap, uint64_t off,
    uint64_t len);
static int attck_snap_array(const attck_snap_t *snap, uint32_t off,
    uint32_t n, size_t elt);
static int attck_snap_object(const attck_snap_t *snap, attck_snap_str_t s);
static int attck_snap_etag(const attck_snap_t *snap, attck_snap_str_t s);
static int attck_snap_release_name(const attck_snap_t *snap,
    attck_snap_str_t s);
static int attck_snap_check_view(const attck_snap_t *snap,
    const attck_snap_view_t *v, char *err, size_t errlen);


uint32_t
attck_snap_hash(const char *key, size_t len)
{
    size_t    i;
    uint32_t  h;

    /* FNV-1a: keys are short ids, this is enough and has no tables */

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) key[i];
        h *= 16777619u;
    }

    return h;
}


static uLong
attck_snap_crc32_update(uLong crc, const unsigned char *p, size_t size)
{
    uInt  n;

    /* zlib takes uInt lengths */

    while (size) {
        n = size > 0x40000000 ? 0x40000000 : (uInt) size;
        crc = crc32(crc, p, n);
        p += n;
        size -= n;
    }

    return crc;
}


uint32_t
attck_snap_crc32(const void *data, size_t size)
{
    return (uint32_t) attck_snap_crc32_update(crc32(0L, Z_NULL, 0), data,
                                              size);
}


uint32_t
attck_snap_checksum(const void *data, size_t size)
{
    size_t                off;
    uLong                 crc;
    const unsigned char  *p;
    static const Bytef    zero[sizeof(uint32_t)];

    /* the header is covered too, so a flipped offset there is caught */

    p = data;
    off = offsetof(attck_snap_header_t, checksum);

    crc = attck_snap_crc32_update(crc32(0L, Z_NULL, 0), p, off);
    crc = crc32(crc, zero, sizeof(zero));
    off += sizeof(zero);

    return (uint32_t) attck_snap_crc32_update(crc, p + off, size - off);
}


static int
attck_snap_range(const attck_snap_t *snap, uint64_t off, uint64_t len)
{
    return off <= snap->size && len <= snap->size - off;
}


static int
attck_snap_array(const attck_snap_t *snap, uint32_t off, uint32_t n,
    size_t elt)
{
    if (n == 0) {
        return 1;
    }

    return (off % 8) == 0 && attck_snap_range(snap, off, (uint64_t) n * elt);
}


#define attck_snap_str_ok(snap, s)  attck_snap_range(snap, (s).off, (s).len)


/* a JSON object: at least "{}" (call after attck_snap_str_ok) */

static int
attck_snap_object(const attck_snap_t *snap, attck_snap_str_t s)
{
    const char  *p;

    p = attck_snap_bytes(snap, s);

    return s.len >= 2 && p[0] == '{' && p[s.len - 1] == '}';
}


/* a quoted entity tag of printable ASCII */

static int
attck_snap_etag(const attck_snap_t *snap, attck_snap_str_t s)
{
    uint32_t     i;
    const char  *p;

    p = attck_snap_bytes(snap, s);

    if (s.len < 2 || s.len > 64 || p[0] != '"' || p[s.len - 1] != '"') {
        return 0;
    }

    for (i = 1; i < s.len - 1; i++) {
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == '"') {
            return 0;
        }
    }

    return 1;
}


/* a release: "18.1", letters, digits, dots and hyphens, at most 32 */

static int
attck_snap_release_name(const attck_snap_t *snap, attck_snap_str_t s)
{
    uint32_t     i;
    const char  *p;

    p = attck_snap_bytes(snap, s);

    if (s.len == 0 || s.len > 32) {
        return 0;
    }

    for (i = 0; i < s.len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z')
              || (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '.' || p[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
attck_snap_open(attck_snap_t *snap, const void *data, size_t size,
    int flags, char *err, size_t errlen)
{
    char                        reason[200];
    uint32_t                    i;
    attck_tix_t                 tix;
    const attck_snap_header_t  *h;

    memset(snap, 0, sizeof(attck_snap_t));

    if (size < sizeof(attck_snap_header_t)) {
        snprintf(err, errlen, "file too short for a snapshot (%zu bytes)",
                 size);
        return -1;
    }

    h = data;

    if (flags & ATTCK_SNAP_TRUSTED) {
        snap->base = data;
        snap->size = size;
        snap->header = h;
        snap->views = attck_snap_ptr(snap, h->views);
        return 0;
    }

    if (memcmp(h->magic, ATTCK_SNAP_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not an attck snapshot (bad magic)");
        return -1;
    }

    if (h->bom != ATTCK_SNAP_BOM) {
        snprintf(err, errlen, "snapshot has foreign byte order");
        return -1;
    }

    if (h->version != ATTCK_SNAP_VERSION) {
        snprintf(err, errlen, "snapshot format version %u, expected %u",
                 h->version, ATTCK_SNAP_VERSION);
        return -1;
    }

    if (h->size != size) {
        snprintf(err, errlen, "snapshot truncated or padded: header says "
                 "%llu bytes, have %zu", (unsigned long long) h->size, size);
        return -1;
    }

    if (attck_snap_checksum(data, size) != h->checksum) {
        snprintf(err, errlen, "snapshot checksum mismatch (corrupt file)");
        return -1;
    }

    snap->base = data;
    snap->size = size;
    snap->header = h;

    if (h->nviews == 0
        || !attck_snap_array(snap, h->views, h->nviews,
                             sizeof(attck_snap_view_t))
        || !attck_snap_str_ok(snap, h->status)
        || !attck_snap_object(snap, h->status))
    {
        snprintf(err, errlen, "snapshot header out of range");
        return -1;
    }

    snap->views = attck_snap_ptr(snap, h->views);

    for (i = 0; i < h->nviews; i++) {
        if (attck_snap_check_view(snap, &snap->views[i], err, errlen) != 0) {
            return -1;
        }
    }

    /* a bad threat index refuses the snapshot it came with */

    if (h->threats.len) {
        if (h->threats.off % 8 || !attck_snap_str_ok(snap, h->threats)) {
            snprintf(err, errlen, "snapshot threat index out of range");
            return -1;
        }

        if (attck_tix_open(&tix, snap->base + h->threats.off,
                           h->threats.len, 0, reason, sizeof(reason))
            != 0)
        {
            snprintf(err, errlen, "snapshot %s", reason);
            return -1;
        }
    }

    return 0;
}


static int
attck_snap_check_view(const attck_snap_t *snap, const attck_snap_view_t *v,
    char *err, size_t errlen)
{
    uint32_t                     i, used;
    const uint32_t              *slots;
    const attck_snap_doc_t      *d;
    const attck_snap_tech_t     *t;
    const attck_snap_term_t     *term;
    const attck_snap_tactic_t   *ta;
    const attck_snap_posting_t  *p;

    /*
     * Every offset is checked once here, so that lookups on the request
     * path can trust them without further bounds checks.
     */

    if (!attck_snap_str_ok(snap, v->name)
        || !attck_snap_release_name(snap, v->name)
        || !attck_snap_array(snap, v->docs, v->ndocs,
                             sizeof(attck_snap_doc_t))
        || !attck_snap_array(snap, v->slots, v->nslots, sizeof(uint32_t))
        || v->nslots == 0 || (v->nslots & (v->nslots - 1)) != 0
        || v->nslots <= v->ndocs
        || !attck_snap_array(snap, v->techs, v->ntechs,
                             sizeof(attck_snap_tech_t))
        || !attck_snap_array(snap, v->tactics, v->ntactics,
                             sizeof(attck_snap_tactic_t))
        || v->ntactics > ATTCK_SNAP_MAX_TACTICS
        || !attck_snap_array(snap, v->platforms, v->nplatforms,
                             sizeof(attck_snap_str_t))
        || v->nplatforms > ATTCK_SNAP_MAX_PLATFORMS
        || !attck_snap_array(snap, v->terms, v->nterms,
                             sizeof(attck_snap_term_t))
        || !attck_snap_array(snap, v->postings, v->npostings,
                             sizeof(attck_snap_posting_t)))
    {
        goto bad;
    }

    d = attck_snap_docs(snap, v);

    for (i = 0; i < v->ndocs; i++) {
        /*
         * The module copies a summary without its first byte and sends an
         * entity tag as a header: they must be what they claim to be.
         */

        if (!attck_snap_str_ok(snap, d[i].key)
            || !attck_snap_str_ok(snap, d[i].body)
            || !attck_snap_str_ok(snap, d[i].summary)
            || !attck_snap_str_ok(snap, d[i].etag)
            || !attck_snap_str_ok(snap, d[i].name)
            || (d[i].summary.len && !attck_snap_object(snap, d[i].summary))
            || !attck_snap_etag(snap, d[i].etag))
        {
            goto bad;
        }
    }

    /*
     * Lookups probe until an empty slot: the writer fills exactly ndocs
     * of more than ndocs slots, and a table that does not would make a
     * lookup loop forever.
     */

    slots = attck_snap_ptr(snap, v->slots);
    used = 0;

    for (i = 0; i < v->nslots; i++) {
        if (slots[i] > v->ndocs) {
            goto bad;
        }

        used += (slots[i] != 0);
    }

    if (used != v->ndocs) {
        goto bad;
    }

    t = attck_snap_techs(snap, v);

    for (i = 0; i < v->ntechs; i++) {
        if (t[i].doc >= v->ndocs) {
            goto bad;
        }
    }

    ta = attck_snap_tactics(snap, v);

    for (i = 0; i < v->ntactics; i++) {
        if (ta[i].doc >= v->ndocs
            || !attck_snap_str_ok(snap, ta[i].id)
            || !attck_snap_str_ok(snap, ta[i].shortname))
        {
            goto bad;
        }
    }

    for (i = 0; i < v->nplatforms; i++) {
        if (!attck_snap_str_ok(snap, attck_snap_platforms(snap, v)[i])) {
            goto bad;
        }
    }

    term = attck_snap_terms(snap, v);

    for (i = 0; i < v->nterms; i++) {
        if (!attck_snap_str_ok(snap, term[i].term)
            || term[i].postings > v->npostings
            || term[i].npostings > v->npostings - term[i].postings)
        {
            goto bad;
        }
    }

    p = attck_snap_postings(snap, v);

    for (i = 0; i < v->npostings; i++) {
        if (p[i].doc >= v->ndocs
            || !(p[i].weight >= ATTCK_SNAP_WEIGHT_MIN
                 && p[i].weight <= ATTCK_SNAP_WEIGHT_MAX))
        {
            goto bad;
        }
    }

    /* lists and search results are built from summaries */

    for (i = 0; i < v->ntechs; i++) {
        if (d[t[i].doc].summary.len == 0) {
            goto bad;
        }
    }

    for (i = 0; i < v->npostings; i++) {
        if (d[p[i].doc].summary.len == 0) {
            goto bad;
        }
    }

    return 0;

bad:

    snprintf(err, errlen, "snapshot view %u out of range",
             (unsigned) (v - snap->views));
    return -1;
}


const attck_snap_view_t *
attck_snap_view(const attck_snap_t *snap, const char *name, size_t len)
{
    uint32_t                  i;
    const attck_snap_view_t  *v;

    for (i = 0; i < snap->header->nviews; i++) {
        v = &snap->views[i];

        if (v->name.len == len
            && memcmp(attck_snap_bytes(snap, v->name), name, len) == 0)
        {
            return v;
        }
    }

    return NULL;
}


const attck_snap_doc_t *
attck_snap_find(const attck_snap_t *snap, const attck_snap_view_t *view,
    const char *key, size_t len)
{
    uint32_t                 i, mask, n;
    const uint32_t          *slots;
    const attck_snap_doc_t  *docs, *d;

    slots = attck_snap_ptr(snap, view->slots);
    docs = attck_snap_docs(snap, view);
    mask = view->nslots - 1;

    /* open addressing with linear probing; the table is never full */

    for (i = attck_snap_hash(key, len) & mask; /* void */ ; i = (i + 1) & mask)
    {
        n = slots[i];

        if (n == 0) {
            return NULL;
        }

        d = &docs[n - 1];

        if (d->key.len == len
            && memcmp(attck_snap_bytes(snap, d->key), key, len) == 0)
        {
            return d;
        }
    }
}


/* writer */

typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
} attck_snap_buf_t;


typedef struct {
    attck_snap_view_t  view;       /* offsets relative to the view's block */
    attck_snap_buf_t   block;
} attck_snap_wview_t;


struct attck_snap_writer_s {
    attck_snap_buf_t     strings;
    attck_snap_wview_t  *views;
    uint32_t             nviews;
    attck_snap_buf_t     out;
    attck_snap_buf_t     threats;
    int                  failed;
};


static int attck_snap_buf_add(attck_snap_buf_t *b, const void *data,
    size_t len);
static uint32_t attck_snap_block_add(attck_snap_writer_t *w,
    attck_snap_buf_t *b, const void *data, size_t len);


static int
attck_snap_buf_add(attck_snap_buf_t *b, const void *data, size_t len)
{
    size_t          cap;
    unsigned char  *p;

    if (b->len + len > b->cap) {
        cap = b->cap ? b->cap : 65536;

        while (cap < b->len + len) {
            cap *= 2;
        }

        p = realloc(b->data, cap);
        if (p == NULL) {
            return -1;
        }

        b->data = p;
        b->cap = cap;
    }

    if (len) {
        if (data) {
            memcpy(b->data + b->len, data, len);

        } else {
            memset(b->data + b->len, 0, len);
        }
    }

    b->len += len;

    return 0;
}


attck_snap_writer_t *
attck_snap_writer_create(void)
{
    attck_snap_writer_t  *w;

    w = calloc(1, sizeof(attck_snap_writer_t));
    if (w == NULL) {
        return NULL;
    }

    /* the string area starts right after the header */

    if (attck_snap_buf_add(&w->out, NULL, sizeof(attck_snap_header_t)) != 0) {
        free(w);
        return NULL;
    }

    return w;
}


void
attck_snap_writer_destroy(attck_snap_writer_t *w)
{
    uint32_t  i;

    if (w == NULL) {
        return;
    }

    for (i = 0; i < w->nviews; i++) {
        free(w->views[i].block.data);
    }

    free(w->views);
    free(w->strings.data);
    free(w->threats.data);
    free(w->out.data);
    free(w);
}


attck_snap_str_t
attck_snap_writer_str(attck_snap_writer_t *w, const void *data, size_t len)
{
    attck_snap_str_t  s;

    s.off = (uint32_t) (sizeof(attck_snap_header_t) + w->strings.len);
    s.len = (uint32_t) len;

    if (len > UINT32_MAX
        || sizeof(attck_snap_header_t) + w->strings.len + len > UINT32_MAX
        || attck_snap_buf_add(&w->strings, data, len) != 0)
    {
        w->failed = 1;
        s.off = 0;
        s.len = 0;
    }

    return s;
}


static uint32_t
attck_snap_block_add(attck_snap_writer_t *w, attck_snap_buf_t *b,
    const void *data, size_t len)
{
    size_t  off;

    off = b->len;

    if (attck_snap_buf_add(b, data, len) != 0
        || attck_snap_buf_add(b, NULL, ATTCK_SNAP_ALIGN(len) - len) != 0)
    {
        w->failed = 1;
    }

    return (uint32_t) off;
}


int
attck_snap_writer_view(attck_snap_writer_t *w, const char *name,
    const attck_snap_doc_t *docs, uint32_t ndocs,
    const attck_snap_tech_t *techs, uint32_t ntechs,
    const attck_snap_tactic_t *tactics, uint32_t ntactics,
    const attck_snap_str_t *platforms, uint32_t nplatforms,
    const attck_snap_term_t *terms, uint32_t nterms,
    const attck_snap_posting_t *postings, uint32_t npostings)
{
    uint32_t             i, j, mask, nslots, *slots;
    attck_snap_wview_t  *wv, *views;

    if (ntactics > ATTCK_SNAP_MAX_TACTICS
        || nplatforms > ATTCK_SNAP_MAX_PLATFORMS)
    {
        return -1;
    }

    views = realloc(w->views, (w->nviews + 1) * sizeof(attck_snap_wview_t));
    if (views == NULL) {
        return -1;
    }

    w->views = views;
    wv = &views[w->nviews++];
    memset(wv, 0, sizeof(attck_snap_wview_t));

    /* a load factor of at most one half keeps probe chains short */

    for (nslots = 16; nslots < ndocs * 2; nslots *= 2) { /* void */ }

    slots = calloc(nslots, sizeof(uint32_t));
    if (slots == NULL) {
        return -1;
    }

    mask = nslots - 1;

    for (i = 0; i < ndocs; i++) {
        j = attck_snap_hash((const char *) w->strings.data + docs[i].key.off
                            - sizeof(attck_snap_header_t), docs[i].key.len)
            & mask;

        while (slots[j]) {
            j = (j + 1) & mask;
        }

        slots[j] = i + 1;
    }

    wv->view.name = attck_snap_writer_str(w, name, strlen(name));
    wv->view.ndocs = ndocs;
    wv->view.docs = attck_snap_block_add(w, &wv->block, docs,
                                         ndocs * sizeof(attck_snap_doc_t));
    wv->view.nslots = nslots;
    wv->view.slots = attck_snap_block_add(w, &wv->block, slots,
                                          nslots * sizeof(uint32_t));
    wv->view.ntechs = ntechs;
    wv->view.techs = attck_snap_block_add(w, &wv->block, techs,
                                          ntechs * sizeof(attck_snap_tech_t));
    wv->view.ntactics = ntactics;
    wv->view.tactics = attck_snap_block_add(w, &wv->block, tactics,
                                       ntactics * sizeof(attck_snap_tactic_t));
    wv->view.nplatforms = nplatforms;
    wv->view.platforms = attck_snap_block_add(w, &wv->block, platforms,
                                       nplatforms * sizeof(attck_snap_str_t));
    wv->view.nterms = nterms;
    wv->view.terms = attck_snap_block_add(w, &wv->block, terms,
                                          nterms * sizeof(attck_snap_term_t));
    wv->view.npostings = npostings;
    wv->view.postings = attck_snap_block_add(w, &wv->block, postings,
                                    npostings * sizeof(attck_snap_posting_t));

    free(slots);

    return w->failed ? -1 : 0;
}


int
attck_snap_writer_threats(attck_snap_writer_t *w, const void *data,
    size_t len)
{
    w->threats.len = 0;

    return attck_snap_buf_add(&w->threats, data, len);
}


int
attck_snap_writer_finish(attck_snap_writer_t *w, const char *status,
    size_t status_len, uint64_t created, const void **data, size_t *size)
{
    size_t                base, pad;
    uint32_t              i;
    attck_snap_view_t    *v;
    attck_snap_header_t   h;

    memset(&h, 0, sizeof(attck_snap_header_t));

    h.status = attck_snap_writer_str(w, status, status_len);

    if (w->failed || w->nviews == 0) {
        return -1;
    }

    if (attck_snap_buf_add(&w->out, w->strings.data, w->strings.len) != 0) {
        return -1;
    }

    pad = ATTCK_SNAP_ALIGN(w->out.len) - w->out.len;

    if (attck_snap_buf_add(&w->out, NULL, pad) != 0) {
        return -1;
    }

    /* each view's block follows the strings; rebase its offsets */

    for (i = 0; i < w->nviews; i++) {
        base = w->out.len;
        v = &w->views[i].view;

        v->docs += base;
        v->slots += base;
        v->techs += base;
        v->tactics += base;
        v->platforms += base;
        v->terms += base;
        v->postings += base;

        if (base + w->views[i].block.len > UINT32_MAX
            || attck_snap_buf_add(&w->out, w->views[i].block.data,
                                  w->views[i].block.len) != 0)
        {
            return -1;
        }
    }

    h.views = (uint32_t) w->out.len;

    for (i = 0; i < w->nviews; i++) {
        if (attck_snap_buf_add(&w->out, &w->views[i].view,
                               sizeof(attck_snap_view_t)) != 0)
        {
            return -1;
        }
    }

    if (w->threats.len) {
        if (attck_snap_buf_add(&w->out, NULL,
                               ATTCK_SNAP_ALIGN(w->out.len) - w->out.len)
            != 0)
        {
            return -1;
        }

        h.threats.off = (uint32_t) w->out.len;
        h.threats.len = (uint32_t) w->threats.len;

        if (w->out.len + w->threats.len > UINT32_MAX
            || attck_snap_buf_add(&w->out, w->threats.data, w->threats.len)
               != 0
            || attck_snap_buf_add(&w->out, NULL,
                                  ATTCK_SNAP_ALIGN(w->out.len) - w->out.len)
               != 0)
        {
            return -1;
        }
    }

    memcpy(h.magic, ATTCK_SNAP_MAGIC, 8);
    h.version = ATTCK_SNAP_VERSION;
    h.bom = ATTCK_SNAP_BOM;
    h.size = w->out.len;
    h.created = created;
    h.nviews = w->nviews;
    memcpy(w->out.data, &h, sizeof(attck_snap_header_t));

    h.checksum = attck_snap_checksum(w->out.data, w->out.len);
    memcpy(w->out.data, &h, sizeof(attck_snap_header_t));

    *data = w->out.data;
    *size = w->out.len;

    return 0;
}
