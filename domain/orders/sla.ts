// SLA checkpoints on the promise window. The window opens when the order is placed, or when
// a scheduled slot opens if that is later: a next-day slot should not escalate overnight.
import type { Slot } from './types';

/** When to escalate (80% of the window used) and when the promise is breached. */
export interface SlaCheckpoints {
  readonly windowStartMs: number;
  readonly escalateAtMs: number;
  readonly breachAtMs: number;
}

/** Where an undelivered order stands against its promise. */
export type SlaStatus = 'on_track' | 'escalate' | 'breached';

/** Escalate at 80% of the promise window, breach at the promise (slot end). */
export function slaCheckpoints(slot: Slot, placedAt: number): SlaCheckpoints {
  const windowStartMs = Math.min(Math.max(placedAt, slot.start), slot.end);
  // Integer arithmetic: 4/5 of the window, floored, so checkpoints are whole milliseconds.
  const escalateAtMs = windowStartMs + Math.floor(((slot.end - windowStartMs) * 4) / 5);
  return { windowStartMs, escalateAtMs, breachAtMs: slot.end };
}

/** Status of an undelivered order at `now`; delivering exactly at the promise is on time. */
export function slaStatus(checkpoints: SlaCheckpoints, now: number): SlaStatus {
  if (now > checkpoints.breachAtMs) return 'breached';
  if (now >= checkpoints.escalateAtMs) return 'escalate';
  return 'on_track';
}

// Temporal stores a Datetime search attribute as RFC 3339, which has four-digit years: a later
// instant (a slot "ending" in year 10000) is refused with BAD_SEARCH_ATTRIBUTES, and the
// refusal fails every workflow task from then on. Intake refuses such dates; this clamp keeps
// a workflow that got one anyway (started before intake checked, or by another caller) running.
/** The latest instant a Datetime search attribute can hold: 9999-12-31T23:59:59.999Z. */
export const MAX_SEARCH_ATTRIBUTE_MS = 253_402_300_799_999;

/** An instant (epoch ms) as a Datetime search attribute will take it: clamped to years 1970..9999; undefined when not a number. */
export function searchAttributeInstant(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_SEARCH_ATTRIBUTE_MS);
}
