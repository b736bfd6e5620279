// What may stop a fulfilment or take lines away from it, from outside: the order's cancel,
// a cold-chain quarantine of its lots, and a count or POS sale that took units it held.
// Signals: each runs as one state change under the state's mutex, after the ones before it.
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ReturnSettlement } from '../activities/orders';
import { resolveReturnLine } from '../domain/orders';
import type { ColdChainQuarantine, OrderLine, StockShortfall, Tote } from '../domain/orders';
import { cutLine } from '../domain/orders/shortfall';
import {
  orderActivities as acts,
  orderLocalActivities as local,
  pickingActivities as picking,
} from './activity-options';
import { UNKNOWN_SKU } from './fulfilment-state';
import type { FulfilmentState } from './fulfilment-state';
import { reallocateLinesSignal } from './order.contract';
import { CANCEL_PICKED_ONLY_PATCH, QUARANTINE_PICKED_PATCH, STOCK_SHORTFALL_PATCH } from './patches';
import { quarantineLines, removeLines } from '../domain/orders/picking';
import { COLD_CHAIN_RISK } from './search-attributes';

type ToteLine = Tote['lines'][number];
type Refund = (l: ToteLine) => { restock: boolean; creditCents: number };

/** Cancel, quarantine and stock-shortfall handling of one fulfilment. */
export class FulfilmentInterruptions {
  private readonly seenShortfalls = new Set<string>();
  private shortfallSeq = 0;

  constructor(private readonly f: FulfilmentState) {}

  /** Parent → child: stop (before picking: release; after: a return of what was picked). */
  cancel({ reason }: { reason: string }): void {
    void this.f.exclusive(async () => {
      if (this.f.state === 'allocated') await this.cancelBeforePicking(reason);
      else if (this.f.state === 'picking' || this.f.state === 'packed') await this.returnAfterPicking(reason);
    });
  }

  private async cancelBeforePicking(reason: string): Promise<void> {
    await this.releaseAll(this.f.lotIds());
    await this.f.moveTo('cancelled', { reason });
  }

  /** Release the allocation's holds (these lots') and the node's slot. */
  private async releaseAll(lotIds: string[]): Promise<void> {
    const { orderId, allocationKey, nodeId, slotKey } = this.f.input;
    await acts.releaseReservations({ orderId, allocationKey, lotIds, slot: { nodeId, slotKey } });
  }

  // Picking has begun, so the cancel is a return: the customer is refunded every line, and what
  // the picker took off the shelf comes back under the returns rule (perishables written off,
  // sellable ambient restocked).
  private async returnAfterPicking(reason: string): Promise<void> {
    const lines = this.f.totes.flatMap((t) => t.lines);
    const facts = await acts.skuFacts([...new Set(lines.map((l) => l.sku))]);
    const refund: Refund = (l) =>
      resolveReturnLine({
        sku: facts[l.sku] ?? UNKNOWN_SKU,
        qty: l.qty,
        condition: 'sellable',
        customerChoice: 'refund',
      });
    const settlements = patched(CANCEL_PICKED_ONLY_PATCH)
      ? await this.returnPickedOnly(lines, refund)
      : await this.returnAllocation(lines, refund);
    await acts.settleReturns({ orderId: this.f.input.orderId, lines: settlements });
    // A line with nothing picked came back to nobody: it was only released.
    const cameBack = settlements.filter((x) => (x.lots?.length ?? 1) > 0);
    const restocked = cameBack.filter((x) => x.restock).map((x) => x.lineId);
    await this.f.moveTo('returned', {
      reason,
      restocked,
      writtenOff: cameBack.filter((x) => !x.restock).map((x) => x.lineId),
    });
  }

