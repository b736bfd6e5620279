import {
  allHandlersFinished, ApplicationFailure, condition, getExternalWorkflowHandle, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OrderActivities, ReturnSettlement } from '../activities/orders';
import { canTransition, resolveDoorRejection, resolveReturnLine } from '../domain/orders';
import type { OrderLine, OrderState, Tote } from '../domain/orders';
import {
  cancelFulfilmentSignal, deliveredUpdate, dispatchedUpdate, fulfilmentStateSignal, fulfilmentStatusQuery, packedUpdate, quarantineLotsSignal,
  reallocateLinesSignal, rejectedAtDoorUpdate, replacementSignal, startPickingUpdate,
} from './messages';
import type { FulfilmentDetail, FulfilmentInput } from './messages';
import { COLD_CHAIN_RISK, ORDER_STATUS } from './search-attributes';

const acts = proxyActivities<OrderActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });
const local = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' } });

/** Outcome of one node's part of an order. */
export interface FulfilmentOutcome { state: OrderState; coldChainRisk: boolean }

function invalid(from: OrderState, action: string): never {
  throw ApplicationFailure.nonRetryable(`cannot ${action} a fulfilment that is ${from}`, 'InvalidTransition');
}

/**
 * One node's part of an order: allocated → picking → packed → dispatched → delivered, or
 * cancelled / rejected / returned. Pickers and couriers drive it with validated updates: an
 * invalid move is refused before it reaches history, with a message saying why.
 */
