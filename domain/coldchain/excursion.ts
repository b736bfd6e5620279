// One direction (high or low) of the threshold + duration excursion rule.
//
// normal → pending (beyond warn; not started while suppressed) → open/warning (beyond warn for
// warnDelay) → open/critical (beyond critical for criticalDelay) → resolved (inside the clear
// threshold for clearHold; then back to normal). The clear threshold sits inside the warn
// threshold, so readings oscillating around the warn threshold keep one excursion open
// instead of flapping.
import type { ThresholdRule } from './bands';
import { episodeId, normalExcursion } from './ruleState';
import type { Direction, ExcursionState, RuleEvent } from './ruleState';

/** One reading as the excursion rule sees it. */
export interface ExcursionInput {
  sensorId: string;
  ts: number;
  tempC: number;
  /** Door-open or defrost suppression is active at this reading. */
  suppressed: boolean;
}

/** Advances one direction's excursion state by one in-order reading. */
export function stepExcursion(
  prev: ExcursionState,
  input: ExcursionInput,
  rule: ThresholdRule,
  dir: Direction,
): { state: ExcursionState; events: RuleEvent[] } {
  const { ts, tempC } = input;
  const beyond = (threshold: number) => (dir === 'high' ? tempC > threshold : tempC < threshold);
  const worse = (a: number, b: number) => (dir === 'high' ? Math.max(a, b) : Math.min(a, b));
  const events: RuleEvent[] = [];
  let s: ExcursionState = { ...prev };

  if (s.phase === 'normal') {
    // Suppression defers the start of the count; it never hides an excursion already counting.
    if (!beyond(rule.warnC) || input.suppressed) return { state: s, events };
    s = { ...normalExcursion(), phase: 'pending', pendingSince: ts };
  }
  if (s.phase === 'pending' && !beyond(rule.warnC)) return { state: normalExcursion(), events };

  s.criticalSince = beyond(rule.criticalC) ? (s.criticalSince ?? ts) : null;
  s.peakC = s.peakC === null ? tempC : worse(s.peakC, tempC);
  const start = s.pendingSince ?? ts;
  const make = (
    type: RuleEvent['type'],
    suffix: string,
    severity: RuleEvent['severity'],
    thresholdC: number,
    detail: string,
  ): RuleEvent => ({
    id: `${episodeId(input.sensorId, dir, start)}:${suffix}`,
    type,
    sensorId: input.sensorId,
    rule: dir,
    severity,
    ts,
    startTs: start,
    excursionId: episodeId(input.sensorId, dir, start),
    tempC,
    thresholdC,
    peakC: s.peakC,
    detail,
  });
  const side = dir === 'high' ? 'above' : 'below';

  if (s.phase === 'pending' && ts - start >= rule.warnDelaySec * 1000) {
    s = {
      ...s,
      phase: 'open',
      severity: 'warning',
      excursionId: episodeId(input.sensorId, dir, start),
      openedAt: ts,
      clearingSince: null,
    };
    events.push(
      make(
        'excursion_opened',
        'opened',
        'warning',
        rule.warnC,
        `${side} ${rule.warnC} °C for ≥ ${rule.warnDelaySec} s`,
      ),
    );
  }
  if (s.phase !== 'open') return { state: s, events };

  if (s.severity === 'warning' && s.criticalSince !== null && ts - s.criticalSince >= rule.criticalDelaySec * 1000) {
    s.severity = 'critical';
    events.push(
      make(
        'excursion_escalated',
        'escalated',
        'critical',
        rule.criticalC,
        `${side} ${rule.criticalC} °C for ≥ ${rule.criticalDelaySec} s`,
      ),
    );
  }
  const insideClear = dir === 'high' ? tempC <= rule.clearC : tempC >= rule.clearC;
  if (!insideClear) {
    s.clearingSince = null;
    return { state: s, events };
  }
  s.clearingSince = s.clearingSince ?? ts;
  if (ts - s.clearingSince >= rule.clearHoldSec * 1000) {
    events.push(
      make(
        'excursion_resolved',
        'resolved',
        'info',
        rule.clearC,
        `back within ${rule.clearC} °C for ≥ ${rule.clearHoldSec} s`,
      ),
    );
    return { state: normalExcursion(), events };
  }
  return { state: s, events };
}
