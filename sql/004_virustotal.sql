-- VirusTotal (API v3) reports on the indicators of OTX pulses: the
-- summary an analyst or the mapper reads, and the raw attributes.  A
-- "not found" answer is kept too, so that it is not asked again before
-- the configured age.

CREATE TABLE virustotal_data (
    object_type      text NOT NULL
                     CHECK (object_type IN ('file', 'ip_address', 'domain',
                                            'url')),
    indicator        text NOT NULL,       -- as asked: hash, IP, domain, URL
    found            boolean NOT NULL,
    object_id        text,
    malicious        integer,
    suspicious       integer,
    harmless         integer,
    undetected       integer,
    reputation       integer,
    threat_label     text,
    threat_category  text,
    country          text,
    tags             text[] NOT NULL DEFAULT '{}',
    attributes       jsonb,
    fetched_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (object_type, indicator)
);

CREATE INDEX ON virustotal_data (fetched_at);

-- numbers from a report, or NULL where one is not what it should be: one
-- odd value must not fail a whole run
CREATE FUNCTION attck_int(v jsonb) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN round((v #>> '{}')::numeric)::integer;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION attck_epoch(v jsonb) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN to_timestamp((v #>> '{}')::double precision);
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- Moves the session's attck_vt_staging (object_type, indicator, found,
-- raw: the "data" object of the answer) to virustotal_data, and makes a
-- threat of each object some engines call malicious.  Returns the rows.

CREATE FUNCTION attck_load_virustotal() RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n bigint;
BEGIN
    INSERT INTO virustotal_data AS v (object_type, indicator, found,
        object_id, malicious, suspicious, harmless, undetected, reputation,
        threat_label, threat_category, country, tags, attributes)
    SELECT DISTINCT ON (object_type, indicator)
           object_type, indicator, found, raw->>'id',
           attck_int(raw#>'{attributes,last_analysis_stats,malicious}'),
           attck_int(raw#>'{attributes,last_analysis_stats,suspicious}'),
           attck_int(raw#>'{attributes,last_analysis_stats,harmless}'),
           attck_int(raw#>'{attributes,last_analysis_stats,undetected}'),
           attck_int(raw#>'{attributes,reputation}'),
           raw#>>'{attributes,popular_threat_classification,'
                  'suggested_threat_label}',
           raw#>>'{attributes,popular_threat_classification,'
                  'popular_threat_category,0,value}',
           raw#>>'{attributes,country}',
           attck_text_array(raw#>'{attributes,tags}'),
           raw->'attributes'
    FROM attck_vt_staging
    ORDER BY object_type, indicator
    ON CONFLICT (object_type, indicator) DO UPDATE SET
        found = EXCLUDED.found, object_id = EXCLUDED.object_id,
        malicious = EXCLUDED.malicious, suspicious = EXCLUDED.suspicious,
        harmless = EXCLUDED.harmless, undetected = EXCLUDED.undetected,
        reputation = EXCLUDED.reputation,
        threat_label = EXCLUDED.threat_label,
        threat_category = EXCLUDED.threat_category,
        country = EXCLUDED.country, tags = EXCLUDED.tags,
        attributes = EXCLUDED.attributes, fetched_at = now();
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO threat_intelligence_data AS t (source, source_id, title,
        description, threat_type, countries, first_seen, last_seen, tags,
        indicator_count, content_sha256)
    SELECT 'virustotal', v.object_type || ':' || v.indicator,
           coalesce(v.threat_label, v.object_type || ' ' || v.indicator),
           concat_ws(E'\n', v.threat_label, v.threat_category,
                     array_to_string(v.tags, ' '),
                     array_to_string(ARRAY(SELECT jsonb_array_elements_text(
                         CASE jsonb_typeof(v.attributes->'names')
                         WHEN 'array' THEN v.attributes->'names'
                         ELSE '[]' END)), ' ')),
           v.object_type,
           CASE WHEN v.country IS NULL THEN '{}' ELSE ARRAY[v.country] END,
           attck_epoch(v.attributes->'first_submission_date'),
           attck_epoch(v.attributes->'last_modification_date'),
           v.tags, 1,
           encode(sha256(convert_to(concat_ws(E'\n', v.threat_label,
                  v.threat_category, v.malicious::text,
                  array_to_string(v.tags, ' ')), 'UTF8')), 'hex')
    FROM virustotal_data v
    WHERE v.found AND v.malicious > 0
      AND (v.object_type, v.indicator) IN
          (SELECT object_type, indicator FROM attck_vt_staging)
    ON CONFLICT (source, source_id) DO UPDATE SET
        title = EXCLUDED.title, description = EXCLUDED.description,
        countries = EXCLUDED.countries, first_seen = EXCLUDED.first_seen,
        last_seen = EXCLUDED.last_seen, tags = EXCLUDED.tags,
        content_sha256 = EXCLUDED.content_sha256, updated_at = now()
    WHERE t.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256;

    RETURN n;
END
$$;
