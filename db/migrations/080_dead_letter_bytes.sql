-- Dead letters keep the bytes a sender published exactly (raw, bytea, as before) and now say how
-- big the message was: raw is clipped only beyond the contract's payload limit, and raw_size
-- shows when it was. Pending unknown-sensor letters are replayed in arrival order
-- (received_at, id), so their index follows that order.
ALTER TABLE ingest_dead_letters ADD COLUMN raw_size integer;
DROP INDEX IF EXISTS ingest_dead_letters_unknown_pending;
CREATE INDEX ingest_dead_letters_unknown_pending ON ingest_dead_letters (received_at, id) WHERE reason = 'unknown_sensor' AND replayed_at IS NULL;
