// The decide step of rule evaluation (coldchain/ruleEventPlan.ts): what a batch of rule events
// does to alerts and webhooks, from the alerts loaded for the batch, without any service.
import { expect } from 'chai';
import fc from 'fast-check';
import type { AlertRecord } from '../../../db/alerts';
import { planRuleEvents } from '../../../coldchain/ruleEventPlan';
import type { RuleEventPlan, SensorContext, SensorRuleEvents } from '../../../coldchain/ruleEventPlan';
import { DEFAULT_ESCALATION } from '../../../coldchain/escalation';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { evaluateOffline, evaluateReading, initialRuleState } from '../../../domain/coldchain/rules';
import type { RuleEvent } from '../../../domain/coldchain/rules';
import { T0, min, reading } from './helpers';

const profile = DEFAULT_PROFILES.chilled;
const ctx: SensorContext = { sensorId: 's1', assetId: 'fridge-1', nodeId: 'fw-sh-01', profileId: 'chilled', profile };
const opts = {
  now: T0 + min(600),
  escalation: DEFAULT_ESCALATION,
  newAlertId: (sourceId: string) => `alert:${sourceId}`,
};

/** A step of a sensor's life: a reading after `dtMin` minutes, or `dtMin` minutes of silence then an offline check. */
type Step = { kind: 'reading'; dtMin: number; tempC: number } | { kind: 'silence'; dtMin: number };

/** Rule events of a sensor's life, from the real rule engine. */
function eventsOf(steps: readonly Step[], start = T0, c: SensorContext = ctx): RuleEvent[] {
  let state = initialRuleState(c.sensorId);
  let t = start;
  const events: RuleEvent[] = [];
  for (const s of steps) {
    t += min(s.dtMin);
    const step =
      s.kind === 'reading'
        ? evaluateReading(
            state,
            reading(0, s.tempC, { ts: t, sensorId: c.sensorId, assetId: c.assetId, nodeId: c.nodeId }),
            c.profile,
          )
        : evaluateOffline(state, t, c.profile);
    state = step.state;
    events.push(...step.events);
  }
  return events;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      kind: fc.constant('reading' as const),
      dtMin: fc.integer({ min: 1, max: 20 }),
      tempC: fc.double({ min: -30, max: 40, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('silence' as const), dtMin: fc.integer({ min: 5, max: 120 }) }),
  },
);
const lifeArb = fc.array(stepArb, { minLength: 1, maxLength: 120 });

/** The alerts a plan leaves, keyed by source id, on top of those loaded. */
function afterPlan(loaded: ReadonlyMap<string, AlertRecord>, plan: RuleEventPlan): Map<string, AlertRecord> {
  const next = new Map(loaded);
  for (const c of [...plan.created, ...plan.updated]) next.set(c.alert.sourceId, c.alert);
  return next;
}

const group = (events: readonly RuleEvent[]): SensorRuleEvents[] => [{ ctx, events }];

