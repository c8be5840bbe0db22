
/*
 * attck threat index: reader (validation, lookups) and writer.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attck_tix.h"


#define ATTCK_TIX_ALIGN(n)  (((n) + 7) & ~((size_t) 7))


typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
} attck_tix_buf_t;


struct attck_tix_writer_s {
    attck_tix_buf_t   threats;
    attck_tix_buf_t   maps;
    attck_tix_buf_t   vals;
    attck_tix_buf_t   techs;
    attck_tix_buf_t   tactics;
    attck_tix_buf_t   strs;
    attck_tix_buf_t   text;
    attck_tix_buf_t   out;
    uint32_t         *slots;       /* string index + 1, 0 empty */
    uint32_t          nslots;
    int               failed;
};


static int attck_tix_array(const attck_tix_t *tix, uint32_t off, uint32_t n,
    size_t elt);
static int attck_tix_str(const attck_tix_t *tix, attck_snap_str_t s);
static int attck_tix_check(const attck_tix_t *tix, char *err, size_t errlen);
static int attck_tix_check_units(const attck_tix_t *tix, char *err,
    size_t errlen);
static int attck_tix_units(attck_tix_writer_t *w, attck_tix_header_t *h);
static int attck_tix_newer(const attck_tix_threat_t *a,
    const attck_tix_threat_t *b);
static void attck_tix_add(attck_tix_writer_t *w, attck_tix_buf_t *b,
    const void *data, size_t len);
static attck_snap_str_t attck_tix_text(attck_tix_writer_t *w, const char *s);
static uint32_t attck_tix_place(attck_tix_writer_t *w, attck_tix_buf_t *b,
    uint32_t n, size_t elt);


const char  *attck_tix_sources[ATTCK_TIX_NSOURCES] = {
    "otx", "virustotal", "taxii"
};

const char  *attck_tix_methods[ATTCK_TIX_NMETHODS] = {
    "explicit", "model", "analyst"
};


static int
attck_tix_array(const attck_tix_t *tix, uint32_t off, uint32_t n, size_t elt)
{
    if (n == 0) {
        return 1;
    }

    return (off % 8) == 0 && off >= sizeof(attck_tix_header_t)
           && off <= tix->size && (uint64_t) n * elt <= tix->size - off;
}


static int
attck_tix_str(const attck_tix_t *tix, attck_snap_str_t s)
{
    const attck_tix_header_t  *h = tix->header;

    return s.off >= h->text && s.off <= h->text + h->ntext
           && s.len <= h->text + h->ntext - s.off;
}


int
attck_tix_open(attck_tix_t *tix, const void *data, size_t size, int flags,
    char *err, size_t errlen)
{
    const attck_tix_header_t  *h;

    memset(tix, 0, sizeof(attck_tix_t));

    if (size < sizeof(attck_tix_header_t)) {
        snprintf(err, errlen, "threat index too short (%zu bytes)", size);
        return -1;
    }

    h = data;

    tix->base = data;
    tix->size = size;
    tix->header = h;

    if (!(flags & ATTCK_SNAP_TRUSTED)) {
        if (memcmp(h->magic, ATTCK_TIX_MAGIC, 8) != 0) {
            snprintf(err, errlen, "not a threat index (bad magic)");
            return -1;
        }

        if (h->version != ATTCK_TIX_VERSION) {
            snprintf(err, errlen, "threat index format version %u, "
                     "expected %u", h->version, ATTCK_TIX_VERSION);
            return -1;
        }

        if (h->size != size) {
            snprintf(err, errlen, "threat index truncated or padded: its "
                     "header says %llu bytes, have %zu",
                     (unsigned long long) h->size, size);
            return -1;
        }

        if (attck_snap_crc32((const unsigned char *) data
                             + sizeof(attck_tix_header_t),
                             size - sizeof(attck_tix_header_t))
            != h->crc)
        {
            snprintf(err, errlen, "threat index checksum mismatch");
            return -1;
        }

        if (!attck_tix_array(tix, h->threats, h->nthreats,
                             sizeof(attck_tix_threat_t))
            || !attck_tix_array(tix, h->byid, h->nthreats, sizeof(uint32_t))
            || !attck_tix_array(tix, h->maps, h->nmaps,
                                sizeof(attck_tix_map_t))
            || !attck_tix_array(tix, h->vals, h->nvals, sizeof(uint32_t))
            || !attck_tix_array(tix, h->techs, h->ntechs,
                                sizeof(attck_tix_tech_t))
            || !attck_tix_array(tix, h->tactics, h->ntactics,
                                sizeof(attck_tix_tactic_t))
            || !attck_tix_array(tix, h->strs, h->nstrs,
                                sizeof(attck_snap_str_t))
            || !attck_tix_array(tix, h->posts, h->nmaps,
                                sizeof(attck_tix_post_t))
            || !attck_tix_array(tix, h->units, h->nunits,
                                sizeof(attck_tix_unit_t))
            || !attck_tix_array(tix, h->techsums, h->ntechsums,
                                sizeof(attck_tix_techsum_t))
            || !attck_tix_array(tix, h->counts, h->ncounts,
                                sizeof(attck_tix_count_t))
            || h->ntechs > 65536 || h->ntactics > ATTCK_TIX_MAX_TACTICS
            || h->text > size || h->ntext > size - h->text)
        {
            snprintf(err, errlen, "threat index header out of range");
            return -1;
        }
    }

    tix->threats = (const void *) (tix->base + h->threats);
    tix->byid = (const void *) (tix->base + h->byid);
    tix->maps = (const void *) (tix->base + h->maps);
    tix->vals = (const void *) (tix->base + h->vals);
    tix->techs = (const void *) (tix->base + h->techs);
    tix->tactics = (const void *) (tix->base + h->tactics);
    tix->strs = (const void *) (tix->base + h->strs);
    tix->posts = (const void *) (tix->base + h->posts);
    tix->units = (const void *) (tix->base + h->units);
    tix->techsums = (const void *) (tix->base + h->techsums);
    tix->counts = (const void *) (tix->base + h->counts);

    if (flags & ATTCK_SNAP_TRUSTED) {
        return 0;
    }

    return attck_tix_check(tix, err, errlen);
}


