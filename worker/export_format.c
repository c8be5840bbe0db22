
/*
 * attck-worker export: the receivers it speaks to.
 *
 *   hec       Splunk HTTP Event Collector (and the SIEMs that accept its
 *             format): {"time", "source", "sourcetype", "event"} objects
 *             one after another, "Authorization: Splunk TOKEN"
 *   elastic   the Elasticsearch / OpenSearch _bulk API: an "index" action
 *             with the threat's id before each document, so a document
 *             sent twice is stored once; "Authorization: ApiKey TOKEN"
 *   ndjson    a webhook (SOAR, Logstash, Vector, a function): one document
 *             a line, "Authorization: Bearer TOKEN"
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "export_format.h"


static void attck_export_hec(attck_buf_t *body, const char *id,
    const char *doc, time_t seen);
static void attck_export_elastic(attck_buf_t *body, const char *id,
    const char *doc, time_t seen);
static void attck_export_ndjson(attck_buf_t *body, const char *id,
    const char *doc, time_t seen);
static int attck_export_elastic_accepted(const char *answer, size_t len,
    char *err, size_t errlen);


static const attck_export_format_t  attck_export_formats[] = {
    { "hec", "application/json", "Splunk", attck_export_hec, NULL },
    { "elastic", "application/x-ndjson", "ApiKey", attck_export_elastic,
      attck_export_elastic_accepted },
    { "ndjson", "application/x-ndjson", "Bearer", attck_export_ndjson, NULL },
    { NULL, NULL, NULL, NULL, NULL }
};


const attck_export_format_t *
attck_export_format(const char *name)
{
    const attck_export_format_t  *f;

    for (f = attck_export_formats; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }

    return NULL;
}



static void
attck_export_hec(attck_buf_t *body, const char *id, const char *doc,
    time_t seen)
{
    char  head[128];

    /* the event's time is when the threat was seen, not when it was sent */

    snprintf(head, sizeof(head), "{\"time\":%lld,\"source\":\"attck-worker\","
             "\"sourcetype\":\"attck:threat\",\"event\":", (long long) seen);

    attck_buf_str(body, head);
    attck_buf_str(body, doc);
    attck_buf_str(body, "}\n");
}


static void
attck_export_elastic(attck_buf_t *body, const char *id, const char *doc,
    time_t seen)
{
    char    *action;
    json_t  *a;

    a = json_pack("{s:{s:s}}", "index", "_id", id);
    action = a ? json_dumps(a, JSON_COMPACT) : NULL;

    if (action == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "export: out of memory");
    }

    attck_buf_str(body, action);
    attck_buf_str(body, "\n");
    attck_buf_str(body, doc);
    attck_buf_str(body, "\n");

    free(action);
    json_decref(a);
}


static void
attck_export_ndjson(attck_buf_t *body, const char *id, const char *doc,
    time_t seen)
{
    attck_buf_str(body, doc);
    attck_buf_str(body, "\n");
}


/*
 * _bulk answers 200 even when documents were refused: "errors": true and
 * an error per refused item
 */

static int
attck_export_elastic_accepted(const char *answer, size_t len, char *err,
    size_t errlen)
{
    size_t        i, failed;
    json_t       *root, *items, *item, *e;
    const char   *reason;
    json_error_t  jerr;

    root = json_loadb(answer, len, 0, &jerr);

    if (!json_is_object(root)) {
        snprintf(err, errlen, "the _bulk answer is not a JSON object");
        json_decref(root);
        return -1;
    }

    if (!json_is_true(json_object_get(root, "errors"))) {
        json_decref(root);
        return 0;
    }

    failed = 0;
    reason = "no reason given";
    items = json_object_get(root, "items");

    for (i = 0; i < json_array_size(items); i++) {
        item = json_object_get(json_array_get(items, i), "index");
        e = json_object_get(item, "error");

        if (e == NULL) {
            continue;
        }

        if (failed++ == 0 && json_is_string(json_object_get(e, "reason"))) {
            reason = json_string_value(json_object_get(e, "reason"));
        }
    }

    snprintf(err, errlen, "%zu of %zu documents refused, the first: %.200s",
             failed, json_array_size(items), reason);

    json_decref(root);

    return -1;
}
