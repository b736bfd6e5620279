// Small hand-made worlds for order-domain tests. Distances are set with offsetPoint from a
// fixed centre, times are fixed epoch ms (no clock), dates are Shanghai local (UTC+8).
import { offsetPoint } from '../../../domain/orders/geo';
import type {
  Allocation,
  GeoPoint,
  Node,
  Order,
  OrderLine,
  PlacedFulfilment,
  Sku,
  Slot,
  StockLot,
  Zone,
} from '../../../domain/orders/types';

/** People's Square, Shanghai: every fixture is placed relative to it. */
export const CENTRE: GeoPoint = { lat: 31.23, lng: 121.47 };
/** One minute in ms. */
export const MIN = 60_000;
/** One hour in ms. */
export const HOUR = 3_600_000;
/** 2025-03-03 10:00 in Shanghai (02:00 UTC). */
export const NOW = Date.UTC(2025, 2, 3, 2, 0);
/** Local delivery date of an instant order placed at NOW. */
export const TODAY = '2025-03-03';

/** A point `km` east of the centre (negative: west). */
export function east(km: number): GeoPoint {
  return offsetPoint(CENTRE, Math.abs(km), km >= 0 ? Math.PI / 2 : -Math.PI / 2);
}

/** A point `km` north of the centre. */
export function north(km: number): GeoPoint {
  return offsetPoint(CENTRE, km, 0);
}

/** A front warehouse with all zones, 3 km radius, 2.5 + 1 min, 15 km/h. */
export function frontNode(id: string, location: GeoPoint, over: Partial<Node> = {}): Node {
  return {
    id,
    kind: 'front',
    name: `Front ${id}`,
    location,
    serviceRadiusKm: 3,
    zones: ['ambient', 'chilled', 'frozen'],
    pickMinutesPerOrder: 2.5,
    packMinutes: 1,
    travelKmPerHour: 15,
    slotCapacity: { '*': 100 },
    ...over,
  };
}

/** A store warehouse: 8 km, slower picking. */
export function storeNode(id: string, location: GeoPoint, over: Partial<Node> = {}): Node {
  return frontNode(id, location, {
    kind: 'store',
    serviceRadiusKm: 8,
    pickMinutesPerOrder: 12,
    packMinutes: 3,
    travelKmPerHour: 25,
    ...over,
  });
}

/** A SKU in a zone; chilled perishables by default. */
export function sku(id: string, zone: Zone = 'chilled', over: Partial<Sku> = {}): Sku {
  return {
    sku: id,
    name: id,
    category: zone,
    zone,
    minShelfLifeDays: 1,
    perishable: zone !== 'ambient',
    unitPriceCents: 500,
    ...over,
  };
}

let lotSeq = 0;
/** A lot; ids are unique unless given. */
export function lot(
  nodeId: string,
  skuId: string,
  available: number,
  expiresOn = '2025-03-20',
  over: Partial<StockLot> = {},
): StockLot {
  lotSeq += 1;
  return { nodeId, sku: skuId, lotId: `${nodeId}-${skuId}-${lotSeq}`, expiresOn, available, ...over };
}

/** Instant slot promised 30 minutes after `placedAt`. */
export function instant(placedAt = NOW): Slot {
  return { kind: 'instant', start: placedAt, end: placedAt + 30 * MIN };
}

/** Lines L1.. from [sku, qty] pairs. */
export function lines(...pairs: readonly (readonly [string, number])[]): OrderLine[] {
  return pairs.map(([s, qty], i) => ({ lineId: `L${i + 1}`, sku: s, qty }));
}

/** An order at the centre (or `location`) with an instant slot. */
export function order(orderLines: readonly OrderLine[], over: Partial<Order> = {}): Order {
  return {
    orderId: 'O-1',
    customerId: 'C-1',
    addressKey: 'ak_1',
    location: CENTRE,
    slot: instant(),
    lines: orderLines,
    placedAt: NOW,
    ...over,
  };
}

/** Every fulfilment of an allocation as placed fulfilments (what merge and waves consume). */
export function placed(o: Order, a: Allocation, allocatedAt = NOW): PlacedFulfilment[] {
  return a.fulfilments.map((fulfilment) => ({
    orderId: o.orderId,
    addressKey: o.addressKey,
    slot: o.slot,
    allocatedAt,
    fulfilment,
  }));
}
