-- Master data a grocer brings (nodes, SKUs, bins, assets, sensors) through the API or the bulk
-- import: a version per record (bumped on every real change), the fields the demo did not need,
-- bins as records of their own, and the audit of every change.

ALTER TABLE nodes ADD COLUMN IF NOT EXISTS opening_hours jsonb NOT NULL DEFAULT '{}';
ALTER TABLE nodes ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
ALTER TABLE skus ADD COLUMN IF NOT EXISTS gtin text;
ALTER TABLE skus ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
ALTER TABLE assets ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
ALTER TABLE sensors ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
-- One GTIN names one SKU.
CREATE UNIQUE INDEX IF NOT EXISTS skus_gtin ON skus (gtin) WHERE gtin IS NOT NULL;

-- Storage locations of a node: the zone they are in and their place on the pick path.
CREATE TABLE IF NOT EXISTS bins (
  node_id text NOT NULL REFERENCES nodes (id),
  bin text NOT NULL,
  zone text NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
  pick_sequence integer NOT NULL CHECK (pick_sequence >= 0),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (node_id, bin)
);
CREATE INDEX IF NOT EXISTS bins_pick_path ON bins (node_id, pick_sequence);

-- Who changed which record when, and what it was before and after (null before: created).
CREATE TABLE IF NOT EXISTS master_data_audit (
  id bigserial PRIMARY KEY,
  entity text NOT NULL CHECK (entity IN ('node', 'sku', 'bin', 'asset', 'sensor')),
  entity_id text NOT NULL,
  version integer NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  before jsonb,
  after jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS master_data_audit_record ON master_data_audit (entity, entity_id, id);
