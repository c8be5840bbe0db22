
/*
 * ngx_http_attck_module: drop-in compatibility with the cyber-range
 * technique service (../shared/notes/cyberrange-compat.md) under an
 * "attck_cyberrange" location.
 *
 * The technique index is a pre-rendered document.  The matrix is an HTML
 * template from the snapshot into which the training overlay is filled:
 * training definitions come from operator-configured locations through
 * in-memory subrequests (the caller's Authorization header travels with
 * them), all started at once, and the matrix is drawn when the last one
 * is done.  A training service that fails or is too slow only loses its
 * dots: the matrix still answers, and says what is missing.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_cyberrange.h"
#include "ngx_http_attck_metrics.h"
#include "snapshot/attck_args.h"
#include "snapshot/attck_query.h"


static ngx_int_t ngx_http_attck_cr_index(ngx_http_request_t *r,
    ngx_http_attck_local_t *local);
static ngx_int_t ngx_http_attck_cr_matrix(ngx_http_request_t *r,
    ngx_http_attck_local_t *local, ngx_uint_t layer);
static ngx_int_t ngx_http_attck_cr_done(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
static ngx_int_t ngx_http_attck_cr_layer(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
static ngx_int_t ngx_http_attck_cr_overlay_header(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);
static u_char *ngx_http_attck_cr_dot(u_char *p, ngx_uint_t def);
static ngx_int_t ngx_http_attck_cr_subrequest_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_attck_cr_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_cr_render(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx);


static ngx_int_t ngx_http_attck_cr_refresh(ngx_http_request_t *r);
static ngx_int_t ngx_http_attck_cr_message(ngx_http_request_t *r,
    u_char *msg);
static ngx_int_t ngx_http_attck_cr_not_allowed(ngx_http_request_t *r,
    char *allow);


static ngx_str_t  ngx_http_attck_html_type =
    ngx_string("text/html; charset=utf-8");



ngx_int_t
ngx_http_attck_cr_handler(ngx_http_request_t *r)
{
    u_char                      *p, *end;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_http_attck_local_t      *local;
    ngx_http_attck_main_conf_t  *amcf;

    /*
     * The endpoints are one path segment each: take the last one, so that
     * prefix and exact locations ("location = .../mitre-update-matrix-data",
     * to restrict it) work alike.
     */

    end = r->uri.data + r->uri.len;

    if (end > r->uri.data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > r->uri.data && p[-1] != '/'; p--) { /* void */ }

    len = end - p;

    if (len == sizeof("mitre-update-matrix-data") - 1
        && ngx_strncmp(p, "mitre-update-matrix-data", len) == 0)
    {
        if (r->method != NGX_HTTP_PUT) {
            rc = ngx_http_discard_request_body(r);

            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_attck_cr_not_allowed(r, "PUT");
        }

        return ngx_http_attck_cr_refresh(r);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_attck_cr_not_allowed(r, "GET, HEAD");
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    local = ngx_http_attck_acquire(r, amcf, &rc);

    if (local == NULL) {
        return rc == NGX_HTTP_SERVICE_UNAVAILABLE
               ? ngx_http_attck_cr_detail(r, rc, "No ATT&CK data is loaded.")
               : rc;
    }

    /* "technqiue": the misspelling the front end calls */

    if ((len == sizeof("mitre-technique-index") - 1
         && ngx_strncmp(p, "mitre-technique-index", len) == 0)
        || (len == sizeof("mitre-technqiue-index") - 1
            && ngx_strncmp(p, "mitre-technqiue-index", len) == 0))
    {
        return ngx_http_attck_cr_index(r, local);
    }

    if (len == sizeof("mitre-matrix-visualisation") - 1
        && ngx_strncmp(p, "mitre-matrix-visualisation", len) == 0)
    {
        return ngx_http_attck_cr_matrix(r, local, 0);
    }

    /* ours: the same overlay as an ATT&CK Navigator layer */

    if (len == sizeof("mitre-navigator-layer") - 1
        && ngx_strncmp(p, "mitre-navigator-layer", len) == 0)
    {
        return ngx_http_attck_cr_matrix(r, local, 1);
    }

    /* ours: what a new ATT&CK release did to the definitions' keys */

    if (len == sizeof("mitre-training-impact") - 1
        && ngx_strncmp(p, "mitre-training-impact", len) == 0)
    {
        return ngx_http_attck_cr_impact_start(r, local);
    }

    return ngx_http_attck_cr_detail(r, NGX_HTTP_NOT_FOUND, "Not found.");
}


