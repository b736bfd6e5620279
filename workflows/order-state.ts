// The state of one OrderWorkflow and its moves: allocation into child fulfilments, the
// status that follows them, the SLA clock, re-allocation, quarantine and cancel. The workflow
// (order.ts) only registers one-line handlers and calls `run`.
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { cancellationOutcome, isTerminal, searchAttributeInstant, slaCheckpoints, slotKey } from '../domain/orders';
import type {
  Allocation,
  FulfilmentInput,
  CancelResult,
  ColdChainQuarantine,
  FulfilmentStateChange,
  FulfilmentView,
  OrderInput,
  OrderLine,
  OrderOutcome,
  OrderState,
  OrderView,
  ReallocateLines,
  ReplacementLines,
  UnfulfilledLine,
  Zone,
} from '../domain/orders';
import { policySubstitutes, sourceLineId } from '../domain/orders/policy-substitutes';
import { orderActivities as acts, orderLocalActivities as local } from './activity-options';
import { fulfilmentWorkflow } from './fulfilment';
import { cancelFulfilmentSignal, quarantineLotsSignal } from './fulfilment.contract';
import { ORDER_ATTRIBUTES_ONCE_PATCH, REALLOCATION_SUBSTITUTES_PATCH, STATUS_AFTER_ALLOCATION_PATCH } from './patches';
import { AttributeWriter } from './attribute-writer';
import {
  COLD_CHAIN_RISK,
  NODE_ID,
  NODE_KIND,
  ORDER_ID,
  ORDER_STATUS,
  SLA_DEADLINE,
  SLOT_KIND,
  TEMPERATURE_ZONES,
} from './search-attributes';

const DEFAULT_MERGE_WINDOW_MS = 10 * 60_000;
const DEFAULT_RESERVATION_TTL_MS = 2 * 3_600_000;
// Order status follows the least advanced live fulfilment.
const PROGRESS: OrderState[] = ['received', 'allocated', 'picking', 'packed', 'dispatched', 'delivered'];
const DONE = (s: OrderState) => s === 'delivered' || isTerminal(s);

type Fulfilment = Allocation['fulfilments'][number];

/** A child's SlaDeadline search attribute, clamped to what the server stores (absent for a non-date). */
function slaDeadlineAttribute(ms: number): Record<string, Date[]> {
  const at = searchAttributeInstant(ms);
  return at === undefined ? {} : { [SLA_DEADLINE.name]: [new Date(at)] };
}

/** The order's status from its fulfilments: the least advanced live one, else how they ended. */
export function statusOf(fulfilments: readonly FulfilmentView[], current: OrderState): OrderState {
  const live = fulfilments.filter((f) => !DONE(f.state));
  if (fulfilments.length === 0) return current;
  if (live.length)
    return PROGRESS[Math.min(...live.map((f) => PROGRESS.indexOf(f.state)).filter((i) => i >= 0))] ?? current;
  if (fulfilments.some((f) => f.state === 'delivered')) return 'delivered';
  if (fulfilments.some((f) => f.state === 'returned')) return 'returned';
  if (fulfilments.every((f) => f.state === 'cancelled')) return 'cancelled';
  return 'rejected';
}

/** One customer order as mutable workflow state, with its moves. */
export class OrderWorkflowState {
  status: OrderState = 'received';
  coldChainRisk = false;
  cancelling = false;
  readonly fulfilments: FulfilmentView[] = [];
  readonly unfulfilled: UnfulfilledLine[] = [];
  private readonly mergeWindowMs: number;
  private readonly reservationTtlMs: number;
  private readonly slotKey: string;
  private readonly sla: { escalateAtMs: number; breachAtMs: number; escalated: boolean; breached: boolean };
  private readonly explanations: Allocation['explanation'][] = [];
  private readonly reallocations: { lines: OrderLine[]; reason: string }[] = [];
  private readonly quarantines: ColdChainQuarantine[] = [];
  /** The alerting side may signal an alert twice (a crash between signal and bookkeeping). */
  private readonly seenAlerts = new Set<string>();
  private allocationSeq = 0;
  private lineSeq = 0;
  // While an allocation starts its fulfilments one by one, their state signals update their
  // own entries but the order's status waits for the whole allocation.
  private allocating = 0;
  /** Search attributes and memo: changes only, once per activation (ORDER_ATTRIBUTES_ONCE_PATCH). */
  readonly attributes: AttributeWriter;