/* every index in range and the orders as promised */

static int
attck_tix_check(const attck_tix_t *tix, char *err, size_t errlen)
{
    uint32_t                   i, k, n;
    const attck_tix_map_t     *m;
    const attck_tix_tech_t    *t;
    const attck_tix_threat_t  *th;
    const attck_tix_header_t  *h = tix->header;

    for (i = 0; i < h->nstrs; i++) {
        if (!attck_tix_str(tix, tix->strs[i])) {
            snprintf(err, errlen, "threat index: string %u out of range", i);
            return -1;
        }
    }

    for (i = 0; i < h->ntactics; i++) {
        if (!attck_tix_str(tix, tix->tactics[i].id)
            || !attck_tix_str(tix, tix->tactics[i].shortname)
            || !attck_tix_str(tix, tix->tactics[i].name))
        {
            snprintf(err, errlen, "threat index: tactic %u out of range", i);
            return -1;
        }
    }

    /* every id in range before the order, found by binary search, is */

    for (i = 0; i < h->ntechs; i++) {
        if (!attck_tix_str(tix, tix->techs[i].id)
            || !attck_tix_str(tix, tix->techs[i].name)
            || tix->techs[i].id.len == 0)
        {
            snprintf(err, errlen, "threat index: technique %u out of "
                     "range", i);
            return -1;
        }
    }

    for (i = 0; i < h->ntechs; i++) {
        t = &tix->techs[i];

        if ((t->parent != ATTCK_TIX_NONE && t->parent >= i)
            || t->tactics > h->nvals || t->ntactics > h->nvals - t->tactics
            || attck_tix_tech(tix, attck_tix_bytes(tix, t->id), t->id.len)
               != i)
        {
            snprintf(err, errlen, "threat index: technique %u out of "
                     "range", i);
            return -1;
        }

        if (t->posts > h->nmaps || t->nposts > h->nmaps - t->posts) {
            snprintf(err, errlen, "threat index: technique %u has postings "
                     "out of range", i);
            return -1;
        }

        for (k = 0; k < t->nposts; k++) {
            if (tix->posts[t->posts + k].threat >= h->nthreats) {
                snprintf(err, errlen, "threat index: technique %u has a "
                         "threat out of range", i);
                return -1;
            }
        }

        for (k = 0; k < t->ntactics; k++) {
            if (tix->vals[t->tactics + k] >= h->ntactics) {
                snprintf(err, errlen, "threat index: technique %u has a "
                         "tactic out of range", i);
                return -1;
            }
        }
    }

    for (i = 0; i < h->nthreats; i++) {
        th = &tix->threats[i];
        n = (uint32_t) th->ncountries + th->ntags + th->nmalware;

        if (th->maps > h->nmaps || th->nmaps > h->nmaps - th->maps
            || th->vals > h->nvals || n > h->nvals - th->vals
            || (th->type != ATTCK_TIX_NONE && th->type >= h->nstrs)
            || th->source >= ATTCK_TIX_NSOURCES
            || (i && !attck_tix_newer(&th[-1], th))
            || tix->byid[i] >= h->nthreats)
        {
            snprintf(err, errlen, "threat index: threat %u out of range or "
                     "order", i);
            return -1;
        }

        for (k = 0; k < n; k++) {
            if (tix->vals[th->vals + k] >= h->nstrs) {
                snprintf(err, errlen, "threat index: threat %u has a value "
                         "out of range", i);
                return -1;
            }
        }

        for (k = 0; k < th->nmaps; k++) {
            m = &tix->maps[th->maps + k];

            if (m->tech >= h->ntechs || m->method >= ATTCK_TIX_NMETHODS
                || !(m->score >= 0.0f && m->score <= 1.0f)
                || (k && m[-1].tech >= m->tech))
            {
                snprintf(err, errlen, "threat index: threat %u has a "
                         "mapping out of range", i);
                return -1;
            }
        }

        if (i && tix->threats[tix->byid[i - 1]].id
                 >= tix->threats[tix->byid[i]].id)
        {
            snprintf(err, errlen, "threat index: ids out of order at %u", i);
            return -1;
        }
    }

    return attck_tix_check_units(tix, err, errlen);
}


