// Alert lifecycle: open → acknowledged → resolved, with assignee, comments, an audit trail
// and time-based escalation (ThingsBoard's alarm model: active/cleared × unacked/acked).
//
// Actions are validated and return a typed error instead of throwing, because they arrive
// from people (API, mobile) and invalid ones are an expected outcome, not a bug.

/** Alert status. */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** Alert severity. */
export type AlertSeverity = 'warning' | 'critical';

/** Something that happened to an alert, who did it and when. */
export interface AuditEntry {
  at: number;
  actor: string;
  action: AlertAction['type'] | 'create';
  from: AlertStatus | null;
  to: AlertStatus;
  detail: string;
}

/** A comment on an alert. */
export interface AlertComment {
  at: number;
  author: string;
  text: string;
}

/** An alert (plain JSON). */
export interface Alert {
  id: string;
  sensorId: string;
  /** The rule-engine episode behind it (e.g. an excursion id), for deduplication. */
  sourceId: string;
  title: string;
  status: AlertStatus;
  severity: AlertSeverity;
  /** When the current severity began (escalation delays count from here). */
  severitySince: number;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  assignee: string | null;
  /** Highest escalation level already notified (0 = none). */
  escalationLevel: number;
  comments: AlertComment[];
  audit: AuditEntry[];
}

/** What a person or the system can do to an alert. */
export type AlertAction =
  | { type: 'acknowledge' }
  | { type: 'resolve' }
  | { type: 'auto_resolve' }
  | { type: 'escalate_severity'; severity: AlertSeverity }
  | { type: 'assign'; assignee: string }
  | { type: 'unassign' }
  | { type: 'comment'; text: string }
  | { type: 'record_escalation'; level: number };

/** Why an action was refused. */
export interface AlertError {
  code: 'invalid_transition' | 'invalid_action';
  message: string;
}

/** Result of applying an action. */
export type AlertActionResult = { ok: true; alert: Alert } | { ok: false; error: AlertError };

/** The actor name used for automatic actions. */
export const SYSTEM_ACTOR = 'system';

/** Creates an open alert with its first audit entry. */
export function createAlert(input: {
  id: string;
  sensorId: string;
  sourceId: string;
  title: string;
  severity: AlertSeverity;
  now: number;
}): Alert {
  return {
    id: input.id,
    sensorId: input.sensorId,
    sourceId: input.sourceId,
    title: input.title,
    status: 'open',
    severity: input.severity,
    severitySince: input.now,
    openedAt: input.now,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    assignee: null,
    escalationLevel: 0,
    comments: [],
    audit: [
      {
        at: input.now,
        actor: SYSTEM_ACTOR,
        action: 'create',
        from: null,
        to: 'open',
        detail: `opened with severity ${input.severity}`,
      },
    ],
  };
}

/** Applies an action at `now` by `actor`; returns the new alert or a typed error (never throws). */
export function applyAlertAction(alert: Alert, action: AlertAction, actor: string, now: number): AlertActionResult {
  if (actor.trim() === '') return { ok: false, error: invalid('invalid_action', 'actor must not be empty') };
  const change = transition(alert, action, actor, now);
  if ('code' in change) return { ok: false, error: change };
  const next: Alert = {
    ...alert,
    ...change.patch,
    comments: change.comment ? [...alert.comments, change.comment] : alert.comments,
  };
  const entry: AuditEntry = {
    at: now,
    actor,
    action: action.type,
    from: alert.status,
    to: next.status,
    detail: change.detail,
  };
  return { ok: true, alert: { ...next, audit: [...alert.audit, entry] } };
}

type Change = { patch: Partial<Alert>; detail: string; comment?: AlertComment };

