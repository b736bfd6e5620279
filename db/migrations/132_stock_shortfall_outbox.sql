-- Shortfall signals survive a crash (issue 14): each stock_shortfalls row, written in the same
-- transaction as the count or sale that cut the hold, is the outbox entry for the signal to its
-- fulfilment. The API delivers it right after the commit; the maintenance schedule's relay
-- delivers what is still unsignalled after a grace period (recorded_at: when the row was
-- committed, unlike `at`, the fact's own time, which a POS sale may give from the past).
ALTER TABLE stock_shortfalls ADD COLUMN IF NOT EXISTS recorded_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE stock_shortfalls ADD COLUMN IF NOT EXISTS signalled_at timestamptz;
-- 'signalled', or 'no_workflow' (the fulfilment has ended: nothing left to re-allocate).
ALTER TABLE stock_shortfalls ADD COLUMN IF NOT EXISTS signal_result text;
CREATE INDEX IF NOT EXISTS stock_shortfalls_unsignalled ON stock_shortfalls (recorded_at) WHERE signalled_at IS NULL;
