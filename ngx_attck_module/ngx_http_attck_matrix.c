
/*
 * ngx_http_attck_module: the matrix with its training overlay as JSON and
 * as a standalone SVG, for every domain.  Both start from the API's
 * pre-rendered matrix document and the overlay of ngx_http_attck_cr_*;
 * they are built per request, not on the lookup hot path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_cyberrange.h"


#define NGX_HTTP_ATTCK_SVG_COL      152
#define NGX_HTTP_ATTCK_SVG_CELL     30
#define NGX_HTTP_ATTCK_SVG_HEAD     44
#define NGX_HTTP_ATTCK_SVG_NAME     26      /* characters shown in a cell */


typedef struct {
    ngx_pool_t                *pool;
    u_char                    *data;
    size_t                     len;
    size_t                     cap;
    ngx_uint_t                 failed;
} ngx_http_attck_out_t;


static void ngx_http_attck_out(ngx_http_attck_out_t *o, const void *s,
    size_t len);
static void ngx_http_attck_out_text(ngx_http_attck_out_t *o,
    const char *s, size_t max);
static json_t *ngx_http_attck_cr_cell_defs(ngx_array_t *dots,
    const char *tactic, const char *tech);
static ngx_int_t ngx_http_attck_cr_prepare(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx, ngx_array_t *defs, ngx_array_t *dots,
    json_t **docs, json_t **matrix);


static const char *ngx_http_attck_str(json_t *obj, const char *key);


static ngx_str_t  ngx_http_attck_svg_type = ngx_string("image/svg+xml");


/* a string member, "" when missing */

static const char *
ngx_http_attck_str(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}


static void
ngx_http_attck_out(ngx_http_attck_out_t *o, const void *s, size_t len)
{
    u_char  *p;
    size_t   cap;

    if (o->failed) {
        return;
    }

    if (o->len + len > o->cap) {
        cap = ngx_max(o->cap * 2, o->len + len + 4096);

        p = ngx_pnalloc(o->pool, cap);
        if (p == NULL) {
            o->failed = 1;
            return;
        }

        ngx_memcpy(p, o->data, o->len);
        o->data = p;
        o->cap = cap;
    }

    ngx_memcpy(o->data + o->len, s, len);
    o->len += len;
}


/* XML-escaped text, cut to max characters (of UTF-8) with an ellipsis */

static void
ngx_http_attck_out_text(ngx_http_attck_out_t *o, const char *s, size_t max)
{
    u_char  *e;
    size_t   n, chars, len;

    len = ngx_strlen(s);

    for (n = 0, chars = 0; n < len && chars < max; n++) {
        chars += (((u_char) s[n] & 0xc0) != 0x80);
    }

    while (n < len && ((u_char) s[n] & 0xc0) == 0x80) {
        n++;
    }

    e = ngx_pnalloc(o->pool, ngx_http_attck_cr_text(NULL, (u_char *) s, n, 1));
    if (e == NULL) {
        o->failed = 1;
        return;
    }

    ngx_http_attck_out(o, e, ngx_http_attck_cr_text(e, (u_char *) s, n, 1));

    if (n < len) {
        ngx_http_attck_out(o, "\xe2\x80\xa6", 3);
    }
}


/* the definitions on one cell, "TA0043" + "T1595", as a JSON array */

static json_t *
ngx_http_attck_cr_cell_defs(ngx_array_t *dots, const char *tactic,
    const char *tech)
{
    u_char                    key[64], *k;
    json_t                    *a;
    ngx_uint_t                 i, n, first;
    ngx_http_attck_cr_dot_t   *dot;

    a = json_array();
    k = ngx_snprintf(key, sizeof(key), "%s.%s", tactic ? tactic : "",
                     tech ? tech : "");
    n = ngx_http_attck_cr_find(dots, key, k - key, &first);
    dot = dots->elts;

    for (i = first; i < first + n; i++) {
        if (i > first && dot[i].def == dot[i - 1].def) {
            continue;
        }

        json_array_append_new(a, json_integer((json_int_t) dot[i].def));
    }

    return a;
}


/* the overlay and the domain's matrix document, parsed; nothing on failure */

