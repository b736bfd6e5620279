// What the outside world may send to or ask of an OrderWorkflow. API, activities and scripts
// import this file, never workflows/order.ts (which would pull the workflow code in).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CancelResult,
  ColdChainQuarantine,
  FulfilmentStateChange,
  OrderInput,
  OrderOutcome,
  OrderView,
  ReallocateLines,
  ReplacementLines,
} from '../domain/orders';

/** The workflow type as the worker registers it. */
export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
/** The signature of orderWorkflow, for typed `start` and `getHandle` calls by its type name. */
export type OrderWorkflow = (input: OrderInput) => Promise<OrderOutcome>;

/** The workflow id of an order: derived from the order id, so a resubmission starts nothing new. */
export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

/**
 * Sent to `order-<orderId>` for every order holding a quarantined lot. Undispatched orders
 * re-allocate the affected lines; dispatched ones raise the ColdChainRisk flag and ask the
 * courier to have the customer inspect at the door.
 */
export const coldChainQuarantineSignal = defineSignal<[ColdChainQuarantine]>('coldChainQuarantine');

/** Current view of an order. */
export const orderStatusQuery = defineQuery<OrderView>('status');

/** Cancel an order: allowed until picking starts; afterwards picked goods go back (a return). */
export const cancelOrderUpdate = defineUpdate<CancelResult, [{ reason: string }]>('cancel');

/** Child → parent: a fulfilment changed state. */
export const fulfilmentStateSignal = defineSignal<[FulfilmentStateChange]>('fulfilmentState');

/** Child → parent: these lines need stock from elsewhere (quarantine, short pick). */
export const reallocateLinesSignal = defineSignal<[ReallocateLines]>('reallocateLines');

/** Child → parent: the customer chose replacements for these rejected or returned lines. */
export const replacementSignal = defineSignal<[ReplacementLines]>('replacement');
