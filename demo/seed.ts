import { CATEGORIES } from './catalogue';
import type { Node, Sku, StockLot } from '../domain/orders';
import type { City } from './city';
import type { SkuRecord } from '../db/orders';
import { insertLots, upsertNodes, upsertSkus } from '../db/orders';
import type { Db } from '../db/pool';
import { upsertSensorNetwork } from '../db/telemetry';

/** Cold-chain band of a SKU: its zone, with leafy greens and berries held colder. */
export function bandOf(sku: Pick<Sku, 'zone' | 'category'>): string {
  if (sku.zone === 'frozen') return 'frozen';
  if (sku.zone === 'ambient') return 'ambient';
  return /leaf|berr|salad|herb/i.test(sku.category) ? 'leafy' : 'chilled';
}

/** A city with every id prefixed, so several cities (tests, demo) share one database. */
export function prefixCity(city: City, prefix: string): City {
  const p = (s: string) => `${prefix}${s}`;
  return {
    ...city,
    nodes: city.nodes.map((n): Node => ({ ...n, id: p(n.id) })),
    skus: city.skus.map((s): Sku => ({ ...s, sku: p(s.sku) })),
    lots: city.lots.map((l): StockLot => ({ ...l, nodeId: p(l.nodeId), sku: p(l.sku), lotId: p(l.lotId) })),
  };
}

/** The cold-chain equipment of a node: a fridge per chilled band, a freezer, a van. */
export function sensorNetworkOf(city: City) {
  const assets = city.nodes.flatMap((n) => [
    ...(n.zones.includes('chilled')
      ? [
          { id: `${n.id}-fridge`, nodeId: n.id, kind: 'fridge', band: 'chilled' },
          { id: `${n.id}-coldroom`, nodeId: n.id, kind: 'cold_room', band: 'leafy' },
        ]
      : []),
    ...(n.zones.includes('frozen') ? [{ id: `${n.id}-freezer`, nodeId: n.id, kind: 'freezer', band: 'frozen' }] : []),
    { id: `${n.id}-van1`, nodeId: n.id, kind: 'van', band: 'chilled' },
  ]);
  return {
    nodes: city.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      name: n.name,
      lat: n.location.lat,
      lng: n.location.lng,
      radiusKm: n.serviceRadiusKm,
      zones: [...n.zones],
    })),
    assets,
    sensors: assets.map((a) => ({ id: `${a.id}-t1`, assetId: a.id, nodeId: a.nodeId })),
  };
}

/** Load a generated city into the database (idempotent): nodes, catalogue, lots, sensors. */
export async function seedCity(db: Db, city: City): Promise<void> {
  await upsertNodes(db, city.nodes);
  // Shelf life at the reference temperature from the category (a 7-day default would leave
  // long-life goods with nothing sellable once their minimum remaining shelf life is taken).
  const shelfLife = new Map(CATEGORIES.map((c) => [c.category, c.shelfLifeDays]));
  const skus: SkuRecord[] = city.skus.map((s) => ({
    ...s,
    band: bandOf(s),
    ...(shelfLife.has(s.category) ? { shelfLifeDaysAtRef: shelfLife.get(s.category) } : {}),
  }));
  await upsertSkus(db, skus);
  const net = sensorNetworkOf(city);
  await upsertSensorNetwork(db, { nodes: [], assets: net.assets, sensors: net.sensors });
  const zoneOf = new Map(city.skus.map((s) => [s.sku, s.zone]));
  const assetFor = (l: StockLot) => {
    const zone = zoneOf.get(l.sku);
    return zone === 'frozen' ? `${l.nodeId}-freezer` : zone === 'chilled' ? `${l.nodeId}-fridge` : undefined;
  };
  await insertLots(
    db,
    city.lots.map((l) => ({
      lotId: l.lotId,
      nodeId: l.nodeId,
      sku: l.sku,
      expiresOn: l.expiresOn,
      onHand: l.available,
      ...(l.bin ? { bin: l.bin } : {}),
      ...(assetFor(l) ? { assetId: assetFor(l) } : {}),
    })),
  );
}
