import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_RETURN_WINDOWS, resolveCustomerReturn, takeFromLots } from '../../../domain/orders';
import { lotsHeldByCustomer, returnedFromLots } from '../../../domain/orders/returns';
import type { ReturnableLine, ReturnRequestLine } from '../../../domain/orders';

const deliveredAt = Date.parse('2026-11-20T10:00:00+08:00');
const HOUR = 3_600_000;
const milk: ReturnableLine = {
  lineId: 'milk',
  sku: { sku: 'MILK', perishable: true, unitPriceCents: 800 },
  delivered: 2,
  returned: 0,
  deliveredAtMs: deliveredAt,
};
const rice: ReturnableLine = {
  lineId: 'rice',
  sku: { sku: 'RICE', perishable: false, unitPriceCents: 2000 },
  delivered: 3,
  returned: 1,
  deliveredAtMs: deliveredAt,
};
const ask = (over: Partial<ReturnRequestLine> & { lineId: string }): ReturnRequestLine => ({
  qty: 1,
  reason: 'quality',
  condition: 'unknown',
  customerChoice: 'refund',
  ...over,
});

describe('returns after delivery (resolveCustomerReturn)', () => {
  it('refunds sour milk and writes it off; takes back unwanted rice in sellable condition onto the shelf', () => {
    const d = resolveCustomerReturn(
      [milk, rice],
      [ask({ lineId: 'milk', qty: 2 }), ask({ lineId: 'rice', qty: 2, reason: 'changed_mind', condition: 'sellable' })],
      deliveredAt + 20 * HOUR,
    );
    expect(d).to.deep.equal({
      ok: true,
      creditCents: 2 * 800 + 2 * 2000,
      lines: [
        {
          lineId: 'milk',
          sku: 'MILK',
          qty: 2,
          reason: 'quality',
          creditCents: 1600,
          restock: false,
          writeOff: true,
          replacement: false,
        },
        {
          lineId: 'rice',
          sku: 'RICE',
          qty: 2,
          reason: 'changed_mind',
          creditCents: 4000,
          restock: true,
          writeOff: false,
          replacement: false,
        },
      ],
    });
  });

  it('sends a replacement instead of money when the customer asks for one', () => {
    const d = resolveCustomerReturn(
      [milk],
      [ask({ lineId: 'milk', customerChoice: 'replacement' })],
      deliveredAt + HOUR,
    );
    expect(d.ok && d.lines[0]).to.include({ replacement: true, creditCents: 0, writeOff: true });
    expect(d.ok && d.creditCents).to.equal(0);
  });

  it('never takes back more than the customer still holds: delivered minus earlier returns', () => {
    const d = resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 3, reason: 'damaged' })], deliveredAt + HOUR);
    expect(d).to.deep.equal({
      ok: false,
      refusal: 'line rice: cannot return 3; 2 returnable (3 delivered, 1 returned before)',
    });
    expect(resolveCustomerReturn([{ ...rice, returned: 3 }], [ask({ lineId: 'rice' })], deliveredAt).ok).to.equal(
      false,
    );
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 0 })], deliveredAt).ok, 'zero units').to.equal(
      false,
    );
    expect(
      resolveCustomerReturn([rice], [ask({ lineId: 'rice', qty: 1.5 })], deliveredAt).ok,
      'part of a unit',
    ).to.equal(false);
  });

  it('keeps fresh goods out of no-reason returns, but accepts their quality, damage and wrong-item claims', () => {
    const changed = resolveCustomerReturn(
      [milk],
      [ask({ lineId: 'milk', reason: 'changed_mind', condition: 'sellable' })],
      deliveredAt + HOUR,
    );
    expect(changed).to.deep.equal({
      ok: false,
      refusal: 'line milk: fresh goods are returned only for a quality problem, damage or a wrong item',
    });
    for (const reason of ['quality', 'damaged', 'wrong_item'] as const) {
      const d = resolveCustomerReturn(
        [milk],
        [ask({ lineId: 'milk', reason, condition: 'sellable' })],
        deliveredAt + HOUR,
      );
      expect(d.ok && d.lines[0], reason).to.include({ restock: false, writeOff: true });
    }
  });

  it('closes the window 48 h after delivery for perishables and 7 days for ambient goods', () => {
    expect(
      resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 48 * HOUR).ok,
      'on the edge',
    ).to.equal(true);
    expect(resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 48 * HOUR + 1)).to.deep.equal({
      ok: false,
      refusal: 'line milk: perishable goods can be returned within 48 h of delivery',
    });
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice' })], deliveredAt + 6 * 24 * HOUR).ok).to.equal(true);
    expect(resolveCustomerReturn([rice], [ask({ lineId: 'rice' })], deliveredAt + 7 * 24 * HOUR + 1)).to.deep.equal({
      ok: false,
      refusal: 'line rice: ambient goods can be returned within 7 days of delivery',
    });
    expect(
      resolveCustomerReturn([milk], [ask({ lineId: 'milk' })], deliveredAt + 3 * HOUR, {
        ...DEFAULT_RETURN_WINDOWS,
        perishableMs: 2 * HOUR,
      }).ok,
      'a shorter window when configured',
    ).to.equal(false);
  });

  it('refuses the whole return for an unknown or repeated line, or an empty request', () => {
    expect(
      resolveCustomerReturn([milk, rice], [ask({ lineId: 'rice' }), ask({ lineId: 'eggs' })], deliveredAt),
    ).to.deep.equal({ ok: false, refusal: 'line eggs was not delivered with this order' });
    expect(
      resolveCustomerReturn([milk], [ask({ lineId: 'milk' }), ask({ lineId: 'milk' })], deliveredAt),
    ).to.deep.equal({ ok: false, refusal: 'line milk appears twice' });
    expect(resolveCustomerReturn([milk], [], deliveredAt)).to.deep.equal({
      ok: false,
      refusal: 'a return names at least one line',
    });
  });
});

