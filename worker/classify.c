
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


static int attck_classify_line(const attck_map_model_t *m,
    attck_classify_ctx_t *cx, const char *line, size_t len, size_t k,
    double threshold, FILE *out);
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


void
attck_classify_prepare(attck_classify_ctx_t *cx, const attck_map_model_t *m,
    size_t len, size_t k)
{
    size_t  need;

    /* a sentence takes at least two bytes and its separator */

    need = len / 2 + 2;

    if (cx->mem == NULL || need > cx->max_sentences) {
        free(cx->mem);
        cx->max_sentences = need < 64 ? 64 : need;
        cx->mem = attck_xmalloc(attck_cls_work_size(&m->cls,
                                                    cx->max_sentences));
        attck_cls_work_init(&cx->work, &m->cls, cx->mem, cx->max_sentences);
    }

    if (cx->hits == NULL || k > cx->k) {
        free(cx->hits);
        cx->k = k;
        cx->hits = attck_xcalloc(ATTCK_CLS_MAX_EXPLICIT + k,
                                 sizeof(attck_cls_hit_t));
    }
}


void
attck_classify_ctx_free(attck_classify_ctx_t *cx)
{
    free(cx->mem);
    free(cx->hits);
    memset(cx, 0, sizeof(attck_classify_ctx_t));
}


size_t
attck_classify_text(const attck_map_model_t *m, attck_classify_ctx_t *cx,
    const char *text, size_t len, json_t *given, size_t k, double threshold,
    size_t max, json_t *list)
{
    char                ids[ATTCK_CLASSIFY_MAX_IDS][ATTCK_MAP_ID_SIZE];
    size_t              i, e, n, nids, nexplicit, nsent;
    json_t             *v, *ev, *sents, *o;
    const char         *id, *term;
    attck_cls_hit_t    *h;
    attck_cls_span_t   *sp;

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

    attck_classify_prepare(cx, m, len, k);
    n = attck_cls_classify(&m->cls, &cx->work, text, len, k, threshold,
                           cx->hits, &nsent);

    for (i = 0; i < n && json_array_size(list) < max; i++) {
        h = &cx->hits[i];
        id = m->cls.classes[h->cls].id;

        if (!attck_classify_add_id(ids, &nids, id)) {
            continue;
        }

        if (h->explicit) {
            json_array_append_new(list,
                json_pack("{s:s, s:f, s:s, s:[s]}", "id", id,
                          "score", 1.0, "method", "explicit", "evidence",
                          id));
            nexplicit++;
            continue;
        }

        ev = json_array();

        for (e = 0; e < h->nevidence; e++) {
            term = attck_cls_term_str(&m->cls, h->evidence[e]);
            json_array_append_new(ev, json_string(term));
        }

        /* four decimals: the calibration says no more than that */

        o = json_pack("{s:s, s:f, s:s, s:o}", "id", id,
                      "score", round(h->score * 10000.0) / 10000.0,
                      "method", "model", "evidence", ev);

        if (nsent > 1) {
            sents = json_array();

            for (e = 0; e < h->nsupport; e++) {
                sp = &h->support[e];
                json_array_append_new(sents,
                    json_pack("{s:I, s:I, s:s%}",
                              "start", (json_int_t) sp->start,
                              "end", (json_int_t) sp->end,
                              "text", text + sp->start,
                              (size_t) (sp->end - sp->start)));
            }

            json_object_set_new(o, "sentences", sents);
        }

        json_array_append_new(list, o);
    }

    return nexplicit;
}


/*
 * The common line, {"id":123,"text":"..."} with a plain number and a
 * text without escapes, read in place: what jansson would read from it,
 * a fifth of the time a line takes.  Anything else goes to jansson.
 */

