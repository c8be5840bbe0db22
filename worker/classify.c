
/*
 * attck-worker classify: JSON Lines in ({"id": ..., "text": "..."}),
 * JSON Lines out ({"id": ..., "techniques": [...]}), one for one.  Ids
 * written in the text come first with score 1; the model fills the rest.
 * A bad line gets an error object and the run goes on.
 */

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify.h"
#include "map_model.h"
#include "util.h"


#define ATTCK_CLASSIFY_MAX_IDS  64


static json_t *attck_classify_line(const attck_map_model_t *m,
    const char *line, size_t len, size_t k, double threshold,
    attck_map_hit_t *hits);
static int attck_classify_has_id(char (*ids)[ATTCK_MAP_ID_SIZE],
    size_t nids, const char *id);
static int attck_classify_add_id(char (*ids)[ATTCK_MAP_ID_SIZE],
    size_t *nids, const char *id);


double
attck_classify_threshold(const char *cmd, const char *name,
    const char *value)
{
    char    *end;
    double   t;

    t = strtod(value, &end);

    if (*value == '\0' || *end != '\0' || !(t >= 0.0) || t > 1.0) {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: %s takes a score from 0 to 1",
                    cmd, name);
    }

    return t;
}


static int
attck_classify_has_id(char (*ids)[ATTCK_MAP_ID_SIZE], size_t nids,
    const char *id)
{
    size_t  i;

    for (i = 0; i < nids; i++) {
        if (strcmp(ids[i], id) == 0) {
            return 1;
        }
    }

    return 0;
}


/* remembers an id once; 0 if it was there already or there is no room */

static int
attck_classify_add_id(char (*ids)[ATTCK_MAP_ID_SIZE], size_t *nids,
    const char *id)
{
    if (*nids == ATTCK_CLASSIFY_MAX_IDS
        || attck_classify_has_id(ids, *nids, id))
    {
        return 0;
    }

    memcpy(ids[(*nids)++], id, strlen(id) + 1);

    return 1;
}


size_t
attck_classify_text(const attck_map_model_t *m, const char *text,
    size_t len, json_t *given, size_t k, double threshold, size_t max,
    attck_map_hit_t *hits, json_t *list)
{
    char         ids[ATTCK_CLASSIFY_MAX_IDS][ATTCK_MAP_ID_SIZE],
                 found[ATTCK_CLASSIFY_MAX_IDS][ATTCK_MAP_ID_SIZE];
    size_t       i, e, n, nids, nfound, nexplicit;
    json_t      *v, *ev;
    const char  *id;

    nids = 0;
    nexplicit = 0;

    /* ids the source gave; nonsense in that list is ignored */

    json_array_foreach(given, i, v) {
        id = json_string_value(v);

        if (json_array_size(list) < max && id && attck_map_id_valid(id)
            && attck_classify_add_id(ids, &nids, id))
        {
            json_array_append_new(list,
                json_pack("{s:s, s:f, s:s, s:[s]}", "id", id, "score", 1.0,
                          "method", "explicit", "evidence",
                          "source attack_ids"));
            nexplicit++;
        }
    }

    /* an id written in the text is a mapping by itself, but "T1000" may
     * be a part number: techniques the model knows */

    nfound = attck_map_explicit_ids(text, len, found, ATTCK_CLASSIFY_MAX_IDS);

    for (i = 0; i < nfound && json_array_size(list) < max; i++) {
        if (attck_map_model_class(m, found[i]) >= 0
            && attck_classify_add_id(ids, &nids, found[i]))
        {
            json_array_append_new(list,
                json_pack("{s:s, s:f, s:s, s:[s]}", "id", found[i],
                          "score", 1.0, "method", "explicit", "evidence",
                          found[i]));
            nexplicit++;
        }
    }

    /* the model, for what was not named */

    n = attck_map_model_classify(m, text, len, k, threshold, hits);

    for (i = 0; i < n && json_array_size(list) < max; i++) {
        id = m->classes[hits[i].cls].id;

        if (attck_classify_has_id(ids, nids, id)) {
            continue;
        }

        ev = json_array();

        for (e = 0; e < hits[i].nevidence; e++) {
            json_array_append_new(ev,
                json_string(m->vocab.terms[hits[i].evidence[e]]));
        }

        /* four decimals: the calibration says no more than that */

        json_array_append_new(list,
            json_pack("{s:s, s:f, s:s, s:o}", "id", id,
                      "score", round(hits[i].score * 10000.0) / 10000.0,
                      "method", "model", "evidence", ev));
    }

    return nexplicit;
}


