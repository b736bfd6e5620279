// The state of one FulfilmentWorkflow and the moves every handler shares: publishing the
// picking view with its events, moving the lifecycle state, telling the parent, and running
// one state change at a time. Handlers live in small classes beside it
// (fulfilment-lifecycle.ts, fulfilment-picker.ts, fulfilment-interruptions.ts).
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ExternalWorkflowHandle } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { canTransition } from '../domain/orders';
import type { FulfilmentDetail, FulfilmentInput, OrderState, PickView, Tote } from '../domain/orders';
import { orderLocalActivities as local, pickingLocalActivities as pickingLocal } from './activity-options';
import { fulfilmentStateSignal } from './order.contract';
import { EVENTS_WITH_SYNC_PATCH, FINAL_SIGNAL_PATCH, LEAN_STATE_SIGNALS_PATCH } from './patches';
import { initialPickState, nothingToDeliver, PickRefusal, pickersOf, totesOf } from '../domain/orders/picking';
import type { PickState } from '../domain/orders/picking';
import { ORDER_STATUS } from './search-attributes';

/** States a fulfilment ends in. */
export const FINAL: ReadonlySet<OrderState> = new Set(['delivered', 'cancelled', 'rejected', 'returned']);

/** Facts assumed for a SKU the catalogue no longer knows: perishable (never restocked), no credit. */
export const UNKNOWN_SKU = { perishable: true, unitPriceCents: 0 } as const;

/** An order event waiting for the next sync, stamped with workflow time. */
interface PendingEvent {
  orderId: string;
  key: string;
  type: string;
  nodeId: string;
  data: Record<string, unknown>;
  atMs: number;
}

/** Refuse a move the lifecycle does not allow (the update fails; 409 at the API). */
export function invalid(from: OrderState, action: string): never {
  throw ApplicationFailure.nonRetryable(`cannot ${action} a fulfilment that is ${from}`, 'InvalidTransition');
}

/** Run a pure check inside a handler: a refusal fails the update (409 at the API), never the workflow task. */
export function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PickRefusal) throw ApplicationFailure.nonRetryable(err.message, 'InvalidTransition');
    throw err;
  }
}

/** One node's part of an order as mutable workflow state, with the moves its handlers share. */
export class FulfilmentState {
  state: OrderState = 'allocated';
  pick: PickState;
  /** The allocated totes, less units a count or sale took (stockShortfallSignal). */
  baseTotes: Tote[];
  totes: Tote[];
  pickerId: string | null = null;
  courierId: string | null = null;
  coldChainRisk = false;
  inspectAtDoor = false;
  /** The final state is signalled to the parent once the last update is answered (FINAL_SIGNAL_PATCH). */
  signalOnCompletion = false;
  readonly parent: ExternalWorkflowHandle;
  readonly allocatedAt = Date.now();
  /**
   * One state change at a time, in arrival order (FIFO); handlers re-check after waiting their
   * turn. Not `condition(() => !busy)`: the SDK unblocks every waiter whose condition holds
   * in the same activation, so two waiters could both get through.
   */
  private readonly mutex = new Mutex();
  private version = 0;
  // Events wait for the next sync and are written with the view in one local activity; every
  // change that records an event publishes its view right after, before any answer goes out.
  private readonly eventsWithSync: boolean;
  private readonly pendingEvents: PendingEvent[] = [];
  // LEAN_STATE_SIGNALS_PATCH: state signals to the parent are queued (sent in order, each once the
  // one before is acknowledged) instead of awaited by the update; the status attribute is written
  // only when it changes.
  private readonly leanSignals: boolean;
  private parentToldSoFar: Promise<void> = Promise.resolve();
  /** The status search attribute as last written; the parent started this child with 'allocated'. */
  private statusAttribute: OrderState = 'allocated';

  constructor(readonly input: FulfilmentInput) {
    this.pick = initialPickState(input.fulfilmentId, input.totes);
    this.baseTotes = input.totes;
    this.totes = input.totes;
    this.parent = getExternalWorkflowHandle(input.parentWorkflowId);
    this.eventsWithSync = patched(EVENTS_WITH_SYNC_PATCH);
    this.leanSignals = patched(LEAN_STATE_SIGNALS_PATCH);
  }

  /** The `fulfilmentStatus` query: what the courier endpoints see. */
  detail(): FulfilmentDetail {
    const { fulfilmentId, orderId, nodeId } = this.input;
    const { state, totes, pickerId, courierId, coldChainRisk, inspectAtDoor } = this;
    return { fulfilmentId, orderId, nodeId, state, totes, pickerId, courierId, coldChainRisk, inspectAtDoor };
  }

