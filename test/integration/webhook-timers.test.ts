// Webhook delivery timers on Temporal's time-skipping test server: the production retry schedule
// (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) and the production 5-day disable rule,
// with the real delivery activities on the suite's database, a real HTTP receiver, deliveries
// started by the outbox dispatcher as in production, and what ops see read through the API.
// Nothing is compressed and nothing wraps the activities: the workflow's sleeps pass at once, and
// each attempt takes its time from the workflow, which is the environment's skipped time.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { buildApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import { createWebhookActivities } from '../../coldchain/webhooks/delivery';
import { OutboxDispatcher } from '../../coldchain/webhooks/dispatcher';
import { loadConfig } from '../../config';
import type { Config } from '../../config';
import { timescaleProbe } from '../../db/extensions';
import type { Db } from '../../db/pool';
import { createDeliveriesForEvents, createSubscription, insertEvents } from '../../db/webhooks';
import { DEFAULT_DISABLE_AFTER_DAYS, RETRY_SCHEDULE_MS } from '../../domain/coldchain/webhookPolicy';
import type { WebhookDeliveryResult } from '../../workflows/webhook-delivery.contract';
import { requireDb, testLogger, uniqueId } from '../support/stack';
import { timeSkippingEnvironment } from '../support/time-skipping';

const DAY_MS = 86_400_000;

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What GET /v1/webhooks/subscriptions/:id answers. */
interface SubscriptionView {
  disabled: boolean;
  disabledReason: string | null;
  health: { failingSince: string | null; exhaustedMessages: number; lastSuccessAt: string | null };
}

/** What GET /v1/webhooks/events/:id answers: the attempt log ops see. */
interface EventLog {
  deliveries: {
    status: string;
    attempts: {
      attempt: number;
      at: string;
      statusCode: number | null;
      success: boolean;
      error: string | null;
      durationMs: number;
    }[];
  }[];
}

