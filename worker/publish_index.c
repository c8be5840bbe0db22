
/*
 * attck-worker publish: the threat index put in the snapshot.
 *
 * Three queries in publish's transaction: the tactics and the techniques
 * mapped (with the parents of mapped sub-techniques, so that a parent
 * filter finds its subs), named by the newest release that has them; then
 * every threat newest first with its values and mappings, and the
 * document and brief publish writes to Redis, named by the digest of the
 * document (attck_tix_threat_t.digest).  Lists come
 * joined by a unit separator (0x1f), which the sources' texts do not hold
 * (a value that did would count as two).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "db.h"
#include "publish_base.h"
#include "publish_index.h"
#include "util.h"


#define ATTCK_PUBLISH_SEP  '\x1f'
#define ATTCK_PUBLISH_MAX_VALUES  65535


typedef struct {
    char      *domain;     /* "enterprise-attack" */
    char      *shortname;
    uint32_t   index;
} attck_publish_tactic_t;


static uint32_t attck_publish_domain(const char *domain);
static void attck_publish_tactics(PGconn *db, attck_tix_writer_t *w,
    PGresult **res);
static void attck_publish_techniques(PGconn *db, attck_tix_writer_t *w,
    PGresult *tactics, const char *ids);
static uint32_t attck_publish_split(attck_tix_writer_t *w, char *s,
    uint32_t *vals, uint32_t max);
static PGresult *attck_publish_rows(PGconn *db,
    const attck_publish_base_t *base);
static char *attck_publish_ids(PGresult *rows,
    const attck_publish_base_t *base);
static int attck_publish_id_cmp(const void *a, const void *b);
static void attck_publish_row(attck_tix_writer_t *w, PGresult *res, int i,
    attck_tix_threat_t *t, attck_tix_map_t *maps, uint32_t *vals);
static void attck_publish_kept(attck_tix_writer_t *w, const attck_tix_t *b,
    uint32_t i, uint32_t *strmap, const uint32_t *techmap,
    attck_tix_map_t *maps, uint32_t *vals);
static void attck_publish_merge(attck_tix_writer_t *w, PGresult *res,
    const attck_publish_base_t *base);


static uint32_t
attck_publish_domain(const char *domain)
{
    if (strcmp(domain, "enterprise-attack") == 0) {
        return ATTCK_DOMAIN_ENTERPRISE;
    }

    if (strcmp(domain, "mobile-attack") == 0) {
        return ATTCK_DOMAIN_MOBILE;
    }

    return ATTCK_DOMAIN_ICS;
}


/* one tactic per domain and short name, as the newest release has it */

static void
attck_publish_tactics(PGconn *db, attck_tix_writer_t *w, PGresult **res)
{
    int  i;

    *res = attck_db_query(db, "publish",
        "SELECT DISTINCT ON (r.domain, a.shortname)"
        "       a.attack_id, a.shortname, coalesce(a.name, ''), r.domain"
        "  FROM attack_tactics a JOIN attack_releases r ON r.id = a.release_id"
        " WHERE a.attack_id IS NOT NULL AND a.shortname IS NOT NULL"
        " ORDER BY r.domain, a.shortname,"
        "          r.modified DESC NULLS LAST, r.id DESC", 0, NULL);

    for (i = 0; i < PQntuples(*res); i++) {
        (void) attck_tix_writer_tactic(w, PQgetvalue(*res, i, 0),
                                       PQgetvalue(*res, i, 1),
                                       PQgetvalue(*res, i, 2),
                                       attck_publish_domain(
                                           PQgetvalue(*res, i, 3)));
    }
}