function transition(alert: Alert, action: AlertAction, actor: string, now: number): Change | AlertError {
  const { status } = alert;
  const closed = status === 'resolved';
  switch (action.type) {
    case 'acknowledge':
      if (status !== 'open') return refuse(alert, 'acknowledge', 'only an open alert can be acknowledged');
      return { patch: { status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor }, detail: 'acknowledged' };
    case 'resolve':
      // A person resolves only what someone has looked at; the system may clear either.
      if (status !== 'acknowledged') return refuse(alert, 'resolve', 'acknowledge the alert before resolving it');
      return { patch: { status: 'resolved', resolvedAt: now, resolvedBy: actor }, detail: 'resolved manually' };
    case 'auto_resolve':
      if (closed) return refuse(alert, 'auto_resolve', 'it is already resolved');
      return {
        patch: { status: 'resolved', resolvedAt: now, resolvedBy: actor },
        detail: 'resolved automatically (back in band)',
      };
    case 'escalate_severity':
      if (closed) return refuse(alert, 'escalate_severity', 'it is resolved');
      if (action.severity !== 'critical' || alert.severity === 'critical') {
        return invalid(
          'invalid_action',
          `cannot change severity from ${alert.severity} to ${action.severity}: severity only rises`,
        );
      }
      // A new severity starts its own escalation chain (the critical table's levels from 1).
      return {
        patch: { severity: 'critical', severitySince: now, escalationLevel: 0 },
        detail: 'severity raised to critical',
      };
    case 'assign':
      if (closed) return refuse(alert, 'assign', 'it is resolved');
      if (action.assignee.trim() === '') return invalid('invalid_action', 'assignee must not be empty');
      return { patch: { assignee: action.assignee }, detail: `assigned to ${action.assignee}` };
    case 'unassign':
      if (closed) return refuse(alert, 'unassign', 'it is resolved');
      if (alert.assignee === null) return invalid('invalid_action', 'alert has no assignee');
      return { patch: { assignee: null }, detail: `unassigned from ${alert.assignee}` };
    case 'comment':
      // Comments stay allowed after resolution: post-incident notes belong with the alert.
      if (action.text.trim() === '') return invalid('invalid_action', 'comment text must not be empty');
      return { patch: {}, detail: 'comment added', comment: { at: now, author: actor, text: action.text } };
    case 'record_escalation':
      if (!Number.isInteger(action.level) || action.level <= alert.escalationLevel) {
        return invalid(
          'invalid_action',
          `escalation level ${action.level} is not above the current level ${alert.escalationLevel}`,
        );
      }
      return { patch: { escalationLevel: action.level }, detail: `escalation level ${action.level} notified` };
  }
}

function refuse(alert: Alert, action: AlertAction['type'], why: string): AlertError {
  return {
    code: 'invalid_transition',
    message: `cannot ${action} alert ${alert.id} in status ${alert.status}: ${why}`,
  };
}

function invalid(code: AlertError['code'], message: string): AlertError {
  return { code, message };
}

/** One step of an escalation table: after `delayMs` unacknowledged, notify these recipients. */
export interface EscalationStep {
  level: number;
  delayMs: number;
  recipients: string[];
}

/** Escalation steps per severity. */
export type EscalationTable = Record<AlertSeverity, readonly EscalationStep[]>;

/** Steps now due and when the next one will be. */
export interface EscalationDue {
  due: EscalationStep[];
  nextAt: number | null;
}

/**
 * Escalation steps due for an alert at `now`: only while it is open (unacknowledged), counted
 * from when its current severity began, and only steps above the level already notified, so
 * calling this repeatedly and recording each level never notifies anyone twice.
 */
export function escalationDue(alert: Alert, now: number, table: EscalationTable): EscalationDue {
  if (alert.status !== 'open') return { due: [], nextAt: null };
  const pending = [...table[alert.severity]]
    .filter((s) => s.level > alert.escalationLevel)
    .sort((a, b) => a.delayMs - b.delayMs);
  const elapsed = now - alert.severitySince;
  const due = pending.filter((s) => s.delayMs <= elapsed);
  const next = pending.find((s) => s.delayMs > elapsed);
  return { due, nextAt: next ? alert.severitySince + next.delayMs : null };
}
