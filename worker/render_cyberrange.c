
/*
 * attck-worker: the documents of the cyber-range compatibility endpoints.
 *
 * The technique index follows the old service's rules: Enterprise only,
 * parent techniques only, no revoked or deprecated ones, a technique once
 * per tactic it sits under, "<tactic id>.<technique id>", in the matrix's
 * tactic order, then by technique name.
 */


#include <stdlib.h>
#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "render_cyberrange.h"
#include "util.h"


static size_t attck_cr_column(attck_render_t *r, uint32_t t,
    attck_vec_t *out);
static int attck_cr_name_cmp(const void *a, const void *b);
static int attck_cr_safe_id(const char *id);
static void attck_cr_link(attck_buf_t *h, const char *url);
static void attck_cr_cell(attck_buf_t *h, attck_obj_t *tactic,
    attck_obj_t *o, const char *cls);


/*
 * The front end sets the fragment as innerHTML of a div in a card about
 * 1,520 px wide: the 14 Enterprise tactics share its width (a fixed
 * layout of equal columns, small type, names that wrap anywhere), so
 * neither the last tactic nor a scroll bar ends up out of sight.
 */

static const char  attck_cr_style[] =
    "<style>\n"
    ".attck-matrix{font-family:Helvetica,Arial,sans-serif;font-size:10px;"
    "line-height:1.25;max-width:100%;overflow-x:auto}\n"
    ".attck-matrix table{border-collapse:separate;border-spacing:1px;"
    "table-layout:fixed;width:100%}\n"
    ".attck-matrix th{background:#1f3b57;color:#fff;padding:2px 3px;"
    "vertical-align:top;text-align:left;overflow-wrap:anywhere}\n"
    ".attck-matrix th small{display:block;font-weight:normal;opacity:.8}\n"
    ".attck-matrix td{vertical-align:top;padding:0}\n"
    ".attck-cell{border:1px solid #d0d7de;background:#fff;margin:0 0 1px;"
    "padding:1px 3px;overflow-wrap:anywhere}\n"
    ".attck-cell a{color:#24292f;text-decoration:none}\n"
    ".attck-cell a:hover{text-decoration:underline}\n"
    ".attck-sub{margin-left:6px;background:#f6f8fa}\n"
    ".attck-dots{display:block;line-height:9px}\n"
    ".attck-dot{display:inline-block;width:8px;height:8px;"
    "border-radius:50%;margin:1px 1px 0 0}\n"
    ".attck-legend{margin:0 0 4px}\n"
    ".attck-legend h4{margin:2px 0}\n"
    ".attck-legend ul{margin:0 0 4px;padding:0}\n"
    ".attck-legend li{list-style:none;display:inline-block;"
    "margin:0 12px 2px 0}\n"
    ".attck-notice{color:#6e4b00;background:#fff8c5;padding:4px;"
    "margin:4px 0}\n"
    "</style>\n";


/* the snapshot of this compilation, for qsort(3) */
static attck_model_t  *attck_cr_model;


/* ids go into attributes and keys as they are: they must be plain */

static int
attck_cr_safe_id(const char *id)
{
    return id && *id && strlen(id) < 32
           && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789.-") == strlen(id);
}


/*
 * An http(s) link only: a "javascript:" URL in STIX stays text.  It opens
 * in a new tab, so that the training application is not navigated away.
 */

static void
attck_cr_link(attck_buf_t *h, const char *url)
{
    if (url && (strncmp(url, "https://", 8) == 0
                || strncmp(url, "http://", 7) == 0))
    {
        attck_buf_str(h, " href=\"");
        attck_buf_html(h, url, 0);
        attck_buf_str(h, "\" target=\"_blank\" rel=\"noopener noreferrer\"");
    }
}


/*
 * One cell: the technique's link, and the mark its dots will replace;
 * attck_buf_html() makes control bytes spaces, so marks occur only here.
 */

static void
attck_cr_cell(attck_buf_t *h, attck_obj_t *tactic, attck_obj_t *o,
    const char *cls)
{
    char  buf[128];

    snprintf(buf, sizeof(buf), "<div class=\"%s\" id=\"attck-%s-%s\"><a",
             cls, tactic->id, o->id);
    attck_buf_str(h, buf);
    attck_cr_link(h, o->url);
    snprintf(buf, sizeof(buf), " title=\"%s\">", o->id);
    attck_buf_str(h, buf);
    attck_buf_html(h, o->name ? o->name : o->id, 0);
    snprintf(buf, sizeof(buf), "</a><span class=\"attck-dots\">%c%s.%s%c"
             "</span></div>", ATTCK_CR_CELL, tactic->id, o->id, ATTCK_CR_END);
    attck_buf_str(h, buf);
}


static int
attck_cr_name_cmp(const void *a, const void *b)
{
    const char  *x, *y;

    x = attck_model_obj(attck_cr_model, *(const uint32_t *) a)->name;
    y = attck_model_obj(attck_cr_model, *(const uint32_t *) b)->name;

    return strcmp(x ? x : "", y ? y : "");
}


/* the active parent techniques under tactic t, by name */

