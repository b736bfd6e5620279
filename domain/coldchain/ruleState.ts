// Persistent state of the rule engine for one sensor, and the events it emits.
//
// The state is plain JSON (numbers, strings, booleans, null; never undefined, Map or Date) so
// it can sit in a database row and survive restarts: ThingsBoard's duration alarms reset on
// restart because their timers live in memory; ours live in this object.

/** Version of the state layout, for migrating persisted rows. */
export const RULE_STATE_VERSION = 1;

/** Which side of the band an excursion rule watches. */
export type Direction = 'high' | 'low';

/** Alert severity carried by rule events. */
export type EventSeverity = 'info' | 'warning' | 'critical';

/** Progress of one direction's excursion rule. */
export interface ExcursionState {
  /** normal: inside; pending: beyond warn, counting; open: alert raised. */
  phase: 'normal' | 'pending' | 'open';
  /** Start of the warn-duration count (and of the excursion's id). */
  pendingSince: number | null;
  /** Start of the critical-duration count. */
  criticalSince: number | null;
  excursionId: string | null;
  severity: 'warning' | 'critical' | null;
  openedAt: number | null;
  /** Start of the hold time inside the clear threshold. */
  clearingSince: number | null;
  /** Worst temperature seen since pending began. */
  peakC: number | null;
}

/** Everything the engine remembers about one sensor. */
export interface SensorRuleState {
  stateVersion: typeof RULE_STATE_VERSION;
  sensorId: string;
  /** Timestamp of the last reading that drove state transitions. */
  lastTs: number | null;
  lastTempC: number | null;
  /** When monitoring began: lets a sensor that never reports go offline. */
  watchSince: number | null;
  high: ExcursionState;
  low: ExcursionState;
  suppression: {
    doorOpenSince: number | null;
    doorClosedAt: number | null;
    defrostSince: number | null;
    defrostEndedAt: number | null;
  };
  /** Rate-of-change window: the reading the current window started at. */
  rateOfChange: { anchorTs: number | null; anchorC: number | null; active: boolean };
  /** Start ts of the current hard-limit breach per side, null when inside. */
  hardLimit: { highSince: number | null; lowSince: number | null };
  /** `refTs` is the last reading (or watchSince) before the silence; it names the episode. */
  offline: { active: boolean; refTs: number | null };
}

/** Kinds of events the rule engine emits. */
export type RuleEventType =
  | 'excursion_opened'
  | 'excursion_escalated'
  | 'excursion_resolved'
  | 'rate_of_change'
  | 'sensor_offline'
  | 'sensor_online'
  | 'hard_limit_breached';

/** Rule that produced an event; part of the event id. */
export type RuleName = Direction | 'hard_high' | 'hard_low' | 'rate_of_change' | 'offline';

/** An event; `id` is derived from (sensorId, rule, startTs) so re-processing yields the same id. */
export interface RuleEvent {
  id: string;
  type: RuleEventType;
  sensorId: string;
  rule: RuleName;
  severity: EventSeverity;
  /** When it happened in sensor time (reading ts, or last reading + offline timeout). */
  ts: number;
  /** Start of the episode the event belongs to. */
  startTs: number;
  excursionId: string | null;
  tempC: number | null;
  thresholdC: number | null;
  peakC: number | null;
  detail: string;
}

/** Output of one evaluation step. */
export interface RuleStepResult {
  state: SensorRuleState;
  events: RuleEvent[];
  /** Why a reading did not drive transitions, or null when it did. */
  ignored: 'duplicate' | 'out_of_order' | 'wrong_sensor' | 'invalid' | null;
}

/** Fresh excursion state (inside the band). */
export function normalExcursion(): ExcursionState {
  return {
    phase: 'normal',
    pendingSince: null,
    criticalSince: null,
    excursionId: null,
    severity: null,
    openedAt: null,
    clearingSince: null,
    peakC: null,
  };
}

/** Fresh state for a sensor; `watchSince` (epoch ms) lets a silent new sensor go offline. */
export function initialRuleState(sensorId: string, watchSince: number | null = null): SensorRuleState {
  return {
    stateVersion: RULE_STATE_VERSION,
    sensorId,
    lastTs: null,
    lastTempC: null,
    watchSince,
    high: normalExcursion(),
    low: normalExcursion(),
    suppression: { doorOpenSince: null, doorClosedAt: null, defrostSince: null, defrostEndedAt: null },
    rateOfChange: { anchorTs: null, anchorC: null, active: false },
    hardLimit: { highSince: null, lowSince: null },
    offline: { active: false, refTs: null },
  };
}

/** Id of an episode: sensor, rule and start ts (ids contain no ':', see ID_PATTERN). */
export function episodeId(sensorId: string, rule: RuleName, startTs: number): string {
  return `${sensorId}:${rule}:${startTs}`;
}

/** Deep copy through JSON: the state is JSON by contract, and this keeps inputs immutable. */
export function cloneState(state: SensorRuleState): SensorRuleState {
  return JSON.parse(JSON.stringify(state)) as SensorRuleState;
}
