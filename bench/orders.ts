// `npm run bench:orders [N]`: N orders through the whole flow on the real dev server and
// database — intake, allocation with reservations, fulfilment child, simulated picker and
// courier — against two references measured in the same run on the same server and worker: a
// one-activity no-op workflow, and a skeleton (bench/skeleton/) with exactly the engine work of
// the orders as counted from their histories and empty bodies. The worker and the API run in a
// child process (bench/lib/worker-child.ts), so the CPU per order splits by thread and process.
// Then a scan phase: orders through the API at 1 per second while 20 pickers scan through the
// picker API. Prints one JSON line.
//   BENCH_CONCURRENCY (40), BENCH_SCAN_S (60, 0: no scan phase), BENCH_PICKERS (20), BENCH_SKELETON (0: none),
//   BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile the worker)
import { Client, Connection } from '@temporalio/client';
import { instantSlot } from '../domain/orders';
import { generateCity, generateOrders } from '../demo';
import type { City } from '../demo';
import { loadConfig } from '../config';
import { createDb } from '../db/pool';
import type { Db } from '../db/pool';
import { prefixCity, seedCity } from '../demo/seed';
import { join } from 'node:path';
import { driveFulfilment } from '../demo/sim/drive-fulfilment';
import { noopWorkflow } from '../workflows/noop';
import { orderWorkflow } from '../workflows/order';
import { orderWorkflowId } from '../workflows/order.contract';
import type { OrderInput } from '../domain/orders';
import { issueToken } from '../api/auth';
import { forkChild } from './lib/child';
import { cpuSecondsBetween, sampleCpu } from './lib/cpu';
import type { ProcessGroup } from './lib/cpu';
import { addWork, emptyWork, engineWorkOf, skeletonPlanOf } from './lib/engine-work';
import type { EngineWork, SkeletonPlan } from './lib/engine-work';
import { startPickers } from './lib/pickers';
import { skeletonChildId, skeletonParentWorkflow, skeletonStepUpdate, skeletonViewQuery } from './skeleton/workflows';
import { measureAllocation } from './allocation';
import { loadAverage1m, machineInfo } from './lib/machine';
import { summarize } from './lib/percentiles';

const N = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 40);
const SCAN_S = Number(process.env.BENCH_SCAN_S ?? 60);
const PICKERS = Number(process.env.BENCH_PICKERS ?? 20);
/** BENCH_SKELETON=0 leaves the skeleton reference out (e.g. to profile the order phase alone). */
const SKELETON = process.env.BENCH_SKELETON !== '0';
/** Orders (and skeletons) whose histories are counted. */
const SAMPLE = 20;

