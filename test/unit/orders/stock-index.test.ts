import { expect } from 'chai';
import { allocateOrder } from '../../../domain/orders/allocation';
import { slotKey } from '../../../domain/orders/slots';
import {
  buildStockIndex,
  lotRequests,
  lotsAt,
  release,
  reserve,
  slotUsed,
  type StockIndex,
} from '../../../domain/orders/stock-index';
import type { Allocation } from '../../../domain/orders/types';
import { east, frontNode, instant, lines, lot, MIN, NOW, order, sku } from './fixtures';

function totalAvailable(idx: StockIndex, nodeId: string, s: string): number {
  return lotsAt(idx, nodeId, s).reduce((t, l) => t + l.available, 0);
}

describe('StockIndex: build and read', () => {
  it('sorts lots by expiry, then lot id, whatever the input order', () => {
    const idx = buildStockIndex(
      [frontNode('F1', east(1))],
      [sku('A')],
      [
        lot('F1', 'A', 1, '2025-03-09', { lotId: 'b' }),
        lot('F1', 'A', 1, '2025-03-05', { lotId: 'z' }),
        lot('F1', 'A', 1, '2025-03-09', { lotId: 'a' }),
      ],
    );
    expect(lotsAt(idx, 'F1', 'A').map((l) => l.lotId)).to.deep.equal(['z', 'a', 'b']);
    expect(lotsAt(idx, 'F1', 'NOPE')).to.deep.equal([]);
    expect(lotsAt(idx, 'NOPE', 'A')).to.deep.equal([]);
  });

  it('refuses negative or fractional stock, duplicate lots, unknown nodes and bad dates', () => {
    const n = [frontNode('F1', east(1))];
    expect(() => buildStockIndex(n, [sku('A')], [lot('F1', 'A', -1)])).to.throw(/bad quantity/);
    expect(() => buildStockIndex(n, [sku('A')], [lot('F1', 'A', 1.5)])).to.throw(/bad quantity/);
    expect(() =>
      buildStockIndex(
        n,
        [sku('A')],
        [lot('F1', 'A', 1, '2025-03-09', { lotId: 'x' }), lot('F1', 'A', 1, '2025-03-10', { lotId: 'x' })],
      ),
    ).to.throw(/duplicate lot/);
    expect(() => buildStockIndex(n, [sku('A')], [lot('F9', 'A', 1)])).to.throw(/unknown node/);
    expect(() => buildStockIndex(n, [sku('A')], [lot('F1', 'A', 1, '2025-02-30')])).to.throw(/calendar date/);
  });

  it('indexes hundreds of SKUs per node without mixing them up across chunk boundaries', () => {
    const skus = Array.from({ length: 300 }, (_, i) => sku(`S${i}`));
    const lots = skus.map((s, i) => lot('F1', s.sku, i + 1, '2025-03-20', { lotId: `L${i}` }));
    const idx = buildStockIndex([frontNode('F1', east(1))], skus, lots);
    for (const i of [0, 63, 64, 127, 128, 299]) expect(lotsAt(idx, 'F1', `S${i}`)[0]?.available).to.equal(i + 1);
  });
});

