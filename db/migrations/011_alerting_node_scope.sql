-- Webhooks scoped to nodes: a subscription may name the sites (or fleets) it wants events of,
-- so an integrator for one store gets only that store's alerts. IF NOT EXISTS: a database
-- migrated with an early build of 010 that already had these columns stays as it is.
ALTER TABLE webhook_subscriptions ADD COLUMN IF NOT EXISTS node_ids text[];
COMMENT ON COLUMN webhook_subscriptions.node_ids IS 'Only events of these nodes; null = every node.';
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS node_id text;
