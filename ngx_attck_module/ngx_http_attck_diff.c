
/*
 * ngx_http_attck_module: GET diff?from=16.1&to=18.1&domain=enterprise
 * [&type=technique][&section=revocations][&format=json|markdown|html|layer]
 *
 * Every slice of every changelog the snapshot holds is a pre-rendered
 * document of the newer release's view (worker/compile_diff.c), keyed
 * "diff/FROM/DOMAIN/FORMAT/TYPE/SECTION": the handler checks the
 * parameters, finds the document and sends it from shared memory.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_attck_module.h"
#include "ngx_http_attck_api.h"
#include "snapshot/attck_args.h"
#include "snapshot/attck_query.h"


/* the worker's names (worker/diff.c, worker/render_diff.c) */

static char  *ngx_http_attck_diff_types[] = {
    "technique", "tactic", "group", "software", "mitigation", "campaign",
    "data-component", "detection-strategy", "analytic", "asset", NULL
};

static char  *ngx_http_attck_diff_sections[] = {
    "additions", "major_version_changes", "minor_version_changes",
    "other_version_changes", "patches", "revocations", "deprecations",
    "deletions", NULL
};

static char  *ngx_http_attck_diff_formats[] = {
    "json", "markdown", "html", "layer", NULL
};


static ngx_str_t  ngx_http_attck_diff_md_type =
    ngx_string("text/markdown; charset=utf-8");
static ngx_str_t  ngx_http_attck_diff_html_type =
    ngx_string("text/html; charset=utf-8");


static ngx_int_t ngx_http_attck_diff_pick(ngx_http_attck_ctx_t *ctx,
    ngx_uint_t i, char **names, char *def, char **value, ngx_str_t *list);
static ngx_int_t ngx_http_attck_diff_release(ngx_http_attck_ctx_t *ctx,
    ngx_uint_t i, const attck_snap_view_t **view);
static ngx_int_t ngx_http_attck_diff_missing(ngx_http_request_t *r,
    ngx_http_attck_ctx_t *ctx, const char *what, ngx_str_t *name);


/*
 * a parameter that is one of names: *value, or def when it is absent;
 * NGX_DECLINED with the names listed in list otherwise
 */

static ngx_int_t
ngx_http_attck_diff_pick(ngx_http_attck_ctx_t *ctx, ngx_uint_t i,
    char **names, char *def, char **value, ngx_str_t *list)
{
    u_char      *p;
    ngx_str_t   *v;
    ngx_uint_t   k;

    *value = def;

    if (!(ctx->given & (1 << i))) {
        return NGX_OK;
    }

    v = &ctx->param[i];

    for (k = 0; names[k]; k++) {
        if (attck_args_eq((const char *) v->data, v->len, names[k])) {
            *value = names[k];
            return NGX_OK;
        }
    }

    p = list->data;

    for (k = 0; names[k]; k++) {
        p = ngx_slprintf(p, list->data + list->len, "%s%s", k ? ", " : "",
                         names[k]);
    }

    list->len = p - list->data;

    return NGX_DECLINED;
}


/* "latest" or a release the snapshot holds; NGX_DECLINED if not loaded */

static ngx_int_t
ngx_http_attck_diff_release(ngx_http_attck_ctx_t *ctx, ngx_uint_t i,
    const attck_snap_view_t **view)
{
    ngx_str_t  *v;

    v = &ctx->param[i];

    if (!(ctx->given & (1 << i)) || attck_args_eq((const char *) v->data,
                                                  v->len, "latest"))
    {
        *view = &ctx->snap->views[0];
        return NGX_OK;
    }

    *view = attck_snap_view(ctx->snap, (const char *) v->data, v->len);

    return *view ? NGX_OK : NGX_DECLINED;
}


/* 404 naming the releases loaded ("16.1, 18.1") */

static ngx_int_t
ngx_http_attck_diff_missing(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx,
    const char *what, ngx_str_t *name)
{
    u_char                   list[256], *p, *last;
    size_t                   i;
    ngx_uint_t               k;
    const attck_snap_view_t *view;

    p = list;
    last = list + sizeof(list);

    for (k = ctx->snap->header->nviews; k > 0; k--) {
        view = &ctx->snap->views[k - 1];
        p = ngx_slprintf(p, last, "%s%*s", p == list ? "" : ", ",
                         (size_t) view->name.len,
                         attck_snap_bytes(ctx->snap, view->name));
    }

    /* a release is echoed when it is short and plain */

    for (i = 0; name && i < name->len && name->len <= 32; i++) {
        if (!((name->data[i] >= '0' && name->data[i] <= '9')
              || (name->data[i] >= 'a' && name->data[i] <= 'z')
              || name->data[i] == '.'))
        {
            break;
        }
    }

    if (name == NULL || name->len == 0 || i != name->len) {
        return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                    "%s (loaded releases: %*s)", what,
                                    p - list, list);
    }

    return ngx_http_attck_error(r, NGX_HTTP_NOT_FOUND, "not found",
                                "%s: %V (loaded releases: %*s)", what,
                                name, p - list, list);
}