static json_t *
attck_classify_line(const attck_map_model_t *m, const char *line,
    size_t len, size_t k, double threshold, attck_map_hit_t *hits)
{
    json_t        *in, *out, *list, *text, *id;
    json_error_t   jerr;

    in = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (in == NULL) {
        return json_pack("{s:n, s:s+}", "id", "error", "not JSON: ",
                         jerr.text);
    }

    id = json_object_get(in, "id");
    id = id ? json_incref(id) : json_null();
    text = json_object_get(in, "text");

    if (!json_is_object(in) || !json_is_string(text)) {
        out = json_pack("{s:o, s:s}", "id", id, "error",
                        "expected {\"id\": ..., \"text\": \"...\"}");
        json_decref(in);
        return out;
    }

    list = json_array();
    attck_classify_text(m, json_string_value(text), json_string_length(text),
                        NULL, k, threshold, k, hits, list);

    out = json_pack("{s:o, s:o}", "id", id, "techniques", list);
    json_decref(in);

    return out;
}


int
attck_classify_main(int argc, char **argv)
{
    int                 c, rc;
    char               *model_path, *line, err[512];
    size_t              cap, k, lines, bad;
    ssize_t             n;
    double              threshold;
    json_t             *out;
    attck_map_hit_t    *hits;
    attck_map_model_t   model;
    static struct option   longopts[] = {
        { "model", required_argument, NULL, 'm' },
        { "top", required_argument, NULL, 'k' },
        { "threshold", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    model_path = NULL;
    k = 10;
    threshold = 0.0;
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, ":m:k:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model_path = optarg;
            break;
        case 'k':
            k = attck_number("classify", "--top", optarg, 1, 1000);
            break;
        case 't':
            threshold = attck_classify_threshold("classify", "--threshold",
                                                 optarg);
            break;
        case 'h':
            printf("usage: attck-worker classify --model MODEL [--top K] "
                   "[--threshold T] < IN.jsonl > OUT.jsonl\n");
            return ATTCK_EXIT_OK;
        default:
            attck_bad_option("classify", c, argv);
        }
    }

    if (model_path == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "classify: --model MODEL is required");
    }

    rc = attck_map_model_load(&model, model_path, err, sizeof(err));
    if (rc != 0) {
        attck_fatal(rc, "classify: %s", err);
    }

    hits = attck_xcalloc(k, sizeof(attck_map_hit_t));
    line = NULL;
    cap = 0;
    lines = 0;
    bad = 0;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (n == 1 && line[0] == '\n') {
            continue;
        }

        lines++;
        out = attck_classify_line(&model, line, (size_t) n, k, threshold,
                                  hits);

        if (json_object_get(out, "error")) {
            bad++;
        }

        if (json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6))
            != 0 || fputc('\n', stdout) == EOF)
        {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "classify: cannot write");
        }

        json_decref(out);
    }

    free(line);
    free(hits);

    if (fflush(stdout) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "classify: cannot write");
    }

    attck_log("info", "classify: %zu lines, %zu refused (model %s, ATT&CK "
              "%s)", lines, bad, model_path, model.meta.release);

    attck_map_model_free(&model);

    return ATTCK_EXIT_OK;
}
