// Deterministic synthetic city: nodes around a centre, a fresh catalogue, lots with expiry
// dates and bins, and customers/orders near nodes. Same seed, same city, byte for byte.
import { CATEGORIES, type CategoryTemplate, VARIANTS } from './catalogue';
import {
  HOUR_MS,
  MINUTE_MS,
  epochDayToIsoDate,
  isoDateToEpochDay,
  localEpochDay,
  localMidnightMs,
} from '../domain/orders/dates';
import { offsetPoint } from '../domain/orders/geo';
import { instantSlot } from '../domain/orders/slots';
import { fnv1a, mulberry32, pick, randInt, type Rng } from './rng';
import type { GeoPoint, Node, Order, OrderLine, Sku, Slot, StockLot, Zone } from '../domain/orders/types';

/** Shape of a generated city. */
export interface CityOptions {
  readonly frontWarehouses: number;
  readonly storeWarehouses: number;
  readonly skus: number;
  /** Default People's Square, Shanghai. */
  readonly centre?: GeoPoint;
  /** Radius (km) within which nodes are placed; default 12. */
  readonly spreadKm?: number;
  /** Calendar date lots are dated from; default 2025-03-03. */
  readonly baseDate?: string;
  /** Default 480 (UTC+8). */
  readonly utcOffsetMinutes?: number;
}

/** A generated city: everything `buildStockIndex` needs plus the context it was made in. */
export interface City {
  readonly seed: number;
  readonly centre: GeoPoint;
  readonly baseDate: string;
  readonly utcOffsetMinutes: number;
  readonly nodes: readonly Node[];
  /** Ordered by popularity: index 0 sells most. */
  readonly skus: readonly Sku[];
  readonly lots: readonly StockLot[];
}

/** A synthetic customer: an id, an address hash and a point; no personal data. */
export interface Customer {
  readonly customerId: string;
  readonly addressKey: string;
  readonly location: GeoPoint;
  readonly homeNodeId: string;
}

/** Knobs for `generateOrders`. */
export interface OrderOptions {
  /** Share of instant (30-minute) orders; the rest book a next-day hourly slot. Default 0.7. */
  readonly instantShare?: number;
  /** Orders are placed uniformly in [now, now + spreadMs); default 0 (all at now). */
  readonly spreadMs?: number;
  /** Distinct customers; default ceil(n / 3) so some addresses order more than once. */
  readonly customers?: number;
}

// Zipf exponent for SKU popularity: with 0.7 the best seller lands in roughly a third of
// baskets, closer to grocery baskets than the classic s = 1 (which puts it in most).
const ZIPF_S = 0.7;
const SHANGHAI: GeoPoint = { lat: 31.23, lng: 121.47 };
const AISLES: Readonly<Record<Zone, string>> = { ambient: 'ABCDEFGH', chilled: 'KLMN', frozen: 'XYZ' };

/** Build a city from a seed; `skus` SKUs across fresh categories, lots dated from `baseDate`. */
export function generateCity(seed: number, opts: CityOptions): City {
  const rng = mulberry32(seed);
  const centre = opts.centre ?? SHANGHAI;
  const baseDate = opts.baseDate ?? '2025-03-03';
  const utcOffsetMinutes = opts.utcOffsetMinutes ?? 480;
  const spread = opts.spreadKm ?? 12;
  const nodes: Node[] = [];
  for (let i = 0; i < opts.frontWarehouses; i++) nodes.push(frontWarehouse(rng, i, centre, spread));
  for (let i = 0; i < opts.storeWarehouses; i++) nodes.push(storeWarehouse(rng, i, centre, spread));
  const skus = catalogue(rng, opts.skus);
  const zoneOf = new Map(skus.map((s) => [s.sku, s.zone]));
  const templateOf = new Map(CATEGORIES.map((c) => [c.category, c]));
  const baseDay = isoDateToEpochDay(baseDate);
  const lots: StockLot[] = [];
  for (const node of nodes) {
    // Dark stores carry a narrow, popularity-led range; stores carry most of the catalogue.
    const carry = node.kind === 'front' ? 0.45 : 0.85;
    skus.forEach((s, rank) => {
      const popular = 1 - rank / skus.length; // 1 for the best seller
      if (rng() > carry * (0.6 + 0.8 * popular) || !node.zones.includes(zoneOf.get(s.sku) ?? 'ambient')) return;
      const template = templateOf.get(s.category) as CategoryTemplate;
      const bin = `${pick(rng, [...AISLES[s.zone]])}-${String(randInt(rng, 1, 20)).padStart(2, '0')}-${randInt(rng, 1, 4)}`;
      const lotCount = randInt(rng, 1, 3);
      // Best sellers get deep stock (replenished daily); the long tail a few units.
      const depth = 4 + Math.round(800 / (rank + 1) ** 0.7);
      for (let l = 0; l < lotCount; l++) {
        // The newest lot is fresh; older lots were received over the past shelf life, so
        // some are too close to expiry to sell, as on a real shelf.
        const lo = l === 0 ? Math.ceil(template.shelfLifeDays / 2) : 0;
        const expiresDay = baseDay + randInt(rng, lo, template.shelfLifeDays);
        lots.push({
          nodeId: node.id,
          sku: s.sku,
          lotId: `${node.id}-${s.sku}-L${l + 1}`,
          expiresOn: epochDayToIsoDate(expiresDay),
          available: randInt(rng, 2, depth),
          bin,
        });
      }
    });
  }
  return { seed, centre, baseDate, utcOffsetMinutes, nodes, skus, lots };
}

