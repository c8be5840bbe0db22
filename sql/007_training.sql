-- What train reads from the database: ATT&CK releases as bundles, and
-- mappings an analyst confirmed (which map never changes or removes).

ALTER TABLE mapped_threat_data
    ADD COLUMN confirmed boolean NOT NULL DEFAULT false;

ALTER TABLE mapped_threat_data
    DROP CONSTRAINT mapped_threat_data_method_check,
    ADD CONSTRAINT mapped_threat_data_method_check
        CHECK (method IN ('explicit', 'model', 'analyst'));

CREATE INDEX ON mapped_threat_data (threat_id) WHERE confirmed;

-- the text of a threat that map classifies and train learns from
CREATE FUNCTION attck_threat_text(t threat_intelligence_data) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT t.title || E'.\n' || coalesce(t.description, '') || E'\n'
           || array_to_string(t.tags, ', ')
$$;

-- one stored release as the STIX bundle it came from (objects in id order)
CREATE FUNCTION attck_release_bundle(rel bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('type', 'bundle',
                              'id', 'bundle--attck-release-' || rel,
                              'objects', coalesce(jsonb_agg(raw
                                                  ORDER BY stix_id), '[]'))
           ::text
      FROM (SELECT stix_id, raw FROM mitre_attack_techniques
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_tactics
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_groups
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_software
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_mitigations
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_campaigns
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_detection_strategies
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_analytics
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_data_components
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_relationships
             WHERE release_id = rel
            UNION ALL SELECT stix_id, raw FROM attack_other_objects
             WHERE release_id = rel) o
$$;
