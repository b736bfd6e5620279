// The small network the transfer suites share (issue 14): a store acting as DC and a front
// warehouse, each with a chilled and an ambient bin, a chilled and an ambient SKU, written
// through the master-data API; the API helpers an ops caller uses, and supplier deliveries to
// the DC through goods receiving.
import { expect } from 'chai';
import { call } from './orders';
import type { JsonBody, OrderStack } from './orders';
import { uniqueId } from './stack';

/** The network, its ids, and the API as the ops token calls it. */
export interface TransferWorld {
  dc: string;
  front: string;
  /** A chilled SKU (band chilled). */
  milk: string;
  /** An ambient SKU. */
  rice: string;
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: JsonBody }>;
  /** The call, expected to answer 200 or 201; its body. */
  ok: (method: string, path: string, body?: unknown) => Promise<JsonBody>;
  /** A date `days` from today, YYYY-MM-DD. */
  expiry: (days: number) => string;
  /** A supplier delivery to the DC: one lot per SKU; their lot ids. */
  stockDc: (milkQty: number, riceQty: number) => Promise<{ milkLot: string; riceLot: string }>;
  /** A van (an asset of kind van at the DC) with one sensor; the sensor's id. */
  van: (vanId: string) => Promise<string>;
}

/** Write the network under ids unique to this run (`prefix` names the suite in them). */
export async function seedTransferWorld(stack: OrderStack, opsToken: string, prefix: string): Promise<TransferWorld> {
  const dc = uniqueId(`${prefix}dc`);
  const front = uniqueId(`${prefix}fr`);
  const milk = uniqueId(`${prefix.toUpperCase()}MILK`);
  const rice = uniqueId(`${prefix.toUpperCase()}RICE`);
  const api = (method: string, path: string, body?: unknown) => call(`${stack.url}${path}`, method, opsToken, body);
  const ok = async (method: string, path: string, body?: unknown): Promise<JsonBody> => {
    const r = await api(method, path, body);
    expect(r.status, `${method} ${path} ${JSON.stringify(r.body)}`).to.be.oneOf([200, 201]);
    return r.body;
  };
  const expiry = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const zones = ['ambient', 'chilled', 'frozen'];
  const node = (kind: string, name: string, lat: number) => ({
    kind,
    name,
    location: { lat, lng: lat + 90 },
    serviceRadiusKm: 3,
    zones,
  });
  await ok('PUT', `/v1/nodes/${dc}`, node('store', 'Transfer DC', 31));
  await ok('PUT', `/v1/nodes/${front}`, node('front', 'Transfer front', 31.01));
  for (const n of [dc, front])
    for (const [bin, zone] of [
      ['C-1', 'chilled'],
      ['A-1', 'ambient'],
    ])
      await ok('PUT', `/v1/nodes/${n}/bins/${bin}`, { zone, pickSequence: 1 });
  const sku = (zone: string, category: string) => ({
    name: 'Transfer item',
    category,
    zone,
    band: zone,
    shelfLifeDays: 14,
    minShelfLifeDays: 2,
    perishable: zone !== 'ambient',
    unitPriceCents: 199,
  });
  await ok('PUT', `/v1/skus/${milk}`, sku('chilled', 'dairy'));
  await ok('PUT', `/v1/skus/${rice}`, sku('ambient', 'pantry'));
  const stockDc = async (milkQty: number, riceQty: number) => {
    const receipt = await ok('POST', '/v1/receipts', {
      receiptId: uniqueId(`${prefix}rc`),
      kind: 'supplier',
      nodeId: dc,
      supplierId: 'SUP-1',
      receivedAt: new Date().toISOString(),
      lines: [
        { sku: milk, quantity: milkQty, lotCode: 'M-1', expiresOn: expiry(10), bin: 'C-1', probeTempC: 3 },
        { sku: rice, quantity: riceQty, lotCode: 'R-1', expiresOn: expiry(300), bin: 'A-1' },
      ],
    });
    return { milkLot: receipt.lines[0].lotId as string, riceLot: receipt.lines[1].lotId as string };
  };
  const van = async (vanId: string): Promise<string> => {
    await ok('PUT', `/v1/assets/${vanId}`, { nodeId: dc, kind: 'van', band: 'chilled' });
    await ok('PUT', `/v1/sensors/${vanId}-s`, { assetId: vanId });
    return `${vanId}-s`;
  };
  return { dc, front, milk, rice, api, ok, expiry, stockDc, van };
}

/** Readings every `stepMin` minutes from `fromMin` down to (not including) `toMin` minutes before `now`. */
export function minutesAgo(
  now: number,
  fromMin: number,
  toMin: number,
  stepMin: number,
  tempC: number,
): [number, number][] {
  const out: [number, number][] = [];
  for (let m = fromMin; m > toMin; m -= stepMin) out.push([now - m * 60_000, tempC]);
  return out;
}
