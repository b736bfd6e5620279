// A picker's actions on a fulfilment, line by line (the pure rules are in domain/orders/picking.ts). Every
// action is validated before it is accepted (refusals never reach history), checked again when
// its turn comes, and answered once per idempotency key: a repeated key gets the first answer.
import { condition, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type {
  ClaimPickArgs,
  ConfirmPickArgs,
  DecideSubstitutionArgs,
  HandOverArgs,
  PickActionName,
  PickActionResult,
  PickLineArgs,
  ProposeSubstitutionArgs,
  ShortPickArgs,
  StageTotesArgs,
} from '../domain/orders';
import { pickingActivities as picking, pickingLocalActivities as pickingLocal } from './activity-options';
import type { FulfilmentLifecycle } from './fulfilment-lifecycle';
import { refusing } from './fulfilment-state';
import type { FulfilmentState } from './fulfilment-state';
import { reallocateLinesSignal } from './order.contract';
import {
  actionFingerprint,
  checkClaim,
  checkConfirm,
  checkDecision,
  checkShort,
  checkSkip,
  checkStage,
  checkStart,
  checkSubstitute,
  claimZones,
  confirmPick,
  decideSubstitute,
  PickRefusal,
  proposeSubstitute,
  shortLine,
  skipLine,
  stage,
  startLine,
  withCredit,
} from '../domain/orders/picking';

/**
 * How long a best-match substitute waits for the customer before it stands (Instacart rule),
 * unless the order's policy says otherwise.
 */
export const SUBSTITUTION_DECISION_MS = 3 * 60_000;

/** The arguments of each picker action. */
interface PickArgs {
  claim: ClaimPickArgs;
  start: PickLineArgs;
  confirm: ConfirmPickArgs;
  short: ShortPickArgs;
  skip: PickLineArgs;
  substitute: ProposeSubstitutionArgs;
  decide: DecideSubstitutionArgs;
  stage: StageTotesArgs;
  handOver: HandOverArgs;
}

/** An action's check (throws a PickRefusal) and its effect (answers one sentence for the phone). */
interface Step<A> {
  check: (a: A) => unknown;
  run: (a: A) => Promise<string>;
}

/** The picker actions of one fulfilment, and the answers already given. */
export class PickerActions {
  private readonly processed = new Map<string, { fingerprint: string; result: PickActionResult }>();
  private readonly steps: { [K in PickActionName]: Step<PickArgs[K]> } = {
    claim: { check: (a) => checkClaim(this.f.pick, this.f.state, a.pickerId, a.zones), run: (a) => this.claim(a) },
    start: { check: (a) => checkStart(this.f.pick, this.f.state, a), run: (a) => this.startLine(a) },
    confirm: { check: (a) => checkConfirm(this.f.pick, this.f.state, a), run: (a) => this.confirm(a) },
    short: { check: (a) => checkShort(this.f.pick, this.f.state, a), run: (a) => this.short(a) },
    skip: { check: (a) => checkSkip(this.f.pick, this.f.state, a), run: (a) => this.skip(a) },
    substitute: { check: (a) => checkSubstitute(this.f.pick, this.f.state, a), run: (a) => this.substitute(a) },
    decide: { check: (a) => checkDecision(this.f.pick, this.f.state, a.lineId, a.accept), run: (a) => this.decide(a) },
    stage: { check: (a) => checkStage(this.f.pick, this.f.state, a), run: (a) => this.stage(a) },
    handOver: { check: (a) => this.checkHandOver(a), run: (a) => this.handOver(a) },
  };

  constructor(
    private readonly f: FulfilmentState,
    private readonly lifecycle: FulfilmentLifecycle,
  ) {}

  /** Register the update of a picker action: validated by `admit`, handled by `act`. */
  register<K extends PickActionName>(def: UpdateDefinition<PickActionResult, [PickArgs[K]]>, action: K): void {
    setHandler(def, (a) => this.act(action, a), { validator: (a) => this.admit(action, a) });
  }

  /** The update's validator: a key is required; a replayed key is admitted; otherwise the action's check. */
  admit<K extends PickActionName>(action: K, a: PickArgs[K]): void {
    if (typeof a?.idempotencyKey !== 'string' || !a.idempotencyKey) throw new PickRefusal('idempotencyKey is required');
    if (this.replayOf(action, a)) return;
    this.steps[action].check(a);
  }

  /** The update's handler: in turn, re-checked, run, published, and remembered under its key. */
  act<K extends PickActionName>(action: K, a: PickArgs[K]): Promise<PickActionResult> {
    return this.f.serial(async () => {
      const replay = refusing(() => this.replayOf(action, a));
      if (replay) return replay;
      const step = this.steps[action];
      refusing(() => step.check(a));
      const outcome = await step.run(a);
      await this.f.sync();
      const lineId = 'lineId' in a && typeof a.lineId === 'string' ? a.lineId : null;
      const result: PickActionResult = {
        idempotencyKey: a.idempotencyKey,
        action,
        lineId,
        outcome,
        replayed: false,
        task: this.f.view(),
      };
      this.processed.set(a.idempotencyKey, { fingerprint: actionFingerprint(action, a), result });
      return result;
    });
  }

  /** The stored answer to a repeated idempotency key; a key reused for another request is refused. */
  private replayOf(action: PickActionName, a: { idempotencyKey: string }): PickActionResult | undefined {
    const prior = this.processed.get(a.idempotencyKey);
    if (!prior) return undefined;
    if (prior.fingerprint !== actionFingerprint(action, a)) {
      throw new PickRefusal(
        `idempotency key ${a.idempotencyKey} was already used for a different ${prior.result.action} request ` +
          'on this fulfilment',
      );
    }
    return { ...prior.result, replayed: true };
  }

  private async claim(a: ClaimPickArgs): Promise<string> {
    const { f } = this;
    const zones = checkClaim(f.pick, f.state, a.pickerId, a.zones);
    f.setPick(claimZones(f.pick, a.pickerId, zones, a.waveId));
    f.pickerId ??= a.pickerId;
    if (f.state === 'allocated') await f.moveTo('picking', { pickerId: a.pickerId, zones, waveId: a.waveId });
    else if (zones.length)
      await f.event(`claim:${zones.join(',')}`, 'pick_claimed', { pickerId: a.pickerId, zones, waveId: a.waveId });
    return zones.length ? `claimed the ${zones.join(' and ')} tote` : 'already yours';
  }

  private async startLine(a: PickLineArgs): Promise<string> {
    this.f.setPick(startLine(this.f.pick, a.lineId));
    const line = this.line(a.lineId);
    const bin = line.lots.find((x) => x.picked < x.qty)?.bin ?? 'the shelf';
    return `go to ${bin} for ${line.qty - line.picked} × ${line.sku}`;
  }

  private async confirm(a: ConfirmPickArgs): Promise<string> {
    this.f.setPick(confirmPick(this.f.pick, a));
    const line = this.line(a.lineId);
    if (line.status === 'picked')
      await this.f.event(`picked:${line.lineId}`, 'line_picked', { lineId: line.lineId, qty: line.picked });
    return `picked ${line.picked} of ${line.qty}`;
  }

  private async short(a: ShortPickArgs): Promise<string> {
    const { f } = this;
    const { orderId, fulfilmentId, allocationKey } = f.input;
    const line = this.line(a.lineId);
    const r = shortLine(f.pick, a.lineId, a.reason, fulfilmentId);
    // Stock first, so re-allocation cannot choose the units that are not there.
    await picking.recordShortPick({
      orderId,
      fulfilmentId,
      allocationKey,
      lineId: a.lineId,
      reason: a.reason,
      lots: r.shortfalls,
    });
    f.setPick(r.state);
    const lines = [{ lineId: r.reallocatedAs, sku: line.sku, qty: r.missing }];
    await f.parent.signal(reallocateLinesSignal, { fulfilmentId, lines, reason: `short_pick:${a.reason}` });
    const data = {
      lineId: a.lineId,
      reason: a.reason,
      picked: line.picked,
      missing: r.missing,
      reallocatedAs: r.reallocatedAs,
      pickerId: a.pickerId,
    };
    await f.event(`short:${a.lineId}`, 'short_picked', data);
    await f.closeIfEmpty();
    return `short ${r.missing} of ${line.qty}: re-allocating as line ${r.reallocatedAs}`;
  }

  private async skip(a: PickLineArgs): Promise<string> {
    this.f.setPick(skipLine(this.f.pick, a.lineId));
    return `skipped: line ${a.lineId} moves to the end of the ${this.line(a.lineId).zone} path`;
  }

  private async substitute(a: ProposeSubstitutionArgs): Promise<string> {
    const { f } = this;
    const { orderId, fulfilmentId, allocationKey } = f.input;
    const policy = await pickingLocal.substitutionPolicy({ orderId, lineId: a.lineId });
    const decideByMs = Date.now() + (policy.decisionWindowS ? policy.decisionWindowS * 1000 : SUBSTITUTION_DECISION_MS);
    // Re-checked after the lookup: a refusal here (the customer wants another item) changes nothing.
    refusing(() => checkSubstitute(f.pick, f.state, a));
    const r = refusing(() => proposeSubstitute(f.pick, a, policy, fulfilmentId, decideByMs));
    await picking.recordShortPick({
      orderId,
      fulfilmentId,
      allocationKey,
      lineId: a.lineId,
      reason: a.reason,
      lots: r.shortfalls,
    });
    f.setPick(r.state);
    const data = {
      lineId: a.lineId,
      reason: a.reason,
      missing: r.missing,
      sku: a.sku,
      qty: a.qty,
      policy: policy.policy,
      status: r.status,
    };
    await f.event(`substitute:${a.lineId}`, 'substitution_proposed', data);
    if (r.status === 'pending') {
      this.awaitDecision(a.lineId, decideByMs);
      const waitS = Math.round((decideByMs - Date.now()) / 1000);
      return `substitute proposed: waiting for the customer (your best match stands after ${waitS} s)`;
    }
    const outcome = await this.settleSubstitute(a.lineId);
    await f.closeIfEmpty();
    return outcome;
  }

  private async decide(a: DecideSubstitutionArgs): Promise<string> {
    const { f } = this;
    if (checkDecision(f.pick, f.state, a.lineId, a.accept) === 'same')
      return `already ${a.accept ? 'accepted' : 'refused'}`;
    f.setPick(decideSubstitute(f.pick, a.lineId, a.accept, 'customer'));
    const outcome = await this.settleSubstitute(a.lineId);
    await f.closeIfEmpty();
    return outcome;
  }

  private async stage(a: StageTotesArgs): Promise<string> {
    const { f } = this;
    f.setPick(stage(f.pick, a.toteLabels, a.location, Date.now()));
    const staging = f.pick.staging!;
    await f.moveTo('packed', { pickerId: a.pickerId, location: staging.location, toteLabels: staging.toteLabels });
    return `staged ${staging.toteLabels.length} tote(s) at ${staging.location}`;
  }

  private checkHandOver(a: HandOverArgs): void {
    this.f.guard('dispatched', 'hand over');
    if (!this.f.pick.zones.some((z) => z.pickerId === a.pickerId))
      throw new PickRefusal('this fulfilment is not yours: hand over only totes you picked');
    if (!a.courierId) throw new PickRefusal('courierId is required');
  }

  private async handOver(a: HandOverArgs): Promise<string> {
    await this.lifecycle.dispatch(a.courierId);
    return `handed over to courier ${a.courierId}`;
  }

  /** Carry out a decided substitute: accepted → allocated as a new line; refused → refunded. */
  private async settleSubstitute(lineId: string): Promise<string> {
    const { f } = this;
    const line = this.line(lineId);
    const sub = line.short!.substitution!;
    const byPolicy = sub.decidedBy === 'policy' ? " by the customer's policy" : '';
    if (sub.status === 'accepted') {
      const lines = [{ lineId: sub.newLineId, sku: sub.sku, qty: sub.qty }];
      await f.parent.signal(reallocateLinesSignal, {
        fulfilmentId: f.input.fulfilmentId,
        lines,
        reason: `substitution:${lineId}`,
      });
      const data = { lineId, sku: sub.sku, qty: sub.qty, newLineId: sub.newLineId, decidedBy: sub.decidedBy };
      await f.event(`substitution:${lineId}`, 'substitution_accepted', data);
      return `substitute accepted${byPolicy}: ${sub.qty} × ${sub.sku} allocated as line ${sub.newLineId}`;
    }
    const missing = line.short!.missing;
    const credit = await picking.refundLine({
      orderId: f.input.orderId,
      lineId,
      sku: line.sku,
      qty: missing,
      reason: 'substitution_refused',
    });
    f.setPick(withCredit(f.pick, lineId, credit));
    await f.event(`substitution:${lineId}`, 'substitution_refused', {
      lineId,
      sku: sub.sku,
      decidedBy: sub.decidedBy,
      creditCents: credit,
    });
    return `substitute refused${byPolicy}: ${missing} × ${line.sku} refunded (${credit} cents)`;
  }

  /** A best-match substitute stands when the customer does not answer in time. */
  private awaitDecision(lineId: string, decideByMs: number): void {
    const { f } = this;
    const open = () =>
      f.pick.lines.find((l) => l.lineId === lineId)?.short?.substitution?.status === 'pending' && f.state === 'picking';
    void (async () => {
      if (await condition(() => !open(), Math.max(1, decideByMs - Date.now()))) return;
      await f.serial(async () => {
        if (!open()) return;
        f.setPick(decideSubstitute(f.pick, lineId, true, 'timeout'));
        await this.settleSubstitute(lineId);
        await f.sync();
      });
    })();
  }

  private line(lineId: string) {
    return this.f.pick.lines.find((l) => l.lineId === lineId)!;
  }
}