  constructor(readonly input: OrderInput) {
    this.attributes = new AttributeWriter(patched(ORDER_ATTRIBUTES_ONCE_PATCH));
    this.mergeWindowMs = input.options?.mergeWindowMs ?? DEFAULT_MERGE_WINDOW_MS;
    this.reservationTtlMs = input.options?.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.slotKey = slotKey(input.slot);
    const { escalateAtMs, breachAtMs } = slaCheckpoints(input.slot, input.placedAt);
    this.sla = { escalateAtMs, breachAtMs, escalated: false, breached: false };
  }

  /** The `status` query. */
  view(): OrderView {
    const { status, fulfilments, unfulfilled, coldChainRisk, sla } = this;
    return {
      orderId: this.input.orderId,
      status,
      fulfilments,
      unfulfilled,
      coldChainRisk,
      sla,
      allocations: this.explanations,
    };
  }

  outcome(slaBreached = this.sla.breached): OrderOutcome {
    const { status, fulfilments, unfulfilled, coldChainRisk } = this;
    return { orderId: this.input.orderId, status, fulfilments, unfulfilled, coldChainRisk, slaBreached };
  }

  // Stamped with workflow time, fixed when the call is scheduled: a retried local activity
  // writes the same (key, at) again, a no-op, instead of a second event at the retry's time.
  event(type: string, data: Record<string, unknown> = {}, keySuffix = type): Promise<void> {
    const { orderId } = this.input;
    return local.appendOrderEvent({
      orderId,
      key: `${orderId}:${keySuffix}`,
      type,
      data,
      status: this.status,
      at: Date.now(),
    });
  }

  private recomputeStatus(): void {
    if (this.allocating > 0) return;
    const next = statusOf(this.fulfilments, this.status);
    if (next !== this.status) {
      this.status = next;
      this.attributes.set([{ key: ORDER_STATUS, value: next }]);
    }
  }

  private searchAttributes(): void {
    const { fulfilments } = this;
    const zones = [
      ...new Set(fulfilments.filter((f) => !DONE(f.state) || f.state === 'delivered').flatMap((f) => f.zones)),
    ].sort() as Zone[];
    const primary = fulfilments.find((f) => !DONE(f.state)) ?? fulfilments[0];
    this.attributes.set([
      { key: ORDER_STATUS, value: this.status },
      { key: TEMPERATURE_ZONES, value: zones },
      ...(primary
        ? [
            { key: NODE_ID, value: primary.nodeId },
            { key: NODE_KIND, value: primary.nodeKind },
          ]
        : []),
      { key: COLD_CHAIN_RISK, value: this.coldChainRisk },
    ]);
    const nodes = fulfilments.map((f) => `${f.nodeId}:${f.state}`);
    this.attributes.memo({
      summary: {
        lines: this.input.lines.length,
        slot: this.input.slot.kind,
        nodes,
        unfulfilledLines: this.unfulfilled.length,
      },
    });
  }

  /** Allocate lines, reserve, and start a fulfilment per node. */
  private async allocate(lines: OrderLine[], reason: string, reallocation = true): Promise<void> {
    const deferStatus = patched(STATUS_AFTER_ALLOCATION_PATCH);
    if (deferStatus) this.allocating++;
    try {
      await this.allocateLines(lines, reason, reallocation);
    } finally {
      if (deferStatus) this.allocating--;
    }
    this.recomputeStatus();
    if (this.fulfilments.length === 0 && this.status === 'received') this.status = 'rejected';
    this.searchAttributes();
  }

  private async allocateLines(lines: OrderLine[], reason: string, reallocation: boolean): Promise<void> {
    const seq = ++this.allocationSeq;
    const { allocation, allocationKey } = await this.reserve(lines, seq);
    const { unfulfilled } = allocation;
    // Only a re-allocation that left lines unserved asks; the marker then names the change.
    if (reallocation && unfulfilled.length > 0 && patched(REALLOCATION_SUBSTITUTES_PATCH)) {
      for (const f of allocation.fulfilments) await this.startFulfilment(f, allocationKey);
      const unserved = await this.substituteByPolicy(unfulfilled, reason);
      if (unserved.length) await this.refundUnfulfilled(unserved, reason, seq);
      return;
    }
    if (unfulfilled.length) await this.refundUnfulfilled(unfulfilled, reason, seq);
    for (const f of allocation.fulfilments) await this.startFulfilment(f, allocationKey);
  }

