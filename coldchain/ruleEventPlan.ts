// The decide step of rule evaluation: what a batch of rule events does to alerts, webhooks and
// lot checks, as plain data, from the alerts loaded for the batch. No I/O and no clock:
// alertStore loads the alerts once per batch, calls this, and writes the plan once.
import type { AlertKind, AlertRecord } from '../db/alerts';
import type { WebhookEventRecord } from '../db/webhooks';
import type { AlertAction, AlertComment, AlertError, AuditEntry, EscalationTable } from '../domain/coldchain/alerts';
import { SYSTEM_ACTOR, applyAlertAction, createAlert } from '../domain/coldchain/alerts';
import type { RuleProfile } from '../domain/coldchain/bands';
import type { TempPoint } from '../domain/coldchain/mkt';
import { episodeId } from '../domain/coldchain/ruleState';
import type { RuleEvent } from '../domain/coldchain/ruleState';
import { webhookEvent } from '../domain/coldchain/webhookPolicy';
import type { WebhookEventType } from '../domain/coldchain/webhookPolicy';
import { nextEscalationAt } from './escalation';
import { webhookEventId } from './ids';
import { alertView, triggerView } from './views';

/** The sensor an event came from, with its asset and profile. */
export interface SensorContext {
  sensorId: string;
  assetId: string;
  nodeId: string;
  profileId: string;
  profile: RuleProfile;
}

/** One sensor's rule events of a batch, in order. */
export interface SensorRuleEvents {
  ctx: SensorContext;
  events: readonly RuleEvent[];
  /** Readings of this sensor not stored yet (the current batch), for shelf-life checks. */
  batchPoints?: readonly TempPoint[];
}

/** A lot check to run once the alerts are written (it reads lots and telemetry). */
export type ImpactCheck =
  | { kind: 'hard_limit'; alert: AlertRecord; at: number; detail: string }
  | { kind: 'in_transit'; alert: AlertRecord; reason: 'hard_limit_breached' | 'excursion'; detail: string }
  | { kind: 'shelf_life'; alert: AlertRecord; profile: RuleProfile; batchPoints?: readonly TempPoint[] };

/** An alert's state after the batch and the audit entries and comments to append. */
export interface AlertChange {
  alert: AlertRecord;
  audit: AuditEntry[];
  comments: AlertComment[];
}

/** Everything a batch of rule events changes. */
export interface RuleEventPlan {
  /** Alerts opened by the batch, in their state at its end. */
  created: AlertChange[];
  /** Alerts that existed before the batch and changed. */
  updated: AlertChange[];
  /** Webhook events to publish, in event order. */
  webhooks: WebhookEventRecord[];
  /** Lot checks, in event order. */
  impactChecks: ImpactCheck[];
}

/** What the decision needs besides the events and the loaded alerts. */
export interface PlanOptions {
  now: number;
  escalation: EscalationTable;
  /** Id of an alert opened now (the caller's uuid generator; tests pass a deterministic one). */
  newAlertId: (sourceId: string) => string;
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

/** Build a webhook event with its exact body. */
export function webhookRecord(
  type: WebhookEventType,
  id: string,
  occurredAt: number,
  data: unknown,
  about: { alertId: string | null; sensorId: string; nodeId: string },
): WebhookEventRecord {
  return { id, type, occurredAt, body: JSON.stringify(webhookEvent(type, data, id, occurredAt)), ...about };
}

/** An action applied to a stored alert: its next state and what to append, or the refusal. */
export type Applied =
  { ok: true; record: AlertRecord; audit: AuditEntry[]; comments: AlertComment[] } | { ok: false; error: AlertError };

/**
 * Apply a lifecycle action to a stored alert. The domain works on a whole Alert; the audit and
 * comment lists live in their own tables, so the action runs on empty lists and whatever it
 * appends is exactly what to insert.
 */
export function applyToRecord(
  record: AlertRecord,
  action: AlertAction,
  actor: string,
  now: number,
  table: EscalationTable,
): Applied {
  const res = applyAlertAction({ ...record, comments: [], audit: [] }, action, actor, now);
  if (!res.ok) return res;
  const { comments, audit, ...fields } = res.alert;
  const next: AlertRecord = { ...record, ...fields };
  next.nextEscalationAt = nextEscalationAt(next, table);
  return { ok: true, record: next, audit, comments };
}

/** The alerts of the batch as they evolve, with what each needs written. */
class AlertLedger {
  private readonly entries = new Map<string, AlertChange & { created: boolean }>();

