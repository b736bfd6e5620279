-- Dead letters of readings from sensors registered too late can be replayed into the hypertable
-- (`npm run dead-letters:replay`). A replayed letter is marked, so a replay never stores it twice
-- and the ledger still shows what arrived as a dead letter.
ALTER TABLE ingest_dead_letters
  ADD COLUMN replayed_at timestamptz,
  ADD COLUMN replay_note text;
CREATE INDEX ingest_dead_letters_unknown_pending ON ingest_dead_letters (id) WHERE reason = 'unknown_sensor' AND replayed_at IS NULL;
