import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import type { RuleProfile } from '../../../domain/coldchain/bands';
import { T0, min, reading, runRules, series, summary } from './helpers';

// Chilled defaults: warn > 5 °C for 15 min, critical > 8 °C for 30 min, clear ≤ 4 °C held
// 10 min, low warn < −1 °C for 30 min; rate of change off here (tested separately).
const P: RuleProfile = { ...DEFAULT_PROFILES.chilled, rateOfChange: null };

const run = (readings: Parameters<typeof runRules>[0]) => runRules(readings, P);

describe('coldchain/rules: threshold + duration', () => {
  it('opens a warning only after 15 min above 5 °C, with an id from sensor, rule and start', () => {
    const before = run(series(0, 15, 6));
    expect(before.events).to.deep.equal([]);
    expect(before.state.high.phase).to.equal('pending');
    const { events } = run(series(0, 16, 6));
    expect(summary(events)).to.deep.equal(['excursion_opened@15']);
    expect(events[0]).to.include({
      id: `s1:high:${T0}:opened`,
      excursionId: `s1:high:${T0}`,
      severity: 'warning',
      startTs: T0,
      rule: 'high',
      thresholdC: 5,
    });
  });

  it('does not alert on a warm spell shorter than the duration', () => {
    const { events, state } = run([...series(0, 14, 6), ...series(14, 60, 3)]);
    expect(events).to.deep.equal([]);
    expect(state.high.phase).to.equal('normal');
  });

  it('restarts the duration count after dipping back under the threshold', () => {
    // 10 min warm, one reading at 4.9 °C, 10 min warm: never 15 continuous minutes.
    const { events } = run([...series(0, 10, 6), reading(10, 4.9), ...series(11, 21, 6)]);
    expect(events).to.deep.equal([]);
  });

  it('counts exactly 5 °C as inside (the rule is strictly above)', () => {
    expect(run(series(0, 60, 5)).events).to.deep.equal([]);
  });

  it('opens a low excursion below −1 °C after 30 min', () => {
    const { events } = run(series(0, 31, -1.5));
    expect(summary(events)).to.deep.equal(['excursion_opened@30']);
    expect(events[0]).to.include({ rule: 'low', id: `s1:low:${T0}:opened` });
  });
});

describe('coldchain/rules: second severity', () => {
  it('escalates to critical after 30 min above 8 °C, counted from when it went above 8 °C', () => {
    const { events } = run(series(0, 31, 9));
    expect(summary(events)).to.deep.equal(['excursion_opened@15', 'excursion_escalated@30']);
    expect(events[1]).to.include({
      severity: 'critical',
      excursionId: `s1:high:${T0}`,
      id: `s1:high:${T0}:escalated`,
      thresholdC: 8,
    });
  });

  it('does not escalate while the temperature is above the warn but below the critical threshold', () => {
    const { events, state } = run(series(0, 120, 7.5));
    expect(summary(events)).to.deep.equal(['excursion_opened@15']);
    expect(state.high.severity).to.equal('warning');
  });

  it('restarts the critical count when the temperature drops under 8 °C', () => {
    const { events } = run([...series(0, 20, 6), ...series(20, 45, 9), reading(45, 7), ...series(46, 77, 9)]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15', 'excursion_escalated@76']);
  });
});

describe('coldchain/rules: hysteresis and auto-resolve', () => {
  it('does not flap when the temperature oscillates around the warn threshold', () => {
    const oscillating = Array.from({ length: 60 }, (_, i) => reading(20 + i, i % 2 === 0 ? 4.8 : 5.2));
    const { events, state } = run([...series(0, 20, 6), ...oscillating]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15']);
    expect(state.high.phase).to.equal('open');
  });

  it('resolves after the clear hold inside the clear threshold, with the peak', () => {
    const { events, state } = run([...series(0, 20, 6.5), ...series(20, 31, 3.5)]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15', 'excursion_resolved@30']);
    expect(events[1]).to.include({ id: `s1:high:${T0}:resolved`, severity: 'info', peakC: 6.5, thresholdC: 4 });
    expect(state.high).to.include({ phase: 'normal', excursionId: null });
  });

  it('restarts the clear hold when a reading leaves the clear threshold', () => {
    const { events } = run([...series(0, 20, 6), ...series(20, 25, 3.5), reading(25, 4.5), ...series(26, 36, 3.5)]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15']);
    const more = run([...series(0, 20, 6), ...series(20, 25, 3.5), reading(25, 4.5), ...series(26, 37, 3.5)]);
    expect(summary(more.events)).to.deep.equal(['excursion_opened@15', 'excursion_resolved@36']);
  });

  it('gives a later excursion a new id', () => {
    const { events } = run([...series(0, 20, 6), ...series(20, 40, 3), ...series(40, 56, 6)]);
    expect(events.map((e) => e.id)).to.deep.equal([
      `s1:high:${T0}:opened`,
      `s1:high:${T0}:resolved`,
      `s1:high:${T0 + min(40)}:opened`,
    ]);
  });
});