static void
attck_publish_techniques(PGconn *db, attck_tix_writer_t *w,
    PGresult *tactics, const char *ids)
{
    int          i, k, nt;
    char        *p, *q, *id, *dot;
    uint32_t     parent, domains, n, found, tac[64];
    PGresult    *res;
    const char  *name;

    /*
     * Per technique id and domain, the newest release's row: the first
     * row of an id names it; the tactics of every domain count
     */

    res = attck_db_query(db, "publish",
        "WITH ids AS (SELECT unnest($1::text[]) AS id)"
        " SELECT i.id, x.name, x.domain,"
        "        array_to_string(x.tactics, E'\\x1f')"
        "   FROM ids i LEFT JOIN LATERAL ("
        "        SELECT DISTINCT ON (r.domain) coalesce(t.name, '') AS name,"
        "               r.domain, t.tactics, r.modified, r.id"
        "          FROM mitre_attack_techniques t"
        "          JOIN attack_releases r ON r.id = t.release_id"
        "         WHERE t.attack_id = i.id"
        "         ORDER BY r.domain, r.modified DESC NULLS LAST, r.id DESC"
        "   ) x ON true"
        "  ORDER BY i.id COLLATE \"C\", x.modified DESC NULLS LAST,"
        "           x.id DESC", 1, &ids);

    nt = PQntuples(tactics);

    for (i = 0; i < PQntuples(res); i = k) {
        id = PQgetvalue(res, i, 0);
        name = PQgetvalue(res, i, 1);
        domains = 0;
        n = 0;

        for (k = i; k < PQntuples(res) && strcmp(PQgetvalue(res, k, 0), id)
                                          == 0; k++)
        {
            if (PQgetisnull(res, k, 2)) {
                continue;
            }

            domains |= attck_publish_domain(PQgetvalue(res, k, 2));

            /* "execution" of this row's domain: the tactic's index */

            for (p = PQgetvalue(res, k, 3); *p; p = q) {
                q = strchr(p, ATTCK_PUBLISH_SEP);
                q = q ? q : p + strlen(p);

                for (found = 0; found < (uint32_t) nt; found++) {
                    if (strcmp(PQgetvalue(tactics, found, 3),
                               PQgetvalue(res, k, 2)) == 0
                        && strlen(PQgetvalue(tactics, found, 1))
                           == (size_t) (q - p)
                        && strncmp(PQgetvalue(tactics, found, 1), p, q - p)
                           == 0)
                    {
                        break;
                    }
                }

                if (found < (uint32_t) nt && n < 64) {
                    tac[n++] = found;
                }

                if (*q) {
                    q++;
                }
            }
        }

        /* a parent comes before its subs in this order: it has its index */

        parent = ATTCK_TIX_NONE;
        dot = strchr(id, '.');

        if (dot) {
            *dot = '\0';
            parent = attck_tix_writer_find(w, id);
            *dot = '.';
        }

        (void) attck_tix_writer_tech(w, id, name, parent, domains, tac, n);
    }

    PQclear(res);
}


/* the values of a list joined by the separator, as string indexes */

static uint32_t
attck_publish_split(attck_tix_writer_t *w, char *s, uint32_t *vals,
    uint32_t max)
{
    char      *q;
    uint32_t   n;

    for (n = 0; *s && n < max; s = q) {
        q = strchr(s, ATTCK_PUBLISH_SEP);
        q = q ? q : s + strlen(s);

        vals[n++] = attck_tix_writer_str(w, s, q - s);

        if (*q) {
            q++;
        }
    }

    return n;
}


/*
 * The threats read: all of them, or those changed since the base; newest
 * first, each with its values, its mappings ("T1059.001 model 0.87 1",
 * joined), and its document and brief for Redis (columns 8 and 9)
 */