  /** The `pickView` query, and every picker action's answer. */
  view(): PickView {
    const { fulfilmentId, orderId, nodeId, nodeKind, slot, pickDeadlineMs } = this.input;
    const { zones, lines, staging } = this.pick;
    return {
      fulfilmentId,
      orderId,
      nodeId,
      nodeKind,
      state: this.state,
      slot,
      pickDeadlineMs,
      allocatedAt: this.allocatedAt,
      zones: [...zones],
      lines: [...lines],
      staging,
      courierId: this.courierId,
      version: this.version,
    };
  }

  lotIds(): string[] {
    return [...new Set(this.totes.flatMap((t) => t.lines.flatMap((l) => l.lots.map((x) => x.lotId))))];
  }

  setPick(next: PickState): void {
    this.pick = next;
    this.totes = totesOf(this.baseTotes, this.pick);
  }

  /** A state change is running or waiting for its turn. */
  busy(): boolean {
    return this.mutex.isLocked();
  }

  /** Run one state change after the ones before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(fn);
  }

  /** Run one state change after the ones before it and answer with the fulfilment's detail. */
  async exclusive(fn: () => Promise<void>): Promise<FulfilmentDetail> {
    await this.serial(fn);
    return this.detail();
  }

  /** Refuse a lifecycle move the current state does not allow. */
  guard(to: OrderState, action: string): void {
    if (!canTransition(this.state, to)) invalid(this.state, action);
  }

  /** Record an order event (written with the next sync, or at once in histories before EVENTS_WITH_SYNC_PATCH). */
  async event(key: string, type: string, data: Record<string, unknown>): Promise<void> {
    const { orderId, fulfilmentId, nodeId } = this.input;
    const e = { orderId, key: `${fulfilmentId}:${key}`, type, nodeId, data: { fulfilmentId, ...data } };
    // Workflow time: the same on a retried or replayed local activity, so the event's
    // (key, time) is too and a second write is a no-op.
    if (this.eventsWithSync) this.pendingEvents.push({ ...e, atMs: Date.now() });
    else await local.appendOrderEvent(e);
  }

  /** Publish the picking view to the open-task table the picker API reads (with the events since the last one). */
  async sync(): Promise<void> {
    this.version++;
    const events = this.pendingEvents.splice(0);
    await pickingLocal.syncPickTask({
      view: this.view(),
      pickers: pickersOf(this.pick),
      ...(events.length ? { events } : {}),
    });
  }

  /** Move the lifecycle state: search attribute, event, view, and the parent told. */
  async moveTo(to: OrderState, data: Record<string, unknown> = {}): Promise<void> {
    this.state = to;
    this.writeStatusAttribute(to);
    await this.event(to, to, data);
    await this.sync();
    if (FINAL.has(to) && patched(FINAL_SIGNAL_PATCH)) {
      this.signalOnCompletion = true; // sent by the workflow once every update is answered
      return;
    }
    if (!this.leanSignals) return this.tellParent();
    // The parent started this child as allocated: only a raised risk is news at that point.
    if (to !== 'allocated' || this.coldChainRisk) this.tellParentLater();
  }

  private writeStatusAttribute(to: OrderState): void {
    if (this.leanSignals && to === this.statusAttribute) return;
    this.statusAttribute = to;
    upsertSearchAttributes([{ key: ORDER_STATUS, value: to }]);
  }

  /** Tell the parent order this fulfilment's state and risk, and wait for its acknowledgement. */
  async tellParent(): Promise<void> {
    if (this.leanSignals) return this.queueStateSignal();
    const { fulfilmentId } = this.input;
    await this.parent.signal(fulfilmentStateSignal, {
      fulfilmentId,
      state: this.state,
      coldChainRisk: this.coldChainRisk,
    });
  }

  /** Tell the parent without waiting; `parentTold` waits for it before the workflow completes. */
  private tellParentLater(): void {
    this.queueStateSignal().catch((err: unknown) => {
      // Nobody left to tell (the order was terminated or reset): the fulfilment goes on.
      log.warn('fulfilment state signal to the order failed', { error: String(err), state: this.state });
    });
  }

  /** Queue a state signal behind the ones before it, so the parent hears the states in order. */
  private queueStateSignal(): Promise<void> {
    const change = { fulfilmentId: this.input.fulfilmentId, state: this.state, coldChainRisk: this.coldChainRisk };
    const sent = this.parentToldSoFar.then(() => this.parent.signal(fulfilmentStateSignal, change));
    this.parentToldSoFar = sent.catch(() => undefined);
    return sent;
  }

  /** Every state signal sent so far has been acknowledged (or has failed and been logged). */
  parentTold(): Promise<void> {
    return this.parentToldSoFar;
  }

  /** Every line dealt with and nothing in the totes: there is nothing to deliver from here. */
  async closeIfEmpty(): Promise<void> {
    if (this.state === 'picking' && nothingToDeliver(this.pick))
      await this.moveTo('cancelled', { reason: 'nothing picked: every line was short' });
  }

  /** The fulfilment has ended and no state change is running. */
  finished(): boolean {
    return !this.busy() && FINAL.has(this.state);
  }
}
