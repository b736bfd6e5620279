// Plain data shapes for fresh-order fulfilment. No behaviour here, and no personal data:
// customers are referenced by id and addresses by a hash key only.

/** Temperature zone of a product, a tote and a node's storage equipment. */
export type Zone = 'ambient' | 'chilled' | 'frozen';

/** Zones in pick order: ambient first, chilled next, frozen last (frozen leaves the freezer last). */
export const ZONE_SEQUENCE: readonly Zone[] = ['ambient', 'chilled', 'frozen'];

/** A WGS84 point in decimal degrees. */
export interface GeoPoint {
  readonly lat: number;
  readonly lng: number;
}

/** Front warehouse (dark store, instant) or store warehouse (in-store picking, scheduled). */
export type NodeKind = 'front' | 'store';

/** A fulfilment node: where stock sits and orders are picked, packed and dispatched. */
export interface Node {
  readonly id: string;
  readonly kind: NodeKind;
  readonly name: string;
  readonly location: GeoPoint;
  readonly serviceRadiusKm: number;
  /** Storage equipment present; a node without 'frozen' has no freezer. */
  readonly zones: readonly Zone[];
  readonly pickMinutesPerOrder: number;
  readonly packMinutes: number;
  /** Courier speed used for the travel part of the ETA. */
  readonly travelKmPerHour: number;
  /**
   * Max orders per slot key (see `slotKey`). Lookup falls back to the slot kind
   * ('instant' | 'scheduled'), then '*'; a node with none of them takes no orders (fail safe).
   */
  readonly slotCapacity: Readonly<Record<string, number>>;
}

/** A catalogue item. */
export interface Sku {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly zone: Zone;
  /** Whole days of shelf life that must remain on the delivery date. */
  readonly minShelfLifeDays: number;
  /** Perishables are never restocked after leaving the node. */
  readonly perishable: boolean;
  readonly unitPriceCents: number;
}

/** A lot of one SKU at one node; `bin` is the shelf location such as "A-03-2". */
export interface StockLot {
  readonly nodeId: string;
  readonly sku: string;
  readonly lotId: string;
  /** ISO calendar date (YYYY-MM-DD), last day the lot may be sold. */
  readonly expiresOn: string;
  readonly available: number;
  readonly bin?: string;
}

/** One line of a customer order. */
export interface OrderLine {
  readonly lineId: string;
  readonly sku: string;
  readonly qty: number;
}

/**
 * Delivery slot, times in epoch milliseconds. The promise is `end`.
 * Instant: start = placedAt, end = placedAt + 30 min. Scheduled: the booked window.
 */
export interface Slot {
  readonly kind: 'instant' | 'scheduled';
  readonly start: number;
  readonly end: number;
}

/** A customer order as the domain sees it (no name, phone or address text). */
export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  /** Hash of the delivery address; equal keys mean the same door. */
  readonly addressKey: string;
  readonly location: GeoPoint;
  readonly slot: Slot;
  readonly lines: readonly OrderLine[];
  /** Epoch milliseconds. */
  readonly placedAt: number;
}

/** Why a node or a line was turned down; codes are stable, texts are for humans. */
export type ReasonCode =
  | 'out_of_radius'
  | 'cannot_meet_slot'
  | 'capacity_full'
  | 'missing_zone_equipment'
  | 'insufficient_stock'
  | 'expiry_too_close'
  | 'unknown_sku'
  | 'no_candidate';

/** A reason code with its human explanation. */
export interface Reason {
  readonly code: ReasonCode;
  readonly text: string;
}

/** Quantity taken from one lot. */
export interface LotPick {
  readonly lotId: string;
  readonly qty: number;
  readonly expiresOn: string;
  readonly bin?: string;
}

/** An order line as allocated at one node, with the lots it is picked from (FEFO). */
export interface ToteLine {
  readonly lineId: string;
  readonly sku: string;
  readonly qty: number;
  readonly lots: readonly LotPick[];
}

/** A tote holds the lines of one temperature zone; zones never share a tote. */
export interface Tote {
  readonly zone: Zone;
  readonly lines: readonly ToteLine[];
}

/** The part of an order one node fulfils. */
export interface Fulfilment {
  readonly nodeId: string;
  readonly nodeKind: NodeKind;
  readonly totes: readonly Tote[];
  /** Expected arrival at the door (scheduled slots: not before the slot opens). */
  readonly etaMs: number;
  /** Latest moment picking must finish so pack + travel still meet the promise. */
  readonly pickDeadlineMs: number;
  readonly distanceKm: number;
}

/** A line nobody can serve, with the decisive reason and what each candidate said. */
export interface UnfulfilledLine {
  readonly lineId: string;
  readonly sku: string;
  readonly qty: number;
  readonly code: ReasonCode;
  readonly text: string;
  readonly byNode: readonly (Reason & { readonly nodeId: string })[];
}

/** How one node fared as a candidate. */
export interface CandidateReport {
  readonly nodeId: string;
  readonly nodeKind: NodeKind;
  readonly distanceKm: number;
  /** Null when the node was rejected before an ETA mattered. */
  readonly etaMs: number | null;
  /** skipped: passed the node gate, but a higher-ranked node already serves every line. */
  readonly status: 'chosen' | 'eligible_not_chosen' | 'rejected' | 'skipped';
  /** Node-level reasons (radius, slot, capacity) or per-line reasons with the line id. */
  readonly reasons: readonly (Reason & { readonly lineId?: string })[];
  readonly coveredLineIds: readonly string[];
  readonly note?: string;
}

/** Why the allocation came out the way it did. */
export interface AllocationExplanation {
  readonly candidates: readonly CandidateReport[];
  readonly chosenNodeIds: readonly string[];
  /** single: one node; exact_cover: smallest set by search; greedy_cover: fallback; none. */
  readonly strategy: 'single' | 'exact_cover' | 'greedy_cover' | 'none';
  readonly summary: string;
}

/** Result of allocating one order. */
export interface Allocation {
  readonly orderId: string;
  readonly fulfilments: readonly Fulfilment[];
  readonly unfulfilled: readonly UnfulfilledLine[];
  readonly explanation: AllocationExplanation;
}

/** A fulfilment together with the order facts merge and wave planning need. */
export interface PlacedFulfilment {
  readonly orderId: string;
  readonly addressKey: string;
  readonly slot: Slot;
  /** Epoch ms when the allocation was made (merge windows are measured on this). */
  readonly allocatedAt: number;
  readonly fulfilment: Fulfilment;
}