static int
attck_classify_plain(const char *line, size_t len, const char **id,
    size_t *idlen, const char **text, size_t *tlen)
{
    size_t               i, s;
    const unsigned char  *p;

    p = (const unsigned char *) line;

    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r')) {
        len--;
    }

    /* compact, or with a space after ':' and ',' (Python's default) */

    if (len < 17 || memcmp(p, "{\"id\":", 6) != 0) {
        return 0;
    }

    s = (p[6] == ' ') ? 7 : 6;

    for (i = s; i < len && p[i] >= '0' && p[i] <= '9'; i++) { /* void */ }

    if (i == s || i - s > 15 || (p[s] == '0' && i > s + 1)) {
        return 0;
    }

    *id = line + s;
    *idlen = i - s;

    if (len - i > 9 && memcmp(p + i, ", \"text\":", 9) == 0) {
        i += 9;

    } else if (len - i > 8 && memcmp(p + i, ",\"text\":", 8) == 0) {
        i += 8;

    } else {
        return 0;
    }

    if (i < len && p[i] == ' ') {
        i++;
    }

    if (len - i < 3 || p[i] != '"' || memcmp(p + len - 2, "\"}", 2) != 0) {
        return 0;
    }

    s = i + 1;

    for (i = s; i < len - 2; i++) {
        if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\') {
            return 0;
        }
    }

    if (!attck_cls_utf8(line + s, len - 2 - s)) {
        return 0;
    }

    *text = line + s;
    *tlen = len - 2 - s;

    return 1;
}


static int
attck_classify_line(const attck_map_model_t *m, attck_classify_ctx_t *cx,
    const char *line, size_t len, size_t k, double threshold, FILE *out)
{
    int            rc;
    char          *buf, *dumped, small[8192];
    size_t         n, need, nsent, tlen, idlen;
    json_t        *in, *o, *text, *id;
    const char    *t, *ids;
    json_error_t   jerr;

    in = NULL;
    dumped = NULL;

    if (attck_classify_plain(line, len, &ids, &idlen, &t, &tlen)) {
        goto classify;
    }

    in = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (in == NULL) {
        o = json_pack("{s:n, s:s+}", "id", "error", "not JSON: ",
                      jerr.text);
        goto error;
    }

    id = json_object_get(in, "id");
    text = json_object_get(in, "text");

    if (!json_is_object(in) || !json_is_string(text)) {
        o = json_pack("{s:O, s:s}", "id", id ? id : json_null(), "error",
                      "expected {\"id\": ..., \"text\": \"...\"}");
        json_decref(in);
        goto error;
    }

    dumped = json_dumps(id ? id : json_null(),
                        JSON_COMPACT | JSON_ENCODE_ANY);
    if (dumped == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    ids = dumped;
    idlen = strlen(dumped);
    t = json_string_value(text);
    tlen = json_string_length(text);

classify:

    /* the techniques as the module's POST map writes them, byte for
     * byte; the id as it came */

    attck_classify_prepare(cx, m, tlen, k);
    n = attck_cls_classify(&m->cls, &cx->work, t, tlen, k, threshold,
                           cx->hits, &nsent);
    if (n > k) {
        n = k;
    }

    need = attck_cls_json(&m->cls, t, cx->hits, n, nsent, small,
                          sizeof(small));
    buf = small;

    if (need > sizeof(small)) {
        buf = attck_xmalloc(need);
        (void) attck_cls_json(&m->cls, t, cx->hits, n, nsent, buf, need);
    }

    rc = fputs("{\"id\":", out) == EOF
         || fwrite(ids, 1, idlen, out) != idlen
         || fputs(",\"techniques\":", out) == EOF
         || fwrite(buf, 1, need, out) != need
         || fputs("}\n", out) == EOF;

    if (buf != small) {
        free(buf);
    }

    free(dumped);
    json_decref(in);

    return rc ? -1 : 0;

error:

    rc = json_dumpf(o, out, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0
         || fputc('\n', out) == EOF;
    json_decref(o);

    return rc ? -1 : 1;
}


int
attck_classify_main(int argc, char **argv)
{
    int                    c, rc;
    char                  *model_path, *line, err[512];
    size_t                 cap, k, lines, bad;
    ssize_t                n;
    double                 threshold;
    attck_map_model_t      model;
    attck_classify_ctx_t   cx;
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

    memset(&cx, 0, sizeof(attck_classify_ctx_t));
    line = NULL;
    cap = 0;
    lines = 0;
    bad = 0;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (n == 1 && line[0] == '\n') {
            continue;
        }

        lines++;
        rc = attck_classify_line(&model, &cx, line, (size_t) n, k,
                                 threshold, stdout);

        if (rc < 0) {
            attck_fatal(ATTCK_EXIT_CANTCREAT, "classify: cannot write");
        }

        bad += rc;
    }

    free(line);
    attck_classify_ctx_free(&cx);

    if (fflush(stdout) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "classify: cannot write");
    }

    attck_log("info", "classify: %zu lines, %zu refused (model %s, ATT&CK "
              "%s)", lines, bad, model_path, model.meta.release);

    attck_map_model_free(&model);

    return ATTCK_EXIT_OK;
}