describe('StockIndex: reservations', () => {
  const base = () =>
    buildStockIndex(
      [frontNode('F1', east(1), { slotCapacity: { instant: 100 } })],
      [sku('A'), sku('B')],
      [
        lot('F1', 'A', 5, '2025-03-10', { lotId: 'A1' }),
        lot('F1', 'A', 5, '2025-03-12', { lotId: 'A2' }),
        lot('F1', 'B', 2, '2025-03-12', { lotId: 'B1' }),
      ],
    );

  it('returns the quantity reserved per lot, decrements stock and leaves the old index untouched', () => {
    const idx = base();
    const o = order(lines(['A', 7], ['B', 1]));
    const r = reserve(idx, o, allocateOrder(idx, o, NOW));
    if (!r.ok) throw new Error('expected ok');
    expect(r.reservation.lots).to.deep.equal([
      { nodeId: 'F1', sku: 'A', lotId: 'A1', qty: 5 },
      { nodeId: 'F1', sku: 'A', lotId: 'A2', qty: 2 },
      { nodeId: 'F1', sku: 'B', lotId: 'B1', qty: 1 },
    ]);
    expect(totalAvailable(r.index, 'F1', 'A')).to.equal(3);
    expect(totalAvailable(r.index, 'F1', 'B')).to.equal(1);
    expect(slotUsed(r.index, 'F1', slotKey(o.slot))).to.equal(1);
    expect(totalAvailable(idx, 'F1', 'A')).to.equal(10);
    expect(slotUsed(idx, 'F1', slotKey(o.slot))).to.equal(0);
  });

  it('never goes negative on the last units: 20 sequential one-unit orders, 5 units', () => {
    let idx = buildStockIndex(
      [frontNode('F1', east(1))],
      [sku('A')],
      [lot('F1', 'A', 3, '2025-03-10'), lot('F1', 'A', 2, '2025-03-11')],
    );
    let served = 0;
    for (let i = 0; i < 20; i++) {
      const o = order(lines(['A', 1]), { orderId: `O-${i}` });
      const a = allocateOrder(idx, o, NOW);
      const r = reserve(idx, o, a);
      if (!r.ok) throw new Error('fresh allocation must reserve');
      idx = r.index;
      if (a.fulfilments.length === 1) served++;
      else expect(a.unfulfilled[0]?.code).to.equal('insufficient_stock');
      for (const l of lotsAt(idx, 'F1', 'A')) expect(l.available).to.be.at.least(0);
    }
    expect(served).to.equal(5);
    expect(totalAvailable(idx, 'F1', 'A')).to.equal(0);
  });

  it('refuses a stale allocation all-or-nothing: stock stays whole and never negative', () => {
    const idx0 = base();
    const o1 = order(lines(['B', 2]), { orderId: 'O-1' });
    const o2 = order(lines(['A', 1], ['B', 1]), { orderId: 'O-2' });
    const a1 = allocateOrder(idx0, o1, NOW);
    const a2 = allocateOrder(idx0, o2, NOW); // made before O-1 reserved: stale
    const r1 = reserve(idx0, o1, a1);
    if (!r1.ok) throw new Error('expected ok');
    const r2 = reserve(r1.index, o2, a2);
    expect(r2.ok).to.equal(false);
    if (r2.ok) return;
    expect(r2.index).to.equal(r1.index);
    expect(r2.shortages).to.deep.equal([
      { nodeId: 'F1', sku: 'B', lotId: 'B1', requested: 1, available: 0, reason: 'lot_short' },
    ]);
    expect(totalAvailable(r2.index, 'F1', 'A')).to.equal(10); // A was not taken either
  });

  it('keeps every lot ≥ 0 and the books balanced under a long random mix of fresh and stale allocations', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4_294_967_296;
    const skus = ['A', 'B', 'C'].map((s) => sku(s));
    const start = buildStockIndex(
      [frontNode('F1', east(1), { slotCapacity: { '*': 10_000 } })],
      skus,
      skus.flatMap((s) => [lot('F1', s.sku, 7, '2025-03-10'), lot('F1', s.sku, 4, '2025-03-14')]),
    );
    let idx = start;
    const history: StockIndex[] = [start];
    const reserved = new Map<string, number>();
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const seen = rnd() < 0.5 ? idx : (history[Math.floor(rnd() * history.length)] as StockIndex);
      const o = order(lines([skus[Math.floor(rnd() * 3)]?.sku ?? 'A', 1 + Math.floor(rnd() * 3)]), {
        orderId: `O-${i}`,
      });
      const r = reserve(idx, o, allocateOrder(seen, o, NOW));
      if (!r.ok) {
        refused++;
        continue;
      }
      idx = r.index;
      history.push(idx);
      for (const l of r.reservation.lots) reserved.set(l.lotId, (reserved.get(l.lotId) ?? 0) + l.qty);
      for (const s of skus) for (const l of lotsAt(idx, 'F1', s.sku)) expect(l.available).to.be.at.least(0);
    }
    for (const s of skus)
      for (const l of lotsAt(idx, 'F1', s.sku)) expect(l.onHand - l.available).to.equal(reserved.get(l.lotId) ?? 0);
    expect(refused).to.be.greaterThan(0); // stale allocations did happen and were refused
  });

  it('re-checks slot capacity at reservation time', () => {
    const idx0 = buildStockIndex(
      [frontNode('F1', east(1), { slotCapacity: { instant: 1 } })],
      [sku('A')],
      [lot('F1', 'A', 9)],
    );
    const o1 = order(lines(['A', 1]), { orderId: 'O-1' });
    const o2 = order(lines(['A', 1]), { orderId: 'O-2' });
    const a2 = allocateOrder(idx0, o2, NOW);
    const r1 = reserve(idx0, o1, allocateOrder(idx0, o1, NOW));
    if (!r1.ok) throw new Error('expected ok');
    const r2 = reserve(r1.index, o2, a2);
    expect(r2.ok).to.equal(false);
    if (!r2.ok) expect(r2.shortages.map((s) => s.reason)).to.deep.equal(['capacity_full']);
  });

  it('rejects forged non-positive quantities instead of growing stock', () => {
    const idx = base();
    const o = order(lines(['A', 1]));
    const a = allocateOrder(idx, o, NOW);
    const forged: Allocation = {
      ...a,
      fulfilments: a.fulfilments.map((f) => ({
        ...f,
        totes: f.totes.map((t) => ({
          ...t,
          lines: t.lines.map((l) => ({ ...l, lots: l.lots.map((x) => ({ ...x, qty: -3 })) })),
        })),
      })),
    };
    const r = reserve(idx, o, forged);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.shortages[0]?.reason).to.equal('bad_quantity');
    expect(totalAvailable(r.index, 'F1', 'A')).to.equal(10);
  });

  it('sums repeated lots in one allocation before checking them', () => {
    const idx = base();
    const o = order(lines(['B', 1], ['B', 1]));
    const a = allocateOrder(idx, o, NOW);
    expect(lotRequests(a)).to.deep.equal([{ nodeId: 'F1', sku: 'B', lotId: 'B1', qty: 2 }]);
  });

  it('release gives stock and capacity back, capped at on-hand and at zero usage', () => {
    const idx0 = base();
    const o = order(lines(['A', 6]), { slot: instant() });
    const r = reserve(idx0, o, allocateOrder(idx0, o, NOW));
    if (!r.ok) throw new Error('expected ok');
    const once = release(r.index, r.reservation);
    expect(totalAvailable(once.index, 'F1', 'A')).to.equal(10);
    expect(once.released.reduce((t, l) => t + l.qty, 0)).to.equal(6);
    expect(slotUsed(once.index, 'F1', r.reservation.slotKey)).to.equal(0);
    // A duplicate release (retry) cannot create stock or negative usage.
    const twice = release(once.index, r.reservation);
    expect(totalAvailable(twice.index, 'F1', 'A')).to.equal(10);
    expect(twice.released).to.deep.equal([]);
    expect(slotUsed(twice.index, 'F1', r.reservation.slotKey)).to.equal(0);
  });

  it('lets a later order use stock released by a cancelled one', () => {
    let idx = buildStockIndex([frontNode('F1', east(1))], [sku('A')], [lot('F1', 'A', 1)]);
    const o1 = order(lines(['A', 1]), { orderId: 'O-1' });
    const r1 = reserve(idx, o1, allocateOrder(idx, o1, NOW));
    if (!r1.ok) throw new Error('expected ok');
    idx = r1.index;
    const o2 = order(lines(['A', 1]), { orderId: 'O-2', placedAt: NOW + MIN, slot: instant(NOW + MIN) });
    expect(allocateOrder(idx, o2, NOW + MIN).fulfilments).to.have.length(0);
    idx = release(idx, r1.reservation).index;
    expect(allocateOrder(idx, o2, NOW + MIN).fulfilments).to.have.length(1);
  });
});