/** Independent Standard Webhooks check (node:crypto): HMAC-SHA256 of "id.timestamp.body", base64 key. */
function signedBy(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts } = r.headers;
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest('base64')}`;
  return (r.headers['webhook-signature'] ?? '').split(' ').includes(expected);
}

describe('Webhook delivery timers (time-skipping Temporal)', function () {
  this.timeout(120_000);
  let db: Db;
  let env: TestWorkflowEnvironment;
  let config: Config;
  let worker: Worker;
  let running: Promise<void>;
  let dispatcher: OutboxDispatcher;
  let api: Server;
  let apiUrl: string;
  let ops: string;
  let receiver: Server;
  let receiverBase: string;
  const received: Received[] = [];
  /** Status to answer per path, by how many requests that path has had (0-based). */
  const behaviour = new Map<string, (n: number) => number>();

  before(async () => {
    db = await requireDb();
    env = await timeSkippingEnvironment();
    config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_TASK_QUEUE_PREFIX: uniqueId('tq-webhook-timers'),
    });
    const taskQueue = config.temporal.taskQueues.coldchain;
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows/webhook-delivery'),
      activities: createWebhookActivities({ db, logger: testLogger }),
    });
    running = worker.run();
    dispatcher = new OutboxDispatcher({ db, logger: testLogger, temporal: env.client, taskQueue });
    const app = buildApp({
      config,
      logger: testLogger,
      health: { timescaleVersion: timescaleProbe(db) },
      db,
      temporal: env.client,
    });
    api = app.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    ops = await issueToken(config.auth.tokenSecret, { sub: 'ops-timers', role: 'ops' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        const n = received.filter((r) => r.path === path).length;
        received.push({ path, headers: req.headers as Record<string, string>, body });
        res.writeHead(behaviour.get(path)?.(n) ?? 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverBase = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  });
  after(async () => {
    api?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
    receiver?.close();
    await db?.close();
  });

  async function call<T>(method: string, path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${apiUrl}${path}`, { method, headers: { authorization: `Bearer ${ops}` } });
    return { status: res.status, body: (await res.json()) as T };
  }
  const subscriptionView = async (id: string) =>
    (await call<SubscriptionView>('GET', `/v1/webhooks/subscriptions/${id}`)).body;
  const at = (path: string) => received.filter((r) => r.path === path);

  /** A subscription of its own node to `alert.opened`, answering as `answer` says. */
  async function endpoint(answer: (n: number) => number) {
    const nodeId = uniqueId('wht');
    const path = `/${nodeId}`;
    behaviour.set(path, answer);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const sub = await createSubscription(db, {
      url: `${receiverBase}${path}`,
      eventTypes: ['alert.opened'],
      nodeIds: [nodeId],
      secret,
      description: 'timers',
      createdBy: 'test',
    });
    return { nodeId, path, secret, subscriptionId: sub.id };
  }

  /**
   * Publish one event for the node, start its deliveries as the outbox does after a commit (so with
   * the production input), and wait for them to end: time skips while the client waits.
   */
  async function deliver(nodeId: string) {
    const id = uniqueId('evt');
    const occurredAt = await env.currentTimeMs();
    await insertEvents(db.pool, [
      {
        id,
        type: 'alert.opened',
        occurredAt,
        body: JSON.stringify({ id, type: 'alert.opened', data: {} }),
        alertId: null,
        sensorId: null,
        nodeId,
      },
    ]);
    const deliveries = await createDeliveriesForEvents(db.pool, [id]);
    expect(await dispatcher.startDeliveries(deliveries)).to.equal(deliveries.length);
    const results = await Promise.all(
      deliveries.map((d) => env.client.workflow.getHandle(d.workflowId).result() as Promise<WebhookDeliveryResult>),
    );
    return { eventId: id, deliveries, results };
  }

  it('retries through a receiver outage on the production schedule (5 s, 5 min, 30 min), one webhook-id, every attempt logged in the API', async () => {
    const e = await endpoint((n) => (n < 3 ? 503 : 200));
    const { eventId, results } = await deliver(e.nodeId);
    expect(results).to.deep.equal([{ status: 'succeeded', attempts: 4, lastStatusCode: 200 }]);
    const got = at(e.path);
    expect(got).to.have.length(4);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size, 'one webhook-id across attempts').to.equal(1);
    expect(got[0]!.headers['webhook-id']).to.equal(eventId);
    expect(new Set(got.map((r) => r.body)).size, 'the same bytes every time').to.equal(1);
    for (const r of got) expect(signedBy(e.secret, r), 'an independent verifier accepts it').to.equal(true);

    const log = await call<EventLog>('GET', `/v1/webhooks/events/${eventId}`);
    expect(log.status).to.equal(200);
    expect(log.body.deliveries.map((d) => d.status)).to.deep.equal(['succeeded']);
    const attempts = log.body.deliveries[0]!.attempts;
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.success, a.error])).to.deep.equal([
      [1, 503, false, 'HTTP 503'],
      [2, 503, false, 'HTTP 503'],
      [3, 503, false, 'HTTP 503'],
      [4, 200, true, null],
    ]);
    expect(attempts.every((a) => a.durationMs >= 0 && a.durationMs < 15_000)).to.equal(true);
    const times = attempts.map((a) => Date.parse(a.at));
    RETRY_SCHEDULE_MS.slice(1, 4).forEach((scheduled, i) => {
      expect(times[i + 1]! - times[i]!, `gap before attempt ${i + 2}, in the workflow's time`)
        .to.be.at.least(scheduled)
        .and.below(scheduled + 5_000);
    });
    // The signature's timestamp is the attempt's time, the one the log shows.
    expect(got.map((r) => Number(r.headers['webhook-timestamp']))).to.deep.equal(
      times.map((t) => Math.floor(t / 1000)),
    );
    const view = await subscriptionView(e.subscriptionId);
    expect(view.disabled).to.equal(false);
    expect(view.health.failingSince, 'a success clears the failure').to.equal(null);
    expect(Date.parse(view.health.lastSuccessAt!)).to.equal(times[3]);
  });

  const disableTitle =
    `disables an endpoint after ${DEFAULT_DISABLE_AFTER_DAYS} days of failure with a message exhausted, ` +
    'sends it nothing more, and delivers again once re-enabled through the API';
  it(disableTitle, async () => {
    const e = await endpoint(() => 500);
    const first = await deliver(e.nodeId);
    expect(first.results).to.deep.equal([
      { status: 'failed', attempts: RETRY_SCHEDULE_MS.length, lastStatusCode: 500 },
    ]);
    const log = await call<EventLog>('GET', `/v1/webhooks/events/${first.eventId}`);
    const times = log.body.deliveries[0]!.attempts.map((a) => Date.parse(a.at));
    const span = times.at(-1)! - times[0]!;
    const scheduled = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(span, 'the whole schedule, about 28 h')
      .to.be.at.least(scheduled)
      .and.below(scheduled + 60_000);
    let view = await subscriptionView(e.subscriptionId);
    expect(view.disabled, 'one exhausted message a day after the first failure: not yet').to.equal(false);
    expect(view.health.exhaustedMessages).to.equal(1);
    expect(Date.parse(view.health.failingSince!)).to.equal(times[0]);

    await env.sleep(DEFAULT_DISABLE_AFTER_DAYS * DAY_MS - span);
    const second = await deliver(e.nodeId);
    expect(second.results[0]!.status, 'the failing attempt past 5 days disables; the next one skips').to.equal(
      'skipped',
    );
    view = await subscriptionView(e.subscriptionId);
    expect(view.disabled).to.equal(true);
    expect(view.disabledReason).to.match(/^failing since .* with 1 message\(s\) exhausted$/);
    const sent = at(e.path).length;
    expect(sent).to.equal(RETRY_SCHEDULE_MS.length + 1);

    const third = await deliver(e.nodeId);
    expect(third.deliveries, 'no delivery to a disabled endpoint').to.have.length(0);
    expect(at(e.path)).to.have.length(sent);

    behaviour.set(e.path, () => 200);
    const enabled = await call<SubscriptionView>('POST', `/v1/webhooks/subscriptions/${e.subscriptionId}/enable`);
    expect(enabled.status).to.equal(200);
    expect(enabled.body.disabled).to.equal(false);
    const fourth = await deliver(e.nodeId);
    expect(fourth.results).to.deep.equal([{ status: 'succeeded', attempts: 1, lastStatusCode: 200 }]);
    expect(at(e.path)).to.have.length(sent + 1);
    view = await subscriptionView(e.subscriptionId);
    expect(view.health.failingSince, 'the success after re-enabling clears the failure').to.equal(null);
  });
});