  constructor(private readonly loaded: ReadonlyMap<string, AlertRecord>) {}

  get(sourceId: string): AlertRecord | null {
    return this.entries.get(sourceId)?.alert ?? this.loaded.get(sourceId) ?? null;
  }

  create(alert: AlertRecord, audit: AuditEntry[]): void {
    this.entries.set(alert.sourceId, { alert, audit: [...audit], comments: [], created: true });
  }

  /** Record the alert's new state, with audit entries and comments to append. */
  change(alert: AlertRecord, audit: readonly AuditEntry[] = [], comments: readonly AlertComment[] = []): void {
    const entry = this.entries.get(alert.sourceId) ?? { alert, audit: [], comments: [], created: false };
    entry.alert = alert;
    entry.audit.push(...audit);
    entry.comments.push(...comments);
    this.entries.set(alert.sourceId, entry);
  }

  split(): Pick<RuleEventPlan, 'created' | 'updated'> {
    const out = (created: boolean) =>
      [...this.entries.values()]
        .filter((e) => e.created === created)
        .map(({ alert, audit, comments }) => ({ alert, audit, comments }));
    return { created: out(true), updated: out(false) };
  }
}

/** Decides one batch; one instance per call. */
class Planner {
  readonly ledger: AlertLedger;
  readonly webhooks: WebhookEventRecord[] = [];
  readonly impactChecks: ImpactCheck[] = [];

  constructor(
    loaded: ReadonlyMap<string, AlertRecord>,
    private readonly opts: PlanOptions,
  ) {
    this.ledger = new AlertLedger(loaded);
  }

  event(group: SensorRuleEvents, e: RuleEvent): void {
    const kind = KIND_OF[e.type];
    if (kind) this.open(group, e, kind);
    else if (e.type === 'sensor_online') this.online(group.ctx, e);
    else if (e.type === 'excursion_escalated') this.escalated(group, e);
    else if (e.type === 'excursion_resolved') this.resolved(group, e);
  }

  private publish(
    type: WebhookEventType,
    e: RuleEvent,
    ctx: SensorContext,
    alertId: string | null,
    data: unknown,
  ): void {
    this.webhooks.push(
      webhookRecord(type, webhookEventId(e.id), e.ts, data, { alertId, sensorId: ctx.sensorId, nodeId: ctx.nodeId }),
    );
  }

  private shelfLifeCheck(group: SensorRuleEvents, alert: AlertRecord): void {
    this.impactChecks.push({
      kind: 'shelf_life',
      alert,
      profile: group.ctx.profile,
      ...(group.batchPoints ? { batchPoints: group.batchPoints } : {}),
    });
  }

  private open(group: SensorRuleEvents, e: RuleEvent, kind: AlertKind): void {
    const { ctx } = group;
    const sourceId = sourceIdOf(e);
    if (this.ledger.get(sourceId)) return; // re-processing: the alert, its webhook and its impacts exist
    const title = `${TITLE[kind]} on ${ctx.assetId} (${ctx.sensorId}): ${e.detail}`;
    const severity = e.severity === 'critical' ? 'critical' : 'warning';
    const base = createAlert({
      id: this.opts.newAlertId(sourceId),
      sensorId: ctx.sensorId,
      sourceId,
      title,
      severity,
      now: e.ts,
    });
    const { comments: _c, audit, ...fields } = base;
    const alert: AlertRecord = {
      ...fields,
      kind,
      rule: e.rule,
      assetId: ctx.assetId,
      nodeId: ctx.nodeId,
      profileId: ctx.profileId,
      windowStart: e.startTs,
      windowEnd: null,
      peakC: e.peakC,
      thresholdC: e.thresholdC,
      nextEscalationAt: nextEscalationAt(base, this.opts.escalation),
      impactCheckedAt: null,
      updatedAt: e.ts,
    };
    this.ledger.create(alert, audit);
    const data = { alert: alertView(alert), trigger: triggerView(e) };
    if (kind === 'offline') {
      const since = new Date(e.startTs).toISOString();
      this.publish('sensor.offline', e, ctx, alert.id, {
        sensorId: ctx.sensorId,
        assetId: ctx.assetId,
        nodeId: ctx.nodeId,
        alertId: alert.id,
        since,
        ...data,
      });
    } else {
      this.publish('alert.opened', e, ctx, alert.id, data);
    }
    if (kind === 'hard_limit') this.impactChecks.push({ kind: 'hard_limit', alert, at: e.ts, detail: e.detail });
    if (kind === 'excursion') this.shelfLifeCheck(group, alert);
    // Goods in transit in this asset (if it is a van) are exposed as soon as the episode opens.
    if (kind === 'hard_limit' || kind === 'excursion') {
      const reason = kind === 'hard_limit' ? 'hard_limit_breached' : 'excursion';
      this.impactChecks.push({ kind: 'in_transit', alert, reason, detail: e.detail });
    }
  }

