
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
static double attck_classify_round(double score);


static double
attck_classify_round(double score)
{
    return round(score * 10000.0) / 10000.0;
}


static json_t *
attck_classify_line(const attck_map_model_t *m, const char *line,
    size_t len, size_t k, double threshold, attck_map_hit_t *hits)
{
    char           ids[ATTCK_CLASSIFY_MAX_IDS][ATTCK_MAP_ID_SIZE];
    size_t         i, e, n, nids;
    json_t        *in, *out, *list, *ev, *text, *id;
    json_error_t   jerr;
    const char    *s;

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

    s = json_string_value(text);
    len = json_string_length(text);
    list = json_array();

    /* an id written in the text is a mapping by itself */

    nids = attck_map_explicit_ids(s, len, ids, ATTCK_CLASSIFY_MAX_IDS);

    for (i = 0; i < nids && json_array_size(list) < k; i++) {

        /* "T1000" may be a part number: techniques the model knows */

        if (attck_map_model_class(m, ids[i]) < 0) {
            continue;
        }

        json_array_append_new(list,
            json_pack("{s:s, s:f, s:s, s:[s]}", "id", ids[i], "score", 1.0,
                      "method", "explicit", "evidence", ids[i]));
    }

    n = attck_map_model_classify(m, s, len, k, threshold, hits);

    for (i = 0; i < n && json_array_size(list) < k; i++) {
        for (e = 0; e < nids; e++) {
            if (strcmp(ids[e], m->classes[hits[i].cls].id) == 0) {
                break;
            }
        }

        if (e < nids) {
            continue;
        }

        ev = json_array();

        for (e = 0; e < hits[i].nevidence; e++) {
            json_array_append_new(ev,
                json_string(m->vocab.terms[hits[i].evidence[e]]));
        }

        json_array_append_new(list,
            json_pack("{s:s, s:f, s:s, s:o}",
                      "id", m->classes[hits[i].cls].id,
                      "score", attck_classify_round(hits[i].score),
                      "method", "model", "evidence", ev));
    }

    out = json_pack("{s:o, s:o}", "id", id, "techniques", list);
    json_decref(in);

    return out;
}


int
attck_classify_main(int argc, char **argv)
{
    int                 c, rc;
    char               *model_path, *line, *end, err[512];
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
            k = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || k == 0 || k > 1000) {
                attck_fatal(ATTCK_EXIT_USAGE, "classify: --top takes a "
                            "number from 1 to 1000");
            }
            break;
        case 't':
            threshold = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(threshold >= 0.0)
                || threshold > 1.0)
            {
                attck_fatal(ATTCK_EXIT_USAGE, "classify: --threshold "
                            "takes a score from 0 to 1");
            }
            break;
        case 'h':
            printf("usage: attck-worker classify --model MODEL [--top K] "
                   "[--threshold T] < IN.jsonl > OUT.jsonl\n");
            return ATTCK_EXIT_OK;
        case ':':
            attck_fatal(ATTCK_EXIT_USAGE, "classify: %s needs an argument",
                        argv[optind - 1]);
        default:
            attck_fatal(ATTCK_EXIT_USAGE, "classify: unknown option %s "
                        "(try --help)", argv[optind - 1]);
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