/** Run `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
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
      const rows = await db.query<{
        order_id: string;
        event_key: string;
        type: string;
        at: Date;
        fulfilments: number | null;
      }>(
        `SELECT order_id, event_key, type, at, jsonb_array_length(data->'fulfilments') AS fulfilments
           FROM order_events WHERE order_id = ANY($1) AND type IN ('allocated', 'rejected')`,
        [[...waiting.keys()]],
      );
      const byOrder = new Map<string, (typeof rows)[number][]>();
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
          done({
            at: Math.max(...ready.map((r) => r.at.getTime())),
            fulfilmentIds: ready.map((r) => r.event_key.slice(0, -':allocated'.length)),
          });
        }
      }
    }
  })();
  return {
    wait: (orderId: string) =>
      new Promise<{ at: number; fulfilmentIds: string[] } | undefined>((resolve) => waiting.set(orderId, resolve)),
    stop: () => {
      stopped = true;
      return loop;
    },
  };
}

/** Engine work of one order: its own history and each of its fulfilments'. */
async function orderWork(client: Client, orderWfId: string): Promise<{ order: EngineWork; fulfilments: EngineWork[] }> {
  const historyOf = async (workflowId: string) =>
    (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const outcome = await client.workflow.getHandle<typeof orderWorkflow>(orderWfId).result();
  const fulfilments: EngineWork[] = [];
  for (const f of outcome.fulfilments) fulfilments.push(engineWorkOf(await historyOf(f.fulfilmentId)));
  return { order: engineWorkOf(await historyOf(orderWfId)), fulfilments };
}

/** Per-order average of sampled work (order plus its fulfilments), one decimal. */
function perOrder(
  samples: readonly { order: EngineWork; fulfilments: EngineWork[] }[],
): EngineWork & { fulfilments: number } {
  const total = samples.reduce((sum, s) => s.fulfilments.reduce(addWork, addWork(sum, s.order)), emptyWork());
  const out = { ...total, fulfilments: samples.reduce((n, s) => n + s.fulfilments.length, 0) };
  for (const k of Object.keys(out) as (keyof typeof out)[])
    out[k] = Math.round((out[k] / Math.max(1, samples.length)) * 10) / 10;
  return out;
}

/** Retry `f` while the workflow it addresses has not started yet (a child a parent is about to start). */
async function whenStarted<T>(f: () => Promise<T>, tries = 400): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** One skeleton order: the parent, then each child driven by its updates as the simulated picker drives a fulfilment. */
async function runSkeleton(client: Client, taskQueue: string, workflowId: string, plan: SkeletonPlan): Promise<void> {
  const parent = await client.workflow.start(skeletonParentWorkflow, { workflowId, taskQueue, args: [plan] });
  for (let c = 0; c < plan.children.length; c++) {
    const child = client.workflow.getHandle(skeletonChildId(workflowId, c));
    // As driveFulfilment does: start picking, read the pick view once, scan (the remaining
    // updates), and read the status once after delivery.
    const updates = plan.children[c]!.updates;
    if (updates > 0) await whenStarted(() => child.executeUpdate(skeletonStepUpdate));
    await whenStarted(() => child.query(skeletonViewQuery));
    for (let u = 1; u < updates; u++) await child.executeUpdate(skeletonStepUpdate);
    await child.query(skeletonViewQuery).catch(() => 0);
  }
  for (let u = 0; u < plan.parent.updates; u++) await parent.executeUpdate(skeletonStepUpdate);
  await parent.result();
}

/** Skeleton work per order from a sample of skeleton histories. */
async function skeletonWork(
  client: Client,
  ids: readonly string[],
  plans: readonly SkeletonPlan[],
): Promise<EngineWork & { fulfilments: number }> {
  const historyOf = async (workflowId: string) =>
    engineWorkOf((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
  const samples = [];
  for (const [i, id] of ids.entries()) {
    const fulfilments: EngineWork[] = [];
    for (let c = 0; c < plans[i % plans.length]!.children.length; c++)
      fulfilments.push(await historyOf(skeletonChildId(id, c)));
    samples.push({ order: await historyOf(id), fulfilments });
  }
  return perOrder(samples);
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The skeleton reference: the sampled orders' shapes cycled over N, same concurrency and drive; its rate, CPU and counted work. */
async function skeletonPhase(
  client: Client,
  taskQueue: string,
  tag: string,
  samples: readonly { order: EngineWork; fulfilments: EngineWork[] }[],
  ordersPerS: number,
  cpuPer: (units: number, run: () => Promise<void>) => Promise<Record<string, number>>,
) {
  const plans = samples.map((s) => skeletonPlanOf(s.order, s.fulfilments));
  const ids = Array.from({ length: N }, (_, i) => `${tag}-skel-${i}`);
  const start = performance.now();
  const cpu = await cpuPer(N, () =>
    pool(
      ids.map((id, i) => ({ id, i })),
      CONCURRENCY,
      async ({ id, i }) => {
        await runSkeleton(client, taskQueue, id, plans[i % plans.length]!);
      },
    ),
  );
  const perS = N / ((performance.now() - start) / 1000);
  return {
    perS: round(perS),
    ratio: round(ordersPerS / perS, 3),
    cpu: {
      worker_workflow_thread: cpu.worker_skeleton_thread,
      worker_main: cpu.worker_main,
      temporal_server: cpu.temporal_server,
      database: cpu.database,
    },
    work: await skeletonWork(client, ids.slice(0, SAMPLE), plans),
  };
}

async function main(): Promise<void> {
  const tag = `bench-${Date.now().toString(36)}`;
  const taskQueue = `${tag}-tq`;
  const skeletonQueue = `${tag}-skeleton`;
  const childEnv = {
    ...process.env,
    FRESHCHAIN_PROFILE: 'test',
    LOG_LEVEL: 'warn',
    TEMPORAL_TASK_QUEUE: taskQueue,
    BENCH_SKELETON_TASK_QUEUE: skeletonQueue,
  };
  const config = loadConfig(childEnv);
  const db = createDb({ connectionString: config.db.connectionString, max: 5 });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workerChild = await forkChild(
    join(__dirname, 'lib/worker-child.ts'),
    childEnv,
    process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean),
    { stdoutToStderr: true },
  );
  const info = (await workerChild.next('info')).info as {
    apiPort: number;
    workflowThreads: number[];
    skeletonThreads: number[];
  };
  const pid = workerChild.process.pid!;
  const groups: ProcessGroup[] = [
    { name: 'worker_workflow_thread', threads: { pid, tids: info.workflowThreads } },
    { name: 'worker_skeleton_thread', threads: { pid, tids: info.skeletonThreads } },
    { name: 'worker_main', threads: { pid, tids: [...info.workflowThreads, ...info.skeletonThreads], invert: true } },
    { name: 'temporal_server', comm: 'temporal' },
    { name: 'database', comm: 'postgres' },
    { name: 'harness', pids: [process.pid] },
  ];
  /** CPU-seconds per unit of each group over `run`. */
  const cpuPer = async (units: number, run: () => Promise<void>) => {
    const a = sampleCpu(groups);
    await run();
    const spent = cpuSecondsBetween(a, sampleCpu(groups));
    return Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, round(v / units, 3)]));
  };

  // Reference: one-activity workflows, same worker, same concurrency.
  const noopIds = Array.from({ length: N }, (_, i) => `${tag}-noop-${i}`);
  const noopStart = performance.now();
  await pool(noopIds, CONCURRENCY, async (id) => {
    await client.workflow.execute(noopWorkflow, { workflowId: id, taskQueue, args: ['x'] });
  });
  const noopPerS = N / ((performance.now() - noopStart) / 1000);

  // A city of our own, stocked deep enough that the run measures flow, not stockouts.
  const base = generateCity(7, {
    frontWarehouses: 6,
    storeWarehouses: 2,
    skus: 200,
    baseDate: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
  });
  const city = prefixCity({ ...base, lots: base.lots.map((l) => ({ ...l, available: l.available + 500 })) }, `${tag}-`);
  await seedCity(db, city);
  const orders = generateOrders(city, 99, N, Date.now(), { instantShare: 1 });

  const readyMs: number[] = [];
  const readiness = watchPickReadiness(db);
  const start = performance.now();
  let delivered = 0;
  let rejected = 0;
  const orderCpu = await cpuPer(N, () =>
    pool(orders, CONCURRENCY, async (o) => {
      const orderId = `${tag}-${o.orderId}`;
      const t0 = Date.now();
      const input: OrderInput = { ...o, lines: [...o.lines], orderId, slot: instantSlot(t0), placedAt: t0 };
      const handle = await client.workflow.start(orderWorkflow, {
        workflowId: orderWorkflowId(orderId),
        taskQueue,
        args: [input],
      });
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
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  // How much engine work an order is, from a sample of histories (its own and its fulfilments').
  const samples = [];
  for (const o of orders.slice(0, SAMPLE))
    samples.push(await orderWork(client, orderWorkflowId(`${tag}-${o.orderId}`)));
  const work = perOrder(samples);
  const noopTasks = engineWorkOf(
    (await client.workflow.getHandle(noopIds[0]!).fetchHistory()).events ?? [],
  ).workflowTasks;
  const ordersPerS = N / seconds;

  const skeleton = SKELETON ? await skeletonPhase(client, skeletonQueue, tag, samples, ordersPerS, cpuPer) : undefined;

  const scan =
    SCAN_S > 0
      ? await scanPhase(db, city, tag, `http://127.0.0.1:${info.apiPort}`, config.auth.tokenSecret, readiness)
      : undefined;
  await readiness.stop();
  const latency = summarize(readyMs, 1);
  const alloc = measureAllocation({ orders: 5000 });
  const cpuOfOrder =
    orderCpu.worker_workflow_thread! + orderCpu.worker_main! + orderCpu.temporal_server! + orderCpu.database!;

  console.log(
    JSON.stringify({
      orders_per_s: round(ordersPerS),
      p50_ms: latency.p50,
      p95_ms: latency.p95,
      noop_wf_per_s: round(noopPerS),
      ratio: round(ordersPerS / noopPerS, 3),
      ...(skeleton ? { skeleton_per_s: skeleton.perS, skeleton_ratio: skeleton.ratio } : {}),
      cpu_s_per_order: round(cpuOfOrder, 3),
      cpu_s_per_order_by: {
        worker_workflow_thread: orderCpu.worker_workflow_thread,
        worker_main: orderCpu.worker_main,
        temporal_server: orderCpu.temporal_server,
        database: orderCpu.database,
        harness_not_counted: orderCpu.harness,
      },
      ...(skeleton ? { skeleton_cpu_s_per_order_by: skeleton.cpu } : {}),
      ...(scan ?? {}),
      alloc_p99_ms: alloc.alloc_p99_ms,
      workflow_tasks_per_order: work.workflowTasks,
      updates_per_order: work.updates,
      workflow_tasks_per_noop: noopTasks,
      task_rate_ratio: round((ordersPerS * work.workflowTasks) / (noopPerS * noopTasks), 3),
      engine_work_per_order: work,
      ...(skeleton ? { skeleton_engine_work_per_order: skeleton.work } : {}),
      engine_work_sample: samples.length,
      run_tag: tag,
      orders: N,
      delivered,
      rejected,
      concurrency: CONCURRENCY,
      alloc_setup: `${alloc.nodes} nodes × ${alloc.skus} SKUs, ${alloc.orders} orders`,
      worker: 'child process: production worker, skeleton worker (own bundle and task queue), API',
      ...machineInfo(),
      loadavg_1m: loadAverage1m(),
    }),
  );
  await workerChild.stop(60_000);
  await connection.close();
  await db.close();
}

/**
 * Orders through the real API at 1 per second for SCAN_S seconds while PICKERS pickers (spread
 * over the nodes, picker tokens of their node) claim waves and confirm scans through the picker
 * API. Returns scan (confirm, answered) percentiles and intake → pick-ready at that rate.
 */
async function scanPhase(
  db: Db,
  city: City,
  tag: string,
  url: string,
  secret: string,
  readiness: ReturnType<typeof watchPickReadiness>,
) {
  const integrator = await issueToken(secret, { sub: `${tag}-integrator`, role: 'integrator' }, '2h');
  const ops = await issueToken(secret, { sub: `${tag}-ops`, role: 'ops' }, '2h');
  const logins = await Promise.all(
    Array.from({ length: PICKERS }, async (_, i) => {
      const nodeId = city.nodes[i % city.nodes.length]!.id;
      return { nodeId, token: await issueToken(secret, { sub: `${tag}-picker-${i}`, role: 'picker', nodeId }, '2h') };
    }),
  );
  const pickers = startPickers({ url, pickers: logins, courierToken: ops, courierId: 'sim-courier' });
  const orders = generateOrders(city, 101, SCAN_S, Date.now(), { instantShare: 1 });
  const readyMs: number[] = [];
  const refusedIntake: number[] = [];
  const started = performance.now();
  const waits = orders.map(async (o, i) => {
    await new Promise((r) => setTimeout(r, Math.max(0, started + i * 1000 - performance.now())));
    const orderId = `${tag}-scan-${o.orderId}`;
    const t0 = Date.now();
    const res = await fetch(`${url}/v1/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${integrator}`,
        'idempotency-key': orderId,
      },
      body: JSON.stringify({
        orderId,
        customer: {
          id: `${tag}-c${i}`,
          name: 'Bench Customer',
          phone: '+86 138 0000 0000',
          address: `Room ${i}, 1 Bench Road`,
        },
        location: o.location,
        slot: { kind: 'instant' },
        lines: o.lines,
      }),
    });
    await res.text();
    if (res.status !== 202) return refusedIntake.push(res.status);
    const ready = await readiness.wait(orderId);
    if (ready) readyMs.push(ready.at - t0);
    return undefined;
  });
  await Promise.all(waits);
  // Let the pickers finish what arrived (bounded), then stop them.
  const drainUntil = Date.now() + 60_000;
  while (Date.now() < drainUntil && (await openPickWork(db, tag)) > 0) await new Promise((r) => setTimeout(r, 1000));
  const seen = await pickers.stop();
  const scan = summarize(seen.confirmMs, 1);
  return {
    scan_p50_ms: scan.p50,
    scan_p95_ms: scan.p95,
    scan_p99_ms: scan.p99,
    ready_p95_ms: summarize(readyMs, 1).p95,
    scan_setup: {
      orders_per_s: 1,
      seconds: SCAN_S,
      pickers: PICKERS,
      scans: scan.n,
      pick_ready: readyMs.length,
      delivered: seen.delivered,
      intake_refused: refusedIntake.length,
      refused: seen.refused,
    },
  };
}

/** Fulfilments of this run's scan orders not yet handed over. */
async function openPickWork(db: Db, tag: string): Promise<number> {
  const rows = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pick_tasks WHERE fulfilment_id LIKE $1 AND state IN ('allocated', 'picking', 'packed')`,
    [`%${tag}-scan-%`],
  );
  return Number(rows[0]?.n ?? 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
