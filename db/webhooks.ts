// SQL of webhooks: subscriptions (with endpoint health), published events, deliveries (one
// durable Temporal workflow each) and the delivery log of every attempt.
import type { EndpointHealth } from '../domain/coldchain/webhookPolicy';
import { rowsOf } from './pool';
import type { Queryable } from './pool';

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/** A subscription as the API shows it (never with its secret). */
export interface SubscriptionRecord {
  id: string;
  url: string;
  eventTypes: string[];
  /** Only events of these nodes; null = all. */
  nodeIds: string[] | null;
  description: string;
  createdBy: string;
  createdAt: number;
  deletedAt: number | null;
  disabledAt: number | null;
  disabledReason: string | null;
  health: EndpointHealth;
}

interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[];
  node_ids: string[] | null;
  description: string;
  created_by: string;
  created_at: Date;
  deleted_at: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  exhausted_messages: number;
  last_success_at: Date | null;
}

const SUBSCRIPTION_COLUMNS =
  'id, url, event_types, node_ids, description, created_by, created_at, deleted_at, disabled_at, disabled_reason, failing_since, exhausted_messages, last_success_at';

function toSubscription(r: SubscriptionRow): SubscriptionRecord {
  return {
    id: r.id,
    url: r.url,
    eventTypes: r.event_types,
    nodeIds: r.node_ids,
    description: r.description,
    createdBy: r.created_by,
    createdAt: r.created_at.getTime(),
    deletedAt: ms(r.deleted_at),
    disabledAt: ms(r.disabled_at),
    disabledReason: r.disabled_reason,
    health: {
      failingSince: ms(r.failing_since),
      exhaustedMessages: r.exhausted_messages,
      lastSuccessAt: ms(r.last_success_at),
    },
  };
}

/** Create a subscription. */
export async function createSubscription(
  db: Queryable,
  s: {
    url: string;
    eventTypes: readonly string[];
    nodeIds?: readonly string[] | null;
    secret: string;
    description: string;
    createdBy: string;
  },
): Promise<SubscriptionRecord> {
  const rows = await rowsOf<SubscriptionRow>(
    db,
    `INSERT INTO webhook_subscriptions (url, event_types, node_ids, secret, description, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SUBSCRIPTION_COLUMNS}`,
    [s.url, [...s.eventTypes], s.nodeIds ? [...s.nodeIds] : null, s.secret, s.description, s.createdBy],
  );
  return toSubscription(rows[0]!);
}

/** Subscriptions not deleted, optionally only those one principal created. */
export async function listSubscriptions(db: Queryable, createdBy?: string): Promise<SubscriptionRecord[]> {
  const rows = await rowsOf<SubscriptionRow>(
    db,
    `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL AND ($1::text IS NULL OR created_by = $1) ORDER BY created_at, id`,
    [createdBy ?? null],
  );
  return rows.map(toSubscription);
}

/** One subscription (deleted ones included), or null. */
export async function getSubscription(db: Queryable, id: string): Promise<SubscriptionRecord | null> {
  const rows = await rowsOf<SubscriptionRow>(
    db,
    `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1`,
    [id],
  );
  return rows[0] ? toSubscription(rows[0]) : null;
}

