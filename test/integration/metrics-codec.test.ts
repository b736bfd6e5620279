import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { issueToken } from '../../api/auth';
import { startApi } from '../../api/server';
import type { ApiHandle } from '../../api/server';
import { startIngester } from '../../iot-ingest/ingester';
import { connectTemporal } from '../../platform/temporal';
import type { TemporalHandle } from '../../platform/temporal';
import { noopWorkflow } from '../../workflows/noop';
import { orderWorkflowId } from '../../workflows/order.contract';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { call, intakeBody, seedTestCity } from '../support/orders';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

const ROOT = join(__dirname, '../..');

describe('Metrics and payload encryption (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  before(async () => {
    await requireTemporal();
    db = await requireDb();
  });
  after(async () => db?.close());

  it('serves API request metrics and the in-process ingester metrics on /metrics', async () => {
    const config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      MQTT_SHARE_GROUP: uniqueId('g'),
    });
    const temporal = await connectTemporal(config.temporal);
    const ingester = await startIngester(
      config,
      { db, logger: testLogger },
      { sessions: 1, clientIdPrefix: uniqueId('m'), sessionExpirySeconds: 30 },
    );
    const api = await startApi(
      config,
      { db, temporal, logger: testLogger, metricsRegistries: [ingester.metrics.registry] },
      0,
    );
    try {
      await fetch(`http://127.0.0.1:${api.port}/healthz`);
      await fetch(`http://127.0.0.1:${api.port}/v1/whoami`);
      const text = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
      expect(text).to.match(/freshchain_api_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
      expect(text).to.match(
        /freshchain_api_requests_total\{method="GET",route="unmatched",status="401"\} 1|route="\/v1\/whoami",status="401"/,
      );
      expect(text).to.include('freshchain_api_request_seconds_bucket');
      expect(text).to.include('freshchain_ingest_readings_total');
      expect(text).to.include('freshchain_api_process_cpu_seconds_total');
    } finally {
      await api.stop();
      await ingester.stop();
      await temporal.connection.close();
    }
  });

  it('exposes the worker runtime metrics, workflow outcomes included', async () => {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const taskQueue = uniqueId('tq-metrics');
    const env = {
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'info',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_BIND: `127.0.0.1:${port}`,
    };
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workflows/worker-main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => c.toString().includes('worker polling') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      });
      const connection = await Connection.connect({ address: loadConfig({}).temporal.address });
      const client = new Client({ connection, namespace: loadConfig(env).temporal.namespace });
      await client.workflow.execute(noopWorkflow, { taskQueue, workflowId: uniqueId('wf-metrics'), args: ['m'] });
      await connection.close();
      let text = '';
      expect(
        await eventually(
          async () => {
            text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            return /temporal_workflow_completed\{[^}]*workflow_type="noopWorkflow"[^}]*\} [1-9]/.test(text);
          },
          20_000,
          500,
        ),
        text.slice(0, 500),
      ).to.equal(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  describe('with PAYLOAD_CODEC_KEY set', () => {
    let worker: WorkerHandle;
    let temporal: TemporalHandle;
    let api: ApiHandle;
    let plain: Connection;
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_TASK_QUEUE: uniqueId('tq-codec'),
      PAYLOAD_CODEC_KEY: key,
    });

    before(async () => {
      worker = await startWorker(config, { db, logger: testLogger });
      temporal = await connectTemporal(config.temporal);
      api = await startApi(config, { db, temporal, logger: testLogger }, 0);
      plain = await Connection.connect({ address: config.temporal.address });
    });
    after(async () => {
      await api?.stop();
      await worker?.stop();
      await temporal?.connection.close();
      await plain?.close();
    });

    it('stores workflow payloads encrypted, and the codec endpoint decrypts them for ops only', async () => {
      const city = await seedTestCity(db, { front: 1, store: 0, skus: 20 });
      const orderId = uniqueId('enc');
      const integrator = await issueToken(config.auth.tokenSecret, { sub: 'i', role: 'integrator' });
      const sku = city.lots[0]!.sku;
      const res = await call(
        `http://127.0.0.1:${api.port}/v1/orders`,
        'POST',
        integrator,
        intakeBody({ orderId, location: city.centre, lines: [{ lineId: 'l1', sku, qty: 1 }] }),
      );
      expect(res.status).to.equal(202);
      // The server's copy, read without the codec: ciphertext only.
      const history = await new Client({ connection: plain, namespace: config.temporal.namespace }).workflow
        .getHandle(orderWorkflowId(orderId))
        .fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      expect(new TextDecoder().decode(input!.metadata!.encoding!)).to.equal('binary/encrypted');
      expect(Buffer.from(input!.data!).toString('latin1')).not.to.include(sku);
      // Our own client (with the codec) reads the workflow normally.
      const view = await temporal.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
      expect(view.status.name).to.be.oneOf(['RUNNING', 'COMPLETED']);

      const wire = {
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(input!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
            ),
            data: Buffer.from(input!.data!).toString('base64'),
          },
        ],
      };
      const ops = await issueToken(config.auth.tokenSecret, { sub: 'o', role: 'ops' });
      const decoded = await call(`http://127.0.0.1:${api.port}/codec/decode`, 'POST', ops, wire);
      expect(decoded.status).to.equal(200);
      expect(Buffer.from(decoded.body.payloads[0].data, 'base64').toString()).to.include(orderId);
      const picker = await issueToken(config.auth.tokenSecret, { sub: 'p', role: 'picker', nodeId: city.nodes[0]!.id });
      expect((await call(`http://127.0.0.1:${api.port}/codec/decode`, 'POST', picker, wire)).status).to.equal(403);
      expect((await call(`http://127.0.0.1:${api.port}/codec/decode`, 'POST', undefined, wire)).status).to.equal(401);
    });
  });
});
