-- Transfers (issue 14): stock moved from a DC or store to a front warehouse by a Temporal
-- workflow. Units picked at the source leave their lots' on_hand and are held in
-- transfer_picks (in_transit) until the destination receives them as new lots (through goods
-- receiving) or a cancel puts them back: allocation and available-to-promise read lots only, so
-- in-transit units are promised nowhere.
CREATE TABLE IF NOT EXISTS transfers (
  transfer_id text PRIMARY KEY,
  from_node_id text NOT NULL REFERENCES nodes (id),
  to_node_id text NOT NULL REFERENCES nodes (id),
  status text NOT NULL CHECK (status IN ('planned', 'picked', 'shipped', 'done', 'cancelled')),
  van_asset_id text REFERENCES assets (id),
  receipt_id text,
  body jsonb NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_node_id <> to_node_id)
);

CREATE TABLE IF NOT EXISTS transfer_lines (
  transfer_id text NOT NULL REFERENCES transfers (transfer_id),
  line_no integer NOT NULL,
  sku text NOT NULL REFERENCES skus (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  dest_bin text NOT NULL,
  PRIMARY KEY (transfer_id, line_no)
);

-- One row per transfer × source lot: in_transit from pick until received (new lot at the
-- destination), written_off (refused at receipt) or released (cancelled: back on the source lot).
CREATE TABLE IF NOT EXISTS transfer_picks (
  transfer_id text NOT NULL REFERENCES transfers (transfer_id),
  lot_id text NOT NULL REFERENCES lots (lot_id),
  sku text NOT NULL,
  qty integer NOT NULL CHECK (qty > 0),
  status text NOT NULL DEFAULT 'in_transit' CHECK (status IN ('in_transit', 'received', 'written_off', 'released')),
  dest_lot_id text,
  reason text,
  PRIMARY KEY (transfer_id, lot_id)
);
CREATE INDEX IF NOT EXISTS transfer_picks_in_transit ON transfer_picks (lot_id) WHERE status = 'in_transit';

CREATE TABLE IF NOT EXISTS transfer_events (
  id bigserial PRIMARY KEY,
  transfer_id text NOT NULL REFERENCES transfers (transfer_id),
  type text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS transfer_events_by_transfer ON transfer_events (transfer_id, id);