/** Soft-delete (the delivery log stays); in-flight deliveries stop at their next attempt. */
export async function deleteSubscription(db: Queryable, id: string): Promise<boolean> {
  const rows = await rowsOf(
    db,
    'UPDATE webhook_subscriptions SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** Re-enable a disabled endpoint with a clean health record. */
export async function enableSubscription(db: Queryable, id: string): Promise<SubscriptionRecord | null> {
  const rows = await rowsOf<SubscriptionRow>(
    db,
    `UPDATE webhook_subscriptions SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, exhausted_messages = 0
      WHERE id = $1 AND deleted_at IS NULL RETURNING ${SUBSCRIPTION_COLUMNS}`,
    [id],
  );
  return rows[0] ? toSubscription(rows[0]) : null;
}

/** An event to publish; `body` is the exact JSON that will be signed and sent. */
export interface WebhookEventRecord {
  id: string;
  type: string;
  occurredAt: number;
  body: string;
  alertId: string | null;
  sensorId: string | null;
  nodeId: string | null;
}

/** Insert events, skipping ids already published; returns the ids inserted now. */
export async function insertEvents(c: Queryable, events: readonly WebhookEventRecord[]): Promise<string[]> {
  if (events.length === 0) return [];
  const { rows } = await c.query<{ id: string }>(
    `INSERT INTO webhook_events (id, type, occurred_at, body, alert_id, sensor_id, node_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::uuid[], $6::text[], $7::text[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => new Date(e.occurredAt)),
      events.map((e) => e.body),
      events.map((e) => e.alertId),
      events.map((e) => e.sensorId),
      events.map((e) => e.nodeId),
    ],
  );
  return rows.map((r) => r.id);
}

/** One event, or null. */
export async function getEvent(q: Queryable, id: string): Promise<WebhookEventRecord | null> {
  const { rows } = await q.query<{
    id: string;
    type: string;
    occurred_at: Date;
    body: string;
    alert_id: string | null;
    sensor_id: string | null;
    node_id: string | null;
  }>('SELECT id, type, occurred_at, body, alert_id, sensor_id, node_id FROM webhook_events WHERE id = $1', [id]);
  const r = rows[0];
  return r
    ? {
        id: r.id,
        type: r.type,
        occurredAt: r.occurred_at.getTime(),
        body: r.body,
        alertId: r.alert_id,
        sensorId: r.sensor_id,
        nodeId: r.node_id,
      }
    : null;
}

/** A delivery waiting for its workflow to be started. */
export interface PendingDelivery {
  id: string;
  workflowId: string;
  eventId: string;
  subscriptionId: string;
}

/**
 * Create the initial deliveries of new events for every active subscription to their type.
 * The workflow id is derived from (event, subscription), so it is started once.
 */
export async function createDeliveriesForEvents(c: Queryable, eventIds: readonly string[]): Promise<PendingDelivery[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await c.query<{ id: string; workflow_id: string; event_id: string; subscription_id: string }>(
    `INSERT INTO webhook_deliveries (event_id, subscription_id, kind, workflow_id)
     SELECT e.id, s.id, 'initial', 'webhook-' || e.id || '-' || s.id
       FROM webhook_events e JOIN webhook_subscriptions s ON e.type = ANY(s.event_types) AND s.deleted_at IS NULL AND s.disabled_at IS NULL
        AND (s.node_ids IS NULL OR e.node_id = ANY(s.node_ids))
      WHERE e.id = ANY($1::text[])
      ORDER BY e.created_at, e.id, s.id
     ON CONFLICT DO NOTHING
     RETURNING id, workflow_id, event_id, subscription_id`,
    [[...eventIds]],
  );
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
  }));
}

/**
 * Subscriptions (not deleted) an event was made for: those its initial deliveries went to, that
 * is, whose filters matched when it was published. Optionally only one principal's.
 */
export async function eventSubscriptionIds(q: Queryable, eventId: string, createdBy?: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT s.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
      WHERE d.event_id = $1 AND d.kind = 'initial' AND s.deleted_at IS NULL AND ($2::text IS NULL OR s.created_by = $2)
      ORDER BY s.created_at, s.id`,
    [eventId, createdBy ?? null],
  );
  return rows.map((r) => r.id);
}

/**
 * A replay delivery per subscription (the given ones, or every active one) that the event was
 * made for (it has an initial delivery there): a new workflow id, the same event and so the
 * same webhook-id. A subscription the event was not made for gets nothing.
 */
export async function createReplayDeliveries(
  c: Queryable,
  eventId: string,
  subscriptionIds: readonly string[] | null,
): Promise<PendingDelivery[]> {
  const { rows } = await c.query<{ id: string; workflow_id: string; event_id: string; subscription_id: string }>(
    `INSERT INTO webhook_deliveries (event_id, subscription_id, kind, workflow_id)
     SELECT e.id, s.id, 'replay', 'webhook-' || e.id || '-' || s.id || '-replay-' || gen_random_uuid()
       FROM webhook_events e JOIN webhook_subscriptions s ON s.deleted_at IS NULL AND s.disabled_at IS NULL
      WHERE e.id = $1
        AND EXISTS (SELECT 1 FROM webhook_deliveries i WHERE i.event_id = e.id AND i.subscription_id = s.id AND i.kind = 'initial')
        AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))
     RETURNING id, workflow_id, event_id, subscription_id`,
    [eventId, subscriptionIds ? [...subscriptionIds] : null],
  );
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
  }));
}

