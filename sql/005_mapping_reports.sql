-- What the mapper (attck-worker map) writes, and the reports made from it.

CREATE TABLE mapped_threat_data (
    threat_id      bigint NOT NULL
                   REFERENCES threat_intelligence_data ON DELETE CASCADE,
    technique_id   text NOT NULL CHECK (technique_id ~ '^T[0-9]{4}(\.[0-9]{3})?$'),
    score          real NOT NULL CHECK (score >= 0 AND score <= 1),
    method         text NOT NULL CHECK (method IN ('explicit', 'model')),
    model_version  text,
    evidence       jsonb NOT NULL DEFAULT '[]',
    content_sha256 text NOT NULL,      -- the threat's text this was made from
    mapped_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (threat_id, technique_id)
);

CREATE INDEX ON mapped_threat_data (technique_id, score DESC);

CREATE TABLE reports (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,         -- what it reports on
    format      text NOT NULL
                CHECK (format IN ('html', 'pdf', 'csv', 'json', 'navigator')),
    parameters  jsonb NOT NULL DEFAULT '{}',
    path        text,                  -- where the file was written
    bytes       bigint CHECK (bytes >= 0),
    sha256      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON reports (kind, created_at DESC);
