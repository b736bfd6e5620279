// The picking state of one fulfilment as pure functions over plain data: FulfilmentWorkflow
// runs them (so they stay deterministic: no clock, no I/O), the picker API reads the same rules
// (pack blockers, task status), and unit tests drive them alone.
// Checks throw a PickRefusal whose message the picker's phone shows as it is.
//
// Task states (OpenBoxes): pending → picking → picked → staged; a line is pending →
// in_progress → picked, or short (its missing quantity re-allocated, substituted or refunded).
import { compareBins, zoneRank } from './bins';
import type { OrderState } from './lifecycle';
import type {
  PickLineView,
  PickShort,
  PickView,
  PickZoneView,
  ShortReason,
  SubstitutionPolicy,
  SubstitutionView,
} from './pick-contracts';
import type { Tote, Zone } from './types';

/** An action the current state does not allow; the message says why, for the picker. */
export class PickRefusal extends Error {
  override readonly name = 'PickRefusal';
}

function refuse(message: string): never {
  throw new PickRefusal(message);
}

/** The mutable part of a fulfilment's picking, as plain data. */
export interface PickState {
  readonly zones: readonly PickZoneView[];
  readonly lines: readonly PickLineView[];
  readonly staging: PickView['staging'];
}

/** The picker's task status derived from the fulfilment state and its lines. */
export type PickStatus = 'pending' | 'picking' | 'picked' | 'staged' | 'handed_over' | 'closed';

const ZONE_LETTER: Record<Zone, string> = { ambient: 'A', chilled: 'C', frozen: 'F' };

/** Printed on a zone's tote: the fulfilment without the `order-` prefix, and the zone letter. */
export function toteLabel(fulfilmentId: string, zone: Zone): string {
  return `${fulfilmentId.replace(/^order-/, '')}-${ZONE_LETTER[zone]}`;
}

/** Id of a new order line made from a line's missing quantity: `l1-r2` (re-allocated from f2), `l1-s2` (substitute). */
export function derivedLineId(lineId: string, fulfilmentId: string, kind: 'r' | 's'): string {
  return `${lineId}-${kind}${/-f(\d+)$/.exec(fulfilmentId)?.[1] ?? ''}`;
}

/** Picking state of a freshly allocated fulfilment: every line pending, nobody's zones. */
export function initialPickState(fulfilmentId: string, totes: readonly Tote[]): PickState {
  const zones = [...totes]
    .sort((a, b) => zoneRank(a.zone) - zoneRank(b.zone))
    .map((t) => ({ zone: t.zone, toteLabel: toteLabel(fulfilmentId, t.zone), pickerId: null, waveId: null }));
  const lines: PickLineView[] = totes.flatMap((t) =>
    t.lines.map((l) => ({
      lineId: l.lineId,
      sku: l.sku,
      zone: t.zone,
      toteLabel: toteLabel(fulfilmentId, t.zone),
      qty: l.qty,
      picked: 0,
      status: 'pending' as const,
      skips: 0,
      short: null,
      lots: [...l.lots]
        .sort((a, b) => compareBins(a.bin, b.bin))
        .map((x) => ({ lotId: x.lotId, bin: x.bin ?? null, expiresOn: x.expiresOn, qty: x.qty, picked: 0 })),
    })),
  );
  return { zones, lines: pickPath(lines), staging: null };
}

function nextBin(l: PickLineView): string | undefined {
  return (l.lots.find((x) => x.picked < x.qty) ?? l.lots[0])?.bin ?? undefined;
}

/** Pick-path order: zone sequence, skipped lines after the others, then bin, then line id. */
export function pickPath(lines: readonly PickLineView[]): PickLineView[] {
  return [...lines].sort(
    (a, b) =>
      zoneRank(a.zone) - zoneRank(b.zone) ||
      a.skips - b.skips ||
      compareBins(nextBin(a), nextBin(b)) ||
      (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0),
  );
}

