-- Cold-chain alerting: persisted rule state, alerts with their audit trail, where lots have
-- been, what an alert touched, and durable signed webhooks (subscriptions, events, deliveries,
-- attempts). See docs/alerting.md.

-- Rule profiles that add to or override the built-in ones (domain/coldchain/bands.ts), keyed by
-- the id an asset names in assets.band. Validated by the application when loaded.
CREATE TABLE alert_rule_profiles (
  id text PRIMARY KEY,
  profile jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The rule engine's state per sensor (plain JSON from domain/coldchain/ruleState.ts). Evaluators
-- lock the row (FOR UPDATE) while they evaluate a sensor, so instances sharing the load never
-- interleave. offline_due_at = last reading (or watch start) + the profile's offline timeout,
-- null while offline: the offline sweep reads it through the partial index.
CREATE TABLE alert_sensor_state (
  sensor_id text PRIMARY KEY REFERENCES sensors (id) ON DELETE CASCADE,
  state jsonb NOT NULL,
  last_ts timestamptz,
  offline_due_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_sensor_state_offline_due ON alert_sensor_state (offline_due_at) WHERE offline_due_at IS NOT NULL;

-- Alerts: open -> acknowledged -> resolved. source_id is the rule-engine episode behind the
-- alert (an excursion id, a hard-limit or rate-of-change episode, an offline episode), so
-- re-processing a reading can never open a second alert for the same episode.
CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_id text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('excursion', 'hard_limit', 'rate_of_change', 'offline')),
  rule text NOT NULL,
  sensor_id text NOT NULL,
  asset_id text NOT NULL,
  node_id text NOT NULL,
  profile_id text NOT NULL,
  title text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  severity text NOT NULL CHECK (severity IN ('warning', 'critical')),
  severity_since timestamptz NOT NULL,
  opened_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  assignee text,
  escalation_level integer NOT NULL DEFAULT 0,
  next_escalation_at timestamptz,
  -- The episode in sensor time: MKT and time out of band are computed over it.
  window_start timestamptz NOT NULL,
  window_end timestamptz,
  peak_c double precision,
  threshold_c double precision,
  -- Last shelf-life (Q10) check of the lots this alert may affect.
  impact_checked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_opened ON alerts (opened_at DESC);
CREATE INDEX alerts_status_opened ON alerts (status, opened_at DESC);
CREATE INDEX alerts_node_opened ON alerts (node_id, opened_at DESC);
CREATE INDEX alerts_sensor_opened ON alerts (sensor_id, opened_at DESC);
CREATE INDEX alerts_escalation_due ON alerts (next_escalation_at) WHERE status = 'open' AND next_escalation_at IS NOT NULL;

-- Every change to an alert, append-only: who, when, from which status to which.
CREATE TABLE alert_audit (
  id bigserial PRIMARY KEY,
  alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  detail text NOT NULL
);
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);

CREATE TABLE alert_comments (
  id bigserial PRIMARY KEY,
  alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  author text NOT NULL,
  text text NOT NULL
);
CREATE INDEX alert_comments_alert ON alert_comments (alert_id, id);

-- Where each lot has been (cold room, fridge, van): [from_ts, to_ts), to_ts null = still there.
-- A trigger on lots keeps it in step with lots.asset_id, so code that moves stock needs no change;
-- moves with an explicit time (a van's loading scan) may write rows directly.
CREATE TABLE lot_locations (
  id bigserial PRIMARY KEY,
  lot_id text NOT NULL REFERENCES lots (lot_id) ON DELETE CASCADE,
  asset_id text NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  from_ts timestamptz NOT NULL,
  to_ts timestamptz,
  CHECK (to_ts IS NULL OR to_ts >= from_ts)
);
CREATE INDEX lot_locations_asset ON lot_locations (asset_id, from_ts);
CREATE UNIQUE INDEX lot_locations_open ON lot_locations (lot_id) WHERE to_ts IS NULL;

CREATE FUNCTION lot_locations_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.asset_id IS NOT DISTINCT FROM OLD.asset_id THEN
    RETURN NEW;
  END IF;
  UPDATE lot_locations SET to_ts = greatest(now(), from_ts) WHERE lot_id = NEW.lot_id AND to_ts IS NULL;
  IF NEW.asset_id IS NOT NULL THEN
    INSERT INTO lot_locations (lot_id, asset_id, from_ts) VALUES (NEW.lot_id, NEW.asset_id, now());
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER lots_location_follow AFTER INSERT OR UPDATE OF asset_id ON lots
  FOR EACH ROW EXECUTE FUNCTION lot_locations_follow();

-- Lots already placed before this migration: from their last update, the best time known.
INSERT INTO lot_locations (lot_id, asset_id, from_ts)
SELECT lot_id, asset_id, updated_at FROM lots WHERE asset_id IS NOT NULL;

-- What an alert touched: lots it quarantined and orders holding them. For orders, signalled_at
-- is the outbox mark: null until coldChainQuarantineSignal reached the order's workflow.
CREATE TABLE alert_impacts (
  alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('lot', 'order')),
  ref_id text NOT NULL,
  reason text NOT NULL,
  detail text NOT NULL,
  lot_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  signalled_at timestamptz,
  signal_result text,
  PRIMARY KEY (alert_id, kind, ref_id)
);
CREATE INDEX alert_impacts_unsignalled ON alert_impacts (created_at) WHERE kind = 'order' AND signalled_at IS NULL;

-- Webhook endpoints. The secret is stored as given (whsec_...): a production deployment should
-- encrypt it at rest (as customers' PII is) or keep it in a secret store.
CREATE TABLE webhook_subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL,
  event_types text[] NOT NULL,
  secret text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  -- Endpoint health (domain/coldchain/webhookPolicy.ts EndpointHealth).
  failing_since timestamptz,
  exhausted_messages integer NOT NULL DEFAULT 0,
  last_success_at timestamptz
);
CREATE INDEX webhook_subscriptions_active ON webhook_subscriptions (created_at) WHERE deleted_at IS NULL AND disabled_at IS NULL;

-- Events as published: the body is the exact JSON that is signed and sent, so every retry and
-- replay sends the same bytes under the same webhook-id (the primary key).
CREATE TABLE webhook_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  body text NOT NULL,
  alert_id uuid,
  sensor_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created ON webhook_events (created_at DESC);

-- One delivery per (event, subscription), plus one per manual replay. workflow_started_at is the
-- outbox mark: null until the delivery workflow has been started.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('initial', 'replay')),
  workflow_id text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  workflow_started_at timestamptz,
  completed_at timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_initial ON webhook_deliveries (event_id, subscription_id) WHERE kind = 'initial';
CREATE INDEX webhook_deliveries_unstarted ON webhook_deliveries (created_at) WHERE workflow_started_at IS NULL;
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at DESC);

-- The delivery log: every attempt with its HTTP status or error and how long it took.
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  status_code integer,
  error text,
  duration_ms double precision NOT NULL,
  success boolean NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