static ngx_int_t
ngx_http_attck_cr_index(ngx_http_request_t *r, ngx_http_attck_local_t *local)
{
    const attck_snap_doc_t  *doc;

    doc = attck_snap_find(&local->snap, &local->snap.views[0],
                          "cyberrange/technique-index",
                          sizeof("cyberrange/technique-index") - 1);

    if (doc == NULL) {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_NOT_FOUND,
                                        "Enterprise ATT&CK is not loaded.");
    }

    return ngx_http_attck_send(r, &ngx_http_attck_json_type,
                   (u_char *) attck_snap_bytes(&local->snap, doc->body),
                   doc->body.len,
                   (u_char *) attck_snap_bytes(&local->snap, doc->etag),
                   doc->etag.len, 1);
}


static ngx_int_t
ngx_http_attck_cr_matrix(ngx_http_request_t *r, ngx_http_attck_local_t *local,
    ngx_uint_t layer)
{
    int                          b;
    char                         buf[16];
    u_char                       name[64], *k;
    const char                  *p, *end, *key;
    ngx_uint_t                   subs;
    attck_arg_t                  arg;
    ngx_http_attck_cr_ctx_t     *ctx;

    if (r->headers_in.authorization == NULL) {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_BAD_REQUEST,
                                        "Authentication token is missing "
                                        "from the header");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_attck_cr_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->local = local;
    ctx->format = layer ? NGX_HTTP_ATTCK_CR_LAYER : NGX_HTTP_ATTCK_CR_HTML;
    ctx->domain = ATTCK_DOMAIN_ENTERPRISE;
    subs = 0;

    /*
     * played=true|false, and ours: subtechniques=true|false,
     * format=html|json|svg, domain=enterprise|mobile|ics
     */

    p = (const char *) r->args.data;
    end = p + r->args.len;

    while (attck_args_next(&p, end, &arg, buf, sizeof(buf)) == ATTCK_ARGS_OK)
    {
        b = attck_args_bool(arg.value, arg.value_len);

        if (attck_args_eq(arg.name, arg.name_len, "played")) {
            ctx->played = (b == 1);

        } else if (attck_args_eq(arg.name, arg.name_len, "subtechniques")) {
            subs = (b == 1);

        } else if (attck_args_eq(arg.name, arg.name_len, "domain")) {
            ctx->domain = attck_query_domain(arg.value, arg.value_len);

        } else if (!layer && attck_args_eq(arg.name, arg.name_len, "format"))
        {
            ctx->format = attck_args_eq(arg.value, arg.value_len, "json")
                          ? NGX_HTTP_ATTCK_CR_JSON
                          : attck_args_eq(arg.value, arg.value_len, "svg")
                          ? NGX_HTTP_ATTCK_CR_SVG
                          : attck_args_eq(arg.value, arg.value_len, "html")
                          ? NGX_HTTP_ATTCK_CR_HTML : (ngx_uint_t) -1;
        }
    }

    if (ctx->domain == 0 || ctx->format == (ngx_uint_t) -1) {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_BAD_REQUEST,
                                        "domain is enterprise, mobile or "
                                        "ics; format is html, json or svg");
    }

    if (ctx->domain == ATTCK_DOMAIN_ENTERPRISE) {
        ngx_str_set(&ctx->domain_name, "enterprise");

    } else if (ctx->domain == ATTCK_DOMAIN_MOBILE) {
        ngx_str_set(&ctx->domain_name, "mobile");

    } else {
        ngx_str_set(&ctx->domain_name, "ics");
    }

    /* the HTML template, or the API's matrix for JSON, SVG and layers */

    key = (ctx->format != NGX_HTTP_ATTCK_CR_HTML) ? "matrix"
          : subs ? "cyberrange/matrix-sub" : "cyberrange/matrix";
    k = ngx_sprintf(name, "%s/%V", key, &ctx->domain_name);

    ctx->tmpl = attck_snap_find(&local->snap, &local->snap.views[0],
                                (const char *) name, k - name);

    if (ctx->tmpl == NULL) {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_NOT_FOUND,
                                        "This ATT&CK domain is not loaded.");
    }

    return ngx_http_attck_cr_fetch(r, ctx);
}


