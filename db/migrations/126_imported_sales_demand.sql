-- Imported sales history (`npm run import` with sales.csv) is demand too, so forecasts start
-- from a grocer's past: add it to the lines the forecaster reads. A sale that also arrived
-- live from the till (the same id in pos_sales) counts once.
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
  FROM pos_sales s
UNION ALL
SELECT 'sale:' || i.line_id, i.sold_at, i.node_id, i.sku, i.quantity, i.sold_at
  FROM imported_sales i
 WHERE NOT EXISTS (SELECT 1 FROM pos_sales s WHERE s.sale_id = i.line_id);
