
/*
 * ngx_http_attck_module: GET mitre-training-impact?from=16.1&to=18.1 under
 * an "attck_cyberrange" location, and the matrix's notice.
 *
 * Training definitions store technique keys, "TA0005.T1562.001" (tactic,
 * technique).  A new ATT&CK release may revoke the technique (another
 * replaces it), deprecate it, take the tactic from it (it moved) or drop
 * it; the key then silently falls out of the matrix.  The definitions are
 * fetched as the overlay fetches them, and each key is looked up in the
 * technique states the compiler put into every Enterprise release's view
 * ("cyberrange/technique-status", worker/diff.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_cyberrange.h"
#include "snapshot/attck_args.h"


#define NGX_HTTP_ATTCK_CR_STATES  "cyberrange/technique-status"


static json_t *ngx_http_attck_cr_states(const attck_snap_t *snap,
    const attck_snap_view_t *view);
static json_t *ngx_http_attck_cr_key(json_t *states, const char *key,
    size_t len);
static json_t *ngx_http_attck_cr_affected(ngx_http_attck_cr_def_t *def,
    json_t *to, json_t *from);
static const attck_snap_view_t *ngx_http_attck_cr_previous(
    const attck_snap_t *snap);


/* the technique states of a release's view; NULL without Enterprise */

static json_t *
ngx_http_attck_cr_states(const attck_snap_t *snap,
    const attck_snap_view_t *view)
{
    json_error_t             je;
    const attck_snap_doc_t  *doc;

    doc = attck_snap_find(snap, view, NGX_HTTP_ATTCK_CR_STATES,
                          sizeof(NGX_HTTP_ATTCK_CR_STATES) - 1);

    if (doc == NULL) {
        return NULL;
    }

    return json_loadb(attck_snap_bytes(snap, doc->body), doc->body.len, 0,
                      &je);
}


/*
 * What a key is in a release: {"key", "technique", "status"} with status
 * "active", "revoked" (and "replaced_by"), "deprecated", "moved" (the
 * technique no longer has the tactic) or "removed" (no such technique);
 * a revoked or moved key comes with the keys that stand for it now.
 * NULL when the text is no tactic.technique key at all.
 */

static json_t *
ngx_http_attck_cr_key(json_t *states, const char *key, size_t len)
{
    char         tactic[16], tech[NGX_HTTP_ATTCK_CR_MAX_KEY], nk[64];
    size_t       i, dot;
    json_t      *st, *out, *keys, *tactics, *t;
    const char  *status, *by;

    for (dot = 0; dot < len && key[dot] != '.'; dot++) { /* void */ }

    if (dot < 3 || dot >= sizeof(tactic) || len - dot < 3
        || len - dot > sizeof(tech) || key[0] != 'T' || key[1] != 'A'
        || key[dot + 1] != 'T')
    {
        return NULL;
    }

    for (i = 0; i < len; i++) {
        if (!((key[i] >= '0' && key[i] <= '9') || key[i] == '.'
              || key[i] == 'T' || key[i] == 'A'))
        {
            return NULL;
        }
    }

    ngx_memcpy(tactic, key, dot);
    tactic[dot] = '\0';
    ngx_memcpy(tech, key + dot + 1, len - dot - 1);
    tech[len - dot - 1] = '\0';

    out = json_pack("{s:s%, s:s}", "key", key, len, "technique", tech);
    if (out == NULL) {
        return NULL;
    }

    st = json_object_get(states, tech);
    status = json_string_value(json_object_get(st, "status"));
    tactics = json_object_get(st, "tactics");

    if (status == NULL) {
        json_object_set_new(out, "status", json_string("removed"));
        return out;
    }

    if (ngx_strcmp(status, "active") == 0) {
        json_array_foreach(tactics, i, t) {
            if (json_is_string(t)
                && ngx_strcmp(json_string_value(t), tactic) == 0)
            {
                break;
            }
        }

        status = (i < json_array_size(tactics)) ? "active" : "moved";
    }

    json_object_set_new(out, "status", json_string(status));

    if (ngx_strcmp(status, "revoked") != 0
        && ngx_strcmp(status, "moved") != 0)
    {
        return out;
    }

    by = (status[0] == 'r')
         ? json_string_value(json_object_get(st, "revoked_by")) : tech;

    if (by == NULL) {
        return out;
    }

    if (status[0] == 'r') {
        json_object_set_new(out, "replaced_by", json_string(by));
    }

    /* the same tactic when the replacement has it, else each of its own */

    keys = json_array();

    json_array_foreach(tactics, i, t) {
        if (json_is_string(t)
            && ngx_strcmp(json_string_value(t), tactic) == 0)
        {
            ngx_snprintf((u_char *) nk, sizeof(nk), "%s.%s%Z", tactic, by);
            json_array_append_new(keys, json_string(nk));
            break;
        }
    }

    if (json_array_size(keys) == 0) {
        json_array_foreach(tactics, i, t) {
            if (json_is_string(t)) {
                ngx_snprintf((u_char *) nk, sizeof(nk), "%s.%s%Z",
                             json_string_value(t), by);
                json_array_append_new(keys, json_string(nk));
            }
        }
    }

    json_object_set_new(out, "replacement_keys", keys);

    return out;
}