static int
attck_tix_check_units(const attck_tix_t *tix, char *err, size_t errlen)
{
    uint32_t                    i, k, max;
    const attck_tix_unit_t     *u;
    const attck_tix_count_t    *c;
    const attck_tix_header_t   *h = tix->header;

    for (i = 0; i < h->nunits; i++) {
        u = &tix->units[i];

        if (u->source >= ATTCK_TIX_NSOURCES
            || u->techsums > h->ntechsums
            || u->ntechsums > h->ntechsums - u->techsums
            || u->counts > h->ncounts || u->ncounts > h->ncounts - u->counts
            || (i && (u[-1].day < u->day
                      || (u[-1].day == u->day && u[-1].source >= u->source))))
        {
            snprintf(err, errlen, "threat index: unit %u out of range or "
                     "order", i);
            return -1;
        }

        for (k = 0; k < u->ntechsums; k++) {
            if (tix->techsums[u->techsums + k].tech >= h->ntechs) {
                snprintf(err, errlen, "threat index: unit %u has a "
                         "technique out of range", i);
                return -1;
            }
        }

        for (k = 0; k < u->ncounts; k++) {
            c = &tix->counts[u->counts + k];
            max = c->kind == ATTCK_TIX_TACTIC ? h->ntactics : h->nstrs;

            if (c->kind >= ATTCK_TIX_NKINDS || c->key >= max) {
                snprintf(err, errlen, "threat index: unit %u has a value "
                         "out of range", i);
                return -1;
            }
        }
    }

    return 0;
}


/* a before b: newest first, then the larger id */

static int
attck_tix_newer(const attck_tix_threat_t *a, const attck_tix_threat_t *b)
{
    return a->seen > b->seen || (a->seen == b->seen && a->id > b->id);
}


int
attck_tix_of(attck_tix_t *tix, const attck_snap_t *snap)
{
    char  err[160];

    if (snap->header->threats.len == 0) {
        return -1;
    }

    return attck_tix_open(tix, snap->base + snap->header->threats.off,
                          snap->header->threats.len, ATTCK_SNAP_TRUSTED, err,
                          sizeof(err));
}


uint32_t
attck_tix_until(const attck_tix_t *tix, int64_t until)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = tix->header->nthreats;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (tix->threats[mid].seen >= until) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


uint32_t
attck_tix_unit_until(const attck_tix_t *tix, int64_t until)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = tix->header->nunits;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (tix->units[mid].day >= until) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


uint32_t
attck_tix_find(const attck_tix_t *tix, int64_t id)
{
    uint32_t  lo, hi, mid;
    int64_t   v;

    lo = 0;
    hi = tix->header->nthreats;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = tix->threats[tix->byid[mid]].id;

        if (v == id) {
            return tix->byid[mid];
        }

        if (v < id) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return ATTCK_TIX_NONE;
}


