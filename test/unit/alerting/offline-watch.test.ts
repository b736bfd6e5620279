// A sensor that never reported must still get an offline deadline: counted from its registration,
// or from the evaluator's start when that is later. A sensor that has reported (or already has a
// watch start) keeps what it has.
import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { evaluateOffline, evaluateReading, initialRuleState } from '../../../domain/coldchain/rules';
import { offlineDueAt, watchNeverReported } from '../../../coldchain/offline';

const profile = { ...DEFAULT_PROFILES.chilled, offlineTimeoutSec: 120 };
const instant = fc.integer({ min: 0, max: 4_102_444_800_000 }); // 1970 .. 2100

describe('alerting/offline: sensors that never reported', () => {
  it('are watched from the later of registration and evaluator start, and get a deadline one timeout after it', () => {
    fc.assert(
      fc.property(instant, instant, (registeredAt, startedAt) => {
        const state = watchNeverReported(initialRuleState('s1'), registeredAt, startedAt);
        const from = Math.max(registeredAt, startedAt);
        expect(state.watchSince).to.equal(from);
        expect(offlineDueAt(state, profile)).to.equal(from + 120_000);
        // The sweep at the deadline declares it offline, dated at the deadline.
        const step = evaluateOffline(state, from + 120_000, profile);
        expect(step.events.map((e) => [e.type, e.ts])).to.deep.equal([['sensor_offline', from + 120_000]]);
        expect(evaluateOffline(state, from + 119_999, profile).events).to.deep.equal([]);
      }),
    );
  });

  it('keep a watch start or a last reading they already have', () => {
    fc.assert(
      fc.property(instant, instant, instant, (since, registeredAt, startedAt) => {
        const watched = initialRuleState('s1', since);
        expect(watchNeverReported(watched, registeredAt, startedAt)).to.equal(watched);
        const reported = evaluateReading(
          initialRuleState('s1'),
          {
            sensorId: 's1',
            assetId: 'a',
            nodeId: 'n',
            ts: since,
            tempC: 3,
            humidityPct: null,
            doorOpen: null,
            batteryPct: null,
            defrost: null,
            seq: null,
          },
          profile,
        ).state;
        expect(watchNeverReported(reported, registeredAt, startedAt)).to.equal(reported);
      }),
    );
  });

  it('never had a deadline before (the defect): a fresh state alone gives none', () => {
    expect(offlineDueAt(initialRuleState('s1'), profile)).to.equal(null);
  });
});