/* a definition's keys that are not fine in to; NULL: none (or no memory) */

static json_t *
ngx_http_attck_cr_affected(ngx_http_attck_cr_def_t *def, json_t *to,
    json_t *from)
{
    size_t       i;
    json_t      *list, *tk, *k, *was;
    const char  *key;

    list = NULL;

    json_array_foreach(def->techniques, i, tk) {
        key = json_string_value(tk);

        if (key == NULL) {
            continue;
        }

        k = ngx_http_attck_cr_key(to, key, json_string_length(tk));

        if (k == NULL
            || ngx_strcmp(json_string_value(json_object_get(k, "status")),
                          "active") == 0)
        {
            json_decref(k);
            continue;
        }

        /* what it was in the older release: was it broken already? */

        if (from) {
            was = ngx_http_attck_cr_key(from, key, json_string_length(tk));
            json_object_set(k, "status_in_from",
                            json_object_get(was, "status"));
            json_decref(was);
        }

        if (list == NULL) {
            list = json_array();
        }

        json_array_append_new(list, k);
    }

    return list;
}


/* the Enterprise release before the newest one: the next view that has
 * other technique states than the newest */

static const attck_snap_view_t *
ngx_http_attck_cr_previous(const attck_snap_t *snap)
{
    ngx_uint_t               k;
    const attck_snap_doc_t  *d0, *d;

    d0 = attck_snap_find(snap, &snap->views[0], NGX_HTTP_ATTCK_CR_STATES,
                         sizeof(NGX_HTTP_ATTCK_CR_STATES) - 1);

    for (k = 1; d0 && k < snap->header->nviews; k++) {
        d = attck_snap_find(snap, &snap->views[k], NGX_HTTP_ATTCK_CR_STATES,
                            sizeof(NGX_HTTP_ATTCK_CR_STATES) - 1);

        if (d && (d->etag.len != d0->etag.len
                  || ngx_memcmp(attck_snap_bytes(snap, d->etag),
                                attck_snap_bytes(snap, d0->etag),
                                d->etag.len) != 0))
        {
            return &snap->views[k];
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_attck_cr_impact_start(ngx_http_request_t *r,
    ngx_http_attck_local_t *local)
{
    char                      buf[64];
    const char               *p, *end;
    attck_arg_t               arg;
    ngx_int_t                 rc;
    ngx_http_attck_cr_ctx_t  *ctx;
    const attck_snap_view_t  *view;

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
    ctx->format = NGX_HTTP_ATTCK_CR_IMPACT;
    ctx->domain = ATTCK_DOMAIN_ENTERPRISE;
    ctx->to = &local->snap.views[0];

    /* from=16.1&to=18.1: releases loaded; to defaults to the newest */

    p = (const char *) r->args.data;
    end = p + r->args.len;

    for ( ;; ) {
        rc = attck_args_next(&p, end, &arg, buf, sizeof(buf));

        if (rc == ATTCK_ARGS_END) {
            break;
        }

        if (rc != ATTCK_ARGS_OK) {
            return ngx_http_attck_cr_detail(r, NGX_HTTP_BAD_REQUEST,
                                            "A parameter is too long or "
                                            "holds a control character.");
        }

        if (!attck_args_eq(arg.name, arg.name_len, "from")
            && !attck_args_eq(arg.name, arg.name_len, "to"))
        {
            continue;
        }

        view = attck_args_eq(arg.value, arg.value_len, "latest")
               ? &local->snap.views[0]
               : attck_snap_view(&local->snap, arg.value, arg.value_len);

        if (view == NULL
            || attck_snap_find(&local->snap, view, NGX_HTTP_ATTCK_CR_STATES,
                               sizeof(NGX_HTTP_ATTCK_CR_STATES) - 1)
               == NULL)
        {
            u_char      msg[512], *m;
            ngx_uint_t  k;

            m = ngx_slprintf(msg, msg + sizeof(msg) - 1, "No Enterprise "
                             "ATT&CK release %s is loaded (loaded:",
                             arg.name[0] == 'f' ? "to compare from"
                                                : "to compare to");

            for (k = local->snap.header->nviews; k > 0; k--) {
                view = &local->snap.views[k - 1];

                if (attck_snap_find(&local->snap, view,
                                    NGX_HTTP_ATTCK_CR_STATES,
                                    sizeof(NGX_HTTP_ATTCK_CR_STATES) - 1))
                {
                    m = ngx_slprintf(m, msg + sizeof(msg) - 1, " %*s",
                                     (size_t) view->name.len,
                                     attck_snap_bytes(&local->snap,
                                                      view->name));
                }
            }

            m = ngx_slprintf(m, msg + sizeof(msg) - 1, ").");
            *m = '\0';

            return ngx_http_attck_cr_detail(r, NGX_HTTP_NOT_FOUND,
                                            (const char *) msg);
        }

        if (arg.name[0] == 'f') {
            ctx->from = view;

        } else {
            ctx->to = view;
        }
    }

    return ngx_http_attck_cr_fetch(r, ctx);
}


/*
 * {"from":"16.1","to":"18.1","overlay":"complete","definitions":N,
 *  "affected":[{"source":"linear","id":12,"title":"...",
 *               "keys":[{"key":..,"technique":..,"status":..,...}]}]}
 */

ngx_int_t
ngx_http_attck_cr_impact(ngx_http_request_t *r, ngx_http_attck_cr_ctx_t *ctx)
{
    char                     *s;
    u_char                   *body;
    size_t                    len;
    json_t                   *docs, *to, *from, *out, *affected, *keys;
    ngx_uint_t                i, missing;
    ngx_array_t               defs, dots;
    const attck_snap_t       *snap;
    ngx_http_attck_cr_def_t  *def;

    snap = &ctx->local->snap;

    if (ngx_http_attck_cr_overlay(r, ctx, &defs, &dots, &docs) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    to = ngx_http_attck_cr_states(snap, ctx->to);
    from = ctx->from ? ngx_http_attck_cr_states(snap, ctx->from) : NULL;

    missing = 0;

    for (i = 0; i < ctx->nsources; i++) {
        missing += (ctx->sources[i].status != NGX_HTTP_OK);
    }

    affected = json_array();
    def = defs.elts;

    for (i = 0; i < defs.nelts; i++) {
        keys = ngx_http_attck_cr_affected(&def[i], to, from);

        if (keys == NULL) {
            continue;
        }

        json_array_append_new(affected, json_pack("{s:s%, s:O?, s:O?, s:o}",
                              "source", def[i].label->data,
                              def[i].label->len,
                              "id", def[i].id,
                              "title", def[i].title,
                              "keys", keys));
    }

    out = json_pack("{s:s%, s:s%, s:s, s:I, s:o}",
                    "from", ctx->from ? attck_snap_bytes(snap,
                                                         ctx->from->name)
                                      : "",
                    ctx->from ? (size_t) ctx->from->name.len : 0,
                    "to", attck_snap_bytes(snap, ctx->to->name),
                    (size_t) ctx->to->name.len,
                    "overlay", ctx->nsources == 0 ? "none"
                               : missing ? "partial" : "complete",
                    "definitions", (json_int_t) defs.nelts,
                    "affected", affected);

    if (out && ctx->from == NULL) {
        json_object_set_new(out, "from", json_null());
    }

    s = out ? json_dumps(out, JSON_COMPACT|JSON_PRESERVE_ORDER) : NULL;

    json_decref(out);
    json_decref(to);
    json_decref(from);
    json_decref(docs);

    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(s);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        free(s);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(body, s, len);
    free(s);

    return ngx_http_attck_send(r, &ngx_http_attck_json_type, body, len, NULL,
                               0, 0);
}


/*
 * The matrix legend's notice: the definitions using keys that are not
 * fine in the release shown, and a link to mitre-training-impact beside
 * the matrix's own address.  Empty when none is affected.
 */

ngx_int_t
ngx_http_attck_cr_impact_notice(ngx_http_request_t *r,
    ngx_http_attck_cr_ctx_t *ctx, ngx_array_t *defs, ngx_str_t *notice)
{
    u_char                   *p, *slash;
    size_t                    len;
    json_t                   *to, *keys;
    ngx_uint_t                i, n, *hit;
    const attck_snap_t       *snap;
    const attck_snap_view_t  *prev;
    ngx_http_attck_cr_def_t  *def;

    notice->len = 0;
    notice->data = NULL;

    snap = &ctx->local->snap;

    if (ctx->domain != ATTCK_DOMAIN_ENTERPRISE || defs->nelts == 0) {
        return NGX_OK;
    }

    to = ngx_http_attck_cr_states(snap, &snap->views[0]);

    if (to == NULL) {
        return NGX_OK;
    }

    hit = ngx_pcalloc(r->pool, defs->nelts * sizeof(ngx_uint_t));
    if (hit == NULL) {
        json_decref(to);
        return NGX_ERROR;
    }

    def = defs->elts;
    n = 0;
    len = 0;

    for (i = 0; i < defs->nelts; i++) {
        keys = ngx_http_attck_cr_affected(&def[i], to, NULL);

        if (keys) {
            hit[i] = 1;
            n++;
            len += ngx_http_attck_cr_label(NULL, &def[i], 1) + 2;
            json_decref(keys);
        }
    }

    json_decref(to);

    if (n == 0) {
        return NGX_OK;
    }

    prev = ngx_http_attck_cr_previous(snap);

    /* the link: this location's path, the last segment replaced */

    for (slash = r->uri.data + r->uri.len; slash > r->uri.data; slash--) {
        if (slash[-1] == '/' && slash != r->uri.data + r->uri.len) {
            break;
        }
    }

    len += 512 + (slash - r->uri.data) * 6 + 2 * 32;

    notice->data = ngx_pnalloc(r->pool, len);
    if (notice->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(notice->data, "<div class=\"attck-notice "
                    "attck-impact\">%ui training definition%s use%s "
                    "techniques that ATT&amp;CK %*s revoked, deprecated, "
                    "moved to another tactic or removed: ", n,
                    n == 1 ? "" : "s", n == 1 ? "s" : "",
                    (size_t) snap->views[0].name.len,
                    attck_snap_bytes(snap, snap->views[0].name));

    for (i = 0; i < defs->nelts; i++) {
        if (hit[i]) {
            p += ngx_http_attck_cr_label(p, &def[i], 1);
            *p++ = ';';
            *p++ = ' ';
        }
    }

    p = ngx_cpymem(p, "<a href=\"", sizeof("<a href=\"") - 1);
    p += ngx_http_attck_cr_text(p, r->uri.data, slash - r->uri.data, 1);
    p = ngx_cpymem(p, "mitre-training-impact?",
                   sizeof("mitre-training-impact?") - 1);

    if (prev) {
        p = ngx_sprintf(p, "from=%*s&amp;", (size_t) prev->name.len,
                        attck_snap_bytes(snap, prev->name));
    }

    p = ngx_sprintf(p, "to=%*s\">which keys, and what replaces them</a>"
                    "</div>", (size_t) snap->views[0].name.len,
                    attck_snap_bytes(snap, snap->views[0].name));

    notice->len = p - notice->data;

    return NGX_OK;
}
