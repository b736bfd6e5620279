// The alert API on the real stack: auth and roles, list filters, one alert with audit trail,
// comments and the cold-chain figures of its window, the lifecycle actions (409 on invalid
// transitions, 400 on bad bodies), time-based escalation, and an asset's cold-chain figures.
// Alerts are produced by the real rule engine over the database (the broker path is covered
// by alerting.test.ts).
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
import { insertReadings, upsertSensorNetwork } from '../../db/telemetry';
import type { EscalationTable } from '../../domain/coldchain/alerts';
import { DEFAULT_PROFILES } from '../../domain/coldchain/bands';
import type { RuleProfile } from '../../domain/coldchain/bands';
import { mktFromReadings } from '../../domain/coldchain/mkt';
import type { Reading } from '../../domain/coldchain/telemetry';
import { AlertEngine } from '../../coldchain/engine';
import { alertActionEventId } from '../../coldchain/ids';
import { createAlertMetrics } from '../../coldchain/metrics';
import { ProfileCache } from '../../coldchain/profiles';
import type { AlertView } from '../../coldchain/views';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';

const MIN = 60_000;
const ESCALATION: EscalationTable = {
  warning: [
    { level: 1, delayMs: 1000, recipients: ['shift-lead'] },
    { level: 2, delayMs: 3000, recipients: ['site-manager'] },
  ],
  critical: [{ level: 1, delayMs: 1000, recipients: ['shift-lead'] }],
};

interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

