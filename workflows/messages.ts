import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Allocation, GeoPoint, OrderLine, OrderState, ReturnRequestLine, ReturnWindows, SettledReturnLine, Slot, Tote, UnfulfilledLine, Zone } from '../domain/orders';

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
  /**
   * Only for orders started without intake (replacements), whose row is made from it. Intake
   * records the exact door in the orders row and leaves it out, so histories do not hold it.
   */
  location?: GeoPoint;
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
  /** The allocation that reserved this fulfilment's stock; absent in fulfilments started before holds were kept per allocation. */
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

// ---- Picking: the picker's view of a fulfilment and the actions a phone sends ---------------
// Every action carries an idempotency key: a phone that retries gets the first answer again
// and nothing is picked twice. No personal data in any of these shapes.

/** Why a line could not be picked in full. */
export type ShortReason = 'not_found' | 'damaged' | 'expired' | 'quality';
/** What the customer wants when an item is missing: the picker's best match, one named item, or money back. */
export type SubstitutionPolicy = 'best_match' | 'specific' | 'refund';
/** Progress of one line on the pick path. */
export type PickLineStatus = 'pending' | 'in_progress' | 'picked' | 'short';
/** Where a line's missing quantity went. */
export type ShortResolution = 'reallocated' | 'substitution_pending' | 'substituted' | 'refunded';

/** One lot of a line: where to find it and how much was taken. */
export interface PickLot { lotId: string; bin: string | null; expiresOn: string; qty: number; picked: number }

/** A substitute the picker proposed for a line's missing quantity, and its fate. */
export interface SubstitutionView {
  sku: string;
  qty: number;
  policy: SubstitutionPolicy;
  status: 'pending' | 'accepted' | 'refused';
  decidedBy: 'policy' | 'customer' | 'timeout' | null;
  /** Epoch ms after which a pending best-match proposal stands (Instacart rule). */
  decideByMs: number | null;
  /** The new order line the accepted substitute is allocated as. */
  newLineId: string;
  creditCents: number;
}

/** What happened to a line's missing quantity. */
export interface PickShort {
  missing: number;
  reason: ShortReason;
  resolution: ShortResolution;
  /** The order line the missing quantity is re-allocated as (resolution 'reallocated'). */
  reallocatedAs: string | null;
  substitution: SubstitutionView | null;
  creditCents: number;
}

/** One line on the pick path. */
export interface PickLineView {
  lineId: string;
  sku: string;
  zone: Zone;
  toteLabel: string;
  qty: number;
  picked: number;
  status: PickLineStatus;
  /** Times the picker skipped it; skipped lines move to the end of their zone's path. */
  skips: number;
  lots: PickLot[];
  short: PickShort | null;
}

/** A temperature zone of a fulfilment: its tote and who picks it. */
export interface PickZoneView { zone: Zone; toteLabel: string; pickerId: string | null; waveId: string | null }

/** The fulfilment as a picker works it (the `pickView` query, and every action's answer). */
export interface PickView {
  fulfilmentId: string;
  orderId: string;
  nodeId: string;
  nodeKind: 'front' | 'store';
  state: OrderState;
  slot: Slot;
  pickDeadlineMs: number;
  allocatedAt: number;
  zones: PickZoneView[];
  /** In pick-path order: zone sequence, skipped lines last, then bin. */
  lines: PickLineView[];
  staging: { location: string; toteLabels: string[]; at: number } | null;
  courierId: string | null;
  /** Grows with every change; the open-task table keeps the highest. */
  version: number;
}

/** Current picking view of a fulfilment. */
export const pickViewQuery = defineQuery<PickView>('pickView');

/** Names of picker actions, as recorded with their idempotency keys. */
export type PickActionName = 'claim' | 'start' | 'confirm' | 'short' | 'skip' | 'substitute' | 'decide' | 'stage' | 'handOver';

/** Answer to a picker action; a replay (same key) answers the same, with `replayed` set. */
export interface PickActionResult {
  idempotencyKey: string;
  action: PickActionName;
  lineId: string | null;
  /** One sentence for the phone, e.g. "picked 2 of 2". */
  outcome: string;
  replayed: boolean;
  task: PickView;
}

/** Who acts and the key that makes a retried request a replay. */
export interface PickerActionBase { pickerId: string; idempotencyKey: string }

/** Claim zones of a fulfilment (a wave is one zone across orders); the first claim starts picking. */
export const claimPickUpdate = defineUpdate<PickActionResult, [PickerActionBase & { zones: Zone[]; waveId: string | null }]>('claimPick');
/** The picker is at the bin of this line. */
export const pickLineStartUpdate = defineUpdate<PickActionResult, [PickerActionBase & { lineId: string }]>('pickLineStart');
/** Scanned SKU and lot, and the quantity taken from that lot. */
export const confirmPickUpdate = defineUpdate<PickActionResult, [PickerActionBase & { lineId: string; sku: string; lotId: string; qty: number }]>('confirmPick');
/** Less than asked is there: what was confirmed stays, the rest is re-allocated. */
export const shortPickUpdate = defineUpdate<PickActionResult, [PickerActionBase & { lineId: string; reason: ShortReason }]>('shortPick');
/** Come back to this line later (it moves to the end of its zone's path). */
export const skipLineUpdate = defineUpdate<PickActionResult, [PickerActionBase & { lineId: string }]>('skipLine');
/** Short the line and propose a substitute for the missing quantity; the customer's policy decides. */
export const proposeSubstitutionUpdate = defineUpdate<PickActionResult, [PickerActionBase & { lineId: string; reason: ShortReason; sku: string; qty: number }]>('proposeSubstitution');
/** The customer accepts or refuses a pending substitute (accepted: allocated as a new line; refused: refunded). */
export const decideSubstitutionUpdate = defineUpdate<PickActionResult, [{ lineId: string; accept: boolean; decidedBy: string; idempotencyKey: string }]>('decideSubstitution');
/** Every tote scanned into a staging location: the fulfilment is packed. */
export const stageTotesUpdate = defineUpdate<PickActionResult, [PickerActionBase & { toteLabels: string[]; location: string }]>('stageTotes');
/** Staged totes handed to a courier: stock leaves the node. */
export const handOverUpdate = defineUpdate<PickActionResult, [PickerActionBase & { courierId: string }]>('handOver');

// ---- Returns after delivery ---------------------------------------------------------------

/** The workflow id of one return: the same request twice runs once. */
export function returnWorkflowId(orderId: string, returnId: string): string {
  return `return-${orderId}-${returnId}`;
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