static PGresult *
attck_publish_rows(PGconn *db, const attck_publish_base_t *base)
{
    char         *ids, *p;
    size_t        i;
    PGresult     *res;
    const char   *param[1];

    /* "{3,17,42}": the changed ids as one array parameter */

    ids = NULL;

    if (base) {
        ids = attck_xmalloc(base->nchanged * 21 + 3);
        p = ids;
        *p++ = '{';

        for (i = 0; i < base->nchanged; i++) {
            p += sprintf(p, "%s%lld", i ? "," : "",
                         (long long) base->changed[i]);
        }

        *p++ = '}';
        *p = '\0';
    }

    param[0] = ids;

    res = attck_db_query(db, "publish",
        "SELECT t.id,"
        "       extract(epoch FROM coalesce(t.last_seen, t.first_seen,"
        "                                   t.updated_at))::bigint AS seen,"
        "       t.source, t.threat_type,"
        "       array_to_string(t.countries, E'\\x1f'),"
        "       array_to_string(t.tags, E'\\x1f'),"
        "       array_to_string(t.malware_families, E'\\x1f'),"
        "       coalesce((SELECT string_agg(m.technique_id || ' '"
        "                    || m.method || ' ' || m.score::text || ' '"
        "                    || m.confirmed::int, E'\\x1f'"
        "                    ORDER BY m.technique_id COLLATE \"C\")"
        "                   FROM mapped_threat_data m"
        "                  WHERE m.threat_id = t.id), ''),"
        "       jsonb_build_object('id', t.id, 'source', t.source,"
        "         'source_id', t.source_id, 'title', t.title,"
        "         'description', t.description, 'threat_type', t.threat_type,"
        "         'countries', t.countries, 'tags', t.tags,"
        "         'malware_families', t.malware_families,"
        "         'attack_ids', t.attack_ids,"
        "         'indicator_count', t.indicator_count,"
        "         'first_seen', t.first_seen, 'last_seen', t.last_seen,"
        "         'updated_at', t.updated_at,"
        "         'techniques', coalesce((SELECT jsonb_agg(jsonb_build_object("
        "             'id', m.technique_id, 'score', m.score,"
        "             'method', m.method, 'confirmed', m.confirmed,"
        "             'model_version', m.model_version,"
        "             'evidence', m.evidence, 'sentences', m.sentences,"
        "             'mapped_at', m.mapped_at)"
        "             ORDER BY m.score DESC, m.technique_id)"
        "           FROM mapped_threat_data m WHERE m.threat_id = t.id),"
        "           '[]'))::text,"
        "       jsonb_build_object('id', t.id, 'source', t.source,"
        "         'title', t.title,"
        "         'last_seen', coalesce(t.last_seen, t.first_seen))::text"
        "  FROM threat_intelligence_data t"
        " WHERE $1::bigint[] IS NULL OR t.id = ANY($1::bigint[])"
        " ORDER BY seen DESC, t.id DESC", 1, param);

    free(ids);

    return res;
}


static int
attck_publish_id_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/*
 * The techniques the index lists: every one mapped, and the parents of
 * sub-techniques mapped (so that a parent filter finds its subs), as a
 * text array "{T1001,T1059,T1059.001}" in byte order.  Of the base, those
 * still mapped by a threat not read again.
 */

static char *
attck_publish_ids(PGresult *rows, const attck_publish_base_t *base)
{
    int            i;
    char          *p, *q, *dot, *s, **ids;
    size_t         n, k, len;
    uint32_t       j, m, *count;
    attck_vec_t    v;
    attck_buf_t    out;
    const attck_tix_t         *b;
    const attck_tix_threat_t  *t;

    attck_vec_init(&v, sizeof(char *));

    for (i = 0; i < PQntuples(rows); i++) {
        for (p = PQgetvalue(rows, i, 7); *p; p = q) {
            q = strchr(p, ATTCK_PUBLISH_SEP);
            q = q ? q + 1 : p + strlen(p);
            len = strcspn(p, " ");
            s = attck_xmalloc(len + 1);
            memcpy(s, p, len);
            s[len] = '\0';
            *(char **) attck_vec_push(&v) = s;
        }
    }

    if (base) {
        b = &base->tix;
        count = attck_xcalloc(b->header->ntechs + 1, sizeof(uint32_t));

        for (j = 0; j < b->header->nthreats; j++) {
            t = &b->threats[j];

            if (attck_publish_base_changed(base, t->id)) {
                continue;
            }

            for (m = 0; m < t->nmaps; m++) {
                count[b->maps[t->maps + m].tech]++;
            }
        }

        for (j = 0; j < b->header->ntechs; j++) {
            if (count[j]) {
                len = b->techs[j].id.len;
                s = attck_xmalloc(len + 1);
                memcpy(s, attck_tix_bytes(b, b->techs[j].id), len);
                s[len] = '\0';
                *(char **) attck_vec_push(&v) = s;
            }
        }

        free(count);
    }

    /* the parents */

    n = v.n;

    for (k = 0; k < n; k++) {
        dot = strchr(*attck_vec_at(&v, char *, k), '.');

        if (dot) {
            len = dot - *attck_vec_at(&v, char *, k);
            s = attck_xmalloc(len + 1);
            memcpy(s, *attck_vec_at(&v, char *, k), len);
            s[len] = '\0';
            *(char **) attck_vec_push(&v) = s;
        }
    }

    ids = v.data;
    qsort(ids, v.n, sizeof(char *), attck_publish_id_cmp);

    memset(&out, 0, sizeof(attck_buf_t));
    attck_buf_str(&out, "{");

    for (k = 0; k < v.n; k++) {
        if (k == 0 || strcmp(ids[k], ids[k - 1]) != 0) {

            /* ids are checked by the table: T, digits and a dot */

            attck_buf_printf(&out, "%s%s", out.len > 1 ? "," : "", ids[k]);
        }
    }

    attck_buf_str(&out, "}");

    for (k = 0; k < v.n; k++) {
        free(ids[k]);
    }

    attck_vec_free(&v);

    return out.data;
}


