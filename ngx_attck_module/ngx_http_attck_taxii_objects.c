
/*
 * ngx_http_attck_module: TAXII 2.1 objects, one object, its versions and
 * the manifest of a collection, filtered (match[id], match[type],
 * match[version], match[spec_version], added_after) and paged (limit,
 * next).
 *
 * A page is a chain of buffers that point at the objects' bytes in the
 * snapshot; objects stored one after the other go out as one buffer.
 * next is "HASH-POSITION": the collection's content hash and the record
 * to go on from.  It needs no state: any instance serving the same
 * content answers it, and a token of content no longer served is refused
 * with an error that says so.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_taxii.h"


typedef struct {
    ngx_str_t     ids[NGX_HTTP_ATTCK_TAXII_MAX_LIST];
    ngx_uint_t    nids;
    ngx_str_t     types[NGX_HTTP_ATTCK_TAXII_MAX_LIST];
    ngx_uint_t    ntypes;
    int64_t       versions[NGX_HTTP_ATTCK_TAXII_MAX_LIST];
    ngx_uint_t    nversions;     /* 0: every version */
    ngx_uint_t    specs;         /* bit 0: 2.0, bit 1: 2.1; 0: any */
    ngx_uint_t    has_added;
    int64_t       added_after;
    ngx_uint_t    limit;
    ngx_uint_t    pos;           /* the record to start from */
} ngx_http_attck_taxii_filter_t;


static ngx_int_t ngx_http_attck_taxii_filter(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_http_attck_taxii_filter_t *f);
static ngx_int_t ngx_http_attck_taxii_list(ngx_str_t *value, ngx_str_t *out,
    ngx_uint_t *n);
static ngx_int_t ngx_http_attck_taxii_match(ngx_http_attck_taxii_ctx_t *ctx,
    ngx_http_attck_taxii_filter_t *f, attck_taxii_obj_t *rec);
static ngx_uint_t ngx_http_attck_taxii_candidates(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_http_attck_taxii_filter_t *f,
    uint32_t **out);
static int ngx_libc_cdecl ngx_http_attck_taxii_cmp(const void *a,
    const void *b);
static ngx_int_t ngx_http_attck_taxii_add(ngx_http_request_t *r,
    ngx_chain_t ***last, u_char *pos, size_t len, ngx_uint_t memory,
    off_t *total);


static ngx_int_t
ngx_http_attck_taxii_list(ngx_str_t *value, ngx_str_t *out, ngx_uint_t *n)
{
    u_char  *p, *end, *comma;

    *n = 0;
    p = value->data;
    end = p + value->len;

    for ( ;; ) {
        comma = ngx_strlchr(p, end, ',');

        if (comma == NULL) {
            comma = end;
        }

        if (comma == p || *n == NGX_HTTP_ATTCK_TAXII_MAX_LIST) {
            return NGX_ERROR;
        }

        out[*n].data = p;
        out[(*n)++].len = comma - p;

        if (comma == end) {
            return NGX_OK;
        }

        p = comma + 1;
    }
}


