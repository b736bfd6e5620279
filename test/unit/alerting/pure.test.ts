// Pure parts of the alert evaluator: escalation timing, stable webhook ids, offline deadlines,
// state restoration, the outbox, and shelf-life exposure (Q10) of a lot.
import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { RULE_STATE_VERSION, initialRuleState } from '../../../domain/coldchain/ruleState';
import { DEFAULT_ESCALATION, nextEscalationAt } from '../../../coldchain/escalation';
import { alertActionEventId, escalationEventId, webhookEventId } from '../../../coldchain/ids';
import { offlineDueAt, restoreState } from '../../../coldchain/offline';
import { emptyOutbox, mergeOutbox } from '../../../coldchain/outboxTypes';
import { exposureVerdict, mergePoints, windowPoints } from '../../../coldchain/shelfLifeImpact';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('alerting/escalation: nextEscalationAt', () => {
  const alert = { status: 'open' as const, severity: 'warning' as const, severitySince: T0, escalationLevel: 0 };

  it('is the first step not yet notified, counted from when the severity began', () => {
    expect(nextEscalationAt(alert, DEFAULT_ESCALATION)).to.equal(T0 + 15 * MIN);
    expect(nextEscalationAt({ ...alert, escalationLevel: 1 }, DEFAULT_ESCALATION)).to.equal(T0 + 60 * MIN);
    expect(nextEscalationAt({ ...alert, severity: 'critical' }, DEFAULT_ESCALATION)).to.equal(T0 + 5 * MIN);
  });

  it('is null once every step was notified, or when the alert is not open', () => {
    expect(nextEscalationAt({ ...alert, escalationLevel: 2 }, DEFAULT_ESCALATION)).to.equal(null);
    expect(nextEscalationAt({ ...alert, status: 'acknowledged' }, DEFAULT_ESCALATION)).to.equal(null);
    expect(nextEscalationAt({ ...alert, status: 'resolved' }, DEFAULT_ESCALATION)).to.equal(null);
    expect(nextEscalationAt(alert, { warning: [], critical: [] })).to.equal(null);
  });

  it('orders steps by delay, not by their position in the table', () => {
    const table = {
      warning: [
        { level: 2, delayMs: 9000, recipients: [] },
        { level: 1, delayMs: 1000, recipients: [] },
      ],
      critical: [],
    };
    expect(nextEscalationAt(alert, table)).to.equal(T0 + 1000);
  });
});

describe('alerting/ids: webhook event ids', () => {
  it('are stable for the same source and distinct for different ones', () => {
    const id = webhookEventId('s1:high:1748779140000:opened');
    expect(id).to.match(/^msg_[0-9a-f]{32}$/);
    expect(webhookEventId('s1:high:1748779140000:opened')).to.equal(id);
    expect(webhookEventId('s1:high:1748779140000:resolved')).to.not.equal(id);
    expect(alertActionEventId('a', 'acknowledged')).to.not.equal(alertActionEventId('a', 'resolved'));
    expect(escalationEventId('a', 'warning', 1)).to.not.equal(escalationEventId('a', 'critical', 1));
    expect(escalationEventId('a', 'warning', 1)).to.equal(escalationEventId('a', 'warning', 1));
  });
});

describe('alerting/offline: deadlines and restored state', () => {
  const profile = DEFAULT_PROFILES.chilled;

  it('counts the timeout from the last reading, or from the watch start of a silent sensor', () => {
    expect(offlineDueAt({ ...initialRuleState('s1'), lastTs: T0 }, profile)).to.equal(T0 + 600_000);
    expect(offlineDueAt(initialRuleState('s1', T0), profile)).to.equal(T0 + 600_000);
    expect(offlineDueAt(initialRuleState('s1'), profile), 'nothing to count from').to.equal(null);
    expect(
      offlineDueAt({ ...initialRuleState('s1'), lastTs: T0, offline: { active: true, refTs: T0 } }, profile),
      'already offline',
    ).to.equal(null);
  });

  it('restores a stored state as is, and starts afresh from another layout or another sensor', () => {
    const stored = { ...initialRuleState('s1'), lastTs: T0 };
    expect(restoreState('s1', JSON.parse(JSON.stringify(stored)))).to.deep.equal({ state: stored, reset: false });
    const old = restoreState('s1', { ...stored, stateVersion: RULE_STATE_VERSION + 1, watchSince: T0 });
    expect(old.reset).to.equal(true);
    expect(old.state).to.deep.equal(initialRuleState('s1', T0));
    expect(restoreState('s1', { ...stored, sensorId: 's2' }).reset).to.equal(true);
    expect(restoreState('s1', null)).to.deep.equal({ state: initialRuleState('s1'), reset: true });
  });
});

