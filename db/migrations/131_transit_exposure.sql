-- Goods in transit tied to their van's cold chain (issue 14): an excursion or hard-limit alert on
-- a van's sensor while a transfer is shipped in it marks the transfer's chilled and frozen
-- in-transit picks exposed (which alert, why); the receipt at the destination quarantines the
-- lots they become. The alert records the transfer as one of its impacts.
ALTER TABLE transfer_picks ADD COLUMN IF NOT EXISTS exposed_alert_id uuid REFERENCES alerts (id);
ALTER TABLE transfer_picks ADD COLUMN IF NOT EXISTS exposure text;
CREATE INDEX IF NOT EXISTS transfers_shipped_by_van ON transfers (van_asset_id) WHERE status = 'shipped';
ALTER TABLE alert_impacts DROP CONSTRAINT IF EXISTS alert_impacts_kind_check;
ALTER TABLE alert_impacts ADD CONSTRAINT alert_impacts_kind_check CHECK (kind IN ('lot', 'order', 'transfer'));
