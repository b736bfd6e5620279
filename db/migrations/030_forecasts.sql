-- Demand forecasting in the system: demand history read from the order stream, forecast runs,
-- hourly forecasts per node × SKU, and what planning derives from them (replenishment, markdowns,
-- expected orders per slot). See docs/forecasting.md, "In the system".

-- Demand = units the allocator assigned to a node, one row per allocated order line. Read from
-- the order-level 'allocated' events (data is the Allocation: fulfilments[].nodeId and
-- totes[].lines[] with sku and qty); the fulfilment-level 'allocated' events carry no lines
-- and yield no rows. A line counts in the hour of its order's delivery slot (slot_start; for
-- instant orders that is when the order was placed), which is what stock and waves serve.
-- allocated_at is the event time: filtering on it lets TimescaleDB skip order_events chunks.
CREATE VIEW demand_lines AS
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
 WHERE e.type = 'allocated';

-- Demand per node × SKU × hourly slot (UTC hours, which are local hours in whole-hour zones
-- such as UTC+8). For ad hoc reading; the forecast run reads demand_lines with time bounds.
CREATE VIEW demand_history AS
SELECT node_id,
       sku,
       time_bucket(INTERVAL '1 hour', slot_start) AS slot_start,
       sum(qty)::bigint AS units,
       count(DISTINCT order_id) AS orders
  FROM demand_lines
 GROUP BY 1, 2, 3;

-- One row per forecast run (run_id = the workflow id). origin is the first forecast slot:
-- history is [history_from, origin), forecasts cover [origin, origin + horizon_h hours).
-- node_ids: the nodes that got forecasts, so "the latest run for a node" is one lookup.
CREATE TABLE forecast_runs (
  run_id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  origin timestamptz NOT NULL,
  history_from timestamptz NOT NULL,
  horizon_h integer NOT NULL CHECK (horizon_h > 0),
  params jsonb NOT NULL,
  model_version text NOT NULL,
  node_ids text[] NOT NULL DEFAULT '{}',
  series integer NOT NULL DEFAULT 0,
  -- Series left out by the per-run cap (the slowest movers go first).
  series_dropped integer NOT NULL DEFAULT 0,
  summary jsonb,
  error text,
  generated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX forecast_runs_latest ON forecast_runs (generated_at DESC) WHERE status = 'succeeded';

-- The series a run forecasts, in processing order (grouped by category so a chunk pools a
-- category together); the workflow hands out index ranges, not lists.
CREATE TABLE forecast_run_series (
  run_id text NOT NULL REFERENCES forecast_runs (run_id) ON DELETE CASCADE,
  idx integer NOT NULL,
  node_id text NOT NULL,
  sku text NOT NULL,
  category text NOT NULL,
  PRIMARY KEY (run_id, idx),
  UNIQUE (run_id, node_id, sku)
);

-- Hourly forecasts: units per node × SKU × slot, horizon_h = hours ahead (1 = the origin slot).
CREATE TABLE forecasts (
  run_id text NOT NULL,
  node_id text NOT NULL,
  sku text NOT NULL,
  slot_start timestamptz NOT NULL,
  horizon_h integer NOT NULL CHECK (horizon_h >= 1),
  mean double precision NOT NULL CHECK (mean >= 0),
  p10 double precision NOT NULL,
  p50 double precision NOT NULL,
  p90 double precision NOT NULL,
  model_version text NOT NULL,
  generated_at timestamptz NOT NULL,
  CHECK (p10 >= 0 AND p10 <= p50 AND p50 <= p90)
);
SELECT create_hypertable('forecasts', by_range('slot_start', INTERVAL '7 days'));
CREATE UNIQUE INDEX forecasts_key ON forecasts (run_id, node_id, sku, slot_start);

-- Order suggestions for front warehouses: order-up-to from forecast quantiles over lead time +
-- review period, capped by what the forecast says sells before a delivered unit expires.
CREATE TABLE replenishment_suggestions (
  run_id text NOT NULL REFERENCES forecast_runs (run_id) ON DELETE CASCADE,
  node_id text NOT NULL,
  sku text NOT NULL,
  order_quantity integer NOT NULL CHECK (order_quantity >= 0),
  order_up_to double precision NOT NULL,
  inventory_position double precision NOT NULL,
  -- Sellable units on hand (on_hand - reserved of available lots), before netting out stock
  -- expected to expire unsold.
  on_hand integer NOT NULL,
  expiry_cap double precision NOT NULL,
  limited_by_expiry boolean NOT NULL,
  lead_time_h integer NOT NULL,
  review_h integer NOT NULL,
  shelf_life_h integer NOT NULL,
  cap_hours_covered integer NOT NULL,
  PRIMARY KEY (run_id, node_id, sku)
);

-- Lots expected to be left unsold when they can no longer be allocated (sell_by = start of the
-- day on which fewer than the SKU's min_shelf_life_days would remain).
CREATE TABLE markdown_suggestions (
  run_id text NOT NULL REFERENCES forecast_runs (run_id) ON DELETE CASCADE,
  node_id text NOT NULL,
  sku text NOT NULL,
  lot_id text NOT NULL,
  quantity integer NOT NULL,
  expires_on date NOT NULL,
  sell_by timestamptz NOT NULL,
  expected_sold double precision NOT NULL,
  at_risk double precision NOT NULL,
  at_risk_share double precision NOT NULL,
  suggested_discount double precision NOT NULL,
  PRIMARY KEY (run_id, lot_id)
);
CREATE INDEX markdown_suggestions_node ON markdown_suggestions (node_id, run_id);

-- Expected orders per node and hourly slot, for sizing picking waves.
CREATE TABLE slot_capacity_forecasts (
  run_id text NOT NULL REFERENCES forecast_runs (run_id) ON DELETE CASCADE,
  node_id text NOT NULL,
  slot_start timestamptz NOT NULL,
  expected_orders double precision NOT NULL CHECK (expected_orders >= 0),
  p90_orders double precision NOT NULL,
  units_per_order double precision NOT NULL CHECK (units_per_order > 0),
  PRIMARY KEY (run_id, node_id, slot_start)
);
