
/*
 * ngx_http_attck_module: the training overlay shared by the cyber-range
 * HTML matrix and layer (ngx_http_attck_cyberrange.c) and the JSON and
 * SVG matrices (ngx_http_attck_matrix.c): the definitions parsed from the
 * training services' answers, their dots sorted by cell, their labels and
 * colours.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_cyberrange.h"


static int ngx_libc_cdecl ngx_http_attck_cr_dot_cmp(const void *a,
    const void *b);


/* the dots of one cell: how many, from *first on (dots are sorted) */

ngx_uint_t
ngx_http_attck_cr_find(ngx_array_t *dots, u_char *key, size_t len,
    ngx_uint_t *first)
{
    ngx_uint_t                lo, hi, mid, n;
    ngx_http_attck_cr_dot_t  *dot;

    dot = dots->elts;
    lo = 0;
    hi = dots->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (ngx_memn2cmp(dot[mid].key, key, dot[mid].len, len) < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    for (n = lo; n < dots->nelts
                 && ngx_memn2cmp(dot[n].key, key, dot[n].len, len) == 0;
         n++)
    { /* void */ }

    *first = lo;

    return n - lo;
}


/* a definition's colour: golden-angle hues, so that any number differ */

u_char *
ngx_http_attck_cr_colour(u_char *p, ngx_uint_t def)
{
    return ngx_sprintf(p, "hsl(%ui,%ui%%,%ui%%)", (def * 137) % 360,
                       55 + (def % 3) * 15, 35 + (def / 3 % 3) * 12);
}


/*
 * The definitions of the sources that answered, and their dots sorted by
 * cell.  The parsed answers are kept in *docs (json_decref() it after);
 * on failure nothing is kept.
 */

ngx_int_t
ngx_http_attck_cr_overlay(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx,
    ngx_array_t *defs, ngx_array_t *dots, json_t **docs)
{
    size_t                       i, k, n;
    json_t                      *list, *d, *techs, *tk;
    ngx_uint_t                   s;
    const char                  *key;
    json_error_t                 je;
    ngx_http_attck_cr_def_t     *def;
    ngx_http_attck_cr_dot_t     *dot;
    ngx_http_attck_cr_source_t  *src;

    *docs = json_array();

    if (*docs == NULL
        || ngx_array_init(defs, r->pool, 16, sizeof(ngx_http_attck_cr_def_t))
           != NGX_OK
        || ngx_array_init(dots, r->pool, 64, sizeof(ngx_http_attck_cr_dot_t))
           != NGX_OK)
    {
        goto failed;
    }

    for (s = 0; s < ctx->nsources; s++) {
        src = &ctx->sources[s];

        if (src->status != NGX_HTTP_OK) {
            continue;
        }

        list = json_loadb((const char *) src->body.data, src->body.len, 0,
                          &je);

        if (!json_is_array(list)) {
            json_decref(list);
            src->status = NGX_HTTP_BAD_GATEWAY;
            src->invalid = 1;
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "attck: %V training definitions are not a JSON "
                          "array", &src->label);
            continue;
        }

        json_array_append_new(*docs, list);

        json_array_foreach(list, i, d) {
            techs = json_object_get(d, "mitre_techniques");

            if (!json_is_array(techs)
                || (ctx->played && !json_is_true(json_object_get(d, "played")))
                || defs->nelts >= NGX_HTTP_ATTCK_CR_MAX_DEFS)
            {
                continue;
            }

            def = ngx_array_push(defs);
            if (def == NULL) {
                goto failed;
            }

            def->title = json_object_get(d, "title");
            def->id = json_object_get(d, "id");
            def->techniques = techs;
            def->label = &src->label;

            /*
             * "TA0042.T1588.006" marks the sub-technique's cell and, cut
             * to "TA0042.T1588", its parent's
             */

            json_array_foreach(techs, k, tk) {
                key = json_string_value(tk);

                if (key == NULL
                    || (n = ngx_strlen(key)) >= NGX_HTTP_ATTCK_CR_MAX_KEY)
                {
                    continue;
                }

                dot = ngx_array_push(dots);
                if (dot == NULL) {
                    goto failed;
                }

                /* ngx_array_push() does not zero: every field is set */

                ngx_memcpy(dot->key, key, n);
                dot->len = n;
                dot->def = defs->nelts - 1;
                dot->parent = 0;

                if (n > 12 && key[12] == '.') {
                    dot = ngx_array_push(dots);
                    if (dot == NULL) {
                        goto failed;
                    }

                    ngx_memcpy(dot->key, key, 12);
                    dot->len = 12;
                    dot->def = defs->nelts - 1;
                    dot->parent = 1;
                }
            }
        }
    }

    ngx_qsort(dots->elts, dots->nelts, sizeof(ngx_http_attck_cr_dot_t),
              ngx_http_attck_cr_dot_cmp);

    return NGX_OK;

failed:

    json_decref(*docs);
    *docs = NULL;

    return NGX_ERROR;
}


