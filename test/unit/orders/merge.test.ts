import { expect } from 'chai';
import { mergeDeliveries, mergeSlotKey } from '../../../domain/orders/merge';
import type { PlacedFulfilment, Slot } from '../../../domain/orders/types';
import { HOUR, instant, MIN, NOW } from './fixtures';

const SCHEDULED: Slot = { kind: 'scheduled', start: NOW + 24 * HOUR, end: NOW + 25 * HOUR };

function pf(
  orderId: string,
  allocatedAt: number,
  over: { nodeId?: string; addressKey?: string; slot?: Slot; etaMs?: number } = {},
): PlacedFulfilment {
  const slot = over.slot ?? SCHEDULED;
  return {
    orderId,
    addressKey: over.addressKey ?? 'ak_door1',
    slot,
    allocatedAt,
    fulfilment: {
      nodeId: over.nodeId ?? 'F1',
      nodeKind: 'front',
      totes: [],
      etaMs: over.etaMs ?? slot.start,
      pickDeadlineMs: slot.end - 10 * MIN,
      distanceKm: 1,
    },
  };
}

describe('mergeDeliveries', () => {
  const windowMs = 10 * MIN;

  it('merges orders for the same door, slot and node inside the window', () => {
    const d = mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW + 4 * MIN)], { windowMs });
    expect(d).to.have.length(1);
    expect(d[0]?.orderIds).to.deep.equal(['O-1', 'O-2']);
    expect(d[0]?.explanation.join(' ')).to.contain('O-2 joins O-1');
  });

  it('includes the window edge and excludes one millisecond past it', () => {
    expect(mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW + windowMs)], { windowMs })).to.have.length(1);
    const apart = mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW + windowMs + 1)], { windowMs });
    expect(apart.map((x) => x.orderIds)).to.deep.equal([['O-1'], ['O-2']]);
    expect(apart[1]?.explanation.join(' ')).to.contain('outside the 10.0 min window');
  });

  it('anchors the window on the first order, so a trickle cannot chain forever', () => {
    const d = mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW + 8 * MIN), pf('O-3', NOW + 16 * MIN)], { windowMs });
    expect(d.map((x) => x.orderIds)).to.deep.equal([['O-1', 'O-2'], ['O-3']]);
  });

  it('keeps different nodes apart and says why', () => {
    const d = mergeDeliveries([pf('O-1', NOW, { nodeId: 'F1' }), pf('O-2', NOW + MIN, { nodeId: 'S1' })], { windowMs });
    expect(d).to.have.length(2);
    expect(d.find((x) => x.nodeId === 'F1')?.explanation.join(' ')).to.contain('also served from S1');
  });

  it('keeps different scheduled slots and different doors apart', () => {
    const other: Slot = { kind: 'scheduled', start: SCHEDULED.end, end: SCHEDULED.end + HOUR };
    expect(mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW, { slot: other })], { windowMs })).to.have.length(2);
    expect(mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW, { addressKey: 'ak_door2' })], { windowMs })).to.have.length(
      2,
    );
  });

  it('merges instant orders to one door (each has its own 30-minute window) and keeps the strictest promise', () => {
    const a = pf('O-1', NOW, { slot: instant(NOW), etaMs: NOW + 12 * MIN });
    const b = pf('O-2', NOW + 5 * MIN, { slot: instant(NOW + 5 * MIN), etaMs: NOW + 17 * MIN });
    const d = mergeDeliveries([a, b], { windowMs });
    expect(d).to.have.length(1);
    expect(d[0]?.promiseMs).to.equal(NOW + 30 * MIN);
    expect(d[0]?.etaMs).to.equal(NOW + 17 * MIN);
    expect(mergeSlotKey(a.slot)).to.equal(mergeSlotKey(b.slot));
  });

  it('never merges an instant order with a scheduled one', () => {
    expect(mergeDeliveries([pf('O-1', NOW, { slot: instant(NOW) }), pf('O-2', NOW)], { windowMs })).to.have.length(2);
  });

  it('ignores duplicate reports and does not depend on input order', () => {
    const items = [pf('O-3', NOW + 2 * MIN), pf('O-1', NOW), pf('O-2', NOW + MIN, { nodeId: 'S1' }), pf('O-1', NOW)];
    const d1 = mergeDeliveries(items, { windowMs });
    const d2 = mergeDeliveries([...items].reverse(), { windowMs });
    expect(d1).to.deep.equal(d2);
    expect(d1.flatMap((x) => x.orderIds).sort()).to.deep.equal(['O-1', 'O-2', 'O-3']);
  });

  it('with a zero window only merges orders allocated at the same instant', () => {
    expect(mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW)], { windowMs: 0 })).to.have.length(1);
    expect(mergeDeliveries([pf('O-1', NOW), pf('O-2', NOW + 1)], { windowMs: 0 })).to.have.length(2);
    expect(() => mergeDeliveries([], { windowMs: -1 })).to.throw(RangeError);
  });
});
