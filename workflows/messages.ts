import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Allocation, GeoPoint, OrderLine, OrderState, Slot, Tote, UnfulfilledLine, Zone } from '../domain/orders';

// Messages between the cold chain and order workflows. Defined once here so the sender
// (alerting activities) and the receiver (OrderWorkflow) agree on names and shapes.

/** Lots of this order were quarantined by a cold-chain alert. */
export interface ColdChainQuarantine {
  alertId: string;
  lotIds: string[];
  reason: string;
}

/**
 * Sent to `order-<orderId>` for every order holding a quarantined lot. Undispatched orders
 * re-allocate the affected lines; dispatched ones raise the ColdChainRisk flag and ask the
 * courier to have the customer inspect at the door.
 */
export const coldChainQuarantineSignal = defineSignal<[ColdChainQuarantine]>('coldChainQuarantine');

/** The workflow id of an order: derived from the order id, so a resubmission starts nothing new. */
export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

// ---- Order and fulfilment messages -------------------------------------------------------


/** What OrderWorkflow starts from. No personal data: the customer is an id, the door a hash. */
export interface OrderInput {
  orderId: string;
  customerId: string;
  addressKey: string;
  location: GeoPoint;
  slot: Slot;
  lines: OrderLine[];
  placedAt: number;
  options?: OrderOptions;
}

/** Tunables of one order's orchestration. */
export interface OrderOptions {
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

/** Current view of an order. */
export const orderStatusQuery = defineQuery<OrderView>('status');

/** Result of a cancel request. */
export interface CancelResult { outcome: 'cancelled' | 'returned' | 'partially_returned' | 'noop'; status: OrderState }

/** Cancel an order: allowed until picking starts; afterwards picked goods go back (a return). */
export const cancelOrderUpdate = defineUpdate<CancelResult, [{ reason: string }]>('cancel');

/** Child → parent: a fulfilment changed state. */
export const fulfilmentStateSignal = defineSignal<[{ fulfilmentId: string; state: OrderState; coldChainRisk?: boolean }]>('fulfilmentState');

/** Child → parent: these lines need stock from elsewhere (quarantine, short pick). */
export const reallocateLinesSignal = defineSignal<[{ fulfilmentId: string; lines: OrderLine[]; reason: string }]>('reallocateLines');

/** Child → parent: the customer chose replacements for these rejected or returned lines. */
export const replacementSignal = defineSignal<[{ fulfilmentId: string; lines: OrderLine[] }]>('replacement');

/** What FulfilmentWorkflow starts from. */
export interface FulfilmentInput {
  orderId: string;
  fulfilmentId: string;
  parentWorkflowId: string;
  nodeId: string;
  nodeKind: 'front' | 'store';
  slot: Slot;
  slotKey: string;
  deliveryId: string;
  totes: Tote[];
  pickDeadlineMs: number;
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

/** Current view of a fulfilment. */
export const fulfilmentStatusQuery = defineQuery<FulfilmentDetail>('fulfilmentStatus');

/** A picker starts picking this fulfilment. */
export const startPickingUpdate = defineUpdate<FulfilmentDetail, [{ pickerId: string }]>('startPicking');
/** All totes packed and checked. */
export const packedUpdate = defineUpdate<FulfilmentDetail, []>('packed');
/** Handed over to a courier: stock leaves the node. */
export const dispatchedUpdate = defineUpdate<FulfilmentDetail, [{ courierId: string }]>('dispatched');
/** Delivered at the door. */
export const deliveredUpdate = defineUpdate<FulfilmentDetail, []>('delivered');

/** One line refused at the door. */
export interface DoorRejectionLine { lineId: string; qty: number; condition: 'sellable' | 'damaged' | 'unknown'; customerChoice: 'refund' | 'replacement' }
/** The customer refuses all or some lines at the door. */
export const rejectedAtDoorUpdate = defineUpdate<FulfilmentDetail, [{ lines: DoorRejectionLine[] }]>('rejectedAtDoor');

/** Parent → child: stop this fulfilment (cancel before picking, return after). */
export const cancelFulfilmentSignal = defineSignal<[{ reason: string }]>('cancelFulfilment');
/** Parent → child: these lots were quarantined. */
export const quarantineLotsSignal = defineSignal<[ColdChainQuarantine]>('quarantineLots');
