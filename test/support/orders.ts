// Fixtures for order tests: a small city of their own (unique ids, a random spot on the
// globe so no other test's nodes are in range), a worker on a unique task queue, an API.
import { Client, Connection } from '@temporalio/client';
import { generateCity } from '../../demo';
import type { Node, Order, StockLot } from '../../domain/orders';
import type { City } from '../../demo';
import { loadConfig } from '../../config';
import type { Config } from '../../config';
import type { Db } from '../../db/pool';
import { prefixCity, seedCity } from '../../demo/seed';
import { issueToken } from '../../api/auth';
import type { Role } from '../../api/auth';
import { startApi } from '../../api/server';
import type { ApiHandle } from '../../api/server';
import { connectTemporal } from '../../platform/temporal';
import type { TemporalHandle } from '../../platform/temporal';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { testLogger, uniqueId } from './stack';

/** Today's date in UTC+8, the city's calendar. */
export function cityToday(now = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** A generated city at a random place, prefixed with a unique id and loaded into the database. */
export async function seedTestCity(
  db: Db,
  opts: { front?: number; store?: number; skus?: number; seed?: number } = {},
): Promise<City> {
  const centre = { lat: -50 + Math.random() * 100, lng: -170 + Math.random() * 340 };
  const base = generateCity(opts.seed ?? 11, {
    frontWarehouses: opts.front ?? 2,
    storeWarehouses: opts.store ?? 1,
    skus: opts.skus ?? 40,
    centre,
    baseDate: cityToday(),
    spreadKm: 2,
  });
  const city = prefixCity(base, `${uniqueId('c')}-`);
  await seedCity(db, city);
  return city;
}

/** A hand-made node network: full control over stock for edge cases. */
export async function seedNetwork(
  db: Db,
  build: (
    centre: { lat: number; lng: number },
    prefix: string,
  ) => { nodes: Node[]; lots: StockLot[]; skus: City['skus'] },
): Promise<City> {
  const centre = { lat: -50 + Math.random() * 100, lng: -170 + Math.random() * 340 };
  const prefix = `${uniqueId('n')}-`;
  const { nodes, lots, skus } = build(centre, prefix);
  const city: City = { seed: 0, centre, baseDate: cityToday(), utcOffsetMinutes: 480, nodes, skus, lots };
  await seedCity(db, city);
  return city;
}

/**
 * The subject of courier tokens in tests: the courier the simulator hands fulfilments to
 * (`driveFulfilment`'s default), so a test that drives a fulfilment to dispatch can deliver it
 * as the courier (a courier reaches only the fulfilments assigned to it).
 */
export const TEST_COURIER_ID = 'sim-courier';

/** Everything an order test drives: config on its own task queue, worker, client, API, tokens. */
export interface OrderStack {
  config: Config;
  worker: WorkerHandle;
  client: Client;
  connection: Connection;
  temporal: TemporalHandle;
  api: ApiHandle;
  url: string;
  token(role: Role, nodeId?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start a worker and an API on a unique task queue. */
export async function startOrderStack(db: Db): Promise<OrderStack> {
  const config = loadConfig({
    ...process.env,
    FRESHCHAIN_PROFILE: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_TASK_QUEUE: uniqueId('tq-orders'),
  });
  const worker = await startWorker(config, { db, logger: testLogger });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const temporal = await connectTemporal(config.temporal);
  const api = await startApi(config, { db, temporal, logger: testLogger }, 0);
  return {
    config,
    worker,
    client,
    connection,
    temporal,
    api,
    url: `http://127.0.0.1:${api.port}`,
    token: (role, nodeId) =>
      issueToken(config.auth.tokenSecret, {
        sub: role === 'courier' ? TEST_COURIER_ID : uniqueId(role),
        role,
        ...(nodeId ? { nodeId } : {}),
      }),
    async stop() {
      await api.stop();
      await worker.stop();
      await temporal.connection.close();
      await connection.close();
    },
  };
}

/** A parsed JSON response; bodies vary per route and tests assert on their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

/** JSON request helper: returns status and parsed body. */
export async function call(
  url: string,
  method: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: JsonBody }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** An intake body for the API from a domain order (adds the personal data the API encrypts). */
export function intakeBody(order: Pick<Order, 'orderId' | 'location' | 'lines'>, extra: Record<string, unknown> = {}) {
  return {
    orderId: order.orderId,
    customer: {
      id: `cust-${order.orderId}`,
      name: 'Li Wei',
      phone: '+86 138 0000 5678',
      address: `Room ${order.orderId}, 88 Test Road`,
    },
    location: order.location,
    slot: { kind: 'instant' },
    lines: order.lines,
    ...extra,
  };
}

/** Everything of a history as text, payloads decoded (the test stack runs without a payload codec). */
export function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    // Before JSON.stringify: it would turn a Buffer into a list of byte values first.
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        parts.push(k);
        walk(x);
      }
    } else parts.push(String(v));
  };
  walk(history);
  return parts.join(' ');
}