static int ngx_libc_cdecl
ngx_http_attck_cr_dot_cmp(const void *a, const void *b)
{
    ngx_int_t                 c;
    const ngx_http_attck_cr_dot_t  *x = a, *y = b;

    c = ngx_memn2cmp((u_char *) x->key, (u_char *) y->key, x->len, y->len);

    if (c) {
        return (int) c;
    }

    return (x->def > y->def) - (x->def < y->def);
}


/*
 * Copies text into dst (NULL: counts), HTML-escaped if html; control
 * bytes are dropped either way.  Returns the length.
 */

size_t
ngx_http_attck_cr_text(u_char *dst, u_char *src, size_t len, ngx_uint_t html)
{
    size_t   n;
    u_char  *e;

    for (n = 0; len--; src++) {
        e = NULL;

        if (html) {
            switch (*src) {
            case '&':
                e = (u_char *) "&amp;";
                break;
            case '<':
                e = (u_char *) "&lt;";
                break;
            case '>':
                e = (u_char *) "&gt;";
                break;
            case '"':
                e = (u_char *) "&quot;";
                break;
            case '\'':
                e = (u_char *) "&#39;";
                break;
            }
        }

        if (e) {
            if (dst) {
                ngx_memcpy(dst + n, e, ngx_strlen(e));
            }

            n += ngx_strlen(e);
            continue;
        }

        if (*src < 0x20) {
            continue;
        }

        if (dst) {
            dst[n] = *src;
        }

        n++;
    }

    return n;
}


/*
 * A definition's label, "Title (id)", HTML-escaped or as it is (for JSON,
 * which jansson escapes); ids may be numbers or strings.  dst NULL: counts.
 */

size_t
ngx_http_attck_cr_label(u_char *dst, ngx_http_attck_cr_def_t *def,
    ngx_uint_t html)
{
    u_char  num[NGX_INT64_LEN + 4], *p;
    size_t  n;

    n = 0;

    if (json_is_string(def->title)) {
        n += ngx_http_attck_cr_text(dst, (u_char *)
                                    json_string_value(def->title),
                                    json_string_length(def->title), html);
    }

    if (json_is_integer(def->id)) {
        p = ngx_sprintf(num, " (%L)", (int64_t) json_integer_value(def->id));

        if (dst) {
            ngx_memcpy(dst + n, num, p - num);
        }

        return n + (p - num);
    }

    if (json_is_string(def->id)) {
        if (dst) {
            ngx_memcpy(dst + n, " (", 2);
        }

        n += 2;
        n += ngx_http_attck_cr_text(dst ? dst + n : NULL, (u_char *)
                                    json_string_value(def->id),
                                    json_string_length(def->id), html);
        if (dst) {
            dst[n] = ')';
        }

        n++;
    }

    return n;
}
