import { expect } from 'chai';
import { expectedOrdersPerSlot, markdownSuggestion, replenishmentSuggestion } from '../../../forecasting';
import { totalQuantile } from '../../../forecasting/planning/quantiles';

const flat = (days: number) => Array.from({ length: days }, () => ({ p10: 7, p50: 10, p90: 14 }));

describe('replenishment suggestion', () => {
  it('orders up to the p90 of demand over lead time + review period', () => {
    const s = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 20,
      onOrder: 0,
      shelfLifePeriods: 4,
    });
    // 5 × 10 + √(5 × 4²) = 58.94; minus 20 on hand → 38.94 → 39 units.
    expect(s.orderUpTo).to.be.closeTo(50 + Math.sqrt(80), 1e-9);
    expect(s.orderQuantity).to.equal(39);
    expect(s.limitedByExpiry).to.equal(false);
  });

  it('never orders more than can sell before expiry', () => {
    const s = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 20,
      onOrder: 0,
      shelfLifePeriods: 2,
    });
    expect(s.expiryCap).to.equal(20); // 2 days × p50 10 after arrival, old stock gone by then
    expect(s.orderQuantity).to.equal(20);
    expect(s.limitedByExpiry).to.equal(true);
  });

  it('counts old stock still on the shelf at arrival against the expiry cap', () => {
    const s = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 35,
      onOrder: 0,
      shelfLifePeriods: 2,
    });
    // 15 units left at arrival → only 5 more can sell in the 2-day shelf life.
    expect(s.orderQuantity).to.equal(5);
  });

  it('rounds to packs without crossing the expiry cap', () => {
    const capped = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 20,
      onOrder: 0,
      shelfLifePeriods: 2,
      packSize: 12,
    });
    expect(capped.orderQuantity).to.equal(12);
    const free = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 20,
      onOrder: 0,
      shelfLifePeriods: 9,
      packSize: 12,
    });
    expect(free.orderQuantity).to.equal(48);
  });

  it('orders nothing when stock covers the order-up-to level, and follows the service quantile', () => {
    expect(
      replenishmentSuggestion({
        forecast: flat(10),
        leadTimePeriods: 2,
        reviewPeriods: 3,
        onHand: 40,
        onOrder: 30,
        shelfLifePeriods: 9,
      }).orderQuantity,
    ).to.equal(0);
    const median = replenishmentSuggestion({
      forecast: flat(10),
      leadTimePeriods: 2,
      reviewPeriods: 3,
      onHand: 20,
      onOrder: 0,
      shelfLifePeriods: 9,
      serviceQuantile: 'p50',
    });
    expect(median.orderQuantity).to.equal(30);
  });

  it('rejects a forecast shorter than lead + review', () => {
    expect(() =>
      replenishmentSuggestion({
        forecast: flat(3),
        leadTimePeriods: 2,
        reviewPeriods: 3,
        onHand: 0,
        onOrder: 0,
        shelfLifePeriods: 2,
      }),
    ).to.throw(/lead \+ review/);
  });

  it('combines period quantiles as independent spreads', () => {
    expect(totalQuantile(flat(4), 0, 4, 0.9)).to.be.closeTo(40 + 8, 1e-9);
    expect(totalQuantile(flat(4), 0, 4, 0.1)).to.be.closeTo(40 - 6, 1e-9);
    expect(totalQuantile(flat(4), 0, 4, 0.5)).to.equal(40);
  });
});

describe('markdown suggestion', () => {
  it('flags lots whose FIFO demand before expiry is below stock', () => {
    const out = markdownSuggestion({
      lots: [
        { id: 'B', quantity: 30, expiresInPeriods: 5 },
        { id: 'A', quantity: 10, expiresInPeriods: 2 },
        { id: 'C', quantity: 5, expiresInPeriods: 9 },
      ],
      demand: [4, 4, 4, 4, 4, 4, 4, 4, 4],
    });
    // A sells 8 of 10 in its 2 days; B sells 3 × 4 = 12 of 30; C sells everything after B expires.
    expect(out.map((s) => s.lotId)).to.deep.equal(['A', 'B']);
    expect(out[0]).to.include({ atRisk: 2, expectedSold: 8, suggestedDiscount: 0.2 });
    expect(out[1]).to.include({ atRisk: 18, expectedSold: 12, suggestedDiscount: 0.3 });
  });

  it('suggests nothing when demand clears every lot in time', () => {
    expect(
      markdownSuggestion({ lots: [{ id: 'A', quantity: 5, expiresInPeriods: 3 }], demand: [2, 2, 2] }),
    ).to.deep.equal([]);
  });
});

describe('expected orders per slot', () => {
  const sku1 = [
    { ts: 0, mean: 4, p90: 7 },
    { ts: 1, mean: 2, p90: 2 },
  ];
  const sku2 = [
    { ts: 0, mean: 6, p90: 10 },
    { ts: 1, mean: 0, p90: 0 },
  ];

  it('sums units over SKUs and divides by units per order', () => {
    expect(expectedOrdersPerSlot([sku1, sku2], 2)).to.deep.equal([
      { ts: 0, expectedOrders: 5, p90Orders: 7.5 }, // spread √(3² + 4²) = 5 units
      { ts: 1, expectedOrders: 1, p90Orders: 1 },
    ]);
  });

  it('rejects misaligned SKU forecasts', () => {
    expect(() =>
      expectedOrdersPerSlot(
        [
          sku1,
          [
            { ts: 5, mean: 1, p90: 1 },
            { ts: 6, mean: 1, p90: 1 },
          ],
        ],
        2,
      ),
    ).to.throw(/aligned/);
  });
});