function frontWarehouse(rng: Rng, i: number, centre: GeoPoint, spread: number): Node {
  // About one dark store in eight is too small for a freezer.
  const hasFreezer = rng() >= 0.125;
  return {
    id: `F-${String(i + 1).padStart(3, '0')}`,
    kind: 'front',
    name: `Front warehouse ${i + 1}`,
    location: scatter(rng, centre, spread),
    serviceRadiusKm: 3,
    zones: hasFreezer ? ['ambient', 'chilled', 'frozen'] : ['ambient', 'chilled'],
    pickMinutesPerOrder: 2.5,
    packMinutes: 1,
    travelKmPerHour: 15,
    slotCapacity: { instant: 150, scheduled: 40 },
  };
}

function storeWarehouse(rng: Rng, i: number, centre: GeoPoint, spread: number): Node {
  return {
    id: `S-${String(i + 1).padStart(3, '0')}`,
    kind: 'store',
    name: `Store ${i + 1}`,
    location: scatter(rng, centre, spread * 1.2),
    serviceRadiusKm: 8,
    zones: ['ambient', 'chilled', 'frozen'],
    pickMinutesPerOrder: 12,
    packMinutes: 3,
    travelKmPerHour: 25,
    slotCapacity: { instant: 20, scheduled: 120 },
  };
}

function scatter(rng: Rng, centre: GeoPoint, radiusKm: number): GeoPoint {
  // sqrt gives a uniform density over the disc rather than a pile-up at the centre.
  return offsetPoint(centre, radiusKm * Math.sqrt(rng()), rng() * 2 * Math.PI);
}

function catalogue(rng: Rng, n: number): Sku[] {
  const totalWeight = CATEGORIES.reduce((sum, c) => sum + c.weight, 0);
  const skus: Sku[] = [];
  for (let i = 0; i < n; i++) {
    let r = rng() * totalWeight;
    let template = CATEGORIES[0] as CategoryTemplate;
    for (const c of CATEGORIES) {
      template = c;
      if ((r -= c.weight) < 0) break;
    }
    const [lo, hi] = template.priceCents;
    skus.push({
      sku: `SKU-${String(i + 1).padStart(5, '0')}`,
      name: `${pick(rng, template.items)} ${pick(rng, VARIANTS)}`,
      category: template.category,
      zone: template.zone,
      minShelfLifeDays: template.minShelfLifeDays,
      perishable: template.perishable,
      unitPriceCents: 10 * Math.round(randInt(rng, lo, hi) / 10),
    });
  }
  return skus;
}

/** Customers living within their home node's service radius. */
export function generateCustomers(city: City, seed: number, n: number): Customer[] {
  const rng = mulberry32(seed ^ 0x5bd1e995);
  const fronts = city.nodes.filter((x) => x.kind === 'front');
  const customers: Customer[] = [];
  for (let i = 0; i < n; i++) {
    // Most customers live in a dark store's 3 km ring; a few only near a store.
    const home = fronts.length > 0 && rng() < 0.85 ? pick(rng, fronts) : pick(rng, city.nodes);
    const location = offsetPoint(home.location, home.serviceRadiusKm * 0.95 * Math.sqrt(rng()), rng() * 2 * Math.PI);
    customers.push({
      customerId: `C-${String(i + 1).padStart(6, '0')}`,
      addressKey: `ak_${fnv1a(`${location.lat.toFixed(5)},${location.lng.toFixed(5)}`)
        .toString(16)
        .padStart(8, '0')}`,
      location,
      homeNodeId: home.id,
    });
  }
  return customers;
}

