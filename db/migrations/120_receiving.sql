-- Goods receiving (issue 14): receipts (a supplier delivery or a transfer arriving at a node),
-- idempotent by receipt id for their whole life; each line accepted as a NEW lot or refused with
-- its reason; receiving as an FSMA 204 critical tracking event (lot, supplier, place, time); and
-- the past sales imported from sales.csv.

-- The supplier's lot code and the receipt a lot came in with (null: lots from before receiving).
ALTER TABLE lots ADD COLUMN IF NOT EXISTS lot_code text;
ALTER TABLE lots ADD COLUMN IF NOT EXISTS receipt_id text;

CREATE TABLE IF NOT EXISTS receipts (
  receipt_id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('supplier', 'transfer')),
  node_id text NOT NULL REFERENCES nodes (id),
  supplier_id text,
  source_node_id text REFERENCES nodes (id),
  received_at timestamptz NOT NULL,
  -- The validated body as received: a repeat is compared with it (same: 200, else 409).
  body jsonb NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS receipt_lines (
  receipt_id text NOT NULL REFERENCES receipts (receipt_id),
  line_no integer NOT NULL CHECK (line_no >= 0),
  sku text NOT NULL REFERENCES skus (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  lot_code text NOT NULL,
  expires_on date NOT NULL,
  bin text NOT NULL,
  -- What the temperature decision was made on ({source: probe|van|none, ...}).
  temperature jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('accepted', 'refused')),
  reason text,
  -- The new lot of an accepted line; null for a refused one (it never enters stock).
  lot_id text REFERENCES lots (lot_id),
  PRIMARY KEY (receipt_id, line_no),
  CHECK ((status = 'accepted') = (lot_id IS NOT NULL)),
  CHECK (status = 'accepted' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX IF NOT EXISTS receipt_lines_lot ON receipt_lines (lot_id) WHERE lot_id IS NOT NULL;

-- FSMA 204 critical tracking events. Receiving carries the key data elements the rule asks for:
-- the traceability lot code, the product and quantity, where it was received, from whom, when.
CREATE TABLE IF NOT EXISTS traceability_events (
  id bigserial PRIMARY KEY,
  cte text NOT NULL CHECK (cte IN ('receiving')),
  lot_id text NOT NULL REFERENCES lots (lot_id),
  lot_code text NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL,
  node_id text NOT NULL,
  supplier_id text,
  source_node_id text,
  receipt_id text NOT NULL,
  at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS traceability_events_lot ON traceability_events (lot_id, at);

-- Past sales a grocer imports (sales.csv), one row per sale line id (a re-import changes
-- nothing). Kept apart from live POS sales (pos_sales): these never touch stock, they are
-- history for the forecaster (demand_lines can read them alongside online lines).
CREATE TABLE IF NOT EXISTS imported_sales (
  line_id text PRIMARY KEY,
  node_id text NOT NULL REFERENCES nodes (id),
  sku text NOT NULL REFERENCES skus (sku),
  sold_at timestamptz NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS imported_sales_series ON imported_sales (node_id, sku, sold_at);
