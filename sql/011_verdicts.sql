-- Analysts' verdicts from the dashboard (POST threats/{id}/verdicts ->
-- the Redis stream attck:verdicts -> attck-worker map).  A rejected
-- mapping is removed and remembered here, so that map never writes it
-- again; a confirmed or added one is a mapped_threat_data row with
-- confirmed set (added: method 'analyst'), which map never changes.

CREATE TABLE rejected_mappings (
    threat_id     bigint NOT NULL
                  REFERENCES threat_intelligence_data ON DELETE CASCADE,
    technique_id  text NOT NULL
                  CHECK (technique_id ~ '^T[0-9]{4}(\.[0-9]{3})?$'),
    analyst       text NOT NULL DEFAULT '',
    rejected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (threat_id, technique_id)
);

-- every verdict applied, in the order analysts gave them
CREATE TABLE mapping_verdicts (
    id            bigserial PRIMARY KEY,
    stream_id     text NOT NULL UNIQUE,   -- the Redis stream entry's id
    threat_id     bigint NOT NULL
                  REFERENCES threat_intelligence_data ON DELETE CASCADE,
    technique_id  text NOT NULL,
    verdict       text NOT NULL CHECK (verdict IN ('confirm', 'reject', 'add')),
    analyst       text NOT NULL DEFAULT '',
    given_at      timestamptz NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);