/* a threat read from the database into the index's form */

static void
attck_publish_row(attck_tix_writer_t *w, PGresult *res, int i,
    attck_tix_threat_t *t, attck_tix_map_t *maps, uint32_t *vals)
{
    char        *p, *q;
    uint32_t     nmaps, m;
    const char  *src, *method;

    memset(t, 0, sizeof(attck_tix_threat_t));

    t->id = atoll(PQgetvalue(res, i, 0));
    t->seen = atoll(PQgetvalue(res, i, 1));

    src = PQgetvalue(res, i, 2);
    t->source = strcmp(src, "otx") == 0 ? ATTCK_TIX_OTX
                : strcmp(src, "virustotal") == 0 ? ATTCK_TIX_VIRUSTOTAL
                : ATTCK_TIX_TAXII;

    t->type = PQgetisnull(res, i, 3)
              ? ATTCK_TIX_NONE
              : attck_tix_writer_str(w, PQgetvalue(res, i, 3),
                                     PQgetlength(res, i, 3));

    t->ncountries = attck_publish_split(w, PQgetvalue(res, i, 4), vals,
                                        ATTCK_PUBLISH_MAX_VALUES);
    t->ntags = attck_publish_split(w, PQgetvalue(res, i, 5),
                                   vals + t->ncountries,
                                   ATTCK_PUBLISH_MAX_VALUES);
    t->nmalware = attck_publish_split(w, PQgetvalue(res, i, 6),
                                      vals + t->ncountries + t->ntags,
                                      ATTCK_PUBLISH_MAX_VALUES);

    /* "T1059.001 model 0.87 1", joined */

    nmaps = 0;

    for (p = PQgetvalue(res, i, 7); *p && nmaps < ATTCK_PUBLISH_MAX_VALUES;
         p = q)
    {
        char  id[64], meth[16];
        float score;
        int   confirmed;

        q = strchr(p, ATTCK_PUBLISH_SEP);
        q = q ? q + 1 : p + strlen(p);

        if (sscanf(p, "%63s %15s %f %d", id, meth, &score, &confirmed)
            != 4)
        {
            continue;
        }

        m = attck_tix_writer_find(w, id);

        if (m == ATTCK_TIX_NONE) {
            continue;
        }

        method = meth;
        maps[nmaps].tech = (uint16_t) m;
        maps[nmaps].method = strcmp(method, "explicit") == 0
                             ? ATTCK_TIX_EXPLICIT
                             : strcmp(method, "analyst") == 0
                             ? ATTCK_TIX_ANALYST : ATTCK_TIX_MODEL;
        maps[nmaps].flags = confirmed ? ATTCK_TIX_CONFIRMED : 0;
        maps[nmaps].score = score < 0 ? 0 : score > 1 ? 1 : score;
        nmaps++;
    }

    t->nmaps = (uint16_t) nmaps;

    /* the document's name in Redis: its content */

    attck_publish_digest(PQgetvalue(res, i, 8), PQgetlength(res, i, 8),
                         t->digest);
}


/*
 * A threat of the base, unchanged, into the index being written: its
 * strings and techniques renumbered.  Strings are numbered in the order
 * they are first met, as when every threat is read, so both ways give the
 * same bytes.
 */

static void
attck_publish_kept(attck_tix_writer_t *w, const attck_tix_t *b, uint32_t i,
    uint32_t *strmap, const uint32_t *techmap, attck_tix_map_t *maps,
    uint32_t *vals)
{
    uint32_t                   k, n, v;
    attck_tix_threat_t         t;
    const attck_snap_str_t    *s;
    const attck_tix_threat_t  *o;

    o = &b->threats[i];
    t = *o;

    if (o->type != ATTCK_TIX_NONE) {
        if (strmap[o->type] == ATTCK_TIX_NONE) {
            s = &b->strs[o->type];
            strmap[o->type] = attck_tix_writer_str(w, attck_tix_bytes(b, *s),
                                                   s->len);
        }

        t.type = strmap[o->type];
    }

    n = (uint32_t) o->ncountries + o->ntags + o->nmalware;

    for (k = 0; k < n; k++) {
        v = b->vals[o->vals + k];

        if (strmap[v] == ATTCK_TIX_NONE) {
            s = &b->strs[v];
            strmap[v] = attck_tix_writer_str(w, attck_tix_bytes(b, *s),
                                             s->len);
        }

        vals[k] = strmap[v];
    }

    for (k = 0; k < o->nmaps; k++) {
        maps[k] = b->maps[o->maps + k];
        maps[k].tech = (uint16_t) techmap[maps[k].tech];
    }

    if (attck_tix_writer_threat(w, &t, maps, vals) != 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: out of memory for the "
                    "threat index");
    }
}


