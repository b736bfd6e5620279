// Alerts in the database, driven by the pure lifecycle (domain/coldchain/alerts.ts): rule
// events open, escalate and resolve them; people acknowledge, resolve, assign and comment; the
// sweep escalates unacknowledged ones. Every change writes its audit entry and the webhook
// event it publishes in the caller's transaction.
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { AlertRecord } from '../db/alerts';
import {
  alertForUpdate,
  alertsBySourceForUpdate,
  appendAlertHistory,
  insertAlerts,
  insertAudit,
  insertComments,
  updateAlert,
  updateAlerts,
} from '../db/alerts';
import { createDeliveriesForEvents, insertEvents } from '../db/webhooks';
import type { WebhookEventRecord } from '../db/webhooks';
import type { AlertAction, AlertError, EscalationTable } from '../domain/coldchain/alerts';
import { SYSTEM_ACTOR, escalationDue } from '../domain/coldchain/alerts';
import type { RuleProfile } from '../domain/coldchain/bands';
import { nextEscalationAt } from './escalation';
import { alertActionEventId, escalationEventId } from './ids';
import { emptyOutbox } from './outboxTypes';
import type { Outbox } from './outboxTypes';
import { exposeInTransit, quarantineForHardLimit, quarantineForShelfLife } from './quarantine';
import { applyToRecord, planRuleEvents, sourceIdsOf, webhookRecord } from './ruleEventPlan';
import type { Applied, ImpactCheck, RuleEventPlan, SensorRuleEvents } from './ruleEventPlan';
import { alertView } from './views';

export type { SensorContext, SensorRuleEvents } from './ruleEventPlan';

/** Insert webhook events (existing ids skipped) and their deliveries; returns the outbox. */
export async function publish(c: PoolClient, events: readonly WebhookEventRecord[]): Promise<Outbox> {
  const fresh = await insertEvents(c, events);
  return { deliveries: await createDeliveriesForEvents(c, fresh), signalAlertIds: [] };
}

async function save(c: PoolClient, applied: Extract<Applied, { ok: true }>): Promise<void> {
  await updateAlert(c, applied.record);
  await insertAudit(c, applied.record.id, applied.audit);
  await insertComments(c, applied.record.id, applied.comments);
}

/** Options of event application. */
export interface ApplyOptions {
  now: number;
  escalation: EscalationTable;
}

/** Raised when another writer opened one of the batch's alerts first: the batch is retried. */
export class AlertRaceError extends Error {
  constructor(readonly sourceIds: readonly string[]) {
    super(`alerts opened concurrently for ${sourceIds.join(', ')}; the batch is retried`);
    this.name = 'AlertRaceError';
  }
}

// The write step: alerts first (the other rows refer to them), then their history.
async function writePlan(c: PoolClient, plan: RuleEventPlan): Promise<void> {
  const inserted = await insertAlerts(
    c,
    plan.created.map((x) => x.alert),
  );
  if (!inserted.ok) throw new AlertRaceError(inserted.taken);
  await updateAlerts(
    c,
    plan.updated.map((x) => x.alert),
  );
  const changes = [...plan.created, ...plan.updated];
  await appendAlertHistory(
    c,
    changes.map((x) => ({ alertId: x.alert.id, audit: x.audit, comments: x.comments })),
  );
}

// Lot checks read lots and telemetry and quarantine what the excursion cost too much; they run
// after the alerts are written, in event order, since impacts refer to the alert rows.
async function runImpactCheck(c: PoolClient, check: ImpactCheck, now: number): Promise<boolean> {
  switch (check.kind) {
    case 'hard_limit':
      return quarantineForHardLimit(c, check.alert, check.at, check.detail);
    case 'shelf_life':
      return quarantineForShelfLife(c, check.alert, check.profile, now, check.batchPoints);
    case 'in_transit':
      // Orders hold only lots a late stretch's transfer already became (quarantined now): those get a signal.
      return exposeInTransit(c, check.alert, check.reason, check.detail);
  }
}

/**
 * Apply a batch's rule events (per sensor, in order) to alerts, lots and webhooks, in the
 * caller's transaction (which holds the sensors' state rows): one load of the episodes' alerts,
 * a pure decision (planRuleEvents), one write. Returns what to do after the commit.
 */