  /** Allocate and reserve lines under the allocation `seq`'s key; its explanation is kept. */
  private async reserve(lines: OrderLine[], seq: number): Promise<{ allocation: Allocation; allocationKey: string }> {
    const { orderId, customerId, addressKey, slot, placedAt } = this.input;
    const allocationKey = `${orderId}:alloc:${seq}`;
    const { allocation } = await acts.allocateAndReserve({
      // No coordinates: the activity reads the door from the orders row, so this history holds none.
      order: { orderId, customerId, addressKey, slot, lines, placedAt },
      allocationKey,
      reservationTtlMs: this.reservationTtlMs,
    });
    this.explanations.push(allocation.explanation);
    return { allocation, allocationKey };
  }

  /**
   * Lines no node can serve, substituted by the customer's 'specific' policy as new lines in an
   * allocation of their own (REALLOCATION_SUBSTITUTES_PATCH); returns the lines still unserved.
   * A best match needs a picker's choice, so it is refunded like a 'refund' policy.
   */
  private async substituteByPolicy(lines: readonly UnfulfilledLine[], reason: string): Promise<UnfulfilledLine[]> {
    const orderLineIds = this.input.lines.map((l) => l.lineId);
    const policies = await acts.substitutionPoliciesOf({
      orderId: this.input.orderId,
      lineIds: lines.map((l) => sourceLineId(l.lineId, orderLineIds)),
    });
    const seq = ++this.allocationSeq;
    const subs = policySubstitutes(lines, policies, seq);
    if (subs.length === 0) return [...lines];
    const { allocation, allocationKey } = await this.reserve(
      subs.map((s) => s.substitute),
      seq,
    );
    for (const f of allocation.fulfilments) await this.startFulfilment(f, allocationKey);
    // The allocation serves a line whole or not at all: an unserved substitute leaves its line unserved.
    const failed = new Set(allocation.unfulfilled.map((u) => u.lineId));
    const accepted = subs.filter((s) => !failed.has(s.substitute.lineId));
    for (const { line, substitute } of accepted) {
      const { sku, qty, lineId: newLineId } = substitute;
      const data = { lineId: line.lineId, sku, qty, newLineId, decidedBy: 'policy', reason };
      await this.event('substitution_accepted', data, `substitution:${newLineId}`);
    }
    const substituted = new Set(accepted.map((s) => s.line.lineId));
    return lines.filter((l) => !substituted.has(l.lineId));
  }

  private async refundUnfulfilled(lines: readonly UnfulfilledLine[], reason: string, seq: number): Promise<void> {
    this.unfulfilled.push(...lines);
    await acts.refundUnfulfilled({
      orderId: this.input.orderId,
      lines: lines.map((u) => ({ lineId: u.lineId, sku: u.sku, qty: u.qty })),
    });
    await this.event(
      'lines_unfulfilled',
      { reason, lines: lines.map((u) => ({ lineId: u.lineId, code: u.code })) },
      `unfulfilled:${seq}`,
    );
  }

  /** Join the door's delivery and start the node's FulfilmentWorkflow; listed only once started. */
  private async startFulfilment(f: Fulfilment, allocationKey: string): Promise<void> {
    const { orderId, addressKey } = this.input;
    const parentWorkflowId = workflowInfo().workflowId;
    const fulfilmentId = `${parentWorkflowId}-f${this.fulfilments.length + 1}`;
    const { nodeId, nodeKind } = f;
    const delivery = await acts.joinDelivery({
      orderId,
      nodeId,
      addressKey,
      slotKey: this.slotKey,
      windowMs: this.mergeWindowMs,
    });
    const { deliveryId } = delivery;
    const zones = f.totes.map((t) => t.zone);
    const lineIds = f.totes.flatMap((t) => t.lines.map((l) => l.lineId));
    const lotIds = [...new Set(f.totes.flatMap((t) => t.lines.flatMap((l) => l.lots.map((x) => x.lotId))))];
    await startChild(fulfilmentWorkflow, {
      workflowId: fulfilmentId,
      // A fulfilment may still be answering its last update when the order completes.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [this.fulfilmentInput(f, { fulfilmentId, allocationKey, parentWorkflowId, deliveryId })],
      searchAttributes: this.childSearchAttributes(f, zones),
      staticSummary: `Order ${orderId} at ${nodeId}: ${lineIds.length} lines, ${zones.join('/')}`,
    });
    // Listed only once started, so nobody is pointed at a workflow that does not exist yet.
    this.fulfilments.push({ fulfilmentId, nodeId, nodeKind, state: 'allocated', zones, lineIds, lotIds, deliveryId });
  }

