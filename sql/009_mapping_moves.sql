-- Mappings follow ATT&CK's revocations.  attck-worker map never stores a
-- technique that the model's release (or the newest Enterprise release
-- stored) revoked or deprecated, and moves the stored mappings of a
-- technique a newer release revoked to the technique that replaces it;
-- every move is recorded here.

CREATE TABLE mapping_moves (
    id              bigserial PRIMARY KEY,
    threat_id       bigint NOT NULL
                    REFERENCES threat_intelligence_data ON DELETE CASCADE,
    from_technique  text NOT NULL,
    to_technique    text NOT NULL
                    CHECK (to_technique ~ '^T[0-9]{4}(\.[0-9]{3})?$'),
    release         text NOT NULL,     -- the Enterprise release revoking it
    method          text NOT NULL,     -- of the mapping, kept by the move
    score           real NOT NULL,
    confirmed       boolean NOT NULL,
    merged          boolean NOT NULL,  -- the threat had the replacement
    moved_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON mapping_moves (moved_at);

-- The ordering key of a release number: "9.0" < "16.1" < "18.1".
CREATE FUNCTION attck_release_order(version text) RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN version ~ '^[0-9]+(\.[0-9]+)*$'
                THEN string_to_array(version, '.')::int[] END
$$;

-- The Enterprise techniques of a release that are gone: revoked (with the
-- technique that replaces them, when the release says) or deprecated.  An
-- id that an active technique of the release also holds is not gone.
CREATE FUNCTION attck_techniques_gone(rel_version text)
RETURNS TABLE (technique_id text, replaced_by text, revoked boolean)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (t.attack_id) t.attack_id,
           (SELECT n.attack_id
              FROM attack_relationships r
              JOIN mitre_attack_techniques n
                ON n.release_id = r.release_id AND n.stix_id = r.target_ref
             WHERE r.release_id = t.release_id
               AND r.relationship_type = 'revoked-by'
               AND r.source_ref = t.stix_id
               AND NOT r.revoked AND NOT r.deprecated
               AND n.attack_id ~ '^T[0-9]{4}(\.[0-9]{3})?$'
             ORDER BY n.attack_id LIMIT 1),
           t.revoked
      FROM mitre_attack_techniques t
      JOIN attack_releases a ON a.id = t.release_id
     WHERE a.domain = 'enterprise-attack' AND a.version = rel_version
       AND (t.revoked OR t.deprecated) AND t.attack_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM mitre_attack_techniques u
                        WHERE u.release_id = t.release_id
                          AND u.attack_id = t.attack_id
                          AND NOT u.revoked AND NOT u.deprecated)
     ORDER BY t.attack_id, t.revoked DESC
$$;
