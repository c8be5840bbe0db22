
/*
 * ngx_http_attck_module: ATT&CK Navigator layers (layer format 4.5).
 *
 * A layer is built per request with jansson, which escapes every string;
 * these are not lookup hot paths.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_attck_module.h"


json_t *
ngx_http_attck_layer_new(const char *name, const char *description,
    const char *domain, const attck_snap_t *snap,
    const attck_snap_view_t *view)
{
    char         attack[16];
    size_t       n;
    const char  *release;

    /* "versions.attack" is the major release: "18.1" -> "18" */

    release = attck_snap_bytes(snap, view->name);

    for (n = 0; n < view->name.len && n < sizeof(attack) - 1
                && release[n] != '.'; n++)
    {
        attack[n] = release[n];
    }

    attack[n] = '\0';

    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:[], "
                     "s:{s:[s, s], s:i, s:i}, s:[], s:b}",
                     "name", name,
                     "description", description,
                     "domain", domain,
                     "versions", "attack", attack, "navigator", "5.1.0",
                     "layer", "4.5",
                     "techniques",
                     "gradient", "colors", "#ffffff", "#ff6666",
                     "minValue", 0, "maxValue", 1,
                     "legendItems",
                     "hideDisabled", 0);
}


/* tactic: a shortname, or NULL for every tactic of the technique */

json_t *
ngx_http_attck_layer_add(json_t *layer, const char *id, size_t id_len,
    const char *tactic, long long score, const char *comment)
{
    json_t  *t;

    t = json_object();

    json_object_set_new(t, "techniqueID", json_stringn(id, id_len));

    if (tactic) {
        json_object_set_new(t, "tactic", json_string(tactic));
    }

    json_object_set_new(t, "score", json_integer(score));
    json_object_set_new(t, "color", json_string(""));
    json_object_set_new(t, "comment", json_string(comment ? comment : ""));
    json_object_set_new(t, "enabled", json_true());
    json_object_set_new(t, "metadata", json_array());
    json_object_set_new(t, "showSubtechniques", json_false());

    json_array_append_new(json_object_get(layer, "techniques"), t);

    if (score > json_integer_value(json_object_get(
                   json_object_get(layer, "gradient"), "maxValue")))
    {
        json_object_set_new(json_object_get(layer, "gradient"), "maxValue",
                            json_integer(score));
    }

    return t;
}


/* sends the layer as the answer and frees it */

ngx_int_t
ngx_http_attck_layer_send(ngx_http_request_t *r, json_t *layer)
{
    char      *s;
    u_char    *body;
    size_t     len;

    s = json_dumps(layer, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(layer);

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
