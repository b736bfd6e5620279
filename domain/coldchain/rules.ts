// Rule engine: one reading (or a clock tick) in, new state and events out.
//
// Pure and deterministic: the same readings from the same state give the same state and the
// same event ids, so re-processing after a crash or a QoS 1 redelivery is harmless, and the
// state can be persisted between any two calls (it is plain JSON).
import type { RuleProfile } from './bands';
import { stepExcursion } from './excursion';
import { cloneState, episodeId } from './ruleState';
import type { RuleEvent, RuleStepResult, SensorRuleState } from './ruleState';
import type { Reading } from './telemetry';

export * from './ruleState';

/**
 * Evaluates one reading. Readings at or before the last processed ts do not change state
 * (duplicates from QoS 1, late gateway uploads); the one exception is a late reading beyond a
 * hard limit, which still emits `hard_limit_breached` because quarantine must not be missed.
 */
export function evaluateReading(state: SensorRuleState, reading: Reading, profile: RuleProfile): RuleStepResult {
  if (reading.sensorId !== state.sensorId) return { state, events: [], ignored: 'wrong_sensor' };
  if (!Number.isFinite(reading.ts) || !Number.isFinite(reading.tempC)) return { state, events: [], ignored: 'invalid' };
  if (state.lastTs !== null && reading.ts <= state.lastTs) {
    const ignored = reading.ts === state.lastTs ? 'duplicate' : 'out_of_order';
    return { state, events: ignored === 'out_of_order' ? lateHardLimitEvents(reading, profile) : [], ignored };
  }

  const s = cloneState(state);
  const events: RuleEvent[] = [];
  events.push(...gapEvents(s, reading.ts, profile));
  const suppressed = updateSuppression(s, reading, profile);
  events.push(...hardLimitEvents(s, reading, profile));
  for (const dir of ['high', 'low'] as const) {
    const rule = profile[dir];
    if (!rule) continue;
    const step = stepExcursion(
      s[dir],
      { sensorId: s.sensorId, ts: reading.ts, tempC: reading.tempC, suppressed },
      rule,
      dir,
    );
    s[dir] = step.state;
    events.push(...step.events);
  }
  events.push(...rateOfChangeEvents(s, reading, profile, suppressed));
  s.lastTs = reading.ts;
  s.lastTempC = reading.tempC;
  return { state: s, events, ignored: null };
}

/**
 * Checks for silence at `now` (call it on a timer). The offline event's ts is the last reading
 * plus the timeout, not `now`, so it does not depend on when the check happens to run.
 */
export function evaluateOffline(state: SensorRuleState, now: number, profile: RuleProfile): RuleStepResult {
  const ref = state.lastTs ?? state.watchSince;
  if (state.offline.active || ref === null || now - ref < profile.offlineTimeoutSec * 1000) {
    return { state, events: [], ignored: null };
  }
  const s = cloneState(state);
  s.offline = { active: true, refTs: ref };
  return { state: s, events: [offlineEvent(s, ref, profile)], ignored: null };
}

// A reading after silence brings the sensor back online. If the timer never declared it
// offline (the checker was down, or a gateway uploaded a backlog), the gap itself is proof
// enough: emit the offline event retroactively, with the same id the timer would have used.
function gapEvents(s: SensorRuleState, ts: number, profile: RuleProfile): RuleEvent[] {
  const ref = s.lastTs ?? s.watchSince;
  const events: RuleEvent[] = [];
  if (!s.offline.active && ref !== null && ts - ref >= profile.offlineTimeoutSec * 1000) {
    s.offline = { active: true, refTs: ref };
    events.push(offlineEvent(s, ref, profile));
  }
  if (s.offline.active && s.offline.refTs !== null) {
    const start = s.offline.refTs;
    events.push({
      id: `${episodeId(s.sensorId, 'offline', start)}:online`,
      type: 'sensor_online',
      sensorId: s.sensorId,
      rule: 'offline',
      severity: 'info',
      ts,
      startTs: start,
      excursionId: null,
      tempC: null,
      thresholdC: null,
      peakC: null,
      detail: `reporting again after ${Math.round((ts - start) / 1000)} s`,
    });
  }
  s.offline = { active: false, refTs: null };
  return events;
}

function offlineEvent(s: SensorRuleState, ref: number, profile: RuleProfile): RuleEvent {
  return {
    id: `${episodeId(s.sensorId, 'offline', ref)}:offline`,
    type: 'sensor_offline',
    sensorId: s.sensorId,
    rule: 'offline',
    severity: 'warning',
    ts: ref + profile.offlineTimeoutSec * 1000,
    startTs: ref,
    excursionId: null,
    tempC: null,
    thresholdC: null,
    peakC: null,
    detail: `no reading for ${profile.offlineTimeoutSec} s`,
  };
}

