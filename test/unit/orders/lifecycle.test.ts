import { expect } from 'chai';
import {
  canTransition,
  cancellationOutcome,
  isTerminal,
  type OrderState,
  resolveDoorRejection,
  resolveReturnLine,
  slaCheckpoints,
  slaStatus,
  transition,
  TRANSITIONS,
} from '../../../domain/orders/lifecycle';
import { HOUR, instant, MIN, NOW } from './fixtures';

const STATES: OrderState[] = [
  'received',
  'allocated',
  'picking',
  'packed',
  'dispatched',
  'delivered',
  'cancelled',
  'rejected',
  'returned',
];

describe('order lifecycle: transitions', () => {
  it('allows the happy path step by step', () => {
    const path: OrderState[] = ['received', 'allocated', 'picking', 'packed', 'dispatched', 'delivered'];
    for (let i = 1; i < path.length; i++)
      expect(transition(path[i - 1] as OrderState, path[i] as OrderState)).to.equal(path[i]);
  });

  it('matches the table exactly for every pair of states (81 pairs)', () => {
    const allowed = new Set([
      'received>allocated',
      'received>cancelled',
      'received>rejected',
      'allocated>picking',
      'allocated>cancelled',
      'picking>packed',
      'picking>returned',
      'packed>dispatched',
      'packed>returned',
      'dispatched>delivered',
      'dispatched>rejected',
      'dispatched>returned',
      'delivered>returned',
    ]);
    for (const from of STATES)
      for (const to of STATES)
        expect(canTransition(from, to), `${from} → ${to}`).to.equal(allowed.has(`${from}>${to}`));
    expect(Object.keys(TRANSITIONS).sort()).to.deep.equal([...STATES].sort());
  });

  it('throws on skipping steps or leaving a terminal state', () => {
    expect(() => transition('allocated', 'delivered')).to.throw(RangeError, /allocated → delivered/);
    expect(() => transition('cancelled', 'allocated')).to.throw(RangeError);
    expect(() => transition('picking', 'cancelled')).to.throw(RangeError);
    expect(['cancelled', 'rejected', 'returned'].every((s) => isTerminal(s as OrderState))).to.equal(true);
    expect(isTerminal('delivered')).to.equal(false);
  });
});

describe('order lifecycle: cancellation rule', () => {
  it('cancels before picking (releasing the reservation once allocated)', () => {
    expect(cancellationOutcome('received')).to.deep.equal({
      kind: 'cancel',
      to: 'cancelled',
      releaseReservation: false,
    });
    expect(cancellationOutcome('allocated')).to.deep.equal({
      kind: 'cancel',
      to: 'cancelled',
      releaseReservation: true,
    });
  });

  it('turns a cancel into a return once picking has started', () => {
    for (const s of ['picking', 'packed', 'dispatched'] as const)
      expect(cancellationOutcome(s)).to.deep.equal({ kind: 'return', to: 'returned' });
  });

  it('is a no-op on repeats and refuses after delivery or rejection', () => {
    expect(cancellationOutcome('cancelled').kind).to.equal('noop');
    expect(cancellationOutcome('returned').kind).to.equal('noop');
    expect(cancellationOutcome('delivered').kind).to.equal('not_allowed');
    expect(cancellationOutcome('rejected').kind).to.equal('not_allowed');
  });

  it('only ever proposes transitions the table allows', () => {
    for (const s of STATES) {
      const o = cancellationOutcome(s);
      if (o.kind === 'cancel' || o.kind === 'return') expect(canTransition(s, o.to), s).to.equal(true);
    }
  });
});