static ngx_int_t
ngx_http_attck_taxii_filter(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_http_attck_taxii_filter_t *f)
{
    u_char      *p, *end;
    uint64_t     hash;
    ngx_int_t    n;
    ngx_str_t   *v, list[NGX_HTTP_ATTCK_TAXII_MAX_LIST];
    ngx_uint_t   i, nlist, any;

    ngx_memzero(f, sizeof(ngx_http_attck_taxii_filter_t));

    f->limit = NGX_HTTP_ATTCK_TAXII_LIMIT;

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_ADDED)) {
        v = &ctx->param[NGX_HTTP_ATTCK_TAXII_ADDED];

        if (attck_taxii_time((const char *) v->data, v->len, &f->added_after)
            != 0)
        {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "added_after is not an RFC "
                                              "3339 time such as "
                                              "2025-11-13T14:00:00.188Z");
        }

        f->has_added = 1;
    }

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_LIMIT_P)) {
        v = &ctx->param[NGX_HTTP_ATTCK_TAXII_LIMIT_P];
        n = (v->len > 0 && v->len <= 6) ? ngx_atoi(v->data, v->len)
                                        : NGX_ERROR;

        if (n < 1 || n > NGX_HTTP_ATTCK_TAXII_LIMIT_MAX) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "limit is a whole number from "
                                              "1 to %d",
                                              NGX_HTTP_ATTCK_TAXII_LIMIT_MAX);
        }

        f->limit = n;
    }

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_NEXT)) {
        v = &ctx->param[NGX_HTTP_ATTCK_TAXII_NEXT];
        p = v->data;
        end = p + v->len;
        hash = 0;

        for (i = 0; i < 16 && p < end; i++, p++) {
            if (*p >= '0' && *p <= '9') {
                hash = hash << 4 | (uint64_t) (*p - '0');

            } else if (*p >= 'a' && *p <= 'f') {
                hash = hash << 4 | (uint64_t) (*p - 'a' + 10);

            } else {
                break;
            }
        }

        n = (i == 16 && p < end && *p == '-' && end - p > 1 && end - p <= 11)
            ? ngx_atoi(p + 1, end - p - 1) : NGX_ERROR;

        if (n == NGX_ERROR) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "next is not a token this "
                                              "server gave");
        }

        if (hash != ctx->index.hash) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "next token expired",
                                              "the token is of content this "
                                              "server no longer serves (the "
                                              "snapshot changed since): "
                                              "start again without next");
        }

        if ((ngx_uint_t) n > ctx->index.n) {
            return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid parameter",
                                              "next is not a token this "
                                              "server gave");
        }

        f->pos = n;
    }

    if (ctx->object.len) {
        f->ids[0] = ctx->object;
        f->nids = 1;

    } else if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_ID)) {
        if (ngx_http_attck_taxii_list(&ctx->param[NGX_HTTP_ATTCK_TAXII_ID],
                                      f->ids, &f->nids)
            != NGX_OK)
        {
            goto bad_list;
        }
    }

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_TYPE)) {
        if (ngx_http_attck_taxii_list(&ctx->param[NGX_HTTP_ATTCK_TAXII_TYPE],
                                      f->types, &f->ntypes)
            != NGX_OK)
        {
            goto bad_list;
        }
    }

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_VERSION)) {
        if (ngx_http_attck_taxii_list(
                &ctx->param[NGX_HTTP_ATTCK_TAXII_VERSION], list, &nlist)
            != NGX_OK)
        {
            goto bad_list;
        }

        /*
         * A collection holds one version of each object: "last", "first"
         * and "all" each give it; a time gives the object of that version
         */

        any = 0;

        for (i = 0; i < nlist; i++) {
            if ((list[i].len == 4
                 && ngx_strncmp(list[i].data, "last", 4) == 0)
                || (list[i].len == 5
                    && ngx_strncmp(list[i].data, "first", 5) == 0)
                || (list[i].len == 3
                    && ngx_strncmp(list[i].data, "all", 3) == 0))
            {
                any = 1;
                continue;
            }

            if (attck_taxii_time((const char *) list[i].data, list[i].len,
                                 &f->versions[f->nversions])
                != 0)
            {
                return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "invalid parameter",
                                                  "match[version] is a list "
                                                  "of last, first, all and "
                                                  "RFC 3339 times");
            }

            f->nversions++;
        }

        if (any) {
            f->nversions = 0;
        }
    }

    if (ctx->given & (1 << NGX_HTTP_ATTCK_TAXII_SPEC)) {
        if (ngx_http_attck_taxii_list(&ctx->param[NGX_HTTP_ATTCK_TAXII_SPEC],
                                      list, &nlist)
            != NGX_OK)
        {
            goto bad_list;
        }

        for (i = 0; i < nlist; i++) {
            if (list[i].len == 3 && ngx_strncmp(list[i].data, "2.0", 3) == 0)
            {
                f->specs |= 1;

            } else if (list[i].len == 3
                       && ngx_strncmp(list[i].data, "2.1", 3) == 0)
            {
                f->specs |= 2;

            } else {
                return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "invalid parameter",
                                                  "match[spec_version] is a "
                                                  "list of 2.0 and 2.1");
            }
        }
    }

    return NGX_OK;