/*
 * Asks every training service of the location for its definitions, all
 * at once; the answer is made (ngx_http_attck_cr_done()) when the last
 * one is in.
 */

ngx_int_t
ngx_http_attck_cr_fetch(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    ngx_uint_t                   i;
    ngx_http_request_t          *sr;
    ngx_http_attck_training_t   *t;
    ngx_http_attck_loc_conf_t   *alcf;
    ngx_http_post_subrequest_t  *ps;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_attck_module);

    if (alcf->training == NULL || r->header_only) {
        return ngx_http_attck_cr_done(r, ctx);
    }

    ctx->nsources = alcf->training->nelts;
    ctx->sources = ngx_pcalloc(r->pool, ctx->nsources
                                        * sizeof(ngx_http_attck_cr_source_t));
    if (ctx->sources == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_attck_module);

    t = alcf->training->elts;

    for (i = 0; i < ctx->nsources; i++) {
        ctx->sources[i].label = t[i].label;

        ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
        if (ps == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ps->handler = ngx_http_attck_cr_subrequest_done;
        ps->data = &ctx->sources[i];

        /* the subrequest gets the caller's headers, Authorization too */

        if (ngx_http_subrequest(r, &t[i].uri, NULL, &sr, ps,
                                NGX_HTTP_SUBREQUEST_IN_MEMORY
                                |NGX_HTTP_SUBREQUEST_WAITED)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->write_event_handler = ngx_http_attck_cr_resume;
    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_attck_cr_subrequest_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_attck_cr_source_t  *src = data;

    ngx_int_t  seen;

    seen = src->status;

    /* a failed upstream finalizes with its status (502, 504) as rc */

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        src->status = (rc == NGX_ERROR) ? NGX_HTTP_BAD_GATEWAY : rc;

    } else {
        src->status = sr->headers_out.status ? sr->headers_out.status
                                             : NGX_HTTP_BAD_GATEWAY;
    }

    /* called again when a special response is finalized: counted once */

    if (!seen) {
        ngx_http_attck_metrics_overlay(sr, &src->label, src->status);
    }

    if (sr->out && sr->out->buf) {
        src->body.data = sr->out->buf->pos;
        src->body.len = sr->out->buf->last - sr->out->buf->pos;
    }

    return rc;
}


static void
ngx_http_attck_cr_resume(ngx_http_request_t *r)
{
    ngx_uint_t                i;
    ngx_http_attck_cr_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_attck_module);

    for (i = 0; i < ctx->nsources; i++) {
        if (ctx->sources[i].status == 0) {
            return;
        }
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, ngx_http_attck_cr_done(r, ctx));
}


