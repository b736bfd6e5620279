// The courier-side moves of a fulfilment: start picking (legacy, whole order), packed,
// dispatched, delivered, and a rejection at the door. Each update has a validator that refuses
// an invalid move before it reaches history, and a handler that runs under the state's mutex.
import { ApplicationFailure } from '@temporalio/workflow';
import type { ReturnSettlement } from '../activities/orders';
import { resolveDoorRejection, takeFromLots } from '../domain/orders';
import type { DoorRejectionLine, FulfilmentDetail, OrderLine, Tote } from '../domain/orders';
import { orderActivities as acts } from './activity-options';
import { invalid, refusing, UNKNOWN_SKU } from './fulfilment-state';
import type { FulfilmentState } from './fulfilment-state';
import { replacementSignal } from './order.contract';
import { checkClaim, claimZones, packBlocker, PickRefusal } from '../domain/orders/picking';

type DoorLine = Tote['lines'][number];

/** Lifecycle updates of one fulfilment. */
export class FulfilmentLifecycle {
  constructor(private readonly f: FulfilmentState) {}

  // A repeated start by the same picker is a no-op; a tote someone else holds is refused.
  startPicking({ pickerId: who }: { pickerId: string }): Promise<FulfilmentDetail> {
    const { f } = this;
    return f.exclusive(async () => {
      const zones = refusing(() => checkClaim(f.pick, f.state, who, null));
      f.setPick(claimZones(f.pick, who, zones, null));
      f.pickerId ??= who;
      if (f.state === 'allocated') await f.moveTo('picking', { pickerId: who });
      else if (zones.length) await f.sync();
    });
  }

  validateStartPicking({ pickerId: who }: { pickerId: string }): void {
    if (!who) throw new Error('pickerId is required');
    checkClaim(this.f.pick, this.f.state, who, null);
  }

  packed(): Promise<FulfilmentDetail> {
    return this.f.exclusive(async () => {
      const blocker = packBlocker(this.f.pick);
      if (blocker) throw ApplicationFailure.nonRetryable(`cannot pack: ${blocker}`, 'InvalidTransition');
      await this.f.moveTo('packed');
    });
  }

  validatePacked(): void {
    this.f.guard('packed', 'pack');
    const blocker = packBlocker(this.f.pick);
    if (blocker) throw new PickRefusal(`cannot pack: ${blocker}`);
  }

  dispatched({ courierId: who }: { courierId: string }): Promise<FulfilmentDetail> {
    return this.f.exclusive(() => this.dispatch(who));
  }

  validateDispatched({ courierId: who }: { courierId: string }): void {
    this.f.guard('dispatched', 'dispatch');
    if (!who) throw new Error('courierId is required');
  }

  /** Stock leaves the node with the courier. */
  async dispatch(who: string): Promise<void> {
    const { f } = this;
    f.courierId = who;
    await acts.commitReservations({
      orderId: f.input.orderId,
      nodeId: f.input.nodeId,
      allocationKey: f.input.allocationKey,
    });
    await f.moveTo('dispatched', { courierId: who });
  }

  delivered(): Promise<FulfilmentDetail> {
    return this.f.exclusive(() => this.f.moveTo('delivered'));
  }

  validateDelivered(): void {
    this.f.guard('delivered', 'deliver');
  }

  /** Settle the refused lines (restock or write off, credit), send replacements, and end the fulfilment. */
  rejectedAtDoor({ lines }: { lines: DoorRejectionLine[] }): Promise<FulfilmentDetail> {
    const { f } = this;
    return f.exclusive(async () => {
      const doorLines = f.totes.flatMap((t) => t.lines);
      const facts = await acts.skuFacts([...new Set(doorLines.map((l) => l.sku))]);
      const outcome = resolveDoorRejection(
        doorLines.map((l) => ({ lineId: l.lineId, qty: l.qty, sku: facts[l.sku] ?? UNKNOWN_SKU })),
        lines,
      );
      await acts.settleReturns({ orderId: f.input.orderId, lines: doorSettlements(doorLines, outcome.lines) });
      const replacements: OrderLine[] = outcome.lines
        .filter((l) => l.replacement)
        .map((l) => ({
          lineId: `${l.lineId}-r`,
          sku: doorLines.find((d) => d.lineId === l.lineId)?.sku ?? '',
          qty: l.qty,
        }));
      if (replacements.length)
        await f.parent.signal(replacementSignal, { fulfilmentId: f.input.fulfilmentId, lines: replacements });
      await f.moveTo(outcome.nextState, {
        rejection: outcome.full ? 'full' : 'partial',
        creditCents: outcome.totalCreditCents,
        lines: outcome.lines,
      });
    });
  }

  validateRejectedAtDoor({ lines }: { lines: DoorRejectionLine[] }): void {
    const { f } = this;
    if (f.state !== 'dispatched') invalid(f.state, 'record a door rejection on');
    if (!Array.isArray(lines) || lines.length === 0) throw new Error('lines must name at least one rejected line');
    const doorLines = f.totes.flatMap((t) => t.lines);
    // Same checks resolveDoorRejection makes, with prices irrelevant here.
    resolveDoorRejection(
      doorLines.map((l) => ({ lineId: l.lineId, qty: l.qty, sku: UNKNOWN_SKU })),
      lines,
    );
  }
}

/** What each refused line does to stock and credit, taken from the lots it was picked from. */
function doorSettlements(
  doorLines: readonly DoorLine[],
  refused: readonly { lineId: string; qty: number; restock: boolean; creditCents: number }[],
): ReturnSettlement[] {
  return refused.map((l) => {
    const line = doorLines.find((d) => d.lineId === l.lineId);
    const lots = takeFromLots(line?.lots ?? [], l.qty);
    return {
      lineId: l.lineId,
      lotId: lots[0]?.lotId ?? null,
      qty: l.qty,
      lots,
      restock: l.restock,
      creditCents: l.creditCents,
      reason: 'door_rejection',
    };
  });
}
