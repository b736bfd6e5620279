// Data shapes the order workflows exchange with the API, activities and db: plain data only,
// so every layer can name them without importing workflow code. The signal, update and query
// definitions that carry them live beside each workflow (workflows/*.contract.ts).
import type { OrderState } from './lifecycle';
import type { Allocation, GeoPoint, OrderLine, Slot, Tote, UnfulfilledLine, Zone } from './types';
import type { ReturnRequestLine, ReturnWindows, SettledReturnLine } from './returns';

/** Lots of this order were quarantined by a cold-chain alert. */
export interface ColdChainQuarantine {
  alertId: string;
  lotIds: string[];
  reason: string;
}

/** What OrderWorkflow starts from. No personal data: the customer is an id, the door a hash. */
export interface OrderInput {
  orderId: string;
  customerId: string;
  addressKey: string;
  /**
   * Only for orders started without intake (replacements), whose row is made from it. Intake
   * records the exact door in the orders row and leaves it out, so histories do not hold it.
   */
  location?: GeoPoint;
  slot: Slot;
  lines: OrderLine[];
  placedAt: number;
  options?: OrderRunOptions;
}

/** Tunables of one order's orchestration. */
export interface OrderRunOptions {
  /** Orders for one door and slot on one node within this window ride together. Default 10 min. */
  mergeWindowMs?: number;
  /** Reservations outlive the slot end by this much before the sweeper may release them. Default 2 h. */
  reservationTtlMs?: number;
}

/** One node's part of an order, as the parent tracks it. */
export interface FulfilmentView {
  fulfilmentId: string;
  nodeId: string;
  nodeKind: 'front' | 'store';
  state: OrderState;
  zones: Zone[];
  lineIds: string[];
  lotIds: string[];
  deliveryId: string;
}

/** The order as ops and the API see it (the `status` query). */
export interface OrderView {
  orderId: string;
  status: OrderState;
  fulfilments: FulfilmentView[];
  unfulfilled: UnfulfilledLine[];
  coldChainRisk: boolean;
  sla: { escalateAtMs: number; breachAtMs: number; escalated: boolean; breached: boolean };
  allocations: Allocation['explanation'][];
}

/** How an order ended. */
export interface OrderOutcome {
  orderId: string;
  status: OrderState;
  fulfilments: FulfilmentView[];
  unfulfilled: UnfulfilledLine[];
  coldChainRisk: boolean;
  slaBreached: boolean;
}

/** Result of a cancel request. */
export interface CancelResult {
  outcome: 'cancelled' | 'returned' | 'partially_returned' | 'noop';
  status: OrderState;
}

/** Child → parent: a fulfilment changed state. */
export interface FulfilmentStateChange {
  fulfilmentId: string;
  state: OrderState;
  coldChainRisk?: boolean;
}
/** Child → parent: these lines need stock from elsewhere (quarantine, short pick, substitute, count). */
export interface ReallocateLines {
  fulfilmentId: string;
  lines: OrderLine[];
  reason: string;
}
/** Child → parent: the customer chose replacements for these rejected or returned lines. */
export interface ReplacementLines {
  fulfilmentId: string;
  lines: OrderLine[];
}

/** What FulfilmentWorkflow starts from. */
export interface FulfilmentInput {
  orderId: string;
  fulfilmentId: string;
  /**
   * The allocation that reserved this fulfilment's stock; absent in fulfilments started before
   * holds were kept per allocation.
   */
  allocationKey?: string;
  parentWorkflowId: string;
  nodeId: string;
  nodeKind: 'front' | 'store';
  slot: Slot;
  slotKey: string;
  deliveryId: string;
  totes: Tote[];
  pickDeadlineMs: number;
}

/** Outcome of one node's part of an order. */
export interface FulfilmentOutcome {
  state: OrderState;
  coldChainRisk: boolean;
}

/** The fulfilment as the picker and courier endpoints see it. */
export interface FulfilmentDetail {
  fulfilmentId: string;
  orderId: string;
  nodeId: string;
  state: OrderState;
  totes: Tote[];
  pickerId: string | null;
  courierId: string | null;
  coldChainRisk: boolean;
  inspectAtDoor: boolean;
}

/** One line refused at the door. */
export interface DoorRejectionLine {
  lineId: string;
  qty: number;
  condition: 'sellable' | 'damaged' | 'unknown';
  customerChoice: 'refund' | 'replacement';
}

/** Units of held lots that a count or sale took (db/stock.ts recorded and released them). */
export interface StockShortfall {
  adjustmentId: string;
  cuts: { lotId: string; lineId: string; qty: number }[];
}

/** CustomerReturnWorkflow input: what the customer brings back, and when they asked. */
export interface CustomerReturnInput {
  orderId: string;
  returnId: string;
  requestedAt: number;
  lines: ReturnRequestLine[];
  /** The order id a replacement is sent under, fixed by the caller so a retry sends one. */
  replacementOrderId: string;
  /** Identifies the request's lines: a return id reused for other lines is refused. */
  fingerprint: string;
  windows?: Partial<ReturnWindows>;
}

/** How a return was settled. */
export interface CustomerReturnOutcome {
  orderId: string;
  returnId: string;
  lines: SettledReturnLine[];
  creditCents: number;
  /** The replacement order started for lines where the customer chose a replacement. */
  replacementOrderId: string | null;
  fingerprint: string;
}
