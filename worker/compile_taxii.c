
/*
 * attck-worker compile --taxii: every object of every bundle, as its
 * bytes in the bundle, with an index a TAXII server pages, filters and
 * looks up by id in without parsing JSON (snapshot/attck_taxii.h).
 *
 * date_added of an ATT&CK object is when MITRE published its release:
 * the "modified" of the bundle's x-mitre-collection.  The same data
 * always gives the same index, on every host, so that next tokens (which
 * carry the content hash) are good on every instance.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_taxii.h"
#include "compile_diff.h"
#include "compile_taxii.h"


int      attck_compile_taxii;
json_t  *attck_compile_taxii_threats;


typedef struct {
    const char  *start;
    size_t       len;
} attck_span_t;


typedef struct {
    const char  *view;
    char        *json;             /* one collection resource */
} attck_taxii_coll_t;


static const char *attck_taxii_skip_ws(const char *p, const char *end);
static const char *attck_taxii_skip(const char *p, const char *end);
static size_t attck_taxii_spans(const char *raw, size_t len,
    attck_span_t **spans);
static void attck_taxii_collection(attck_bundle_t *b, const char *view,
    const char *index, size_t ilen, const char *coll, attck_vec_t *docs);
static void attck_taxii_doc(attck_vec_t *docs, const char *view,
    const char *key, const char *body, size_t len);
static int attck_taxii_by_id(const void *a, const void *b);
static int attck_taxii_by_added(const void *a, const void *b);


/* what the qsort comparators read */
static const attck_taxii_obj_t  *attck_taxii_sorting;
static const char              **attck_taxii_ids;


static const char *
attck_taxii_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


/* past one JSON value that jansson has read already; NULL if cut short */

static const char *
attck_taxii_skip(const char *p, const char *end)
{
    int  depth, in_str;

    depth = 0;
    in_str = 0;

    for ( /* void */ ; p < end; p++) {
        if (in_str) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                in_str = 0;

                if (depth == 0) {
                    return p + 1;
                }
            }

            continue;
        }

        switch (*p) {
        case '"':
            in_str = 1;
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            if (depth == 0) {
                return p;       /* the end of a scalar before it */
            }

            if (--depth == 0) {
                return p + 1;
            }

            break;
        case ',':
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            if (depth == 0) {
                return p;
            }

            break;
        }
    }

    return depth == 0 && !in_str ? p : NULL;
}


/*
 * The spans of the elements of the bundle's top-level "objects" array (the
 * last one, as jansson keeps the last of two equal keys); 0 if none.
 */

static size_t
attck_taxii_spans(const char *raw, size_t len, attck_span_t **spans)
{
    size_t       n, cap;
    const char  *p, *end, *key, *v, *objects;

    end = raw + len;
    p = attck_taxii_skip_ws(raw, end);
    objects = NULL;

    if (p == end || *p != '{') {
        return 0;
    }

    p++;

    for ( ;; ) {
        p = attck_taxii_skip_ws(p, end);

        if (p == end || *p != '"') {
            return 0;
        }

        key = p;
        p = attck_taxii_skip(p, end);

        if (p == NULL) {
            return 0;
        }

        p = attck_taxii_skip_ws(p, end);

        if (p == end || *p != ':') {
            return 0;
        }

        v = attck_taxii_skip_ws(p + 1, end);

        if (p - key == 9 && memcmp(key, "\"objects\"", 9) == 0) {
            objects = v;
        }

        p = attck_taxii_skip(v, end);

        if (p == NULL) {
            return 0;
        }

        p = attck_taxii_skip_ws(p, end);

        if (p < end && *p == ',') {
            p++;
            continue;
        }

        break;
    }

    if (objects == NULL || *objects != '[') {
        return 0;
    }

    n = 0;
    cap = 1024;
    *spans = attck_xcalloc(cap, sizeof(attck_span_t));
    p = attck_taxii_skip_ws(objects + 1, end);

    while (p < end && *p != ']') {
        v = attck_taxii_skip(p, end);

        if (v == NULL || *p != '{') {
            free(*spans);
            return 0;
        }

        if (n == cap) {
            cap *= 2;
            *spans = realloc(*spans, cap * sizeof(attck_span_t));

            if (*spans == NULL) {
                attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
            }
        }

        (*spans)[n].start = p;
        (*spans)[n].len = (size_t) (v - p);
        n++;

        p = attck_taxii_skip_ws(v, end);

        if (p < end && *p == ',') {
            p = attck_taxii_skip_ws(p + 1, end);
        }
    }

    return n;
}


