// `npm run bench:orders [N]`: N orders through the whole flow on the real dev server and
// database — intake, allocation with reservations, fulfilment child, simulated picker and
// courier — against a one-activity no-op workflow measured in the same run on the same
// server and worker. Prints one JSON line.
import { Client, Connection } from '@temporalio/client';
import { generateCity, generateOrders } from '../domain/orders';
import { loadConfig } from '../config';
import { createDb } from '../db/pool';
import { prefixCity, seedCity } from '../db/seed';
import pino from 'pino';
import { createLogger } from '../platform/logger';
import { driveFulfilment } from '../scripts/sim/drive-fulfilment';
import { noopWorkflow } from '../workflows/noop';
import { orderWorkflow } from '../workflows/order';
import { orderWorkflowId } from '../workflows/messages';
import type { OrderInput } from '../workflows/messages';
import { installTemporalRuntime, startWorker } from '../workflows/worker';
import { measureAllocation } from './allocation';
import { loadAverage1m, machineInfo } from './lib/machine';
import { summarize } from './lib/percentiles';

const N = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 40);

/** Run `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const tag = `bench-${Date.now().toString(36)}`;
  const config = loadConfig({ ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'warn', TEMPORAL_TASK_QUEUE: `${tag}-tq` });
  // Logs to stderr: stdout carries the one JSON line.
  const logger = createLogger('warn', pino.destination(2));
  installTemporalRuntime(logger);
  const db = createDb({ connectionString: config.db.connectionString, max: 20, logger });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const worker = await startWorker(config, { db, logger });

  // Reference: one-activity workflows, same worker, same concurrency.
  const noopIds = Array.from({ length: N }, (_, i) => `${tag}-noop-${i}`);
  const noopStart = performance.now();
  await pool(noopIds, CONCURRENCY, async (id) => {
    await client.workflow.execute(noopWorkflow, { workflowId: id, taskQueue: config.temporal.taskQueue, args: ['x'] });
  });
  const noopPerS = N / ((performance.now() - noopStart) / 1000);

  // A city of our own, stocked deep enough that the run measures flow, not stockouts.
  const base = generateCity(7, { frontWarehouses: 6, storeWarehouses: 2, skus: 200, baseDate: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10) });
  const city = prefixCity({ ...base, lots: base.lots.map((l) => ({ ...l, available: l.available + 500 })) }, `${tag}-`);
  await seedCity(db, city);
  const orders = generateOrders(city, 99, N, Date.now(), { instantShare: 1 });

  const readyMs: number[] = [];
  const start = performance.now();
  let delivered = 0;
  let rejected = 0;
  await pool(orders, CONCURRENCY, async (o) => {
    const orderId = `${tag}-${o.orderId}`;
    const t0 = Date.now();
    const input: OrderInput = { ...o, lines: [...o.lines], orderId, slot: { ...o.slot, start: t0, end: t0 + 30 * 60_000 }, placedAt: t0 };
    const handle = await client.workflow.start(orderWorkflow, { workflowId: orderWorkflowId(orderId), taskQueue: config.temporal.taskQueue, args: [input] });
    // Pick-task-ready: every fulfilment of the first allocation has started and recorded itself
    // as allocated (what a picker's list shows). Read from the event stream, not by querying
    // the workflow, so measuring adds no load to the worker.
    for (;;) {
      const rows = await db.query<{ event_key: string; type: string; at: Date; data: { fulfilments?: unknown[] } }>(
        "SELECT event_key, type, at, data FROM order_events WHERE order_id = $1 AND type IN ('allocated', 'rejected')", [orderId]);
      const allocation = rows.find((r) => r.event_key === `${orderId}:alloc:1`);
      const ready = rows.filter((r) => r.event_key.endsWith(':allocated') && r.event_key.includes('-f'));
      if (rows.some((r) => r.type === 'rejected') || (allocation && allocation.data.fulfilments?.length === 0)) break;
      if (allocation && ready.length === allocation.data.fulfilments?.length) {
        readyMs.push(Math.max(...ready.map((r) => r.at.getTime())) - t0);
        for (const r of ready) await driveFulfilment(client, r.event_key.slice(0, -':allocated'.length));
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const outcome = await handle.result();
    if (outcome.status === 'delivered') delivered++;
    else rejected++;
  });
  const seconds = (performance.now() - start) / 1000;
  const ordersPerS = N / seconds;
  const latency = summarize(readyMs, 1);
  const alloc = measureAllocation({ orders: 5000 });

  console.log(JSON.stringify({
    orders_per_s: Math.round(ordersPerS * 100) / 100,
    p50_ms: latency.p50,
    p95_ms: summarize(readyMs, 1).p95,
    noop_wf_per_s: Math.round(noopPerS * 100) / 100,
    ratio: Math.round((ordersPerS / noopPerS) * 1000) / 1000,
    alloc_p99_ms: alloc.alloc_p99_ms,
    orders: N,
    delivered,
    rejected,
    concurrency: CONCURRENCY,
    alloc_setup: `${alloc.nodes} nodes × ${alloc.skus} SKUs, ${alloc.orders} orders`,
    ...machineInfo(),
    loadavg_1m: loadAverage1m(),
  }));
  await worker.stop();
  await connection.close();
  await db.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
