import {
  allHandlersFinished, ApplicationFailure, condition, defineSignal, getExternalWorkflowHandle, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { OrderActivities, ReturnSettlement } from '../activities/orders';
import type { PickingActivities } from '../activities/picking';
import { canTransition, resolveDoorRejection, resolveReturnLine, takeFromLots } from '../domain/orders';
import { cutLine } from '../domain/orders/shortfall';
import type { OrderLine, OrderState, Tote } from '../domain/orders';
import {
  cancelFulfilmentSignal, claimPickUpdate, confirmPickUpdate, decideSubstitutionUpdate, deliveredUpdate, dispatchedUpdate, fulfilmentStateSignal, fulfilmentStatusQuery,
  handOverUpdate, packedUpdate, pickLineStartUpdate, pickViewQuery, proposeSubstitutionUpdate, quarantineLotsSignal, reallocateLinesSignal, rejectedAtDoorUpdate,
  replacementSignal, shortPickUpdate, skipLineUpdate, stageTotesUpdate, startPickingUpdate,
} from './messages';
import type { FulfilmentDetail, FulfilmentInput, PickActionName, PickActionResult, PickView } from './messages';
import {
  checkClaim, checkConfirm, checkDecision, checkShort, checkSkip, checkStage, checkStart, checkSubstitute, claimZones, confirmPick, decideSubstitute, initialPickState,
  nothingToDeliver, packBlocker, PickRefusal, pickersOf, proposeSubstitute, quarantineLines, removeLines, shortLine, skipLine, stage, startLine, totesOf, withCredit,
} from './picking';
import type { PickState } from './picking';
import { COLD_CHAIN_RISK, ORDER_STATUS } from './search-attributes';

const acts = proxyActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });
const local = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' } });
const picking = proxyActivities<PickingActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });
const pickingLocal = proxyLocalActivities<PickingActivities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' } });

/** How long a best-match substitute waits for the customer before it stands (Instacart rule), unless the order's policy says otherwise. */
export const SUBSTITUTION_DECISION_MS = 3 * 60_000;

/**
 * Marks executions that tell the parent about their final state after answering the update
 * that caused it, not before: the parent ends (and its close policy terminates children) as
 * soon as every fulfilment is done, which could cut off this workflow's last update answer (a
 * courier's `delivered` then failed although it was recorded). Executions started before the
 * patch replay the old way.
 */
const FINAL_SIGNAL_PATCH = 'fulfilment-final-state-signal-on-completion';
// Histories recorded before this patch committed a cancelled fulfilment's whole allocation and
// wrote off its perishables, picked or not: units still on the shelf vanished from stock.
const CANCEL_PICKED_ONLY_PATCH = 'cancel-after-pick-returns-picked-units-only';
// Histories recorded before this patch appended each order event in a local activity of its
// own, ahead of the view's; since, one local activity writes both (half the activations).
const EVENTS_WITH_SYNC_PATCH = 'fulfilment-events-with-sync';
// Histories recorded before this patch released every hold of a quarantined line's lots, units
// already in the tote included (and other lines' holds on the same lots with them); since, the
// quarantined units picked are written off and exactly the lines' holds are released, together
// with the order event, in one activity.
const QUARANTINE_PICKED_PATCH = 'quarantine-writes-off-picked-units';
// A count or POS sale took units this fulfilment held (db/stock.ts already shrank the holds):
// the lines lose them and the order re-allocates them. Only histories that received the signal
// run the handler; the marker names the change in the Temporal UI.
const STOCK_SHORTFALL_PATCH = 'stock-shortfall-reallocates';

/** Units of held lots that a count or sale took (db/stock.ts recorded and released them). */
export interface StockShortfall { adjustmentId: string; cuts: { lotId: string; lineId: string; qty: number }[] }
/** Stock API → fulfilment: re-allocate units a count or POS sale took from its holds. */
export const stockShortfallSignal = defineSignal<[StockShortfall]>('stockShortfall');

const FINAL: ReadonlySet<OrderState> = new Set(['delivered', 'cancelled', 'rejected', 'returned']);

/** Outcome of one node's part of an order. */
export interface FulfilmentOutcome { state: OrderState; coldChainRisk: boolean }