static void
attck_taxii_doc(attck_vec_t *docs, const char *view, const char *key,
    const char *body, size_t len)
{
    attck_extra_doc_t  *d;

    d = attck_vec_push(docs);
    d->view = view;
    d->key = attck_xstrdup(key);
    d->body = attck_xmalloc(len + 1);
    memcpy(d->body, body, len);
    d->body[len] = '\0';
    d->len = len;
}


static int
attck_taxii_by_id(const void *a, const void *b)
{
    int       c;
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;
    c = strcmp(attck_taxii_ids[x], attck_taxii_ids[y]);

    return c ? c : (x > y) - (x < y);
}


/* by date_added, then as the bundle lists them: the order pages follow */

static int
attck_taxii_by_added(const void *a, const void *b)
{
    const attck_taxii_obj_t  *x, *y;

    x = &attck_taxii_sorting[*(const uint32_t *) a];
    y = &attck_taxii_sorting[*(const uint32_t *) b];

    if (x->added != y->added) {
        return x->added < y->added ? -1 : 1;
    }

    return (x->object.off > y->object.off) - (x->object.off < y->object.off);
}


static void
attck_taxii_collection(attck_bundle_t *b, const char *view,
    const char *index, size_t ilen, const char *coll, attck_vec_t *docs)
{
    char  key[160];

    snprintf(key, sizeof(key), "taxii/index/%s", b->collection_id);
    attck_taxii_doc(docs, view, key, index, ilen);

    snprintf(key, sizeof(key), "taxii/collection/%s", b->collection_id);
    attck_taxii_doc(docs, view, key, coll, strlen(coll));
}


/*
 * The index of a collection's objects (snapshot/attck_taxii.h), their
 * bytes written into w: the spans of the bundle's text where there are
 * any, else each object serialised.  date_added: added_each[k], or added.
 */

