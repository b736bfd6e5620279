// Webhook delivery timers on Temporal's time-skipping test server: the production retry schedule
// (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) and the production 5-day disable rule,
// with the real delivery activities on the suite's database and a real HTTP receiver. Nothing is
// compressed: the workflow's sleeps pass at once, and the activities' clock is the environment's.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { createWebhookActivities } from '../../coldchain/webhooks/delivery';
import type { Db } from '../../db/pool';
import {
  createDeliveriesForEvents,
  createSubscription,
  enableSubscription,
  getSubscription,
  insertEvents,
} from '../../db/webhooks';
import { DEFAULT_DISABLE_AFTER_DAYS, RETRY_SCHEDULE_MS } from '../../domain/coldchain/webhookPolicy';
import type { webhookDeliveryWorkflow } from '../../workflows/webhook-delivery';
import { requireDb, testLogger, uniqueId } from '../support/stack';
import { timeSkippingEnvironment } from '../support/time-skipping';

const DAY_MS = 86_400_000;

describe('Webhook delivery timers (time-skipping Temporal)', function () {
  this.timeout(120_000);
  let db: Db;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let receiver: Server;
  let receiverBase: string;
  const taskQueue = uniqueId('tq-webhook-timers');
  const received: { path: string; webhookId: string }[] = [];
  /** Status to answer per path, by how many requests that path has had (0-based). */
  const behaviour = new Map<string, (n: number) => number>();
  /** The environment's time at the start of the current attempt: what the activities read as now. */
  let clock = 0;

  before(async () => {
    db = await requireDb();
    env = await timeSkippingEnvironment();
    const activities = createWebhookActivities({ db, logger: testLogger, now: () => clock });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows/webhook-delivery'),
      activities: {
        ...activities,
        attemptWebhookDelivery: async (input: Parameters<typeof activities.attemptWebhookDelivery>[0]) => {
          clock = await env.currentTimeMs();
          return activities.attemptWebhookDelivery(input);
        },
      },
    });
    running = worker.run();
    receiver = createServer((req, res) => {
      req.resume().on('end', () => {
        const path = req.url ?? '';
        const n = received.filter((r) => r.path === path).length;
        received.push({ path, webhookId: String(req.headers['webhook-id']) });
        res.writeHead(behaviour.get(path)?.(n) ?? 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverBase = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    receiver?.close();
    await db?.close();
  });

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
    return { nodeId, path, subscriptionId: sub.id };
  }

  /** Publish one event for the node and run its delivery workflow to the end, on the production schedule. */
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
    const results = await Promise.all(
      deliveries.map((d) =>
        env.client.workflow.execute<typeof webhookDeliveryWorkflow>('webhookDeliveryWorkflow', {
          taskQueue,
          workflowId: d.workflowId,
          args: [{ deliveryId: d.id }],
        }),
      ),
    );
    return { eventId: id, deliveries, results };
  }

  const attemptsOf = (deliveryId: string) =>
    db.query<{ attempt: number; at: Date; status_code: number | null; success: boolean }>(
      'SELECT attempt, at, status_code, success FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt',
      [deliveryId],
    );

  it('retries through a receiver outage on the production schedule (5 s, 5 min, 30 min), one webhook-id', async () => {
    const e = await endpoint((n) => (n < 3 ? 503 : 200));
    const { deliveries, results } = await deliver(e.nodeId);
    expect(results).to.deep.equal([{ status: 'succeeded', attempts: 4, lastStatusCode: 200 }]);
    const got = received.filter((r) => r.path === e.path);
    expect(got).to.have.length(4);
    expect(new Set(got.map((r) => r.webhookId)).size, 'one webhook-id across attempts').to.equal(1);
    const attempts = await attemptsOf(deliveries[0]!.id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.success])).to.deep.equal([
      [1, 503, false],
      [2, 503, false],
      [3, 503, false],
      [4, 200, true],
    ]);
    const gaps = attempts.slice(1).map((a, i) => a.at.getTime() - attempts[i]!.at.getTime());
    RETRY_SCHEDULE_MS.slice(1, 4).forEach((scheduled, i) => {
      expect(gaps[i], `gap before attempt ${i + 2}`)
        .to.be.at.least(scheduled)
        .and.below(scheduled + 5_000);
    });
    const sub = await getSubscription(db, e.subscriptionId);
    expect(sub!.health.failingSince, 'a success clears the failure').to.equal(null);
  });

  const disableTitle =
    `disables an endpoint after ${DEFAULT_DISABLE_AFTER_DAYS} days of failure with a message exhausted, ` +
    'and sends it nothing more until re-enabled';
  it(disableTitle, async () => {
    const e = await endpoint(() => 500);
    const first = await deliver(e.nodeId);
    expect(first.results).to.deep.equal([
      { status: 'failed', attempts: RETRY_SCHEDULE_MS.length, lastStatusCode: 500 },
    ]);
    const attempts = await attemptsOf(first.deliveries[0]!.id);
    const span = attempts.at(-1)!.at.getTime() - attempts[0]!.at.getTime();
    const scheduled = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(span, 'the whole schedule, about 28 h')
      .to.be.at.least(scheduled)
      .and.below(scheduled + 60_000);
    let sub = await getSubscription(db, e.subscriptionId);
    expect(sub!.disabledAt, 'one exhausted message a day after the first failure: not yet').to.equal(null);
    expect(sub!.health.exhaustedMessages).to.equal(1);

    await env.sleep(DEFAULT_DISABLE_AFTER_DAYS * DAY_MS - span);
    const second = await deliver(e.nodeId);
    expect(second.results[0]!.status, 'the failing attempt past 5 days disables; the next one skips').to.equal(
      'skipped',
    );
    sub = await getSubscription(db, e.subscriptionId);
    expect(sub!.disabledAt).to.be.a('number');
    expect(sub!.disabledReason).to.match(/^failing since .* with 1 message\(s\) exhausted$/);
    const sent = received.filter((r) => r.path === e.path).length;
    expect(sent).to.equal(RETRY_SCHEDULE_MS.length + 1);

    const third = await deliver(e.nodeId);
    expect(third.deliveries, 'no delivery to a disabled endpoint').to.have.length(0);
    expect(received.filter((r) => r.path === e.path)).to.have.length(sent);

    behaviour.set(e.path, () => 200);
    await enableSubscription(db, e.subscriptionId);
    const fourth = await deliver(e.nodeId);
    expect(fourth.results).to.deep.equal([{ status: 'succeeded', attempts: 1, lastStatusCode: 200 }]);
  });
});
