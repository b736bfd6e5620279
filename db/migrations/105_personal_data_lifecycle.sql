-- Personal data lifecycle (docs/privacy.md): per-customer data keys for crypto-shredding,
-- erasure marks, and the log of every read of unmasked personal data.

-- One data key per customer, wrapped by PII_ENCRYPTION_KEY. Erasure deletes the row: every copy
-- of the customer's record sealed under it (customers.pii_ciphertext, replicas, exports) is
-- then unreadable. Records written before this table existed are sealed under the master key
-- and are re-sealed under a data key at the customer's next intake (erasure deletes them).
CREATE TABLE IF NOT EXISTS customer_keys (
  customer_id text PRIMARY KEY,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- An erased customer keeps a row (the pseudonymous id orders point at) without personal data.
ALTER TABLE customers ALTER COLUMN pii_ciphertext DROP NOT NULL;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS erased_at timestamptz;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS erased_reason text CHECK (erased_reason IN ('request', 'retention'));

-- The exact door is personal data: erasure and retention clear it, the order stays.
ALTER TABLE orders ALTER COLUMN lat DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN lng DROP NOT NULL;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS pii_erased_at timestamptz;
CREATE INDEX IF NOT EXISTS orders_customer_id ON orders (customer_id);
-- What retention scans: finished orders whose personal data is still there, by last change.
CREATE INDEX IF NOT EXISTS orders_pii_retention ON orders (updated_at)
  WHERE pii_erased_at IS NULL AND status IN ('delivered', 'cancelled', 'rejected', 'returned');

-- Every read of unmasked personal data (and every erasure): who, when, why. Append-only; it
-- holds the pseudonymous customer id only, so it outlives the erasure it records.
CREATE TABLE IF NOT EXISTS pii_access_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  role text NOT NULL,
  action text NOT NULL CHECK (action IN ('view', 'export', 'erase')),
  customer_id text NOT NULL,
  reason text NOT NULL,
  fields text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS pii_access_log_at ON pii_access_log (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS pii_access_log_customer ON pii_access_log (customer_id, at DESC, id DESC);
