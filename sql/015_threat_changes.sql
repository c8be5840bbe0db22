-- What publish needs to cost what changed.  Every statement that writes
-- threats or their mappings records the threats it touched, with the
-- transaction that wrote them; publish remembers the database snapshot
-- its generation was read in (published_bases), and the next publish
-- reads again only the threats whose change that snapshot did not see,
-- taking the rest from the generation before.  A transaction id, not a
-- sequence number: a transaction that took a lower number can commit
-- after a publish read a higher one, and would be missed.

CREATE TABLE threat_changes (
    threat_id   bigint,                   -- NULL: every threat (TRUNCATE)
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE INDEX ON threat_changes (txid);

-- the generations publish can build on: the SHA-256 of a snapshot, and
-- the database snapshot its threat index was read in
CREATE TABLE published_bases (
    snapshot_sha256  text PRIMARY KEY CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
    pg_snapshot      pg_snapshot NOT NULL,
    published_at     timestamptz NOT NULL DEFAULT now()
);

-- statement-level, with transition tables: one INSERT a statement, not
-- one a row (generate writes a million rows in one COPY).  An UPDATE
-- records its old rows' threats too: a mapping moved to another threat
-- changes both.

CREATE FUNCTION attck_changed_threats() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO threat_changes (threat_id) VALUES (NULL);
    ELSIF TG_TABLE_NAME = 'threat_intelligence_data' THEN
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO threat_changes (threat_id) SELECT id FROM new_rows;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO threat_changes (threat_id)
                SELECT id FROM old_rows EXCEPT SELECT id FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO threat_changes (threat_id) SELECT id FROM old_rows;
        END IF;
    ELSE
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO threat_changes (threat_id)
                SELECT DISTINCT threat_id FROM new_rows;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO threat_changes (threat_id)
                SELECT DISTINCT threat_id FROM old_rows;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER threats_inserted AFTER INSERT ON threat_intelligence_data
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER threats_updated AFTER UPDATE ON threat_intelligence_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER threats_deleted AFTER DELETE ON threat_intelligence_data
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER threats_truncated AFTER TRUNCATE ON threat_intelligence_data
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER mappings_inserted AFTER INSERT ON mapped_threat_data
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER mappings_updated AFTER UPDATE ON mapped_threat_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER mappings_deleted AFTER DELETE ON mapped_threat_data
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();
CREATE TRIGGER mappings_truncated AFTER TRUNCATE ON mapped_threat_data
    FOR EACH STATEMENT EXECUTE FUNCTION attck_changed_threats();

-- publish stamps its snapshot with the newest change; without this index
-- max(mapped_at) reads every mapping
CREATE INDEX ON mapped_threat_data (mapped_at);
