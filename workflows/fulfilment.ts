// One node's part of an order: allocated → picking → packed → dispatched → delivered, or
// cancelled / rejected / returned. Pickers and couriers drive it with validated updates: an
// invalid move is refused before it reaches history, with a message saying why. Picking is
// line by line (domain/orders/picking.ts); every picker action carries an idempotency key, and a
// repeated key answers what the first request got without doing anything again.
//
// This file only wires messages to the state machine: the state and the moves every handler
// shares are in fulfilment-state.ts, the handlers in fulfilment-lifecycle.ts (courier side),
// fulfilment-picker.ts (picker actions) and fulfilment-interruptions.ts (cancel, quarantine,
// stock shortfall). The messages themselves are declared in fulfilment.contract.ts.
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import type { FulfilmentInput, FulfilmentOutcome } from '../domain/orders';
import {
  cancelFulfilmentSignal,
  claimPickUpdate,
  confirmPickUpdate,
  decideSubstitutionUpdate,
  deliveredUpdate,
  dispatchedUpdate,
  fulfilmentStatusQuery,
  handOverUpdate,
  packedUpdate,
  pickLineStartUpdate,
  pickViewQuery,
  proposeSubstitutionUpdate,
  quarantineLotsSignal,
  rejectedAtDoorUpdate,
  shortPickUpdate,
  skipLineUpdate,
  stageTotesUpdate,
  startPickingUpdate,
  stockShortfallSignal,
} from './fulfilment.contract';
import { FulfilmentInterruptions } from './fulfilment-interruptions';
import { FulfilmentLifecycle } from './fulfilment-lifecycle';
import { PickerActions } from './fulfilment-picker';
import { FulfilmentState } from './fulfilment-state';

/** The fulfilment workflow: see the top of this file. */
export async function fulfilmentWorkflow(input: FulfilmentInput): Promise<FulfilmentOutcome> {
  const f = new FulfilmentState(input);
  registerHandlers(f);
  await f.moveTo('allocated', {
    totes: f.totes.map((t) => ({ zone: t.zone, lines: t.lines.length })),
    deliveryId: input.deliveryId,
  });
  await condition(() => f.finished());
  await condition(allHandlersFinished);
  // State signals an update did not wait for are acknowledged before the final one goes out.
  await f.parentTold();
  // Only once the last update has been answered: the parent may end (and terminate this
  // workflow by its close policy) as soon as it hears, but no answer is lost any more.
  if (f.signalOnCompletion) await f.tellParent();
  return { state: f.state, coldChainRisk: f.coldChainRisk };
}

/** One line per message: the state machine's methods do the work. */
function registerHandlers(f: FulfilmentState): void {
  const life = new FulfilmentLifecycle(f);
  const pick = new PickerActions(f, life);
  const stop = new FulfilmentInterruptions(f);
  setHandler(fulfilmentStatusQuery, () => f.detail());
  setHandler(pickViewQuery, () => f.view());
  setHandler(startPickingUpdate, (a) => life.startPicking(a), { validator: (a) => life.validateStartPicking(a) });
  pick.register(claimPickUpdate, 'claim');
  pick.register(pickLineStartUpdate, 'start');
  pick.register(confirmPickUpdate, 'confirm');
  pick.register(shortPickUpdate, 'short');
  pick.register(skipLineUpdate, 'skip');
  pick.register(proposeSubstitutionUpdate, 'substitute');
  pick.register(decideSubstitutionUpdate, 'decide');
  pick.register(stageTotesUpdate, 'stage');
  pick.register(handOverUpdate, 'handOver');
  setHandler(packedUpdate, () => life.packed(), { validator: () => life.validatePacked() });
  setHandler(dispatchedUpdate, (a) => life.dispatched(a), { validator: (a) => life.validateDispatched(a) });
  setHandler(deliveredUpdate, () => life.delivered(), { validator: () => life.validateDelivered() });
  setHandler(rejectedAtDoorUpdate, (a) => life.rejectedAtDoor(a), { validator: (a) => life.validateRejectedAtDoor(a) });
  setHandler(cancelFulfilmentSignal, (a) => stop.cancel(a));
  setHandler(quarantineLotsSignal, (q) => stop.quarantine(q));
  setHandler(stockShortfallSignal, (s) => stop.stockShortfall(s));
}