/** Deliveries whose workflow has not been started, created at or before `olderThan` (the outbox). */
export async function unstartedDeliveries(
  q: Queryable,
  olderThan: number,
  limit: number,
  lock = false,
  nodeId: string | null = null,
): Promise<PendingDelivery[]> {
  const { rows } = await q.query<{ id: string; workflow_id: string; event_id: string; subscription_id: string }>(
    `SELECT d.id, d.workflow_id, d.event_id, d.subscription_id FROM webhook_deliveries d
      WHERE d.workflow_started_at IS NULL AND d.created_at <= $1
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = d.event_id AND e.node_id = $3))
      ORDER BY d.created_at LIMIT $2 ${lock ? 'FOR UPDATE OF d SKIP LOCKED' : ''}`,
    [new Date(olderThan), limit, nodeId],
  );
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
  }));
}

/** Mark deliveries whose workflow is started (or was already). */
export async function markDeliveriesStarted(q: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    'UPDATE webhook_deliveries SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = ANY($1::uuid[])',
    [[...ids]],
  );
}

/** What one delivery attempt needs: the event, the endpoint and its secret. */
export interface DeliveryContext {
  deliveryId: string;
  status: string;
  event: { id: string; type: string; body: string };
  subscription: { id: string; url: string; secret: string; active: boolean };
}

/** Load a delivery with its event and endpoint; null when the delivery does not exist. */
export async function deliveryContext(q: Queryable, deliveryId: string): Promise<DeliveryContext | null> {
  const { rows } = await q.query<{
    id: string;
    status: string;
    event_id: string;
    type: string;
    body: string;
    sub_id: string;
    url: string;
    secret: string;
    active: boolean;
  }>(
    `SELECT d.id, d.status, e.id AS event_id, e.type, e.body, s.id AS sub_id, s.url, s.secret, (s.deleted_at IS NULL AND s.disabled_at IS NULL) AS active
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_subscriptions s ON s.id = d.subscription_id
      WHERE d.id = $1`,
    [deliveryId],
  );
  const r = rows[0];
  return r
    ? {
        deliveryId: r.id,
        status: r.status,
        event: { id: r.event_id, type: r.type, body: r.body },
        subscription: { id: r.sub_id, url: r.url, secret: r.secret, active: r.active },
      }
    : null;
}

/** Lock a subscription's health for an update. */
export async function lockSubscriptionHealth(
  c: Queryable,
  id: string,
): Promise<{ health: EndpointHealth; disabled: boolean } | null> {
  const { rows } = await c.query<{
    failing_since: Date | null;
    exhausted_messages: number;
    last_success_at: Date | null;
    disabled_at: Date | null;
  }>(
    'SELECT failing_since, exhausted_messages, last_success_at, disabled_at FROM webhook_subscriptions WHERE id = $1 FOR UPDATE',
    [id],
  );
  const r = rows[0];
  return r
    ? {
        health: {
          failingSince: ms(r.failing_since),
          exhaustedMessages: r.exhausted_messages,
          lastSuccessAt: ms(r.last_success_at),
        },
        disabled: r.disabled_at !== null,
      }
    : null;
}