static size_t
attck_cr_column(attck_render_t *r, uint32_t t, attck_vec_t *out)
{
    size_t          i;
    attck_obj_t    *o;
    attck_model_t  *m;

    m = r->model;

    for (i = 0; i < m->objs.n; i++) {
        o = attck_model_obj(m, i);

        if (o->kind == ATTCK_KIND_TECHNIQUE && attck_cr_safe_id(o->id)
            && !o->sub && attck_obj_active(o)
            && (o->tactics & ((uint64_t) 1 << t)))
        {
            *(uint32_t *) attck_vec_push(out) = (uint32_t) i;
        }
    }

    /* an empty column's data is NULL, which qsort(3) may not be given */

    if (out->n > 1) {
        attck_cr_model = m;
        qsort(out->data, out->n, sizeof(uint32_t), attck_cr_name_cmp);
    }

    return out->n;
}


json_t *
attck_render_cr_index(attck_render_t *r)
{
    char            code[64];
    size_t          k;
    json_t         *a;
    uint32_t        t;
    attck_vec_t     col;
    attck_obj_t    *to, *o;
    attck_model_t  *m;

    m = r->model;
    a = json_array();

    for (t = 0; t < m->ntactics; t++) {
        to = attck_model_obj(m, m->tactics[t]);

        if (m->tactic_matrix[t] != 0 || !attck_cr_safe_id(to->id)) {
            continue;
        }

        attck_vec_init(&col, sizeof(uint32_t));
        attck_cr_column(r, t, &col);

        for (k = 0; k < col.n; k++) {
            o = attck_model_obj(m, *attck_vec_at(&col, uint32_t, k));
            snprintf(code, sizeof(code), "%s.%s", to->id, o->id);
            json_array_append_new(a, json_pack("{s:s, s:s?}", "code", code,
                                               "name", o->name));
        }

        attck_vec_free(&col);
    }

    return json_pack("{s:o}", "techniques", a);
}


char *
attck_render_cr_matrix(attck_render_t *r, int d, int subtechniques,
    size_t *len)
{
    char            buf[128];
    size_t          k, s;
    uint32_t        t;
    attck_vec_t     col, subs;
    attck_obj_t    *to, *o, *so;
    attck_rel_t    *rel;
    attck_buf_t     h;
    attck_model_t  *m;

    m = r->model;
    memset(&h, 0, sizeof(attck_buf_t));

    /* the legend above the table: in sight before the table's height */

    attck_buf_str(&h, attck_cr_style);
    snprintf(buf, sizeof(buf), "<div class=\"attck-matrix\">\n%c"
             "<table>\n<thead><tr>", ATTCK_CR_LEGEND);
    attck_buf_str(&h, buf);

    for (t = 0; t < m->ntactics; t++) {
        to = attck_model_obj(m, m->tactics[t]);

        if (m->tactic_matrix[t] != d || !attck_cr_safe_id(to->id)) {
            continue;
        }

        attck_vec_init(&col, sizeof(uint32_t));

        snprintf(buf, sizeof(buf), "<th title=\"%s\">", to->id);
        attck_buf_str(&h, buf);
        attck_buf_html(&h, to->name ? to->name : "", 0);
        snprintf(buf, sizeof(buf), "<small>%zu techniques</small></th>",
                 attck_cr_column(r, t, &col));
        attck_buf_str(&h, buf);
        attck_vec_free(&col);
    }

    attck_buf_str(&h, "</tr></thead>\n<tbody><tr>");

    for (t = 0; t < m->ntactics; t++) {
        to = attck_model_obj(m, m->tactics[t]);

        if (m->tactic_matrix[t] != d || !attck_cr_safe_id(to->id)) {
            continue;
        }

        attck_vec_init(&col, sizeof(uint32_t));
        attck_cr_column(r, t, &col);
        attck_buf_str(&h, "<td>");

        for (k = 0; k < col.n; k++) {
            o = attck_model_obj(m, *attck_vec_at(&col, uint32_t, k));

            attck_cr_cell(&h, to, o, "attck-cell");

            if (!subtechniques) {
                continue;
            }

            /* sub-techniques of the cell that share its tactic, by id */

            attck_vec_init(&subs, sizeof(uint32_t));

            for (s = 0; s < o->rels.n; s++) {
                rel = attck_model_rel(m, *attck_vec_at(&o->rels, uint32_t, s));
                so = attck_model_obj(m, rel->src);

                if (strcmp(rel->type, "subtechnique-of") == 0
                    && rel->dst == *attck_vec_at(&col, uint32_t, k)
                    && attck_cr_safe_id(so->id) && attck_obj_active(so)
                    && (so->tactics & ((uint64_t) 1 << t)))
                {
                    *(uint32_t *) attck_vec_push(&subs) = rel->src;
                }
            }

            attck_model_sort(m, subs.data, subs.n, sizeof(uint32_t));

            for (s = 0; s < subs.n; s++) {
                so = attck_model_obj(m, *attck_vec_at(&subs, uint32_t, s));

                attck_cr_cell(&h, to, so, "attck-cell attck-sub");
            }

            attck_vec_free(&subs);
        }

        attck_buf_str(&h, "</td>");
        attck_vec_free(&col);
    }

    attck_buf_str(&h, "</tr></tbody>\n</table>\n</div>\n");

    *len = h.len;

    return h.data;
}
