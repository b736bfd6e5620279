-- A reservation belongs to the allocation that made it. An order re-allocated (short pick,
-- quarantine, replacement) can land on a node and lot it already holds; keyed by order and lot
-- alone, the two fulfilments shared one row, so the first to dispatch committed the other's
-- hold and the first to cancel released it. Each allocation starts one fulfilment per node, so
-- (order, allocation, node) names a fulfilment's holds. Holds made before this migration carry
-- the empty key and are matched by order (and node) as before.
ALTER TABLE stock_reservations ADD COLUMN allocation_key text NOT NULL DEFAULT '';
ALTER TABLE stock_reservations DROP CONSTRAINT stock_reservations_pkey;
ALTER TABLE stock_reservations ADD PRIMARY KEY (order_id, allocation_key, lot_id);
ALTER TABLE stock_reservations ALTER COLUMN allocation_key DROP DEFAULT;
