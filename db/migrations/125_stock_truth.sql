-- Stock truth (docs/orders.md, "Stock truth"): counts and POS sales are always applied; when they
-- take a lot below what is reserved, the missing units come out of holds, recorded here.

-- One row per POS sale line, for its whole life: a repeated sale id is a no-op. `applied` is
-- what left on_hand (FEFO over the node's lots); qty - applied sold from stock the system did
-- not know of. Read by demand history.
CREATE TABLE IF NOT EXISTS pos_sales (
  sale_id text PRIMARY KEY,
  node_id text NOT NULL,
  sku text NOT NULL,
  qty integer NOT NULL CHECK (qty > 0),
  applied integer NOT NULL CHECK (applied >= 0 AND applied <= qty),
  sold_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pos_sales_sold_at ON pos_sales (sold_at);

-- Units a count or sale (adjustment_id) took out of an order line's hold on a lot; the
-- fulfilment is signalled to re-allocate them (signalled_at: when that was last sent).
CREATE TABLE IF NOT EXISTS stock_shortfalls (
  adjustment_id text NOT NULL,
  lot_id text NOT NULL,
  fulfilment_id text NOT NULL,
  order_id text NOT NULL,
  line_id text NOT NULL,
  qty integer NOT NULL CHECK (qty > 0),
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (adjustment_id, lot_id, fulfilment_id, line_id)
);

-- Demand history counts what customers asked for: allocated online lines (as before), online
-- lines lost to stockouts (the allocation's unfulfilled lines, counted at the node nearest the
-- order among those that explained their refusal), and in-store POS sales.
CREATE OR REPLACE VIEW demand_lines AS
SELECT e.order_id,
       e.at AS allocated_at,
       f ->> 'nodeId' AS node_id,
       l ->> 'sku' AS sku,
       (l ->> 'qty')::integer AS qty,
       o.slot_start
  FROM order_events e
  JOIN orders o ON o.order_id = e.order_id
 CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.data -> 'fulfilments') = 'array' THEN e.data -> 'fulfilments' ELSE '[]'::jsonb END) AS f
 CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f -> 'totes') = 'array' THEN f -> 'totes' ELSE '[]'::jsonb END) AS t
 CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t -> 'lines') = 'array' THEN t -> 'lines' ELSE '[]'::jsonb END) AS l
 WHERE e.type = 'allocated'
UNION ALL
SELECT e.order_id,
       e.at,
       u -> 'byNode' -> 0 ->> 'nodeId',
       u ->> 'sku',
       (u ->> 'qty')::integer,
       o.slot_start
  FROM order_events e
  JOIN orders o ON o.order_id = e.order_id
 CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.data -> 'unfulfilled') = 'array' THEN e.data -> 'unfulfilled' ELSE '[]'::jsonb END) AS u
 WHERE e.type = 'allocated' AND u -> 'byNode' -> 0 ->> 'nodeId' IS NOT NULL
UNION ALL
SELECT 'pos:' || s.sale_id, s.sold_at, s.node_id, s.sku, s.qty, s.sold_at
  FROM pos_sales s;
