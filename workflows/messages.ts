import { defineSignal } from '@temporalio/workflow';

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
