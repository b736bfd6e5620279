// When a sensor's silence becomes an outage, as a wall-clock deadline the sweep can index.
import type { RuleProfile } from '../domain/coldchain/bands';
import { RULE_STATE_VERSION, initialRuleState } from '../domain/coldchain/ruleState';
import type { SensorRuleState } from '../domain/coldchain/ruleState';

/**
 * The time (epoch ms) at which `evaluateOffline` will declare the sensor offline if nothing
 * arrives: last reading (or watch start) + the profile's timeout. Null while already offline
 * or when there is nothing to count from.
 */
export function offlineDueAt(state: SensorRuleState, profile: Pick<RuleProfile, 'offlineTimeoutSec'>): number | null {
  if (state.offline.active) return null;
  const ref = state.lastTs ?? state.watchSince;
  return ref === null ? null : ref + profile.offlineTimeoutSec * 1000;
}

/**
 * Where a sensor's silence is counted from when it has never reported: its registration, or the
 * evaluator's start when that is later (nobody watched before; an outage is not blamed on the
 * time the evaluator was down). A state that has a reading or a watch start keeps it.
 */
export function watchNeverReported(
  state: SensorRuleState,
  registeredAt: number,
  evaluatorStartedAt: number,
): SensorRuleState {
  if (state.lastTs !== null || state.watchSince !== null) return state;
  return { ...state, watchSince: Math.max(registeredAt, evaluatorStartedAt) };
}

/**
 * A persisted state, or a fresh one when the row holds another layout version or another
 * sensor's state (a migration that has not been written yet must not crash the evaluator).
 */
export function restoreState(sensorId: string, stored: unknown): { state: SensorRuleState; reset: boolean } {
  const s = stored as Partial<SensorRuleState> | null;
  if (s && s.stateVersion === RULE_STATE_VERSION && s.sensorId === sensorId)
    return { state: s as SensorRuleState, reset: false };
  return { state: initialRuleState(sensorId, s?.watchSince ?? null), reset: true };
}