export async function applyRuleEvents(
  c: PoolClient,
  groups: readonly SensorRuleEvents[],
  opts: ApplyOptions,
): Promise<Outbox> {
  const loaded = await alertsBySourceForUpdate(c, sourceIdsOf(groups));
  const plan = planRuleEvents(groups, loaded, { ...opts, newAlertId: () => randomUUID() });
  await writePlan(c, plan);
  const outbox = await publish(c, plan.webhooks);
  for (const check of plan.impactChecks) {
    const signal = await runImpactCheck(c, check, opts.now);
    if (signal && !outbox.signalAlertIds.includes(check.alert.id)) outbox.signalAlertIds.push(check.alert.id);
  }
  return outbox;
}

/** Outcome of a person's action. */
export type ActionResult =
  | { ok: true; alert: AlertRecord; outbox: Outbox }
  | { ok: false; error: AlertError | { code: 'not_found'; message: string } };

/** Apply a person's action to an alert in the caller's transaction (locks the alert). */
export async function actOnAlert(
  c: PoolClient,
  alertId: string,
  action: AlertAction,
  actor: string,
  now: number,
  table: EscalationTable,
): Promise<ActionResult> {
  const alert = await alertForUpdate(c, alertId);
  if (!alert) return { ok: false, error: { code: 'not_found', message: `no alert ${alertId}` } };
  const applied = applyToRecord(alert, action, actor, now, table);
  if (!applied.ok) return applied;
  await save(c, applied);
  const events: WebhookEventRecord[] = [];
  const data = { alert: alertView(applied.record), actor };
  if (action.type === 'acknowledge')
    events.push(
      webhookRecord('alert.acknowledged', alertActionEventId(alertId, 'acknowledged'), now, data, {
        alertId,
        sensorId: alert.sensorId,
        nodeId: alert.nodeId,
      }),
    );
  if (action.type === 'resolve')
    events.push(
      webhookRecord(
        'alert.resolved',
        alertActionEventId(alertId, 'resolved'),
        now,
        { reason: 'manual', ...data },
        { alertId, sensorId: alert.sensorId, nodeId: alert.nodeId },
      ),
    );
  return { ok: true, alert: applied.record, outbox: await publish(c, events) };
}

/**
 * Escalate a locked, open alert whose steps are due at `now`: records the highest level due and
 * publishes one `alert.escalated` per step, so each recipient group is notified once.
 */
export async function escalateIfDue(
  c: PoolClient,
  alert: AlertRecord,
  now: number,
  table: EscalationTable,
): Promise<Outbox> {
  const { due } = escalationDue({ ...alert, comments: [], audit: [] }, now, table);
  if (due.length === 0) {
    const next = nextEscalationAt(alert, table);
    if (next !== alert.nextEscalationAt) await updateAlert(c, { ...alert, nextEscalationAt: next });
    return emptyOutbox();
  }
  const level = Math.max(...due.map((s) => s.level));
  const applied = applyToRecord(alert, { type: 'record_escalation', level }, SYSTEM_ACTOR, now, table);
  if (!applied.ok) return emptyOutbox();
  await save(c, applied);
  const events = due.map((step) =>
    webhookRecord(
      'alert.escalated',
      escalationEventId(alert.id, alert.severity, step.level),
      now,
      {
        reason: 'unacknowledged',
        level: step.level,
        recipients: step.recipients,
        delayMs: step.delayMs,
        alert: alertView(applied.record),
      },
      { alertId: alert.id, sensorId: alert.sensorId, nodeId: alert.nodeId },
    ),
  );
  return publish(c, events);
}

/** Re-check the shelf-life impact of a locked excursion alert (sweep). */
export async function recheckImpact(
  c: PoolClient,
  alert: AlertRecord,
  profile: RuleProfile,
  now: number,
): Promise<Outbox> {
  const outbox = emptyOutbox();
  if (await quarantineForShelfLife(c, alert, profile, now)) outbox.signalAlertIds.push(alert.id);
  return outbox;
}
