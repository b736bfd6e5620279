// Slot identity and capacity lookup. Capacity is counted in orders per node per slot key.
import { HOUR_MS, MINUTE_MS } from './dates';
import type { Node, Slot } from './types';

/**
 * Capacity key of a slot. Scheduled slots are their window; instant orders each have their
 * own 30-minute window, so they share capacity per clock hour of the promise instead.
 */
export function slotKey(slot: Slot): string {
  return slot.kind === 'scheduled' ? `scheduled:${slot.start}-${slot.end}` : `instant:${Math.floor(slot.end / HOUR_MS)}`;
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
