// Alerts in the database, driven by the pure lifecycle (domain/coldchain/alerts.ts): rule
// events open, escalate and resolve them; people acknowledge, resolve, assign and comment; the
// sweep escalates unacknowledged ones. Every change writes its audit entry and the webhook
// event it publishes in the caller's transaction.
import type { PoolClient } from 'pg';
import type { AlertKind, AlertRecord, NewAlert } from '../db/alerts';
import { alertBySourceForUpdate, alertForUpdate, insertAlert, insertAudit, insertComments, updateAlert } from '../db/alerts';
import { createDeliveriesForEvents, insertEvents } from '../db/webhooks';
import type { WebhookEventRecord } from '../db/webhooks';
import type { Alert, AlertAction, AlertComment, AlertError, AuditEntry, EscalationTable } from '../domain/coldchain/alerts';
import { SYSTEM_ACTOR, applyAlertAction, createAlert, escalationDue } from '../domain/coldchain/alerts';
import type { RuleProfile } from '../domain/coldchain/bands';
import type { TempPoint } from '../domain/coldchain/mkt';
import { episodeId } from '../domain/coldchain/ruleState';
import type { RuleEvent } from '../domain/coldchain/ruleState';
import { webhookEvent } from '../domain/coldchain/webhookPolicy';
import type { WebhookEventType } from '../domain/coldchain/webhookPolicy';
import { nextEscalationAt } from './escalation';
import { alertActionEventId, escalationEventId, webhookEventId } from './ids';
import { emptyOutbox } from './outboxTypes';
import type { Outbox } from './outboxTypes';
import { quarantineForHardLimit, quarantineForShelfLife } from './quarantine';
import { alertView, triggerView } from './views';

/** The sensor an event came from, with its asset and profile. */
export interface SensorContext {
  sensorId: string;
  assetId: string;
  nodeId: string;
  profileId: string;
  profile: RuleProfile;
}

/** Build a webhook event with its exact body. */
export function webhookRecord(
  type: WebhookEventType, id: string, occurredAt: number, data: unknown, about: { alertId: string | null; sensorId: string; nodeId: string },
): WebhookEventRecord {
  return { id, type, occurredAt, body: JSON.stringify(webhookEvent(type, data, id, occurredAt)), ...about };
}

/** Insert webhook events (existing ids skipped) and their deliveries; returns the outbox. */
export async function publish(c: PoolClient, events: readonly WebhookEventRecord[]): Promise<Outbox> {
  const fresh = await insertEvents(c, events);
  return { deliveries: await createDeliveriesForEvents(c, fresh), signalAlertIds: [] };
}

// The domain works on a whole Alert; the audit and comment lists live in their own tables, so
// the action runs on empty lists and whatever it appends is exactly what to insert.
type Applied = { ok: true; record: AlertRecord; audit: AuditEntry[]; comments: AlertComment[] } | { ok: false; error: AlertError };

function apply(record: AlertRecord, action: AlertAction, actor: string, now: number, table: EscalationTable): Applied {
  const res = applyAlertAction({ ...record, comments: [], audit: [] }, action, actor, now);
  if (!res.ok) return res;
  const { comments, audit, ...fields } = res.alert;
  const next: AlertRecord = { ...record, ...fields };
  next.nextEscalationAt = nextEscalationAt(next, table);
  return { ok: true, record: next, audit, comments };
}

async function save(c: PoolClient, applied: Extract<Applied, { ok: true }>): Promise<void> {
  await updateAlert(c, applied.record);
  await insertAudit(c, applied.record.id, applied.audit);
  await insertComments(c, applied.record.id, applied.comments);
}

const KIND_OF: Partial<Record<RuleEvent['type'], AlertKind>> = {
  excursion_opened: 'excursion',
  hard_limit_breached: 'hard_limit',
  rate_of_change: 'rate_of_change',
  sensor_offline: 'offline',
};

const TITLE: Record<AlertKind, string> = {
  excursion: 'Temperature excursion',
  hard_limit: 'Hard temperature limit breached',
  rate_of_change: 'Rapid temperature change',
  offline: 'Sensor offline',
};

/** The alert an event belongs to: its episode (sensor, rule, start), e.g. the excursion id. */
export function sourceIdOf(e: RuleEvent): string {
  return episodeId(e.sensorId, e.rule, e.startTs);
}