static ngx_int_t
ngx_http_attck_cr_done(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    if (ngx_http_attck_cr_overlay_header(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->format) {

    case NGX_HTTP_ATTCK_CR_LAYER:
        return ngx_http_attck_cr_layer(r, ctx);

    case NGX_HTTP_ATTCK_CR_JSON:
        return ngx_http_attck_cr_json(r, ctx);

    case NGX_HTTP_ATTCK_CR_SVG:
        return ngx_http_attck_cr_svg(r, ctx);

    case NGX_HTTP_ATTCK_CR_IMPACT:
        return ngx_http_attck_cr_impact(r, ctx);

    default:
        return ngx_http_attck_cr_render(r, ctx);
    }
}


/* X-ATTCK-Overlay: complete, partial (a service not heard) or none */

static ngx_int_t
ngx_http_attck_cr_overlay_header(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx)
{
    char        *value;
    ngx_uint_t   s, missing;

    missing = 0;

    for (s = 0; s < ctx->nsources; s++) {
        missing += (ctx->sources[s].status != NGX_HTTP_OK);
    }

    value = (ctx->nsources == 0) ? "none"
            : (missing == 0) ? "complete" : "partial";

    return ngx_http_attck_header(r, "X-ATTCK-Overlay", (u_char *) value,
                                 ngx_strlen(value))
           ? NGX_OK : NGX_ERROR;
}


/* an HTML dot of a definition's colour, up to its title attribute */

static u_char *
ngx_http_attck_cr_dot(u_char *p, ngx_uint_t def)
{
    p = ngx_cpymem(p, "<span class=\"attck-dot\" style=\"background:",
                   sizeof("<span class=\"attck-dot\" style=\"background:")
                   - 1);
    p = ngx_http_attck_cr_colour(p, def);

    return ngx_cpymem(p, "\" title=\"", sizeof("\" title=\"") - 1);
}


/*
 * The overlay as a Navigator layer: per technique key ("TA0007.T1046")
 * the tactic's shortname, the number of definitions using it as the
 * score, and their titles as the comment.
 */

static ngx_int_t
ngx_http_attck_cr_layer(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    u_char                    *comment, *c, *label, shortname[64];
    size_t                     len;
    json_t                    *docs, *layer, *t, *meta;
    uint32_t                   k;
    ngx_uint_t                 i, j, n, count;
    ngx_array_t                defs, dots;
    const attck_snap_t        *snap;
    const attck_snap_view_t   *view;
    ngx_http_attck_cr_def_t   *def;
    ngx_http_attck_cr_dot_t   *dot;
    const attck_snap_tactic_t *ta;

    snap = &ctx->local->snap;
    view = &snap->views[0];
    if (ngx_http_attck_cr_overlay(r, ctx, &defs, &dots, &docs) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    layer = ngx_http_attck_layer_new("Training definitions",
                                     ctx->played ? "played definitions"
                                                 : "all definitions",
                                     ctx->domain == ATTCK_DOMAIN_MOBILE
                                     ? "mobile-attack"
                                     : ctx->domain == ATTCK_DOMAIN_ICS
                                     ? "ics-attack" : "enterprise-attack",
                                     snap, view);
    def = defs.elts;
    dot = dots.elts;
    ta = attck_snap_tactics(snap, view);

    for (i = 0; i < dots.nelts; i = j) {

        /* dots are sorted by key, then definition */

        for (j = i + 1; j < dots.nelts
                        && ngx_memn2cmp(dot[j].key, dot[i].key, dot[j].len,
                                        dot[i].len) == 0;
             j++)
        { /* void */ }

        if (dot[i].parent || dot[i].len < 8 || dot[i].key[6] != '.') {
            continue;
        }

        /* "TA0007" -> its shortname, or the key is no technique of ours */

        for (k = 0; k < view->ntactics; k++) {
            if (ta[k].id.len == 6
                && ngx_strncmp(attck_snap_bytes(snap, ta[k].id), dot[i].key, 6)
                   == 0
                && (ta[k].domains & ctx->domain))
            {
                break;
            }
        }

        if (k == view->ntactics) {
            continue;
        }

        len = 1;

        for (n = i; n < j; n++) {
            len += ngx_http_attck_cr_label(NULL, &def[dot[n].def], 0) + 2;
        }

        comment = ngx_pnalloc(r->pool, len);
        if (comment == NULL) {
            json_decref(docs);
            json_decref(layer);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        c = comment;
        count = 0;

        for (n = i; n < j; n++) {
            if (n > i && dot[n].def == dot[n - 1].def) {
                continue;
            }

            if (c != comment) {
                c = ngx_cpymem(c, "; ", 2);
            }

            c += ngx_http_attck_cr_label(c, &def[dot[n].def], 0);
            count++;
        }

        *c = '\0';

        ngx_cpystrn(shortname,
                    (u_char *) attck_snap_bytes(snap, ta[k].shortname),
                    ngx_min(ta[k].shortname.len + 1, sizeof(shortname)));

        t = ngx_http_attck_layer_add(layer, (const char *) dot[i].key + 7,
                                     dot[i].len - 7, (const char *) shortname,
                                     (long long) count,
                                     (const char *) comment);
        meta = json_object_get(t, "metadata");

        for (n = i; n < j; n++) {
            if (n > i && dot[n].def == dot[n - 1].def) {
                continue;
            }

            len = ngx_http_attck_cr_label(NULL, &def[dot[n].def], 0);

            label = ngx_pnalloc(r->pool, len);
            if (label == NULL) {
                json_decref(docs);
                json_decref(layer);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_http_attck_cr_label(label, &def[dot[n].def], 0);

            json_array_append_new(meta, json_pack("{s:s%, s:s%}",
                                  "name", def[dot[n].def].label->data,
                                  def[dot[n].def].label->len,
                                  "value", label, len));
        }
    }

    json_decref(docs);

    return ngx_http_attck_layer_send(r, layer);
}


static ngx_int_t
ngx_http_attck_cr_render(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    u_char                      *p, *end, *mark, *key, *out;
    size_t                       len, klen;
    json_t                      *docs;
    ngx_str_t                    notice;
    ngx_uint_t                   i, n, first, s;
    ngx_array_t                  defs, dots;
    ngx_http_attck_cr_def_t     *def;
    ngx_http_attck_cr_dot_t     *dot;
    const attck_snap_t          *snap;

    static const char  dot_fmt[] =
        "<span class=\"attck-dot\" style=\"background:hsl(360,100%,100%)\" "
        "title=\"";

    snap = &ctx->local->snap;
    if (ngx_http_attck_cr_overlay(r, ctx, &defs, &dots, &docs) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    def = defs.elts;
    dot = dots.elts;

    /*
     * An upper bound of the answer's length, then one pass to write it: a
     * legend line per definition holds a dot and its label twice, a cell's
     * dot the label once; sizeof(dot_fmt) covers the three numbers.
     */

    /* a word when definitions use techniques a release took away */

    if (ngx_http_attck_cr_impact_notice(r, ctx, &defs, &notice) != NGX_OK) {
        json_decref(docs);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ctx->tmpl->body.len + 256 + ctx->nsources * 256 + notice.len;

    for (i = 0; i < defs.nelts; i++) {
        len += sizeof(dot_fmt) + 32
               + 2 * ngx_http_attck_cr_label(NULL, &def[i], 1);
    }

    for (i = 0; i < dots.nelts; i++) {
        len += sizeof(dot_fmt) + 16
               + ngx_http_attck_cr_label(NULL, &def[dot[i].def], 1);
    }

    out = ngx_pnalloc(r->pool, len);
    if (out == NULL) {
        json_decref(docs);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = (u_char *) attck_snap_bytes(snap, ctx->tmpl->body);
    end = p + ctx->tmpl->body.len;
    len = 0;

    for ( ;; ) {
        mark = p;

        while (mark < end && *mark != ATTCK_CR_CELL && *mark != ATTCK_CR_LEGEND)
        {
            mark++;
        }

        ngx_memcpy(out + len, p, mark - p);
        len += mark - p;

        if (mark == end) {
            break;
        }

        if (*mark == ATTCK_CR_LEGEND) {
            p = mark + 1;

            /* the legend, and a notice per training service not heard */

            for (s = 0; s < ctx->nsources; s++) {
                if (ctx->sources[s].status == NGX_HTTP_OK) {
                    continue;
                }

                len += ngx_sprintf(out + len, "<div class=\"attck-notice\">"
                                   "%c%*s training definitions are "
                                   "unavailable", ngx_toupper(
                                       ctx->sources[s].label.data[0]),
                                   ctx->sources[s].label.len - 1,
                                   ctx->sources[s].label.data + 1)
                       - (out + len);

                if (ctx->sources[s].invalid) {
                    len += ngx_sprintf(out + len, " (not a JSON array)")
                           - (out + len);

                } else {
                    len += ngx_sprintf(out + len, " (HTTP %i)",
                                       ctx->sources[s].status)
                           - (out + len);
                }

                len += ngx_sprintf(out + len, ": the matrix is shown without "
                                   "them.</div>")
                       - (out + len);
            }

            ngx_memcpy(out + len, notice.data, notice.len);
            len += notice.len;

            /*
             * the legend, above the table: a section per source that has
             * definitions, none when no source has one
             */

            if (defs.nelts == 0) {
                continue;
            }

            len += ngx_sprintf(out + len, "<div class=\"attck-legend\">")
                   - (out + len);

            for (s = 0; s < ctx->nsources; s++) {
                for (i = 0; i < defs.nelts; i++) {
                    if (def[i].label == &ctx->sources[s].label) {
                        break;
                    }
                }

                if (i == defs.nelts) {
                    continue;
                }

                len += ngx_sprintf(out + len, "<h4>%c%*s training:</h4><ul>",
                                   ngx_toupper(ctx->sources[s].label.data[0]),
                                   ctx->sources[s].label.len - 1,
                                   ctx->sources[s].label.data + 1)
                       - (out + len);

                for (i = 0; i < defs.nelts; i++) {
                    if (def[i].label != &ctx->sources[s].label) {
                        continue;
                    }

                    len += ngx_sprintf(out + len, "<li>")
                           - (out + len);
                    len += ngx_http_attck_cr_dot(out + len, i) - (out + len);
                    len += ngx_http_attck_cr_label(out + len, &def[i], 1);
                    len += ngx_sprintf(out + len, "\"></span> ")
                           - (out + len);
                    len += ngx_http_attck_cr_label(out + len, &def[i], 1);
                    len += ngx_sprintf(out + len, "</li>") - (out + len);
                }

                len += ngx_sprintf(out + len, "</ul>") - (out + len);
            }

            len += ngx_sprintf(out + len, "</div>") - (out + len);

            continue;
        }

        /* a cell: its dots, one per definition that uses it */

        key = mark + 1;

        for (p = key; p < end && *p != ATTCK_CR_END; p++) { /* void */ }

        klen = p - key;
        p = (p < end) ? p + 1 : p;

        n = ngx_http_attck_cr_find(&dots, key, klen, &first);

        for (i = first; i < first + n; i++) {
            if (i > first && dot[i].def == dot[i - 1].def) {
                continue;
            }

            len += ngx_http_attck_cr_dot(out + len, dot[i].def) - (out + len);
            len += ngx_http_attck_cr_label(out + len, &def[dot[i].def], 1);
            len += ngx_sprintf(out + len, "\"></span>") - (out + len);
        }
    }

    json_decref(docs);

    return ngx_http_attck_send(r, &ngx_http_attck_html_type, out, len, NULL,
                               0, 0);
}


static ngx_int_t
ngx_http_attck_cr_not_allowed(ngx_http_request_t *r, char *allow)
{
    if (ngx_http_attck_header(r, "Allow", (u_char *) allow,
                              ngx_strlen(allow))
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_attck_cr_detail(r, NGX_HTTP_NOT_ALLOWED,
                                    "Method not allowed.");
}


ngx_int_t
ngx_http_attck_cr_detail(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail)
{
    u_char  *body, *p;
    size_t   len;

    /* the old service's error shape: {"detail": "..."} */

    len = sizeof("{\"detail\":\"\"}") - 1
          + ngx_escape_json(NULL, (u_char *) detail, ngx_strlen(detail))
          + ngx_strlen(detail);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, "{\"detail\":\"", 11);
    p = (u_char *) ngx_escape_json(p, (u_char *) detail, ngx_strlen(detail));
    p = ngx_cpymem(p, "\"}", 2);

    r->headers_out.status = status;

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, p - body,
                               NULL, 0, 0);
}


/*
 * PUT mitre-update-matrix-data: reads the attck_snapshot file again and
 * makes it current in every worker process.  The read blocks this worker
 * for the time a snapshot takes to read (tens of milliseconds for all of
 * ATT&CK); keep the location to operators with allow/deny.
 */

static ngx_int_t
ngx_http_attck_cr_refresh(ngx_http_request_t *r)
{
    u_char                       msg[128];
    ngx_int_t                    rc;
    ngx_uint_t                   number;
    ngx_http_attck_main_conf_t  *amcf;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_attck_module);

    if (amcf->snapshot.len == 0 || amcf->sh == NULL) {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "No attck_snapshot is configured.");
    }

    rc = ngx_http_attck_reload(amcf, r->connection->log, &number);

    if (rc == NGX_DECLINED) {
        ngx_sprintf(msg, "ATT&CK data is up to date (generation %ui).%Z",
                    number);

    } else if (rc == NGX_OK) {
        ngx_sprintf(msg, "ATT&CK data updated (generation %ui).%Z", number);

    } else {
        return ngx_http_attck_cr_detail(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "The ATT&CK snapshot could not be "
                                        "loaded; the current data is kept "
                                        "(see the error log).");
    }

    return ngx_http_attck_cr_message(r, msg);
}


static ngx_int_t
ngx_http_attck_cr_message(ngx_http_request_t *r, u_char *msg)
{
    u_char  *body, *p;
    size_t   len;

    len = sizeof("{\"message\":\"\"}") - 1 + ngx_strlen(msg)
          + ngx_escape_json(NULL, msg, ngx_strlen(msg));

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, "{\"message\":\"", 12);
    p = (u_char *) ngx_escape_json(p, msg, ngx_strlen(msg));
    p = ngx_cpymem(p, "\"}", 2);

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, p - body,
                               NULL, 0, 0);
}