describe('returns and door rejection', () => {
  const perishable = { perishable: true, unitPriceCents: 1290 };
  const ambient = { perishable: false, unitPriceCents: 4990 };

  it('never restocks a perishable, whatever its condition or the customer’s choice', () => {
    for (const condition of ['sellable', 'damaged', 'unknown'] as const) {
      for (const customerChoice of ['refund', 'replacement'] as const) {
        const r = resolveReturnLine({ sku: perishable, qty: 2, condition, customerChoice });
        expect(r.restock, `${condition}/${customerChoice}`).to.equal(false);
        expect(r.writeOff, `${condition}/${customerChoice}`).to.equal(true);
      }
    }
  });

  it('restocks ambient goods only when sellable', () => {
    expect(resolveReturnLine({ sku: ambient, qty: 1, condition: 'sellable', customerChoice: 'refund' })).to.deep.equal({
      creditCents: 4990,
      restock: true,
      writeOff: false,
      replacement: false,
    });
    expect(resolveReturnLine({ sku: ambient, qty: 1, condition: 'damaged', customerChoice: 'refund' })).to.include({
      restock: false,
      writeOff: true,
    });
    expect(resolveReturnLine({ sku: ambient, qty: 1, condition: 'unknown', customerChoice: 'refund' })).to.include({
      restock: false,
      writeOff: true,
    });
  });

  it('credits qty × price on refund and nothing when a replacement is sent', () => {
    expect(
      resolveReturnLine({ sku: perishable, qty: 3, condition: 'damaged', customerChoice: 'refund' }).creditCents,
    ).to.equal(3870);
    expect(
      resolveReturnLine({ sku: perishable, qty: 3, condition: 'damaged', customerChoice: 'replacement' }),
    ).to.include({ creditCents: 0, replacement: true });
    expect(() => resolveReturnLine({ sku: ambient, qty: 0, condition: 'sellable', customerChoice: 'refund' })).to.throw(
      RangeError,
    );
  });

  const delivered = [
    { lineId: 'L1', qty: 2, sku: perishable },
    { lineId: 'L2', qty: 1, sku: ambient },
  ];

  it('full rejection at the door makes the order rejected and credits every line', () => {
    const out = resolveDoorRejection(delivered, [
      { lineId: 'L1', qty: 2, condition: 'sellable', customerChoice: 'refund' },
      { lineId: 'L2', qty: 1, condition: 'sellable', customerChoice: 'refund' },
    ]);
    expect(out.nextState).to.equal('rejected');
    expect(out.full).to.equal(true);
    expect(out.totalCreditCents).to.equal(2 * 1290 + 4990);
    expect(out.lines.map((l) => [l.lineId, l.restock])).to.deep.equal([
      ['L1', false],
      ['L2', true],
    ]);
    expect(canTransition('dispatched', out.nextState)).to.equal(true);
  });

  it('partial rejection (one unit of one line) keeps the order delivered', () => {
    const out = resolveDoorRejection(delivered, [
      { lineId: 'L1', qty: 1, condition: 'damaged', customerChoice: 'refund' },
    ]);
    expect(out.nextState).to.equal('delivered');
    expect(out.full).to.equal(false);
    expect(out.totalCreditCents).to.equal(1290);
    expect(out.lines[0]).to.include({ writeOff: true, restock: false });
  });

  it('refuses rejections of unknown lines, too many units or the same line twice', () => {
    expect(() =>
      resolveDoorRejection(delivered, [{ lineId: 'L9', qty: 1, condition: 'sellable', customerChoice: 'refund' }]),
    ).to.throw(RangeError);
    expect(() =>
      resolveDoorRejection(delivered, [{ lineId: 'L2', qty: 2, condition: 'sellable', customerChoice: 'refund' }]),
    ).to.throw(RangeError);
    const twice = { lineId: 'L1', qty: 1, condition: 'sellable' as const, customerChoice: 'refund' as const };
    expect(() => resolveDoorRejection(delivered, [twice, twice])).to.throw(RangeError);
  });
});

describe('SLA checkpoints', () => {
  it('escalates at 80% of a 30-minute promise (24 min) and breaches after 30', () => {
    const cp = slaCheckpoints(instant(NOW), NOW);
    expect(cp).to.deep.equal({ windowStartMs: NOW, escalateAtMs: NOW + 24 * MIN, breachAtMs: NOW + 30 * MIN });
    expect(slaStatus(cp, NOW + 24 * MIN - 1)).to.equal('on_track');
    expect(slaStatus(cp, NOW + 24 * MIN)).to.equal('escalate');
    expect(slaStatus(cp, NOW + 30 * MIN)).to.equal('escalate'); // delivering at the promise is on time
    expect(slaStatus(cp, NOW + 30 * MIN + 1)).to.equal('breached');
  });

  it('measures a next-day scheduled slot from when the slot opens, not from the order', () => {
    const slot = { kind: 'scheduled' as const, start: NOW + 24 * HOUR, end: NOW + 25 * HOUR };
    const cp = slaCheckpoints(slot, NOW);
    expect(cp.escalateAtMs).to.equal(slot.start + 48 * MIN);
    expect(cp.breachAtMs).to.equal(slot.end);
  });

  it('measures a scheduled slot booked after it opened from the booking time', () => {
    const slot = { kind: 'scheduled' as const, start: NOW - 20 * MIN, end: NOW + 40 * MIN };
    expect(slaCheckpoints(slot, NOW).escalateAtMs).to.equal(NOW + 32 * MIN);
  });
});
