// One customer order, from intake to its end. Allocates (with reservations) across nodes,
// runs a child FulfilmentWorkflow per node, keeps the SLA clock, re-allocates lines whose
// lots were quarantined or short, sends replacements, and releases what it holds when
// cancelled. Its workflow id is `order-<orderId>`, so the same order never runs twice.
//
// This file only wires messages (order.contract.ts) to the state machine (order-state.ts).
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import type { OrderInput, OrderOutcome } from '../domain/orders';
import {
  cancelOrderUpdate,
  coldChainQuarantineSignal,
  fulfilmentStateSignal,
  orderStatusQuery,
  reallocateLinesSignal,
  replacementSignal,
} from './order.contract';
import { OrderWorkflowState } from './order-state';

/** The order workflow: see the top of this file. */
export async function orderWorkflow(input: OrderInput): Promise<OrderOutcome> {
  const order = new OrderWorkflowState(input);
  setHandler(orderStatusQuery, () => order.view());
  setHandler(fulfilmentStateSignal, (s) => order.onFulfilmentState(s));
  setHandler(reallocateLinesSignal, (r) => order.onReallocate(r));
  setHandler(replacementSignal, (r) => order.onReplacement(r));
  setHandler(coldChainQuarantineSignal, (q) => order.onColdChainQuarantine(q));
  setHandler(cancelOrderUpdate, (a) => order.cancel(a), { validator: (a) => order.validateCancel(a) });
  void order.attributes.flushEachActivation();

  await order.record();
  if (!(await order.allocateFirst())) {
    order.attributes.flush();
    return order.outcome(false);
  }
  const slaClock = order.slaClock();
  await order.untilDone();
  if (order.delivered()) await Promise.race([slaClock, Promise.resolve()]);
  await order.event(
    `order_${order.status}`,
    { fulfilments: order.fulfilments.map((f) => ({ id: f.fulfilmentId, state: f.state })) },
    'final',
  );
  // A cancel update may still be answering: complete only after it has.
  await condition(allHandlersFinished);
  order.attributes.flush();
  return order.outcome();
}
