-- Stock moved by a transfer is traceable in stock_adjustments (issue 14): the pick writes a
-- 'transfer' adjustment on each source lot (the units leave it for the van), and the receipt at
-- the destination writes its 'receipt' adjustment on the new lot; both name the source and the
-- destination node, so inventory accuracy and the audit see stock leaving one node and arriving
-- at the other. Null for every other adjustment.
ALTER TABLE stock_adjustments DROP CONSTRAINT IF EXISTS stock_adjustments_kind_check;
ALTER TABLE stock_adjustments ADD CONSTRAINT stock_adjustments_kind_check
  CHECK (kind IN ('receipt', 'count', 'sale', 'write_off', 'restock', 'transfer'));
ALTER TABLE stock_adjustments ADD COLUMN IF NOT EXISTS source_node_id text REFERENCES nodes (id);
ALTER TABLE stock_adjustments ADD COLUMN IF NOT EXISTS dest_node_id text REFERENCES nodes (id);