  /** Units still on the shelf never left it: their holds are released, not returned. */
  private async returnPickedOnly(lines: ToteLine[], refund: Refund): Promise<ReturnSettlement[]> {
    const { orderId, nodeId, allocationKey } = this.f.input;
    const pickedLots = (lineId: string) =>
      (this.f.pick.lines.find((p) => p.lineId === lineId)?.lots ?? [])
        .filter((x) => x.picked > 0)
        .map((x) => ({ lotId: x.lotId, qty: x.picked }));
    await acts.commitPickedReleaseRest({
      orderId,
      nodeId,
      allocationKey,
      picked: lines.flatMap((l) => pickedLots(l.lineId)),
    });
    return lines.map((l) => {
      const out = refund(l);
      const lots = pickedLots(l.lineId);
      return {
        lineId: l.lineId,
        lotId: lots[0]?.lotId ?? null,
        qty: l.qty,
        lots,
        restock: out.restock,
        creditCents: out.creditCents,
        reason: 'cancel_after_pick',
      };
    });
  }

  /** Histories before CANCEL_PICKED_ONLY_PATCH: the whole allocation committed, every line returned. */
  private async returnAllocation(lines: ToteLine[], refund: Refund): Promise<ReturnSettlement[]> {
    const { orderId, nodeId, allocationKey } = this.f.input;
    await acts.commitReservations({ orderId, nodeId, allocationKey });
    return lines.map((l) => {
      const out = refund(l);
      return {
        lineId: l.lineId,
        lotId: l.lots[0]?.lotId ?? null,
        qty: l.qty,
        restock: out.restock,
        creditCents: out.creditCents,
        reason: 'cancel_after_pick',
      };
    });
  }

  /** Parent → child: these lots were quarantined. Dispatched: a risk flag; before: the lines go elsewhere. */
  quarantine(q: ColdChainQuarantine): void {
    void this.f.exclusive(async () => {
      const hit = new Set(q.lotIds);
      const affected = this.f.totes.flatMap((t) => t.lines).filter((l) => l.lots.some((x) => hit.has(x.lotId)));
      if (affected.length === 0) return;
      const { state } = this.f;
      if (state === 'dispatched' || state === 'delivered') await this.flagRisk(q);
      else if (state === 'allocated' || state === 'picking' || state === 'packed')
        await this.reallocateQuarantined(q, hit, affected);
    });
  }

  /** Already on its way or delivered: raise the risk flag; a courier has the customer inspect at the door. */
  private async flagRisk(q: ColdChainQuarantine): Promise<void> {
    const { f } = this;
    f.coldChainRisk = true;
    f.inspectAtDoor = f.state === 'dispatched';
    upsertSearchAttributes([{ key: COLD_CHAIN_RISK, value: true }]);
    const { orderId, fulfilmentId, nodeId } = f.input;
    const data = { alertId: q.alertId, lotIds: q.lotIds, inspectAtDoor: f.inspectAtDoor };
    await local.appendOrderEvent({
      orderId,
      key: `${fulfilmentId}:risk:${q.alertId}`,
      type: 'cold_chain_risk',
      nodeId,
      data,
      at: Date.now(),
    });
    await f.tellParent();
  }

  /** Undispatched: give the affected lines back and let the order find them elsewhere. */
  private async reallocateQuarantined(
    q: ColdChainQuarantine,
    hit: ReadonlySet<string>,
    affected: ToteLine[],
  ): Promise<void> {
    const { f } = this;
    const affectedIds = new Set(affected.map((l) => l.lineId));
    if (patched(QUARANTINE_PICKED_PATCH)) await this.writeOffQuarantined(q, hit, affectedIds);
    else await this.releaseQuarantined(q, affected, affectedIds);
    const lines = affected.map((l) => ({ lineId: l.lineId, sku: l.sku, qty: l.qty }));
    await f.parent.signal(reallocateLinesSignal, {
      fulfilmentId: f.input.fulfilmentId,
      lines,
      reason: `quarantine:${q.alertId}`,
    });
    if (f.totes.length === 0) {
      if (f.state === 'allocated') await this.releaseAll([]);
      await f.moveTo('cancelled', { reason: 'every line re-allocated after quarantine' });
    } else {
      await f.sync();
    }
  }

