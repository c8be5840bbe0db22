-- What attck-worker map last did for each threat: the text (by hash) and
-- the model it mapped.  A threat is mapped again only when either
-- changes, so a second run with the same model changes nothing.

CREATE TABLE threat_mapping_state (
    threat_id       bigint PRIMARY KEY
                    REFERENCES threat_intelligence_data ON DELETE CASCADE,
    content_sha256  text NOT NULL,
    model_version   text NOT NULL,
    techniques      integer NOT NULL DEFAULT 0 CHECK (techniques >= 0),
    mapped_at       timestamptz NOT NULL DEFAULT now()
);
