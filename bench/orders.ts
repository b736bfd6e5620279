// `npm run bench:orders [N]`: N orders through the whole flow on the real dev server and
// database — intake, allocation with reservations, fulfilment child, simulated picker and
// courier — against a one-activity no-op workflow measured in the same run on the same
// server and worker. Prints one JSON line.
import { Client, Connection } from '@temporalio/client';
import { instantSlot } from '../domain/orders';
import { generateCity, generateOrders } from '../demo';
import { loadConfig } from '../config';
import { createDb } from '../db/pool';
import type { Db } from '../db/pool';
import { prefixCity, seedCity } from '../demo/seed';
import pino from 'pino';
import { createLogger } from '../platform/logger';
import { driveFulfilment } from '../demo/sim/drive-fulfilment';
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

/**
 * Watches the event stream for orders whose fulfilments are all pick-ready. One query per
 * tick for every order waiting, not one per order: the harness must not take the CPU the
 * system under test needs (per-order polling every 25 ms cost about a fifth of a core at 40 in
 * flight). The event times come from the database, so the tick does not blur the latency.
 * Resolves undefined for an order rejected or allocated nowhere.
 */
function watchPickReadiness(db: Db, tickMs = 50) {
  const waiting = new Map<string, (r: { at: number; fulfilmentIds: string[] } | undefined) => void>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, tickMs));
      if (waiting.size === 0) continue;
      const rows = await db.query<{ order_id: string; event_key: string; type: string; at: Date; fulfilments: number | null }>(
        `SELECT order_id, event_key, type, at, jsonb_array_length(data->'fulfilments') AS fulfilments
           FROM order_events WHERE order_id = ANY($1) AND type IN ('allocated', 'rejected')`, [[...waiting.keys()]]);
      const byOrder = new Map<string, typeof rows>();
      for (const r of rows) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r]);
      for (const [orderId, events] of byOrder) {
        const allocation = events.find((r) => r.event_key === `${orderId}:alloc:1`);
        const ready = events.filter((r) => r.event_key.endsWith(':allocated') && r.event_key.includes('-f'));
        const done = waiting.get(orderId)!;
        if (events.some((r) => r.type === 'rejected') || allocation?.fulfilments === 0) {
          waiting.delete(orderId);
          done(undefined);
        } else if (allocation && ready.length === allocation.fulfilments) {
          waiting.delete(orderId);
          done({ at: Math.max(...ready.map((r) => r.at.getTime())), fulfilmentIds: ready.map((r) => r.event_key.slice(0, -':allocated'.length)) });
        }
      }
    }
  })();
  return {
    wait: (orderId: string) => new Promise<{ at: number; fulfilmentIds: string[] } | undefined>((resolve) => waiting.set(orderId, resolve)),
    stop: () => {
      stopped = true;
      return loop;
    },
  };
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
  const readiness = watchPickReadiness(db);
  const start = performance.now();
  let delivered = 0;
  let rejected = 0;
  await pool(orders, CONCURRENCY, async (o) => {
    const orderId = `${tag}-${o.orderId}`;
    const t0 = Date.now();
    const input: OrderInput = { ...o, lines: [...o.lines], orderId, slot: instantSlot(t0), placedAt: t0 };
    const handle = await client.workflow.start(orderWorkflow, { workflowId: orderWorkflowId(orderId), taskQueue: config.temporal.taskQueue, args: [input] });
    // Pick-task-ready: every fulfilment of the first allocation has started and recorded itself
    // as allocated (what a picker's list shows).
    const ready = await readiness.wait(orderId);
    if (ready) {
      readyMs.push(ready.at - t0);
      for (const fulfilmentId of ready.fulfilmentIds) await driveFulfilment(client, fulfilmentId);
    }
    const outcome = await handle.result();
    if (outcome.status === 'delivered') delivered++;
    else rejected++;
  });
  const seconds = (performance.now() - start) / 1000;
  await readiness.stop();
  // How much engine work each side of the ratio is: workflow tasks per order (its own and its
  // fulfilments', from a sample of histories) against a no-op's.
  const historyOf = async (workflowId: string) => (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const tasksOf = async (workflowId: string) => (await historyOf(workflowId)).filter((e) => e.workflowTaskCompletedEventAttributes).length;
  const sample = orders.slice(0, 10).map((o) => orderWorkflowId(`${tag}-${o.orderId}`));
  let sampleTasks = 0;
  let sampleUpdates = 0;
  for (const id of sample) {
    const outcome = await client.workflow.getHandle<typeof orderWorkflow>(id).result();
    sampleTasks += await tasksOf(id);
    for (const f of outcome.fulfilments) {
      const events = await historyOf(f.fulfilmentId);
      sampleTasks += events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
      sampleUpdates += events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    }
  }
  const tasksPerOrder = sampleTasks / sample.length;
  const noopTasks = await tasksOf(noopIds[0]!);
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
    workflow_tasks_per_order: Math.round(tasksPerOrder * 10) / 10,
    updates_per_order: Math.round((sampleUpdates / sample.length) * 10) / 10,
    workflow_tasks_per_noop: noopTasks,
    task_rate_ratio: Math.round(((ordersPerS * tasksPerOrder) / (noopPerS * noopTasks)) * 1000) / 1000,
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