// Tracks door and defrost flags and answers whether this reading falls in a suppression window.
// A null flag means "not reported" and leaves the known state unchanged.
function updateSuppression(s: SensorRuleState, r: Reading, profile: RuleProfile): boolean {
  const sup = s.suppression;
  const cfg = profile.suppression;
  if (r.doorOpen === true && sup.doorOpenSince === null) sup.doorOpenSince = r.ts;
  if (r.doorOpen === false && sup.doorOpenSince !== null) {
    sup.doorOpenSince = null;
    sup.doorClosedAt = r.ts;
  }
  if (r.defrost === true && sup.defrostSince === null) sup.defrostSince = r.ts;
  if (r.defrost === false && sup.defrostSince !== null) {
    sup.defrostSince = null;
    sup.defrostEndedAt = r.ts;
  }
  const within = (since: number | null, ms: number) => since !== null && r.ts - since <= ms;
  const graceAfter = (at: number | null, ms: number) => at !== null && r.ts - at < ms;
  return (
    within(sup.doorOpenSince, cfg.maxDoorOpenSec * 1000) ||
    graceAfter(sup.doorClosedAt, cfg.doorGraceSec * 1000) ||
    within(sup.defrostSince, cfg.maxDefrostSec * 1000) ||
    graceAfter(sup.defrostEndedAt, cfg.defrostGraceSec * 1000)
  );
}

// Hard limits ignore durations and suppression: one reading beyond them quarantines stock.
// One event per breach episode; the episode ends at the first reading back inside.
function hardLimitEvents(s: SensorRuleState, r: Reading, profile: RuleProfile): RuleEvent[] {
  const events: RuleEvent[] = [];
  const { highC, lowC } = profile.hardLimit;
  const highBreach = highC !== null && r.tempC > highC;
  const lowBreach = lowC !== null && r.tempC < lowC;
  if (highBreach && s.hardLimit.highSince === null) events.push(hardEvent(r, 'hard_high', highC, ''));
  if (lowBreach && s.hardLimit.lowSince === null) events.push(hardEvent(r, 'hard_low', lowC, ''));
  s.hardLimit = {
    highSince: highBreach ? (s.hardLimit.highSince ?? r.ts) : null,
    lowSince: lowBreach ? (s.hardLimit.lowSince ?? r.ts) : null,
  };
  return events;
}

function lateHardLimitEvents(r: Reading, profile: RuleProfile): RuleEvent[] {
  const { highC, lowC } = profile.hardLimit;
  const events: RuleEvent[] = [];
  if (highC !== null && r.tempC > highC) events.push(hardEvent(r, 'hard_high', highC, ' (late reading)'));
  if (lowC !== null && r.tempC < lowC) events.push(hardEvent(r, 'hard_low', lowC, ' (late reading)'));
  return events;
}

function hardEvent(r: Reading, rule: 'hard_high' | 'hard_low', limit: number, note: string): RuleEvent {
  return {
    id: `${episodeId(r.sensorId, rule, r.ts)}:breached`,
    type: 'hard_limit_breached',
    sensorId: r.sensorId,
    rule,
    severity: 'critical',
    ts: r.ts,
    startTs: r.ts,
    excursionId: null,
    tempC: r.tempC,
    thresholdC: limit,
    peakC: r.tempC,
    detail: `${r.tempC} °C ${rule === 'hard_high' ? 'above' : 'below'} hard limit ${limit} °C${note}`,
  };
}

// Rate of change over a window of at least `windowSec`, so sensor noise between close readings
// is not mistaken for a slope. One event per episode of excess; not evaluated across an outage
// or while suppressed (an open door warms the air fast, which is expected).
function rateOfChangeEvents(s: SensorRuleState, r: Reading, profile: RuleProfile, suppressed: boolean): RuleEvent[] {
  const cfg = profile.rateOfChange;
  const roc = s.rateOfChange;
  if (!cfg) return [];
  if (roc.anchorTs === null || roc.anchorC === null || r.ts - roc.anchorTs > profile.offlineTimeoutSec * 1000) {
    s.rateOfChange = { anchorTs: r.ts, anchorC: r.tempC, active: false };
    return [];
  }
  const dtMs = r.ts - roc.anchorTs;
  if (dtMs < cfg.windowSec * 1000) return [];
  const ratePerMin = (r.tempC - roc.anchorC) / (dtMs / 60_000);
  const exceeded = !suppressed && Math.abs(ratePerMin) > cfg.maxCPerMin;
  const events: RuleEvent[] = [];
  if (exceeded && !roc.active) {
    const start = roc.anchorTs;
    events.push({
      id: `${episodeId(r.sensorId, 'rate_of_change', start)}:exceeded`,
      type: 'rate_of_change',
      sensorId: r.sensorId,
      rule: 'rate_of_change',
      severity: 'warning',
      ts: r.ts,
      startTs: start,
      excursionId: null,
      tempC: r.tempC,
      thresholdC: null,
      peakC: null,
      detail: `${ratePerMin.toFixed(2)} °C/min exceeds ±${cfg.maxCPerMin} °C/min`,
    });
  }
  s.rateOfChange = { anchorTs: r.ts, anchorC: r.tempC, active: exceeded };
  return events;
}