async function openAlert(c: PoolClient, ctx: SensorContext, e: RuleEvent, kind: AlertKind, table: EscalationTable): Promise<{ alert: AlertRecord; created: boolean }> {
  const title = `${TITLE[kind]} on ${ctx.assetId} (${ctx.sensorId}): ${e.detail}`;
  const base: Alert = createAlert({ id: 'new', sensorId: ctx.sensorId, sourceId: sourceIdOf(e), title, severity: e.severity === 'critical' ? 'critical' : 'warning', now: e.ts });
  const { comments: _c, audit, id: _id, ...fields } = base;
  const row: NewAlert = {
    ...fields, kind, rule: e.rule, assetId: ctx.assetId, nodeId: ctx.nodeId, profileId: ctx.profileId, windowStart: e.startTs, windowEnd: null,
    peakC: e.peakC, thresholdC: e.thresholdC, nextEscalationAt: nextEscalationAt(base, table),
  };
  const stored = await insertAlert(c, row);
  if (stored.created) await insertAudit(c, stored.alert.id, audit);
  return stored;
}

/** Options of event application. */
export interface ApplyOptions {
  now: number;
  escalation: EscalationTable;
  /** Readings of this sensor not stored yet (the current batch), for shelf-life checks. */
  batchPoints?: readonly TempPoint[];
}

/**
 * Apply one sensor's rule events (in order) to alerts, lots and webhooks, in the caller's
 * transaction (which holds the sensor's state row). Returns what to do after the commit.
 */
export async function applyRuleEvents(c: PoolClient, ctx: SensorContext, events: readonly RuleEvent[], opts: ApplyOptions): Promise<Outbox> {
  const out: WebhookEventRecord[] = [];
  const outbox = emptyOutbox();
  const signal = (alertId: string, yes: boolean) => {
    if (yes && !outbox.signalAlertIds.includes(alertId)) outbox.signalAlertIds.push(alertId);
  };
  for (const e of events) {
    const whId = webhookEventId(e.id);
    const kind = KIND_OF[e.type];
    if (kind) {
      const { alert, created } = await openAlert(c, ctx, e, kind, opts.escalation);
      if (!created) continue; // re-processing: the alert, its webhook and its impacts exist
      const data = { alert: alertView(alert), trigger: triggerView(e) };
      if (kind === 'offline') {
        out.push(webhookRecord('sensor.offline', whId, e.ts, { sensorId: ctx.sensorId, assetId: ctx.assetId, nodeId: ctx.nodeId, alertId: alert.id, since: new Date(e.startTs).toISOString(), ...data }, { alertId: alert.id, sensorId: ctx.sensorId, nodeId: ctx.nodeId }));
      } else {
        out.push(webhookRecord('alert.opened', whId, e.ts, data, { alertId: alert.id, sensorId: ctx.sensorId, nodeId: ctx.nodeId }));
      }
      if (kind === 'hard_limit') signal(alert.id, await quarantineForHardLimit(c, alert, e.ts, e.detail));
      if (kind === 'excursion') signal(alert.id, await quarantineForShelfLife(c, alert, ctx.profile, opts.now, opts.batchPoints));
      continue;
    }
    const alert = await alertBySourceForUpdate(c, sourceIdOf(e));
    if (e.type === 'sensor_online') {
      const applied = alert ? apply(alert, { type: 'auto_resolve' }, SYSTEM_ACTOR, e.ts, opts.escalation) : null;
      const record = applied?.ok ? { ...applied.record, windowEnd: e.ts } : alert ? { ...alert, windowEnd: alert.windowEnd ?? e.ts } : null;
      if (applied?.ok) await save(c, { ...applied, record: record! });
      else if (record) await updateAlert(c, record);
      out.push(webhookRecord('sensor.online', whId, e.ts, {
        sensorId: ctx.sensorId, assetId: ctx.assetId, nodeId: ctx.nodeId, alertId: alert?.id ?? null, since: new Date(e.startTs).toISOString(),
        alert: record ? alertView(record) : null, trigger: triggerView(e),
      }, { alertId: alert?.id ?? null, sensorId: ctx.sensorId, nodeId: ctx.nodeId }));
      continue;
    }
    if (!alert) continue; // escalation or resolution of an excursion whose alert predates alerting
    const peakC = e.peakC ?? alert.peakC;
    if (e.type === 'excursion_escalated') {
      const applied = apply({ ...alert, peakC }, { type: 'escalate_severity', severity: 'critical' }, SYSTEM_ACTOR, e.ts, opts.escalation);
      if (applied.ok) {
        await save(c, applied);
        out.push(webhookRecord('alert.escalated', whId, e.ts, { reason: 'severity', level: applied.record.escalationLevel, recipients: [], alert: alertView(applied.record), trigger: triggerView(e) }, { alertId: alert.id, sensorId: ctx.sensorId, nodeId: ctx.nodeId }));
      }
      signal(alert.id, await quarantineForShelfLife(c, applied.ok ? applied.record : alert, ctx.profile, opts.now, opts.batchPoints));
    } else if (e.type === 'excursion_resolved') {
      const applied = apply({ ...alert, peakC, windowEnd: e.ts }, { type: 'auto_resolve' }, SYSTEM_ACTOR, e.ts, opts.escalation);
      const record = applied.ok ? applied.record : { ...alert, peakC, windowEnd: e.ts };
      if (applied.ok) {
        await save(c, applied);
        out.push(webhookRecord('alert.resolved', whId, e.ts, { reason: 'back_in_band', alert: alertView(record), trigger: triggerView(e) }, { alertId: alert.id, sensorId: ctx.sensorId, nodeId: ctx.nodeId }));
      } else {
        await updateAlert(c, record); // resolved by a person earlier: keep the episode's end
      }
      signal(alert.id, await quarantineForShelfLife(c, record, ctx.profile, opts.now, opts.batchPoints));
    }
  }
  const published = await publish(c, out);
  outbox.deliveries.push(...published.deliveries);
  return outbox;
}

