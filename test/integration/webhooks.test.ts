// Signed webhooks on the real stack: the subscriptions API, signatures checked by an
// independent verifier (node:crypto, not the standardwebhooks package), durable delivery by
// Temporal workflows on the production schedule, manual replay with the same webhook-id, and the
// outbox that survives a crash between commit and workflow start. What needs the schedule's
// timers (retries through an outage, the attempt log, disabling after 5 days of failure and
// re-enabling) runs on the time-skipping server: webhook-timers.test.ts.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { buildApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import { loadConfig } from '../../config';
import type { Config } from '../../config';
import { upsertProfile } from '../../db/alerts';
import { timescaleProbe } from '../../db/extensions';
import type { Db } from '../../db/pool';
import { upsertSensorNetwork } from '../../db/telemetry';
import { DEFAULT_PROFILES } from '../../domain/coldchain/bands';
import type { Reading } from '../../domain/coldchain/telemetry';
import { OutboxDispatcher } from '../../coldchain/webhooks/dispatcher';
import { AlertEngine } from '../../coldchain/engine';
import { createAlertMetrics } from '../../coldchain/metrics';
import { ProfileCache } from '../../coldchain/profiles';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}
interface SubscriptionAnswer {
  id: string;
  url: string;
  eventTypes: string[];
  nodeIds: string[] | null;
  secret?: string;
  disabled: boolean;
  disabledReason: string | null;
}

