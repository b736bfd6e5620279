// Which orders a cold-chain incident impacts (domain/coldchain/orderExposure.ts), without services.
import { expect } from 'chai';
import fc from 'fast-check';
import { holdingExposed, orderExposure } from '../../../domain/coldchain/orderExposure';
import type { LotHolding } from '../../../domain/coldchain/orderExposure';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 10, 12, 0, 0);

describe('coldchain/orderExposure: orders impacted by an excursion', () => {
  it('an order whose units left (packed) or were delivered before the excursion began is not impacted', () => {
    expect(
      orderExposure([{ lotId: 'L1', leftAssetAt: START - 60 * MIN, deliveredAt: START - 30 * MIN }], START),
    ).to.deep.equal({ impacted: false });
    expect(
      orderExposure([{ lotId: 'L1', leftAssetAt: START - 1, deliveredAt: null }], START),
      'packed, still on the way',
    ).to.deep.equal({ impacted: false });
    expect(
      orderExposure([{ lotId: 'L1', leftAssetAt: null, deliveredAt: START - 1 }], START),
      'delivered, no packing record',
    ).to.deep.equal({ impacted: false });
  });

  it('an order delivered after the excursion began (its units were in the asset) is delivered_exposed, not a workflow matter', () => {
    const r = orderExposure([{ lotId: 'L1', leftAssetAt: START + 5 * MIN, deliveredAt: START + 25 * MIN }], START);
    expect(r).to.deep.equal({
      impacted: true,
      status: 'delivered_exposed',
      lotIds: ['L1'],
      deliveredAt: START + 25 * MIN,
    });
  });

  it('units still in the asset, or packed after the start and not delivered, are in flight: signal the workflow', () => {
    expect(orderExposure([{ lotId: 'L1', leftAssetAt: null, deliveredAt: null }], START)).to.deep.equal({
      impacted: true,
      status: 'in_flight',
      lotIds: ['L1'],
    });
    expect(
      orderExposure([{ lotId: 'L1', leftAssetAt: START, deliveredAt: null }], START),
      'left at the very start: exposed',
    ).to.deep.equal({ impacted: true, status: 'in_flight', lotIds: ['L1'] });
  });

  it('lists only the exposed lots; one exposed holding not yet delivered makes the order in flight', () => {
    const holdings: LotHolding[] = [
      { lotId: 'B', leftAssetAt: START - MIN, deliveredAt: START + MIN }, // gone before: not exposed
      { lotId: 'A', leftAssetAt: START + MIN, deliveredAt: START + 9 * MIN },
      { lotId: 'C', leftAssetAt: null, deliveredAt: null },
    ];
    expect(orderExposure(holdings, START)).to.deep.equal({ impacted: true, status: 'in_flight', lotIds: ['A', 'C'] });
    expect(orderExposure(holdings.slice(0, 2), START)).to.deep.equal({
      impacted: true,
      status: 'delivered_exposed',
      lotIds: ['A'],
      deliveredAt: START + 9 * MIN,
    });
  });

  const time = fc.oneof(
    fc.constant(null),
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1e308, 1e308),
  );
  const holding = fc.record({
    lotId: fc.constantFrom('A', 'B', 'C', '__proto__', 'L\u0000', '\ud800'),
    leftAssetAt: time,
    deliveredAt: time,
  });
  const start = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(Number.NaN, -1e308, 1e308));

  it('property: impacted exactly when some holding was in the asset at the start; lots sorted, unique, exposed ones only', () => {
    fc.assert(
      fc.property(fc.array(holding, { maxLength: 8 }), start, (hs, s) => {
        const r = orderExposure(hs, s);
        const exposed = hs.filter((h) => holdingExposed(h, s));
        expect(r.impacted).to.equal(exposed.length > 0);
        if (!r.impacted) return;
        expect(r.lotIds).to.deep.equal([...new Set(exposed.map((h) => h.lotId))].sort());
        const allDelivered = exposed.every((h) => h.deliveredAt !== null && Number.isFinite(h.deliveredAt));
        expect(r.status).to.equal(allDelivered ? 'delivered_exposed' : 'in_flight');
      }),
    );
  });

  it('property: the answer does not depend on the order of holdings, and unknown times never hide an exposure', () => {
    fc.assert(
      fc.property(fc.array(holding, { maxLength: 8 }), start, (hs, s) => {
        expect(orderExposure([...hs].reverse(), s)).to.deep.equal(orderExposure(hs, s));
        const unknown = hs.map((h) => ({ ...h, leftAssetAt: null, deliveredAt: null }));
        if (unknown.length) expect(orderExposure(unknown, s)).to.deep.include({ impacted: true, status: 'in_flight' });
      }),
    );
  });
});