ngx_int_t
ngx_http_attck_diff(ngx_http_request_t *r, ngx_http_attck_ctx_t *ctx)
{
    char                     *type, *section, *format;
    u_char                    key[192], *k, names[256];
    uint32_t                  domain;
    ngx_int_t                 rc;
    ngx_str_t                *v, *ctype, dname, from_name, list;
    ngx_uint_t                i;
    ngx_table_elt_t          *h;
    const attck_snap_doc_t   *doc;
    const attck_snap_view_t  *from, *to;
    struct {
        const char           *name;
        ngx_uint_t            param;
        char                **names;
        char                 *def;
        char                **value;
    } pick[3] = {
        { "type", NGX_HTTP_ATTCK_I_TYPE, ngx_http_attck_diff_types, "all",
          &type },
        { "section", NGX_HTTP_ATTCK_I_SECTION, ngx_http_attck_diff_sections,
          "all", &section },
        { "format", NGX_HTTP_ATTCK_I_FORMAT, ngx_http_attck_diff_formats,
          "json", &format }
    };

    if (!(ctx->given & NGX_HTTP_ATTCK_P_FROM)
        || ctx->param[NGX_HTTP_ATTCK_I_FROM].len == 0)
    {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"from\" is required: the older "
                                    "release, such as 16.1");
    }

    domain = ATTCK_DOMAIN_ENTERPRISE;

    if (ctx->given & NGX_HTTP_ATTCK_P_DOMAIN) {
        v = &ctx->param[NGX_HTTP_ATTCK_I_DOMAIN];
        domain = attck_query_domain((const char *) v->data, v->len);
    }

    dname.data = (u_char *) attck_query_domain_name(domain);

    if (dname.data == NULL) {
        return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                    "invalid parameter",
                                    "\"domain\" is enterprise, mobile or ics");
    }

    dname.len = ngx_strlen(dname.data);

    /* type, section and format: one of their names each */

    for (i = 0; i < 3; i++) {
        list.data = names;
        list.len = sizeof(names);

        rc = ngx_http_attck_diff_pick(ctx, pick[i].param, pick[i].names,
                                      pick[i].def, pick[i].value, &list);

        if (rc != NGX_OK) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "\"%s\" is one of: %V",
                                        pick[i].name, &list);
        }
    }

    /* a layer shows techniques, whatever else changed */

    if (format[0] == 'l') {
        if (type[0] != 'a' && ngx_strcmp(type, "technique") != 0) {
            return ngx_http_attck_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid parameter",
                                        "a layer shows techniques: \"type\" "
                                        "is technique or absent");
        }

        type = "all";
    }

    if (ngx_http_attck_diff_release(ctx, NGX_HTTP_ATTCK_I_TO, &to) != NGX_OK)
    {
        return ngx_http_attck_diff_missing(r, ctx, "no such release",
                                           &ctx->param[NGX_HTTP_ATTCK_I_TO]);
    }

    if (ngx_http_attck_diff_release(ctx, NGX_HTTP_ATTCK_I_FROM, &from)
        != NGX_OK)
    {
        return ngx_http_attck_diff_missing(r, ctx, "no such release",
                                         &ctx->param[NGX_HTTP_ATTCK_I_FROM]);
    }

    from_name.data = (u_char *) attck_snap_bytes(ctx->snap, from->name);
    from_name.len = from->name.len;

    k = ngx_snprintf(key, sizeof(key), "diff/%V/%V/%s/%s/%s", &from_name,
                     &dname, format, type, section);

    doc = attck_snap_find(ctx->snap, to, (const char *) key, k - key);

    if (doc == NULL) {
        k = ngx_snprintf(key, sizeof(key), "no changelog of %V ATT&CK from "
                         "%V to %*s: both must hold the domain, the first "
                         "older%Z", &dname, &from_name, (size_t) to->name.len,
                         attck_snap_bytes(ctx->snap, to->name));

        return ngx_http_attck_diff_missing(r, ctx, (const char *) key, NULL);
    }

    switch (format[0]) {
    case 'm':
        ctype = &ngx_http_attck_diff_md_type;
        break;

    case 'h':
        ctype = &ngx_http_attck_diff_html_type;

        /* a page of text from STIX: nothing in it may run or load */

        h = ngx_http_attck_header(r, "Content-Security-Policy",
                                  (u_char *) "default-src 'none'; "
                                  "style-src 'unsafe-inline'",
                                  sizeof("default-src 'none'; "
                                         "style-src 'unsafe-inline'") - 1);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        break;

    default:
        ctype = &ngx_http_attck_json_type;
    }

    return ngx_http_attck_send(r, ctype,
                               (u_char *) attck_snap_bytes(ctx->snap,
                                                           doc->body),
                               doc->body.len,
                               (u_char *) attck_snap_bytes(ctx->snap,
                                                           doc->etag),
                               doc->etag.len, 1);
}