uint32_t
attck_tix_tech(const attck_tix_t *tix, const char *id, size_t len)
{
    int                      c;
    uint32_t                 lo, hi, mid;
    const attck_snap_str_t  *s;

    lo = 0;
    hi = tix->header->ntechs;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        s = &tix->techs[mid].id;

        c = memcmp(attck_tix_bytes(tix, *s), id, s->len < len ? s->len : len);

        if (c == 0) {
            c = (s->len > len) - (s->len < len);
        }

        if (c == 0) {
            return mid;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return ATTCK_TIX_NONE;
}


/* writer */

attck_tix_writer_t *
attck_tix_writer_create(void)
{
    attck_tix_writer_t  *w;

    w = calloc(1, sizeof(attck_tix_writer_t));
    if (w == NULL) {
        return NULL;
    }

    w->nslots = 1024;
    w->slots = calloc(w->nslots, sizeof(uint32_t));

    if (w->slots == NULL) {
        free(w);
        return NULL;
    }

    return w;
}


void
attck_tix_writer_destroy(attck_tix_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    free(w->threats.data);
    free(w->maps.data);
    free(w->vals.data);
    free(w->techs.data);
    free(w->tactics.data);
    free(w->strs.data);
    free(w->text.data);
    free(w->out.data);
    free(w->slots);
    free(w);
}


static void
attck_tix_add(attck_tix_writer_t *w, attck_tix_buf_t *b, const void *data,
    size_t len)
{
    size_t          cap;
    unsigned char  *p;

    if (b->len + len > b->cap) {
        cap = b->cap ? b->cap : 4096;

        while (cap < b->len + len) {
            cap *= 2;
        }

        p = realloc(b->data, cap);
        if (p == NULL) {
            w->failed = 1;
            return;
        }

        b->data = p;
        b->cap = cap;
    }

    if (data) {
        memcpy(b->data + b->len, data, len);

    } else {
        memset(b->data + b->len, 0, len);
    }

    b->len += len;
}


/* bytes in text, relative to the text (rebased at finish) */

static attck_snap_str_t
attck_tix_text(attck_tix_writer_t *w, const char *s)
{
    size_t            len;
    attck_snap_str_t  str;

    len = s ? strlen(s) : 0;

    str.off = (uint32_t) w->text.len;
    str.len = (uint32_t) len;

    attck_tix_add(w, &w->text, s, len);

    return str;
}


uint32_t
attck_tix_writer_str(attck_tix_writer_t *w, const char *s, size_t len)
{
    uint32_t           h, i, j, n, *slots, nslots;
    attck_snap_str_t   str, *strs;

    h = attck_snap_hash(s, len);
    strs = (attck_snap_str_t *) w->strs.data;
    n = (uint32_t) (w->strs.len / sizeof(attck_snap_str_t));

    for (i = h & (w->nslots - 1); w->slots[i];
         i = (i + 1) & (w->nslots - 1))
    {
        str = strs[w->slots[i] - 1];

        if (str.len == len && memcmp(w->text.data + str.off, s, len) == 0) {
            return w->slots[i] - 1;
        }
    }

    /* a load factor of at most one half */

    if (2 * (n + 1) > w->nslots) {
        nslots = w->nslots * 2;
        slots = calloc(nslots, sizeof(uint32_t));

        if (slots == NULL) {
            w->failed = 1;
            return 0;
        }

        for (j = 0; j < n; j++) {
            str = strs[j];

            for (i = attck_snap_hash((const char *) w->text.data + str.off,
                                     str.len) & (nslots - 1);
                 slots[i];
                 i = (i + 1) & (nslots - 1))
            { /* void */ }

            slots[i] = j + 1;
        }

        free(w->slots);
        w->slots = slots;
        w->nslots = nslots;

        for (i = h & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1)) {
            /* void */
        }
    }

    str.off = (uint32_t) w->text.len;
    str.len = (uint32_t) len;
    attck_tix_add(w, &w->text, s, len);
    attck_tix_add(w, &w->strs, &str, sizeof(attck_snap_str_t));

    w->slots[i] = n + 1;

    return n;
}


uint32_t
attck_tix_writer_tactic(attck_tix_writer_t *w, const char *id,
    const char *shortname, const char *name, uint32_t domains)
{
    attck_tix_tactic_t  t;

    if (w->tactics.len / sizeof(attck_tix_tactic_t)
        >= ATTCK_TIX_MAX_TACTICS)
    {
        w->failed = 1;
        return ATTCK_TIX_NONE;
    }

    memset(&t, 0, sizeof(attck_tix_tactic_t));

    t.id = attck_tix_text(w, id);
    t.shortname = attck_tix_text(w, shortname);
    t.name = attck_tix_text(w, name);
    t.domains = domains;

    attck_tix_add(w, &w->tactics, &t, sizeof(attck_tix_tactic_t));

    return (uint32_t) (w->tactics.len / sizeof(attck_tix_tactic_t)) - 1;
}


