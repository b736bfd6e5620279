import { expect } from 'chai';
import { allocateOrder } from '../../../domain/orders/allocation';
import { parseBin } from '../../../domain/orders/bins';
import { cityTime, generateCity, generateOrders } from '../../../demo/city';
import { isoDateToEpochDay, localEpochDay, MINUTE_MS, HOUR_MS } from '../../../domain/orders/dates';
import { haversineKm } from '../../../domain/orders/geo';
import { buildStockIndex } from '../../../domain/orders/stock-index';

describe('generateCity', () => {
  const opts = { frontWarehouses: 6, storeWarehouses: 3, skus: 400 };
  const city = generateCity(11, opts);

  it('is deterministic per seed and differs across seeds', () => {
    expect(generateCity(11, opts)).to.deep.equal(city);
    expect(generateCity(12, opts).lots).to.not.deep.equal(city.lots);
  });

  it('builds the requested nodes around Shanghai with the two node kinds', () => {
    expect(city.nodes.filter((n) => n.kind === 'front')).to.have.length(6);
    expect(city.nodes.filter((n) => n.kind === 'store')).to.have.length(3);
    expect(new Set(city.nodes.map((n) => n.id)).size).to.equal(9);
    for (const n of city.nodes) expect(haversineKm(n.location, { lat: 31.23, lng: 121.47 })).to.be.below(15);
    for (const n of city.nodes.filter((x) => x.kind === 'front')) expect(n.serviceRadiusKm).to.equal(3);
  });

  it('builds a fresh catalogue across the expected categories and zones', () => {
    expect(city.skus).to.have.length(400);
    const cats = new Set(city.skus.map((s) => s.category));
    for (const c of [
      'leafy_greens',
      'berries',
      'dairy',
      'meat',
      'seafood',
      'frozen_dumplings',
      'ice_cream',
      'bread',
      'rice',
      'oil',
      'drinks',
    ])
      expect(cats, c).to.include(c);
    expect(
      city.skus.filter((s) => s.category === 'ice_cream').every((s) => s.zone === 'frozen' && s.perishable),
    ).to.equal(true);
    expect(city.skus.filter((s) => s.category === 'rice').every((s) => s.zone === 'ambient' && !s.perishable)).to.equal(
      true,
    );
  });

  it('stocks only what a node can store, with valid dates, bins and a fresh newest lot', () => {
    const nodes = new Map(city.nodes.map((n) => [n.id, n]));
    const skus = new Map(city.skus.map((s) => [s.sku, s]));
    const base = isoDateToEpochDay(city.baseDate);
    for (const l of city.lots) {
      const node = nodes.get(l.nodeId);
      const s = skus.get(l.sku);
      if (!node || !s) throw new Error(`dangling lot ${l.lotId}`);
      expect(node.zones).to.include(s.zone);
      expect(Number.isInteger(l.available) && l.available >= 2).to.equal(true);
      expect(parseBin(l.bin ?? '')).to.not.equal(null);
      if (l.lotId.endsWith('-L1')) expect(isoDateToEpochDay(l.expiresOn) - base).to.be.at.least(s.minShelfLifeDays);
    }
    expect(city.nodes.some((n) => !n.zones.includes('frozen')) || city.nodes.length < 8).to.equal(true);
    expect(new Set(city.lots.map((l) => `${l.nodeId}/${l.lotId}`)).size).to.equal(city.lots.length);
  });
});

describe('generateOrders', () => {
  const city = generateCity(5, { frontWarehouses: 6, storeWarehouses: 3, skus: 400 });
  const now = cityTime(city, 9);
  const orders = generateOrders(city, 9, 300, now, { spreadMs: 4 * HOUR_MS });

  it('is deterministic and ordered by placement time', () => {
    expect(generateOrders(city, 9, 300, now, { spreadMs: 4 * HOUR_MS })).to.deep.equal(orders);
    for (let i = 1; i < orders.length; i++) expect(orders[i]?.placedAt).to.be.at.least(orders[i - 1]?.placedAt ?? 0);
    expect(new Set(orders.map((o) => o.orderId)).size).to.equal(300);
  });

  it('makes realistic baskets: 5–20 distinct SKUs, 1–3 units each', () => {
    for (const o of orders) {
      expect(o.lines.length).to.be.within(5, 20);
      expect(new Set(o.lines.map((l) => l.sku)).size).to.equal(o.lines.length);
      for (const l of o.lines) expect(l.qty).to.be.within(1, 3);
    }
  });

  it('uses instant 30-minute slots and next-day hourly slots between 09:00 and 21:00 local', () => {
    const kinds = new Set(orders.map((o) => o.slot.kind));
    expect(kinds).to.deep.equal(new Set(['instant', 'scheduled']));
    for (const o of orders) {
      expect(o.placedAt).to.be.within(now, now + 4 * HOUR_MS);
      if (o.slot.kind === 'instant')
        expect([o.slot.start, o.slot.end]).to.deep.equal([o.placedAt, o.placedAt + 30 * MINUTE_MS]);
      else {
        expect(o.slot.end - o.slot.start).to.equal(HOUR_MS);
        expect(localEpochDay(o.slot.start, 480)).to.equal(localEpochDay(o.placedAt, 480) + 1);
        const localHour = ((o.slot.start + 8 * HOUR_MS) % (24 * HOUR_MS)) / HOUR_MS;
        expect(localHour).to.be.within(9, 20);
      }
    }
  });

  it('places customers inside some node’s service radius and keys addresses by hash only', () => {
    for (const o of orders) {
      expect(city.nodes.some((n) => haversineKm(n.location, o.location) <= n.serviceRadiusKm)).to.equal(true);
      expect(o.addressKey).to.match(/^ak_[0-9a-f]{8}$/);
      expect(Object.keys(o).sort()).to.deep.equal([
        'addressKey',
        'customerId',
        'lines',
        'location',
        'orderId',
        'placedAt',
        'slot',
      ]);
    }
    // Repeat customers exist, so merging has something to do.
    expect(new Set(orders.map((o) => o.addressKey)).size).to.be.below(orders.length);
  });

  it('produces orders the city can mostly serve', () => {
    const idx = buildStockIndex(city.nodes, city.skus, city.lots);
    let lines = 0;
    let served = 0;
    for (const o of orders) {
      const a = allocateOrder(idx, o, o.placedAt);
      lines += o.lines.length;
      served += o.lines.length - a.unfulfilled.length;
    }
    expect(served / lines).to.be.above(0.9);
  });
});
