// Stock truth: counts and POS sales are always applied; the shortfall below reserved comes out
// of holds (not-yet-picking fulfilments first, newest orders first); the POS batch body schema.
import { expect } from 'chai';
import fc from 'fast-check';
import { cutLine, decideShortfall, lotAfterFact } from '../../../domain/orders/shortfall';
import type { LotHold } from '../../../domain/orders/shortfall';
import { posSalesSchema } from '../../../api/routes/orders';

const hold: fc.Arbitrary<LotHold> = fc.record({
  fulfilmentId: fc.string({ minLength: 1, maxLength: 6 }),
  orderId: fc.string({ minLength: 1, maxLength: 6 }),
  allocationKey: fc.constant('k'),
  lineId: fc.string({ minLength: 1, maxLength: 4 }),
  fulfilmentState: fc.constantFrom('allocated' as const, 'picking' as const),
  placedAtMs: fc.integer({ min: 0, max: 8_640_000_000_000_000 }),
  unpicked: fc.integer({ min: 0, max: 1000 }),
});

describe('orders/shortfall: which holds lose units', () => {
  it('cuts exactly the shortfall (or every unpicked unit), never more than a hold has', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 5000 }), fc.array(hold, { maxLength: 12 }), (shortBy, holds) => {
        const d = decideShortfall(shortBy, holds);
        const cut = d.cuts.reduce((s, c) => s + c.qty, 0);
        const available = holds.reduce((s, h) => s + h.unpicked, 0);
        const wanted = Math.max(0, shortBy);
        expect(cut).to.equal(Math.min(wanted, available));
        expect(d.uncovered).to.equal(wanted - cut);
        for (const c of d.cuts) expect(c.qty).to.be.greaterThan(0);
      }),
    );
  });

  it('takes from fulfilments not being picked before any being picked, newest orders first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(hold, { maxLength: 12 }), (shortBy, raw) => {
        // Unique ids so a cut names its hold.
        const holds = raw.map((h, i) => ({ ...h, fulfilmentId: `f${i}` }));
        const d = decideShortfall(shortBy, holds);
        const byId = new Map(holds.map((h) => [h.fulfilmentId, h]));
        const cutIds = new Set(d.cuts.map((c) => c.fulfilmentId));
        const rank = (h: LotHold) => [h.fulfilmentState === 'picking' ? 1 : 0, -h.placedAtMs];
        const before = (a: LotHold, b: LotHold) => {
          const [x1, y1] = rank(a);
          const [x2, y2] = rank(b);
          return x1! < x2! || (x1 === x2 && y1! < y2!);
        };
        // A hold left untouched with units is never ahead of one that was cut into.
        for (const h of holds.filter((x) => x.unpicked > 0 && !cutIds.has(x.fulfilmentId))) {
          for (const c of d.cuts)
            expect(before(h, byId.get(c.fulfilmentId)!), `${h.fulfilmentId} skipped before ${c.fulfilmentId}`).to.equal(
              false,
            );
        }
      }),
    );
  });

  it('hostile numbers (NaN, fractions, huge) cut nothing rather than corrupt', () => {
    for (const bad of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(
        decideShortfall(bad, [
          {
            fulfilmentId: 'f',
            orderId: 'o',
            allocationKey: 'k',
            lineId: 'l',
            fulfilmentState: 'allocated',
            placedAtMs: 0,
            unpicked: 3,
          },
        ]).cuts,
      ).to.deep.equal([]);
    }
  });

  it('a count or sale is always applied; on_hand never below zero; the shortfall is what reserved exceeds it by', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom('count' as const, 'sale' as const),
        fc.integer({ min: 0, max: 1e6 }),
        (onHand, r, kind, qty) => {
          const reserved = Math.min(r, onHand);
          const after = lotAfterFact({ onHand, reserved }, { kind, qty });
          expect(after.onHand).to.equal(kind === 'count' ? qty : Math.max(0, onHand - qty));
          expect(after.shortBy).to.equal(Math.max(0, reserved - after.onHand));
        },
      ),
    );
  });

  it('cutLine removes only unpicked units of the lot, and drops a line left with nothing', () => {
    const line = {
      qty: 5,
      picked: 2,
      status: 'in_progress',
      lots: [
        { lotId: 'a', qty: 3, picked: 2 },
        { lotId: 'b', qty: 2, picked: 0 },
      ],
    };
    expect(cutLine(line, 'a', 9)).to.deep.include({ qty: 4 });
    expect(cutLine(line, 'b', 2)?.lots).to.deep.equal([{ lotId: 'a', qty: 3, picked: 2 }]);
    expect(cutLine({ qty: 2, lots: [{ lotId: 'a', qty: 2 }] }, 'a', 2)).to.equal(undefined);
    expect(
      cutLine({ qty: 3, picked: 2, status: 'in_progress', lots: [{ lotId: 'a', qty: 3, picked: 2 }] }, 'a', 1),
    ).to.deep.include({ qty: 2, status: 'picked' });
  });
});

describe('POST /v1/stock/sales body', () => {
  const line = { saleId: 'pos-1', nodeId: 'n1', sku: 'milk', qty: 2, soldAt: '2026-12-04T10:00:00Z' };

  it('accepts a batch of well-formed lines', () => {
    expect(posSalesSchema.parse({ sales: [line, { ...line, saleId: 'pos-2' }] }).sales).to.have.length(2);
  });

  it('refuses hostile input with the field named', () => {
    const bad: [unknown, string][] = [
      [{ sales: [] }, 'sales'],
      [{ sales: [{ ...line, saleId: 'a\u0000b' }] }, 'sales.0.saleId'],
      [{ sales: [{ ...line, sku: '\ud800' }] }, 'sales.0.sku'],
      [{ sales: [{ ...line, qty: 1e300 }] }, 'sales.0.qty'],
      [{ sales: [{ ...line, qty: 0 }] }, 'sales.0.qty'],
      [{ sales: [{ ...line, soldAt: '+275760-09-13T00:00:00Z' }] }, 'sales.0.soldAt'],
      [{ sales: [{ ...line, soldAt: '1900-01-01T00:00:00Z' }] }, 'sales.0.soldAt'],
      [
        JSON.parse(
          '{"sales":[{"saleId":"x","nodeId":"n","sku":"s","qty":1,"soldAt":"2026-12-04T10:00:00Z","__proto__":{"x":1}}]}',
        ),
        'sales.0',
      ],
      [{ sales: [line, line] }, 'sales.1.saleId'],
    ];
    for (const [body, path] of bad) {
      const r = posSalesSchema.safeParse(body);
      expect(r.success, JSON.stringify(body)).to.equal(false);
      expect(
        r.error!.issues.map((i) => i.path.join('.')),
        JSON.stringify(body),
      ).to.include(path);
    }
  });

  it('never throws on arbitrary JSON, deep nesting included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 30 }), (v) => {
        expect(() => posSalesSchema.safeParse({ sales: [v] })).not.to.throw();
      }),
    );
  });
});