bad_list:

    return ngx_http_attck_taxii_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid parameter",
                                      "a match[] list has an empty value or "
                                      "more than %d",
                                      NGX_HTTP_ATTCK_TAXII_MAX_LIST);
}


static ngx_int_t
ngx_http_attck_taxii_match(ngx_http_attck_taxii_ctx_t *ctx,
    ngx_http_attck_taxii_filter_t *f, attck_taxii_obj_t *rec)
{
    ngx_uint_t   i;
    const char  *id;

    if (rec->object.len == 0 || rec->id.len == 0) {
        return 0;
    }

    if (f->has_added && rec->added <= f->added_after) {
        return 0;
    }

    if (f->specs && !(f->specs & (rec->spec == 20 ? 1 : 2))) {
        return 0;
    }

    id = attck_snap_bytes(ctx->snap, rec->id);

    if (f->ntypes) {
        for (i = 0; i < f->ntypes; i++) {
            if (f->types[i].len == rec->type_len
                && ngx_strncmp(f->types[i].data, id, rec->type_len) == 0)
            {
                break;
            }
        }

        if (i == f->ntypes) {
            return 0;
        }
    }

    if (f->nversions) {
        for (i = 0; i < f->nversions; i++) {
            if (f->versions[i] == rec->version) {
                break;
            }
        }

        if (i == f->nversions) {
            return 0;
        }
    }

    return 1;
}


static int ngx_libc_cdecl
ngx_http_attck_taxii_cmp(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


/*
 * The records an id filter allows, in page order, found by bisecting the
 * id list; NGX_ERROR (as a count) without memory.  Without ids: every
 * record, *out NULL.
 */

static ngx_uint_t
ngx_http_attck_taxii_candidates(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_http_attck_taxii_filter_t *f,
    uint32_t **out)
{
    int                 c;
    size_t              n;
    uint32_t            k, *list;
    ngx_uint_t          i, lo, hi, mid, count;
    attck_taxii_obj_t   rec;

    *out = NULL;

    if (f->nids == 0) {
        return ctx->index.n;
    }

    list = ngx_palloc(r->pool, f->nids * 4 * sizeof(uint32_t));
    if (list == NULL) {
        return (ngx_uint_t) NGX_ERROR;
    }

    count = 0;

    for (i = 0; i < f->nids; i++) {
        lo = 0;
        hi = ctx->index.n;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            ngx_memcpy(&k, ctx->by_id + mid * sizeof(uint32_t), 4);

            if (k >= ctx->index.n) {
                return 0;
            }

            ngx_http_attck_taxii_rec(ctx, k, &rec);

            n = ngx_min(rec.id.len, f->ids[i].len);
            c = ngx_memcmp(attck_snap_bytes(ctx->snap, rec.id),
                           f->ids[i].data, n);

            if (c == 0) {
                c = (rec.id.len > f->ids[i].len)
                    - (rec.id.len < f->ids[i].len);
            }

            if (c < 0) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        /* equal ids follow each other; four versions at most are kept */

        for ( /* void */ ; lo < ctx->index.n && count < (i + 1) * 4; lo++) {
            ngx_memcpy(&k, ctx->by_id + lo * sizeof(uint32_t), 4);

            if (k >= ctx->index.n) {
                break;
            }

            ngx_http_attck_taxii_rec(ctx, k, &rec);

            if (rec.id.len != f->ids[i].len
                || ngx_memcmp(attck_snap_bytes(ctx->snap, rec.id),
                              f->ids[i].data, rec.id.len) != 0)
            {
                break;
            }

            list[count++] = k;
        }
    }

    ngx_qsort(list, count, sizeof(uint32_t), ngx_http_attck_taxii_cmp);

    /* the same id asked for twice */

    for (i = 0, n = 0; i < count; i++) {
        if (n == 0 || list[n - 1] != list[i]) {
            list[n++] = list[i];
        }
    }

    *out = list;

    return n;
}


static ngx_int_t
ngx_http_attck_taxii_add(ngx_http_request_t *r, ngx_chain_t ***last,
    u_char *pos, size_t len, ngx_uint_t memory, off_t *total)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->pos = pos;
    b->last = pos + len;

    if (memory) {
        b->memory = 1;

    } else {
        b->temporary = 1;
    }

    cl->buf = b;
    cl->next = NULL;
    **last = cl;
    *last = &cl->next;
    *total += len;

    return NGX_OK;
}


