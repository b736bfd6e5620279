-- Catalogue, stock and orders. Stock is held per node × SKU × lot; reservations are per lot.

CREATE TABLE skus (
  sku text PRIMARY KEY,
  name text NOT NULL,
  category text NOT NULL,
  zone text NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
  min_shelf_life_days integer NOT NULL CHECK (min_shelf_life_days >= 0),
  perishable boolean NOT NULL,
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  -- Cold-chain profile of the product: its temperature band and Q10 shelf-life model.
  band text NOT NULL,
  q10 double precision NOT NULL DEFAULT 2.5,
  ref_temp_c double precision NOT NULL DEFAULT 4,
  shelf_life_days_at_ref double precision NOT NULL DEFAULT 7
);

-- on_hand: physically present; reserved: held by orders. Available to promise = on_hand - reserved.
-- The CHECKs make negative stock impossible whatever the concurrency.
CREATE TABLE lots (
  lot_id text PRIMARY KEY,
  node_id text NOT NULL REFERENCES nodes (id),
  sku text NOT NULL REFERENCES skus (sku),
  expires_on date NOT NULL,
  bin text,
  asset_id text REFERENCES assets (id),
  on_hand integer NOT NULL CHECK (on_hand >= 0),
  reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'quarantined', 'written_off')),
  status_reason text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lots_node_sku ON lots (node_id, sku) WHERE status = 'available';

-- One row per order × lot. reservation_key makes a retried activity a no-op.
CREATE TABLE stock_reservations (
  order_id text NOT NULL,
  lot_id text NOT NULL REFERENCES lots (lot_id),
  node_id text NOT NULL,
  sku text NOT NULL,
  qty integer NOT NULL CHECK (qty > 0),
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, lot_id)
);
CREATE INDEX stock_reservations_lot ON stock_reservations (lot_id) WHERE status <> 'released';
CREATE INDEX stock_reservations_expiry ON stock_reservations (expires_at) WHERE status = 'held';

-- Stock adjustments (receipts, counts, POS sales), idempotent by adjustment id.
CREATE TABLE stock_adjustments (
  adjustment_id text PRIMARY KEY,
  lot_id text NOT NULL REFERENCES lots (lot_id),
  kind text NOT NULL CHECK (kind IN ('receipt', 'count', 'sale', 'write_off', 'restock')),
  delta integer NOT NULL,
  counted integer,
  system_before integer,
  at timestamptz NOT NULL DEFAULT now()
);

-- Customers' personal data, encrypted at rest (AES-256-GCM by the application); orders carry
-- only the customer id and an address hash.
CREATE TABLE customers (
  customer_id text PRIMARY KEY,
  pii_ciphertext bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  order_id text PRIMARY KEY,
  customer_id text NOT NULL,
  address_key text NOT NULL,
  lat double precision NOT NULL,
  lng double precision NOT NULL,
  slot_kind text NOT NULL,
  slot_start timestamptz NOT NULL,
  slot_end timestamptz NOT NULL,
  lines jsonb NOT NULL,
  status text NOT NULL,
  allocation jsonb,
  cold_chain_risk boolean NOT NULL DEFAULT false,
  placed_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_status ON orders (status);

-- The order event stream every KPI reads. A hypertable: it only grows, and is read by time.
-- event_key makes re-appending the same event (a retried activity) a no-op.
CREATE TABLE order_events (
  order_id text NOT NULL,
  at timestamptz NOT NULL,
  event_key text NOT NULL,
  type text NOT NULL,
  node_id text,
  data jsonb NOT NULL DEFAULT '{}'
);
SELECT create_hypertable('order_events', by_range('at', INTERVAL '7 days'));
CREATE UNIQUE INDEX order_events_key ON order_events (event_key, at);
CREATE INDEX order_events_order ON order_events (order_id, at);