/** Nothing more to do on the line: picked in full, or short with its missing quantity dealt with. */
export function isResolved(l: PickLineView): boolean {
  return l.status === 'picked' || (l.status === 'short' && l.short?.resolution !== 'substitution_pending');
}

/** Pickers holding at least one zone. */
export function pickersOf(s: PickState): string[] {
  return [...new Set(s.zones.flatMap((z) => (z.pickerId ? [z.pickerId] : [])))].sort();
}

/** The task status a picker sees. */
export function pickStatus(state: OrderState, s: PickState): PickStatus {
  switch (state) {
    case 'allocated':
      return 'pending';
    case 'picking':
      return s.lines.every(isResolved) ? 'picked' : 'picking';
    case 'packed':
      return 'staged';
    case 'dispatched':
    case 'delivered':
      return 'handed_over';
    default:
      return 'closed';
  }
}

/**
 * Check a claim of zones (all of the fulfilment's when `zones` is null); returns the zones it
 * newly gives the picker, empty when they are already theirs (a repeated claim is a no-op).
 */
export function checkClaim(s: PickState, state: OrderState, pickerId: string, zones: readonly Zone[] | null): Zone[] {
  if (!pickerId) refuse('pickerId is required');
  if (state !== 'allocated' && state !== 'picking') refuse(`cannot start picking a fulfilment that is ${state}`);
  const wanted = zones ?? s.zones.map((z) => z.zone);
  const present = s.zones.filter((z) => wanted.includes(z.zone));
  if (present.length === 0) refuse(`this fulfilment has no ${wanted.join(' or ') || 'such'} tote`);
  const taken = present.filter((z) => z.pickerId !== null && z.pickerId !== pickerId);
  if (taken.length)
    refuse(`the ${taken.map((z) => z.zone).join(' and ')} tote is already being picked by another picker`);
  return present.filter((z) => z.pickerId === null).map((z) => z.zone);
}

/** Give zones to a picker (after checkClaim). */
export function claimZones(s: PickState, pickerId: string, zones: readonly Zone[], waveId: string | null): PickState {
  return {
    ...s,
    zones: s.zones.map((z) => (zones.includes(z.zone) && z.pickerId === null ? { ...z, pickerId, waveId } : z)),
  };
}

/** The line a picker acts on, after checking the fulfilment is being picked and the line's zone is theirs. */
export function lineFor(
  s: PickState,
  state: OrderState,
  pickerId: string,
  lineId: string,
  action: string,
): PickLineView {
  if (state !== 'picking')
    refuse(`cannot ${action} a fulfilment that is ${state}${state === 'allocated' ? ': claim its wave first' : ''}`);
  const line = s.lines.find((l) => l.lineId === lineId);
  if (!line) refuse(`no line ${lineId} on this fulfilment`);
  const zone = s.zones.find((z) => z.zone === line.zone);
  if (zone?.pickerId !== pickerId)
    refuse(
      `line ${lineId} is in the ${line.zone} tote, which ${zone?.pickerId ? 'another picker holds' : 'nobody has claimed yet: claim its wave first'}`,
    );
  return line;
}

function openLine(s: PickState, state: OrderState, pickerId: string, lineId: string, action: string): PickLineView {
  const line = lineFor(s, state, pickerId, lineId, action);
  if (isResolved(line) || line.status === 'short')
    refuse(
      `line ${lineId} is already ${line.status === 'short' ? `short (${line.short?.resolution?.replace('_', ' ')})` : 'picked'}`,
    );
  return line;
}

function replaceLine(s: PickState, line: PickLineView): PickState {
  return { ...s, lines: pickPath(s.lines.map((l) => (l.lineId === line.lineId ? line : l))) };
}

/** Check that the picker may start (go to the bin of) a line. */
export function checkStart(s: PickState, state: OrderState, a: { pickerId: string; lineId: string }): PickLineView {
  return openLine(s, state, a.pickerId, a.lineId, 'start a line on');
}