describe('alerting/outbox', () => {
  it('merges deliveries and deduplicates alerts to signal', () => {
    const a = { ...emptyOutbox(), signalAlertIds: ['x'] };
    mergeOutbox(a, {
      deliveries: [{ id: 'd', workflowId: 'w', eventId: 'e', subscriptionId: 's' }],
      signalAlertIds: ['x', 'y'],
    });
    expect(a).to.deep.equal({
      deliveries: [{ id: 'd', workflowId: 'w', eventId: 'e', subscriptionId: 's' }],
      signalAlertIds: ['x', 'y'],
    });
  });
});

describe('alerting/shelfLifeImpact', () => {
  const pts = (list: [number, number][]) => list.map(([m, tempC]) => ({ ts: T0 + m * MIN, tempC }));

  it('windowPoints carries the reading before the window in (sample and hold) and drops what lies outside', () => {
    expect(
      windowPoints(
        pts([
          [0, 1],
          [5, 2],
          [10, 3],
          [20, 4],
        ]),
        T0 + 7 * MIN,
        T0 + 15 * MIN,
      ),
    ).to.deep.equal(
      pts([
        [7, 2],
        [10, 3],
      ]),
    );
    expect(
      windowPoints(
        pts([
          [10, 3],
          [8, 2],
        ]),
        T0 + 5 * MIN,
        T0 + 15 * MIN,
      ),
      'nothing before: starts at the first reading',
    ).to.deep.equal(
      pts([
        [8, 2],
        [10, 3],
      ]),
    );
    expect(
      windowPoints(
        pts([
          [5, 2],
          [10, 3],
          [10, 9],
        ]),
        T0 + 5 * MIN,
        T0 + 15 * MIN,
      ),
      'duplicates dropped',
    ).to.deep.equal(
      pts([
        [5, 2],
        [10, 3],
      ]),
    );
  });

  it('mergePoints keeps one point per timestamp, the first list winning', () => {
    expect(
      mergePoints(
        pts([
          [1, 1],
          [3, 3],
        ]),
        pts([
          [2, 2],
          [3, 99],
        ]),
      ),
    ).to.deep.equal(
      pts([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    );
  });

  const params = { q10: 3, refTempC: 4, shelfLifeDaysAtRef: 10 };
  const now = Date.parse('2025-06-01T12:00:00Z');
  const base = { from: now - 6 * HOUR, to: now, maxGapMs: 600_000, params, now, minShelfLifeDays: 2 };
  // Readings every 10 min for 6 h at a constant temperature.
  const flat = (tempC: number) => Array.from({ length: 37 }, (_, i) => ({ ts: now - 6 * HOUR + i * 10 * MIN, tempC }));

  it('counts only the excess over real time: 6 h at 20 °C with Q10 3 costs 6 h × (5.80 − 1)', () => {
    const v = exposureVerdict({ ...base, points: flat(20), expiresOn: '2025-06-04' });
    expect(v.consumedDays).to.be.closeTo(0.25 * 3 ** 1.6, 1e-9);
    expect(v.excessDays).to.be.closeTo(0.25 * (3 ** 1.6 - 1), 1e-9);
    expect(v.daysToExpiry).to.be.closeTo(2.5, 1e-9);
    expect(v.remainingDays).to.be.closeTo(2.5 - 0.25 * (3 ** 1.6 - 1), 1e-9);
    expect(v.decision).to.include({ quarantine: true, reason: 'insufficient_shelf_life' });
  });

  it('keeps a lot with enough life left, and never blames a cold dip (no excess) for an old lot', () => {
    expect(exposureVerdict({ ...base, points: flat(20), expiresOn: '2025-06-30' }).decision.quarantine).to.equal(false);
    const cold = exposureVerdict({ ...base, points: flat(1), expiresOn: '2025-06-02' });
    expect(cold.excessDays).to.equal(0);
    expect(cold.decision).to.include({ quarantine: false, reason: 'ok' });
  });

  it('does not blame an outage on the last reading (intervals capped at maxGapMs)', () => {
    const gap = exposureVerdict({
      ...base,
      points: pts([[-360, 20]]).map((p) => ({ ...p, ts: now - 6 * HOUR })),
      expiresOn: '2025-06-30',
    });
    expect(gap.consumedDays).to.be.closeTo((10 / 1440) * 3 ** 1.6, 1e-9);
  });

  it('quarantines when the parameters make the remaining life unknowable (fail-safe)', () => {
    const v = exposureVerdict({ ...base, points: flat(20), expiresOn: '2025-06-30', params: { ...params, q10: 0 } });
    expect(v.decision).to.include({ quarantine: true, reason: 'unknown_shelf_life' });
    expect(exposureVerdict({ ...base, points: flat(20), expiresOn: 'not-a-date' }).decision).to.include({
      quarantine: true,
      reason: 'unknown_shelf_life',
    });
  });
});
