import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { instantSlot } from '../domain/orders';
import type { CustomerReturnInput, CustomerReturnOutcome, OrderLine } from '../domain/orders';
import { orderActivities as acts } from './activity-options';
import { orderWorkflow } from './order';
import { orderWorkflowId } from './order.contract';
import { REPLACEMENT_DOOR_PATCH } from './patches';
import { ORDER_ID, SLOT_KIND } from './search-attributes';

/**
 * A customer's return after delivery (`return-<orderId>-<returnId>`). Settles it in one
 * transaction (credits, restock of sellable ambient goods, write-off of everything else:
 * perishables never go back on a shelf), then sends a replacement order to the same door for
 * the lines where the customer chose one. That order runs as its own OrderWorkflow, so it is
 * allocated, picked and tracked like any other; lines it cannot fill are refunded there.
 * A refused return fails with type `ReturnRefused` and its reason.
 */
export async function customerReturnWorkflow(input: CustomerReturnInput): Promise<CustomerReturnOutcome> {
  const settled = await acts.settleCustomerReturn({
    orderId: input.orderId,
    returnId: input.returnId,
    requestedAt: input.requestedAt,
    lines: input.lines,
    windows: input.windows,
    replacementOrderId: input.replacementOrderId,
  });
  if (!settled.ok) throw ApplicationFailure.nonRetryable(settled.refusal, 'ReturnRefused');
  const replacementLines: OrderLine[] = settled.lines
    .filter((l) => l.replacement)
    .map((l) => ({ lineId: l.lineId, sku: l.sku, qty: l.qty }));
  if (replacementLines.length) {
    const now = Date.now();
    const slot = instantSlot(now);
    // The replacement's door is copied row to row, so neither this history nor the
    // replacement's holds coordinates. Runs started before carry them in the settlement result.
    if (patched(REPLACEMENT_DOOR_PATCH)) {
      await acts.recordReplacementOrder({
        orderId: input.replacementOrderId,
        fromOrderId: input.orderId,
        slot,
        lines: replacementLines,
        placedAt: now,
      });
    }
    await startChild(orderWorkflow, {
      workflowId: orderWorkflowId(input.replacementOrderId),
      // The replacement lives on after the return is settled.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        { orderId: input.replacementOrderId, ...settled.destination, slot, lines: replacementLines, placedAt: now },
      ],
      searchAttributes: { [ORDER_ID.name]: [input.replacementOrderId], [SLOT_KIND.name]: ['instant'] },
      staticSummary: `Replacement for order ${input.orderId} (return ${input.returnId}): ${replacementLines.length} lines`,
    }).catch((err: unknown) => {
      // An earlier run of this return (terminated after settling) sent it already.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    });
  }
  return {
    orderId: input.orderId,
    returnId: input.returnId,
    lines: settled.lines,
    creditCents: settled.creditCents,
    replacementOrderId: replacementLines.length ? input.replacementOrderId : null,
    fingerprint: input.fingerprint,
  };
}