/** The picker is at the line's bin. Starting a started line changes nothing. */
export function startLine(s: PickState, lineId: string): PickState {
  const line = s.lines.find((l) => l.lineId === lineId)!;
  return line.status === 'pending' ? replaceLine(s, { ...line, status: 'in_progress' }) : s;
}

/** Check a scan: the line's SKU, one of the lots allocated to it (FEFO), at most what is left of that lot. */
export function checkConfirm(
  s: PickState,
  state: OrderState,
  a: { pickerId: string; lineId: string; sku: string; lotId: string; qty: number },
): PickLineView {
  const line = openLine(s, state, a.pickerId, a.lineId, 'confirm a pick on');
  if (!Number.isInteger(a.qty) || a.qty < 1) refuse('qty must be a whole number of at least 1');
  if (a.sku !== line.sku) refuse(`scanned SKU ${a.sku}, but line ${line.lineId} is ${line.sku}`);
  const lot = line.lots.find((x) => x.lotId === a.lotId);
  const left = line.lots.filter((x) => x.picked < x.qty).map((x) => `${x.lotId}${x.bin ? ` at ${x.bin}` : ''}`);
  if (!lot) refuse(`lot ${a.lotId} is not on this pick: take ${left.join(' or ')}`);
  const remaining = lot.qty - lot.picked;
  if (a.qty > remaining)
    refuse(
      remaining === 0
        ? `lot ${a.lotId} is already picked in full for line ${line.lineId}`
        : `only ${remaining} more of lot ${a.lotId} to pick for line ${line.lineId}, not ${a.qty}`,
    );
  return line;
}

/** Record a confirmed scan (after checkConfirm). */
export function confirmPick(s: PickState, a: { lineId: string; lotId: string; qty: number }): PickState {
  const line = s.lines.find((l) => l.lineId === a.lineId)!;
  const lots = line.lots.map((x) => (x.lotId === a.lotId ? { ...x, picked: x.picked + a.qty } : x));
  const picked = line.picked + a.qty;
  return replaceLine(s, { ...line, lots, picked, status: picked >= line.qty ? 'picked' : 'in_progress' });
}

/** Check a short pick: the line is open and something is missing. */
export function checkShort(
  s: PickState,
  state: OrderState,
  a: { pickerId: string; lineId: string; reason: ShortReason },
): PickLineView {
  const line = openLine(s, state, a.pickerId, a.lineId, 'short-pick a line on');
  if (!['not_found', 'damaged', 'expired', 'quality'].includes(a.reason))
    refuse(`reason must be not_found, damaged, expired or quality, not ${a.reason}`);
  return line;
}

/** What a short leaves to do outside the state: the lots whose units are missing, and how many. */
export interface ShortEffect {
  state: PickState;
  missing: number;
  shortfalls: { lotId: string; qty: number }[];
}

function markShort(s: PickState, lineId: string, short: Omit<PickShort, 'missing'>): ShortEffect {
  const line = s.lines.find((l) => l.lineId === lineId)!;
  const missing = line.qty - line.picked;
  const shortfalls = line.lots.filter((x) => x.picked < x.qty).map((x) => ({ lotId: x.lotId, qty: x.qty - x.picked }));
  return { state: replaceLine(s, { ...line, status: 'short', short: { ...short, missing } }), missing, shortfalls };
}

/** Short a line: what was confirmed stays in the tote, the rest is re-allocated as a new line. */
export function shortLine(
  s: PickState,
  lineId: string,
  reason: ShortReason,
  fulfilmentId: string,
): ShortEffect & { reallocatedAs: string } {
  const reallocatedAs = derivedLineId(lineId, fulfilmentId, 'r');
  return {
    ...markShort(s, lineId, { reason, resolution: 'reallocated', reallocatedAs, substitution: null, creditCents: 0 }),
    reallocatedAs,
  };
}