/*
 * The threats newest first: those read, and the base's not read again,
 * merged (both are newest first: seen descending, then id descending)
 */

static void
attck_publish_merge(attck_tix_writer_t *w, PGresult *res,
    const attck_publish_base_t *base)
{
    int                  r, nrows;
    int64_t              seen, id;
    uint32_t             i, n, k, *vals, *strmap, *techmap;
    attck_tix_map_t     *maps;
    attck_tix_threat_t   t;
    const attck_tix_t   *b;

    vals = attck_xmalloc(3 * ATTCK_PUBLISH_MAX_VALUES * sizeof(uint32_t));
    maps = attck_xmalloc(ATTCK_PUBLISH_MAX_VALUES * sizeof(attck_tix_map_t));

    b = base ? &base->tix : NULL;
    n = b ? b->header->nthreats : 0;
    strmap = NULL;
    techmap = NULL;

    if (b) {
        strmap = attck_xmalloc((b->header->nstrs + 1) * sizeof(uint32_t));
        memset(strmap, 0xff, (b->header->nstrs + 1) * sizeof(uint32_t));
        techmap = attck_xmalloc((b->header->ntechs + 1) * sizeof(uint32_t));

        for (k = 0; k < b->header->ntechs; k++) {
            char  id[64];

            snprintf(id, sizeof(id), "%.*s", (int) b->techs[k].id.len,
                     attck_tix_bytes(b, b->techs[k].id));
            techmap[k] = attck_tix_writer_find(w, id);
        }
    }

    nrows = PQntuples(res);
    r = 0;
    i = 0;

    for ( ;; ) {
        while (i < n && attck_publish_base_changed(base, b->threats[i].id)) {
            i++;
        }

        if (r == nrows && i == n) {
            break;
        }

        if (r < nrows && i < n) {
            seen = atoll(PQgetvalue(res, r, 1));
            id = atoll(PQgetvalue(res, r, 0));

            if (b->threats[i].seen > seen
                || (b->threats[i].seen == seen && b->threats[i].id > id))
            {
                attck_publish_kept(w, b, i++, strmap, techmap, maps, vals);
                continue;
            }

        } else if (i < n) {
            attck_publish_kept(w, b, i++, strmap, techmap, maps, vals);
            continue;
        }

        attck_publish_row(w, res, r++, &t, maps, vals);

        if (attck_tix_writer_threat(w, &t, maps, vals) != 0) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: out of memory for "
                        "the threat index");
        }
    }

    free(vals);
    free(maps);
    free(strmap);
    free(techmap);
}


void
attck_publish_digest(const char *doc, size_t len, uint8_t *digest)
{
    unsigned char  hash[32];

    (void) SHA256((const unsigned char *) doc, len, hash);
    memcpy(digest, hash, 16);
}


void
attck_publish_digest_hex(const uint8_t *digest, char *hex)
{
    int  i;

    for (i = 0; i < 16; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
}


attck_tix_writer_t *
attck_publish_index(PGconn *db, const attck_publish_base_t *base,
    const void **data, size_t *size, PGresult **threats)
{
    char                *ids;
    PGresult            *tactics;
    attck_tix_writer_t  *w;

    w = attck_tix_writer_create();
    if (w == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    attck_publish_tactics(db, w, &tactics);

    /* the threats first: they say which techniques the index lists */

    *threats = attck_publish_rows(db, base);

    ids = attck_publish_ids(*threats, base);
    attck_publish_techniques(db, w, tactics, ids);
    free(ids);
    PQclear(tactics);

    attck_publish_merge(w, *threats, base);

    if (attck_tix_writer_finish(w, data, size) != 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: cannot lay out the "
                    "threat index (more than 4 GB?)");
    }

    attck_log("info", "publish: threat index of %u threats, %d read",
              ((const attck_tix_header_t *) *data)->nthreats,
              PQntuples(*threats));

    return w;
}
