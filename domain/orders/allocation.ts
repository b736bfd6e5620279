// Order allocation: which node(s) fulfil which lines, from which lots, in which totes.
// Policy (Shopify-style "minimise splits, then closest", plus the cold chain):
//   1. node gate: within service radius, can meet the slot, has slot capacity left;
//   2. line gate per node: has the zone's equipment, and enough stock in lots that keep the
//      SKU's minimum shelf life on the delivery date;
//   3. smallest set of nodes covering every coverable line (exact up to 3 nodes), ties by
//      best promise (latest ETA in the set), then distance, then node id;
//   4. FEFO lot picking, one tote per temperature zone per node.
// Lines of the same SKU are judged together, so two lines never double-count one lot, and a
// line is never split across nodes (one SKU, one pick location, one courier).
import { epochDayToIsoDate, HOUR_MS, localEpochDay, MINUTE_MS } from './dates';
import { haversineKm } from './geo';
import { type Bits, countBits, type CoverCandidate, emptyBits, hasBit, setBit, smallestCover } from './set-cover';
import { slotCapacityFor, slotKey } from './slots';
import { lotsOf, type NodeStock, slotUsed, type StockIndex } from './stock-index';
import {
  type Allocation,
  type CandidateReport,
  type Fulfilment,
  type LotPick,
  type Node,
  type Order,
  type Reason,
  type ReasonCode,
  type Sku,
  type Tote,
  type ToteLine,
  type UnfulfilledLine,
  type Zone,
  ZONE_SEQUENCE,
} from './types';

/** Knobs for `allocateOrder`; defaults suit Shanghai. */
export interface AllocationOptions {
  /** Fixed UTC offset that defines the local delivery date for shelf life; default 480 (UTC+8, no DST). */
  readonly utcOffsetMinutes?: number;
  /** Largest node set searched exactly before greedy takes over; default 3. */
  readonly exactCoverMaxNodes?: number;
}

interface SkuGroup {
  readonly sku: string;
  /** Dense id from the index: stock lookups are array reads. */
  readonly skuId: number;
  readonly info: Sku;
  readonly lineIdx: number[];
  qty: number;
  readonly minExpiryDay: number;
}

interface NodeEval {
  readonly node: Node;
  readonly stock: NodeStock | undefined;
  readonly distanceKm: number;
  readonly etaMs: number | null;
  readonly pickDeadlineMs: number;
  readonly nodeReason: Reason | null;
  /** Stock is only examined once a node passes the node gate, and lazily (see below). */
  linesChecked: boolean;
  covers: Bits;
  /** Per SKU group: why this node cannot serve it (undefined = it can). */
  groupReasons: (Reason | undefined)[];
}

const ZONE_EQUIPMENT: Readonly<Record<Zone, string>> = {
  ambient: 'ambient storage',
  chilled: 'chiller',
  frozen: 'freezer',
};

// When no node can serve a line, the reason closest to success is the one worth acting on.
const LINE_REASON_RANK: readonly ReasonCode[] = ['expiry_too_close', 'insufficient_stock', 'missing_zone_equipment'];