export async function fulfilmentWorkflow(input: FulfilmentInput): Promise<FulfilmentOutcome> {
  let state: OrderState = 'allocated';
  let totes: Tote[] = input.totes;
  let pickerId: string | null = null;
  let courierId: string | null = null;
  let coldChainRisk = false;
  let inspectAtDoor = false;
  let busy = false; // one update at a time mutates state
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);

  const detail = (): FulfilmentDetail => ({ fulfilmentId: input.fulfilmentId, orderId: input.orderId, nodeId: input.nodeId, state, totes, pickerId, courierId, coldChainRisk, inspectAtDoor });
  const lotIds = () => [...new Set(totes.flatMap((t) => t.lines.flatMap((l) => l.lots.map((x) => x.lotId))))];

  const moveTo = async (to: OrderState, data: Record<string, unknown> = {}): Promise<void> => {
    state = to;
    upsertSearchAttributes([{ key: ORDER_STATUS, value: to }]);
    await local.appendOrderEvent({ orderId: input.orderId, key: `${input.fulfilmentId}:${to}`, type: to, nodeId: input.nodeId, data: { fulfilmentId: input.fulfilmentId, ...data } });
    await parent.signal(fulfilmentStateSignal, { fulfilmentId: input.fulfilmentId, state: to, coldChainRisk });
  };

  /** Run one state change exclusively; validators already checked the move. */
  const exclusive = async (fn: () => Promise<void>): Promise<FulfilmentDetail> => {
    await condition(() => !busy);
    busy = true;
    try {
      await fn();
    } finally {
      busy = false;
    }
    return detail();
  };

  const guard = (to: OrderState, action: string) => () => {
    if (!canTransition(state, to)) invalid(state, action);
  };

  setHandler(fulfilmentStatusQuery, detail);

  setHandler(startPickingUpdate, ({ pickerId: who }) => exclusive(async () => {
    pickerId = who;
    await moveTo('picking', { pickerId: who });
  }), {
    validator: ({ pickerId: who }) => {
      guard('picking', 'start picking')();
      if (!who) throw new Error('pickerId is required');
    },
  });

  setHandler(packedUpdate, () => exclusive(() => moveTo('packed')), { validator: guard('packed', 'pack') });

  setHandler(dispatchedUpdate, ({ courierId: who }) => exclusive(async () => {
    courierId = who;
    await acts.commitReservations({ orderId: input.orderId, nodeId: input.nodeId });
    await moveTo('dispatched', { courierId: who });
  }), {
    validator: ({ courierId: who }) => {
      guard('dispatched', 'dispatch')();
      if (!who) throw new Error('courierId is required');
    },
  });

  setHandler(deliveredUpdate, () => exclusive(() => moveTo('delivered')), { validator: guard('delivered', 'deliver') });

  setHandler(rejectedAtDoorUpdate, ({ lines }) => exclusive(async () => {
    const doorLines = totes.flatMap((t) => t.lines);
    const facts = await acts.skuFacts([...new Set(doorLines.map((l) => l.sku))]);
    const outcome = resolveDoorRejection(
      doorLines.map((l) => ({ lineId: l.lineId, qty: l.qty, sku: facts[l.sku] ?? { perishable: true, unitPriceCents: 0 } })),
      lines,
    );
    const settlements: ReturnSettlement[] = outcome.lines.map((l) => {
      const line = doorLines.find((d) => d.lineId === l.lineId);
      return { lineId: l.lineId, lotId: line?.lots[0]?.lotId ?? null, qty: l.qty, restock: l.restock, creditCents: l.creditCents, reason: 'door_rejection' };
    });
    await acts.settleReturns({ orderId: input.orderId, lines: settlements });
    const replacements: OrderLine[] = outcome.lines
      .filter((l) => l.replacement)
      .map((l) => ({ lineId: `${l.lineId}-r`, sku: doorLines.find((d) => d.lineId === l.lineId)?.sku ?? '', qty: l.qty }));
    if (replacements.length) await parent.signal(replacementSignal, { fulfilmentId: input.fulfilmentId, lines: replacements });
    await moveTo(outcome.nextState, { rejection: outcome.full ? 'full' : 'partial', creditCents: outcome.totalCreditCents, lines: outcome.lines });
  }), {
    validator: ({ lines }) => {
      if (state !== 'dispatched') invalid(state, 'record a door rejection on');
      if (!Array.isArray(lines) || lines.length === 0) throw new Error('lines must name at least one rejected line');
      const doorLines = totes.flatMap((t) => t.lines);
      // Same checks resolveDoorRejection makes, with prices irrelevant here.
      resolveDoorRejection(doorLines.map((l) => ({ lineId: l.lineId, qty: l.qty, sku: { perishable: true, unitPriceCents: 0 } })), lines);
    },
  });

  setHandler(cancelFulfilmentSignal, ({ reason }) => {
    void exclusive(async () => {
      if (state === 'allocated') {
        await acts.releaseReservations({ orderId: input.orderId, lotIds: lotIds(), slot: { nodeId: input.nodeId, slotKey: input.slotKey } });
        await moveTo('cancelled', { reason });
      } else if (state === 'picking' || state === 'packed') {
        // Picking has begun, so the cancel is a return: the goods leave the shelf, then the
        // returns rule decides per line (perishables written off, sellable ambient restocked).
        const lines = totes.flatMap((t) => t.lines);
        const facts = await acts.skuFacts([...new Set(lines.map((l) => l.sku))]);
        await acts.commitReservations({ orderId: input.orderId, nodeId: input.nodeId });
        const settlements: ReturnSettlement[] = lines.map((l) => {
          const out = resolveReturnLine({ sku: facts[l.sku] ?? { perishable: true, unitPriceCents: 0 }, qty: l.qty, condition: 'sellable', customerChoice: 'refund' });
          return { lineId: l.lineId, lotId: l.lots[0]?.lotId ?? null, qty: l.qty, restock: out.restock, creditCents: out.creditCents, reason: 'cancel_after_pick' };
        });
        await acts.settleReturns({ orderId: input.orderId, lines: settlements });
        await moveTo('returned', { reason, restocked: settlements.filter((x) => x.restock).map((x) => x.lineId), writtenOff: settlements.filter((x) => !x.restock).map((x) => x.lineId) });
      }
    });
  });

  setHandler(quarantineLotsSignal, (q) => {
    void exclusive(async () => {
      const hit = new Set(q.lotIds);
      const affected = totes.flatMap((t) => t.lines).filter((l) => l.lots.some((x) => hit.has(x.lotId)));
      if (affected.length === 0) return;
      if (state === 'dispatched' || state === 'delivered') {
        coldChainRisk = true;
        inspectAtDoor = state === 'dispatched';
        upsertSearchAttributes([{ key: COLD_CHAIN_RISK, value: true }]);
        await local.appendOrderEvent({ orderId: input.orderId, key: `${input.fulfilmentId}:risk:${q.alertId}`, type: 'cold_chain_risk', nodeId: input.nodeId, data: { alertId: q.alertId, lotIds: q.lotIds, inspectAtDoor } });
        await parent.signal(fulfilmentStateSignal, { fulfilmentId: input.fulfilmentId, state, coldChainRisk });
        return;
      }
      if (state !== 'allocated' && state !== 'picking' && state !== 'packed') return;
      // Undispatched: give the affected lines back and let the order find them elsewhere.
      const affectedIds = new Set(affected.map((l) => l.lineId));
      await acts.releaseReservations({ orderId: input.orderId, lotIds: [...new Set(affected.flatMap((l) => l.lots.map((x) => x.lotId)))] });
      totes = totes.map((t) => ({ ...t, lines: t.lines.filter((l) => !affectedIds.has(l.lineId)) })).filter((t) => t.lines.length > 0);
      await local.appendOrderEvent({ orderId: input.orderId, key: `${input.fulfilmentId}:quarantine:${q.alertId}`, type: 'lines_quarantined', nodeId: input.nodeId, data: { alertId: q.alertId, lineIds: [...affectedIds] } });
      await parent.signal(reallocateLinesSignal, { fulfilmentId: input.fulfilmentId, lines: affected.map((l) => ({ lineId: l.lineId, sku: l.sku, qty: l.qty })), reason: `quarantine:${q.alertId}` });
      if (totes.length === 0) {
        if (state === 'allocated') await acts.releaseReservations({ orderId: input.orderId, lotIds: [], slot: { nodeId: input.nodeId, slotKey: input.slotKey } });
        await moveTo('cancelled', { reason: 'every line re-allocated after quarantine' });
      }
    });
  });

  await moveTo('allocated', { totes: totes.map((t) => ({ zone: t.zone, lines: t.lines.length })), deliveryId: input.deliveryId });
  await condition(() => !busy && (state === 'delivered' || state === 'cancelled' || state === 'rejected' || state === 'returned'));
  await condition(allHandlersFinished);
  return { state, coldChainRisk };
}
