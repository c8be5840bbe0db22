
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
    const char *source, const char *kind, void *ctx);
static size_t attck_examples_techniques(attck_model_t *m,
    attck_examples_pt cb, void *ctx);
static size_t attck_examples_procedures(attck_model_t *m,
    attck_examples_pt cb, void *ctx);


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
    const char *source, const char *kind, void *ctx)
{
    json_t  *line;

    line = json_pack("{s:s, s:[s], s:s, s:s}", "text", text,
                     "techniques", technique, "source", source,
                     "kind", kind);

    if (line == NULL
        || json_dumpf(line, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0
        || fputc('\n', stdout) == EOF)
    {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "examples: cannot write");
    }

    json_decref(line);
}


static size_t
attck_examples_techniques(attck_model_t *m, attck_examples_pt cb, void *ctx)
{
    char          *text, *clean;
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

        clean = attck_examples_clean(text);
        cb(clean, o->id, o->id, "definition", ctx);
        free(clean);
        free(text);
        n++;
    }

    return n;
}


static size_t
attck_examples_procedures(attck_model_t *m, attck_examples_pt cb, void *ctx)
{
    char         *clean;
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

        clean = attck_examples_clean(r->description);
        cb(clean, dst->id, src->id, "procedure", ctx);
        free(clean);
        n++;
    }

    return n;
}


/*
 * The names of actors and their malware: a group's name and aliases
 * ("HIDDEN COBRA", "Wizard Spider"), a malware's name and aliases.  They
 * name someone or something, they say nothing of a behaviour, so the
 * mapper learns them as examples of no technique.  Campaigns are left
 * out: their names tell what happened ("3CX Supply Chain Attack"), and
 * tools too ("schtasks", "PsExec" are a behaviour's very words).
 */

size_t
attck_examples_names(attck_model_t *m, attck_examples_pt cb, void *ctx)
{
    size_t        i, k, n;
    json_t       *aliases, *a;
    const char   *name, *key;
    attck_obj_t  *o;

    n = 0;

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (!attck_obj_active(o) || o->id == NULL || o->name == NULL
            || !(o->kind == ATTCK_KIND_GROUP
                 || (o->kind == ATTCK_KIND_SOFTWARE
                     && strcmp(o->type, "malware") == 0)))
        {
            continue;
        }

        cb(o->name, "", o->id, "name", ctx);
        n++;

        key = o->kind == ATTCK_KIND_GROUP ? "aliases" : "x_mitre_aliases";
        aliases = json_object_get(o->stix, key);

        json_array_foreach(aliases, k, a) {
            name = json_string_value(a);

            if (name && *name && strcmp(name, o->name) != 0) {
                cb(name, "", o->id, "name", ctx);
                n++;
            }
        }
    }

    return n;
}


size_t
attck_examples_load(const char *cmd, int argc, char **argv, attck_model_t *m,
    attck_bundle_t **bundles)
{
    size_t  n;

    n = attck_compile_load(cmd, argc, argv, bundles);
    attck_examples_build(cmd, m, *bundles, n);

    return n;
}


void
attck_examples_build(const char *cmd, attck_model_t *m,
    attck_bundle_t *bundles, size_t n)
{
    char              err[256];
    size_t            i;
    attck_bundle_t  **list;

    list = attck_xcalloc(n ? n : 1, sizeof(attck_bundle_t *));

    for (i = 0; i < n; i++) {
        list[i] = &bundles[i];
    }

    if (attck_model_build(m, cmd, list, n, err, sizeof(err)) != 0) {
        attck_fatal(ATTCK_EXIT_DATAERR, "%s: %s", cmd, err);
    }

    free(list);
}


void
attck_examples_unload(attck_model_t *m, attck_bundle_t *bundles, size_t n)
{
    size_t  i;

    attck_model_free(m);

    for (i = 0; i < n; i++) {
        attck_bundle_free(&bundles[i]);
    }

    free(bundles);
}


size_t
attck_examples_collect(attck_model_t *m, attck_examples_pt cb, void *ctx,
    size_t *nproc)
{
    size_t  ndef;

    ndef = attck_examples_techniques(m, cb, ctx);
    *nproc = attck_examples_procedures(m, cb, ctx);

    return ndef;
}


int
attck_examples_main(int argc, char **argv)
{
    int              c;
    size_t           nsrc, ndef, nproc;
    attck_bundle_t  *bundles;
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

    nsrc = attck_examples_load("examples", argc, argv, &model, &bundles);
    ndef = attck_examples_collect(&model, attck_examples_write, NULL,
                                  &nproc);

    if (fflush(stdout) != 0) {
        attck_fatal(ATTCK_EXIT_CANTCREAT, "examples: cannot write");
    }

    attck_log("info", "examples: %zu technique texts, %zu procedure "
              "examples", ndef, nproc);

    attck_examples_unload(&model, bundles, nsrc);

    return ATTCK_EXIT_OK;
}
