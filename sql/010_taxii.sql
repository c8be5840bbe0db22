-- TAXII 2.1 feeds (attck-worker ingest taxii): their STIX objects are kept
-- per feed, and those that describe a threat become threats of source
-- 'taxii', with the ATT&CK techniques their relationships (or a report's
-- object_refs) name as attack_ids, which map keeps as explicit mappings.

ALTER TABLE threat_intelligence_data
    DROP CONSTRAINT threat_intelligence_data_source_check,
    ADD CONSTRAINT threat_intelligence_data_source_check
        CHECK (source IN ('otx', 'virustotal', 'taxii'));

ALTER TABLE source_state
    DROP CONSTRAINT source_state_kind_check,
    ADD CONSTRAINT source_state_kind_check
        CHECK (kind IN ('attack', 'otx', 'virustotal', 'taxii'));

ALTER TABLE ingestion_runs
    DROP CONSTRAINT ingestion_runs_kind_check,
    ADD CONSTRAINT ingestion_runs_kind_check
        CHECK (kind IN ('attack', 'otx', 'virustotal', 'taxii'));

-- a feed's place: the X-TAXII-Date-Added-Last of its last committed run,
-- sent as added_after by the next one
CREATE TABLE taxii_feed_state (
    feed         text PRIMARY KEY,
    url          text NOT NULL,            -- without credentials
    added_after  text,
    checked_at   timestamptz,
    changed_at   timestamptz
);

-- every object a feed gave, its newest version
CREATE TABLE taxii_objects (
    feed         text NOT NULL,
    stix_id      text NOT NULL,
    type         text NOT NULL,
    modified     timestamptz,
    raw          jsonb NOT NULL,
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, stix_id)
);

CREATE INDEX ON taxii_objects ((raw->>'source_ref'))
    WHERE type = 'relationship';

-- Moves the objects in the session's temporary table attck_taxii_staging
-- (raw jsonb) into taxii_objects and the feed's threats into
-- threat_intelligence_data; only threats whose content changed are
-- written.

CREATE FUNCTION attck_load_taxii(p_feed text, OUT n_added integer,
    OUT n_changed integer, OUT n_unchanged integer)
LANGUAGE plpgsql AS $$
DECLARE
    total integer;
BEGIN
    INSERT INTO taxii_objects AS o (feed, stix_id, type, modified, raw)
    SELECT DISTINCT ON (raw->>'id')
           p_feed, raw->>'id', raw->>'type',
           attck_ts(coalesce(raw->>'modified', raw->>'created')), raw
    FROM attck_taxii_staging
    WHERE raw->>'id' IS NOT NULL AND raw->>'type' IS NOT NULL
    ORDER BY raw->>'id',
             attck_ts(coalesce(raw->>'modified', raw->>'created'))
             DESC NULLS LAST
    ON CONFLICT (feed, stix_id) DO UPDATE SET
        type = EXCLUDED.type, modified = EXCLUDED.modified,
        raw = EXCLUDED.raw, fetched_at = now()
    WHERE o.modified IS NULL OR EXCLUDED.modified >= o.modified;

    CREATE TEMP TABLE attck_taxii_threats ON COMMIT DROP AS
    WITH threat AS (
        SELECT o.stix_id, o.type, o.raw
        FROM taxii_objects o
        WHERE o.feed = p_feed
          AND o.type IN ('report', 'intrusion-set', 'malware', 'campaign',
                         'indicator')
          AND coalesce(o.raw->>'description', '') <> ''
          AND coalesce(o.raw->>'revoked', 'false') <> 'true'
    ),
    -- the attack-patterns each threat names: relationships from it, and a
    -- report's object_refs
    named AS (
        SELECT r.raw->>'source_ref' AS threat, r.raw->>'target_ref' AS ap
        FROM taxii_objects r
        WHERE r.feed = p_feed AND r.type = 'relationship'
          AND r.raw->>'target_ref' LIKE 'attack-pattern--%'
          AND coalesce(r.raw->>'revoked', 'false') <> 'true'
        UNION
        SELECT t.stix_id, ref
        FROM threat t,
             jsonb_array_elements_text(
                 CASE jsonb_typeof(t.raw->'object_refs')
                 WHEN 'array' THEN t.raw->'object_refs' ELSE '[]' END) ref
        WHERE t.type = 'report' AND ref LIKE 'attack-pattern--%'
    ),
    -- an attack-pattern's ATT&CK id: from the feed, else from ATT&CK
    ap_id AS (
        SELECT o.stix_id, e->>'external_id' AS attack_id
        FROM taxii_objects o,
             jsonb_array_elements(
                 CASE jsonb_typeof(o.raw->'external_references')
                 WHEN 'array' THEN o.raw->'external_references'
                 ELSE '[]' END) e
        WHERE o.feed = p_feed AND o.type = 'attack-pattern'
          AND e->>'source_name' IN ('mitre-attack', 'mitre-mobile-attack',
                                    'mitre-ics-attack')
          AND e->>'external_id' ~ '^T[0-9]{4}(\.[0-9]{3})?$'
        UNION
        SELECT DISTINCT stix_id, attack_id
        FROM mitre_attack_techniques
        WHERE attack_id IS NOT NULL
    ),
    ids AS (
        SELECT n.threat, array_agg(DISTINCT a.attack_id
                                   ORDER BY a.attack_id) AS attack_ids
        FROM named n JOIN ap_id a ON a.stix_id = n.ap
        GROUP BY n.threat
    )
    SELECT p_feed || ':' || t.stix_id AS source_id,
           left(coalesce(nullif(t.raw->>'name', ''), t.stix_id), 1000)
               AS title,
           t.raw->>'description' AS description, t.type AS threat_type,
           attck_ts(coalesce(t.raw->>'first_seen', t.raw->>'published',
                             t.raw->>'created')) AS first_seen,
           attck_ts(coalesce(t.raw->>'last_seen', t.raw->>'modified'))
               AS last_seen,
           attck_text_array(t.raw->'labels') AS tags,
           coalesce(i.attack_ids, '{}') AS attack_ids
    FROM threat t LEFT JOIN ids i ON i.threat = t.stix_id;

    SELECT count(*) INTO total FROM attck_taxii_threats;

    WITH up AS (
        INSERT INTO threat_intelligence_data AS t (source, source_id, title,
            description, threat_type, first_seen, last_seen, tags,
            attack_ids, content_sha256)
        SELECT 'taxii', s.source_id, s.title, s.description, s.threat_type,
               s.first_seen, s.last_seen, s.tags, s.attack_ids,
               encode(sha256(convert_to(s.title || E'\n'
                                        || coalesce(s.description, '')
                                        || E'\n'
                                        || array_to_string(s.tags, ' ')
                                        || E'\n'
                                        || array_to_string(s.attack_ids, ' '),
                                        'UTF8')), 'hex')
        FROM attck_taxii_threats s
        ON CONFLICT (source, source_id) DO UPDATE SET
            title = EXCLUDED.title, description = EXCLUDED.description,
            threat_type = EXCLUDED.threat_type,
            first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
            tags = EXCLUDED.tags, attack_ids = EXCLUDED.attack_ids,
            content_sha256 = EXCLUDED.content_sha256, updated_at = now()
        WHERE t.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
        RETURNING (xmax = 0) AS is_new
    )
    SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new)
    INTO n_added, n_changed
    FROM up;

    n_unchanged := total - n_added - n_changed;

    DROP TABLE attck_taxii_threats;
END
$$;
