import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { startWorker } from '../../workflows/worker';
import type { StartWorkerOptions, WorkerHandle } from '../../workflows/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { noopWorkflow } from '../../workflows/noop';
import { maintenanceWorkflow } from '../../workflows/maintenance';
import { taskQueuesFor } from '../../config/task-queues';
import type { TaskQueues } from '../../config/task-queues';
import type { Db } from '../../db/pool';
import { requireDb, requireTemporal, testConfig, testLogger, uniqueId } from '../support/stack';

describe('Temporal dev server (integration)', function () {
  this.timeout(120_000);
  let connection: Connection;
  let client: Client;
  let db: Db;
  let worker: WorkerHandle;
  const taskQueue = uniqueId('tq-smoke');

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    connection = await Connection.connect({ address: testConfig.temporal.address });
    client = new Client({ connection, namespace: testConfig.temporal.namespace });
    worker = await startWorker(testConfig, { db, logger: testLogger }, { taskQueue });
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
    await db?.close();
  });

  it('runs a workflow with an activity on a real worker', async () => {
    const result = await client.workflow.execute(noopWorkflow, {
      taskQueue,
      workflowId: uniqueId('wf-noop'),
      args: ['fresh'],
    });
    expect(result).to.equal('fresh');
  });

  it("reports the worker's progress for /healthz: activities finished, nothing pending, not blocked", async () => {
    await client.workflow.execute(noopWorkflow, { taskQueue, workflowId: uniqueId('wf-noop'), args: ['progress'] });
    const p = worker.progress.snapshot();
    expect(p.pending).to.equal(0);
    expect(p.sinceProgressMs).to.be.a('number').and.below(30_000);
    expect(worker.progress.blocked?.()).to.equal(null);
  });

  it('has every custom search attribute registered, with the declared type', async () => {
    const res = await connection.operatorService.listSearchAttributes({ namespace: testConfig.temporal.namespace });
    const registered = res.customAttributes ?? {};
    const typeNames: Record<string, number> = {
      KEYWORD: 2,
      TEXT: 1,
      INT: 3,
      DOUBLE: 4,
      BOOL: 5,
      DATETIME: 6,
      KEYWORD_LIST: 7,
    };
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      expect(registered, `search attribute ${key.name}`).to.have.property(key.name);
      expect(registered[key.name], `type of ${key.name}`).to.equal(typeNames[key.type]);
    }
  });

  it('declares in code exactly the attributes the stack registers', () => {
    const file = readFileSync(join(__dirname, '../../deploy/temporal/search-attributes.txt'), 'utf8');
    const declared = file
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.split('=')[0]);
    expect(declared.sort()).to.deep.equal(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });
});

describe('task queues per area (integration)', function () {
  this.timeout(120_000);
  let connection: Connection;
  let client: Client;
  let db: Db;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    connection = await Connection.connect({ address: testConfig.temporal.address });
    client = new Client({ connection, namespace: testConfig.temporal.namespace });
  });

  after(async () => {
    for (const stop of stops) await stop();
    await connection?.close();
    await db?.close();
  });

  async function pollers(queue: string): Promise<number> {
    const res = await connection.workflowService.describeTaskQueue({
      namespace: testConfig.temporal.namespace,
      taskQueue: { name: queue },
      taskQueueType: 1 /* workflow */,
    });
    return res.pollers?.length ?? 0;
  }

  async function serve(prefix: string, areas: StartWorkerOptions['areas']): Promise<TaskQueues> {
    const handle = await startWorker(
      testConfig,
      { db, logger: testLogger },
      { taskQueuePrefix: prefix, ...(areas ? { areas } : {}) },
    );
    stops.push(() => handle.stop());
    return taskQueuesFor(prefix);
  }

  it("a worker started for one area polls only that area's queue", async () => {
    const queues = await serve(uniqueId('tq-area'), ['forecasting']);
    expect(
      await client.workflow.execute(noopWorkflow, {
        taskQueue: queues.forecasting,
        workflowId: uniqueId('wf-noop'),
        args: ['f'],
      }),
    ).to.equal('f');
    expect(await pollers(queues.forecasting)).to.be.above(0);
    expect(await pollers(queues.orders)).to.equal(0);
    expect(await pollers(queues.coldchain)).to.equal(0);
  });

  it('a workflow on the orders queue sends a cold-chain step to the cold-chain queue', async () => {
    const queues = await serve(uniqueId('tq-area'), undefined);
    const handle = await client.workflow.start(maintenanceWorkflow, {
      taskQueue: queues.orders,
      workflowId: uniqueId('wf-maintenance'),
    });
    const result = await handle.result();
    expect(result.releasedReservations).to.be.a('number');
    const scheduled: Record<string, string> = {};
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name && a.taskQueue?.name) scheduled[a.activityType.name] = a.taskQueue.name;
    }
    expect(scheduled).to.deep.equal({
      releaseExpiredReservations: queues.orders,
      erasePersonalDataPastRetention: queues.orders,
      relayStockShortfalls: queues.orders,
      telemetryMaintenance: queues.coldchain,
    });
  });
});