describe('takeFromLots: which lots returned units came from', () => {
  const lots = [
    { lotId: 'A', qty: 2 },
    { lotId: 'B', qty: 3 },
  ];
  it('takes from the last lot first, then the one before, never more than each gave', () => {
    expect(takeFromLots(lots, 2)).to.deep.equal([{ lotId: 'B', qty: 2 }]);
    expect(takeFromLots(lots, 4)).to.deep.equal([
      { lotId: 'B', qty: 3 },
      { lotId: 'A', qty: 1 },
    ]);
    expect(takeFromLots(lots, 9), 'no more than the line held').to.deep.equal([
      { lotId: 'B', qty: 3 },
      { lotId: 'A', qty: 2 },
    ]);
    expect(takeFromLots([], 1)).to.deep.equal([]);
  });
});

describe('lots of a return after delivery: booked by the lots actually picked (lotsHeldByCustomer, returnedFromLots)', () => {
  const picked = (lotId: string, expiresOn: string, n: number) => ({ lotId, expiresOn, picked: n });

  it('books a return of a line picked from two lots against both, freshest first, never more than a lot gave', () => {
    const held = lotsHeldByCustomer(
      [{ lots: [picked('B', '2026-12-09', 2), picked('A', '2026-12-07', 2)], refused: 0 }],
      [],
    );
    expect(held, 'in allocation (FEFO) order').to.deep.equal([
      { lotId: 'A', qty: 2 },
      { lotId: 'B', qty: 2 },
    ]);
    expect(returnedFromLots(held, 3)).to.deep.equal([
      { lotId: 'B', qty: 2 },
      { lotId: 'A', qty: 1 },
    ]);
  });

  it('leaves out what was refused at the door (booked as the fulfilment booked it) and what came back before', () => {
    const delivery = { lots: [picked('A', '2026-12-07', 2), picked('B', '2026-12-09', 2)], refused: 1 };
    expect(lotsHeldByCustomer([delivery], []), 'the door gave back one unit of B').to.deep.equal([
      { lotId: 'A', qty: 2 },
      { lotId: 'B', qty: 1 },
    ]);
    expect(lotsHeldByCustomer([delivery], [{ lotId: 'B', qty: 1 }])).to.deep.equal([{ lotId: 'A', qty: 2 }]);
    expect(
      lotsHeldByCustomer([delivery, { lots: [picked('C', '2026-12-08', 1)], refused: 0 }], []),
      'two fulfilments of one line',
    ).to.deep.equal([
      { lotId: 'A', qty: 2 },
      { lotId: 'C', qty: 1 },
      { lotId: 'B', qty: 1 },
    ]);
  });

  it('refuses to book more units than the customer holds', () => {
    expect(() => returnedFromLots([{ lotId: 'A', qty: 1 }], 2)).to.throw(RangeError, /2 units.*1 held/);
  });

  const lotIds = ['A', 'B', 'C', '__proto__', 'x\u0000y'];
  const delivery = fc
    .record({
      lots: fc.uniqueArray(
        fc.record({
          lotId: fc.constantFrom(...lotIds),
          expiresOn: fc.constantFrom('2026-12-01', '2026-12-05', '9999-12-31'),
          picked: fc.nat({ max: 50 }),
        }),
        { selector: (l) => l.lotId, maxLength: 4 },
      ),
      refusedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ lots, refusedShare }) => ({
      lots,
      refused: Math.floor(refusedShare * lots.reduce((s, l) => s + l.picked, 0)),
    }));

  it('property: a line returned in any number of steps books each unit once, on a lot it was picked from, and never more than that lot gave', () => {
    fc.assert(
      fc.property(
        fc.array(delivery, { maxLength: 3 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        (deliveries, shares) => {
          const gave = new Map<string, number>();
          for (const d of deliveries) for (const l of d.lots) gave.set(l.lotId, (gave.get(l.lotId) ?? 0) + l.picked);
          const kept = deliveries.reduce((s, d) => s + d.lots.reduce((t, l) => t + l.picked, 0) - d.refused, 0);
          const returned: { lotId: string; qty: number }[] = [];
          let total = 0;
          for (const share of shares) {
            const held = lotsHeldByCustomer(deliveries, returned);
            const left = held.reduce((s, l) => s + l.qty, 0);
            expect(left).to.equal(kept - total);
            const qty = Math.floor(share * left);
            const split = returnedFromLots(held, qty);
            expect(split.reduce((s, l) => s + l.qty, 0)).to.equal(qty);
            for (const l of split) expect(l.qty).to.be.greaterThan(0);
            returned.push(...split);
            total += qty;
          }
          for (const [lotId, qty] of gave)
            expect(returned.filter((r) => r.lotId === lotId).reduce((s, r) => s + r.qty, 0)).to.be.at.most(qty);
          for (const r of returned) expect(gave.has(r.lotId)).to.equal(true);
        },
      ),
    );
  });
});
