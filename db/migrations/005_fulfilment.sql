-- Slot capacity used per node and slot key; the CHECK and the conditional update in
-- db/orders.ts keep it within the node's capacity under concurrency.
CREATE TABLE node_slot_usage (
  node_id text NOT NULL REFERENCES nodes (id),
  slot_key text NOT NULL,
  used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (node_id, slot_key)
);

-- Orders for one door and slot that land on one node within the merge window ride together.
CREATE TABLE deliveries (
  delivery_id text PRIMARY KEY,
  node_id text NOT NULL,
  address_key text NOT NULL,
  slot_key text NOT NULL,
  opened_at timestamptz NOT NULL,
  order_ids text[] NOT NULL
);
CREATE INDEX deliveries_lookup ON deliveries (node_id, address_key, slot_key, opened_at DESC);

-- Refunds and credits decided by returns and rejections (the ledger the finance side reads).
CREATE TABLE order_credits (
  order_id text NOT NULL,
  line_id text NOT NULL,
  reason text NOT NULL,
  credit_cents integer NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, line_id, reason)
);
