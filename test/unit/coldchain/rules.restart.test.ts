// Persistence and idempotency: the state survives a JSON round trip (a database row) at any
// point, and duplicate or replayed readings never create new events.
import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { evaluateOffline, evaluateReading, initialRuleState } from '../../../domain/coldchain/rules';
import type { RuleEvent, SensorRuleState } from '../../../domain/coldchain/rules';
import type { Reading } from '../../../domain/coldchain/telemetry';
import { T0, reading, runRules, series, summary } from './helpers';

const P = DEFAULT_PROFILES.chilled;

// A busy day: door opening, a long warm spell that goes critical, a fast climb, a hard-limit
// spike, an outage, recovery, and a dip below the low threshold.
function scenario(): Reading[] {
  return [
    ...series(0, 20, 3),
    ...series(20, 22, 7, 1, { doorOpen: true }),
    ...series(22, 40, 6, 1, { doorOpen: false }),
    ...series(40, 80, 9.5),
    reading(80, 12.5),
    ...series(81, 100, 9.5),
    ...series(115, 140, 3.5),
    ...series(140, 180, -2.5), // a 6 °C drop within one 5-min window: rate of change
    ...series(180, 200, 1),
  ];
}

describe('coldchain/rules: restart and idempotency', () => {
  const straight = runRules(scenario(), P);

  it('the scenario exercises every reading-driven event type (sanity check for the tests below)', () => {
    expect(new Set(straight.events.map((e) => e.type))).to.deep.equal(
      new Set([
        'excursion_opened',
        'excursion_escalated',
        'excursion_resolved',
        'rate_of_change',
        'hard_limit_breached',
        'sensor_offline',
        'sensor_online',
      ]),
    );
  });

  it('gives the same events and final state when the state is JSON round-tripped mid-excursion', () => {
    const readings = scenario();
    const cut = readings.findIndex((r) => r.ts === T0 + 50 * 60_000); // excursion open, not yet critical
    const first = runRules(readings.slice(0, cut), P);
    expect(first.state.high.phase).to.equal('open');
    const restored = JSON.parse(JSON.stringify(first.state)) as SensorRuleState;
    expect(restored).to.deep.equal(first.state);
    const second = runRules(readings.slice(cut), P, restored);
    expect([...first.events, ...second.events]).to.deep.equal(straight.events);
    expect(second.state).to.deep.equal(straight.state);
  });

  it('gives the same events when restarted (JSON round trip) after every single reading', () => {
    let state = initialRuleState('s1');
    const events: RuleEvent[] = [];
    for (const r of scenario()) {
      const step = evaluateReading(JSON.parse(JSON.stringify(state)) as SensorRuleState, r, P);
      state = step.state;
      events.push(...step.events);
    }
    expect(events).to.deep.equal(straight.events);
  });

  it('ignores duplicate readings (QoS 1 redelivery): same events, no new ids', () => {
    const doubled = scenario().flatMap((r) => [r, { ...r }]);
    const { events } = runRules(doubled, P);
    expect(events).to.deep.equal(straight.events);
    expect(new Set(events.map((e) => e.id)).size).to.equal(events.length);
  });

  it('ignores a replayed earlier stretch of readings once newer ones were processed', () => {
    const readings = scenario();
    const mid = runRules(readings.slice(0, 60), P);
    const replay = runRules(readings.slice(10, 60), P, mid.state);
    expect(replay.events).to.deep.equal([]);
    expect(replay.state).to.deep.equal(mid.state);
  });

  it('re-processing from scratch reproduces identical ids (deterministic)', () => {
    expect(runRules(scenario(), P).events.map((e) => e.id)).to.deep.equal(straight.events.map((e) => e.id));
  });

  it('reports duplicates and out-of-order readings as ignored and leaves the input state untouched', () => {
    const { state } = runRules(series(0, 5, 3), P);
    const snapshot = JSON.parse(JSON.stringify(state)) as SensorRuleState;
    expect(evaluateReading(state, reading(4, 9), P).ignored).to.equal('duplicate');
    expect(evaluateReading(state, reading(2, 9), P).ignored).to.equal('out_of_order');
    expect(evaluateReading(state, { ...reading(9, 3), sensorId: 's2' }, P).ignored).to.equal('wrong_sensor');
    const next = evaluateReading(state, reading(5, 9), P);
    expect(next.ignored).to.equal(null);
    expect(state).to.deep.equal(snapshot); // evaluateReading did not mutate its input
    expect(evaluateOffline(state, T0 + 3_600_000, P).state).to.not.equal(state);
    expect(state).to.deep.equal(snapshot);
  });

  it('summarises the scenario as expected (guards the semantics the tests above rely on)', () => {
    expect(summary(straight.events)).to.deep.equal([
      // door 20–22, grace to 27 → count from 27 → opens at 42; above 8 °C since 40 → critical at 70
      'excursion_opened@42',
      'excursion_escalated@70',
      'hard_limit_breached@80',
      // last reading at 99 + 600 s → offline at 109; back at 115; ≤ 4 °C held 10 min → resolved at 125
      'sensor_offline@109',
      'sensor_online@115',
      'excursion_resolved@125',
      // 3.5 → −2.5 °C within one window; below −1 and −2 °C for 30 min → warning and critical; ≥ 0 °C held 10 min
      'rate_of_change@140',
      'excursion_opened@170',
      'excursion_escalated@170',
      'excursion_resolved@190',
    ]);
  });
});
