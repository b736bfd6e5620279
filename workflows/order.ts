import {
  allHandlersFinished, ApplicationFailure, condition, ParentClosePolicy, getExternalWorkflowHandle, patched, proxyActivities, proxyLocalActivities, setHandler, startChild, upsertMemo,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ChildWorkflowHandle } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders';
import { cancellationOutcome, isTerminal, searchAttributeInstant, slaCheckpoints, slotKey } from '../domain/orders';
import type { Allocation, OrderLine, OrderState, UnfulfilledLine, Zone } from '../domain/orders';
import { fulfilmentWorkflow } from './fulfilment';
import {
  cancelFulfilmentSignal, cancelOrderUpdate, coldChainQuarantineSignal, fulfilmentStateSignal, orderStatusQuery, quarantineLotsSignal,
  reallocateLinesSignal, replacementSignal,
} from './messages';
import type { CancelResult, ColdChainQuarantine, FulfilmentView, OrderInput, OrderView } from './messages';
import { COLD_CHAIN_RISK, NODE_ID, NODE_KIND, ORDER_ID, ORDER_STATUS, SLA_DEADLINE, SLOT_KIND, TEMPERATURE_ZONES } from './search-attributes';

const acts = proxyActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });
const local = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' } });

const DEFAULT_MERGE_WINDOW_MS = 10 * 60_000;
const DEFAULT_RESERVATION_TTL_MS = 2 * 3_600_000;
// Order status follows the least advanced live fulfilment.
const PROGRESS: OrderState[] = ['received', 'allocated', 'picking', 'packed', 'dispatched', 'delivered'];
const DONE = (s: OrderState) => s === 'delivered' || isTerminal(s);
// Histories recorded before this patch moved the order's status while its fulfilments were
// still being started; readers then saw "allocated" with half the fulfilments listed.
const STATUS_AFTER_ALLOCATION_PATCH = 'order-status-after-allocation';

/** A child's SlaDeadline search attribute, clamped to what the server stores (absent for a non-date). */
function slaDeadlineAttribute(ms: number): Record<string, Date[]> {
  const at = searchAttributeInstant(ms);
  return at === undefined ? {} : { [SLA_DEADLINE.name]: [new Date(at)] };
}

/** How an order ended. */
export interface OrderOutcome { orderId: string; status: OrderState; fulfilments: FulfilmentView[]; unfulfilled: UnfulfilledLine[]; coldChainRisk: boolean; slaBreached: boolean }