describe('Alert API (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  let connection: Connection;
  let config: Config;
  let server: Server;
  let url: string;
  let tokens: Record<'ops' | 'picker' | 'integrator', string>;
  let engine: AlertEngine;
  // One site for the whole file: A has a resolved excursion, B a hard-limit breach, C an open excursion.
  const nodeId = uniqueId('apin');
  const assetId = `${nodeId}-fridge`;
  const [A, B, C] = ['A', 'B', 'C'].map((x) => `${nodeId}-s${x}`) as [string, string, string];
  const base = Date.now() - 3 * 3_600_000;
  const ids: Record<string, string> = {};

  const reading = (sensorId: string, minute: number, tempC: number): Reading => ({
    sensorId,
    assetId,
    nodeId,
    ts: base + minute * MIN,
    tempC,
    humidityPct: null,
    doorOpen: null,
    batteryPct: null,
    defrost: null,
    seq: null,
  });
  const series = (sensorId: string, from: number, temps: number[]) =>
    temps.map((t, i) => reading(sensorId, from + i, t));
  const repeat = (n: number, t: number) => Array.from({ length: n }, () => t);
  const readingsA = series(A, 0, [...repeat(5, 3), ...repeat(20, 6), ...repeat(11, 3)]); // opens at 20, resolves at 35

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
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
      TEMPORAL_TASK_QUEUE: uniqueId('tq-alert-api'),
    });
    connection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const app = buildApp({
      config,
      logger: testLogger,
      health: { timescaleVersion: timescaleProbe(db) },
      db,
      temporal: client,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    tokens = {
      ops: await issueToken(config.auth.tokenSecret, { sub: 'ops-ana', role: 'ops' }),
      picker: await issueToken(config.auth.tokenSecret, { sub: 'picker-1', role: 'picker', nodeId }),
      integrator: await issueToken(config.auth.tokenSecret, { sub: 'erp', role: 'integrator' }),
    };

    const profile: RuleProfile = {
      ...DEFAULT_PROFILES.chilled,
      offlineTimeoutSec: 7 * 86_400,
      id: `${nodeId}-profile`,
      label: 'test',
    };
    await upsertProfile(db, profile);
    await upsertSensorNetwork(db, {
      nodes: [
        { id: nodeId, kind: 'front', name: 'api test node', lat: 31.2, lng: 121.5, radiusKm: 3, zones: ['chilled'] },
      ],
      assets: [{ id: assetId, nodeId, kind: 'fridge', band: profile.id }],
      sensors: [A, B, C].map((id) => ({ id, assetId, nodeId })),
    });
    engine = new AlertEngine(
      { db, logger: testLogger, profiles: new ProfileCache(db, testLogger), metrics: createAlertMetrics() },
      { escalation: ESCALATION, nodeId },
    );
    const readings = [
      ...readingsA,
      reading(B, 10, 3),
      reading(B, 11, 13),
      ...series(C, 0, [...repeat(5, 3), ...repeat(21, 6)]),
    ];
    await db.transaction((c) => insertReadings(c, readingsA)); // the ingester's part, for the figures
    await engine.processReadings(readings);
    for (const s of [A, B, C])
      ids[s] = (await db.query<{ id: string }>('SELECT id FROM alerts WHERE sensor_id = $1', [s]))[0]!.id;
  });
  after(async () => {
    server?.close();
    await connection?.close();
    await db?.close();
  });

  it('refuses callers without a token (401), pickers (403), and integrators on writes (403)', async () => {
    expect((await call('GET', '/v1/alerts')).status).to.equal(401);
    expect((await call('GET', '/v1/alerts', 'not-a-token')).status).to.equal(401);
    expect((await call('GET', '/v1/alerts', tokens.picker)).status).to.equal(403);
    expect((await call('POST', `/v1/alerts/${ids[C]}/acknowledge`, tokens.picker, {})).status).to.equal(403);
    expect((await call('GET', `/v1/alerts?node=${nodeId}`, tokens.integrator)).status).to.equal(200);
    const write = await call<{ error: { code: string } }>(
      'POST',
      `/v1/alerts/${ids[C]}/acknowledge`,
      tokens.integrator,
      {},
    );
    expect(write.status).to.equal(403);
    expect(write.body.error.code).to.equal('FC_FORBIDDEN');
  });

  it('lists alerts with filters on status, severity, node, sensor and time', async () => {
    const list = async (q: string) => {
      const r = await call<{ alerts: AlertView[] }>('GET', `/v1/alerts?${q}`, tokens.ops);
      expect(r.status, q).to.equal(200);
      return r.body.alerts.map((a) => a.sensorId).sort();
    };
    expect(await list(`node=${nodeId}`)).to.deep.equal([A, B, C].sort());
    expect(await list(`node=${nodeId}&severity=critical`)).to.deep.equal([B]);
    expect(await list(`node=${nodeId}&status=resolved`)).to.deep.equal([A]);
    expect(await list(`node=${nodeId}&status=open,acknowledged&kind=excursion`)).to.deep.equal([C]);
    expect(await list(`sensor=${B}`)).to.deep.equal([B]);
    expect(await list(`node=${nodeId}&from=${new Date(base + 15 * MIN).toISOString()}`)).to.deep.equal([A, C].sort());
    expect(await list(`node=${nodeId}&to=${new Date(base + 15 * MIN).toISOString()}`)).to.deep.equal([B]);
    expect(await list(`node=${nodeId}&limit=1&offset=5`)).to.deep.equal([]);
    const bad = await call<{ error: { code: string; message: string } }>('GET', '/v1/alerts?status=bogus', tokens.ops);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('FC_VALIDATION');
    expect(bad.body.error.message).to.match(/^status\.0: /);
    expect((await call('GET', '/v1/alerts?colour=red', tokens.ops)).status, 'unknown parameter').to.equal(400);
  });

  it('shows one alert with audit trail, comments, impacts and MKT / time out of band over its window', async () => {
    const r = await call<{
      alert: AlertView;
      audit: { action: string; actor: string }[];
      comments: unknown[];
      impacts: { lots: unknown[]; orders: unknown[]; transfers: unknown[] };
      coldChain: Record<string, unknown>;
    }>('GET', `/v1/alerts/${ids[A]}`, tokens.integrator);
    expect(r.status).to.equal(200);
    expect(r.body.alert).to.include({
      id: ids[A],
      status: 'resolved',
      severity: 'warning',
      kind: 'excursion',
      sensorId: A,
      resolvedBy: 'system',
    });
    expect(r.body.alert.window).to.deep.equal({
      start: new Date(base + 5 * MIN).toISOString(),
      end: new Date(base + 35 * MIN).toISOString(),
    });
    expect(r.body.audit.map((a) => `${a.action}:${a.actor}`)).to.deep.equal(['create:system', 'auto_resolve:system']);
    expect(r.body.impacts).to.deep.equal({ lots: [], orders: [], transfers: [] });
    const windowReadings = readingsA.filter((x) => x.ts >= base + 5 * MIN && x.ts <= base + 35 * MIN);
    const cc = r.body.coldChain as {
      timeOutOfBand: Record<string, number>;
      mktC: number;
      readings: number;
      maxC: number;
    };
    expect(cc.timeOutOfBand).to.deep.equal({ belowMs: 0, inBandMs: 10 * MIN, aboveMs: 20 * MIN, totalMs: 30 * MIN });
    expect(cc.readings).to.equal(windowReadings.length);
    expect(cc.maxC).to.equal(6);
    expect(cc.mktC).to.be.closeTo(mktFromReadings(windowReadings, { endTs: base + 35 * MIN })!, 1e-9);
    expect(cc.mktC, 'MKT weighs the warm part more than the mean (5 °C)').to.be.greaterThan(5);
    expect((await call('GET', '/v1/alerts/00000000-0000-0000-0000-000000000000', tokens.ops)).status).to.equal(404);
    expect((await call('GET', '/v1/alerts/not-a-uuid', tokens.ops)).status).to.equal(404);
  });

  it('acknowledges, comments, assigns and resolves, with 409 on invalid transitions and 400 on bad bodies', async () => {
    const b = ids[B]!;
    const early = await call<{ error: { code: string; message: string } }>(
      'POST',
      `/v1/alerts/${b}/resolve`,
      tokens.ops,
      {},
    );
    expect(early.status).to.equal(409);
    expect(early.body.error).to.deep.include({ code: 'FC_INVALID_TRANSITION' });
    expect(early.body.error.message).to.match(/acknowledge the alert before resolving it/);

    const ack = await call<{ alert: AlertView }>('POST', `/v1/alerts/${b}/acknowledge`, tokens.ops, {
      comment: 'on my way',
    });
    expect(ack.status).to.equal(200);
    expect(ack.body.alert).to.include({ status: 'acknowledged', acknowledgedBy: 'ops-ana' });
    expect((await call('POST', `/v1/alerts/${b}/acknowledge`, tokens.ops, {})).status, 'twice').to.equal(409);

    const empty = await call<{ error: { message: string } }>('POST', `/v1/alerts/${b}/comments`, tokens.ops, {
      text: '   ',
    });
    expect(empty.status).to.equal(400);
    expect(empty.body.error.message).to.equal('text: must not be empty');
    const extra = await call<{ error: { message: string } }>('POST', `/v1/alerts/${b}/comments`, tokens.ops, {
      text: 'x',
      severity: 'low',
    });
    expect(extra.status).to.equal(400);
    expect(extra.body.error.message).to.match(/severity/);
    expect((await call('POST', `/v1/alerts/${b}/comments`, tokens.ops, '{"text":')).status, 'malformed JSON').to.equal(
      400,
    );
    expect(
      (await call('POST', `/v1/alerts/${b}/comments`, tokens.ops, { text: 'door seal torn, replaced' })).status,
    ).to.equal(201);

    expect(
      (await call<{ alert: AlertView }>('POST', `/v1/alerts/${b}/assign`, tokens.ops, { assignee: 'tech-li' })).body
        .alert.assignee,
    ).to.equal('tech-li');
    expect(
      (await call('POST', `/v1/alerts/${b}/assign`, tokens.ops, {})).status,
      'assignee is required (null unassigns)',
    ).to.equal(400);
    const resolved = await call<{ alert: AlertView }>('POST', `/v1/alerts/${b}/resolve`, tokens.ops, {});
    expect(resolved.status).to.equal(200);
    expect(resolved.body.alert).to.include({ status: 'resolved', resolvedBy: 'ops-ana', assignee: 'tech-li' });
    expect(
      (await call('POST', `/v1/alerts/${b}/assign`, tokens.ops, { assignee: null })).status,
      'resolved alerts keep their assignee',
    ).to.equal(409);
    expect(
      (await call('POST', `/v1/alerts/00000000-0000-0000-0000-000000000000/acknowledge`, tokens.ops, {})).status,
    ).to.equal(404);

    const detail = await call<{
      audit: { action: string; actor: string; to: string }[];
      comments: { author: string; text: string }[];
    }>('GET', `/v1/alerts/${b}`, tokens.ops);
    expect(detail.body.audit.map((a) => `${a.action}:${a.actor}:${a.to}`)).to.deep.equal([
      'create:system:open',
      'acknowledge:ops-ana:acknowledged',
      'comment:ops-ana:acknowledged',
      'comment:ops-ana:acknowledged',
      'assign:ops-ana:acknowledged',
      'resolve:ops-ana:resolved',
    ]);
    expect(detail.body.comments.map((m) => `${m.author}: ${m.text}`)).to.deep.equal([
      'ops-ana: on my way',
      'ops-ana: door seal torn, replaced',
    ]);
    const events = await db.query<{ id: string; type: string }>(
      'SELECT id, type FROM webhook_events WHERE alert_id = $1 ORDER BY created_at, type',
      [b],
    );
    expect(events.map((e) => e.type)).to.deep.equal(['alert.opened', 'alert.acknowledged', 'alert.resolved']);
    expect(events.slice(1).map((e) => e.id)).to.deep.equal([
      alertActionEventId(b, 'acknowledged'),
      alertActionEventId(b, 'resolved'),
    ]);
  });

  it('escalates unacknowledged alerts by severity and time, each level once, and stops once acknowledged', async () => {
    const c = ids[C]!;
    const opened = (
      await db.query<{ opened_at: Date }>('SELECT opened_at FROM alerts WHERE id = $1', [c])
    )[0]!.opened_at.getTime();
    const level = async () =>
      (await db.query<{ escalation_level: number }>('SELECT escalation_level FROM alerts WHERE id = $1', [c]))[0]!
        .escalation_level;
    const escalations = async () =>
      db.query<{ body: string }>(
        `SELECT body FROM webhook_events WHERE alert_id = $1 AND type = 'alert.escalated' ORDER BY created_at`,
        [c],
      );
    await engine.sweepEscalations(opened + 500);
    expect(await level()).to.equal(0);
    await engine.sweepEscalations(opened + 1500);
    await engine.sweepEscalations(opened + 1600);
    expect(await level()).to.equal(1);
    await engine.sweepEscalations(opened + 3500);
    expect(await level()).to.equal(2);
    const data = (await escalations()).map(
      (e) => (JSON.parse(e.body) as { data: { reason: string; level: number; recipients: string[] } }).data,
    );
    expect(data.map((d) => [d.reason, d.level, d.recipients.join()])).to.deep.equal([
      ['unacknowledged', 1, 'shift-lead'],
      ['unacknowledged', 2, 'site-manager'],
    ]);

    const early = await call<{ error: { message: string } }>('POST', `/v1/alerts/${c}/resolve`, tokens.ops, {});
    expect(early.status).to.equal(409);
    expect((await call('POST', `/v1/alerts/${c}/acknowledge`, tokens.ops, {})).status).to.equal(200);
    expect(
      (
        await db.query<{ next_escalation_at: Date | null }>('SELECT next_escalation_at FROM alerts WHERE id = $1', [c])
      )[0]!.next_escalation_at,
    ).to.equal(null);
  });

  it("reports an asset's MKT and time out of band over a window", async () => {
    const q = `from=${new Date(base).toISOString()}&to=${new Date(base + 35 * MIN).toISOString()}`;
    const r = await call<{
      assetId: string;
      band: unknown;
      sensors: { sensorId: string; readings: number; timeOutOfBand: Record<string, number> }[];
      worst: Record<string, number>;
    }>('GET', `/v1/assets/${assetId}/cold-chain?${q}`, tokens.integrator);
    expect(r.status).to.equal(200);
    expect(r.body.band).to.deep.equal({ lowC: 0, highC: 4 });
    const a = r.body.sensors.find((s) => s.sensorId === A)!;
    expect(a.timeOutOfBand).to.deep.equal({ belowMs: 0, inBandMs: 15 * MIN, aboveMs: 20 * MIN, totalMs: 35 * MIN });
    expect(r.body.sensors.find((s) => s.sensorId === B)!.readings, 'nothing stored for B').to.equal(0);
    expect(r.body.worst.aboveMs).to.equal(20 * MIN);
    expect((await call('GET', `/v1/assets/${nodeId}-nope/cold-chain`, tokens.ops)).status).to.equal(404);
    const reversed = await call<{ error: { message: string } }>(
      'GET',
      `/v1/assets/${assetId}/cold-chain?from=${new Date(base + MIN).toISOString()}&to=${new Date(base).toISOString()}`,
      tokens.ops,
    );
    expect(reversed.status).to.equal(400);
    expect(reversed.body.error.message).to.equal('to: must be after from');
    expect((await call('GET', `/v1/assets/${assetId}/cold-chain`, tokens.picker)).status).to.equal(403);
  });
});