  private fulfilmentInput(
    f: Fulfilment,
    ids: Pick<FulfilmentInput, 'fulfilmentId' | 'allocationKey' | 'parentWorkflowId' | 'deliveryId'>,
  ): FulfilmentInput {
    const { orderId, slot } = this.input;
    const { fulfilmentId, allocationKey, parentWorkflowId, deliveryId } = ids;
    const { nodeId, nodeKind, pickDeadlineMs } = f;
    const totes = [...f.totes];
    const { slotKey } = this;
    return {
      orderId,
      fulfilmentId,
      allocationKey,
      parentWorkflowId,
      nodeId,
      nodeKind,
      slot,
      slotKey,
      deliveryId,
      totes,
      pickDeadlineMs,
    };
  }

  private childSearchAttributes(f: Fulfilment, zones: Zone[]): Record<string, string[] | Date[]> {
    const { orderId, slot } = this.input;
    return {
      [ORDER_ID.name]: [orderId],
      [NODE_ID.name]: [f.nodeId],
      [NODE_KIND.name]: [f.nodeKind],
      [ORDER_STATUS.name]: ['allocated'],
      [TEMPERATURE_ZONES.name]: zones,
      [SLOT_KIND.name]: [slot.kind],
      ...slaDeadlineAttribute(slot.end),
    };
  }

  /** Child → parent: a fulfilment changed state. */
  onFulfilmentState({ fulfilmentId, state, coldChainRisk }: FulfilmentStateChange): void {
    const f = this.fulfilments.find((x) => x.fulfilmentId === fulfilmentId);
    if (!f) return;
    f.state = state;
    if (coldChainRisk) this.coldChainRisk = true;
    this.recomputeStatus();
    this.searchAttributes();
  }

  onReallocate({ lines, reason }: ReallocateLines): void {
    this.reallocations.push({ lines, reason });
  }

  onReplacement({ lines }: ReplacementLines): void {
    this.reallocations.push({
      lines: lines.map((l) => ({ ...l, lineId: `${l.lineId}${++this.lineSeq}` })),
      reason: 'replacement',
    });
  }

  onColdChainQuarantine(q: ColdChainQuarantine): void {
    const key = `${q.alertId}|${[...q.lotIds].sort().join(',')}`;
    if (this.seenAlerts.has(key)) return;
    this.seenAlerts.add(key);
    this.quarantines.push(q);
  }

  validateCancel(_request: { reason: string }): void {
    const outcome = cancellationOutcome(this.status);
    if (outcome.kind === 'not_allowed')
      throw ApplicationFailure.nonRetryable(`cannot cancel: ${outcome.reason}`, 'InvalidTransition');
    if (this.cancelling)
      throw ApplicationFailure.nonRetryable('a cancellation is already in progress', 'InvalidTransition');
  }

  /** Stop every fulfilment that still can, wait for them, and say how the order ended. */
  async cancel({ reason }: { reason: string }): Promise<CancelResult> {
    this.cancelling = true;
    const { fulfilments } = this;
    const before = fulfilments.map((f) => f.state);
    const stoppable = (f: FulfilmentView) => !DONE(f.state) && f.state !== 'dispatched';
    for (const f of fulfilments)
      if (stoppable(f)) await getExternalWorkflowHandle(f.fulfilmentId).signal(cancelFulfilmentSignal, { reason });
    // Wait until every fulfilment that could stop has stopped.
    await condition(() => !fulfilments.some(stoppable));
    await this.event('cancel_requested', { reason, before }, `cancel:${before.join(',')}`);
    if (fulfilments.length === 0) {
      this.status = 'cancelled';
      this.searchAttributes();
    }
    const returned = fulfilments.some((f) => f.state === 'returned');
    const cancelled = fulfilments.every((f) => f.state === 'cancelled');
    const allDone = fulfilments.every((f) => DONE(f.state));
    return {
      outcome:
        cancelled || fulfilments.length === 0 ? 'cancelled' : returned && allDone ? 'returned' : 'partially_returned',
      status: this.status,
    };
  }

