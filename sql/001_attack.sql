-- ATT&CK releases and their objects.  Several releases live side by side;
-- every object keeps its raw STIX (jsonb) beside the columns that the API,
-- the mapper and reports read.  Rows are written by "attck-worker ingest
-- attack" through attck_load_release() below, from raw objects COPYed
-- into attck_staging.

CREATE TABLE attack_releases (
    id          bigserial PRIMARY KEY,
    domain      text NOT NULL
                CHECK (domain IN ('enterprise-attack', 'mobile-attack',
                                  'ics-attack')),
    version     text NOT NULL,
    name        text,
    modified    timestamptz,
    source      text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    objects     integer NOT NULL CHECK (objects >= 0),
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain, version)
);

-- the ATT&CK id and URL of an object, from external_references (jsonpath
-- runs in C: these are called for every object of a release)
CREATE FUNCTION attck_attack_id(o jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_query_first(o,
        '$.external_references[*] ? (@.source_name == "mitre-attack"
         || @.source_name == "mitre-mobile-attack"
         || @.source_name == "mitre-ics-attack").external_id') #>> '{}'
$$;

CREATE FUNCTION attck_attack_url(o jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_query_first(o,
        '$.external_references[*] ? (@.source_name == "mitre-attack"
         || @.source_name == "mitre-mobile-attack"
         || @.source_name == "mitre-ics-attack").url') #>> '{}'
$$;

CREATE FUNCTION attck_text_array(a jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(e), '{}')
    FROM jsonb_array_elements_text(
             CASE jsonb_typeof(a) WHEN 'array' THEN a ELSE '[]' END) e
$$;

-- columns every kind of object has
CREATE TABLE attack_objects (
    release_id  bigint NOT NULL REFERENCES attack_releases ON DELETE CASCADE,
    stix_id     text NOT NULL,
    attack_id   text,
    name        text,
    description text,
    url         text,
    version     text,
    domains     text[] NOT NULL DEFAULT '{}',
    created     timestamptz,
    modified    timestamptz,
    revoked     boolean NOT NULL DEFAULT false,
    deprecated  boolean NOT NULL DEFAULT false,
    raw         jsonb COMPRESSION lz4 NOT NULL
);

-- one table per kind, sharing those columns (LIKE keeps them in step);
-- raw STIX is compressed with lz4, several times faster than pglz

CREATE TABLE mitre_attack_techniques (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    is_subtechnique  boolean NOT NULL DEFAULT false,
    tactics          text[] NOT NULL DEFAULT '{}',    -- kill chain phases
    platforms        text[] NOT NULL DEFAULT '{}',
    detection        text,
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_tactics (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    shortname   text,
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_groups (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    aliases     text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_software (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    software_type  text NOT NULL CHECK (software_type IN ('malware', 'tool')),
    aliases        text[] NOT NULL DEFAULT '{}',
    platforms      text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_mitigations (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_campaigns (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    aliases     text[] NOT NULL DEFAULT '{}',
    first_seen  timestamptz,
    last_seen   timestamptz,
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_detection_strategies (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    analytic_refs  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_analytics (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    platforms   text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_data_components (
    LIKE attack_objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING COMPRESSION,
    PRIMARY KEY (release_id, stix_id),
    FOREIGN KEY (release_id) REFERENCES attack_releases ON DELETE CASCADE
);

CREATE TABLE attack_relationships (
    release_id         bigint NOT NULL
                       REFERENCES attack_releases ON DELETE CASCADE,
    stix_id            text NOT NULL,
    relationship_type  text NOT NULL,
    source_ref         text NOT NULL,
    target_ref         text NOT NULL,
    description        text,
    revoked            boolean NOT NULL DEFAULT false,
    deprecated         boolean NOT NULL DEFAULT false,
    raw                jsonb COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (release_id, stix_id)
);

-- everything else of a bundle (matrices, data sources, the collection,
-- identities, markings): nothing a release holds is lost
CREATE TABLE attack_other_objects (
    release_id  bigint NOT NULL REFERENCES attack_releases ON DELETE CASCADE,
    stix_id     text NOT NULL,
    type        text NOT NULL,
    raw         jsonb COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (release_id, stix_id)
);

-- what a lookup by ATT&CK id or by relationship end needs
CREATE INDEX ON mitre_attack_techniques (attack_id);
CREATE INDEX ON mitre_attack_techniques USING gin (tactics);
CREATE INDEX ON attack_tactics (attack_id);
CREATE INDEX ON attack_groups (attack_id);
CREATE INDEX ON attack_software (attack_id);
CREATE INDEX ON attack_mitigations (attack_id);
CREATE INDEX ON attack_campaigns (attack_id);
CREATE INDEX ON attack_relationships (release_id, source_ref);
CREATE INDEX ON attack_relationships (release_id, target_ref);

-- the template is only a shape
DROP TABLE attack_objects;

-- The objects of one bundle are COPYed by the worker, as they are, into
-- the session's temporary table attck_staging (raw jsonb): the server
-- parses each object once.  attck_staged_release() says what release they
-- are; attck_load_release() spreads them over the tables above and returns
-- the number of objects stored.

CREATE FUNCTION attck_staged_release(OUT malformed bigint, OUT domain text,
    OUT version text, OUT name text, OUT modified text)
LANGUAGE plpgsql AS $$
BEGIN
    -- plpgsql: attck_staging exists only while a worker loads a bundle
    SELECT count(*) INTO malformed FROM attck_staging
    WHERE jsonb_typeof(raw) <> 'object' OR raw->>'id' IS NULL
       OR raw->>'type' IS NULL;

    SELECT attck_attack_id(raw) INTO domain FROM attck_staging
    WHERE raw->>'type' = 'x-mitre-matrix'
      AND NOT coalesce((raw->>'x_mitre_deprecated')::boolean, false)
      AND NOT coalesce((raw->>'revoked')::boolean, false)
    LIMIT 1;

    SELECT raw->>'x_mitre_version', raw->>'name', raw->>'modified'
    INTO version, name, modified
    FROM attck_staging WHERE raw->>'type' = 'x-mitre-collection'
    LIMIT 1;
END
$$;

CREATE FUNCTION attck_load_release(rel bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    c bigint;
BEGIN
    -- one pass per kind reads only that kind's rows
    CREATE INDEX ON attck_staging ((raw->>'type'));
    ANALYZE attck_staging;

    -- the columns every kind has, in attack_objects' order after the
    -- release (a view cannot hold this function's variables)
    CREATE TEMP VIEW attck_staged AS
    SELECT raw->>'id' AS stix_id,
           attck_attack_id(raw) AS attack_id, raw->>'name' AS name,
           raw->>'description' AS description, attck_attack_url(raw) AS url,
           raw->>'x_mitre_version' AS version,
           attck_text_array(raw->'x_mitre_domains') AS domains,
           (raw->>'created')::timestamptz AS created,
           (raw->>'modified')::timestamptz AS modified,
           coalesce((raw->>'revoked')::boolean, false) AS revoked,
           coalesce((raw->>'x_mitre_deprecated')::boolean, false)
               AS deprecated,
           raw, raw->>'type' AS type
    FROM attck_staging;

    INSERT INTO mitre_attack_techniques
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           coalesce((raw->>'x_mitre_is_subtechnique')::boolean, false),
           ARRAY(SELECT p->>'phase_name'
                 FROM jsonb_array_elements(
                          coalesce(raw->'kill_chain_phases', '[]')) p),
           attck_text_array(raw->'x_mitre_platforms'),
           raw->>'x_mitre_detection'
    FROM attck_staged WHERE type = 'attack-pattern';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_tactics
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           raw->>'x_mitre_shortname'
    FROM attck_staged WHERE type = 'x-mitre-tactic';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_groups
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           attck_text_array(raw->'aliases')
    FROM attck_staged WHERE type = 'intrusion-set';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_software
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           type, attck_text_array(raw->'x_mitre_aliases'),
           attck_text_array(raw->'x_mitre_platforms')
    FROM attck_staged WHERE type IN ('malware', 'tool');
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_mitigations
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw
    FROM attck_staged WHERE type = 'course-of-action';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_campaigns
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           attck_text_array(raw->'aliases'),
           (raw->>'first_seen')::timestamptz, (raw->>'last_seen')::timestamptz
    FROM attck_staged WHERE type = 'campaign';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_detection_strategies
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           attck_text_array(raw->'x_mitre_analytic_refs')
    FROM attck_staged WHERE type = 'x-mitre-detection-strategy';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_analytics
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw,
           attck_text_array(raw->'x_mitre_platforms')
    FROM attck_staged WHERE type = 'x-mitre-analytic';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_data_components
    SELECT rel, stix_id, attack_id, name, description, url, version,
           domains, created, modified, revoked, deprecated, raw
    FROM attck_staged WHERE type = 'x-mitre-data-component';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_relationships
    SELECT rel, raw->>'id', raw->>'relationship_type', raw->>'source_ref',
           raw->>'target_ref', raw->>'description',
           coalesce((raw->>'revoked')::boolean, false),
           coalesce((raw->>'x_mitre_deprecated')::boolean, false), raw
    FROM attck_staging WHERE raw->>'type' = 'relationship';
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    INSERT INTO attack_other_objects
    SELECT rel, raw->>'id', raw->>'type', raw
    FROM attck_staging
    WHERE raw->>'type' NOT IN ('attack-pattern', 'x-mitre-tactic',
                               'intrusion-set', 'malware', 'tool',
                               'course-of-action', 'campaign',
                               'x-mitre-detection-strategy',
                               'x-mitre-analytic', 'x-mitre-data-component',
                               'relationship');
    GET DIAGNOSTICS c = ROW_COUNT; n := n + c;

    DROP VIEW attck_staged;

    RETURN n;
END
$$;
