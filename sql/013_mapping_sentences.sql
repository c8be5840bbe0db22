-- The sentences of a threat's text that support each mapping the model
-- made ([{"start": ..., "end": ..., "text": "..."}], byte offsets into
-- attck_threat_text(t), best first); empty for a single-sentence text
-- and for explicit ids.  evidence keeps its terms, as before.

ALTER TABLE mapped_threat_data
    ADD COLUMN sentences jsonb NOT NULL DEFAULT '[]';