/** Independent Standard Webhooks verification: HMAC-SHA256 of "id.timestamp.body", base64-decoded secret. */
function verify(secret: string, r: Received): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = r.headers['webhook-id'];
  const ts = r.headers['webhook-timestamp'];
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest('base64')}`;
  const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
  return fresh && (r.headers['webhook-signature'] ?? '').split(' ').includes(expected);
}

describe('Webhooks (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  let connection: Connection;
  let client: Client;
  let config: Config;
  let worker: WorkerHandle;
  let api: Server;
  let apiUrl: string;
  let receiver: Server;
  let receiverBase: string;
  let ops: string;
  let integrator: string;
  const received: Received[] = [];

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_TASK_QUEUE: uniqueId('tq-webhooks'),
    });
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    worker = await startWorker(config, { db, logger: testLogger });
    const app = buildApp({
      config,
      logger: testLogger,
      health: { timescaleVersion: timescaleProbe(db) },
      db,
      temporal: client,
    });
    api = app.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body, at: Date.now() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverBase = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    ops = await issueToken(config.auth.tokenSecret, { sub: 'ops-wh', role: 'ops' });
    integrator = await issueToken(config.auth.tokenSecret, { sub: uniqueId('erp'), role: 'integrator' });
  });
  after(async () => {
    api?.close();
    receiver?.close();
    await worker?.stop();
    await connection?.close();
    await db?.close();
  });

  /** A node with one fridge sensor, an engine scoped to it, a dispatcher. */
  async function site() {
    const nodeId = uniqueId('whn');
    const assetId = `${nodeId}-fridge`;
    const sensorId = `${nodeId}-s0`;
    const profile = {
      ...DEFAULT_PROFILES.chilled,
      offlineTimeoutSec: 7 * 86_400,
      id: `${nodeId}-profile`,
      label: 'test',
    };
    await upsertProfile(db, profile);
    await upsertSensorNetwork(db, {
      nodes: [
        {
          id: nodeId,
          kind: 'front',
          name: 'webhook test node',
          lat: 31.2,
          lng: 121.5,
          radiusKm: 3,
          zones: ['chilled'],
        },
      ],
      assets: [{ id: assetId, nodeId, kind: 'fridge', band: profile.id }],
      sensors: [{ id: sensorId, assetId, nodeId }],
    });
    const engine = new AlertEngine(
      { db, logger: testLogger, profiles: new ProfileCache(db, testLogger), metrics: createAlertMetrics() },
      { nodeId, escalation: { warning: [], critical: [] } },
    );
    const dispatcher = new OutboxDispatcher({
      db,
      logger: testLogger,
      temporal: client,
      taskQueue: config.temporal.taskQueues.coldchain,
    });
    let minute = 0;
    /** A hard-limit breach: one `alert.opened` event (a new episode each call). */
    const breach = async (dispatch = true) => {
      const ts = Date.now() - 3_600_000 + minute++ * 60_000;
      const mk = (t: number, tempC: number): Reading => ({
        sensorId,
        assetId,
        nodeId,
        ts: t,
        tempC,
        humidityPct: null,
        doorOpen: null,
        batteryPct: null,
        defrost: null,
        seq: null,
      });
      const outbox = await engine.processReadings([mk(ts, 3), mk(ts + 1000, 13)]);
      if (dispatch) await dispatcher.dispatch(outbox);
      return ts;
    };
    return { nodeId, engine, dispatcher, breach };
  }

  async function subscribe(
    nodeId: string,
    path: string,
    extra: Record<string, unknown> = {},
    token = ops,
  ): Promise<SubscriptionAnswer> {
    const r = await call<SubscriptionAnswer>('POST', '/v1/webhooks/subscriptions', token, {
      url: `${receiverBase}${path}`,
      eventTypes: ['alert.opened'],
      nodeIds: [nodeId],
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body;
  }
  const at = (path: string) => received.filter((r) => r.path === path);
  const eventIdsOfNode = async (nodeId: string) =>
    (
      await db.query<{ id: string }>('SELECT id FROM webhook_events WHERE node_id = $1 ORDER BY created_at', [nodeId])
    ).map((r) => r.id);

  it('manages subscriptions: a generated whsec_ secret shown once, validation, roles and ownership', async () => {
    const nodeId = uniqueId('whn');
    const created = await subscribe(nodeId, '/subs');
    expect(created.secret).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret!.slice(6), 'base64')).to.have.length(32);
    expect(created).to.include({ url: `${receiverBase}/subs`, disabled: false });
    expect(created.nodeIds).to.deep.equal([nodeId]);
    const own = await subscribe(
      nodeId,
      '/subs-int',
      { secret: `whsec_${Buffer.alloc(24, 9).toString('base64')}` },
      integrator,
    );
    expect(own.secret).to.equal(`whsec_${Buffer.alloc(24, 9).toString('base64')}`);

    const listed = await call<{ subscriptions: SubscriptionAnswer[] }>('GET', '/v1/webhooks/subscriptions', ops);
    const mine = listed.body.subscriptions.find((s) => s.id === created.id)!;
    expect(mine).to.not.have.property('secret');
    expect(listed.body.subscriptions.map((s) => s.id)).to.include(own.id);
    const theirs = await call<{ subscriptions: SubscriptionAnswer[] }>('GET', '/v1/webhooks/subscriptions', integrator);
    expect(
      theirs.body.subscriptions.map((s) => s.id),
      'an integrator sees only its own',
    ).to.deep.equal([own.id]);
    expect((await call('GET', `/v1/webhooks/subscriptions/${created.id}`, integrator)).status).to.equal(404);
    expect((await call('GET', `/v1/webhooks/subscriptions/${own.id}`, ops)).status).to.equal(200);

    const bad = async (body: unknown) =>
      call<{ error: { message: string } }>('POST', '/v1/webhooks/subscriptions', ops, body);
    expect((await bad({ url: 'ftp://example.com/x' })).body.error.message).to.match(/^url: /);
    expect((await bad({ url: `${receiverBase}/x`, eventTypes: ['alert.bogus'] })).body.error.message).to.match(
      /^eventTypes\.0: /,
    );
    expect((await bad({ url: `${receiverBase}/x`, secret: 'whsec_c2hvcnQ=' })).body.error.message).to.equal(
      'secret: must decode to 24-64 bytes',
    );
    expect((await bad({ url: `${receiverBase}/x`, colour: 'red' })).status).to.equal(400);
    expect((await call('GET', '/v1/webhooks/subscriptions')).status).to.equal(401);
    const picker = await issueToken(config.auth.tokenSecret, { sub: 'p', role: 'picker', nodeId });
    expect((await call('GET', '/v1/webhooks/subscriptions', picker)).status).to.equal(403);

    expect(
      (await call('DELETE', `/v1/webhooks/subscriptions/${created.id}`, integrator)).status,
      'not its own',
    ).to.equal(404);
    expect((await call('DELETE', `/v1/webhooks/subscriptions/${created.id}`, ops)).status).to.equal(204);
    expect((await call('GET', `/v1/webhooks/subscriptions/${created.id}`, ops)).status).to.equal(404);
  });

  it('delivers each event once, signed so that an independent verifier accepts it; re-processing publishes nothing new', async () => {
    const s = await site();
    const sub = await subscribe(s.nodeId, `/signed-${s.nodeId}`);
    await s.breach();
    expect(await eventually(async () => at(`/signed-${s.nodeId}`).length === 1, 15_000)).to.equal(true);
    const [r] = at(`/signed-${s.nodeId}`);
    expect(verify(sub.secret!, r!)).to.equal(true);
    expect(
      verify(sub.secret!, { ...r!, body: r!.body.replace('"alert.opened"', '"alert.resolved"') }),
      'a changed body fails',
    ).to.equal(false);
    expect(r!.headers['content-type']).to.equal('application/json');
    const [eventId] = await eventIdsOfNode(s.nodeId);
    expect(r!.headers['webhook-id']).to.equal(eventId);
    const payload = JSON.parse(r!.body) as {
      id: string;
      type: string;
      data: { alert: { nodeId: string; kind: string } };
    };
    expect(payload).to.include({ id: eventId, type: 'alert.opened' });
    expect(payload.data.alert).to.include({ nodeId: s.nodeId, kind: 'hard_limit' });

    // The same readings again (a redelivered MQTT message): same ids, nothing new to send.
    const sensorState = await db.query<{ state: { lastTs: number } }>(
      `SELECT state FROM alert_sensor_state WHERE sensor_id = $1`,
      [`${s.nodeId}-s0`],
    );
    const lastTs = sensorState[0]!.state.lastTs;
    const mk = (ts: number, tempC: number): Reading => ({
      sensorId: `${s.nodeId}-s0`,
      assetId: `${s.nodeId}-fridge`,
      nodeId: s.nodeId,
      ts,
      tempC,
      humidityPct: null,
      doorOpen: null,
      batteryPct: null,
      defrost: null,
      seq: null,
    });
    const outbox = await s.engine.processReadings([mk(lastTs - 1000, 3), mk(lastTs, 13)]);
    expect(outbox.deliveries).to.have.length(0);
    expect(await eventIdsOfNode(s.nodeId)).to.deep.equal([eventId]);
  });

  it('replays an event on demand: a new delivery workflow, the same webhook-id and body', async () => {
    const s = await site();
    const path = `/replay-${s.nodeId}`;
    const sub = await subscribe(s.nodeId, path);
    await s.breach();
    expect(await eventually(async () => at(path).length === 1, 15_000)).to.equal(true);
    const [eventId] = await eventIdsOfNode(s.nodeId);
    const other = await issueToken(config.auth.tokenSecret, { sub: uniqueId('erp'), role: 'integrator' });
    expect(
      (await call('POST', `/v1/webhooks/events/${eventId}/replay`, other, { subscriptionId: sub.id })).status,
      "not the integrator's subscription",
    ).to.equal(404);
    expect(
      (await call('POST', `/v1/webhooks/events/${eventId}/replay`, ops, { subscriptionId: 'nope' })).status,
    ).to.equal(400);
    expect((await call('POST', '/v1/webhooks/events/msg_nope/replay', ops, {})).status).to.equal(404);

    const replay = await call<{ deliveries: { id: string; subscriptionId: string; workflowId: string }[] }>(
      'POST',
      `/v1/webhooks/events/${eventId}/replay`,
      ops,
      { subscriptionId: sub.id },
    );
    expect(replay.status).to.equal(202);
    expect(replay.body.deliveries).to.have.length(1);
    expect(await eventually(async () => at(path).length === 2, 15_000)).to.equal(true);
    const [first, again] = at(path);
    expect(again!.headers['webhook-id']).to.equal(first!.headers['webhook-id']);
    expect(again!.body).to.equal(first!.body);
    expect(verify(sub.secret!, again!)).to.equal(true);
    const log = await call<{ deliveries: { kind: string; workflowId: string; status: string }[] }>(
      'GET',
      `/v1/webhooks/events/${eventId}`,
      ops,
    );
    expect(log.body.deliveries.map((d) => d.kind)).to.deep.equal(['initial', 'replay']);
    expect(log.body.deliveries[1]!.workflowId)
      .to.equal(replay.body.deliveries[0]!.workflowId)
      .and.not.equal(log.body.deliveries[0]!.workflowId);
  });

  it('keeps an event within the subscriptions it was made for: others see 404 and cannot have it replayed to them', async () => {
    const s = await site();
    const path = `/scoped-${s.nodeId}`;
    const owner = await issueToken(config.auth.tokenSecret, { sub: uniqueId('erp-owner'), role: 'integrator' });
    const outsider = await issueToken(config.auth.tokenSecret, { sub: uniqueId('erp-outsider'), role: 'integrator' });
    const late = await issueToken(config.auth.tokenSecret, { sub: uniqueId('erp-late'), role: 'integrator' });
    const ownSub = await subscribe(s.nodeId, path, {}, owner);
    const opsSub = await subscribe(s.nodeId, `${path}-ops`);
    // The outsider's subscriptions exclude the event: another node, or another event type at this node.
    const otherNode = await subscribe(uniqueId('whn-other'), `${path}-other-node`, {}, outsider);
    const otherType = await subscribe(s.nodeId, `${path}-other-type`, { eventTypes: ['sensor.offline'] }, outsider);
    await s.breach();
    expect(await eventually(async () => at(path).length === 1 && at(`${path}-ops`).length === 1, 15_000)).to.equal(
      true,
    );
    const [eventId] = await eventIdsOfNode(s.nodeId);
    // Subscribed after the event was published: it was not made for this one either.
    const lateSub = await subscribe(s.nodeId, `${path}-late`, {}, late);

    for (const [who, token] of [
      ['outsider', outsider],
      ['late subscriber', late],
    ] as const) {
      const read = await call<{ error: { code: string } }>('GET', `/v1/webhooks/events/${eventId}`, token);
      expect(read.status, `${who} reads the payload`).to.equal(404);
      expect(read.body.error.code).to.equal('FC_NOT_FOUND');
      expect(
        (await call('POST', `/v1/webhooks/events/${eventId}/replay`, token, {})).status,
        `${who} replays to all its subscriptions`,
      ).to.equal(404);
    }
    for (const sub of [otherNode, otherType]) {
      expect(
        (await call('POST', `/v1/webhooks/events/${eventId}/replay`, outsider, { subscriptionId: sub.id })).status,
        `replay to ${sub.url}`,
      ).to.equal(404);
    }
    expect(
      (await call('POST', `/v1/webhooks/events/${eventId}/replay`, late, { subscriptionId: lateSub.id })).status,
    ).to.equal(404);
    // Not even ops can push the event into a subscription it was not made for.
    expect(
      (await call('POST', `/v1/webhooks/events/${eventId}/replay`, ops, { subscriptionId: otherType.id })).status,
    ).to.equal(404);

    // The owner sees the payload and only its own deliveries, and replays to its own subscription.
    const seen = await call<{
      event: { id: string; payload: { data: { alert: { nodeId: string } } } };
      deliveries: { subscriptionId: string }[];
    }>('GET', `/v1/webhooks/events/${eventId}`, owner);
    expect(seen.status).to.equal(200);
    expect(seen.body.event.payload.data.alert.nodeId).to.equal(s.nodeId);
    expect(seen.body.deliveries.map((d) => d.subscriptionId)).to.deep.equal([ownSub.id]);
    const replayAll = await call<{ deliveries: { subscriptionId: string }[] }>(
      'POST',
      `/v1/webhooks/events/${eventId}/replay`,
      owner,
      {},
    );
    expect(replayAll.status).to.equal(202);
    expect(replayAll.body.deliveries.map((d) => d.subscriptionId)).to.deep.equal([ownSub.id]);
    expect(
      (await call('POST', `/v1/webhooks/events/${eventId}/replay`, owner, { subscriptionId: opsSub.id })).status,
      "ops' subscription is not the owner's",
    ).to.equal(404);
    // Ops replaying to every subscription reaches exactly the two the event was made for.
    const opsReplay = await call<{ deliveries: { subscriptionId: string }[] }>(
      'POST',
      `/v1/webhooks/events/${eventId}/replay`,
      ops,
      {},
    );
    expect(opsReplay.body.deliveries.map((d) => d.subscriptionId).sort()).to.deep.equal([ownSub.id, opsSub.id].sort());
    expect(await eventually(async () => at(path).length === 3 && at(`${path}-ops`).length === 2, 15_000)).to.equal(
      true,
    );
    for (const p of [`${path}-other-node`, `${path}-other-type`, `${path}-late`]) expect(at(p), p).to.have.length(0);

    // Once the owner deletes its subscription, the event is no longer the owner's to see.
    expect((await call('DELETE', `/v1/webhooks/subscriptions/${ownSub.id}`, owner)).status).to.equal(204);
    expect((await call('GET', `/v1/webhooks/events/${eventId}`, owner)).status).to.equal(404);
  });

  it('loses nothing when the process dies between the commit and the workflow start: the outbox sweep starts it', async () => {
    const s = await site();
    const path = `/outbox-${s.nodeId}`;
    await subscribe(s.nodeId, path);
    await s.breach(false); // committed, never dispatched
    const [eventId] = await eventIdsOfNode(s.nodeId);
    const unstarted = () =>
      db.query('SELECT 1 FROM webhook_deliveries WHERE event_id = $1 AND workflow_started_at IS NULL', [eventId]);
    expect(await unstarted()).to.have.length(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(at(path)).to.have.length(0);
    const swept = await s.engine.sweepOutbox(s.dispatcher, Date.now() + 10_000);
    expect(swept.started).to.equal(1);
    expect(await unstarted()).to.have.length(0);
    expect(await eventually(async () => at(path).length === 1, 15_000)).to.equal(true);
    expect((await s.engine.sweepOutbox(s.dispatcher, Date.now() + 10_000)).started, 'nothing left').to.equal(0);
  });
});
