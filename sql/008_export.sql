-- What attck-worker export delivers to SIEM / SOAR targets.  Each threat
-- is sent as one document (attck_export_document); export_state keeps,
-- per target, the digest of what the target last accepted, so a threat
-- is sent again only when its document changes, and a run that fails
-- part way resumes after the last batch the target accepted.

-- the technique's name and tactics in the newest release that has it
CREATE FUNCTION attck_technique_brief(technique text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('name', x.name, 'tactics', x.tactics)
    FROM mitre_attack_techniques x
    JOIN attack_releases r ON r.id = x.release_id
    WHERE x.attack_id = technique
    ORDER BY x.revoked, x.deprecated, r.modified DESC NULLS LAST, r.id DESC
    LIMIT 1
$$;

-- one threat and its techniques (score at least min_score, or confirmed
-- by an analyst), as a SIEM receives it; the description stays out, an
-- event is a summary and may not exceed the receiver's size limit
CREATE FUNCTION attck_export_document(t threat_intelligence_data,
    min_score real) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', t.source || ':' || t.source_id,
        'source', t.source, 'source_id', t.source_id,
        'title', left(t.title, 4096), 'threat_type', t.threat_type,
        'countries', t.countries, 'tags', t.tags,
        'attack_ids', t.attack_ids, 'indicator_count', t.indicator_count,
        'first_seen', t.first_seen, 'last_seen', t.last_seen,
        'techniques', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', m.technique_id,
                       'name', b->>'name', 'tactics', b->'tactics',
                       'score', m.score, 'method', m.method,
                       'confirmed', m.confirmed,
                       'model_version', m.model_version)
                   ORDER BY m.score DESC, m.technique_id)
            FROM mapped_threat_data m,
                 attck_technique_brief(m.technique_id) b
            WHERE m.threat_id = t.id
              AND (m.score >= min_score OR m.confirmed)), '[]'))
$$;

CREATE TABLE export_state (
    target       text NOT NULL,        -- format and URL (no password)
    threat_id    bigint NOT NULL
                 REFERENCES threat_intelligence_data ON DELETE CASCADE,
    digest       text NOT NULL,        -- md5 of the document sent
    exported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, threat_id)
);

CREATE TABLE export_runs (
    id           bigserial PRIMARY KEY,
    target       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL
                 CHECK (status IN ('running', 'done', 'failed')),
    sent         integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
    requests     integer NOT NULL DEFAULT 0 CHECK (requests >= 0),
    error        text
);

CREATE INDEX ON export_runs (target, started_at DESC);
