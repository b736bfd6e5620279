// Which orders a cold-chain incident touches, and how: pure, from when each order's units of a
// quarantined lot left the asset and reached the customer.
//
// An order is impacted only if its units were in the asset when the excursion began (or after):
// units packed and gone before then never saw it, however long the reservation row lives on.
// An impacted order still in the system (units in the asset, in a tote or on the way) is signalled,
// so its workflow re-allocates or flags the delivery; one whose exposed units already reached the
// customer cannot be helped by a signal and needs a customer notification or claim instead.

/** Units of one quarantined lot that an order took (one fulfilment, or a reservation without one). */
export interface LotHolding {
  lotId: string;
  /** When the units left the asset (epoch ms): the fulfilment was packed (or dispatched); null while still there or unknown. */
  leftAssetAt: number | null;
  /** When they reached the customer (epoch ms); null when not delivered. */
  deliveredAt: number | null;
}

/** What an incident means for one order. */
export type OrderExposure =
  /** Every unit left the asset before the excursion began. */
  | { impacted: false }
  /** Exposed units still on their way: signal the order's workflow. */
  | { impacted: true; status: 'in_flight'; lotIds: string[] }
  /** Every exposed unit was delivered already: notify the customer / open a claim. */
  | { impacted: true; status: 'delivered_exposed'; lotIds: string[]; deliveredAt: number };

/** The status an impact record carries when no workflow signal can help (signal_result). */
export const DELIVERED_EXPOSED = 'delivered_exposed';

const known = (t: number | null): t is number => t !== null && Number.isFinite(t);

/**
 * When the units left the asset: the earliest sign they were gone (a delivery is one too).
 * Unknown (null) counts as still there: when in doubt, an order is impacted.
 */
function leftAt(h: LotHolding): number | null {
  const times = [h.leftAssetAt, h.deliveredAt].filter(known);
  return times.length ? Math.min(...times) : null;
}

/** Were these units in the asset at or after `excursionStart` (epoch ms)? */
export function holdingExposed(h: LotHolding, excursionStart: number): boolean {
  const left = leftAt(h);
  return left === null || !Number.isFinite(excursionStart) || left >= excursionStart;
}

/** The order's exposure to an excursion that began at `excursionStart`, from all its holdings. */
export function orderExposure(holdings: readonly LotHolding[], excursionStart: number): OrderExposure {
  const exposed = holdings.filter((h) => holdingExposed(h, excursionStart));
  if (exposed.length === 0) return { impacted: false };
  const lotIds = [...new Set(exposed.map((h) => h.lotId))].sort();
  const delivered = exposed.map((h) => h.deliveredAt);
  if (!delivered.every(known)) return { impacted: true, status: 'in_flight', lotIds };
  return { impacted: true, status: 'delivered_exposed', lotIds, deliveredAt: Math.max(...delivered) };
}
