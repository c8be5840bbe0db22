
/*
 * attck-worker examples: every active technique's own text (name,
 * description, detection) and every procedure example, the description
 * of a "uses" relationship from a group, software or campaign to an
 * active technique ("[APT29] has used PowerShell to ...").  Citations
 * and markdown links are cleaned away.  Each line names the object the
 * sentence is about ("source"), so that an evaluation can hold out whole
 * groups rather than single sentences, which would leak.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compile.h"
#include "examples.h"
#include "index.h"
#include "map_text.h"
#include "model.h"
#include "util.h"


static char *attck_examples_clean(const char *text);
static void attck_examples_write(const char *text, const char *technique,
    const char *source, const char *kind);
static size_t attck_examples_techniques(attck_model_t *m);
static size_t attck_examples_procedures(attck_model_t *m);


/* citations and link targets away, white space folded: one plain line */

static char *
attck_examples_clean(const char *text)
{
    char    *s, *p, *q, *end;
    int      space;
    size_t   n;

    s = attck_index_clean(text);
    end = s + strlen(s);
    space = 1;

    for (p = s, q = s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = 1;
            continue;
        }

        n = attck_map_unicode_space(p, (size_t) (end - p));
        if (n) {
            p += n - 1;
            space = 1;
            continue;
        }

        if (space && q != s) {
            *q++ = ' ';
        }

        space = 0;
        *q++ = *p;
    }

    *q = '\0';

    return s;
}


static void
attck_examples_write(const char *text, const char *technique,
    const char *source, const char *kind)
{
    char    *clean;
    json_t  *line;

    clean = attck_examples_clean(text);

    line = json_pack("{s:s, s:[s], s:s, s:s}", "text", clean,
                     "techniques", technique, "source", source,
                     "kind", kind);

    if (line == NULL
        || json_dumpf(line, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0
        || fputc('\n', stdout) == EOF)
    {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "examples: cannot write");
    }

    json_decref(line);
    free(clean);
}


static size_t
attck_examples_techniques(attck_model_t *m)
{
    char          *text;
    size_t         i, n, len;
    const char    *desc, *detect;
    attck_obj_t   *o;

    n = 0;

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind != ATTCK_KIND_TECHNIQUE || !attck_obj_active(o)
            || o->id == NULL || o->name == NULL)
        {
            continue;
        }

        desc = attck_json_str(o->stix, "description");
        detect = attck_json_str(o->stix, "x_mitre_detection");

        len = strlen(o->name) + 4
              + (desc ? strlen(desc) : 0) + (detect ? strlen(detect) : 0);
        text = attck_xmalloc(len + 1);
        snprintf(text, len + 1, "%s. %s %s", o->name, desc ? desc : "",
                 detect ? detect : "");

        attck_examples_write(text, o->id, o->id, "definition");
        free(text);
        n++;
    }

    return n;
}


static size_t
attck_examples_procedures(attck_model_t *m)
{
    size_t        i, n;
    attck_obj_t  *src, *dst;
    attck_rel_t  *r;

    n = 0;

    for (i = 0; i < m->rels.n; i++) {
        r = attck_model_rel(m, i);

        if (strcmp(r->type, "uses") != 0 || r->description == NULL
            || r->description[0] == '\0')
        {
            continue;
        }

        src = attck_model_obj(m, r->src);
        dst = attck_model_obj(m, r->dst);

        if (dst->kind != ATTCK_KIND_TECHNIQUE || !attck_obj_active(dst)
            || dst->id == NULL || src->id == NULL || !attck_obj_active(src)
            || !(src->kind == ATTCK_KIND_GROUP
                 || src->kind == ATTCK_KIND_SOFTWARE
                 || src->kind == ATTCK_KIND_CAMPAIGN))
        {
            continue;
        }

        attck_examples_write(r->description, dst->id, src->id, "procedure");
        n++;
    }

    return n;
}


int
attck_examples_main(int argc, char **argv)
{
    int              c;
    char             err[256];
    size_t           i, nsrc, ndef, nproc;
    attck_bundle_t  *bundles, **list;
    attck_model_t    model;

    optind = 1;
    opterr = 0;

    while ((c = getopt(argc, argv, "h")) != -1) {
        if (c == 'h') {
            printf("usage: attck-worker examples [SOURCE...] > FILE.jsonl\n"
                   "SOURCE: the STIX 2.1 bundles of one ATT&CK release "
                   "(paths or URLs); default $ATTCK_SOURCES\n");
            return ATTCK_EXIT_OK;
        }

        attck_fatal(ATTCK_EXIT_USAGE, "examples: unknown option %s "
                    "(try -h)", argv[optind - 1]);
    }

    nsrc = attck_compile_load("examples", argc, argv, &bundles);
    list = attck_xcalloc(nsrc, sizeof(attck_bundle_t *));

    for (i = 0; i < nsrc; i++) {
        list[i] = &bundles[i];
    }

    if (attck_model_build(&model, "examples", list, nsrc, err, sizeof(err))
        != 0)
    {
        attck_fatal(ATTCK_EXIT_DATAERR, "examples: %s", err);
    }

    ndef = attck_examples_techniques(&model);
    nproc = attck_examples_procedures(&model);

    if (fflush(stdout) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "examples: cannot write");
    }

    attck_log("info", "examples: %zu technique texts, %zu procedure "
              "examples", ndef, nproc);

    attck_model_free(&model);

    for (i = 0; i < nsrc; i++) {
        attck_bundle_free(&bundles[i]);
    }

    free(bundles);
    free(list);

    return ATTCK_EXIT_OK;
}
