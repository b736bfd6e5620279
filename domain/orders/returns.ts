// What happens to a line that comes back (door rejection, cancel after picking, return after delivery).
// Cold chain rule: a perishable that left the node is never restocked, whatever it looks
// like; it is written off as shrink. Ambient goods go back on the shelf only if sellable.
import type { Sku } from './types';

/** Condition of returned goods as checked by the courier or the node. */
export type ItemCondition = 'sellable' | 'damaged' | 'unknown';

/** What the customer asked for instead of the goods. */
export type CustomerChoice = 'refund' | 'replacement';

/** One returned line. */
export interface ReturnLineInput {
  readonly sku: Pick<Sku, 'perishable' | 'unitPriceCents'>;
  readonly qty: number;
  readonly condition: ItemCondition;
  readonly customerChoice: CustomerChoice;
}

/** Money and stock consequences of one returned line. */
export interface ReturnLineOutcome {
  /** Credited to the customer now; 0 when a replacement is sent instead. */
  readonly creditCents: number;
  readonly restock: boolean;
  readonly writeOff: boolean;
  /** A replacement is to be sent (if it cannot be, refund automatically: Instacart rule). */
  readonly replacement: boolean;
}

/** Decide credit, restock, write-off and replacement for one returned line. */
export function resolveReturnLine(input: ReturnLineInput): ReturnLineOutcome {
  if (!Number.isInteger(input.qty) || input.qty <= 0) throw new RangeError(`return quantity ${input.qty}`);
  // 'unknown' condition is not restocked: unchecked goods do not go back on a shelf.
  const restock = !input.sku.perishable && input.condition === 'sellable';
  const replacement = input.customerChoice === 'replacement';
  return {
    creditCents: replacement ? 0 : input.qty * input.sku.unitPriceCents,
    restock,
    writeOff: !restock,
    replacement,
  };
}

/**
 * Which lots `qty` returned units came from: a line picked from several lots gives back from its
 * last lots first (the freshest, picked last by FEFO), never more than each lot gave.
 */
export function takeFromLots(
  lots: readonly { lotId: string; qty: number }[],
  qty: number,
): { lotId: string; qty: number }[] {
  const out: { lotId: string; qty: number }[] = [];
  let left = qty;
  for (const lot of [...lots].reverse()) {
    if (left <= 0) break;
    const take = Math.min(lot.qty, left);
    if (take > 0) out.push({ lotId: lot.lotId, qty: take });
    left -= take;
  }
  return out;
}

/** Units of one lot. */
export interface LotUnits {
  readonly lotId: string;
  readonly qty: number;
}

/** A lot a line was picked from, as the pick record keeps it. */
export interface PickedLot {
  readonly lotId: string;
  readonly expiresOn: string;
  readonly picked: number;
}

/** One fulfilment's delivery of a line: the lots it was picked from, and the units refused at the door. */
export interface LineDelivery {
  readonly lots: readonly PickedLot[];
  readonly refused: number;
}

// Allocation order (FEFO: earliest expiry, then lot id, as the stock index sorts lots): the
// order the fulfilment's tote listed them in, so takeFromLots books here as it did there.
const fefo = (a: PickedLot, b: PickedLot) =>
  a.expiresOn < b.expiresOn ? -1 : a.expiresOn > b.expiresOn ? 1 : a.lotId < b.lotId ? -1 : a.lotId > b.lotId ? 1 : 0;

/**
 * What the customer still holds of a line, per lot, in allocation order: the units picked in
 * each delivered fulfilment, less what was refused at its door (booked by takeFromLots over its
 * lots, as the fulfilment booked it), less what came back in earlier returns.
 */
export function lotsHeldByCustomer(
  deliveries: readonly LineDelivery[],
  returnedBefore: readonly LotUnits[],
): LotUnits[] {
  // A Map, not an object: lot ids are outside text ('__proto__' included).
  const held = new Map<string, { lot: PickedLot; qty: number }>();
  for (const d of deliveries) {
    const lots = d.lots.filter((l) => l.picked > 0).sort(fefo);
    const refused = new Map(
      takeFromLots(
        lots.map((l) => ({ lotId: l.lotId, qty: l.picked })),
        d.refused,
      ).map((r) => [r.lotId, r.qty]),
    );
    for (const l of lots) {
      const entry = held.get(l.lotId) ?? { lot: l, qty: 0 };
      entry.qty += l.picked - (refused.get(l.lotId) ?? 0);
      held.set(l.lotId, entry);
    }
  }
  for (const r of returnedBefore) {
    const entry = held.get(r.lotId);
    if (entry) entry.qty = Math.max(0, entry.qty - r.qty);
  }
  return [...held.values()]
    .filter((e) => e.qty > 0)
    .sort((a, b) => fefo(a.lot, b.lot))
    .map((e) => ({ lotId: e.lot.lotId, qty: e.qty }));
}

/**
 * The lots a return of `qty` units is booked against: of what the customer holds, the freshest
 * lots first (the convention of takeFromLots). Throws when they hold fewer units.
 */
