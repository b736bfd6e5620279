// Pick waves for one node. A wave is one picker's trip through one temperature zone for
// orders with nearby pick deadlines. Within a deadline group waves run ambient → chilled →
// frozen, so frozen goods leave the freezer last; across groups the least SLA slack goes
// first. Re-planning dissolves only unclaimed waves: a wave a picker has claimed is never
// touched, and the same inputs always give the same plan (ids derive from content).
import { compareBins, zoneRank } from './bins';
import type { PlacedFulfilment, ToteLine, Zone } from './types';

/** Wave sizing and time model. */
export interface WaveLimits {
  readonly maxOrdersPerWave: number;
  readonly maxLinesPerWave: number;
  /** Waves run in parallel up to this many pickers. */
  readonly pickersOnShift: number;
  /** Pick deadlines within the same bucket share waves; default 15 min. */
  readonly deadlineBucketMs?: number;
  /** Walk-and-pick time per pick task; default 20 s. */
  readonly secondsPerPick?: number;
  /** Fixed time per wave (pick list, trolley, totes); default 60 s. */
  readonly waveSetupSeconds?: number;
}

/** One stop on a pick path: a quantity of one lot for one order line. */
export interface PickTask {
  readonly orderId: string;
  readonly lineId: string;
  readonly sku: string;
  readonly zone: Zone;
  readonly lotId: string;
  readonly qty: number;
  readonly bin?: string;
}

/** A planned or claimed wave. Times are epoch ms. */
export interface Wave {
  readonly waveId: string;
  readonly nodeId: string;
  readonly zone: Zone;
  readonly status: 'planned' | 'claimed';
  /** Earliest member pick deadline. */
  readonly deadlineMs: number;
  readonly orderIds: readonly string[];
  readonly lineCount: number;
  /** Pick path: zone sequence, then bin. */
  readonly tasks: readonly PickTask[];
  readonly estimatedPickMs: number;
  /** Priority key: deadline − now − estimated pick time. */
  readonly slackMs: number;
  /** Picker index (0-based) the schedule gives this wave. */
  readonly picker: number;
  readonly estimatedStartMs: number;
  readonly estimatedFinishMs: number;
  /** Finishes after its deadline on the current schedule. */
  readonly atRisk: boolean;
  /** One order's zone tote alone exceeds maxLinesPerWave; totes are never split. */
  readonly oversize: boolean;
}

/** Waves of one node in execution order, with the inputs needed to re-plan. */
export interface WavePlan {
  readonly nodeId: string;
  readonly plannedAt: number;
  readonly waves: readonly Wave[];
  readonly fulfilments: readonly PlacedFulfilment[];
  readonly cancelledOrderIds: readonly string[];
  /** Cancelled orders already in a claimed wave: their goods come back as returns. */
  readonly cancelledInClaimed: readonly string[];
}

/** Arrivals and cancellations since the last plan. */
export interface WaveChanges {
  readonly arrivals?: readonly PlacedFulfilment[];
  readonly cancellations?: readonly string[];
}

interface WorkItem {
  readonly orderId: string;
  readonly zone: Zone;
  readonly deadlineMs: number;
  readonly lines: readonly ToteLine[];
}

/** Pick-path comparator: zone sequence, then bin, then SKU, order and line for determinism. */
export function comparePickTasks(a: PickTask, b: PickTask): number {
  return (
    zoneRank(a.zone) - zoneRank(b.zone) ||
    compareBins(a.bin, b.bin) ||
    cmp(a.sku, b.sku) ||
    cmp(a.orderId, b.orderId) ||
    cmp(a.lineId, b.lineId) ||
    cmp(a.lotId, b.lotId)
  );
}

/** Plan waves for a node from scratch. */
export function planWaves(
  nodeId: string,
  fulfilments: readonly PlacedFulfilment[],
  now: number,
  limits: WaveLimits,
): WavePlan {
  return replanWaves(
    { nodeId, plannedAt: now, waves: [], fulfilments: [], cancelledOrderIds: [], cancelledInClaimed: [] },
    { arrivals: fulfilments },
    now,
    limits,
  );
}

/**
 * Re-plan after arrivals and cancellations. Claimed waves are kept as they are; everything
 * else is planned again. Idempotent: an arrival already known (same order) is ignored, a
 * repeated cancellation changes nothing, and a cancelled order never comes back.
 */
export function replanWaves(plan: WavePlan, changes: WaveChanges, now: number, limits: WaveLimits): WavePlan {
  checkLimits(limits);
  const cancelled = new Set([...plan.cancelledOrderIds, ...(changes.cancellations ?? [])]);
  const known = new Set(plan.fulfilments.map((f) => f.orderId));
  const fulfilments = [...plan.fulfilments];
  for (const f of changes.arrivals ?? []) {
    if (f.fulfilment.nodeId !== plan.nodeId || known.has(f.orderId)) continue;
    known.add(f.orderId);
    fulfilments.push(f);
  }
  const claimed = plan.waves.filter((w) => w.status === 'claimed');
  const inClaimed = new Set(claimed.flatMap((w) => w.orderIds.map((o) => `${o}\u0000${w.zone}`)));
  const live = fulfilments.filter((f) => !cancelled.has(f.orderId));
  const items: WorkItem[] = [];
  for (const f of live) {
    for (const tote of f.fulfilment.totes) {
      if (inClaimed.has(`${f.orderId}\u0000${tote.zone}`) || tote.lines.length === 0) continue;
      items.push({ orderId: f.orderId, zone: tote.zone, deadlineMs: f.fulfilment.pickDeadlineMs, lines: tote.lines });
    }
  }
  const bucketMs = limits.deadlineBucketMs ?? 15 * 60_000;
  const sequenced = sequence(buildWaves(plan.nodeId, items, now, limits, bucketMs));
  const waves = schedule(claimed, sequenced, now, limits.pickersOnShift);
  const cancelledInClaimed = [...new Set(claimed.flatMap((w) => w.orderIds.filter((o) => cancelled.has(o))))].sort();
  return {
    nodeId: plan.nodeId,
    plannedAt: now,
    waves,
    fulfilments: live,
    cancelledOrderIds: [...cancelled].sort(),
    cancelledInClaimed,
  };
}

