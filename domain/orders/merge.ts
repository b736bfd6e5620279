// Delivery merging: orders for the same door, the same slot and the same node, allocated
// close together, ride in one delivery. The window is anchored on the first order of a
// delivery (not chained), so a steady trickle of orders cannot hold a courier forever.
import type { PlacedFulfilment, Slot } from './types';

/** Merge settings. */
export interface MergeOptions {
  /** Orders allocated at most this long after a delivery's first order join it. */
  readonly windowMs: number;
}

/** One courier trip to one door: member orders with their fulfilments from one node. */
export interface Delivery {
  /** Stable: node, address, slot and first order, so re-running gives the same id. */
  readonly deliveryId: string;
  readonly nodeId: string;
  readonly addressKey: string;
  readonly slotKey: string;
  readonly orderIds: readonly string[];
  readonly fulfilments: readonly PlacedFulfilment[];
  /** Earliest promise among members: the merged trip must keep the strictest one. */
  readonly promiseMs: number;
  /** Latest member ETA: the trip leaves when the last tote is packed. */
  readonly etaMs: number;
  readonly explanation: readonly string[];
}

/**
 * Key under which deliveries may merge. Scheduled orders must share the booked window;
 * every instant order has its own 30-minute window, so instant orders share one key and the
 * merge window decides.
 */
export function mergeSlotKey(slot: Slot): string {
  return slot.kind === 'scheduled' ? `scheduled:${slot.start}-${slot.end}` : 'instant';
}

/** Group placed fulfilments into deliveries; pure, order-independent, duplicates ignored. */
export function mergeDeliveries(items: readonly PlacedFulfilment[], options: MergeOptions): Delivery[] {
  if (!(options.windowMs >= 0)) throw new RangeError(`merge window must be ≥ 0, got ${options.windowMs}`);
  const groups = new Map<string, PlacedFulfilment[]>();
  const seen = new Set<string>();
  for (const item of items) {
    // The same order's fulfilment from the same node may be reported twice (retries).
    const id = `${item.orderId}\u0000${item.fulfilment.nodeId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const key = `${item.fulfilment.nodeId}\u0000${item.addressKey}\u0000${mergeSlotKey(item.slot)}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(item);
  }
  const deliveries: Delivery[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.allocatedAt - b.allocatedAt || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
    let current: PlacedFulfilment[] = [];
    let notes: string[] = [];
    const flush = (): void => {
      if (current.length > 0) deliveries.push(toDelivery(current, notes));
      current = [];
      notes = [];
    };
    for (const item of list) {
      const anchor = current[0];
      if (!anchor) {
        current.push(item);
        continue;
      }
      const gap = item.allocatedAt - anchor.allocatedAt;
      if (gap <= options.windowMs) {
        current.push(item);
        notes.push(
          `${item.orderId} joins ${anchor.orderId}: same address, slot and node ${item.fulfilment.nodeId}; allocated ${mins(gap)} min later, within the ${mins(options.windowMs)} min window`,
        );
      } else {
        const closing = `${item.orderId} not merged with ${anchor.orderId}: allocated ${mins(gap)} min later, outside the ${mins(options.windowMs)} min window`;
        notes.push(closing);
        flush();
        notes.push(closing);
        current.push(item);
      }
    }
    flush();
  }
  annotateOtherNodes(deliveries);
  return deliveries.sort((a, b) => (a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0));
}

function toDelivery(members: readonly PlacedFulfilment[], notes: string[]): Delivery {
  const first = members[0] as PlacedFulfilment;
  const slotKey = mergeSlotKey(first.slot);
  if (members.length === 1 && notes.length === 0)
    notes.push(`${first.orderId} ships alone: no other order for this address and slot at ${first.fulfilment.nodeId}`);
  return {
    deliveryId: `${first.fulfilment.nodeId}|${first.addressKey}|${slotKey}|${first.orderId}`,
    nodeId: first.fulfilment.nodeId,
    addressKey: first.addressKey,
    slotKey,
    orderIds: members.map((m) => m.orderId),
    fulfilments: members,
    promiseMs: Math.min(...members.map((m) => m.slot.end)),
    etaMs: Math.max(...members.map((m) => m.fulfilment.etaMs)),
    explanation: notes,
  };
}

// Same door and slot but another node: say so, because "why two couriers?" is the question.
function annotateOtherNodes(deliveries: Delivery[]): void {
  const byDoor = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const key = `${d.addressKey}\u0000${d.slotKey}`;
    const list = byDoor.get(key) ?? [];
    list.push(d);
    byDoor.set(key, list);
  }
  for (const list of byDoor.values()) {
    if (list.length < 2) continue;
    for (const d of list) {
      const others = list.filter((o) => o.nodeId !== d.nodeId).map((o) => o.nodeId);
      if (others.length > 0)
        (d.explanation as string[]).push(
          `same address and slot also served from ${[...new Set(others)].sort().join(', ')}: different node, separate delivery`,
        );
    }
  }
}

function mins(ms: number): string {
  return (ms / 60_000).toFixed(1);
}