export function returnedFromLots(held: readonly LotUnits[], qty: number): LotUnits[] {
  const total = held.reduce((sum, l) => sum + l.qty, 0);
  if (!Number.isInteger(qty) || qty < 0 || qty > total)
    throw new RangeError(`cannot book a return of ${qty} units against lots with ${total} held`);
  return takeFromLots(held, qty);
}

// ---- Returns after delivery -----------------------------------------------------------------
// A customer comes back after the hand-over: sour milk the next morning, a torn bag of rice, the
// wrong brand, or rice they no longer want. Rules of Chinese grocery practice: fresh perishables
// are outside the seven-day "no reason" return (PRC Consumer Protection Law art. 25), so a
// perishable comes back only for a quality problem, damage or a wrong item, and only within a
// short freshness window; ambient goods come back within seven days for any reason.

/** Why the customer returns a line. */
export type ReturnReason = 'quality' | 'damaged' | 'wrong_item' | 'changed_mind';

/** How long after delivery a line may come back. */
export interface ReturnWindows {
  readonly perishableMs: number;
  readonly ambientMs: number;
}

export const DEFAULT_RETURN_WINDOWS: ReturnWindows = { perishableMs: 48 * 3_600_000, ambientMs: 7 * 86_400_000 };

/** A delivered line, as far as a return needs it. */
export interface ReturnableLine {
  readonly lineId: string;
  readonly sku: Pick<Sku, 'sku' | 'perishable' | 'unitPriceCents'>;
  /** Units the customer kept at the door. */
  readonly delivered: number;
  /** Units returned by earlier returns. */
  readonly returned: number;
  readonly deliveredAtMs: number;
}

/** One line of a customer's return request. */
export interface ReturnRequestLine {
  readonly lineId: string;
  readonly qty: number;
  readonly reason: ReturnReason;
  readonly condition: ItemCondition;
  readonly customerChoice: CustomerChoice;
}

/** A return line accepted, with its money and stock consequences. */
export interface SettledReturnLine extends ReturnLineOutcome {
  readonly lineId: string;
  readonly sku: string;
  readonly qty: number;
  readonly reason: ReturnReason;
}

export type ReturnDecision =
  | { readonly ok: true; readonly lines: readonly SettledReturnLine[]; readonly creditCents: number }
  | { readonly ok: false; readonly refusal: string };

// Up to two days reads in hours ("48 h"), longer in days ("7 days").
const spellWindow = (ms: number) =>
  ms > 2 * 86_400_000 && ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : `${Math.round(ms / 3_600_000)} h`;

/**
 * Decide a return after delivery: all lines or none. Refused when a line was not delivered,
 * asks for more than the customer still holds (delivered minus returned before), comes too
 * late for its kind of goods, or is a perishable returned without a quality problem.
 */
export function resolveCustomerReturn(
  delivered: readonly ReturnableLine[],
  request: readonly ReturnRequestLine[],
  requestedAtMs: number,
  windows: ReturnWindows = DEFAULT_RETURN_WINDOWS,
): ReturnDecision {
  if (request.length === 0) return { ok: false, refusal: 'a return names at least one line' };
  const byId = new Map(delivered.map((l) => [l.lineId, l]));
  const seen = new Set<string>();
  const lines: SettledReturnLine[] = [];
  for (const r of request) {
    const line = byId.get(r.lineId);
    if (!line) return { ok: false, refusal: `line ${r.lineId} was not delivered with this order` };
    if (seen.has(r.lineId)) return { ok: false, refusal: `line ${r.lineId} appears twice` };
    seen.add(r.lineId);
    const left = line.delivered - line.returned;
    if (!Number.isInteger(r.qty) || r.qty <= 0 || r.qty > left) {
      return {
        ok: false,
        refusal: `line ${r.lineId}: cannot return ${r.qty}; ${left} returnable (${line.delivered} delivered, ${line.returned} returned before)`,
      };
    }
    const window = line.sku.perishable ? windows.perishableMs : windows.ambientMs;
    if (requestedAtMs - line.deliveredAtMs > window) {
      return {
        ok: false,
        refusal: `line ${r.lineId}: ${line.sku.perishable ? 'perishable' : 'ambient'} goods can be returned within ${spellWindow(window)} of delivery`,
      };
    }
    if (line.sku.perishable && r.reason === 'changed_mind') {
      return {
        ok: false,
        refusal: `line ${r.lineId}: fresh goods are returned only for a quality problem, damage or a wrong item`,
      };
    }
    lines.push({
      lineId: r.lineId,
      sku: line.sku.sku,
      qty: r.qty,
      reason: r.reason,
      ...resolveReturnLine({ sku: line.sku, qty: r.qty, condition: r.condition, customerChoice: r.customerChoice }),
    });
  }
  return { ok: true, lines, creditCents: lines.reduce((sum, l) => sum + l.creditCents, 0) };
}