/** Store a subscription's health, disabling it with a reason when asked. */
export async function saveSubscriptionHealth(
  c: Queryable,
  id: string,
  health: EndpointHealth,
  disableReason: string | null,
): Promise<void> {
  await c.query(
    `UPDATE webhook_subscriptions SET failing_since = $2, exhausted_messages = $3, last_success_at = $4,
       disabled_at = CASE WHEN $5::text IS NULL THEN disabled_at ELSE coalesce(disabled_at, now()) END,
       disabled_reason = CASE WHEN $5::text IS NULL THEN disabled_reason ELSE coalesce(disabled_reason, $5) END
     WHERE id = $1`,
    [
      id,
      health.failingSince === null ? null : new Date(health.failingSince),
      health.exhaustedMessages,
      health.lastSuccessAt === null ? null : new Date(health.lastSuccessAt),
      disableReason,
    ],
  );
}

/** One attempt of a delivery, as logged. */
export interface AttemptRecord {
  attempt: number;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  success: boolean;
}

/** Log an attempt and fold it into the delivery's status. */
export async function recordDeliveryAttempt(
  c: Queryable,
  deliveryId: string,
  a: AttemptRecord,
  status: 'retrying' | 'succeeded' | 'failed',
): Promise<void> {
  await c.query(
    'INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms, success) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [deliveryId, a.attempt, new Date(a.at), a.statusCode, a.error, a.durationMs, a.success],
  );
  await c.query(
    `UPDATE webhook_deliveries SET attempts = greatest(attempts, $2), last_status_code = $3, last_error = $4, status = $5,
       completed_at = CASE WHEN $5 IN ('succeeded', 'failed') THEN now() ELSE NULL END
     WHERE id = $1`,
    [deliveryId, a.attempt, a.statusCode, a.error, status],
  );
}

/** Close a delivery without sending (endpoint disabled or deleted, or the schedule ran out). */
export async function finishDelivery(
  q: Queryable,
  deliveryId: string,
  status: 'skipped' | 'failed',
  error: string,
): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = $2, last_error = coalesce($3, last_error), completed_at = now() WHERE id = $1 AND status NOT IN ('succeeded')`,
    [deliveryId, status, error],
  );
}

/** A delivery with its attempts, for the API. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  subscriptionId: string;
  kind: 'initial' | 'replay';
  workflowId: string;
  status: string;
  attempts: AttemptRecord[];
  createdAt: number;
  workflowStartedAt: number | null;
  completedAt: number | null;
}

/** Deliveries of an event (optionally only to some subscriptions) with every attempt. */
export async function eventDeliveries(
  db: Queryable,
  eventId: string,
  subscriptionIds?: readonly string[],
): Promise<DeliveryRecord[]> {
  const rows = await rowsOf<{
    id: string;
    event_id: string;
    subscription_id: string;
    kind: 'initial' | 'replay';
    workflow_id: string;
    status: string;
    created_at: Date;
    workflow_started_at: Date | null;
    completed_at: Date | null;
  }>(
    db,
    `SELECT id, event_id, subscription_id, kind, workflow_id, status, created_at, workflow_started_at, completed_at
       FROM webhook_deliveries WHERE event_id = $1 AND ($2::uuid[] IS NULL OR subscription_id = ANY($2::uuid[])) ORDER BY created_at, id`,
    [eventId, subscriptionIds ? [...subscriptionIds] : null],
  );
  const attempts = rows.length
    ? await rowsOf<{
        delivery_id: string;
        attempt: number;
        at: Date;
        status_code: number | null;
        error: string | null;
        duration_ms: number;
        success: boolean;
      }>(
        db,
        'SELECT delivery_id, attempt, at, status_code, error, duration_ms, success FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY id',
        [rows.map((r) => r.id)],
      )
    : [];
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    kind: r.kind,
    workflowId: r.workflow_id,
    status: r.status,
    createdAt: r.created_at.getTime(),
    workflowStartedAt: ms(r.workflow_started_at),
    completedAt: ms(r.completed_at),
    attempts: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: a.at.getTime(),
        statusCode: a.status_code,
        error: a.error,
        durationMs: a.duration_ms,
        success: a.success,
      })),
  }));
}