  /** Record the order and its first search attributes. */
  async record(): Promise<void> {
    const { orderId, customerId, addressKey, slot, lines, placedAt, location } = this.input;
    await acts.recordOrder({
      orderId,
      customerId,
      addressKey,
      slot,
      lines,
      placedAt,
      ...(location ? { location } : {}),
    });
    // A deadline the server cannot store (year 10000) is clamped, never sent as it is: the refusal
    // would fail this workflow task and every retry of it, and the order would never move again.
    const slaDeadline = searchAttributeInstant(this.sla.breachAtMs);
    this.attributes.set([
      { key: ORDER_ID, value: orderId },
      { key: ORDER_STATUS, value: this.status },
      ...(slaDeadline === undefined ? [] : [{ key: SLA_DEADLINE, value: new Date(slaDeadline) }]),
      { key: SLOT_KIND, value: slot.kind },
    ]);
  }

  /** First allocation; false when nothing could be allocated (the order has ended). */
  async allocateFirst(): Promise<boolean> {
    if (!this.cancelling) await this.allocate(this.input.lines, 'initial', false);
    if (this.fulfilments.length > 0) return true;
    this.status = this.cancelling ? 'cancelled' : 'rejected';
    this.searchAttributes();
    await this.event(this.status, {
      reason: this.cancelling ? 'cancelled before allocation' : 'no node can serve any line',
    });
    return false;
  }

  /** Every fulfilment has ended. */
  delivered(): boolean {
    return this.fulfilments.length > 0 && this.fulfilments.every((f) => DONE(f.state));
  }

  /** SLA clock, run concurrently with everything else. */
  async slaClock(): Promise<void> {
    const { sla } = this;
    if (!(await condition(() => this.delivered(), Math.max(0, sla.escalateAtMs - Date.now())))) {
      sla.escalated = true;
      await this.event('sla_escalated', { escalateAtMs: sla.escalateAtMs, status: this.status });
    }
    if (!(await condition(() => this.delivered(), Math.max(0, sla.breachAtMs - Date.now())))) {
      sla.breached = true;
      await this.event('sla_breached', { breachAtMs: sla.breachAtMs, status: this.status });
    }
  }

  /** React to quarantines, re-allocation and replacement requests until every fulfilment is done. */
  async untilDone(): Promise<void> {
    // A re-allocation asked for while the order is being cancelled is not acted on (the cancel
    // releases and refunds what the order holds): it must neither wake this loop nor keep it
    // from ending, or the loop would spin on a condition that is already true.
    const reallocationDue = () => this.reallocations.length > 0 && !this.cancelling;
    for (;;) {
      await condition(() => this.quarantines.length > 0 || reallocationDue() || this.delivered());
      while (this.quarantines.length) await this.passOnQuarantine(this.quarantines.shift()!);
      while (reallocationDue()) {
        const r = this.reallocations.shift()!;
        await this.allocate(r.lines, r.reason);
      }
      if (this.delivered() && !reallocationDue() && this.quarantines.length === 0) return this.recordSkipped();
    }
  }

  /**
   * Re-allocations the cancel made moot, in the order's events (what was asked and why), so the
   * request is not silently dropped. Only reached by histories that used to deadlock here.
   */
  private async recordSkipped(): Promise<void> {
    if (this.reallocations.length === 0) return;
    const skipped = this.reallocations.splice(0);
    await this.event(
      'reallocation_skipped',
      { reason: 'order cancelled', requests: skipped.map((r) => ({ reason: r.reason, lines: r.lines })) },
      `reallocation_skipped:${this.allocationSeq}`,
    );
  }

  /** Tell every live fulfilment holding a quarantined lot. */
  private async passOnQuarantine(q: ColdChainQuarantine): Promise<void> {
    const hit = new Set(q.lotIds);
    for (const f of this.fulfilments) {
      if (f.lotIds.some((l) => hit.has(l)) && !isTerminal(f.state))
        await getExternalWorkflowHandle(f.fulfilmentId).signal(quarantineLotsSignal, q);
    }
    await this.event('cold_chain_quarantine', { alertId: q.alertId, lotIds: q.lotIds }, `quarantine:${q.alertId}`);
  }
}