  /** Quarantined units in a tote are not back on the shelf: written off, not released. */
  private async writeOffQuarantined(
    q: ColdChainQuarantine,
    hit: ReadonlySet<string>,
    affectedIds: Set<string>,
  ): Promise<void> {
    const { f } = this;
    const { orderId, fulfilmentId, allocationKey, nodeId } = f.input;
    const { writeOff, release, putBack } = quarantineLines(f.totes, f.pick, hit);
    const data = { fulfilmentId, alertId: q.alertId, lineIds: [...affectedIds], writtenOff: writeOff, putBack };
    const event = {
      orderId,
      key: `${fulfilmentId}:quarantine:${q.alertId}`,
      type: 'lines_quarantined',
      nodeId,
      atMs: Date.now(),
      data,
    };
    await picking.settleQuarantinedLines({
      orderId,
      fulfilmentId,
      allocationKey,
      alertId: q.alertId,
      writeOff,
      release,
      event,
    });
    f.setPick(removeLines(f.pick, affectedIds));
  }

  /** Histories before QUARANTINE_PICKED_PATCH: every hold of the quarantined lots released. */
  private async releaseQuarantined(
    q: ColdChainQuarantine,
    affected: ToteLine[],
    affectedIds: Set<string>,
  ): Promise<void> {
    const { f } = this;
    const { orderId, fulfilmentId, allocationKey, nodeId } = f.input;
    await acts.releaseReservations({
      orderId,
      allocationKey,
      lotIds: [...new Set(affected.flatMap((l) => l.lots.map((x) => x.lotId)))],
    });
    f.setPick(removeLines(f.pick, affectedIds));
    const data = { alertId: q.alertId, lineIds: [...affectedIds] };
    await local.appendOrderEvent({
      orderId,
      key: `${fulfilmentId}:quarantine:${q.alertId}`,
      type: 'lines_quarantined',
      nodeId,
      data,
      at: Date.now(),
    });
  }

  /** Stock API → fulfilment: the lines lose the units a count or sale took; the order re-allocates them. */
  stockShortfall(s: StockShortfall): void {
    void this.f.exclusive(async () => {
      if (this.seenShortfalls.has(s.adjustmentId) || (this.f.state !== 'allocated' && this.f.state !== 'picking'))
        return;
      this.seenShortfalls.add(s.adjustmentId);
      if (!patched(STOCK_SHORTFALL_PATCH)) return;
      const lines = s.cuts.flatMap((c) => this.cut(c) ?? []);
      if (lines.length) await this.reallocateCut(s.adjustmentId, lines);
    });
  }

  /** Take a cut out of its line; the units taken, as a new line for the order to re-allocate. */
  private cut(c: StockShortfall['cuts'][number]): OrderLine | undefined {
    const { f } = this;
    const line = f.pick.lines.find((l) => l.lineId === c.lineId);
    if (!line || c.qty <= 0) return undefined;
    const cut = cutLine(line, c.lotId, c.qty);
    const taken = line.qty - (cut?.qty ?? 0);
    if (taken <= 0) return undefined;
    const cutTote = (t: Tote): Tote => ({
      ...t,
      lines: t.lines.flatMap((l) =>
        l.lineId !== c.lineId ? [l] : [cutLine(l, c.lotId, taken)].filter((x) => x !== undefined),
      ),
    });
    f.baseTotes = f.baseTotes.map(cutTote);
    f.setPick(
      cut
        ? { ...f.pick, lines: f.pick.lines.map((l) => (l.lineId === c.lineId ? cut : l)) }
        : removeLines(f.pick, new Set([c.lineId])),
    );
    return { lineId: `${c.lineId}-x${++this.shortfallSeq}`, sku: line.sku, qty: taken };
  }

  private async reallocateCut(adjustmentId: string, lines: OrderLine[]): Promise<void> {
    const { f } = this;
    await f.parent.signal(reallocateLinesSignal, {
      fulfilmentId: f.input.fulfilmentId,
      lines,
      reason: `stock_shortfall:${adjustmentId}`,
    });
    await f.event(`stock_shortfall:${adjustmentId}`, 'stock_shortfall_reallocated', { adjustmentId, lines });
    if (f.totes.length === 0 && f.state === 'allocated') {
      await this.releaseAll([]);
      await f.moveTo('cancelled', { reason: 'every line lost its stock to a count or sale and was re-allocated' });
    } else {
      await f.closeIfEmpty();
      await f.sync();
    }
  }
}
