
/*
 * attck-worker: a TAXII 2.1 collection as a STIX bundle.  ATT&CK from a
 * TAXII server (MITRE's, or ours) instead of a bundle URL.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "taxii_bundle.h"
#include "util.h"


#define ATTCK_TAXII_BUNDLE_PAGE       1000
#define ATTCK_TAXII_BUNDLE_MAX_PAGES  10000


int
attck_taxii_source(const char *src)
{
    return strncmp(src, ATTCK_TAXII_SCHEME,
                   sizeof(ATTCK_TAXII_SCHEME) - 1) == 0;
}


int
attck_taxii_bundle(const char *src, attck_fetch_result_t *res, char *err,
    size_t errlen)
{
    int                    rc, page;
    char                  *url, *next, *prev, *esc, *s;
    size_t                 len, i;
    json_t                *objects, *root, *o, *n;
    const char            *base, *headers[2];
    json_error_t           je;
    attck_fetch_opts_t     opts;
    attck_fetch_result_t   f;

    base = src + sizeof(ATTCK_TAXII_SCHEME) - 1;
    len = strlen(base) + 2200;
    url = attck_xmalloc(len);
    objects = json_array();
    next = NULL;
    prev = NULL;
    rc = 0;

    headers[0] = "Accept: application/taxii+json;version=2.1";
    headers[1] = NULL;

    attck_fetch_defaults(&opts);
    opts.headers = headers;

    memset(res, 0, sizeof(attck_fetch_result_t));

    for (page = 0; ; page++) {
        if (page == ATTCK_TAXII_BUNDLE_MAX_PAGES) {
            snprintf(err, errlen, "%s: more than %d pages", src,
                     ATTCK_TAXII_BUNDLE_MAX_PAGES);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        snprintf(url, len, "%s%sobjects/?limit=%d", base,
                 base[0] && base[strlen(base) - 1] == '/' ? "" : "/",
                 ATTCK_TAXII_BUNDLE_PAGE);

        if (next) {
            esc = curl_easy_escape(NULL, next, 0);
            snprintf(url + strlen(url), len - strlen(url), "&next=%s", esc);
            curl_free(esc);
        }

        rc = attck_fetch(url, &opts, &f, err, errlen);

        if (rc != 0) {
            break;
        }

        root = json_loadb(f.data, f.len, 0, &je);
        free(f.data);
        o = json_object_get(root, "objects");

        if (!json_is_object(root) || (o && !json_is_array(o))) {
            snprintf(err, errlen, "%s: not a TAXII envelope (%s)", src,
                     root ? "no objects array" : je.text);
            json_decref(root);
            rc = ATTCK_EXIT_DATAERR;
            break;
        }

        json_array_extend(objects, o ? o : json_array());

        free(prev);
        prev = next;
        next = NULL;
        n = json_object_get(root, "next");

        if (json_is_true(json_object_get(root, "more"))) {
            if (!json_is_string(n)
                || (prev && strcmp(prev, json_string_value(n)) == 0))
            {
                snprintf(err, errlen, "%s: \"more\" without a new \"next\"",
                         src);
                json_decref(root);
                rc = ATTCK_EXIT_DATAERR;
                break;
            }

            next = attck_xstrdup(json_string_value(n));
            json_decref(root);
            continue;
        }

        json_decref(root);
        break;
    }

    free(url);
    free(prev);
    free(next);

    if (rc != 0) {
        json_decref(objects);
        return rc;
    }

    i = json_array_size(objects);
    root = json_pack("{s:s, s:s, s:o}", "type", "bundle",
                     "id", "bundle--00000000-0000-4000-8000-000000000000",
                     "objects", objects);
    s = json_dumps(root, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(root);

    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", src);
        return ATTCK_EXIT_SOFTWARE;
    }

    res->data = s;
    res->len = strlen(s);
    res->status = 200;

    attck_log("info", "%s: %zu objects in %d pages", src, i, page + 1);

    return 0;
}
