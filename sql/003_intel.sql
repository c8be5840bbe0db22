-- Threat intelligence: AlienVault OTX pulses and their indicators, and the
-- normalised threats the mapper reads (threat_intelligence_data).

-- a timestamp from a source, or NULL when it is not one; without a zone
-- it is UTC, as OTX gives it
CREATE FUNCTION attck_ts(t text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF t ~ '(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        RETURN t::timestamptz;
    END IF;

    RETURN t::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE TABLE otx_data (
    pulse_id            text PRIMARY KEY,
    name                text NOT NULL,
    description         text,
    author              text,
    tlp                 text,
    adversary           text,
    tags                text[] NOT NULL DEFAULT '{}',
    attack_ids          text[] NOT NULL DEFAULT '{}',
    malware_families    text[] NOT NULL DEFAULT '{}',
    targeted_countries  text[] NOT NULL DEFAULT '{}',
    industries          text[] NOT NULL DEFAULT '{}',
    refs                text[] NOT NULL DEFAULT '{}',
    created             timestamptz,
    modified            timestamptz,
    raw                 jsonb NOT NULL,
    fetched_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE otx_indicators (
    pulse_id     text NOT NULL REFERENCES otx_data ON DELETE CASCADE,
    type         text NOT NULL,
    indicator    text NOT NULL,
    title        text,
    description  text,
    created      timestamptz,
    is_active    boolean,
    PRIMARY KEY (pulse_id, type, indicator)
);

CREATE INDEX ON otx_indicators (type, indicator);

CREATE TABLE threat_intelligence_data (
    id               bigserial PRIMARY KEY,
    source           text NOT NULL CHECK (source IN ('otx', 'virustotal')),
    source_id        text NOT NULL,
    title            text NOT NULL,
    description      text,                -- what the mapper reads
    threat_type      text,
    countries        text[] NOT NULL DEFAULT '{}',
    first_seen       timestamptz,
    last_seen        timestamptz,
    tags             text[] NOT NULL DEFAULT '{}',
    attack_ids       text[] NOT NULL DEFAULT '{}',  -- given by the source
    indicator_count  integer NOT NULL DEFAULT 0,
    content_sha256   text NOT NULL,       -- changes when the text does
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);

CREATE INDEX ON threat_intelligence_data (updated_at);
CREATE INDEX ON threat_intelligence_data USING gin (attack_ids);

-- Moves the pulses in the session's temporary table attck_otx_staging
-- (raw jsonb) to otx_data, otx_indicators and threat_intelligence_data.
-- Only pulses whose content changed are written.

CREATE FUNCTION attck_load_otx(OUT n_added integer, OUT n_changed integer,
    OUT n_unchanged integer)
LANGUAGE plpgsql AS $$
DECLARE
    total integer;
BEGIN
    SELECT count(DISTINCT raw->>'id') INTO total FROM attck_otx_staging;

    CREATE TEMP TABLE attck_otx_written (pulse_id text, is_new boolean)
        ON COMMIT DROP;

    WITH up AS (
        INSERT INTO otx_data AS o (pulse_id, name, description, author, tlp,
            adversary, tags, attack_ids, malware_families, targeted_countries,
            industries, refs, created, modified, raw)
        SELECT DISTINCT ON (raw->>'id')
               raw->>'id', coalesce(raw->>'name', ''), raw->>'description',
               raw->>'author_name', lower(coalesce(raw->>'tlp', raw->>'TLP')),
               raw->>'adversary', attck_text_array(raw->'tags'),
               attck_text_array(raw->'attack_ids'),
               attck_text_array(raw->'malware_families'),
               attck_text_array(raw->'targeted_countries'),
               attck_text_array(raw->'industries'),
               attck_text_array(raw->'references'),
               attck_ts(raw->>'created'), attck_ts(raw->>'modified'), raw
        FROM attck_otx_staging
        ORDER BY raw->>'id', attck_ts(raw->>'modified') DESC NULLS LAST
        ON CONFLICT (pulse_id) DO UPDATE SET
            name = EXCLUDED.name, description = EXCLUDED.description,
            author = EXCLUDED.author, tlp = EXCLUDED.tlp,
            adversary = EXCLUDED.adversary, tags = EXCLUDED.tags,
            attack_ids = EXCLUDED.attack_ids,
            malware_families = EXCLUDED.malware_families,
            targeted_countries = EXCLUDED.targeted_countries,
            industries = EXCLUDED.industries, refs = EXCLUDED.refs,
            created = EXCLUDED.created, modified = EXCLUDED.modified,
            raw = EXCLUDED.raw, fetched_at = now()
        WHERE o.raw IS DISTINCT FROM EXCLUDED.raw
        RETURNING o.pulse_id, (xmax = 0) AS is_new
    )
    INSERT INTO attck_otx_written SELECT up.pulse_id, up.is_new FROM up;

    SELECT count(*) FILTER (WHERE w.is_new),
           count(*) FILTER (WHERE NOT w.is_new)
    INTO n_added, n_changed
    FROM attck_otx_written w;

    n_unchanged := total - n_added - n_changed;

    DELETE FROM otx_indicators
    WHERE pulse_id IN (SELECT pulse_id FROM attck_otx_written);

    INSERT INTO otx_indicators
    SELECT DISTINCT ON (o.pulse_id, i->>'type', i->>'indicator')
           o.pulse_id, i->>'type', i->>'indicator', i->>'title',
           i->>'description', attck_ts(i->>'created'),
           CASE WHEN i ? 'is_active' THEN (i->>'is_active') IN ('1', 'true')
           END
    FROM otx_data o
    JOIN attck_otx_written w USING (pulse_id),
         jsonb_array_elements(
             CASE jsonb_typeof(o.raw->'indicators')
             WHEN 'array' THEN o.raw->'indicators' ELSE '[]' END) i
    WHERE i->>'type' IS NOT NULL AND i->>'indicator' IS NOT NULL;

    INSERT INTO threat_intelligence_data AS t (source, source_id, title,
        description, threat_type, countries, first_seen, last_seen, tags,
        attack_ids, indicator_count, content_sha256)
    SELECT 'otx', o.pulse_id, o.name, o.description, 'pulse',
           o.targeted_countries, o.created, o.modified,
           o.tags || o.malware_families, o.attack_ids,
           (SELECT count(*) FROM otx_indicators i
            WHERE i.pulse_id = o.pulse_id),
           encode(sha256(convert_to(o.name || E'\n'
                                    || coalesce(o.description, '') || E'\n'
                                    || array_to_string(o.tags, ' ') || E'\n'
                                    || array_to_string(o.attack_ids, ' '),
                                    'UTF8')), 'hex')
    FROM otx_data o JOIN attck_otx_written w USING (pulse_id)
    ON CONFLICT (source, source_id) DO UPDATE SET
        title = EXCLUDED.title, description = EXCLUDED.description,
        countries = EXCLUDED.countries, first_seen = EXCLUDED.first_seen,
        last_seen = EXCLUDED.last_seen, tags = EXCLUDED.tags,
        attack_ids = EXCLUDED.attack_ids,
        indicator_count = EXCLUDED.indicator_count,
        content_sha256 = EXCLUDED.content_sha256, updated_at = now();

    DROP TABLE attck_otx_written;
END
$$;
