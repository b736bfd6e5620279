import { expect } from 'chai';
import { applyAlertAction, createAlert, escalationDue } from '../../../domain/coldchain/alerts';
import type { Alert, AlertAction, AlertActionResult, EscalationTable } from '../../../domain/coldchain/alerts';
import { T0, min } from './helpers';

const fresh = (): Alert =>
  createAlert({
    id: 'al-1',
    sensorId: 's1',
    sourceId: `s1:high:${T0}`,
    title: 'Fridge 1 above 5 °C',
    severity: 'warning',
    now: T0,
  });

function ok(result: AlertActionResult): Alert {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.alert;
}

function chain(alert: Alert, steps: [AlertAction, string, number][]): Alert {
  return steps.reduce((a, [action, actor, at]) => ok(applyAlertAction(a, action, actor, T0 + min(at))), alert);
}

describe('coldchain/alerts: lifecycle', () => {
  it('creates an open alert with a creation audit entry', () => {
    const a = fresh();
    expect(a).to.include({ status: 'open', severity: 'warning', escalationLevel: 0, assignee: null });
    expect(a.audit).to.deep.equal([
      { at: T0, actor: 'system', action: 'create', from: null, to: 'open', detail: 'opened with severity warning' },
    ]);
  });

  it('goes open → acknowledged → resolved with who and when, audited', () => {
    const a = chain(fresh(), [
      [{ type: 'acknowledge' }, 'li.wei', 3],
      [{ type: 'resolve' }, 'li.wei', 20],
    ]);
    expect(a).to.include({
      status: 'resolved',
      acknowledgedBy: 'li.wei',
      acknowledgedAt: T0 + min(3),
      resolvedBy: 'li.wei',
      resolvedAt: T0 + min(20),
    });
    expect(a.audit.map((e) => [e.action, e.from, e.to, e.actor])).to.deep.equal([
      ['create', null, 'open', 'system'],
      ['acknowledge', 'open', 'acknowledged', 'li.wei'],
      ['resolve', 'acknowledged', 'resolved', 'li.wei'],
    ]);
  });

  it('auto-resolves from open and from acknowledged', () => {
    expect(chain(fresh(), [[{ type: 'auto_resolve' }, 'system', 30]])).to.include({
      status: 'resolved',
      resolvedBy: 'system',
    });
    expect(
      chain(fresh(), [
        [{ type: 'acknowledge' }, 'op', 1],
        [{ type: 'auto_resolve' }, 'system', 30],
      ]).status,
    ).to.equal('resolved');
  });

  it('refuses invalid transitions with a typed error, without throwing or changing the alert', () => {
    const open = fresh();
    const before = JSON.stringify(open);
    const r1 = applyAlertAction(open, { type: 'resolve' }, 'op', T0);
    expect(r1).to.deep.include({ ok: false });
    if (r1.ok) throw new Error('unreachable');
    expect(r1.error.code).to.equal('invalid_transition');
    expect(r1.error.message).to.match(/cannot resolve alert al-1 in status open: acknowledge/);

    const acked = ok(applyAlertAction(open, { type: 'acknowledge' }, 'op', T0));
    const r2 = applyAlertAction(acked, { type: 'acknowledge' }, 'op', T0);
    expect(!r2.ok && r2.error.code).to.equal('invalid_transition');

    const resolved = ok(applyAlertAction(open, { type: 'auto_resolve' }, 'system', T0));
    for (const action of [
      { type: 'acknowledge' },
      { type: 'resolve' },
      { type: 'auto_resolve' },
      { type: 'assign', assignee: 'x' },
      { type: 'escalate_severity', severity: 'critical' },
    ] as AlertAction[]) {
      const r = applyAlertAction(resolved, action, 'op', T0);
      expect(!r.ok && r.error.code, action.type).to.equal('invalid_transition');
    }
    expect(JSON.stringify(open)).to.equal(before);
  });

  it('handles assignee and comments (comments also after resolution)', () => {
    const a = chain(fresh(), [
      [{ type: 'assign', assignee: 'zhang.min' }, 'lead', 1],
      [{ type: 'comment', text: 'Compressor noisy, technician called' }, 'zhang.min', 2],
      [{ type: 'unassign' }, 'lead', 3],
      [{ type: 'auto_resolve' }, 'system', 40],
      [{ type: 'comment', text: 'Stock moved to cold room 2' }, 'zhang.min', 41],
    ]);
    expect(a.assignee).to.equal(null);
    expect(a.comments).to.deep.equal([
      { at: T0 + min(2), author: 'zhang.min', text: 'Compressor noisy, technician called' },
      { at: T0 + min(41), author: 'zhang.min', text: 'Stock moved to cold room 2' },
    ]);
    expect(a.audit.map((e) => e.detail)).to.include('assigned to zhang.min');
  });

  it('rejects empty actors, comments and assignees, and unassigning nobody, as invalid actions', () => {
    const a = fresh();
    const codes = [
      applyAlertAction(a, { type: 'acknowledge' }, ' ', T0),
      applyAlertAction(a, { type: 'comment', text: '' }, 'op', T0),
      applyAlertAction(a, { type: 'assign', assignee: '' }, 'op', T0),
      applyAlertAction(a, { type: 'unassign' }, 'op', T0),
    ].map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).to.deep.equal(['invalid_action', 'invalid_action', 'invalid_action', 'invalid_action']);
  });

  it('raises severity only upwards', () => {
    const crit = chain(fresh(), [[{ type: 'escalate_severity', severity: 'critical' }, 'system', 30]]);
    expect(crit).to.include({ severity: 'critical', severitySince: T0 + min(30) });
    const again = applyAlertAction(crit, { type: 'escalate_severity', severity: 'critical' }, 'system', T0);
    expect(!again.ok && again.error.code).to.equal('invalid_action');
    const down = applyAlertAction(crit, { type: 'escalate_severity', severity: 'warning' }, 'system', T0);
    expect(!down.ok && down.error.code).to.equal('invalid_action');
  });
});