static char *
attck_taxii_index(attck_snap_writer_t *w, const char *what, json_t *objects,
    attck_span_t *spans, size_t nspans, int64_t added,
    const int64_t *added_each, size_t *ilen)
{
    char                 *s, *index;
    size_t                k, len;
    json_t               *obj;
    uint32_t             *by_id, *order;
    uint64_t              hash;
    const char           *id, *v, *spec, *dash;
    const char          **ids, **vers, **sorted_ids;
    attck_taxii_obj_t    *recs;
    attck_taxii_index_t   hdr;

    recs = attck_xcalloc(json_array_size(objects) + 1,
                         sizeof(attck_taxii_obj_t));
    ids = attck_xcalloc(json_array_size(objects) + 1,
                        sizeof(char *));
    vers = attck_xcalloc(json_array_size(objects) + 1,
                         sizeof(char *));
    hash = attck_taxii_hash(ATTCK_TAXII_FNV, &added, sizeof(added));

    json_array_foreach(objects, k, obj) {
        attck_taxii_obj_t  *r = &recs[k];

        id = attck_json_str(obj, "id");
        v = attck_json_str(obj, "modified");

        if (v == NULL) {
            v = attck_json_str(obj, "created");
        }

        spec = attck_json_str(obj, "spec_version");
        dash = id ? strstr(id, "--") : NULL;

        if (dash == NULL || v == NULL
            || attck_taxii_time(v, strlen(v), &r->version) != 0)
        {
            attck_fatal(ATTCK_EXIT_DATAERR, "compile: %s: object %zu "
                        "(%s) has no STIX id or no RFC 3339 "
                        "modified/created, which TAXII needs",
                        what, k, id ? id : "no id");
        }

        if (nspans) {
            s = NULL;
            r->object = attck_snap_writer_str(w, spans[k].start,
                                              spans[k].len);
            hash = attck_taxii_hash(hash, spans[k].start, spans[k].len);

        } else {
            s = json_dumps(obj, JSON_COMPACT|JSON_PRESERVE_ORDER);

            if (s == NULL) {
                attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
            }

            r->object = attck_snap_writer_str(w, s, strlen(s));
            hash = attck_taxii_hash(hash, s, strlen(s));
            free(s);
        }

        /* the ',' that lets a run of objects go out as one buffer */

        attck_snap_writer_str(w, ",", 1);

        ids[k] = id;
        vers[k] = v;
        r->added = added_each ? added_each[k] : added;

        if (added_each) {
            hash = attck_taxii_hash(hash, &r->added, sizeof(r->added));
        }
        r->type_len = (uint32_t) (dash - id);
        r->spec = (spec && strcmp(spec, "2.0") != 0) ? 21 : 20;
    }

    /* after the objects, which lie one after the other */

    json_array_foreach(objects, k, obj) {
        recs[k].id = attck_snap_writer_str(w, ids[k], strlen(ids[k]));
        recs[k].ver = attck_snap_writer_str(w, vers[k], strlen(vers[k]));
    }

    len = json_array_size(objects);

    /*
     * Pages follow date_added, then the bundle's order; lookups by id
     * bisect a list of record numbers sorted by id.
     */

    {
        attck_taxii_obj_t  *sorted_recs;

        order = attck_xcalloc(len + 1, sizeof(uint32_t));

        for (k = 0; k < len; k++) {
            order[k] = (uint32_t) k;
        }

        attck_taxii_sorting = recs;
        qsort(order, len, sizeof(uint32_t), attck_taxii_by_added);

        sorted_recs = attck_xcalloc(len + 1, sizeof(attck_taxii_obj_t));
        sorted_ids = attck_xcalloc(len + 1, sizeof(char *));

        for (k = 0; k < len; k++) {
            sorted_recs[k] = recs[order[k]];
            sorted_ids[k] = ids[order[k]];
        }

        free(recs);
        recs = sorted_recs;

        by_id = attck_xcalloc(len + 1, sizeof(uint32_t));

        for (k = 0; k < len; k++) {
            by_id[k] = (uint32_t) k;
        }

        attck_taxii_ids = sorted_ids;
        qsort(by_id, len, sizeof(uint32_t), attck_taxii_by_id);

        free(order);
        free(sorted_ids);
    }

    hdr.magic = ATTCK_TAXII_MAGIC;
    hdr.n = (uint32_t) len;
    hdr.hash = hash;

    *ilen = sizeof(hdr) + len * sizeof(attck_taxii_obj_t)
            + len * sizeof(uint32_t);
    index = attck_xmalloc(*ilen);
    memcpy(index, &hdr, sizeof(hdr));
    memcpy(index + sizeof(hdr), recs, len * sizeof(attck_taxii_obj_t));
    memcpy(index + sizeof(hdr) + len * sizeof(attck_taxii_obj_t), by_id,
           len * sizeof(uint32_t));

    free(ids);
    free(vers);
    free(by_id);
    free(recs);

    return index;
}


