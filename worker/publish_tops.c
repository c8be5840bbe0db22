
/*
 * attck-worker publish: each technique's mapped threats, for the
 * technique documents of the snapshot.
 *
 * The counts and which threats are on top come from the threat index
 * just written (its postings are per technique, best score first), not
 * from a query over every mapping: that would cost a publish in
 * proportion to the store, not to what changed.  Only the few threats on
 * top are asked of the database, for their titles, and for their scores
 * as the database writes them (the index keeps 32-bit floats).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "publish_tops.h"
#include "util.h"


typedef struct {
    int64_t   id;
    float     score;
    uint32_t  tech;
} attck_publish_top_t;


static int attck_publish_top_cmp(const void *a, const void *b);


/* best score first, then the lowest id: as ORDER BY score DESC, id */

static int
attck_publish_top_cmp(const void *a, const void *b)
{
    const attck_publish_top_t  *x = a, *y = b;

    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }

    return (x->id > y->id) - (x->id < y->id);
}


json_t *
attck_publish_tops(PGconn *db, const attck_tix_t *tix, int top)
{
    int                   i;
    char                  key[64];
    size_t                k, n, from;
    uint32_t              j, p, np;
    json_t               *tops, *list, *e;
    PGresult             *res;
    attck_vec_t           v;
    attck_buf_t           ids, techs;
    const char           *param[2];
    json_error_t          jerr;
    attck_publish_top_t  *c;
    const attck_tix_tech_t  *t;
    const attck_tix_post_t  *posts;

    /*
     * Per technique: the posts down to the top-th score, ties at it
     * included (the index breaks them by the newest id, the list by the
     * lowest), sorted, the first top kept
     */

    attck_vec_init(&v, sizeof(attck_publish_top_t));

    for (j = 0; j < tix->header->ntechs; j++) {
        t = &tix->techs[j];
        posts = tix->posts + t->posts;
        np = t->nposts;
        from = v.n;

        for (p = 0; p < np; p++) {
            if (p >= (uint32_t) top
                && posts[p].score != posts[top - 1].score)
            {
                break;
            }

            c = attck_vec_push(&v);
            c->id = tix->threats[posts[p].threat].id;
            c->score = posts[p].score;
            c->tech = j;
        }

        c = attck_vec_at(&v, attck_publish_top_t, from);
        qsort(c, v.n - from, sizeof(attck_publish_top_t),
              attck_publish_top_cmp);

        if (v.n - from > (size_t) top) {
            v.n = from + top;
        }
    }

    c = v.data;
    n = v.n;

    /* their rows, in the order above: two arrays, unnested together */

    memset(&ids, 0, sizeof(attck_buf_t));
    memset(&techs, 0, sizeof(attck_buf_t));
    attck_buf_str(&ids, "{");
    attck_buf_str(&techs, "{");

    for (k = 0; k < n; k++) {
        t = &tix->techs[c[k].tech];
        attck_buf_printf(&ids, "%s%lld", k ? "," : "", (long long) c[k].id);
        attck_buf_printf(&techs, "%s%.*s", k ? "," : "", (int) t->id.len,
                         attck_tix_bytes(tix, t->id));
    }

    attck_buf_str(&ids, "}");
    attck_buf_str(&techs, "}");
    param[0] = ids.data;
    param[1] = techs.data;

    res = attck_db_query(db, "publish",
        "SELECT x.technique_id, jsonb_build_object('id', t.id,"
        "       'source', t.source, 'title', t.title, 'score', m.score,"
        "       'method', m.method)::text"
        "  FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY"
        "       AS x(threat_id, technique_id, n)"
        "  JOIN mapped_threat_data m USING (threat_id, technique_id)"
        "  JOIN threat_intelligence_data t ON t.id = x.threat_id"
        " ORDER BY x.n", 2, param);

    free(ids.data);
    free(techs.data);
    attck_vec_free(&v);

    tops = json_object();
    list = NULL;

    for (i = 0; i < PQntuples(res); i++) {
        if (list == NULL || strcmp(PQgetvalue(res, i, 0), key) != 0) {
            snprintf(key, sizeof(key), "%s", PQgetvalue(res, i, 0));
            list = json_array();
            json_object_set_new(tops, key, json_pack("{s:I, s:o}", "count",
                                                     (json_int_t) 0, "top",
                                                     list));
        }

        e = json_loads(PQgetvalue(res, i, 1), 0, &jerr);

        if (e == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: PostgreSQL gave "
                        "invalid JSON: %s", jerr.text);
        }

        json_array_append_new(list, e);
    }

    PQclear(res);

    /* every technique mapped, with its count */

    for (j = 0; j < tix->header->ntechs; j++) {
        t = &tix->techs[j];

        if (t->nposts == 0) {
            continue;
        }

        snprintf(key, sizeof(key), "%.*s", (int) t->id.len,
                 attck_tix_bytes(tix, t->id));

        e = json_object_get(tops, key);

        if (e == NULL) {
            e = json_pack("{s:I, s:[]}", "count", (json_int_t) 0, "top");
            json_object_set_new(tops, key, e);
        }

        json_object_set_new(e, "count", json_integer(t->nposts));
    }

    attck_log("info", "publish: %zu techniques have mapped threats",
              json_object_size(tops));

    return tops;
}
