// The JSON shapes alerts take outside the process: API responses and webhook payloads.
import type { AlertRecord } from '../db/alerts';
import type { RuleEvent } from '../domain/coldchain/ruleState';

const iso = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());

/** An alert as the API and webhooks show it (ISO-8601 times). */
export interface AlertView {
  id: string;
  sourceId: string;
  kind: AlertRecord['kind'];
  rule: string;
  title: string;
  status: AlertRecord['status'];
  severity: AlertRecord['severity'];
  sensorId: string;
  assetId: string;
  nodeId: string;
  profileId: string;
  openedAt: string;
  severitySince: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  assignee: string | null;
  escalationLevel: number;
  nextEscalationAt: string | null;
  window: { start: string; end: string | null };
  peakC: number | null;
  thresholdC: number | null;
}

/** Render an alert record. */
export function alertView(a: AlertRecord): AlertView {
  return {
    id: a.id,
    sourceId: a.sourceId,
    kind: a.kind,
    rule: a.rule,
    title: a.title,
    status: a.status,
    severity: a.severity,
    sensorId: a.sensorId,
    assetId: a.assetId,
    nodeId: a.nodeId,
    profileId: a.profileId,
    openedAt: iso(a.openedAt)!,
    severitySince: iso(a.severitySince)!,
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: iso(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    assignee: a.assignee,
    escalationLevel: a.escalationLevel,
    nextEscalationAt: iso(a.nextEscalationAt),
    window: { start: iso(a.windowStart)!, end: iso(a.windowEnd) },
    peakC: a.peakC,
    thresholdC: a.thresholdC,
  };
}

/** The rule-engine event behind a webhook, as published. */
export interface TriggerView {
  ruleEventId: string;
  type: RuleEvent['type'];
  rule: RuleEvent['rule'];
  ts: string;
  startTs: string;
  tempC: number | null;
  thresholdC: number | null;
  peakC: number | null;
  detail: string;
}

/** Render a rule event. */
export function triggerView(e: RuleEvent): TriggerView {
  return {
    ruleEventId: e.id,
    type: e.type,
    rule: e.rule,
    ts: iso(e.ts)!,
    startTs: iso(e.startTs)!,
    tempC: e.tempC,
    thresholdC: e.thresholdC,
    peakC: e.peakC,
    detail: e.detail,
  };
}
