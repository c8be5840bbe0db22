-- Where data comes from and how each run went: the cursor, ETag and
-- Last-Modified of every source, so that the next run asks only for what
-- changed; and one row per run and source for operators.

CREATE TABLE source_state (
    source         text PRIMARY KEY,          -- a URL or path
    kind           text NOT NULL
                   CHECK (kind IN ('attack', 'otx', 'virustotal')),
    etag           text,
    last_modified  text,
    sha256         text,
    cursor         text,                      -- OTX: modified_since
    checked_at     timestamptz,
    changed_at     timestamptz
);

CREATE TABLE ingestion_runs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL
                 CHECK (kind IN ('attack', 'otx', 'virustotal')),
    source       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL
                 CHECK (status IN ('running', 'new', 'changed', 'unchanged',
                                   'failed')),
    fetched      integer NOT NULL DEFAULT 0,
    stored       integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    error        text
);

CREATE INDEX ON ingestion_runs (source, started_at DESC);