  private online(ctx: SensorContext, e: RuleEvent): void {
    const alert = this.ledger.get(sourceIdOf(e));
    const applied = alert
      ? applyToRecord(alert, { type: 'auto_resolve' }, SYSTEM_ACTOR, e.ts, this.opts.escalation)
      : null;
    let record: AlertRecord | null = null;
    if (applied?.ok) {
      record = { ...applied.record, windowEnd: e.ts };
      this.ledger.change(record, applied.audit, applied.comments);
    } else if (alert) {
      record = { ...alert, windowEnd: alert.windowEnd ?? e.ts };
      this.ledger.change(record);
    }
    this.publish('sensor.online', e, ctx, alert?.id ?? null, {
      sensorId: ctx.sensorId,
      assetId: ctx.assetId,
      nodeId: ctx.nodeId,
      alertId: alert?.id ?? null,
      since: new Date(e.startTs).toISOString(),
      alert: record ? alertView(record) : null,
      trigger: triggerView(e),
    });
  }

  private escalated(group: SensorRuleEvents, e: RuleEvent): void {
    const alert = this.ledger.get(sourceIdOf(e));
    if (!alert) return; // escalation of an excursion whose alert predates alerting
    const action: AlertAction = { type: 'escalate_severity', severity: 'critical' };
    const applied = applyToRecord(
      { ...alert, peakC: e.peakC ?? alert.peakC },
      action,
      SYSTEM_ACTOR,
      e.ts,
      this.opts.escalation,
    );
    if (applied.ok) {
      this.ledger.change(applied.record, applied.audit, applied.comments);
      const view = alertView(applied.record);
      this.publish('alert.escalated', e, group.ctx, alert.id, {
        reason: 'severity',
        level: applied.record.escalationLevel,
        recipients: [],
        alert: view,
        trigger: triggerView(e),
      });
    }
    this.shelfLifeCheck(group, applied.ok ? applied.record : alert);
  }

  private resolved(group: SensorRuleEvents, e: RuleEvent): void {
    const alert = this.ledger.get(sourceIdOf(e));
    if (!alert) return; // resolution of an excursion whose alert predates alerting
    const closed = { ...alert, peakC: e.peakC ?? alert.peakC, windowEnd: e.ts };
    const applied = applyToRecord(closed, { type: 'auto_resolve' }, SYSTEM_ACTOR, e.ts, this.opts.escalation);
    if (applied.ok) {
      this.ledger.change(applied.record, applied.audit, applied.comments);
      this.publish('alert.resolved', e, group.ctx, alert.id, {
        reason: 'back_in_band',
        alert: alertView(applied.record),
        trigger: triggerView(e),
      });
    } else {
      this.ledger.change(closed); // resolved by a person earlier: keep the episode's end
    }
    this.shelfLifeCheck(group, applied.ok ? applied.record : closed);
  }
}

/**
 * Decide what a batch of rule events (per sensor, each sensor's events in order) does, given the
 * alerts of their episodes as loaded before the batch (by source id). Alerts opened or changed by
 * an earlier event of the batch are seen by later ones, so a batch decides exactly what the same
 * events would decide one at a time.
 */
export function planRuleEvents(
  groups: readonly SensorRuleEvents[],
  loaded: ReadonlyMap<string, AlertRecord>,
  opts: PlanOptions,
): RuleEventPlan {
  const planner = new Planner(loaded, opts);
  for (const group of groups) for (const e of group.events) planner.event(group, e);
  return { ...planner.ledger.split(), webhooks: planner.webhooks, impactChecks: planner.impactChecks };
}

/** Source ids whose alerts a batch must load. */
export function sourceIdsOf(groups: readonly SensorRuleEvents[]): string[] {
  return [...new Set(groups.flatMap((g) => g.events.map(sourceIdOf)))].sort();
}