describe('coldchain/ruleEventPlan: decide', () => {
  const excursion = eventsOf([
    { kind: 'reading', dtMin: 1, tempC: 4 },
    ...Array.from({ length: 90 }, () => ({ kind: 'reading' as const, dtMin: 1, tempC: 9 })),
    ...Array.from({ length: 15 }, () => ({ kind: 'reading' as const, dtMin: 1, tempC: 4 })),
  ]);

  it('an excursion opened, escalated and resolved in one batch: one alert created in its final state, three webhooks in order', () => {
    const types = excursion.map((e) => e.type);
    expect(types).to.deep.equal(['excursion_opened', 'excursion_escalated', 'excursion_resolved']);
    const plan = planRuleEvents(group(excursion), new Map(), opts);
    expect(plan.created).to.have.length(1);
    expect(plan.updated).to.have.length(0);
    const created = plan.created[0]!;
    expect(created.alert.id).to.equal(`alert:${created.alert.sourceId}`);
    expect(created.alert.status).to.equal('resolved');
    expect(created.audit.map((a) => a.action)).to.deep.equal([
      'create',
      ...types.slice(1).map((t) => (t === 'excursion_escalated' ? 'escalate_severity' : 'auto_resolve')),
    ]);
    expect(plan.webhooks.map((w) => w.type)).to.deep.equal(
      types.map(
        (t) =>
          ({
            excursion_opened: 'alert.opened',
            excursion_escalated: 'alert.escalated',
            excursion_resolved: 'alert.resolved',
          })[t as 'excursion_opened'],
      ),
    );
    // Opening checks the lots at the asset and the goods in transit in it (a van); later events re-check lots.
    expect(plan.impactChecks.map((i) => i.kind)).to.deep.equal([
      'shelf_life',
      'in_transit',
      'shelf_life',
      'shelf_life',
    ]);
    // The opened webhook shows the alert as it was when opened, not its final state.
    expect(JSON.parse(plan.webhooks[0]!.body).data.alert.status).to.equal('open');
  });

  it('an alert that already exists is not opened again (re-processing publishes nothing)', () => {
    const first = planRuleEvents(group(excursion), new Map(), opts);
    const again = planRuleEvents(group(excursion.slice(0, 1)), afterPlan(new Map(), first), opts);
    expect(again).to.deep.equal({ created: [], updated: [], webhooks: [], impactChecks: [] });
  });

  it('escalation or resolution of an alert that was never opened changes nothing', () => {
    const later = excursion.filter((e) => e.type !== 'excursion_opened');
    expect(later).to.not.have.length(0);
    expect(planRuleEvents(group(later), new Map(), opts)).to.deep.equal({
      created: [],
      updated: [],
      webhooks: [],
      impactChecks: [],
    });
  });

  it('a sensor coming back online without an offline alert still publishes sensor.online, about no alert', () => {
    const events = eventsOf([
      { kind: 'reading', dtMin: 1, tempC: 4 },
      { kind: 'silence', dtMin: 60 },
      { kind: 'reading', dtMin: 1, tempC: 4 },
    ]);
    const online = events.filter((e) => e.type === 'sensor_online');
    expect(online).to.have.length(1);
    const plan = planRuleEvents(group(online), new Map(), opts);
    expect(plan.webhooks.map((w) => [w.type, w.alertId])).to.deep.equal([['sensor.online', null]]);
    expect(plan.created.concat(plan.updated)).to.deep.equal([]);
  });

  it('property: splitting a batch anywhere gives the same alerts, audit, webhooks and impact checks', () => {
    fc.assert(
      fc.property(lifeArb, fc.nat(), (steps, cut) => {
        const events = eventsOf(steps);
        const k = events.length === 0 ? 0 : cut % (events.length + 1);
        const whole = planRuleEvents(group(events), new Map(), opts);
        const a = planRuleEvents(group(events.slice(0, k)), new Map(), opts);
        const b = planRuleEvents(group(events.slice(k)), afterPlan(new Map(), a), opts);
        expect([...afterPlan(afterPlan(new Map(), a), b)].sort()).to.deep.equal(
          [...afterPlan(new Map(), whole)].sort(),
        );
        expect([...a.webhooks, ...b.webhooks]).to.deep.equal(whole.webhooks);
        const audit = (p: RuleEventPlan) =>
          [...p.created, ...p.updated].flatMap((c) => c.audit.map((e) => [c.alert.sourceId, e]));
        expect([...audit(a), ...audit(b)].sort()).to.deep.equal(audit(whole).sort());
        expect([...a.impactChecks, ...b.impactChecks].map((i) => [i.kind, i.alert.sourceId])).to.deep.equal(
          whole.impactChecks.map((i) => [i.kind, i.alert.sourceId]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('property: planning again what was planned opens nothing and publishes no opening event', () => {
    fc.assert(
      fc.property(lifeArb, (steps) => {
        const events = eventsOf(steps);
        const first = planRuleEvents(group(events), new Map(), opts);
        const again = planRuleEvents(group(events), afterPlan(new Map(), first), opts);
        expect(again.created).to.deep.equal([]);
        expect(again.webhooks.filter((w) => w.type === 'alert.opened' || w.type === 'sensor.offline')).to.deep.equal(
          [],
        );
      }),
      { numRuns: 150 },
    );
  });

  it('property: inputs are not mutated, webhook ids are unique, every change belongs to an event of the batch', () => {
    fc.assert(
      fc.property(lifeArb, (steps) => {
        const events = eventsOf(steps);
        const first = planRuleEvents(group(events.slice(0, Math.floor(events.length / 2))), new Map(), opts);
        const loaded = afterPlan(new Map(), first);
        const snapshot = JSON.stringify([[...loaded], events]);
        const plan = planRuleEvents(group(events), loaded, opts);
        expect(JSON.stringify([[...loaded], events])).to.equal(snapshot);
        expect(new Set(plan.webhooks.map((w) => w.id)).size).to.equal(plan.webhooks.length);
        const sources = new Set(events.map((e) => e.startTs));
        for (const c of [...plan.created, ...plan.updated]) expect(sources.has(c.alert.windowStart)).to.equal(true);
      }),
      { numRuns: 150 },
    );
  });

  it('property: hostile sensor, asset and node ids and details stay exact in webhook bodies (NUL, lone surrogates, __proto__)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1 }),
      fc.constantFrom('__proto__', 'constructor', 'a\u0000b', '\ud800', '\udfff\ud800', '💥'),
    );
    fc.assert(
      fc.property(hostile, hostile, hostile, (sensorId, assetId, nodeId) => {
        const c: SensorContext = { ...ctx, sensorId, assetId, nodeId };
        const events = eventsOf(
          [
            { kind: 'reading', dtMin: 1, tempC: 4 },
            ...Array.from({ length: 40 }, () => ({ kind: 'reading' as const, dtMin: 1, tempC: 30 })),
          ],
          T0,
          c,
        );
        const plan = planRuleEvents([{ ctx: c, events }], new Map(), opts);
        expect(plan.webhooks).to.not.have.length(0);
        for (const w of plan.webhooks) {
          const body = JSON.parse(w.body) as { data: { alert: { sensorId: string; assetId: string; nodeId: string } } };
          expect([body.data.alert.sensorId, body.data.alert.assetId, body.data.alert.nodeId]).to.deep.equal([
            sensorId,
            assetId,
            nodeId,
          ]);
          expect(Object.getPrototypeOf(body.data)).to.equal(Object.prototype);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('property: huge temperatures and far (still valid) dates plan without throwing', () => {
    const far = 8.64e15 - 400 * 86_400_000;
    fc.assert(
      fc.property(
        fc.constantFrom(T0, far, -far),
        fc.array(fc.double({ min: -1e308, max: 1e308, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (start, temps) => {
          const events = eventsOf(
            temps.map((tempC) => ({ kind: 'reading' as const, dtMin: 1, tempC })),
            start,
          );
          const plan = planRuleEvents(group(events), new Map(), { ...opts, now: start + min(60) });
          for (const w of plan.webhooks) expect(() => JSON.parse(w.body) as unknown).to.not.throw();
        },
      ),
      { numRuns: 100 },
    );
  });

  it("several sensors in one batch: each sensor's alerts are its own", () => {
    const c2: SensorContext = { ...ctx, sensorId: 's2', assetId: 'fridge-2' };
    const e2 = eventsOf(
      [
        { kind: 'reading', dtMin: 1, tempC: 4 },
        ...Array.from({ length: 90 }, () => ({ kind: 'reading' as const, dtMin: 1, tempC: 9 })),
      ],
      T0,
      c2,
    );
    const plan = planRuleEvents(
      [
        { ctx, events: excursion },
        { ctx: c2, events: e2 },
      ],
      new Map(),
      opts,
    );
    expect(plan.created.map((c) => [c.alert.sensorId, c.alert.assetId]).sort()).to.deep.equal([
      ['s1', 'fridge-1'],
      ['s2', 'fridge-2'],
    ]);
  });
});
