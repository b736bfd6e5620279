// Stock truth: a cycle count or POS sale is a fact and is always applied. When it takes a lot's
// on_hand below what orders hold, the missing units come out of those holds. Pure decisions
// here; db/stock.ts applies them and workflows/fulfilment.ts re-allocates what was cut.

/** Units of one lot an open order line still waits to pick (a candidate to lose units). */
export interface LotHold {
  fulfilmentId: string;
  orderId: string;
  allocationKey: string;
  lineId: string;
  /** 'allocated': nobody has started picking; 'picking': a picker is working it. */
  fulfilmentState: 'allocated' | 'picking';
  /** When the order was placed (ms): newer orders lose units first. */
  placedAtMs: number;
  /** Units of the lot still on the shelf for this line (held, not yet picked). */
  unpicked: number;
}

/** Units a line loses on one lot. */
export interface LotCut {
  fulfilmentId: string;
  orderId: string;
  allocationKey: string;
  lineId: string;
  qty: number;
}

/** The decision: who loses how many units, and what no hold could absorb. */
export interface ShortfallDecision {
  cuts: LotCut[];
  uncovered: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Take `shortBy` units out of the holds: fulfilments not yet being picked first, then newest
 * orders first (they have had the least time to plan around their goods), then by id so the
 * outcome never depends on the order rows were read in. Units already picked are never cut
 * (they are in a tote, not on the shelf that was counted).
 */
export function decideShortfall(shortBy: number, holds: readonly LotHold[]): ShortfallDecision {
  let left = Number.isSafeInteger(shortBy) && shortBy > 0 ? shortBy : 0;
  const ordered = holds
    .filter((h) => Number.isSafeInteger(h.unpicked) && h.unpicked > 0)
    .sort(
      (a, b) =>
        Number(a.fulfilmentState === 'picking') - Number(b.fulfilmentState === 'picking') ||
        b.placedAtMs - a.placedAtMs ||
        cmp(a.fulfilmentId, b.fulfilmentId) ||
        cmp(a.lineId, b.lineId),
    );
  const cuts: LotCut[] = [];
  for (const h of ordered) {
    if (left === 0) break;
    const qty = Math.min(left, h.unpicked);
    cuts.push({
      fulfilmentId: h.fulfilmentId,
      orderId: h.orderId,
      allocationKey: h.allocationKey,
      lineId: h.lineId,
      qty,
    });
    left -= qty;
  }
  return { cuts, uncovered: left };
}

/** What a count or sale does to one lot: the new on_hand and how many held units must go. */
export function lotAfterFact(
  lot: { onHand: number; reserved: number },
  fact: { kind: 'count' | 'sale' | 'receipt'; qty: number },
): { onHand: number; shortBy: number } {
  const raw =
    fact.kind === 'count' ? fact.qty : fact.kind === 'receipt' ? lot.onHand + fact.qty : lot.onHand - fact.qty;
  // A sale of more than the system thought was there still happened: the shelf is empty.
  const onHand = Math.max(0, raw);
  return { onHand, shortBy: Math.max(0, lot.reserved - onHand) };
}

/**
 * A pick line after losing `qty` unpicked units of one lot: fewer units wanted, the lot's
 * share smaller; picked units stay. Undefined when nothing is left to pick or deliver.
 */
export function cutLine<
  L extends {
    qty: number;
    picked?: number;
    status?: string;
    lots: readonly { lotId: string; qty: number; picked?: number }[];
  },
>(line: L, lotId: string, qty: number): L | undefined {
  const lots = line.lots.map((x) => {
    if (x.lotId !== lotId) return x;
    const take = Math.min(qty, x.qty - (x.picked ?? 0));
    return { ...x, qty: x.qty - take };
  });
  const taken = line.lots.reduce((s, x) => s + x.qty, 0) - lots.reduce((s, x) => s + x.qty, 0);
  const next = { ...line, qty: line.qty - taken, lots: lots.filter((x) => x.qty > 0) };
  if (next.qty <= 0) return undefined;
  if (line.status === 'in_progress' && (next.picked ?? 0) >= next.qty) return { ...next, status: 'picked' };
  return next;
}