/** Check a substitution proposal before the customer's policy is known. */
export function checkSubstitute(
  s: PickState,
  state: OrderState,
  a: { pickerId: string; lineId: string; reason: ShortReason; sku: string; qty: number },
): PickLineView {
  const line = checkShort(s, state, a);
  if (!a.sku) refuse('sku of the substitute is required');
  if (a.sku === line.sku)
    refuse(`a substitute must be another item: to have ${line.sku} found elsewhere, report a short pick`);
  if (!Number.isInteger(a.qty) || a.qty < 1 || a.qty > 999)
    refuse('qty of the substitute must be a whole number from 1 to 999');
  return line;
}

/**
 * Short a line and propose a substitute; the customer's policy decides at once (refund: refused;
 * specific: accepted when it is that item, else the proposal is refused as an action) or leaves
 * it pending for the customer until `decideByMs` (best match).
 */
export function proposeSubstitute(
  s: PickState,
  a: { lineId: string; reason: ShortReason; sku: string; qty: number },
  policy: { policy: SubstitutionPolicy; sku: string | null },
  fulfilmentId: string,
  decideByMs: number,
): ShortEffect & { status: 'pending' | 'accepted' | 'refused' } {
  if (policy.policy === 'specific' && policy.sku !== a.sku)
    refuse(
      `the customer accepts only ${policy.sku} as a substitute for line ${a.lineId}: propose that, or report a short pick`,
    );
  const status: SubstitutionView['status'] =
    policy.policy === 'refund' ? 'refused' : policy.policy === 'specific' ? 'accepted' : 'pending';
  const substitution: SubstitutionView = {
    sku: a.sku,
    qty: a.qty,
    policy: policy.policy,
    status,
    decidedBy: status === 'pending' ? null : 'policy',
    decideByMs: status === 'pending' ? decideByMs : null,
    newLineId: derivedLineId(a.lineId, fulfilmentId, 's'),
    creditCents: 0,
  };
  const resolution = status === 'pending' ? 'substitution_pending' : status === 'accepted' ? 'substituted' : 'refunded';
  return {
    ...markShort(s, a.lineId, { reason: a.reason, resolution, reallocatedAs: null, substitution, creditCents: 0 }),
    status,
  };
}

/** Check a customer decision: 'apply' when it decides a pending proposal, 'same' when it repeats the decision made. */
export function checkDecision(s: PickState, state: OrderState, lineId: string, accept: boolean): 'apply' | 'same' {
  const sub = s.lines.find((l) => l.lineId === lineId)?.short?.substitution;
  if (!sub) refuse(`no substitute was proposed for line ${lineId}`);
  if (sub.status !== 'pending') {
    if (sub.status === (accept ? 'accepted' : 'refused')) return 'same';
    refuse(
      `the substitute for line ${lineId} was already ${sub.status}${sub.decidedBy === 'policy' ? " by the customer's policy" : sub.decidedBy === 'timeout' ? ' (no answer in time)' : ''}`,
    );
  }
  if (state !== 'picking') refuse(`cannot decide a substitute on a fulfilment that is ${state}`);
  return 'apply';
}

/** Decide a pending proposal (after checkDecision said 'apply'). */
export function decideSubstitute(s: PickState, lineId: string, accept: boolean, by: 'customer' | 'timeout'): PickState {
  const line = s.lines.find((l) => l.lineId === lineId)!;
  const short = line.short!;
  const substitution = {
    ...short.substitution!,
    status: accept ? ('accepted' as const) : ('refused' as const),
    decidedBy: by,
    decideByMs: null,
  };
  return replaceLine(s, {
    ...line,
    short: { ...short, resolution: accept ? 'substituted' : 'refunded', substitution },
  });
}