/** `n` orders placed from `now` (epoch ms): 5–20 lines each, popular SKUs more likely. */
export function generateOrders(city: City, seed: number, n: number, now: number, opts: OrderOptions = {}): Order[] {
  const rng = mulberry32(seed);
  const customers = generateCustomers(city, seed, opts.customers ?? Math.max(1, Math.ceil(n / 3)));
  const instantShare = opts.instantShare ?? 0.7;
  const spread = opts.spreadMs ?? 0;
  const assortment = assortmentByNode(city);
  const homeCdf = new Map([...assortment].map(([nodeId, list]) => [nodeId, zipfCdf(list.length, ZIPF_S)]));
  const zipf = zipfCdf(city.skus.length, ZIPF_S);
  const drafts: Omit<Order, 'orderId'>[] = [];
  for (let i = 0; i < n; i++) {
    const customer = pick(rng, customers);
    const placedAt = now + Math.floor(rng() * spread);
    const slot = rng() < instantShare ? instantSlot(placedAt) : scheduledSlot(rng, placedAt, city.utcOffsetMinutes);
    const home = assortment.get(customer.homeNodeId) ?? [];
    const cdf = homeCdf.get(customer.homeNodeId) ?? zipf;
    const lineCount = randInt(rng, 5, 20);
    const chosen = new Set<string>();
    for (let guard = 0; chosen.size < lineCount && guard < lineCount * 20; guard++) {
      // Customers shop what the app shows for their address (the home node's range), plus
      // the odd item found elsewhere in the catalogue.
      const sku = rng() < 0.9 && home.length > 0 ? home[sampleIndex(rng, cdf)] : city.skus[sampleIndex(rng, zipf)]?.sku;
      if (sku !== undefined) chosen.add(sku);
    }
    const lines: OrderLine[] = [...chosen].map((sku, k) => ({
      lineId: `L${k + 1}`,
      sku,
      qty: rng() < 0.6 ? 1 : rng() < 0.75 ? 2 : 3,
    }));
    drafts.push({
      customerId: customer.customerId,
      addressKey: customer.addressKey,
      location: customer.location,
      slot,
      lines,
      placedAt,
    });
  }
  drafts.sort((a, b) => a.placedAt - b.placedAt);
  return drafts.map((d, i) => ({ orderId: `O-${seed}-${String(i + 1).padStart(6, '0')}`, ...d }));
}

function scheduledSlot(rng: Rng, placedAt: number, offset: number): Slot {
  // Next-day one-hour slot between 09:00 and 21:00 local time.
  const start = localMidnightMs(localEpochDay(placedAt, offset) + 1, offset) + randInt(rng, 9, 20) * HOUR_MS;
  return { kind: 'scheduled', start, end: start + HOUR_MS };
}

function assortmentByNode(city: City): Map<string, string[]> {
  const rank = new Map(city.skus.map((s, i) => [s.sku, i]));
  const sets = new Map<string, Set<string>>();
  for (const lot of city.lots) {
    let set = sets.get(lot.nodeId);
    if (!set) sets.set(lot.nodeId, (set = new Set()));
    set.add(lot.sku);
  }
  const out = new Map<string, string[]>();
  for (const [nodeId, set] of sets)
    out.set(
      nodeId,
      [...set].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0)),
    );
  return out;
}

// Cumulative Zipf weights 1/rank^s: a few SKUs sell a lot, the long tail rarely.
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] ?? 0) / sum;
  return cdf;
}

function sampleIndex(rng: Rng, cdf: Float64Array): number {
  const r = rng();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] ?? 1) < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Epoch ms of a local wall-clock time on the city's base date (handy for `now`). */
export function cityTime(city: City, hour: number, minute = 0, dayOffset = 0): number {
  return (
    localMidnightMs(isoDateToEpochDay(city.baseDate) + dayOffset, city.utcOffsetMinutes) +
    hour * HOUR_MS +
    minute * MINUTE_MS
  );
}