/** Allocate one order against the index at time `now` (epoch ms); pure and deterministic. */
export function allocateOrder(
  index: StockIndex,
  order: Order,
  now: number,
  options: AllocationOptions = {},
): Allocation {
  const offset = options.utcOffsetMinutes ?? 480;
  // Shelf life is judged on the promise date: the latest the goods can arrive, and the same
  // for every node, so a lot's eligibility does not depend on which node is asked.
  const deliveryDay = localEpochDay(order.slot.end, offset);
  const deliveryDate = epochDayToIsoDate(deliveryDay);
  const { groups, unknown } = groupLines(index, order, deliveryDay);

  const key = slotKey(order.slot);
  const evals = index.nodes.map((node, pos) => gateNode(index, index.stock[pos], order, node, now, key));
  // Stock checks are the costly part (scattered memory), so nodes are examined best-ranked
  // first and the scan stops at the first node that serves every line: no other single node
  // can beat it, since equal-size covers rank by exactly this order (ETA, distance, id).
  const passed = evals.filter((e) => e.nodeReason === null).sort(byPreference);
  for (const e of passed) {
    if (groups.length === 0) break;
    checkLines(e, groups, deliveryDate);
    if (countBits(e.covers) === groups.length) break;
  }
  const checked = passed.filter((e) => e.linesChecked);
  const eligible = checked.filter((e) => countBits(e.covers) > 0);
  const target = emptyBits(groups.length);
  for (const e of eligible) for (let w = 0; w < target.length; w++) target[w] = (target[w] ?? 0) | (e.covers[w] ?? 0);

  const cands: CoverCandidate[] = eligible.map((e) => ({
    id: e.node.id,
    covers: e.covers,
    etaMs: e.etaMs ?? 0,
    distanceKm: e.distanceKm,
  }));
  const exactMax = options.exactCoverMaxNodes ?? 3;
  const cover = smallestCover(cands, target, exactMax);
  const chosen = (cover?.members ?? []).map((m) => eligible[m] as NodeEval);
  // Preference order inside the chosen set: a SKU two chosen nodes both hold goes to the one
  // with the earlier promise. In a minimum cover every member keeps at least one SKU.
  chosen.sort(byPreference);
  const assignment = groups.map((_, g) => chosen.find((e) => hasBit(e.covers, g)));

  const fulfilments: Fulfilment[] = [];
  for (const e of chosen) {
    const mine = groups.filter((_, g) => assignment[g] === e);
    if (mine.length > 0) fulfilments.push(buildFulfilment(order, e, mine));
  }
  const used = new Set(fulfilments.map((f) => f.nodeId));
  const unfulfilled = [
    ...unknown,
    ...groups.flatMap((g, gi) => (assignment[gi] ? [] : unfulfilledFor(order, g, gi, checked))),
  ].sort((a, b) => lineOrder(order, a.lineId) - lineOrder(order, b.lineId));

  const firstFull = passed.find((e) => e.linesChecked && countBits(e.covers) === groups.length)?.node.id;
  const candidates: CandidateReport[] = evals.map((e) => report(e, groups, order, used.has(e.node.id), firstFull));
  const strategy =
    fulfilments.length === 0
      ? 'none'
      : fulfilments.length === 1
        ? 'single'
        : cover?.strategy === 'greedy'
          ? 'greedy_cover'
          : 'exact_cover';
  return {
    orderId: order.orderId,
    fulfilments,
    unfulfilled,
    explanation: {
      candidates,
      chosenNodeIds: fulfilments.map((f) => f.nodeId),
      strategy,
      summary: summarise(strategy, fulfilments, eligible.length, evals.length, unfulfilled.length, now, exactMax),
    },
  };
}

function groupLines(
  index: StockIndex,
  order: Order,
  deliveryDay: number,
): { groups: SkuGroup[]; unknown: UnfulfilledLine[] } {
  const groups: SkuGroup[] = [];
  const bySku = new Map<string, SkuGroup>();
  const unknown: UnfulfilledLine[] = [];
  order.lines.forEach((line, i) => {
    if (!Number.isInteger(line.qty) || line.qty <= 0)
      throw new RangeError(`order ${order.orderId} line ${line.lineId}: quantity ${line.qty}`);
    const info = index.skus.get(line.sku);
    const skuId = index.skuIds.get(line.sku);
    if (!info || skuId === undefined) {
      unknown.push({
        lineId: line.lineId,
        sku: line.sku,
        qty: line.qty,
        code: 'unknown_sku',
        text: `${line.sku} is not in the catalogue`,
        byNode: [],
      });
      return;
    }
    const g = bySku.get(line.sku);
    if (g) {
      g.lineIdx.push(i);
      g.qty += line.qty;
      return;
    }
    const group: SkuGroup = {
      sku: line.sku,
      skuId,
      info,
      lineIdx: [i],
      qty: line.qty,
      minExpiryDay: deliveryDay + info.minShelfLifeDays,
    };
    bySku.set(line.sku, group);
    groups.push(group);
  });
  return { groups, unknown };
}

const NO_COVER: Bits = emptyBits(0);

function byPreference(a: NodeEval, b: NodeEval): number {
  return (
    (a.etaMs ?? 0) - (b.etaMs ?? 0) ||
    a.distanceKm - b.distanceKm ||
    (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0)
  );
}

