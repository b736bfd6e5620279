// The allocation read model: nodes, catalogue, lots per node and SKU sorted FEFO, and slot
// usage. It is an immutable value: reserve/release return a new index that shares every
// untouched part with the old one (copy-on-write), so a workflow can hold it as plain state.
// Layout, chosen for the allocation hot path: SKUs get dense integer ids once, and each
// node's stock is a two-level array (chunks of 64 SKU slots). A lookup is two array reads
// instead of a string-keyed map probe, and a reservation copies one 64-slot chunk per SKU.
import { isoDateToEpochDay } from './dates';
import { slotCapacityFor, slotKey } from './slots';
import type { Allocation, Node, Order, Sku, StockLot } from './types';

/** A lot as held in the index; `expiryDay` is the parsed `expiresOn` (epoch day). */
export interface IndexedLot {
  readonly lotId: string;
  readonly expiresOn: string;
  readonly expiryDay: number;
  readonly available: number;
  /** Quantity when indexed: a release never lifts `available` above it. */
  readonly onHand: number;
  readonly bin?: string;
}

/** 64 SKU slots of one node: lots sorted FEFO, or undefined when not stocked. */
export type StockChunk = readonly (readonly IndexedLot[] | undefined)[];

/** One node's stock: chunk `id >> 6`, slot `id & 63` for SKU id `id`. */
export type NodeStock = readonly StockChunk[];

