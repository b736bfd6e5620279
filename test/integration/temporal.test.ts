import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { noopWorkflow } from '../../workflows/noop';
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
    const result = await client.workflow.execute(noopWorkflow, { taskQueue, workflowId: uniqueId('wf-noop'), args: ['fresh'] });
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
    const typeNames: Record<string, number> = { KEYWORD: 2, TEXT: 1, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      expect(registered, `search attribute ${key.name}`).to.have.property(key.name);
      expect(registered[key.name], `type of ${key.name}`).to.equal(typeNames[key.type]);
    }
  });

  it('declares in code exactly the attributes the stack registers', () => {
    const file = readFileSync(join(__dirname, '../../deploy/temporal/search-attributes.txt'), 'utf8');
    const declared = file.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split('=')[0]);
    expect(declared.sort()).to.deep.equal(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });
});