/** Outcome of a person's action. */
export type ActionResult = { ok: true; alert: AlertRecord; outbox: Outbox } | { ok: false; error: AlertError | { code: 'not_found'; message: string } };

/** Apply a person's action to an alert in the caller's transaction (locks the alert). */
export async function actOnAlert(c: PoolClient, alertId: string, action: AlertAction, actor: string, now: number, table: EscalationTable): Promise<ActionResult> {
  const alert = await alertForUpdate(c, alertId);
  if (!alert) return { ok: false, error: { code: 'not_found', message: `no alert ${alertId}` } };
  const applied = apply(alert, action, actor, now, table);
  if (!applied.ok) return applied;
  await save(c, applied);
  const events: WebhookEventRecord[] = [];
  const data = { alert: alertView(applied.record), actor };
  if (action.type === 'acknowledge') events.push(webhookRecord('alert.acknowledged', alertActionEventId(alertId, 'acknowledged'), now, data, { alertId, sensorId: alert.sensorId, nodeId: alert.nodeId }));
  if (action.type === 'resolve') events.push(webhookRecord('alert.resolved', alertActionEventId(alertId, 'resolved'), now, { reason: 'manual', ...data }, { alertId, sensorId: alert.sensorId, nodeId: alert.nodeId }));
  return { ok: true, alert: applied.record, outbox: await publish(c, events) };
}

/**
 * Escalate a locked, open alert whose steps are due at `now`: records the highest level due and
 * publishes one `alert.escalated` per step, so each recipient group is notified once.
 */
export async function escalateIfDue(c: PoolClient, alert: AlertRecord, now: number, table: EscalationTable): Promise<Outbox> {
  const { due } = escalationDue({ ...alert, comments: [], audit: [] }, now, table);
  if (due.length === 0) {
    const next = nextEscalationAt(alert, table);
    if (next !== alert.nextEscalationAt) await updateAlert(c, { ...alert, nextEscalationAt: next });
    return emptyOutbox();
  }
  const level = Math.max(...due.map((s) => s.level));
  const applied = apply(alert, { type: 'record_escalation', level }, SYSTEM_ACTOR, now, table);
  if (!applied.ok) return emptyOutbox();
  await save(c, applied);
  const events = due.map((step) =>
    webhookRecord('alert.escalated', escalationEventId(alert.id, alert.severity, step.level), now, {
      reason: 'unacknowledged', level: step.level, recipients: step.recipients, delayMs: step.delayMs, alert: alertView(applied.record),
    }, { alertId: alert.id, sensorId: alert.sensorId, nodeId: alert.nodeId }),
  );
  return publish(c, events);
}

/** Re-check the shelf-life impact of a locked excursion alert (sweep). */
export async function recheckImpact(c: PoolClient, alert: AlertRecord, profile: RuleProfile, now: number): Promise<Outbox> {
  const outbox = emptyOutbox();
  if (await quarantineForShelfLife(c, alert, profile, now)) outbox.signalAlertIds.push(alert.id);
  return outbox;
}