void
attck_compile_taxii_docs(attck_snap_writer_t *w, attck_bundle_t **sorted,
    size_t n, attck_vec_t *docs)
{
    int                   in_first;
    char                 *s, *coll, *index, ver[ATTCK_TAXII_MAX_TIME];
    size_t                i, j, nspans, len, ilen, ncolls;
    json_t               *list;
    int64_t               added;
    unsigned              seen;
    const char           *stamp;
    attck_span_t         *spans;
    attck_taxii_coll_t   *colls;

    colls = attck_xcalloc(2 * n + 2, sizeof(attck_taxii_coll_t));
    ncolls = 0;
    seen = 0;

    for (i = 0; i < n; i++) {
        attck_bundle_t  *b = sorted[i];

        /* a release given twice: the view keeps the first (compile.c) */

        for (j = 0; j < i; j++) {
            if (sorted[j]->domain_bit == b->domain_bit
                && strcmp(sorted[j]->version, b->version) == 0)
            {
                break;
            }
        }

        if (j < i || b->collection_id == NULL) {
            continue;
        }

        in_first = !(seen & b->domain_bit);
        seen |= b->domain_bit;

        stamp = b->modified;
        added = 0;

        if (stamp == NULL || attck_taxii_time(stamp, strlen(stamp), &added)
                             != 0)
        {
            attck_fatal(ATTCK_EXIT_DATAERR, "compile: %s: the collection's "
                        "\"modified\" is not an RFC 3339 time, which TAXII's "
                        "date_added needs", b->source);
        }

        spans = NULL;
        nspans = b->raw ? attck_taxii_spans(b->raw, b->raw_len, &spans) : 0;

        if (b->raw && nspans != json_array_size(b->objects)) {
            attck_log("warn", "%s: objects not found in the bundle's text, "
                      "TAXII serves them serialised again", b->source);

            if (nspans) {
                free(spans);
            }

            nspans = 0;
        }

        index = attck_taxii_index(w, b->source, b->objects, spans, nspans,
                                  added, NULL, &ilen);
        len = json_array_size(b->objects);

        if (nspans) {
            free(spans);
        }

        attck_taxii_time_format(ver, added);

        coll = json_dumps(json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}",
                                    "id", b->collection_id,
                                    "title", b->name ? b->name : b->domain,
                                    "description",
                                    attck_json_str(b->collection,
                                                   "description")
                                    ? attck_json_str(b->collection,
                                                     "description")
                                    : "",
                                    "can_read", 1, "can_write", 0,
                                    "media_types",
                                    "application/stix+json;version=2.1"),
                          JSON_COMPACT|JSON_PRESERVE_ORDER);

        if (coll == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        attck_taxii_collection(b, b->version, index, ilen, coll, docs);
        colls[ncolls].view = b->version;
        colls[ncolls++].json = attck_xstrdup(coll);

        if (in_first && strcmp(b->version, sorted[0]->version) != 0) {
            attck_taxii_collection(b, sorted[0]->version, index, ilen,
                                   coll, docs);
            colls[ncolls].view = sorted[0]->version;
            colls[ncolls++].json = attck_xstrdup(coll);
        }

        attck_log("info", "taxii: %s %s: %zu objects, date_added %s",
                  b->domain, b->version, len, ver);

        free(coll);
        free(index);
    }

    /* our mapped threats, in the first view */

    if (attck_compile_taxii_threats && n) {
        json_t   *obj;
        int64_t  *each;

        len = json_array_size(attck_compile_taxii_threats);
        each = attck_xcalloc(len + 1, sizeof(int64_t));

        json_array_foreach(attck_compile_taxii_threats, j, obj) {
            stamp = attck_json_str(obj, "modified");

            if (stamp == NULL
                || attck_taxii_time(stamp, strlen(stamp), &each[j]) != 0)
            {
                attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: threat object "
                            "%zu has no RFC 3339 modified", j);
            }
        }

        index = attck_taxii_index(w, "threats", attck_compile_taxii_threats,
                                  NULL, 0, 0, each, &ilen);
        free(each);

        coll = json_dumps(json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}",
                                    "id", ATTCK_TAXII_THREATS_ID,
                                    "title", "attck mapped threats",
                                    "description", "Threat intelligence "
                                    "mapped to ATT&CK techniques: a report "
                                    "per threat, related-to each technique "
                                    "with x_attck_score and x_attck_method",
                                    "can_read", 1, "can_write", 0,
                                    "media_types",
                                    "application/stix+json;version=2.1"),
                          JSON_COMPACT|JSON_PRESERVE_ORDER);

        if (coll == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        attck_taxii_doc(docs, sorted[0]->version,
                        "taxii/index/" ATTCK_TAXII_THREATS_ID, index, ilen);
        attck_taxii_doc(docs, sorted[0]->version,
                        "taxii/collection/" ATTCK_TAXII_THREATS_ID, coll,
                        strlen(coll));
        colls[ncolls].view = sorted[0]->version;
        colls[ncolls++].json = coll;
        free(index);

        attck_log("info", "taxii: threats: %zu objects", len);
    }

    /* the collections resource of each view */

    for (i = 0; i < ncolls; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(colls[j].view, colls[i].view) == 0) {
                break;
            }
        }

        if (j < i) {
            continue;
        }

        list = json_array();

        for (j = i; j < ncolls; j++) {
            if (strcmp(colls[j].view, colls[i].view) == 0) {
                json_array_append_new(list, json_loads(colls[j].json, 0,
                                                       NULL));
            }
        }

        s = json_dumps(json_pack("{s:o}", "collections", list),
                       JSON_COMPACT|JSON_PRESERVE_ORDER);

        if (s == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        attck_taxii_doc(docs, colls[i].view, "taxii/collections", s,
                        strlen(s));
        free(s);
    }

    for (i = 0; i < ncolls; i++) {
        free(colls[i].json);
    }

    free(colls);
}
