// Slot identity and capacity lookup. Capacity is counted in orders per node per slot key.
import { HOUR_MS } from './dates';
import type { Node, Slot } from './types';

/**
 * Capacity key of a slot. Scheduled slots are their window; instant orders each have their
 * own 30-minute window, so they share capacity per clock hour of the promise instead.
 */
export function slotKey(slot: Slot): string {
  return slot.kind === 'scheduled' ? `scheduled:${slot.start}-${slot.end}` : `instant:${Math.floor(slot.end / HOUR_MS)}`;
}

/** Max orders a node takes for a slot: exact key, then slot kind, then '*', else 0 (fail safe). */
export function slotCapacityFor(node: Node, slot: Slot, key: string = slotKey(slot)): number {
  const caps = node.slotCapacity;
  return caps[key] ?? caps[slot.kind] ?? caps['*'] ?? 0;
}