uint32_t
attck_tix_writer_tech(attck_tix_writer_t *w, const char *id,
    const char *name, uint32_t parent, uint32_t domains,
    const uint32_t *tactics, uint32_t ntactics)
{
    attck_tix_tech_t  t;

    /* a mapping names its technique in 16 bits */

    if (w->techs.len / sizeof(attck_tix_tech_t) >= 65536) {
        w->failed = 1;
        return ATTCK_TIX_NONE;
    }

    memset(&t, 0, sizeof(attck_tix_tech_t));

    t.id = attck_tix_text(w, id);
    t.name = attck_tix_text(w, name);
    t.parent = parent;
    t.domains = domains;
    t.tactics = (uint32_t) (w->vals.len / sizeof(uint32_t));
    t.ntactics = ntactics;

    attck_tix_add(w, &w->vals, tactics, ntactics * sizeof(uint32_t));
    attck_tix_add(w, &w->techs, &t, sizeof(attck_tix_tech_t));

    return (uint32_t) (w->techs.len / sizeof(attck_tix_tech_t)) - 1;
}


uint32_t
attck_tix_writer_find(attck_tix_writer_t *w, const char *id)
{
    int                      c;
    size_t                   len;
    uint32_t                 lo, hi, mid;
    const attck_tix_tech_t  *t;

    len = strlen(id);
    t = (const attck_tix_tech_t *) w->techs.data;
    lo = 0;
    hi = (uint32_t) (w->techs.len / sizeof(attck_tix_tech_t));

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        c = memcmp(w->text.data + t[mid].id.off, id,
                   t[mid].id.len < len ? t[mid].id.len : len);

        if (c == 0) {
            c = (t[mid].id.len > len) - (t[mid].id.len < len);
        }

        if (c == 0) {
            return mid;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return ATTCK_TIX_NONE;
}


int
attck_tix_writer_threat(attck_tix_writer_t *w, const attck_tix_threat_t *t,
    const attck_tix_map_t *maps, const uint32_t *vals)
{
    size_t              n;
    attck_tix_threat_t  th;

    th = *t;
    n = (size_t) t->ncountries + t->ntags + t->nmalware;

    th.maps = (uint32_t) (w->maps.len / sizeof(attck_tix_map_t));
    th.vals = (uint32_t) (w->vals.len / sizeof(uint32_t));

    attck_tix_add(w, &w->maps, maps, t->nmaps * sizeof(attck_tix_map_t));
    attck_tix_add(w, &w->vals, vals, n * sizeof(uint32_t));
    attck_tix_add(w, &w->threats, &th, sizeof(attck_tix_threat_t));

    return w->failed ? -1 : 0;
}


/* an array into out, aligned: its offset */

static uint32_t
attck_tix_place(attck_tix_writer_t *w, attck_tix_buf_t *b, uint32_t n,
    size_t elt)
{
    size_t  off;

    off = w->out.len;

    attck_tix_add(w, &w->out, b->data, (size_t) n * elt);
    attck_tix_add(w, &w->out, NULL, ATTCK_TIX_ALIGN(w->out.len) - w->out.len);

    return (uint32_t) off;
}


static const attck_tix_threat_t  *attck_tix_sort_base;


/*
 * A technique's posts, given newest id first, put best score first, the
 * order of equal scores kept: a stable LSD radix sort on the scores' bits
 * (non-negative floats order as their bits do), 8 bits a pass.  A
 * comparison sort would read each threat's id for every comparison, all
 * over the threats, at a million threats most of a publish.
 */

static uint32_t
attck_tix_score_key(float score)
{
    uint32_t  key;

    memcpy(&key, &score, 4);

    return score > 0 ? ~key : 0xffffffff;       /* best first; -0 is 0 */
}


static void
attck_tix_by_score(attck_tix_post_t *posts, attck_tix_post_t *tmp,
    uint32_t n)
{
    uint32_t           i, shift, key, count[256], sum, c;
    attck_tix_post_t  *from, *to, *t;

    if (n < 2) {
        return;
    }

    from = posts;
    to = tmp;

    for (shift = 0; shift < 32; shift += 8) {
        memset(count, 0, sizeof(count));

        for (i = 0; i < n; i++) {
            key = attck_tix_score_key(from[i].score);
            count[(key >> shift) & 0xff]++;
        }

        if (count[(key >> shift) & 0xff] == n) {
            continue;                           /* the same byte in all */
        }

        for (i = 0, sum = 0; i < 256; i++) {
            c = count[i];
            count[i] = sum;
            sum += c;
        }

        for (i = 0; i < n; i++) {
            key = attck_tix_score_key(from[i].score);
            to[count[(key >> shift) & 0xff]++] = from[i];
        }

        t = from;
        from = to;
        to = t;
    }

    if (from != posts) {
        memcpy(posts, from, n * sizeof(attck_tix_post_t));
    }
}


static int
attck_tix_by_id(const void *a, const void *b)
{
    int64_t  x, y;

    x = attck_tix_sort_base[*(const uint32_t *) a].id;
    y = attck_tix_sort_base[*(const uint32_t *) b].id;

    return (x > y) - (x < y);
}


/*
 * The units: per day (newest first) and source, the counts threats/stats
 * gives for them without filters, as it counts them (a value a threat
 * lists twice once, a tactic or a parent once a threat)
 */

#define attck_tix_day(seen)                                                 \
    ((seen) >= 0 ? (seen) / 86400 : -((-(seen) + 86399) / 86400))

static int
attck_tix_units(attck_tix_writer_t *w, attck_tix_header_t *h)
{
    int64_t               day;
    uint32_t              a, b, i, k, j, v, fam, src, n, ntouched, kind;
    uint32_t              ntechs, nstrs, ntac, nt, first, nv, size;
    uint32_t             *tcount, *incl, *tstamp, *vcount, *vstamp;
    uint32_t             *touched, *ttouched;
    float                *best;
    double               *sum;
    attck_tix_buf_t       units, techsums, counts;
    attck_tix_unit_t      u;
    attck_tix_techsum_t   ts;
    attck_tix_count_t     c;
    attck_tix_map_t      *m;
    attck_tix_tech_t     *t;
    attck_tix_threat_t   *th;
    uint32_t             *vals;
    int                   rc;

    n = (uint32_t) (w->threats.len / sizeof(attck_tix_threat_t));
    ntechs = (uint32_t) (w->techs.len / sizeof(attck_tix_tech_t));
    ntac = (uint32_t) (w->tactics.len / sizeof(attck_tix_tactic_t));
    nstrs = (uint32_t) (w->strs.len / sizeof(attck_snap_str_t));
    th = (attck_tix_threat_t *) w->threats.data;
    m = (attck_tix_map_t *) w->maps.data;
    t = (attck_tix_tech_t *) w->techs.data;
    vals = (uint32_t *) w->vals.data;

    /* per value kind and key: counts and stamps; tactics after strings */

    size = nstrs > ntac ? nstrs : ntac;

    tcount = calloc((size_t) ntechs * 3 + 1, sizeof(uint32_t));
    best = calloc((size_t) ntechs + 1, sizeof(float));
    sum = calloc((size_t) ntechs + 1, sizeof(double));
    vcount = calloc((size_t) ATTCK_TIX_NKINDS * size + 1, sizeof(uint32_t));
    vstamp = calloc((size_t) ATTCK_TIX_NKINDS * size + 1, sizeof(uint32_t));
    touched = malloc(((size_t) ATTCK_TIX_NKINDS * size + 1)
                     * sizeof(uint32_t));
    ttouched = malloc(((size_t) ntechs + 1) * sizeof(uint32_t));

    memset(&units, 0, sizeof(attck_tix_buf_t));
    memset(&techsums, 0, sizeof(attck_tix_buf_t));
    memset(&counts, 0, sizeof(attck_tix_buf_t));

    rc = -1;

    if (tcount == NULL || best == NULL || sum == NULL || vcount == NULL
        || vstamp == NULL || touched == NULL || ttouched == NULL)
    {
        goto done;
    }

    incl = tcount + ntechs;
    tstamp = incl + ntechs;

    for (a = 0; a < n; a = b) {
        day = attck_tix_day(th[a].seen);

        for (b = a; b < n && attck_tix_day(th[b].seen) == day; b++) {
            /* void */
        }

        for (src = 0; src < ATTCK_TIX_NSOURCES; src++) {
            memset(&u, 0, sizeof(attck_tix_unit_t));
            u.first = INT64_MAX;
            u.last = INT64_MIN;
            u.day = (int32_t) day;
            u.source = src;
            ntouched = 0;
            nt = 0;

            for (i = a; i < b; i++) {
                if (th[i].source != src) {
                    continue;
                }

                u.threats++;
                u.mapped += th[i].nmaps > 0;
                u.first = th[i].seen < u.first ? th[i].seen : u.first;
                u.last = th[i].seen > u.last ? th[i].seen : u.last;

                if (th[i].type != ATTCK_TIX_NONE) {
                    k = ATTCK_TIX_TYPE * size + th[i].type;

                    if (vcount[k]++ == 0) {
                        touched[ntouched++] = k;
                    }
                }

                first = 0;

                for (kind = ATTCK_TIX_COUNTRY; kind <= ATTCK_TIX_MALWARE;
                     kind++)
                {
                    nv = kind == ATTCK_TIX_COUNTRY ? th[i].ncountries
                         : kind == ATTCK_TIX_TAG ? th[i].ntags
                         : th[i].nmalware;

                    for (j = 0; j < nv; j++) {
                        k = kind * size + vals[th[i].vals + first + j];

                        if (vstamp[k] != i + 1) {
                            vstamp[k] = i + 1;

                            if (vcount[k]++ == 0) {
                                touched[ntouched++] = k;
                            }
                        }
                    }

                    first += nv;
                }

                for (j = 0; j < th[i].nmaps; j++) {
                    k = m[th[i].maps + j].tech;

                    if (tcount[k] == 0 && incl[k] == 0) {
                        ttouched[nt++] = k;
                    }

                    if (tcount[k] == 0 || m[th[i].maps + j].score > best[k]) {
                        best[k] = m[th[i].maps + j].score;
                    }

                    tcount[k]++;
                    sum[k] += m[th[i].maps + j].score;

                    fam = t[k].parent == ATTCK_TIX_NONE ? k : t[k].parent;

                    if (tstamp[fam] != i + 1) {
                        tstamp[fam] = i + 1;

                        if (tcount[fam] == 0 && incl[fam] == 0) {
                            ttouched[nt++] = fam;
                        }

                        incl[fam]++;
                    }

                    for (v = 0; v < t[k].ntactics; v++) {
                        kind = ATTCK_TIX_TACTIC * size
                               + vals[t[k].tactics + v];

                        if (vstamp[kind] != i + 1) {
                            vstamp[kind] = i + 1;

                            if (vcount[kind]++ == 0) {
                                touched[ntouched++] = kind;
                            }
                        }
                    }
                }
            }

            if (u.threats == 0) {
                continue;
            }

            u.techsums = (uint32_t) (techsums.len
                                     / sizeof(attck_tix_techsum_t));
            u.ntechsums = nt;

            for (j = 0; j < nt; j++) {
                k = ttouched[j];
                ts.tech = k;
                ts.count = tcount[k];
                ts.incl = incl[k];
                ts.best = best[k];
                ts.sum = sum[k];
                attck_tix_add(w, &techsums, &ts, sizeof(ts));
                tcount[k] = 0;
                incl[k] = 0;
                sum[k] = 0;
            }

            u.counts = (uint32_t) (counts.len / sizeof(attck_tix_count_t));
            u.ncounts = ntouched;

            for (j = 0; j < ntouched; j++) {
                k = touched[j];
                c.kind = k / size;
                c.key = k % size;
                c.count = vcount[k];
                attck_tix_add(w, &counts, &c, sizeof(c));
                vcount[k] = 0;
            }

            attck_tix_add(w, &units, &u, sizeof(u));
        }
    }

    h->nunits = (uint32_t) (units.len / sizeof(attck_tix_unit_t));
    h->units = attck_tix_place(w, &units, h->nunits,
                               sizeof(attck_tix_unit_t));
    h->ntechsums = (uint32_t) (techsums.len / sizeof(attck_tix_techsum_t));
    h->techsums = attck_tix_place(w, &techsums, h->ntechsums,
                                  sizeof(attck_tix_techsum_t));
    h->ncounts = (uint32_t) (counts.len / sizeof(attck_tix_count_t));
    h->counts = attck_tix_place(w, &counts, h->ncounts,
                                sizeof(attck_tix_count_t));

    rc = w->failed ? -1 : 0;

done:

    free(tcount);
    free(best);
    free(sum);
    free(vcount);
    free(vstamp);
    free(touched);
    free(ttouched);
    free(units.data);
    free(techsums.data);
    free(counts.data);

    return rc;
}


int
attck_tix_writer_finish(attck_tix_writer_t *w, const void **data,
    size_t *size)
{
    uint32_t             i, n, *byid;
    attck_tix_tech_t    *t;
    attck_tix_tactic_t  *c;
    attck_snap_str_t    *s;
    attck_tix_header_t   h;

    memset(&h, 0, sizeof(attck_tix_header_t));

    n = (uint32_t) (w->threats.len / sizeof(attck_tix_threat_t));

    byid = malloc((n ? n : 1) * sizeof(uint32_t));
    if (byid == NULL || w->failed) {
        free(byid);
        return -1;
    }

    for (i = 0; i < n; i++) {
        byid[i] = i;
    }

    attck_tix_sort_base = (const attck_tix_threat_t *) w->threats.data;
    qsort(byid, n, sizeof(uint32_t), attck_tix_by_id);

    w->out.len = 0;
    attck_tix_add(w, &w->out, NULL, sizeof(attck_tix_header_t));

    h.nthreats = n;
    h.threats = attck_tix_place(w, &w->threats, n,
                                sizeof(attck_tix_threat_t));

    {
        attck_tix_buf_t  b = { (unsigned char *) byid, 0, 0 };

        h.byid = attck_tix_place(w, &b, n, sizeof(uint32_t));
    }

    h.nmaps = (uint32_t) (w->maps.len / sizeof(attck_tix_map_t));
    h.maps = attck_tix_place(w, &w->maps, h.nmaps, sizeof(attck_tix_map_t));
    h.nvals = (uint32_t) (w->vals.len / sizeof(uint32_t));
    h.vals = attck_tix_place(w, &w->vals, h.nvals, sizeof(uint32_t));

    /* each technique's threats, by a counting sort, then by score */

    h.ntechs = (uint32_t) (w->techs.len / sizeof(attck_tix_tech_t));

    {
        uint32_t            k, j, x, *next, most;
        attck_tix_map_t    *m;
        attck_tix_post_t   *posts, *tmp;
        attck_tix_threat_t *th;
        attck_tix_buf_t     b;

        posts = malloc((h.nmaps ? h.nmaps : 1) * sizeof(attck_tix_post_t));
        next = calloc(h.ntechs + 1, sizeof(uint32_t));

        if (posts == NULL || next == NULL) {
            free(posts);
            free(next);
            free(byid);
            return -1;
        }

        t = (attck_tix_tech_t *) w->techs.data;
        m = (attck_tix_map_t *) w->maps.data;
        th = (attck_tix_threat_t *) w->threats.data;

        for (k = 0; k < h.nmaps; k++) {
            t[m[k].tech].nposts++;
        }

        most = 1;

        for (j = 0, k = 0; j < h.ntechs; j++) {
            t[j].posts = k;
            next[j] = k;
            k += t[j].nposts;
            most = t[j].nposts > most ? t[j].nposts : most;
        }

        tmp = malloc(most * sizeof(attck_tix_post_t));

        if (tmp == NULL) {
            free(posts);
            free(next);
            free(byid);
            return -1;
        }

        /* newest id first (byid backwards), then by score, stably */

        for (x = n; x-- > 0; ) {
            i = byid[x];

            for (k = 0; k < th[i].nmaps; k++) {
                j = m[th[i].maps + k].tech;
                posts[next[j]].threat = i;
                posts[next[j]].score = m[th[i].maps + k].score;
                next[j]++;
            }
        }

        for (j = 0; j < h.ntechs; j++) {
            attck_tix_by_score(posts + t[j].posts, tmp, t[j].nposts);
        }

        free(tmp);

        b.data = (unsigned char *) posts;
        h.posts = attck_tix_place(w, &b, h.nmaps, sizeof(attck_tix_post_t));

        free(posts);
        free(next);
        free(byid);
    }

    if (attck_tix_units(w, &h) != 0) {
        return -1;
    }

    /* strings now know where the text goes */
    h.ntactics = (uint32_t) (w->tactics.len / sizeof(attck_tix_tactic_t));
    h.nstrs = (uint32_t) (w->strs.len / sizeof(attck_snap_str_t));

    h.techs = (uint32_t) w->out.len;
    h.tactics = (uint32_t) ATTCK_TIX_ALIGN(h.techs + w->techs.len);
    h.strs = (uint32_t) ATTCK_TIX_ALIGN(h.tactics + w->tactics.len);
    h.text = (uint32_t) ATTCK_TIX_ALIGN(h.strs + w->strs.len);
    h.ntext = (uint32_t) w->text.len;

    for (i = 0; i < h.ntechs; i++) {
        t = (attck_tix_tech_t *) w->techs.data + i;
        t->id.off += h.text;
        t->name.off += h.text;
    }

    for (i = 0; i < h.ntactics; i++) {
        c = (attck_tix_tactic_t *) w->tactics.data + i;
        c->id.off += h.text;
        c->shortname.off += h.text;
        c->name.off += h.text;
    }

    for (i = 0; i < h.nstrs; i++) {
        s = (attck_snap_str_t *) w->strs.data + i;
        s->off += h.text;
    }

    (void) attck_tix_place(w, &w->techs, h.ntechs, sizeof(attck_tix_tech_t));
    (void) attck_tix_place(w, &w->tactics, h.ntactics,
                           sizeof(attck_tix_tactic_t));
    (void) attck_tix_place(w, &w->strs, h.nstrs, sizeof(attck_snap_str_t));
    (void) attck_tix_place(w, &w->text, h.ntext, 1);

    if (w->failed || w->out.len > UINT32_MAX) {
        return -1;
    }

    memcpy(h.magic, ATTCK_TIX_MAGIC, 8);
    h.version = ATTCK_TIX_VERSION;
    h.size = w->out.len;
    h.crc = attck_snap_crc32(w->out.data + sizeof(attck_tix_header_t),
                             w->out.len - sizeof(attck_tix_header_t));
    memcpy(w->out.data, &h, sizeof(attck_tix_header_t));

    *data = w->out.data;
    *size = w->out.len;

    return 0;
}