/** Immutable allocation index; build once with `buildStockIndex`, then read and reserve. */
export interface StockIndex {
  /** Nodes sorted by id, so every scan is in a deterministic order. */
  readonly nodes: readonly Node[];
  /** Position of each node in `nodes` and `stock`. */
  readonly nodePos: ReadonlyMap<string, number>;
  readonly skus: ReadonlyMap<string, Sku>;
  /** Dense SKU ids: catalogue order, then SKUs seen only in lots. */
  readonly skuIds: ReadonlyMap<string, number>;
  /** Aligned with `nodes`. */
  readonly stock: readonly NodeStock[];
  /** nodeId → slot key → orders already taken. */
  readonly slotUsage: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Quantity held on one lot for one order. */
export interface LotReservation {
  readonly nodeId: string;
  readonly sku: string;
  readonly lotId: string;
  readonly qty: number;
}

/** Everything one order holds: lot quantities and one slot place per fulfilling node. */
export interface Reservation {
  readonly orderId: string;
  readonly slotKey: string;
  readonly nodeIds: readonly string[];
  readonly lots: readonly LotReservation[];
}

/** A reservation that could not be made, and why (nothing is applied in that case). */
export interface ReservationShortage {
  readonly nodeId: string;
  readonly sku?: string;
  readonly lotId?: string;
  readonly requested: number;
  readonly available: number;
  readonly reason: 'lot_short' | 'lot_unknown' | 'capacity_full' | 'bad_quantity';
}

/** Outcome of `reserve`: all-or-nothing. */
export type ReserveResult =
  | { readonly ok: true; readonly index: StockIndex; readonly reservation: Reservation }
  | { readonly ok: false; readonly index: StockIndex; readonly shortages: readonly ReservationShortage[] };

/** Outcome of `release`: what was actually given back (capped at on-hand). */
export interface ReleaseResult {
  readonly index: StockIndex;
  readonly released: readonly LotReservation[];
}

const CHUNK_BITS = 6;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const NO_LOTS: readonly IndexedLot[] = [];

function compareLots(a: IndexedLot, b: IndexedLot): number {
  if (a.expiryDay !== b.expiryDay) return a.expiryDay - b.expiryDay;
  return a.lotId < b.lotId ? -1 : a.lotId > b.lotId ? 1 : 0;
}

/** Build the index; throws on duplicate lots, negative or fractional stock, or unknown nodes. */
export function buildStockIndex(
  nodes: readonly Node[],
  skus: readonly Sku[],
  lots: readonly StockLot[],
  slotUsage: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
): StockIndex {
  const sortedNodes = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const nodePos = new Map<string, number>();
  sortedNodes.forEach((n, i) => {
    if (nodePos.has(n.id)) throw new Error(`duplicate node ${n.id}`);
    nodePos.set(n.id, i);
  });
  const skuIds = new Map<string, number>();
  for (const s of skus) if (!skuIds.has(s.sku)) skuIds.set(s.sku, skuIds.size);
  for (const lot of lots) if (!skuIds.has(lot.sku)) skuIds.set(lot.sku, skuIds.size);
  const chunkCount = Math.max(1, Math.ceil(skuIds.size / (CHUNK_MASK + 1)));
  const building: (IndexedLot[] | undefined)[][][] = sortedNodes.map(() =>
    Array.from({ length: chunkCount }, () => new Array<IndexedLot[] | undefined>(CHUNK_MASK + 1).fill(undefined)),
  );
  for (const lot of lots) {
    const pos = nodePos.get(lot.nodeId);
    if (pos === undefined) throw new Error(`lot ${lot.lotId} at unknown node ${lot.nodeId}`);
    if (!Number.isInteger(lot.available) || lot.available < 0)
      throw new Error(`lot ${lot.lotId}: bad quantity ${lot.available}`);
    const id = skuIds.get(lot.sku) as number;
    const chunk = building[pos]?.[id >> CHUNK_BITS] as (IndexedLot[] | undefined)[];
    let list = chunk[id & CHUNK_MASK];
    if (!list) chunk[id & CHUNK_MASK] = list = [];
    if (list.some((l) => l.lotId === lot.lotId))
      throw new Error(`duplicate lot ${lot.lotId} for ${lot.sku} at ${lot.nodeId}`);
    list.push({
      lotId: lot.lotId,
      expiresOn: lot.expiresOn,
      expiryDay: isoDateToEpochDay(lot.expiresOn),
      available: lot.available,
      onHand: lot.available,
      ...(lot.bin !== undefined ? { bin: lot.bin } : {}),
    });
  }
  for (const node of building) for (const chunk of node) for (const list of chunk) list?.sort(compareLots);
  return {
    nodes: sortedNodes,
    nodePos,
    skus: new Map(skus.map((s) => [s.sku, s])),
    skuIds,
    stock: building,
    slotUsage,
  };
}

/** Lots of a SKU at a node, earliest expiry first (empty when not stocked). */
export function lotsAt(index: StockIndex, nodeId: string, sku: string): readonly IndexedLot[] {
  const pos = index.nodePos.get(nodeId);
  const id = index.skuIds.get(sku);
  if (pos === undefined || id === undefined) return NO_LOTS;
  return lotsOf(index.stock[pos], id);
}

/** Hot-path lookup for callers holding a node's stock and the SKU id. */
export function lotsOf(stock: NodeStock | undefined, skuId: number): readonly IndexedLot[] {
  return stock?.[skuId >> CHUNK_BITS]?.[skuId & CHUNK_MASK] ?? NO_LOTS;
}

/** Orders already taken by a node for a slot key. */
export function slotUsed(index: StockIndex, nodeId: string, key: string): number {
  return index.slotUsage.get(nodeId)?.get(key) ?? 0;
}

/** Node by id, or undefined. */
export function nodeById(index: StockIndex, nodeId: string): Node | undefined {
  const pos = index.nodePos.get(nodeId);
  return pos === undefined ? undefined : index.nodes[pos];
}

/** Lot quantities an allocation asks for, one entry per lot (repeated SKUs summed). */
export function lotRequests(allocation: Allocation): LotReservation[] {
  const byKey = new Map<string, LotReservation>();
  for (const f of allocation.fulfilments) {
    for (const tote of f.totes) {
      for (const line of tote.lines) {
        for (const lot of line.lots) {
          const key = `${f.nodeId}\u0000${line.sku}\u0000${lot.lotId}`;
          const prev = byKey.get(key);
          byKey.set(key, { nodeId: f.nodeId, sku: line.sku, lotId: lot.lotId, qty: (prev?.qty ?? 0) + lot.qty });
        }
      }
    }
  }
  return [...byKey.values()];
}

/**
 * Hold stock and slot capacity for an allocation. All-or-nothing: if any lot is short or a
 * node's slot is full *now* (the allocation may be stale), nothing changes and the shortages
 * are returned. On success the new index has every reserved lot reduced, never below zero.
 */
export function reserve(
  index: StockIndex,
  order: Pick<Order, 'orderId' | 'slot'>,
  allocation: Allocation,
): ReserveResult {
  const key = slotKey(order.slot);
  const requests = lotRequests(allocation);
  const nodeIds = [...new Set(allocation.fulfilments.map((f) => f.nodeId))].sort();
  const shortages: ReservationShortage[] = [];
  for (const r of requests) {
    if (!Number.isInteger(r.qty) || r.qty <= 0) {
      shortages.push({
        nodeId: r.nodeId,
        sku: r.sku,
        lotId: r.lotId,
        requested: r.qty,
        available: 0,
        reason: 'bad_quantity',
      });
      continue;
    }
    const lot = lotsAt(index, r.nodeId, r.sku).find((l) => l.lotId === r.lotId);
    if (!lot)
      shortages.push({
        nodeId: r.nodeId,
        sku: r.sku,
        lotId: r.lotId,
        requested: r.qty,
        available: 0,
        reason: 'lot_unknown',
      });
    else if (lot.available < r.qty) {
      shortages.push({
        nodeId: r.nodeId,
        sku: r.sku,
        lotId: r.lotId,
        requested: r.qty,
        available: lot.available,
        reason: 'lot_short',
      });
    }
  }
  for (const nodeId of nodeIds) {
    const node = nodeById(index, nodeId);
    const capacity = node ? slotCapacityFor(node, order.slot) : 0;
    const used = slotUsed(index, nodeId, key);
    if (used >= capacity)
      shortages.push({ nodeId, requested: 1, available: Math.max(0, capacity - used), reason: 'capacity_full' });
  }
  if (shortages.length > 0) return { ok: false, index, shortages };
  const next = adjust(index, requests, -1, key, nodeIds, +1);
  return {
    ok: true,
    index: next.index,
    reservation: { orderId: order.orderId, slotKey: key, nodeIds, lots: next.applied },
  };
}

/**
 * Give a reservation back (order cancelled, short pick re-reserved elsewhere). Quantities are
 * capped so a lot never exceeds its on-hand figure and slot usage never drops below zero;
 * the caller still owns idempotency (release each reservation once, e.g. from workflow state).
 */
export function release(index: StockIndex, reservation: Reservation): ReleaseResult {
  const next = adjust(index, reservation.lots, +1, reservation.slotKey, reservation.nodeIds, -1);
  return { index: next.index, released: next.applied };
}

// Map copy without the [key, value] pair per entry that `new Map(map)` allocates.
function copyMap<K, V>(from: ReadonlyMap<K, V>): Map<K, V> {
  const to = new Map<K, V>();
  from.forEach((v, k) => to.set(k, v));
  return to;
}

// Copy-on-write update: only the touched nodes, chunks, SKU lists and lots are copied.
function adjust(
  index: StockIndex,
  changes: readonly LotReservation[],
  sign: 1 | -1,
  key: string,
  nodeIds: readonly string[],
  usageDelta: 1 | -1,
): { index: StockIndex; applied: LotReservation[] } {
  const stock = [...index.stock];
  const copiedNodes = new Set<number>();
  const copiedChunks = new Set<number>();
  const applied: LotReservation[] = [];
  for (const change of changes) {
    const pos = index.nodePos.get(change.nodeId);
    const id = index.skuIds.get(change.sku);
    if (pos === undefined || id === undefined) continue;
    const list = lotsOf(stock[pos], id);
    const at = list.findIndex((l) => l.lotId === change.lotId);
    const lot = list[at];
    if (!lot) continue; // releasing a lot that is gone: nothing to restore
    // Clamp: reserve never goes below zero, release never above on-hand.
    const delta = sign < 0 ? Math.min(change.qty, lot.available) : Math.min(change.qty, lot.onHand - lot.available);
    if (delta <= 0) continue;
    if (!copiedNodes.has(pos)) {
      stock[pos] = [...(stock[pos] as NodeStock)];
      copiedNodes.add(pos);
    }
    const nodeStock = stock[pos] as StockChunk[];
    const chunkNo = id >> CHUNK_BITS;
    const chunkKey = pos * 1_000_000 + chunkNo;
    if (!copiedChunks.has(chunkKey)) {
      nodeStock[chunkNo] = [...(nodeStock[chunkNo] as StockChunk)];
      copiedChunks.add(chunkKey);
    }
    const newList = [...list];
    newList[at] = { ...lot, available: lot.available + sign * delta };
    (nodeStock[chunkNo] as (readonly IndexedLot[] | undefined)[])[id & CHUNK_MASK] = newList;
    applied.push({ nodeId: change.nodeId, sku: change.sku, lotId: change.lotId, qty: delta });
  }
  const slotUsage = copyMap(index.slotUsage);
  for (const nodeId of nodeIds) {
    const perNode = copyMap(slotUsage.get(nodeId) ?? new Map<string, number>());
    perNode.set(key, Math.max(0, (perNode.get(key) ?? 0) + usageDelta));
    slotUsage.set(nodeId, perNode);
  }
  return { index: { ...index, stock, slotUsage }, applied };
}