function invalid(from: OrderState, action: string): never {
  throw ApplicationFailure.nonRetryable(`cannot ${action} a fulfilment that is ${from}`, 'InvalidTransition');
}

/** Run a pure check inside a handler: a refusal fails the update (409 at the API), never the workflow task. */
function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PickRefusal) throw ApplicationFailure.nonRetryable(err.message, 'InvalidTransition');
    throw err;
  }
}

/**
 * One node's part of an order: allocated → picking → packed → dispatched → delivered, or
 * cancelled / rejected / returned. Pickers and couriers drive it with validated updates: an
 * invalid move is refused before it reaches history, with a message saying why. Picking is
 * line by line (workflows/picking.ts); every picker action carries an idempotency key, and a
 * repeated key answers what the first request got without doing anything again.
 */
export async function fulfilmentWorkflow(input: FulfilmentInput): Promise<FulfilmentOutcome> {
  let state: OrderState = 'allocated';
  let pick: PickState = initialPickState(input.fulfilmentId, input.totes);
  // The allocated totes, less units a count or sale took (stockShortfallSignal).
  let baseTotes: Tote[] = input.totes;
  let totes: Tote[] = input.totes;
  let pickerId: string | null = null;
  let courierId: string | null = null;
  let coldChainRisk = false;
  let inspectAtDoor = false;
  let busy = false; // one update at a time mutates state
  let version = 0;
  const allocatedAt = Date.now();
  const processed = new Map<string, { fingerprint: string; result: PickActionResult }>();
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);

  const detail = (): FulfilmentDetail => ({ fulfilmentId: input.fulfilmentId, orderId: input.orderId, nodeId: input.nodeId, state, totes, pickerId, courierId, coldChainRisk, inspectAtDoor });
  const view = (): PickView => ({
    fulfilmentId: input.fulfilmentId, orderId: input.orderId, nodeId: input.nodeId, nodeKind: input.nodeKind, state, slot: input.slot, pickDeadlineMs: input.pickDeadlineMs,
    allocatedAt, zones: [...pick.zones], lines: [...pick.lines], staging: pick.staging, courierId, version,
  });
  const lotIds = () => [...new Set(totes.flatMap((t) => t.lines.flatMap((l) => l.lots.map((x) => x.lotId))))];
  const setPick = (next: PickState): void => {
    pick = next;
    totes = totesOf(baseTotes, pick);
  };
  // Events wait for the next sync and are written with the view in one local activity; every
  // change that records an event publishes its view right after, before any answer goes out.
  const eventsWithSync = patched(EVENTS_WITH_SYNC_PATCH);
  const pendingEvents: { orderId: string; key: string; type: string; nodeId: string; data: Record<string, unknown>; atMs: number }[] = [];
  const event = async (key: string, type: string, data: Record<string, unknown>): Promise<void> => {
    const e = { orderId: input.orderId, key: `${input.fulfilmentId}:${key}`, type, nodeId: input.nodeId, data: { fulfilmentId: input.fulfilmentId, ...data } };
    // Workflow time: the same on a retried or replayed local activity, so the event's
    // (key, time) is too and a second write is a no-op.
    if (eventsWithSync) pendingEvents.push({ ...e, atMs: Date.now() });
    else await local.appendOrderEvent(e);
  };

  /** Publish the picking view to the open-task table the picker API reads (with the events since the last one). */
  const sync = async (): Promise<void> => {
    version++;
    const events = pendingEvents.splice(0);
    await pickingLocal.syncPickTask({ view: view(), pickers: pickersOf(pick), ...(events.length ? { events } : {}) });
  };

  let signalOnCompletion = false;
  const moveTo = async (to: OrderState, data: Record<string, unknown> = {}): Promise<void> => {
    state = to;
    upsertSearchAttributes([{ key: ORDER_STATUS, value: to }]);
    await event(to, to, data);
    await sync();
    if (FINAL.has(to) && patched(FINAL_SIGNAL_PATCH)) {
      signalOnCompletion = true; // sent at the end, below
      return;
    }
    await parent.signal(fulfilmentStateSignal, { fulfilmentId: input.fulfilmentId, state: to, coldChainRisk });
  };

  /**
   * Run one state change at a time, in arrival order; handlers re-check after waiting their
   * turn. A promise chain, not `condition(() => !busy)`: the SDK unblocks every waiter whose
   * condition holds in the same activation, so two waiters could both get through.
   */
  let turn: Promise<void> = Promise.resolve();
  const serial = async <T>(fn: () => Promise<T>): Promise<T> => {
    const previous = turn;
    let release!: () => void;
    turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
      release();
    }
  };
  const exclusive = async (fn: () => Promise<void>): Promise<FulfilmentDetail> => {
    await serial(fn);
    return detail();
  };

  const guard = (to: OrderState, action: string) => () => {
    if (!canTransition(state, to)) invalid(state, action);
  };

  const dispatch = async (who: string): Promise<void> => {
    courierId = who;
    await acts.commitReservations({ orderId: input.orderId, nodeId: input.nodeId, allocationKey: input.allocationKey });
    await moveTo('dispatched', { courierId: who });
  };

  /** Every line dealt with and nothing in the totes: there is nothing to deliver from here. */
  const closeIfEmpty = async (): Promise<void> => {
    if (state === 'picking' && nothingToDeliver(pick)) await moveTo('cancelled', { reason: 'nothing picked: every line was short' });
  };

  /** Carry out a decided substitute: accepted → allocated as a new line; refused → refunded. */
  const settleSubstitute = async (lineId: string): Promise<string> => {
    const line = pick.lines.find((l) => l.lineId === lineId)!;
    const sub = line.short!.substitution!;
    if (sub.status === 'accepted') {
      await parent.signal(reallocateLinesSignal, { fulfilmentId: input.fulfilmentId, lines: [{ lineId: sub.newLineId, sku: sub.sku, qty: sub.qty }], reason: `substitution:${lineId}` });
      await event(`substitution:${lineId}`, 'substitution_accepted', { lineId, sku: sub.sku, qty: sub.qty, newLineId: sub.newLineId, decidedBy: sub.decidedBy });
      return `substitute accepted${sub.decidedBy === 'policy' ? " by the customer's policy" : ''}: ${sub.qty} × ${sub.sku} allocated as line ${sub.newLineId}`;
    }
    const credit = await picking.refundLine({ orderId: input.orderId, lineId, sku: line.sku, qty: line.short!.missing, reason: 'substitution_refused' });
    setPick(withCredit(pick, lineId, credit));
    await event(`substitution:${lineId}`, 'substitution_refused', { lineId, sku: sub.sku, decidedBy: sub.decidedBy, creditCents: credit });
    return `substitute refused${sub.decidedBy === 'policy' ? " by the customer's policy" : ''}: ${line.short!.missing} × ${line.sku} refunded (${credit} cents)`;
  };

  /** A best-match substitute stands when the customer does not answer in time. */
  const awaitDecision = (lineId: string, decideByMs: number): void => {
    const pending = () => pick.lines.find((l) => l.lineId === lineId)?.short?.substitution?.status === 'pending';
    void (async () => {
      if (await condition(() => !pending() || state !== 'picking', Math.max(1, decideByMs - Date.now()))) return;
      await serial(async () => {
        if (!pending() || state !== 'picking') return;
        setPick(decideSubstitute(pick, lineId, true, 'timeout'));
        await settleSubstitute(lineId);
        await sync();
      });
    })();
  };

  const fingerprint = (action: PickActionName, a: object): string =>
    JSON.stringify([action, Object.entries(a).filter(([k]) => k !== 'idempotencyKey').sort(([x], [y]) => (x < y ? -1 : 1))]);
  /** The stored answer to a repeated idempotency key; a key reused for another request is refused. */
  const replayOf = (action: PickActionName, a: { idempotencyKey: string }): PickActionResult | undefined => {
    const prior = processed.get(a.idempotencyKey);
    if (!prior) return undefined;
    if (prior.fingerprint !== fingerprint(action, a)) {
      throw new PickRefusal(`idempotency key ${a.idempotencyKey} was already used for a different ${prior.result.action} request on this fulfilment`);
    }
    return { ...prior.result, replayed: true };
  };

  /**
   * Register a picker action: validated before it is accepted (refusals never reach history),
   * checked again when its turn comes, answered once per idempotency key.
   */
  function pickerAction<A extends { idempotencyKey: string }>(def: UpdateDefinition<PickActionResult, [A]>, action: PickActionName, check: (a: A) => unknown, run: (a: A) => Promise<string>): void {
    setHandler(
      def,
      (a) =>
        serial(async () => {
          const replay = refusing(() => replayOf(action, a));
          if (replay) return replay;
          refusing(() => check(a));
          const outcome = await run(a);
          await sync();
          const lineId = 'lineId' in a && typeof a.lineId === 'string' ? a.lineId : null;
          const result: PickActionResult = { idempotencyKey: a.idempotencyKey, action, lineId, outcome, replayed: false, task: view() };
          processed.set(a.idempotencyKey, { fingerprint: fingerprint(action, a), result });
          return result;
        }),
      {
        validator: (a) => {
          if (typeof a?.idempotencyKey !== 'string' || !a.idempotencyKey) throw new PickRefusal('idempotencyKey is required');
          if (replayOf(action, a)) return;
          check(a);
        },
      },
    );
  }

  setHandler(fulfilmentStatusQuery, detail);
  setHandler(pickViewQuery, view);

  // A repeated start by the same picker is a no-op; a tote someone else holds is refused.
  setHandler(startPickingUpdate, ({ pickerId: who }) => exclusive(async () => {
    const zones = refusing(() => checkClaim(pick, state, who, null));
    setPick(claimZones(pick, who, zones, null));
    pickerId ??= who;
    if (state === 'allocated') await moveTo('picking', { pickerId: who });
    else if (zones.length) await sync();
  }), {
    validator: ({ pickerId: who }) => {
      if (!who) throw new Error('pickerId is required');
      checkClaim(pick, state, who, null);
    },
  });

  pickerAction(claimPickUpdate, 'claim', (a) => checkClaim(pick, state, a.pickerId, a.zones), async (a) => {
    const zones = checkClaim(pick, state, a.pickerId, a.zones);
    setPick(claimZones(pick, a.pickerId, zones, a.waveId));
    pickerId ??= a.pickerId;
    if (state === 'allocated') await moveTo('picking', { pickerId: a.pickerId, zones, waveId: a.waveId });
    else if (zones.length) await event(`claim:${zones.join(',')}`, 'pick_claimed', { pickerId: a.pickerId, zones, waveId: a.waveId });
    return zones.length ? `claimed the ${zones.join(' and ')} tote` : 'already yours';
  });

  pickerAction(pickLineStartUpdate, 'start', (a) => checkStart(pick, state, a), async (a) => {
    setPick(startLine(pick, a.lineId));
    const line = pick.lines.find((l) => l.lineId === a.lineId)!;
    return `go to ${line.lots.find((x) => x.picked < x.qty)?.bin ?? 'the shelf'} for ${line.qty - line.picked} × ${line.sku}`;
  });

  pickerAction(confirmPickUpdate, 'confirm', (a) => checkConfirm(pick, state, a), async (a) => {
    setPick(confirmPick(pick, a));
    const line = pick.lines.find((l) => l.lineId === a.lineId)!;
    if (line.status === 'picked') await event(`picked:${line.lineId}`, 'line_picked', { lineId: line.lineId, qty: line.picked });
    return `picked ${line.picked} of ${line.qty}`;
  });

  pickerAction(shortPickUpdate, 'short', (a) => checkShort(pick, state, a), async (a) => {
    const line = pick.lines.find((l) => l.lineId === a.lineId)!;
    const r = shortLine(pick, a.lineId, a.reason, input.fulfilmentId);
    // Stock first, so re-allocation cannot choose the units that are not there.
    await picking.recordShortPick({ orderId: input.orderId, fulfilmentId: input.fulfilmentId, allocationKey: input.allocationKey, lineId: a.lineId, reason: a.reason, lots: r.shortfalls });
    setPick(r.state);
    await parent.signal(reallocateLinesSignal, { fulfilmentId: input.fulfilmentId, lines: [{ lineId: r.reallocatedAs, sku: line.sku, qty: r.missing }], reason: `short_pick:${a.reason}` });
    await event(`short:${a.lineId}`, 'short_picked', { lineId: a.lineId, reason: a.reason, picked: line.picked, missing: r.missing, reallocatedAs: r.reallocatedAs, pickerId: a.pickerId });
    await closeIfEmpty();
    return `short ${r.missing} of ${line.qty}: re-allocating as line ${r.reallocatedAs}`;
  });

  pickerAction(skipLineUpdate, 'skip', (a) => checkSkip(pick, state, a), async (a) => {
    setPick(skipLine(pick, a.lineId));
    return `skipped: line ${a.lineId} moves to the end of the ${pick.lines.find((l) => l.lineId === a.lineId)!.zone} path`;
  });

  pickerAction(proposeSubstitutionUpdate, 'substitute', (a) => checkSubstitute(pick, state, a), async (a) => {
    const policy = await pickingLocal.substitutionPolicy({ orderId: input.orderId, lineId: a.lineId });
    const decideByMs = Date.now() + (policy.decisionWindowS ? policy.decisionWindowS * 1000 : SUBSTITUTION_DECISION_MS);
    // Re-checked after the lookup: a refusal here (the customer wants another item) changes nothing.
    refusing(() => checkSubstitute(pick, state, a));
    const r = refusing(() => proposeSubstitute(pick, a, policy, input.fulfilmentId, decideByMs));
    await picking.recordShortPick({ orderId: input.orderId, fulfilmentId: input.fulfilmentId, allocationKey: input.allocationKey, lineId: a.lineId, reason: a.reason, lots: r.shortfalls });
    setPick(r.state);
    await event(`substitute:${a.lineId}`, 'substitution_proposed', { lineId: a.lineId, reason: a.reason, missing: r.missing, sku: a.sku, qty: a.qty, policy: policy.policy, status: r.status });
    if (r.status === 'pending') {
      awaitDecision(a.lineId, decideByMs);
      return `substitute proposed: waiting for the customer (your best match stands after ${Math.round((decideByMs - Date.now()) / 1000)} s)`;
    }
    const outcome = await settleSubstitute(a.lineId);
    await closeIfEmpty();
    return outcome;
  });

  pickerAction(decideSubstitutionUpdate, 'decide', (a) => checkDecision(pick, state, a.lineId, a.accept), async (a) => {
    if (checkDecision(pick, state, a.lineId, a.accept) === 'same') return `already ${a.accept ? 'accepted' : 'refused'}`;
    setPick(decideSubstitute(pick, a.lineId, a.accept, 'customer'));
    const outcome = await settleSubstitute(a.lineId);
    await closeIfEmpty();
    return outcome;
  });

  pickerAction(stageTotesUpdate, 'stage', (a) => checkStage(pick, state, a), async (a) => {
    setPick(stage(pick, a.toteLabels, a.location, Date.now()));
    await moveTo('packed', { pickerId: a.pickerId, location: pick.staging!.location, toteLabels: pick.staging!.toteLabels });
    return `staged ${pick.staging!.toteLabels.length} tote(s) at ${pick.staging!.location}`;
  });

  pickerAction(handOverUpdate, 'handOver', (a) => {
    guard('dispatched', 'hand over')();
    if (!pick.zones.some((z) => z.pickerId === a.pickerId)) throw new PickRefusal('this fulfilment is not yours: hand over only totes you picked');
    if (!a.courierId) throw new PickRefusal('courierId is required');
  }, async (a) => {
    await dispatch(a.courierId);
    return `handed over to courier ${a.courierId}`;
  });

  setHandler(packedUpdate, () => exclusive(async () => {
    const blocker = packBlocker(pick);
    if (blocker) throw ApplicationFailure.nonRetryable(`cannot pack: ${blocker}`, 'InvalidTransition');
    await moveTo('packed');
  }), {
    validator: () => {
      guard('packed', 'pack')();
      const blocker = packBlocker(pick);
      if (blocker) throw new PickRefusal(`cannot pack: ${blocker}`);
    },
  });

  setHandler(dispatchedUpdate, ({ courierId: who }) => exclusive(() => dispatch(who)), {
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
      const lots = takeFromLots(line?.lots ?? [], l.qty);
      return { lineId: l.lineId, lotId: lots[0]?.lotId ?? null, qty: l.qty, lots, restock: l.restock, creditCents: l.creditCents, reason: 'door_rejection' };
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
        await acts.releaseReservations({ orderId: input.orderId, allocationKey: input.allocationKey, lotIds: lotIds(), slot: { nodeId: input.nodeId, slotKey: input.slotKey } });
        await moveTo('cancelled', { reason });
      } else if (state === 'picking' || state === 'packed') {
        // Picking has begun, so the cancel is a return: the customer is refunded every line,
        // and what the picker took off the shelf comes back under the returns rule
        // (perishables written off, sellable ambient restocked).
        const lines = totes.flatMap((t) => t.lines);
        const facts = await acts.skuFacts([...new Set(lines.map((l) => l.sku))]);
        const refund = (l: (typeof lines)[number]) => resolveReturnLine({ sku: facts[l.sku] ?? { perishable: true, unitPriceCents: 0 }, qty: l.qty, condition: 'sellable', customerChoice: 'refund' });
        let settlements: ReturnSettlement[];
        if (patched(CANCEL_PICKED_ONLY_PATCH)) {
          // Units still on the shelf never left it: their holds are released, not returned.
          const pickedLots = (lineId: string) => (pick.lines.find((p) => p.lineId === lineId)?.lots ?? []).filter((x) => x.picked > 0).map((x) => ({ lotId: x.lotId, qty: x.picked }));
          await acts.commitPickedReleaseRest({ orderId: input.orderId, nodeId: input.nodeId, allocationKey: input.allocationKey, picked: lines.flatMap((l) => pickedLots(l.lineId)) });
          settlements = lines.map((l) => {
            const out = refund(l);
            const lots = pickedLots(l.lineId);
            return { lineId: l.lineId, lotId: lots[0]?.lotId ?? null, qty: l.qty, lots, restock: out.restock, creditCents: out.creditCents, reason: 'cancel_after_pick' };
          });
        } else {
          await acts.commitReservations({ orderId: input.orderId, nodeId: input.nodeId, allocationKey: input.allocationKey });
          settlements = lines.map((l) => {
            const out = refund(l);
            return { lineId: l.lineId, lotId: l.lots[0]?.lotId ?? null, qty: l.qty, restock: out.restock, creditCents: out.creditCents, reason: 'cancel_after_pick' };
          });
        }
        await acts.settleReturns({ orderId: input.orderId, lines: settlements });
        // A line with nothing picked came back to nobody: it was only released.
        const cameBack = settlements.filter((x) => (x.lots?.length ?? 1) > 0);
        await moveTo('returned', { reason, restocked: cameBack.filter((x) => x.restock).map((x) => x.lineId), writtenOff: cameBack.filter((x) => !x.restock).map((x) => x.lineId) });
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
        await local.appendOrderEvent({ orderId: input.orderId, key: `${input.fulfilmentId}:risk:${q.alertId}`, type: 'cold_chain_risk', nodeId: input.nodeId, data: { alertId: q.alertId, lotIds: q.lotIds, inspectAtDoor }, at: Date.now() });
        await parent.signal(fulfilmentStateSignal, { fulfilmentId: input.fulfilmentId, state, coldChainRisk });
        return;
      }
      if (state !== 'allocated' && state !== 'picking' && state !== 'packed') return;
      // Undispatched: give the affected lines back and let the order find them elsewhere.
      const affectedIds = new Set(affected.map((l) => l.lineId));
      const eventKey = `${input.fulfilmentId}:quarantine:${q.alertId}`;
      if (patched(QUARANTINE_PICKED_PATCH)) {
        // Quarantined units in a tote are not back on the shelf: written off, not released.
        const effect = quarantineLines(totes, pick, hit);
        await picking.settleQuarantinedLines({
          orderId: input.orderId, fulfilmentId: input.fulfilmentId, allocationKey: input.allocationKey, alertId: q.alertId, writeOff: effect.writeOff, release: effect.release,
          event: { orderId: input.orderId, key: eventKey, type: 'lines_quarantined', nodeId: input.nodeId, atMs: Date.now(), data: { fulfilmentId: input.fulfilmentId, alertId: q.alertId, lineIds: [...affectedIds], writtenOff: effect.writeOff, putBack: effect.putBack } },
        });
        setPick(removeLines(pick, affectedIds));
      } else {
        await acts.releaseReservations({ orderId: input.orderId, allocationKey: input.allocationKey, lotIds: [...new Set(affected.flatMap((l) => l.lots.map((x) => x.lotId)))] });
        setPick(removeLines(pick, affectedIds));
        await local.appendOrderEvent({ orderId: input.orderId, key: eventKey, type: 'lines_quarantined', nodeId: input.nodeId, data: { alertId: q.alertId, lineIds: [...affectedIds] }, at: Date.now() });
      }
      await parent.signal(reallocateLinesSignal, { fulfilmentId: input.fulfilmentId, lines: affected.map((l) => ({ lineId: l.lineId, sku: l.sku, qty: l.qty })), reason: `quarantine:${q.alertId}` });
      if (totes.length === 0) {
        if (state === 'allocated') await acts.releaseReservations({ orderId: input.orderId, allocationKey: input.allocationKey, lotIds: [], slot: { nodeId: input.nodeId, slotKey: input.slotKey } });
        await moveTo('cancelled', { reason: 'every line re-allocated after quarantine' });
      } else {
        await sync();
      }
    });
  });

  const seenShortfalls = new Set<string>();
  let shortfallSeq = 0;
  setHandler(stockShortfallSignal, (s) => {
    void exclusive(async () => {
      if (seenShortfalls.has(s.adjustmentId) || (state !== 'allocated' && state !== 'picking')) return;
      seenShortfalls.add(s.adjustmentId);
      if (!patched(STOCK_SHORTFALL_PATCH)) return;
      const lines: OrderLine[] = [];
      for (const c of s.cuts) {
        const line = pick.lines.find((l) => l.lineId === c.lineId);
        if (!line || c.qty <= 0) continue;
        const cut = cutLine(line, c.lotId, c.qty);
        const taken = line.qty - (cut?.qty ?? 0);
        if (taken <= 0) continue;
        baseTotes = baseTotes.map((t) => ({ ...t, lines: t.lines.flatMap((l) => (l.lineId !== c.lineId ? [l] : [cutLine(l, c.lotId, taken)].filter((x) => x !== undefined))) }));
        setPick(cut ? { ...pick, lines: pick.lines.map((l) => (l.lineId === c.lineId ? cut : l)) } : removeLines(pick, new Set([c.lineId])));
        lines.push({ lineId: `${c.lineId}-x${++shortfallSeq}`, sku: line.sku, qty: taken });
      }
      if (!lines.length) return;
      await parent.signal(reallocateLinesSignal, { fulfilmentId: input.fulfilmentId, lines, reason: `stock_shortfall:${s.adjustmentId}` });
      await event(`stock_shortfall:${s.adjustmentId}`, 'stock_shortfall_reallocated', { adjustmentId: s.adjustmentId, lines });
      if (totes.length === 0 && state === 'allocated') {
        await acts.releaseReservations({ orderId: input.orderId, allocationKey: input.allocationKey, lotIds: [], slot: { nodeId: input.nodeId, slotKey: input.slotKey } });
        await moveTo('cancelled', { reason: 'every line lost its stock to a count or sale and was re-allocated' });
      } else {
        await closeIfEmpty();
        await sync();
      }
    });
  });

  await moveTo('allocated', { totes: totes.map((t) => ({ zone: t.zone, lines: t.lines.length })), deliveryId: input.deliveryId });
  await condition(() => !busy && (state === 'delivered' || state === 'cancelled' || state === 'rejected' || state === 'returned'));
  await condition(allHandlersFinished);
  // Only once the last update has been answered: the parent may end (and terminate this
  // workflow by its close policy) as soon as it hears, but no answer is lost any more.
  if (signalOnCompletion) await parent.signal(fulfilmentStateSignal, { fulfilmentId: input.fulfilmentId, state, coldChainRisk });
  return { state, coldChainRisk };
}