ngx_int_t
ngx_http_attck_taxii_objects(ngx_http_request_t *r,
    ngx_http_attck_taxii_ctx_t *ctx, ngx_uint_t what)
{
    u_char                         *p, *head, *etag, *tmp, *run;
    size_t                          run_len, len;
    off_t                           total;
    int64_t                         first, lastt;
    uint32_t                       *cand;
    uint64_t                        h;
    ngx_int_t                       rc;
    ngx_uint_t                      i, k, n, ncand, count, more, next;
    ngx_chain_t                    *out, **last, *cl;
    ngx_table_elt_t                *hd;
    attck_taxii_obj_t               rec;
    ngx_http_attck_taxii_filter_t   f;

    rc = ngx_http_attck_taxii_filter(r, ctx, &f);

    /* an error is sent at once */

    if (rc != NGX_OK || r->header_sent) {
        return rc;
    }

    ncand = ngx_http_attck_taxii_candidates(r, ctx, &f, &cand);

    if (ncand == (ngx_uint_t) NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the head goes first, written once the page is known */

    out = ngx_alloc_chain_link(r->pool);
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    out->buf = ngx_calloc_buf(r->pool);
    if (out->buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    out->next = NULL;
    last = &out->next;
    total = 0;
    count = 0;
    more = 0;
    next = 0;
    first = 0;
    lastt = 0;
    run = NULL;
    run_len = 0;
    n = ctx->index.n;

    for (i = 0; i < ncand; i++) {
        k = cand ? cand[i] : i;

        if (k < f.pos || k >= n) {
            continue;
        }

        ngx_http_attck_taxii_rec(ctx, k, &rec);

        if (!ngx_http_attck_taxii_match(ctx, &f, &rec)) {
            continue;
        }

        if (count == f.limit) {
            more = 1;
            next = k;
            break;
        }

        if (count == 0) {
            first = rec.added;
        }

        lastt = rec.added;
        count++;

        switch (what) {

        case NGX_HTTP_ATTCK_TAXII_OBJECTS:
        case NGX_HTTP_ATTCK_TAXII_OBJECT:

            p = (u_char *) attck_snap_bytes(ctx->snap, rec.object);

            /* the object right after the last one and its ',' */

            if (run && run + run_len + 1 == p) {
                run_len += 1 + rec.object.len;
                break;
            }

            if (run) {
                if (ngx_http_attck_taxii_add(r, &last, run, run_len, 1,
                                             &total)
                    != NGX_OK
                    || ngx_http_attck_taxii_add(r, &last, (u_char *) ",", 1,
                                                1, &total)
                       != NGX_OK)
                {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
            }

            run = p;
            run_len = rec.object.len;
            break;

        case NGX_HTTP_ATTCK_TAXII_VERSIONS:

            len = rec.ver.len * 6 + 4;
            tmp = ngx_pnalloc(r->pool, len);

            if (tmp == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = tmp;

            if (count > 1) {
                *p++ = ',';
            }

            *p++ = '"';
            p = (u_char *) ngx_escape_json(p,
                           (u_char *) attck_snap_bytes(ctx->snap, rec.ver),
                           rec.ver.len);
            *p++ = '"';

            if (ngx_http_attck_taxii_add(r, &last, tmp, p - tmp, 0, &total)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            break;

        default: /* NGX_HTTP_ATTCK_TAXII_MANIFEST */

            len = sizeof(",{\"id\":\"\",\"date_added\":\"\",\"version\":\"\","
                         "\"media_type\":\"application/stix+json;"
                         "version=2.1\"}")
                  + rec.id.len * 6 + rec.ver.len * 6 + ATTCK_TAXII_MAX_TIME;
            tmp = ngx_pnalloc(r->pool, len);

            if (tmp == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = tmp;

            if (count > 1) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, "{\"id\":\"", 7);
            p = (u_char *) ngx_escape_json(p,
                           (u_char *) attck_snap_bytes(ctx->snap, rec.id),
                           rec.id.len);
            p = ngx_cpymem(p, "\",\"date_added\":\"", 16);
            p += attck_taxii_time_format((char *) p, rec.added);
            p = ngx_cpymem(p, "\",\"version\":\"", 13);
            p = (u_char *) ngx_escape_json(p,
                           (u_char *) attck_snap_bytes(ctx->snap, rec.ver),
                           rec.ver.len);
            p = ngx_sprintf(p, "\",\"media_type\":\"application/stix+json;"
                            "version=%s\"}", rec.spec == 20 ? "2.0" : "2.1");

            if (ngx_http_attck_taxii_add(r, &last, tmp, p - tmp, 0, &total)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (run
        && ngx_http_attck_taxii_add(r, &last, run, run_len, 1, &total)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (count == 0 && (what == NGX_HTTP_ATTCK_TAXII_OBJECT
                       || what == NGX_HTTP_ATTCK_TAXII_VERSIONS))
    {
        return ngx_http_attck_taxii_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                          "no such object in this "
                                          "collection (or none that the "
                                          "filters allow)");
    }

    /* the head, and the tail */

    head = ngx_pnalloc(r->pool, 96);
    if (head == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(head, "{\"more\":%s", more ? "true" : "false");

    if (more) {
        p = ngx_sprintf(p, ",\"next\":\"%016uxL-%ui\"", ctx->index.hash,
                        next);
    }

    if (count) {
        p = ngx_sprintf(p, ",\"%s\":[",
                        what == NGX_HTTP_ATTCK_TAXII_VERSIONS ? "versions"
                                                              : "objects");
    }

    out->buf->pos = head;
    out->buf->last = p;
    out->buf->temporary = 1;
    total += p - head;

    if (ngx_http_attck_taxii_add(r, &last,
                                 (u_char *) (count ? "]}" : "}"),
                                 count ? 2 : 1, 1, &total)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the headers */

    if (count) {
        tmp = ngx_pnalloc(r->pool, 2 * ATTCK_TAXII_MAX_TIME);
        if (tmp == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = attck_taxii_time_format((char *) tmp, first);

        if (ngx_http_attck_header(r, "X-TAXII-Date-Added-First", tmp, len)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = tmp + ATTCK_TAXII_MAX_TIME;
        len = attck_taxii_time_format((char *) p, lastt);

        if (ngx_http_attck_header(r, "X-TAXII-Date-Added-Last", p, len)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the page follows from the content and the request */

    h = attck_taxii_hash(ctx->index.hash, r->uri.data, r->uri.len);
    h = attck_taxii_hash(h, "?", 1);
    h = attck_taxii_hash(h, r->args.data, r->args.len);

    etag = ngx_pnalloc(r->pool, 20);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(etag, "\"%016uxL\"", h);

    hd = ngx_http_attck_header(r, "ETag", etag, 18);
    if (hd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.etag = hd;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_attck_taxii_type;
    r->headers_out.content_type_len = sizeof("application/taxii+json") - 1;
    r->headers_out.content_length_n = total;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    for (cl = out; cl->next; cl = cl->next) { /* void */ }

    cl->buf->last_buf = (r == r->main) ? 1 : 0;
    cl->buf->last_in_chain = 1;

    return ngx_http_output_filter(r, out);
}
