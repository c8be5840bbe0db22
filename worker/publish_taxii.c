
/*
 * attck-worker publish --taxii: each mapped threat as a STIX 2.1 report
 * with relationships to the ATT&CK attack-patterns it was mapped to.
 *
 * date_added of these objects is their "modified": the later of when the
 * threat and its mappings were last written, so that a client polling
 * with added_after gets what changed since.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db.h"
#include "publish_taxii.h"
#include "util.h"


/* the namespace of our UUIDv5 ids */
static const unsigned char  attck_taxii_ns[16] = {
    0x6c, 0x1e, 0x0a, 0x55, 0x3d, 0x4b, 0x4f, 0x6e,
    0x9a, 0x51, 0x2f, 0x0d, 0x8c, 0x77, 0x13, 0xa2
};


static void attck_taxii_uuid5(const char *type, const char *name, char *out,
    size_t size);


/* "type--" and the UUIDv5 of name (RFC 4122, 4.3) */

static void
attck_taxii_uuid5(const char *type, const char *name, char *out, size_t size)
{
    unsigned int    len;
    unsigned char   h[EVP_MAX_MD_SIZE];
    EVP_MD_CTX     *md;

    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1
        || EVP_DigestUpdate(md, attck_taxii_ns, sizeof(attck_taxii_ns)) != 1
        || EVP_DigestUpdate(md, name, strlen(name)) != 1
        || EVP_DigestFinal_ex(md, h, &len) != 1)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
    }

    EVP_MD_CTX_free(md);

    h[6] = (unsigned char) ((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char) ((h[8] & 0x3f) | 0x80);

    snprintf(out, size, "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", type, h[0], h[1], h[2], h[3], h[4],
             h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
             h[15]);
}


json_t *
attck_publish_taxii(PGconn *db)
{
    int          i;
    char         rid[128], relid[128], ident[128], name[512];
    size_t       j;
    json_t      *objs, *rep, *refs, *techs, *t, *rels;
    PGresult    *res;
    json_error_t je;

    /*
     * The threats with their mappings, each technique with the STIX id of
     * its attack-pattern in the newest release that has it.
     */

    res = attck_db_query(db, "publish",
        "WITH ap AS ("
        "  SELECT DISTINCT ON (k.attack_id) k.attack_id, k.stix_id"
        "    FROM mitre_attack_techniques k"
        "    JOIN attack_releases r ON r.id = k.release_id"
        "   WHERE k.attack_id IS NOT NULL"
        "   ORDER BY k.attack_id, k.revoked, r.loaded_at DESC, r.id DESC)"
        " SELECT t.source, t.source_id, t.title, coalesce(t.description, ''),"
        "   to_char(coalesce(t.first_seen, t.updated_at) AT TIME ZONE 'UTC',"
        "           'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        "   to_char(greatest(t.updated_at, max(m.mapped_at)) AT TIME ZONE"
        "           'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        "   to_jsonb(t.tags)::text,"
        "   jsonb_agg(jsonb_build_object('id', m.technique_id,"
        "             'ap', ap.stix_id, 'score', round(m.score::numeric, 4),"
        "             'method', m.method)"
        "             ORDER BY m.technique_id)::text"
        "  FROM threat_intelligence_data t"
        "  JOIN mapped_threat_data m ON m.threat_id = t.id"
        "  JOIN ap ON ap.attack_id = m.technique_id"
        " GROUP BY t.id ORDER BY t.source, t.source_id", 0, NULL);

    objs = json_array();

    attck_taxii_uuid5("identity", "attck", ident, sizeof(ident));

    json_array_append_new(objs, json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
        "type", "identity", "spec_version", "2.1", "id", ident,
        "created", "2026-01-01T00:00:00.000Z",
        "modified", "2026-01-01T00:00:00.000Z",
        "name", "attck",
        "description", "attck-worker: threat intelligence mapped to MITRE "
                       "ATT&CK",
        "identity_class", "system"));

    for (i = 0; i < PQntuples(res); i++) {
        snprintf(name, sizeof(name), "threat:%s:%s", PQgetvalue(res, i, 0),
                 PQgetvalue(res, i, 1));
        attck_taxii_uuid5("report", name, rid, sizeof(rid));

        techs = json_loads(PQgetvalue(res, i, 7), 0, &je);
        refs = json_array();
        rels = json_array();

        json_array_foreach(techs, j, t) {
            json_array_append(refs, json_object_get(t, "ap"));

            snprintf(name, sizeof(name), "mapping:%s:%s:%s",
                     PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                     json_string_value(json_object_get(t, "id")));
            attck_taxii_uuid5("relationship", name, relid, sizeof(relid));

            json_array_append_new(rels, json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}",
                "type", "relationship", "spec_version", "2.1", "id", relid,
                "created_by_ref", ident,
                "created", PQgetvalue(res, i, 5),
                "modified", PQgetvalue(res, i, 5),
                "relationship_type", "related-to",
                "source_ref", rid,
                "target_ref", json_string_value(json_object_get(t, "ap")),
                "x_attck_score", json_object_get(t, "score"),
                "x_attck_method", json_object_get(t, "method")));
        }

        rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s],"
                        " s:o, s:[{s:s, s:s}], s:o}",
                        "type", "report", "spec_version", "2.1", "id", rid,
                        "created_by_ref", ident,
                        "created", PQgetvalue(res, i, 4),
                        "modified", PQgetvalue(res, i, 5),
                        "name", PQgetvalue(res, i, 2),
                        "description", PQgetvalue(res, i, 3),
                        "report_types", "threat-report",
                        "published", json_string(PQgetvalue(res, i, 4)),
                        "external_references",
                        "source_name", PQgetvalue(res, i, 0),
                        "external_id", PQgetvalue(res, i, 1),
                        "object_refs", refs);

        if (rep == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "publish: cannot build the "
                        "STIX report of threat %s", PQgetvalue(res, i, 1));
        }

        json_object_set_new(rep, "labels",
                            json_loads(PQgetvalue(res, i, 6), 0, &je));
        json_array_append_new(objs, rep);
        json_array_extend(objs, rels);
        json_decref(rels);
        json_decref(techs);
    }

    attck_log("info", "publish: %d threats for the TAXII threats "
              "collection", PQntuples(res));

    PQclear(res);

    return objs;
}
