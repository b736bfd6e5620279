import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { toOrderInput } from '../../api/routes/orders';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { orderWorkflow } from '../../workflows/order';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderView } from '../../domain/orders';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { intakeBody, seedTestCity } from '../support/orders';
import { requireDb, requireTemporal, testConfig, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

const ROOT = join(__dirname, '../..');

describe('Order workflows survive a worker crash (integration)', function () {
  this.timeout(300_000);
  let db: Db;
  let connection: Connection;
  let child: ChildProcess | undefined;
  let worker: WorkerHandle | undefined;

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    connection = await Connection.connect({ address: loadConfig({}).temporal.address });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await worker?.stop();
    await connection?.close();
    await db?.close();
  });

  it('completes in-flight orders on a new worker with no double reservation', async () => {
    const taskQueue = uniqueId('tq-crash');
    const env = {
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'info',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_BIND: 'off',
    };
    const config = loadConfig(env);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const city = await seedTestCity(db, { front: 2, store: 1, skus: 30 });

    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workflows/worker-main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (c: Buffer) => c.toString().includes('worker polling') && resolve());
      child!.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });

    const ids = Array.from({ length: 24 }, () => uniqueId('crash'));
    const lines = city.skus.slice(0, 4).map((s, i) => ({ lineId: `l${i}`, sku: s.sku, qty: 1 }));
    const now = Date.now();
    await Promise.all(
      ids.map((orderId) =>
        client.workflow.start(orderWorkflow, {
          workflowId: orderWorkflowId(orderId),
          taskQueue,
          // Started without intake (no orders row yet): the input brings the door, as a replacement's does.
          args: [
            {
              ...toOrderInput(
                { ...intakeBody({ orderId, location: city.centre, lines }), slot: { kind: 'instant' } } as never,
                now,
                testConfig.pii.key,
              ),
              location: city.centre,
            },
          ],
        }),
      ),
    );
    // Kill the worker while some orders are allocated and others are still on their way.
    const allocatedCount = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            "SELECT count(DISTINCT order_id) AS n FROM order_events WHERE type = 'allocated' AND order_id = ANY($1)",
            [ids],
          )
        )[0]!.n,
      );
    expect(await eventually(async () => (await allocatedCount()) >= 1, 30_000, 5)).to.equal(true);
    child.kill('SIGKILL');
    const atKill = await allocatedCount();

    worker = await startWorker(config, { db, logger: testLogger }, { taskQueue });
    const views = await Promise.all(
      ids.map(async (orderId) => {
        let v: OrderView | undefined;
        await eventually(
          async () => {
            v = await client.workflow
              .getHandle(orderWorkflowId(orderId))
              .query(orderStatusQuery)
              .catch(() => undefined);
            return !!v && v.status !== 'received' && v.fulfilments.every((f) => f.state === 'allocated');
          },
          60_000,
          100,
        );
        return v!;
      }),
    );
    for (const v of views) for (const f of v.fulfilments) await driveFulfilment(client, f.fulfilmentId);
    const results = await Promise.all(
      ids.map((orderId) => client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId)).result()),
    );
    expect(
      results.every((r) => r.status === 'delivered' || r.status === 'rejected'),
      JSON.stringify(results.map((r) => r.status)),
    ).to.equal(true);
    expect(results.filter((r) => r.status === 'delivered').length).to.be.greaterThan(0);
    expect(atKill, 'the crash happened mid-flight').to.be.lessThan(ids.length);

    // Each order reserved each allocated unit exactly once, and lots balance.
    const reserved = await db.query<{ order_id: string; qty: string }>(
      'SELECT order_id, sum(qty) AS qty FROM stock_reservations WHERE order_id = ANY($1) GROUP BY order_id',
      [ids],
    );
    for (const r of results) {
      const allocatedUnits = r.fulfilments.reduce((n, f) => n + f.lineIds.length, 0);
      const row = reserved.find((x) => x.order_id === r.orderId);
      expect(Number(row?.qty ?? 0), `units reserved for ${r.orderId}`).to.equal(allocatedUnits);
    }
    const imbalance = await db.query<{ lot_id: string }>(
      `SELECT l.lot_id FROM lots l LEFT JOIN (SELECT lot_id, sum(qty) q FROM stock_reservations WHERE status = 'held' GROUP BY lot_id) h USING (lot_id)
        WHERE l.node_id = ANY($1) AND l.reserved <> coalesce(h.q, 0)`,
      [city.nodes.map((n) => n.id)],
    );
    expect(imbalance).to.deep.equal([]);
  });
});
