// Test helpers: a seeded PRNG (tests must be reproducible) and reading builders.
import type { RuleProfile } from '../../../domain/coldchain/bands';
import { evaluateReading, initialRuleState } from '../../../domain/coldchain/rules';
import type { RuleEvent, SensorRuleState } from '../../../domain/coldchain/rules';
import type { Reading } from '../../../domain/coldchain/telemetry';
import { mulberry32 } from '../../../demo/rng';

/** Deterministic PRNG (the domain's mulberry32): same seed, same sequence. */
export const seededRandom = mulberry32;

/** Fixed "now" for tests: 2025-06-01T12:00:00Z. */
export const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Minutes to ms. */
export const min = (n: number): number => n * 60_000;

/** A reading for sensor s1 at T0 + `minutes`, with overrides. */
export function reading(minutes: number, tempC: number, extra: Partial<Reading> = {}): Reading {
  return {
    sensorId: 's1',
    assetId: 'fridge-1',
    nodeId: 'fw-sh-01',
    ts: T0 + min(minutes),
    tempC,
    humidityPct: null,
    doorOpen: null,
    batteryPct: null,
    defrost: null,
    seq: null,
    ...extra,
  };
}

/** Readings every `stepMin` minutes from `fromMin` (inclusive) to `toMin` (exclusive) at a constant temperature. */
export function series(
  fromMin: number,
  toMin: number,
  tempC: number,
  stepMin = 1,
  extra: Partial<Reading> = {},
): Reading[] {
  const out: Reading[] = [];
  for (let m = fromMin; m < toMin; m += stepMin) out.push(reading(m, tempC, extra));
  return out;
}

/** Feeds readings in order through the rule engine; returns the final state and every event. */
export function runRules(
  readings: Reading[],
  profile: RuleProfile,
  state: SensorRuleState = initialRuleState('s1'),
): { state: SensorRuleState; events: RuleEvent[] } {
  const events: RuleEvent[] = [];
  for (const r of readings) {
    const step = evaluateReading(state, r, profile);
    state = step.state;
    events.push(...step.events);
  }
  return { state, events };
}

/** Events as "type@minute" for compact assertions. */
export function summary(events: RuleEvent[]): string[] {
  return events.map((e) => `${e.type}@${(e.ts - T0) / 60_000}`);
}
