// Rate of change, offline/online and hard limits.
import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import type { RuleProfile } from '../../../domain/coldchain/bands';
import { evaluateOffline, evaluateReading, initialRuleState } from '../../../domain/coldchain/rules';
import { T0, min, reading, runRules, series, summary } from './helpers';

// Chilled: rate limit 1 °C/min over ≥ 5 min; offline after 600 s; hard limits −5 / 12 °C.
const P: RuleProfile = DEFAULT_PROFILES.chilled;
const run = (readings: Parameters<typeof runRules>[0], profile = P) => runRules(readings, profile);

describe('coldchain/rules: rate of change', () => {
  const ramp = (fromMin: number, toMin: number, startC: number, perMin: number) =>
    Array.from({ length: toMin - fromMin }, (_, i) => reading(fromMin + i, startC + perMin * i));

  it('fires once when the temperature climbs faster than 1 °C/min over a 5-minute window', () => {
    const { events } = run([...series(0, 10, 3), ...ramp(10, 16, 3, 1.5), ...series(16, 30, 3)]);
    const roc = events.filter((e) => e.type === 'rate_of_change');
    expect(summary(roc)).to.deep.equal(['rate_of_change@15']);
    expect(roc[0]).to.include({
      id: `s1:rate_of_change:${T0 + min(10)}:exceeded`,
      startTs: T0 + min(10),
      severity: 'warning',
    });
  });

  it('fires once per episode, also for falling temperatures', () => {
    const { events } = run([...series(0, 10, 3), ...ramp(10, 20, 3, -1.5)].filter((r) => r.tempC > -5));
    expect(summary(events.filter((e) => e.type === 'rate_of_change'))).to.deep.equal(['rate_of_change@15']);
  });

  it('ignores a slow drift and minute-to-minute noise (the window smooths it)', () => {
    expect(run(ramp(0, 30, 0, 0.5)).events.filter((e) => e.type === 'rate_of_change')).to.deep.equal([]);
    // ±0.75 °C jumps every minute would be 1.5 °C/min reading to reading.
    const noisy = Array.from({ length: 30 }, (_, i) => reading(i, i % 2 === 0 ? 2.5 : 3.25));
    expect(run(noisy).events).to.deep.equal([]);
  });

  it('is silent while the door is open', () => {
    const { events } = run([...series(0, 10, 3), ...ramp(10, 16, 3, 1.5).map((r) => ({ ...r, doorOpen: true }))]);
    expect(events.filter((e) => e.type === 'rate_of_change')).to.deep.equal([]);
  });
});

describe('coldchain/rules: offline / online', () => {
  it('goes offline after 600 s without a reading, once, with a deterministic ts', () => {
    const s0 = runRules([reading(0, 3)], P).state;
    expect(evaluateOffline(s0, T0 + 599_999, P).events).to.deep.equal([]);
    const off = evaluateOffline(s0, T0 + min(12), P);
    expect(off.events).to.have.length(1);
    expect(off.events[0]).to.include({
      type: 'sensor_offline',
      id: `s1:offline:${T0}:offline`,
      ts: T0 + 600_000,
      severity: 'warning',
    });
    expect(evaluateOffline(off.state, T0 + min(30), P).events).to.deep.equal([]);
    const back = evaluateReading(off.state, reading(31, 3), P);
    expect(back.events.map((e) => [e.type, e.id])).to.deep.equal([['sensor_online', `s1:offline:${T0}:online`]]);
    expect(back.state.offline.active).to.equal(false);
  });

  it('detects an outage from the gap alone, with the same ids, if the timer never ran', () => {
    const { events } = run([reading(0, 3), reading(31, 3)]);
    expect(events.map((e) => e.id)).to.deep.equal([`s1:offline:${T0}:offline`, `s1:offline:${T0}:online`]);
  });

  it('takes a sensor that never reported offline, counted from when watching began', () => {
    const s = initialRuleState('s1', T0);
    expect(evaluateOffline(s, T0 + min(9), P).events).to.deep.equal([]);
    expect(evaluateOffline(s, T0 + min(10), P).events[0]?.type).to.equal('sensor_offline');
    expect(evaluateOffline(initialRuleState('s1'), T0 + min(1000), P).events).to.deep.equal([]);
  });
});

describe('coldchain/rules: hard limit', () => {
  it('breaches immediately on one reading above 12 °C, once per episode', () => {
    const { events } = run([reading(0, 3), reading(1, 12.5), reading(2, 14), reading(3, 3), reading(4, 13)]);
    const hard = events.filter((e) => e.type === 'hard_limit_breached');
    expect(hard.map((e) => e.id)).to.deep.equal([
      `s1:hard_high:${T0 + min(1)}:breached`,
      `s1:hard_high:${T0 + min(4)}:breached`,
    ]);
    expect(hard[0]).to.include({ severity: 'critical', thresholdC: 12, tempC: 12.5 });
  });

  it('breaches below the low hard limit too', () => {
    const hard = run([reading(0, -6)]).events;
    expect(hard.map((e) => [e.type, e.rule])).to.deep.equal([['hard_limit_breached', 'hard_low']]);
  });

  it('still reports a late (out-of-order) reading beyond the hard limit, without touching state', () => {
    const { state } = run(series(0, 10, 3));
    const late = evaluateReading(state, reading(5.5, 20), P);
    expect(late.ignored).to.equal('out_of_order');
    expect(late.state).to.equal(state);
    expect(late.events.map((e) => e.id)).to.deep.equal([`s1:hard_high:${T0 + min(5.5)}:breached`]);
  });
});