describe('coldchain/alerts: escalation', () => {
  const table: EscalationTable = {
    warning: [
      { level: 2, delayMs: min(60), recipients: ['store-manager'] },
      { level: 1, delayMs: min(15), recipients: ['shift-lead'] },
    ],
    critical: [
      { level: 1, delayMs: 0, recipients: ['shift-lead', 'store-manager'] },
      { level: 2, delayMs: min(10), recipients: ['regional-qa'] },
    ],
  };

  it('is due step by step as time passes, and each recorded level is not due again', () => {
    let a = fresh();
    expect(escalationDue(a, T0 + min(14), table)).to.deep.equal({ due: [], nextAt: T0 + min(15) });
    const at15 = escalationDue(a, T0 + min(15), table);
    expect(at15.due.map((s) => s.recipients)).to.deep.equal([['shift-lead']]);
    expect(at15.nextAt).to.equal(T0 + min(60));
    a = ok(applyAlertAction(a, { type: 'record_escalation', level: 1 }, 'system', T0 + min(15)));
    expect(escalationDue(a, T0 + min(30), table).due).to.deep.equal([]);
    expect(escalationDue(a, T0 + min(61), table)).to.deep.equal({
      due: [{ level: 2, delayMs: min(60), recipients: ['store-manager'] }],
      nextAt: null,
    });
    // A late check that skipped a step gets every step that is due.
    expect(escalationDue(fresh(), T0 + min(90), table).due.map((s) => s.level)).to.deep.equal([1, 2]);
  });

  it('stops once acknowledged or resolved', () => {
    const acked = ok(applyAlertAction(fresh(), { type: 'acknowledge' }, 'op', T0 + min(5)));
    expect(escalationDue(acked, T0 + min(90), table)).to.deep.equal({ due: [], nextAt: null });
  });

  it('restarts on the critical table, counted from when the alert became critical', () => {
    let a = ok(applyAlertAction(fresh(), { type: 'record_escalation', level: 1 }, 'system', T0 + min(15)));
    a = ok(applyAlertAction(a, { type: 'escalate_severity', severity: 'critical' }, 'system', T0 + min(30)));
    expect(escalationDue(a, T0 + min(30), table).due.map((s) => s.recipients)).to.deep.equal([
      ['shift-lead', 'store-manager'],
    ]);
    expect(escalationDue(a, T0 + min(30), table).nextAt).to.equal(T0 + min(40));
  });

  it('refuses to record a level that is not above the current one', () => {
    const a = ok(applyAlertAction(fresh(), { type: 'record_escalation', level: 2 }, 'system', T0));
    const r = applyAlertAction(a, { type: 'record_escalation', level: 1 }, 'system', T0);
    expect(!r.ok && r.error.code).to.equal('invalid_action');
  });
});
