-- The orders table is the record of intake (POST /v1/orders writes the row before it starts the
-- workflow), so idempotency holds for an order's whole life, not only while its workflow runs:
-- - intake_fingerprint: keyed hashes of the normalised request, one per top-level field, so the
--   same order id with the same body is a duplicate and with a different body a 409 naming
--   the fields that differ (rows from before have none: they are compared on what they store);
-- - started_run_id: the OrderWorkflow run intake started. Once set, the order is never started
--   again, whatever Temporal still remembers of closed workflows.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS intake_fingerprint jsonb;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS started_run_id text;