/** Mark a wave as claimed by a picker; claiming twice is a no-op. */
export function claimWave(plan: WavePlan, waveId: string): WavePlan {
  if (!plan.waves.some((w) => w.waveId === waveId && w.status === 'planned')) return plan;
  return { ...plan, waves: plan.waves.map((w) => (w.waveId === waveId ? { ...w, status: 'claimed' as const } : w)) };
}

function checkLimits(l: WaveLimits): void {
  for (const [name, v] of [
    ['maxOrdersPerWave', l.maxOrdersPerWave],
    ['maxLinesPerWave', l.maxLinesPerWave],
    ['pickersOnShift', l.pickersOnShift],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
}

type Draft = Omit<Wave, 'picker' | 'estimatedStartMs' | 'estimatedFinishMs' | 'atRisk'> & { readonly bucket: number };

function buildWaves(
  nodeId: string,
  items: readonly WorkItem[],
  now: number,
  limits: WaveLimits,
  bucketMs: number,
): Draft[] {
  const groups = new Map<string, WorkItem[]>();
  for (const item of items) {
    const key = `${Math.floor(item.deadlineMs / bucketMs)}\u0000${item.zone}`;
    const list = groups.get(key) ?? [];
    list.push(item);
    groups.set(key, list);
  }
  const drafts: Draft[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.deadlineMs - b.deadlineMs || cmp(a.orderId, b.orderId));
    let members: WorkItem[] = [];
    let lines = 0;
    for (const item of list) {
      const fits = members.length < limits.maxOrdersPerWave && lines + item.lines.length <= limits.maxLinesPerWave;
      if (!fits && members.length > 0) {
        drafts.push(draft(nodeId, members, now, limits, bucketMs));
        members = [];
        lines = 0;
      }
      members.push(item);
      lines += item.lines.length;
    }
    if (members.length > 0) drafts.push(draft(nodeId, members, now, limits, bucketMs));
  }
  return drafts;
}

function draft(nodeId: string, members: readonly WorkItem[], now: number, limits: WaveLimits, bucketMs: number): Draft {
  const first = members[0] as WorkItem;
  const tasks: PickTask[] = [];
  for (const m of members) {
    for (const line of m.lines) {
      for (const lot of line.lots) {
        const task = {
          orderId: m.orderId,
          lineId: line.lineId,
          sku: line.sku,
          zone: m.zone,
          lotId: lot.lotId,
          qty: lot.qty,
        };
        tasks.push(lot.bin !== undefined ? { ...task, bin: lot.bin } : task);
      }
    }
  }
  tasks.sort(comparePickTasks);
  const lineCount = members.reduce((n, m) => n + m.lines.length, 0);
  const estimatedPickMs = ((limits.waveSetupSeconds ?? 60) + (limits.secondsPerPick ?? 20) * tasks.length) * 1000;
  const deadlineMs = Math.min(...members.map((m) => m.deadlineMs));
  const bucket = Math.floor(first.deadlineMs / bucketMs);
  return {
    waveId: `${nodeId}/${first.zone}/${bucket}/${first.orderId}`,
    nodeId,
    zone: first.zone,
    status: 'planned',
    deadlineMs,
    orderIds: members.map((m) => m.orderId),
    lineCount,
    tasks,
    estimatedPickMs,
    slackMs: deadlineMs - now - estimatedPickMs,
    oversize: members.length === 1 && lineCount > limits.maxLinesPerWave,
    bucket,
  };
}

// Deadline groups by their tightest slack; inside a group ambient, chilled, frozen.
function sequence(drafts: readonly Draft[]): Draft[] {
  const groupSlack = new Map<number, number>();
  for (const d of drafts) groupSlack.set(d.bucket, Math.min(groupSlack.get(d.bucket) ?? Infinity, d.slackMs));
  return [...drafts].sort(
    (a, b) =>
      (groupSlack.get(a.bucket) ?? 0) - (groupSlack.get(b.bucket) ?? 0) ||
      a.bucket - b.bucket ||
      zoneRank(a.zone) - zoneRank(b.zone) ||
      a.slackMs - b.slackMs ||
      cmp(a.waveId, b.waveId),
  );
}

// List scheduling: each wave goes to the picker free first (lowest index on ties). Claimed
// waves keep their picker and times; they only block that picker until they finish.
function schedule(claimed: readonly Wave[], drafts: readonly Draft[], now: number, pickers: number): Wave[] {
  const freeAt = new Array<number>(pickers).fill(now);
  for (const w of claimed)
    if (w.picker < pickers) freeAt[w.picker] = Math.max(freeAt[w.picker] ?? now, w.estimatedFinishMs);
  const out: Wave[] = [...claimed];
  for (const { bucket: _bucket, ...d } of drafts) {
    let picker = 0;
    for (let p = 1; p < pickers; p++) if ((freeAt[p] ?? now) < (freeAt[picker] ?? now)) picker = p;
    const estimatedStartMs = freeAt[picker] ?? now;
    const estimatedFinishMs = estimatedStartMs + d.estimatedPickMs;
    freeAt[picker] = estimatedFinishMs;
    out.push({ ...d, picker, estimatedStartMs, estimatedFinishMs, atRisk: estimatedFinishMs > d.deadlineMs });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