/** Record the credit given for a line's missing quantity. */
export function withCredit(s: PickState, lineId: string, creditCents: number): PickState {
  const line = s.lines.find((l) => l.lineId === lineId)!;
  const short = line.short!;
  return replaceLine(s, {
    ...line,
    short: { ...short, creditCents, substitution: short.substitution ? { ...short.substitution, creditCents } : null },
  });
}

/** Check a skip. */
export function checkSkip(s: PickState, state: OrderState, a: { pickerId: string; lineId: string }): PickLineView {
  return openLine(s, state, a.pickerId, a.lineId, 'skip a line on');
}

/** Skip a line: it moves behind the other lines of its zone. */
export function skipLine(s: PickState, lineId: string): PickState {
  const line = s.lines.find((l) => l.lineId === lineId)!;
  return replaceLine(s, { ...line, skips: line.skips + 1 });
}

/** Why the fulfilment cannot be packed yet, or null. */
export function packBlocker(s: PickState): string | null {
  const open = s.lines.filter((l) => !isResolved(l));
  if (!open.length) return null;
  const waiting = open.filter((l) => l.short?.resolution === 'substitution_pending');
  const unpicked = open.filter((l) => !waiting.includes(l));
  const parts = [
    ...(unpicked.length
      ? [`${unpicked.length} line(s) not picked yet (${unpicked.map((l) => l.lineId).join(', ')})`]
      : []),
    ...(waiting.length
      ? [`waiting for the customer to decide the substitute for ${waiting.map((l) => l.lineId).join(', ')}`]
      : []),
  ];
  return parts.join('; ');
}

/** Tote labels that must be staged: zones with something picked. */
export function totesToStage(s: PickState): string[] {
  return s.zones.filter((z) => s.lines.some((l) => l.zone === z.zone && l.picked > 0)).map((z) => z.toteLabel);
}

/** Check staging: every line resolved, every tote with goods scanned, nothing foreign, a location. */
export function checkStage(
  s: PickState,
  state: OrderState,
  a: { pickerId: string; toteLabels: readonly string[]; location: string },
): void {
  if (state !== 'picking') refuse(`cannot stage a fulfilment that is ${state}`);
  if (!s.zones.some((z) => z.pickerId === a.pickerId))
    refuse('this fulfilment is not yours: stage only totes you picked');
  const blocker = packBlocker(s);
  if (blocker) refuse(`cannot stage: ${blocker}`);
  if (!a.location?.trim()) refuse('location (the staging bay) is required');
  const expected = totesToStage(s);
  const given = new Set(a.toteLabels);
  const missing = expected.filter((t) => !given.has(t));
  const foreign = [...given].filter((t) => !expected.includes(t));
  if (foreign.length)
    refuse(`tote ${foreign.join(', ')} is not part of this fulfilment (expected ${expected.join(', ')})`);
  if (missing.length) refuse(`scan every tote: ${missing.join(', ')} not scanned`);
}

/** Stage the totes (after checkStage). */
export function stage(s: PickState, toteLabels: readonly string[], location: string, at: number): PickState {
  return { ...s, staging: { location: location.trim(), toteLabels: [...new Set(toteLabels)].sort(), at } };
}

/** Remove lines (quarantined elsewhere: they are re-allocated as they are). */
export function removeLines(s: PickState, lineIds: ReadonlySet<string>): PickState {
  const lines = s.lines.filter((l) => !lineIds.has(l.lineId));
  return { ...s, lines, zones: s.zones.filter((z) => lines.some((l) => l.zone === z.zone)) };
}

/** Units of one lot. */
export interface LotQty {
  lotId: string;
  qty: number;
}

