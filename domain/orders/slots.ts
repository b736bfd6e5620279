// Slot identity and capacity lookup. Capacity is counted in orders per node per slot key.
import { HOUR_MS, MINUTE_MS } from './dates';
import type { Node, Slot } from './types';

/**
 * Capacity key of a slot. Scheduled slots are their window; instant orders each have their
 * own 30-minute window, so they share capacity per clock hour of the promise instead.
 */
export function slotKey(slot: Slot): string {
  return slot.kind === 'scheduled'
    ? `scheduled:${slot.start}-${slot.end}`
    : `instant:${Math.floor(slot.end / HOUR_MS)}`;
}

/** An instant order's slot: the 30-minute promise of a front warehouse, from when it was placed. */
export function instantSlot(placedAt: number): Slot {
  return { kind: 'instant', start: placedAt, end: placedAt + 30 * MINUTE_MS };
}

/** Max orders a node takes for a slot: exact key, then slot kind, then '*', else 0 (fail safe). */
export function slotCapacityFor(node: Node, slot: Slot, key: string = slotKey(slot)): number {
  const caps = node.slotCapacity;
  return caps[key] ?? caps[slot.kind] ?? caps['*'] ?? 0;
}

/**
 * The window intake accepts dates in, relative to the server clock. A date outside it is a
 * client's mistake (or an attack) that would otherwise surface much later: a far-future SLA
 * deadline the workflow cannot even record, a promise that was broken before it was made.
 */
export const INTAKE_WINDOW = {
  /** `placedAt` may lag the server clock by this much (a storefront that queued the order). */
  placedAtLagMs: 15 * MINUTE_MS,
  /** ... and lead it by this much (clock skew). */
  placedAtLeadMs: 2 * MINUTE_MS,
  /** A scheduled slot may have opened this long ago (booking into the slot that is open now). */
  slotStartGraceMs: 5 * MINUTE_MS,
  /** The bookable horizon: a scheduled slot starts at most this far ahead. */
  horizonMs: 14 * 24 * HOUR_MS,
  /** The longest scheduled slot. */
  maxSlotMs: 12 * HOUR_MS,
} as const;

/** One reason intake refuses a date, with the body field it is about. */
export interface DateIssue {
  path: (string | number)[];
  message: string;
}

const minutes = (ms: number) => `${ms / MINUTE_MS} min`;

/**
 * Dates of an order body (epoch ms, already parsed) against the intake window at `now`. Pure:
 * the route passes the server clock. Empty when every date is acceptable.
 */
export function intakeDateIssues(
  o: { placedAt?: number; slot: { kind: 'instant' } | { kind: 'scheduled'; start: number; end: number } },
  now: number,
): DateIssue[] {
  const issues: DateIssue[] = [];
  const w = INTAKE_WINDOW;
  if (o.placedAt !== undefined) {
    if (!Number.isFinite(o.placedAt)) issues.push({ path: ['placedAt'], message: 'must be a real date' });
    else if (o.placedAt < now - w.placedAtLagMs)
      issues.push({
        path: ['placedAt'],
        message: `must be within ${minutes(w.placedAtLagMs)} before the server clock (omit it to use the server clock)`,
      });
    else if (o.placedAt > now + w.placedAtLeadMs)
      issues.push({
        path: ['placedAt'],
        message: `must not be more than ${minutes(w.placedAtLeadMs)} ahead of the server clock (omit it to use the server clock)`,
      });
  }
  if (o.slot.kind === 'scheduled') {
    const { start, end } = o.slot;
    if (!Number.isFinite(start)) issues.push({ path: ['slot', 'start'], message: 'must be a real date' });
    else if (start < now - w.slotStartGraceMs) issues.push({ path: ['slot', 'start'], message: 'is in the past' });
    else if (start > now + w.horizonMs)
      issues.push({
        path: ['slot', 'start'],
        message: `is beyond the bookable horizon of ${w.horizonMs / (24 * HOUR_MS)} days`,
      });
    if (!Number.isFinite(end)) issues.push({ path: ['slot', 'end'], message: 'must be a real date' });
    else if (Number.isFinite(start) && end <= start)
      issues.push({ path: ['slot', 'end'], message: 'must be after slot.start' });
    else if (Number.isFinite(start) && end - start > w.maxSlotMs)
      issues.push({ path: ['slot', 'end'], message: `makes a slot longer than ${w.maxSlotMs / HOUR_MS} h` });
  }
  return issues;
}