// Node gate: radius, slot, capacity. Allocation-lean on purpose: most nodes fail the radius
// test, and per-order garbage is what drives young-generation GC pauses into the tail.
function gateNode(
  index: StockIndex,
  stock: NodeStock | undefined,
  order: Order,
  node: Node,
  now: number,
  key: string,
): NodeEval {
  const distanceKm = haversineKm(node.location, order.location);
  if (distanceKm > node.serviceRadiusKm) {
    return nodeEval(node, stock, distanceKm, null, 0, {
      code: 'out_of_radius',
      text: `${distanceKm.toFixed(2)} km away; serves ${node.serviceRadiusKm} km`,
    });
  }
  const travelMs = (distanceKm / node.travelKmPerHour) * HOUR_MS;
  const packMs = node.packMinutes * MINUTE_MS;
  const earliest = now + node.pickMinutesPerOrder * MINUTE_MS + packMs + travelMs;
  const pickDeadlineMs = Math.floor(order.slot.end - travelMs - packMs);
  if (earliest > order.slot.end) {
    const text = `earliest arrival +${minutes(earliest - now)} min (pick ${node.pickMinutesPerOrder} + pack ${node.packMinutes} + travel ${minutes(travelMs)}) is after the promise at +${minutes(order.slot.end - now)} min`;
    return nodeEval(node, stock, distanceKm, Math.round(earliest), pickDeadlineMs, { code: 'cannot_meet_slot', text });
  }
  // A scheduled delivery waits for its window to open.
  const etaMs = Math.round(order.slot.kind === 'scheduled' ? Math.max(earliest, order.slot.start) : earliest);
  const capacity = slotCapacityFor(node, order.slot, key);
  const used = slotUsed(index, node.id, key);
  if (used >= capacity)
    return nodeEval(node, stock, distanceKm, etaMs, pickDeadlineMs, {
      code: 'capacity_full',
      text: `slot ${key} full: ${used}/${capacity} orders`,
    });
  return nodeEval(node, stock, distanceKm, etaMs, pickDeadlineMs, null);
}

// One literal shape for every NodeEval keeps property access monomorphic.
function nodeEval(
  node: Node,
  stock: NodeStock | undefined,
  distanceKm: number,
  etaMs: number | null,
  pickDeadlineMs: number,
  nodeReason: Reason | null,
): NodeEval {
  return {
    node,
    stock,
    distanceKm,
    etaMs,
    pickDeadlineMs,
    nodeReason,
    linesChecked: false,
    covers: NO_COVER,
    groupReasons: [],
  };
}

// Line gate for every SKU group at one node: fills `covers` and `groupReasons`.
function checkLines(e: NodeEval, groups: readonly SkuGroup[], deliveryDate: string): void {
  e.covers = emptyBits(groups.length);
  for (let gi = 0; gi < groups.length; gi++) {
    const reason = lineGate(e.stock, e.node, groups[gi] as SkuGroup, deliveryDate);
    e.groupReasons.push(reason);
    if (!reason) setBit(e.covers, gi);
  }
  e.linesChecked = true;
}

function lineGate(stock: NodeStock | undefined, node: Node, g: SkuGroup, deliveryDate: string): Reason | undefined {
  if (!node.zones.includes(g.info.zone)) {
    return {
      code: 'missing_zone_equipment',
      text: `${g.sku} is ${g.info.zone} and ${node.id} has no ${ZONE_EQUIPMENT[g.info.zone]}`,
    };
  }
  let total = 0;
  let fresh = 0;
  for (const lot of lotsOf(stock, g.skuId)) {
    total += lot.available;
    if (lot.expiryDay >= g.minExpiryDay) fresh += lot.available;
  }
  if (fresh >= g.qty) return undefined;
  if (total >= g.qty) {
    return {
      code: 'expiry_too_close',
      text: `${g.sku}: ${total} on hand but only ${fresh} keep ${g.info.minShelfLifeDays} days of shelf life at delivery on ${deliveryDate}; ${g.qty} needed`,
    };
  }
  return { code: 'insufficient_stock', text: `${g.sku}: ${total} available (${fresh} fresh enough), ${g.qty} needed` };
}

function buildFulfilment(order: Order, e: NodeEval, mine: readonly SkuGroup[]): Fulfilment {
  const byZone = new Map<Zone, ToteLine[]>();
  for (const g of mine) {
    const lots = lotsOf(e.stock, g.skuId);
    const taken = new Array<number>(lots.length).fill(0);
    for (const li of g.lineIdx) {
      const line = order.lines[li];
      if (!line) continue;
      let need = line.qty;
      const picks: LotPick[] = [];
      // FEFO: lots are sorted by expiry; skip the ones too close to expiry for this SKU.
      for (let k = 0; k < lots.length && need > 0; k++) {
        const lot = lots[k];
        if (!lot || lot.expiryDay < g.minExpiryDay) continue;
        const free = lot.available - (taken[k] ?? 0);
        if (free <= 0) continue;
        const qty = Math.min(need, free);
        taken[k] = (taken[k] ?? 0) + qty;
        need -= qty;
        picks.push(
          lot.bin !== undefined
            ? { lotId: lot.lotId, qty, expiresOn: lot.expiresOn, bin: lot.bin }
            : { lotId: lot.lotId, qty, expiresOn: lot.expiresOn },
        );
      }
      let lines = byZone.get(g.info.zone);
      if (!lines) byZone.set(g.info.zone, (lines = []));
      lines.push({ lineId: line.lineId, sku: line.sku, qty: line.qty, lots: picks });
    }
  }
  const totes: Tote[] = [];
  for (const zone of ZONE_SEQUENCE) {
    const lines = byZone.get(zone);
    if (lines)
      totes.push({ zone, lines: lines.sort((a, b) => lineOrder(order, a.lineId) - lineOrder(order, b.lineId)) });
  }
  return {
    nodeId: e.node.id,
    nodeKind: e.node.kind,
    totes,
    etaMs: e.etaMs ?? 0,
    pickDeadlineMs: e.pickDeadlineMs,
    distanceKm: round3(e.distanceKm),
  };
}

