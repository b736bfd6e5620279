// Shared by the picker API and phone-page tests: a small two-node world of its own (unique ids),
// HTTP helpers that send Idempotency-Key, and order placement that waits until the
// fulfilment is open for picking.
import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { City } from '../../demo';
import type { Db } from '../../db/pool';
import { pickTask } from '../../db/picking';
import type { PickTaskRow } from '../../db/picking';
import { orderWorkflowId } from '../../workflows/order.contract';
import { cityToday, intakeBody, seedNetwork } from '../support/orders';
import type { JsonBody, OrderStack } from '../support/orders';
import { uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * 86_400_000).toISOString().slice(0, 10);

/** Two front warehouses ~0.5 km apart; N0 (the customer's) stocks everything, N1 milk and rice. */
export interface PickerWorld {
  city: City;
  prefix: string;
  n0: string;
  n1: string;
  sku(id: string): string;
  lot(id: string): string;
}

/** Seed a world: SKUs RICE, TEA (ambient), MILK, OAT (chilled), PEAS (frozen). */
export async function seedPickerWorld(db: Db): Promise<PickerWorld> {
  let prefix = '';
  const city = await seedNetwork(db, (c, p) => {
    prefix = p;
    const node = (i: number): Node => ({
      id: `${p}N${i}`,
      kind: 'front',
      name: `Node ${i}`,
      location: { lat: c.lat + i * 0.005, lng: c.lng },
      serviceRadiusKm: 3,
      zones: ['ambient', 'chilled', 'frozen'],
      pickMinutesPerOrder: 3,
      packMinutes: 1,
      travelKmPerHour: 20,
      slotCapacity: { '*': 1000 },
    });
    const sku = (id: string, name: string, zone: Sku['zone'], perishable: boolean, price: number): Sku => ({
      sku: `${p}${id}`,
      name,
      category: zone === 'ambient' ? 'rice' : 'dairy',
      zone,
      minShelfLifeDays: 1,
      perishable,
      unitPriceCents: price,
    });
    const lot = (nodeId: string, id: string, n: string, qty: number, bin: string): StockLot => ({
      nodeId,
      sku: `${p}${id}`,
      lotId: `${p}${id}-${n}`,
      expiresOn: inDays(5),
      available: qty,
      bin,
    });
    const [n0, n1] = [node(0), node(1)];
    return {
      nodes: [n0, n1],
      skus: [
        sku('RICE', 'Jasmine rice 5 kg', 'ambient', false, 2000),
        sku('TEA', 'Green tea', 'ambient', false, 500),
        sku('MILK', 'Fresh milk 1 L', 'chilled', true, 800),
        sku('OAT', 'Oat milk 1 L', 'chilled', true, 600),
        sku('PEAS', 'Frozen peas', 'frozen', true, 300),
      ],
      lots: [
        lot(n0.id, 'RICE', 'A', 20, 'A-05-1'),
        lot(n0.id, 'TEA', 'A', 3, 'A-02-2'),
        lot(n0.id, 'MILK', 'A', 5, 'C-03-1'),
        lot(n0.id, 'OAT', 'A', 5, 'C-01-2'),
        lot(n0.id, 'PEAS', 'A', 5, 'F-01-1'),
        lot(n1.id, 'MILK', 'B', 5, 'C-01-1'),
        lot(n1.id, 'RICE', 'B', 20, 'A-01-1'),
      ],
    };
  });
  return {
    city,
    prefix,
    n0: `${prefix}N0`,
    n1: `${prefix}N1`,
    sku: (id) => `${prefix}${id}`,
    lot: (id) => `${prefix}${id}`,
  };
}

/** An HTTP answer with its headers. */
export interface Answer {
  status: number;
  body: JsonBody;
  headers: Headers;
}

/** JSON request with an optional Idempotency-Key. */
export async function req(
  url: string,
  method: string,
  token: string | undefined,
  body?: unknown,
  key?: string,
): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Submit an order at N0's door and wait until its first fulfilment is open for picking. */
export async function placeOrder(
  stack: OrderStack,
  db: Db,
  integrator: string,
  world: PickerWorld,
  lines: { lineId: string; sku: string; qty: number }[],
): Promise<{ orderId: string; fulfilmentId: string; row: PickTaskRow }> {
  const orderId = uniqueId('o');
  const res = await req(
    `${stack.url}/v1/orders`,
    'POST',
    integrator,
    intakeBody({
      orderId,
      location: world.city.nodes[0]!.location,
      lines: lines.map((l) => ({ ...l, sku: world.sku(l.sku) })),
    }),
  );
  expect(res.status, JSON.stringify(res.body)).to.equal(202);
  const fulfilmentId = `${orderWorkflowId(orderId)}-f1`;
  const row = await waitForRow(db, fulfilmentId, () => true);
  return { orderId, fulfilmentId, row };
}

/** Wait until a fulfilment's row satisfies `pred`. */
export async function waitForRow(
  db: Db,
  fulfilmentId: string,
  pred: (r: PickTaskRow) => boolean,
  timeoutMs = 20_000,
): Promise<PickTaskRow> {
  let row: PickTaskRow | undefined;
  const ok = await eventually(
    async () => {
      row = await pickTask(db, fulfilmentId);
      return !!row && pred(row);
    },
    timeoutMs,
    100,
  );
  expect(ok, `fulfilment ${fulfilmentId} reached the expected state (last: ${row?.state})`).to.equal(true);
  return row!;
}
