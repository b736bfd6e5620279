// Demo mode (on by default for `npm start`, off in production): a small city with stock,
// a customer placing an order every few seconds through the API, simulated pickers and
// couriers moving them along, and simulated cold-chain sensors — so a newcomer sees work
// flowing in the Temporal Web UI within a minute of starting.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { generateCity, generateOrders } from './city';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import { issueToken } from '../api/auth';
import { deliveredUpdate } from '../workflows/fulfilment.contract';
import { orderStatusQuery, orderWorkflowId } from '../workflows/order.contract';
import { loadDemoCity } from './network';
import { driveFulfilment } from './sim/drive-fulfilment';

const ORDER_EVERY_MS = 4000;

/** A running demo; `stop()` ends its loops and the sensor simulator. */
export interface DemoHandle {
  stop(): Promise<void>;
}

/** Load the demo city through the import (idempotent; a delivery received each day) and start the simulated world. */
export async function startDemo(
  cfg: Config,
  deps: { db: Db; client: Client; apiUrl: string; logger: Logger },
): Promise<DemoHandle> {
  const log = deps.logger.child({ component: 'demo' });
  // The demo city is in Shanghai: its day (and its daily delivery) starts at midnight there.
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const generated = generateCity(2026, { frontWarehouses: 6, storeWarehouses: 2, skus: 120, baseDate: today });
  const { city, report } = await loadDemoCity(deps.db, generated, {
    prefix: 'demo-',
    day: today,
    actor: 'import:demo',
  });
  log.info({ files: report.files }, 'demo city loaded through the import');
  const token = await issueToken(cfg.auth.tokenSecret, { sub: 'demo-storefront', role: 'integrator' }, '30d');

  let stopped = false;
  let seq = 0;
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const placeOrder = async (): Promise<void> => {
    const n = ++seq;
    const [order] = generateOrders(city, (Date.now() % 1_000_000) + n, 1, Date.now(), { instantShare: 0.8 });
    if (!order) return;
    const orderId = `demo-${Date.now().toString(36)}-${n}`;
    const slot =
      order.slot.kind === 'instant'
        ? { kind: 'instant' }
        : {
            kind: 'scheduled',
            start: new Date(order.slot.start).toISOString(),
            end: new Date(order.slot.end).toISOString(),
          };
    const res = await fetch(`${deps.apiUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        orderId,
        customer: {
          id: order.customerId,
          name: `Demo Customer ${n}`,
          phone: `+86 138 0000 ${String(1000 + (n % 9000))}`,
          address: `Demo Road ${order.addressKey.slice(0, 6)}`,
        },
        location: order.location,
        slot,
        lines: order.lines,
      }),
    });
    if (res.status >= 300) {
      log.warn({ status: res.status, orderId }, 'demo order refused');
      return;
    }
    track(work(orderId, n));
  };

  // A picker takes the order after a short while; a courier delivers it. A few orders are
  // cancelled before picking, to show the compensation path.
  const work = async (orderId: string, n: number): Promise<void> => {
    const handle = deps.client.workflow.getHandle(orderWorkflowId(orderId));
    await sleep(3000 + (n % 5) * 1000);
    if (stopped) return;
    if (n % 17 === 0) {
      await fetch(`${deps.apiUrl}/v1/orders/${orderId}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ reason: 'demo: customer changed their mind' }),
      });
      return;
    }
    const view = await handle.query(orderStatusQuery).catch(() => undefined);
    for (const f of view?.fulfilments ?? []) {
      if (stopped || f.state !== 'allocated') continue;
      await driveFulfilment(deps.client, f.fulfilmentId, {
        until: 'dispatched',
        pickerId: `demo-picker-${f.nodeId}`,
        courierId: `demo-courier-${n % 4}`,
      });
      await sleep(5000);
      if (!stopped) await driveFulfilmentToDoor(deps.client, f.fulfilmentId);
    }
  };

  const timer = setInterval(() => {
    if (!stopped) track(placeOrder().catch((err: Error) => log.warn({ err: err.message }, 'demo order failed')));
  }, ORDER_EVERY_MS);

  // Sensors on the demo nodes, through the real broker and ingester.
  const simulator: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'simulate-main.ts'),
      '--prefix',
      'demo',
      '--nodes',
      '4',
      '--sensors',
      '24',
      '--vans',
      '2',
      '--rate-hz',
      '0.2',
      '--duration-s',
      '604800',
      '--register',
      '--faults',
      'excursion',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: process.env },
  );
  simulator.stderr?.on('data', (c: Buffer) => log.debug({ simulator: c.toString().trim() }, 'simulator'));
  log.info(
    { nodes: city.nodes.length, skus: city.skus.length, orderEveryMs: ORDER_EVERY_MS },
    'demo running: orders and sensors are flowing',
  );

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      simulator.kill('SIGTERM');
      await Promise.race([Promise.allSettled([...inflight]), sleep(5000)]);
    },
  };
}

async function driveFulfilmentToDoor(client: Client, fulfilmentId: string): Promise<void> {
  await client.workflow
    .getHandle(fulfilmentId)
    .executeUpdate(deliveredUpdate)
    .catch(() => undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