function unfulfilledFor(order: Order, g: SkuGroup, gi: number, checked: readonly NodeEval[]): UnfulfilledLine[] {
  const byNode = checked.flatMap((e) => {
    const r = e.groupReasons[gi];
    return r ? [{ nodeId: e.node.id, ...r }] : [];
  });
  const best = LINE_REASON_RANK.map((code) => byNode.find((r) => r.code === code)).find((r) => r !== undefined);
  const code: ReasonCode = best?.code ?? 'no_candidate';
  const text = best
    ? `${best.nodeId}: ${best.text}`
    : 'no node passed the radius, slot and capacity checks; see explanation.candidates';
  return g.lineIdx.map((li) => {
    const line = order.lines[li] as Order['lines'][number];
    return { lineId: line.lineId, sku: line.sku, qty: line.qty, code, text, byNode };
  });
}

function report(
  e: NodeEval,
  groups: readonly SkuGroup[],
  order: Order,
  chosen: boolean,
  firstFull: string | undefined,
): CandidateReport {
  const distanceKm = round3(e.distanceKm);
  if (e.nodeReason) {
    return {
      nodeId: e.node.id,
      nodeKind: e.node.kind,
      distanceKm,
      etaMs: e.etaMs,
      status: 'rejected',
      reasons: [e.nodeReason],
      coveredLineIds: [],
    };
  }
  if (!e.linesChecked) {
    const note = firstFull
      ? `stock not examined: ${firstFull} ranks higher and serves every line`
      : 'stock not examined: the order has no catalogue lines';
    return {
      nodeId: e.node.id,
      nodeKind: e.node.kind,
      distanceKm,
      etaMs: e.etaMs,
      status: 'skipped',
      reasons: [],
      coveredLineIds: [],
      note,
    };
  }
  const reasons: (Reason & { lineId: string })[] = [];
  const coveredLineIds: string[] = [];
  for (let gi = 0; gi < groups.length; gi++) {
    const r = e.groupReasons[gi];
    for (const li of (groups[gi] as SkuGroup).lineIdx) {
      const lineId = order.lines[li]?.lineId ?? '';
      if (r) reasons.push({ code: r.code, text: r.text, lineId });
      else coveredLineIds.push(lineId);
    }
  }
  const status = chosen ? 'chosen' : coveredLineIds.length > 0 ? 'eligible_not_chosen' : 'rejected';
  return { nodeId: e.node.id, nodeKind: e.node.kind, distanceKm, etaMs: e.etaMs, status, reasons, coveredLineIds };
}

function summarise(
  strategy: string,
  fulfilments: readonly Fulfilment[],
  eligible: number,
  considered: number,
  unfulfilled: number,
  now: number,
  exactMax: number,
): string {
  const head = `${considered} nodes considered, ${eligible} eligible`;
  const tail = unfulfilled > 0 ? `; ${unfulfilled} line(s) unfulfillable` : '';
  const nodes = fulfilments
    .map((f) => `${f.nodeId} (ETA +${minutes(f.etaMs - now)} min, ${f.distanceKm.toFixed(2)} km)`)
    .join(' + ');
  if (strategy === 'none') return `${head}; nothing allocatable${tail}`;
  if (strategy === 'single') return `${head}; one node serves every coverable line: ${nodes}${tail}`;
  const how =
    strategy === 'greedy_cover'
      ? `no set of ${exactMax} or fewer nodes covers the order; greedy cover`
      : 'no single node covers the order; smallest set';
  return `${head}; ${how}: ${nodes}${tail}`;
}

function lineOrder(order: Order, lineId: string): number {
  return order.lines.findIndex((l) => l.lineId === lineId);
}

function minutes(ms: number): string {
  return (ms / MINUTE_MS).toFixed(1);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
