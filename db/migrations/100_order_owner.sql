-- Ownership, not only roles (docs/security.md): the principal (token subject) that placed an
-- order, written by intake (claimOrder). An integrator reaches only the orders it placed;
-- another principal's order answers 404 as if it did not exist. Replacement orders inherit the
-- owner of the order they replace. Rows from before this column have none: only ops reach them.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS placed_by text;
CREATE INDEX IF NOT EXISTS orders_placed_by ON orders (placed_by, placed_at DESC) WHERE placed_by IS NOT NULL;
