
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
    PGresult *tactics);
static uint32_t attck_publish_split(attck_tix_writer_t *w, char *s,
    uint32_t *vals, uint32_t max);
static PGresult *attck_publish_threats(PGconn *db, attck_tix_writer_t *w);


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
    PGresult *tactics)
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
        "WITH ids AS ("
        "  SELECT DISTINCT technique_id AS id FROM mapped_threat_data"
        "  UNION"
        "  SELECT DISTINCT split_part(technique_id, '.', 1)"
        "    FROM mapped_threat_data)"
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
        "           x.id DESC", 0, NULL);

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


static PGresult *
attck_publish_threats(PGconn *db, attck_tix_writer_t *w)
{
    int                  i;
    char                *p, *q;
    uint32_t            *vals, nmaps, m;
    const char          *src, *method;
    PGresult            *res;
    attck_tix_map_t     *maps;
    attck_tix_threat_t   t;

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
        " ORDER BY seen DESC, t.id DESC", 0, NULL);

    vals = attck_xmalloc(3 * ATTCK_PUBLISH_MAX_VALUES * sizeof(uint32_t));
    maps = attck_xmalloc(ATTCK_PUBLISH_MAX_VALUES * sizeof(attck_tix_map_t));

    for (i = 0; i < PQntuples(res); i++) {
        memset(&t, 0, sizeof(attck_tix_threat_t));

        t.id = atoll(PQgetvalue(res, i, 0));
        t.seen = atoll(PQgetvalue(res, i, 1));

        src = PQgetvalue(res, i, 2);
        t.source = strcmp(src, "otx") == 0 ? ATTCK_TIX_OTX
                   : strcmp(src, "virustotal") == 0 ? ATTCK_TIX_VIRUSTOTAL
                   : ATTCK_TIX_TAXII;

        t.type = PQgetisnull(res, i, 3)
                 ? ATTCK_TIX_NONE
                 : attck_tix_writer_str(w, PQgetvalue(res, i, 3),
                                        PQgetlength(res, i, 3));

        t.ncountries = attck_publish_split(w, PQgetvalue(res, i, 4), vals,
                                           ATTCK_PUBLISH_MAX_VALUES);
        t.ntags = attck_publish_split(w, PQgetvalue(res, i, 5),
                                      vals + t.ncountries,
                                      ATTCK_PUBLISH_MAX_VALUES);
        t.nmalware = attck_publish_split(w, PQgetvalue(res, i, 6),
                                         vals + t.ncountries + t.ntags,
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

        t.nmaps = (uint16_t) nmaps;

        /* the document's name in Redis: its content */

        attck_publish_digest(PQgetvalue(res, i, 8), PQgetlength(res, i, 8),
                             t.digest);

        if (attck_tix_writer_threat(w, &t, maps, vals) != 0) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: out of memory for "
                        "the threat index");
        }
    }

    attck_log("info", "publish: threat index of %d threats", PQntuples(res));

    free(vals);
    free(maps);

    return res;
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
attck_publish_index(PGconn *db, const void **data, size_t *size,
    PGresult **threats)
{
    PGresult            *tactics;
    attck_tix_writer_t  *w;

    w = attck_tix_writer_create();
    if (w == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    attck_publish_tactics(db, w, &tactics);
    attck_publish_techniques(db, w, tactics);
    PQclear(tactics);

    *threats = attck_publish_threats(db, w);

    if (attck_tix_writer_finish(w, data, size) != 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: cannot lay out the "
                    "threat index (more than 4 GB?)");
    }

    return w;
}