/** What a cold-chain quarantine does to the lines of a fulfilment not yet dispatched. */
export interface QuarantineEffect {
  /** Lines that touch a quarantined lot: they leave this fulfilment and are allocated again in full. */
  lines: { lineId: string; sku: string; qty: number }[];
  /** Units of quarantined lots already in a tote: out of their bin, quarantined goods themselves; written off. */
  writeOff: LotQty[];
  /** The rest of those lines' holds, back to promise: units still on the shelf, and units of sound lots put back. */
  release: LotQty[];
  /** Of `release`, the units of sound lots already in a tote: the picker puts them back on their shelf. */
  putBack: LotQty[];
}

function addTo(acc: Map<string, number>, lotId: string, qty: number): void {
  if (qty > 0) acc.set(lotId, (acc.get(lotId) ?? 0) + qty);
}
const byLot = (acc: Map<string, number>): LotQty[] =>
  [...acc].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([lotId, qty]) => ({ lotId, qty }));

/**
 * Split a quarantine's effect by what the pick record says, per line and lot: each line holding
 * a quarantined lot gives up exactly its share of every hold (tote lots are the holds left:
 * a short line's already released shortfall is not in them), so lines of other SKUs or of the
 * same lot's other orders keep theirs. `totes` as totesOf gives them.
 */
export function quarantineLines(
  totes: readonly Tote[],
  s: PickState,
  quarantined: ReadonlySet<string>,
): QuarantineEffect {
  const pickLines = new Map(s.lines.map((l) => [l.lineId, l]));
  const writeOff = new Map<string, number>();
  const release = new Map<string, number>();
  const putBack = new Map<string, number>();
  const lines: QuarantineEffect['lines'] = [];
  for (const l of totes.flatMap((t) => t.lines)) {
    if (!l.lots.some((x) => quarantined.has(x.lotId))) continue;
    lines.push({ lineId: l.lineId, sku: l.sku, qty: l.qty });
    const picked = new Map((pickLines.get(l.lineId)?.lots ?? []).map((x) => [x.lotId, x.picked]));
    for (const x of l.lots) {
      const inTote = Math.min(x.qty, picked.get(x.lotId) ?? 0);
      if (quarantined.has(x.lotId)) {
        addTo(writeOff, x.lotId, inTote);
        addTo(release, x.lotId, x.qty - inTote);
      } else {
        addTo(release, x.lotId, x.qty);
        addTo(putBack, x.lotId, inTote);
      }
    }
  }
  return { lines, writeOff: byLot(writeOff), release: byLot(release), putBack: byLot(putBack) };
}

/** Every line resolved and nothing picked: the fulfilment has nothing to deliver. */
export function nothingToDeliver(s: PickState): boolean {
  return s.lines.every(isResolved) && s.lines.every((l) => l.picked === 0);
}

/**
 * The totes as they will leave: the allocation, less what short picks did not find (a short
 * line keeps only what was confirmed, per lot) and less removed lines.
 */
export function totesOf(base: readonly Tote[], s: PickState): Tote[] {
  const byId = new Map(s.lines.map((l) => [l.lineId, l]));
  return base
    .map((t) => ({
      zone: t.zone,
      lines: t.lines.flatMap((l) => {
        const p = byId.get(l.lineId);
        if (!p) return [];
        if (p.status !== 'short') return [l];
        if (p.picked === 0) return [];
        const picked = new Map(p.lots.map((x) => [x.lotId, x.picked]));
        return [
          {
            ...l,
            qty: p.picked,
            lots: l.lots.flatMap((x) => ((picked.get(x.lotId) ?? 0) > 0 ? [{ ...x, qty: picked.get(x.lotId)! }] : [])),
          },
        ];
      }),
    }))
    .filter((t) => t.lines.length > 0);
}

/**
 * What identifies a picker request apart from its idempotency key: the action and its other
 * fields in key order. A key reused with another fingerprint is a different request, refused.
 */
export function actionFingerprint(action: string, args: object): string {
  return JSON.stringify([
    action,
    Object.entries(args)
      .filter(([k]) => k !== 'idempotencyKey')
      .sort(([x], [y]) => (x < y ? -1 : 1)),
  ]);
}