static ngx_int_t
ngx_http_attck_cr_prepare(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx,
    ngx_array_t *defs, ngx_array_t *dots, json_t **docs, json_t **matrix)
{
    const attck_snap_t  *snap;

    snap = &ctx->local->snap;
    *matrix = NULL;

    if (ngx_http_attck_cr_overlay(r, ctx, defs, dots, docs) != NGX_OK) {
        return NGX_ERROR;
    }

    *matrix = json_loadb(attck_snap_bytes(snap, ctx->tmpl->body),
                         ctx->tmpl->body.len, 0, NULL);

    if (*matrix == NULL) {
        json_decref(*docs);
        *docs = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * format=json: the API's matrix with "definitions" (indexes into
 * training.definitions) on every technique and sub-technique
 */

ngx_int_t
ngx_http_attck_cr_json(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    u_char                    colour[32], *label;
    size_t                    i, j, k, len;
    json_t                   *docs, *matrix, *tactic, *tech, *sub, *list;
    json_t                   *unavailable;
    const char               *tid;
    ngx_uint_t                s;
    ngx_array_t               defs, dots;
    ngx_http_attck_cr_def_t  *def;

    if (ngx_http_attck_cr_prepare(r, ctx, &defs, &dots, &docs, &matrix)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_array_foreach(json_object_get(matrix, "tactics"), i, tactic) {
        tid = json_string_value(json_object_get(tactic, "id"));

        json_array_foreach(json_object_get(tactic, "techniques"), j, tech) {
            json_object_set_new(tech, "definitions",
                ngx_http_attck_cr_cell_defs(&dots, tid,
                    json_string_value(json_object_get(tech, "id"))));

            json_array_foreach(json_object_get(tech, "subtechniques"), k, sub)
            {
                json_object_set_new(sub, "definitions",
                    ngx_http_attck_cr_cell_defs(&dots, tid,
                        json_string_value(json_object_get(sub, "id"))));
            }
        }
    }

    list = json_array();
    def = defs.elts;

    for (i = 0; i < defs.nelts; i++) {
        len = ngx_http_attck_cr_label(NULL, &def[i], 0);
        label = ngx_pnalloc(r->pool, len + 1);

        if (label == NULL) {
            json_decref(list);
            json_decref(docs);
            json_decref(matrix);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_attck_cr_label(label, &def[i], 0);
        *ngx_http_attck_cr_colour(colour, i) = '\0';

        json_array_append_new(list, json_pack("{s:O?, s:O?, s:s%, s:s%, s:s}",
                              "id", def[i].id, "title", def[i].title,
                              "label", label, len,
                              "kind", def[i].label->data, def[i].label->len,
                              "colour", colour));
    }

    unavailable = json_array();

    for (s = 0; s < ctx->nsources; s++) {
        if (ctx->sources[s].status != NGX_HTTP_OK) {
            json_array_append_new(unavailable, json_pack("{s:s%, s:i}",
                                  "kind", ctx->sources[s].label.data,
                                  ctx->sources[s].label.len,
                                  "status", (int) ctx->sources[s].status));
        }
    }

    json_object_set_new(matrix, "training",
                        json_pack("{s:b, s:o, s:o}", "played",
                                  (int) ctx->played, "definitions", list,
                                  "unavailable", unavailable));

    json_decref(docs);

    return ngx_http_attck_layer_send(r, matrix);
}


/* format=svg: a standalone picture of the matrix and its dots */

ngx_int_t
ngx_http_attck_cr_svg(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    u_char                    buf[256], *p;
    size_t                    i, j, rows, cols, d, ndots;
    json_t                   *docs, *matrix, *tactic, *tech, *cell;
    ngx_uint_t                x, y, height, s;
    ngx_array_t               defs, dots;
    ngx_http_attck_out_t      o;
    ngx_http_attck_cr_def_t  *def;

    if (ngx_http_attck_cr_prepare(r, ctx, &defs, &dots, &docs, &matrix)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&o, sizeof(ngx_http_attck_out_t));
    o.pool = r->pool;

    cols = json_array_size(json_object_get(matrix, "tactics"));
    rows = 0;

    json_array_foreach(json_object_get(matrix, "tactics"), i, tactic) {
        rows = ngx_max(rows,
                       json_array_size(json_object_get(tactic, "techniques")));
    }

    def = defs.elts;
    height = NGX_HTTP_ATTCK_SVG_HEAD + rows * NGX_HTTP_ATTCK_SVG_CELL + 40
             + (defs.nelts + ctx->nsources) * 18;

    p = ngx_sprintf(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                    "width=\"%uz\" height=\"%ui\" font-family=\"Helvetica,"
                    "Arial,sans-serif\" font-size=\"10\">"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>",
                    cols * NGX_HTTP_ATTCK_SVG_COL + 8, height);
    ngx_http_attck_out(&o, buf, p - buf);

    json_array_foreach(json_object_get(matrix, "tactics"), i, tactic) {
        x = 4 + i * NGX_HTTP_ATTCK_SVG_COL;

        p = ngx_sprintf(buf, "<g><rect x=\"%ui\" y=\"4\" width=\"%d\" "
                        "height=\"36\" fill=\"#1f3b57\"/><text x=\"%ui\" "
                        "y=\"20\" fill=\"#fff\" font-weight=\"bold\">",
                        x, NGX_HTTP_ATTCK_SVG_COL - 2, x + 4);
        ngx_http_attck_out(&o, buf, p - buf);
        ngx_http_attck_out_text(&o, ngx_http_attck_str(tactic, "name"),
                                NGX_HTTP_ATTCK_SVG_NAME);
        p = ngx_sprintf(buf, "</text><text x=\"%ui\" y=\"33\" fill=\"#fff\">"
                        "%uz techniques</text></g>", x + 4,
                        json_array_size(json_object_get(tactic,
                                                        "techniques")));
        ngx_http_attck_out(&o, buf, p - buf);

        json_array_foreach(json_object_get(tactic, "techniques"), j, tech) {
            y = NGX_HTTP_ATTCK_SVG_HEAD + j * NGX_HTTP_ATTCK_SVG_CELL;

            p = ngx_sprintf(buf, "<g><rect x=\"%ui\" y=\"%ui\" width=\"%d\" "
                            "height=\"%d\" fill=\"#fff\" stroke=\"#d0d7de\"/>"
                            "<text x=\"%ui\" y=\"%ui\"><title>",
                            x, y, NGX_HTTP_ATTCK_SVG_COL - 2,
                            NGX_HTTP_ATTCK_SVG_CELL - 2, x + 4, y + 12);
            ngx_http_attck_out(&o, buf, p - buf);
            ngx_http_attck_out_text(&o, ngx_http_attck_str(tech, "id"), 32);
            ngx_http_attck_out(&o, "</title>", sizeof("</title>") - 1);
            ngx_http_attck_out_text(&o, ngx_http_attck_str(tech, "name"),
                                    NGX_HTTP_ATTCK_SVG_NAME);
            ngx_http_attck_out(&o, "</text>", sizeof("</text>") - 1);

            cell = ngx_http_attck_cr_cell_defs(&dots,
                       json_string_value(json_object_get(tactic, "id")),
                       json_string_value(json_object_get(tech, "id")));
            ndots = json_array_size(cell);

            for (d = 0; d < ndots; d++) {
                p = ngx_sprintf(buf, "<circle cx=\"%ui\" cy=\"%ui\" r=\"3.5\" "
                                "fill=\"", x + 8 + d * 9, y + 21);
                p = ngx_http_attck_cr_colour(p, (ngx_uint_t)
                        json_integer_value(json_array_get(cell, d)));
                p = ngx_cpymem(p, "\"/>", 3);
                ngx_http_attck_out(&o, buf, p - buf);
            }

            json_decref(cell);
            ngx_http_attck_out(&o, "</g>", sizeof("</g>") - 1);
        }
    }

    /* the legend, and a line per training service not heard */

    y = NGX_HTTP_ATTCK_SVG_HEAD + rows * NGX_HTTP_ATTCK_SVG_CELL + 20;

    for (s = 0; s < ctx->nsources; s++) {
        if (ctx->sources[s].status == NGX_HTTP_OK) {
            continue;
        }

        p = ngx_sprintf(buf, "<text x=\"8\" y=\"%ui\" fill=\"#6e4b00\">%V "
                        "training definitions are unavailable (HTTP %i)"
                        "</text>", y, &ctx->sources[s].label,
                        ctx->sources[s].status);
        ngx_http_attck_out(&o, buf, p - buf);
        y += 18;
    }

    for (i = 0; i < defs.nelts; i++) {
        p = ngx_sprintf(buf, "<circle cx=\"12\" cy=\"%ui\" r=\"4\" fill=\"",
                        y - 4);
        p = ngx_http_attck_cr_colour(p, i);
        p = ngx_sprintf(p, "\"/><text x=\"22\" y=\"%ui\">%V: ", y,
                        def[i].label);
        ngx_http_attck_out(&o, buf, p - buf);

        p = ngx_pnalloc(r->pool, ngx_http_attck_cr_label(NULL, &def[i], 1));
        if (p == NULL) {
            o.failed = 1;
            break;
        }

        ngx_http_attck_out(&o, p, ngx_http_attck_cr_label(p, &def[i], 1));
        ngx_http_attck_out(&o, "</text>", sizeof("</text>") - 1);
        y += 18;
    }

    ngx_http_attck_out(&o, "</svg>\n", sizeof("</svg>\n") - 1);

    json_decref(docs);
    json_decref(matrix);

    if (o.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_send(r, &ngx_http_attck_svg_type, o.data, o.len,
                               NULL, 0, 0);
}