/**
 * One customer order, from intake to its end. Allocates (with reservations) across nodes,
 * runs a child FulfilmentWorkflow per node, keeps the SLA clock, re-allocates lines whose
 * lots were quarantined or short, sends replacements, and releases what it holds when
 * cancelled. Its workflow id is `order-<orderId>`, so the same order never runs twice.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderOutcome> {
  const mergeWindowMs = input.options?.mergeWindowMs ?? DEFAULT_MERGE_WINDOW_MS;
  const reservationTtlMs = input.options?.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  const key = slotKey(input.slot);
  const sla = slaCheckpoints(input.slot, input.placedAt);
  const slaState = { escalateAtMs: sla.escalateAtMs, breachAtMs: sla.breachAtMs, escalated: false, breached: false };
  let status: OrderState = 'received';
  let coldChainRisk = false;
  let allocationSeq = 0;
  let lineSeq = 0;
  const fulfilments: FulfilmentView[] = [];
  const children = new Map<string, ChildWorkflowHandle<typeof fulfilmentWorkflow>>();
  const unfulfilled: UnfulfilledLine[] = [];
  const explanations: Allocation['explanation'][] = [];
  const reallocations: { lines: OrderLine[]; reason: string }[] = [];
  const quarantines: ColdChainQuarantine[] = [];
  let cancelling = false;
  // While an allocation starts its fulfilments one by one, their state signals update their
  // own entries but the order's status waits for the whole allocation.
  let allocating = 0;

  const view = (): OrderView => ({ orderId: input.orderId, status, fulfilments, unfulfilled, coldChainRisk, sla: slaState, allocations: explanations });
  // Stamped with workflow time, fixed when the call is scheduled: a retried local activity
  // writes the same (key, at) again, a no-op, instead of a second event at the retry's time.
  const event = (type: string, data: Record<string, unknown> = {}, keySuffix = type) =>
    local.appendOrderEvent({ orderId: input.orderId, key: `${input.orderId}:${keySuffix}`, type, data, status, at: Date.now() });

  const recomputeStatus = (): void => {
    if (allocating > 0) return;
    const live = fulfilments.filter((f) => !DONE(f.state));
    let next: OrderState;
    if (fulfilments.length === 0) next = status;
    else if (live.length) next = PROGRESS[Math.min(...live.map((f) => PROGRESS.indexOf(f.state)).filter((i) => i >= 0))] ?? status;
    else if (fulfilments.some((f) => f.state === 'delivered')) next = 'delivered';
    else if (fulfilments.some((f) => f.state === 'returned')) next = 'returned';
    else if (fulfilments.every((f) => f.state === 'cancelled')) next = 'cancelled';
    else next = 'rejected';
    if (next !== status) {
      status = next;
      upsertSearchAttributes([{ key: ORDER_STATUS, value: status }]);
    }
  };

  const searchAttributes = (): void => {
    const zones = [...new Set(fulfilments.filter((f) => !DONE(f.state) || f.state === 'delivered').flatMap((f) => f.zones))].sort() as Zone[];
    const primary = fulfilments.find((f) => !DONE(f.state)) ?? fulfilments[0];
    upsertSearchAttributes([
      { key: ORDER_STATUS, value: status },
      { key: TEMPERATURE_ZONES, value: zones },
      ...(primary ? [{ key: NODE_ID, value: primary.nodeId }, { key: NODE_KIND, value: primary.nodeKind }] : []),
      { key: COLD_CHAIN_RISK, value: coldChainRisk },
    ]);
    upsertMemo({
      summary: {
        lines: input.lines.length,
        slot: input.slot.kind,
        nodes: fulfilments.map((f) => `${f.nodeId}:${f.state}`),
        unfulfilledLines: unfulfilled.length,
      },
    });
  };

  /** Allocate lines, reserve, and start a fulfilment per node. */
  const allocate = async (lines: OrderLine[], reason: string): Promise<void> => {
    const deferStatus = patched(STATUS_AFTER_ALLOCATION_PATCH);
    if (deferStatus) allocating++;
    try {
      await allocateLines(lines, reason);
    } finally {
      if (deferStatus) allocating--;
    }
    recomputeStatus();
    if (fulfilments.length === 0 && status === 'received') status = 'rejected';
    searchAttributes();
  };
  const allocateLines = async (lines: OrderLine[], reason: string): Promise<void> => {
    const seq = ++allocationSeq;
    const allocationKey = `${input.orderId}:alloc:${seq}`;
    const { allocation } = await acts.allocateAndReserve({
      // No coordinates: the activity reads the door from the orders row, so this history holds none.
      order: { orderId: input.orderId, customerId: input.customerId, addressKey: input.addressKey, slot: input.slot, lines, placedAt: input.placedAt },
      allocationKey,
      reservationTtlMs,
    });
    explanations.push(allocation.explanation);
    if (allocation.unfulfilled.length) {
      unfulfilled.push(...allocation.unfulfilled);
      await acts.refundUnfulfilled({ orderId: input.orderId, lines: allocation.unfulfilled.map((u) => ({ lineId: u.lineId, sku: u.sku, qty: u.qty })) });
      await event('lines_unfulfilled', { reason, lines: allocation.unfulfilled.map((u) => ({ lineId: u.lineId, code: u.code })) }, `unfulfilled:${seq}`);
    }
    for (const f of allocation.fulfilments) {
      const fulfilmentId = `${workflowInfo().workflowId}-f${fulfilments.length + 1}`;
      const delivery = await acts.joinDelivery({ orderId: input.orderId, nodeId: f.nodeId, addressKey: input.addressKey, slotKey: key, windowMs: mergeWindowMs });
      const zones = f.totes.map((t) => t.zone);
      const v: FulfilmentView = {
        fulfilmentId, nodeId: f.nodeId, nodeKind: f.nodeKind, state: 'allocated', zones,
        lineIds: f.totes.flatMap((t) => t.lines.map((l) => l.lineId)),
        lotIds: [...new Set(f.totes.flatMap((t) => t.lines.flatMap((l) => l.lots.map((x) => x.lotId))))],
        deliveryId: delivery.deliveryId,
      };
      const child = await startChild(fulfilmentWorkflow, {
        workflowId: fulfilmentId,
        // A fulfilment may still be answering its last update when the order completes.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ orderId: input.orderId, fulfilmentId, allocationKey, parentWorkflowId: workflowInfo().workflowId, nodeId: f.nodeId, nodeKind: f.nodeKind, slot: input.slot, slotKey: key, deliveryId: delivery.deliveryId, totes: [...f.totes], pickDeadlineMs: f.pickDeadlineMs }],
        searchAttributes: {
          [ORDER_ID.name]: [input.orderId], [NODE_ID.name]: [f.nodeId], [NODE_KIND.name]: [f.nodeKind], [ORDER_STATUS.name]: ['allocated'],
          [TEMPERATURE_ZONES.name]: zones, [SLOT_KIND.name]: [input.slot.kind], ...slaDeadlineAttribute(input.slot.end),
        },
        staticSummary: `Order ${input.orderId} at ${f.nodeId}: ${v.lineIds.length} lines, ${zones.join('/')}`,
      });
      // Listed only once started, so nobody is pointed at a workflow that does not exist yet.
      fulfilments.push(v);
      children.set(fulfilmentId, child);
    }
  };

  setHandler(orderStatusQuery, view);
  setHandler(fulfilmentStateSignal, ({ fulfilmentId, state, coldChainRisk: risk }) => {
    const f = fulfilments.find((x) => x.fulfilmentId === fulfilmentId);
    if (!f) return;
    f.state = state;
    if (risk) coldChainRisk = true;
    recomputeStatus();
    searchAttributes();
  });
  setHandler(reallocateLinesSignal, ({ lines, reason }) => {
    reallocations.push({ lines, reason });
  });
  setHandler(replacementSignal, ({ lines }) => {
    reallocations.push({ lines: lines.map((l) => ({ ...l, lineId: `${l.lineId}${++lineSeq}` })), reason: 'replacement' });
  });
  // The alerting side may signal an alert twice (a crash between signal and bookkeeping).
  const seenAlerts = new Set<string>();
  setHandler(coldChainQuarantineSignal, (q) => {
    const key = `${q.alertId}|${[...q.lotIds].sort().join(',')}`;
    if (seenAlerts.has(key)) return;
    seenAlerts.add(key);
    quarantines.push(q);
  });

  setHandler(
    cancelOrderUpdate,
    async ({ reason }): Promise<CancelResult> => {
      cancelling = true;
      const before = fulfilments.map((f) => f.state);
      for (const f of fulfilments) if (!DONE(f.state) && f.state !== 'dispatched') await getExternalWorkflowHandle(f.fulfilmentId).signal(cancelFulfilmentSignal, { reason });
      // Wait until every fulfilment that could stop has stopped.
      await condition(() => fulfilments.every((f) => DONE(f.state) || f.state === 'dispatched'));
      await event('cancel_requested', { reason, before }, `cancel:${before.join(',')}`);
      if (fulfilments.length === 0) {
        status = 'cancelled';
        searchAttributes();
      }
      const returned = fulfilments.some((f) => f.state === 'returned');
      const cancelled = fulfilments.every((f) => f.state === 'cancelled');
      return { outcome: cancelled || fulfilments.length === 0 ? 'cancelled' : returned && fulfilments.every((f) => DONE(f.state)) ? 'returned' : 'partially_returned', status };
    },
    {
      validator: (_request: { reason: string }) => {
        const outcome = cancellationOutcome(status);
        if (outcome.kind === 'not_allowed') throw ApplicationFailure.nonRetryable(`cannot cancel: ${outcome.reason}`, 'InvalidTransition');
        if (cancelling) throw ApplicationFailure.nonRetryable('a cancellation is already in progress', 'InvalidTransition');
      },
    },
  );

  await acts.recordOrder({
    orderId: input.orderId, customerId: input.customerId, addressKey: input.addressKey, slot: input.slot, lines: input.lines, placedAt: input.placedAt,
    ...(input.location ? { location: input.location } : {}),
  });
  // A deadline the server cannot store (year 10000) is clamped, never sent as it is: the refusal
  // would fail this workflow task and every retry of it, and the order would never move again.
  const slaDeadline = searchAttributeInstant(sla.breachAtMs);
  upsertSearchAttributes([
    { key: ORDER_ID, value: input.orderId },
    { key: ORDER_STATUS, value: status },
    ...(slaDeadline === undefined ? [] : [{ key: SLA_DEADLINE, value: new Date(slaDeadline) }]),
    { key: SLOT_KIND, value: input.slot.kind },
  ]);

  if (!cancelling) await allocate(input.lines, 'initial');
  if (fulfilments.length === 0) {
    status = cancelling ? 'cancelled' : 'rejected';
    searchAttributes();
    await event(status, { reason: cancelling ? 'cancelled before allocation' : 'no node can serve any line' });
    return { orderId: input.orderId, status, fulfilments, unfulfilled, coldChainRisk, slaBreached: false };
  }

  // SLA clock, concurrently with everything else.
  const delivered = () => fulfilments.length > 0 && fulfilments.every((f) => DONE(f.state));
  const slaClock = (async () => {
    if (!(await condition(delivered, Math.max(0, sla.escalateAtMs - Date.now())))) {
      slaState.escalated = true;
      await event('sla_escalated', { escalateAtMs: sla.escalateAtMs, status });
    }
    if (!(await condition(delivered, Math.max(0, sla.breachAtMs - Date.now())))) {
      slaState.breached = true;
      await event('sla_breached', { breachAtMs: sla.breachAtMs, status });
    }
  })();

  // Main loop: react to quarantines, re-allocation and replacement requests until every fulfilment is done.
  for (;;) {
    await condition(() => quarantines.length > 0 || reallocations.length > 0 || (delivered() && !cancelling) || (delivered() && cancelling));
    while (quarantines.length) {
      const q = quarantines.shift()!;
      const hit = new Set(q.lotIds);
      for (const f of fulfilments) {
        if (f.lotIds.some((l) => hit.has(l)) && !isTerminal(f.state)) await getExternalWorkflowHandle(f.fulfilmentId).signal(quarantineLotsSignal, q);
      }
      await event('cold_chain_quarantine', { alertId: q.alertId, lotIds: q.lotIds }, `quarantine:${q.alertId}`);
    }
    while (reallocations.length && !cancelling) {
      const r = reallocations.shift()!;
      await allocate(r.lines, r.reason);
    }
    if (delivered() && reallocations.length === 0 && quarantines.length === 0) break;
  }

  if (fulfilments.every((f) => DONE(f.state))) await Promise.race([slaClock, Promise.resolve()]);
  await event(`order_${status}`, { fulfilments: fulfilments.map((f) => ({ id: f.fulfilmentId, state: f.state })) }, 'final');
  // A cancel update may still be answering: complete only after it has.
  await condition(allHandlersFinished);
  return { orderId: input.orderId, status, fulfilments, unfulfilled, coldChainRisk, slaBreached: slaState.breached };
}
