// Cold-chain alerting end to end through the real broker: each rule kind, restart of the
// evaluator mid-excursion, several evaluators sharing the load, and the quarantine loop
// (lots, impacts, order signals). Every test owns its node, sensors, rule profile and MQTT
// share group, and its evaluator is scoped to its node, so tests never see each other.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Client, Connection, defaultPayloadConverter } from '@temporalio/client';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../../config';
import type { Config } from '../../config';
import { upsertProfile } from '../../db/alerts';
import type { Db } from '../../db/pool';
import { insertReadings, upsertSensorNetwork } from '../../db/telemetry';
import { createSubscription } from '../../db/webhooks';
import type { EscalationTable } from '../../domain/coldchain/alerts';
import { DEFAULT_PROFILES } from '../../domain/coldchain/bands';
import type { RuleProfile } from '../../domain/coldchain/bands';
import type { Reading } from '../../domain/coldchain/telemetry';
import { initialRuleState } from '../../domain/coldchain/ruleState';
import { startAlertEvaluator } from '../../coldchain/evaluator';
import { checkHealth, progressHealth } from '../../platform/health';
import type { AlertEvaluatorHandle, AlertEvaluatorOptions } from '../../coldchain/evaluator';
import { coldChainQuarantineSignal, orderWorkflowId } from '../../workflows/order.contract';
import { startWorker } from '../../workflows/worker';
import type { WorkerHandle } from '../../workflows/worker';
import { requireDb, requireMqtt, requireTemporal, suiteTopics, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

const MIN = 60_000;
/** No time-based escalation: these tests look at the rules, not at paging. */
const NO_ESCALATION: EscalationTable = { warning: [], critical: [] };
/** Long enough that readings hours in the past never count as an outage. */
const WEEK_SEC = 7 * 86_400;

interface Site {
  nodeId: string;
  assetId: string;
  sensorIds: string[];
  profile: RuleProfile;
}

interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** Independent Standard Webhooks check: HMAC-SHA256 over "id.timestamp.body" with the decoded secret. */
function signatureValid(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest('base64');
  const fresh = Math.abs(Date.now() / 1000 - Number(r.headers['webhook-timestamp'])) < 300;
  return fresh && (r.headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`);
}

describe('Cold-chain alerting through the broker (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  let pub: MqttClient;
  let connection: Connection;
  let client: Client;
  let worker: WorkerHandle;
  let config: Config;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const running: AlertEvaluatorHandle[] = [];

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    pub = await requireMqtt('device');
    config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      TEMPORAL_TASK_QUEUE: uniqueId('tq-alerts'),
    });
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    worker = await startWorker(config, { db, logger: testLogger });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body, at: Date.now() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });
  after(async () => {
    await pub?.endAsync();
    await worker?.stop();
    await connection?.close();
    receiver?.close();
    await db?.close();
  });

  /** A node with one fridge, `n` sensors and a rule profile of its own (chilled + overrides). */
  async function site(n = 1, overrides: Partial<RuleProfile> = {}): Promise<Site> {
    const nodeId = uniqueId('an');
    const assetId = `${nodeId}-fridge`;
    const profile: RuleProfile = {
      ...DEFAULT_PROFILES.chilled,
      offlineTimeoutSec: WEEK_SEC,
      ...overrides,
      id: `${nodeId}-profile`,
      label: 'test',
    };
    await upsertProfile(db, profile);
    const sensorIds = Array.from({ length: n }, (_, i) => `${nodeId}-s${i}`);
    await upsertSensorNetwork(db, {
      nodes: [
        { id: nodeId, kind: 'front', name: 'alert test node', lat: 31.2, lng: 121.5, radiusKm: 3, zones: ['chilled'] },
      ],
      assets: [{ id: assetId, nodeId, kind: 'fridge', band: profile.id }],
      sensors: sensorIds.map((id) => ({ id, assetId, nodeId })),
    });
    return { nodeId, assetId, sensorIds, profile };
  }

  async function evaluator(s: Site, opts: AlertEvaluatorOptions = {}): Promise<AlertEvaluatorHandle> {
    const ev = await startAlertEvaluator(
      config,
      { db, logger: testLogger, temporal: client },
      {
        shareGroup: uniqueId('ga').replace(/[^A-Za-z0-9_-]/g, ''),
        clientIdPrefix: uniqueId('ev'),
        sessionExpirySeconds: 60,
        sessions: 1,
        sweepIntervalMs: 0,
        escalation: NO_ESCALATION,
        nodeId: s.nodeId,
        ...opts,
      },
    );
    running.push(ev);
    return ev;
  }

  type Extra = { door_open?: boolean; defrost?: boolean };
  /** Publish one reading per minute of `temps` (°C), from `base` + `fromMin` minutes, in order. */
  async function publishMinutes(
    s: Site,
    base: number,
    fromMin: number,
    temps: number[],
    extra: (i: number) => Extra = () => ({}),
    sensor = s.sensorIds[0]!,
  ): Promise<void> {
    for (let i = 0; i < temps.length; i++) {
      const body = { v: 1, ts: base + (fromMin + i) * MIN, temp_c: temps[i], ...extra(i) };
      await pub.publishAsync(suiteTopics.readingTopic(s.nodeId, s.assetId, sensor), JSON.stringify(body), { qos: 1 });
    }
  }
  const repeat = (n: number, t: number) => Array.from({ length: n }, () => t);

  /** Wait until the evaluator has processed the sensor up to `ts`. */
  async function processedUpTo(sensorId: string, ts: number): Promise<void> {
    const ok = await eventually(
      async () => {
        const rows = await db.query<{ last_ts: Date | null }>(
          'SELECT last_ts FROM alert_sensor_state WHERE sensor_id = $1',
          [sensorId],
        );
        return (rows[0]?.last_ts?.getTime() ?? 0) >= ts;
      },
      20_000,
      50,
    );
    expect(ok, `evaluator reached ${new Date(ts).toISOString()} for ${sensorId}`).to.equal(true);
  }

  type AlertRow = {
    id: string;
    kind: string;
    status: string;
    severity: string;
    opened_at: Date;
    severity_since: Date;
    resolved_at: Date | null;
    resolved_by: string | null;
    window_start: Date;
    window_end: Date | null;
  };
  const alertsOf = (sensorId: string, kind?: string) =>
    db.query<AlertRow>(
      'SELECT * FROM alerts WHERE sensor_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY opened_at',
      [sensorId, kind ?? null],
    );
  const eventsOf = (alertId: string) =>
    db.query<{ id: string; type: string; occurred_at: Date }>(
      'SELECT id, type, occurred_at FROM webhook_events WHERE alert_id = $1 ORDER BY occurred_at, type',
      [alertId],
    );
  const auditOf = (alertId: string) =>
    db.query<{ action: string; actor: string; to_status: string }>(
      'SELECT action, actor, to_status FROM alert_audit WHERE alert_id = $1 ORDER BY id',
      [alertId],
    );

  it('threshold + duration opens a warning, a second severity escalates it, back in band resolves it; signed webhooks follow', async () => {
    const s = await site();
    const secret = `whsec_${Buffer.from(uniqueId('secret').padEnd(32, 'x')).toString('base64')}`;
    await createSubscription(db, {
      url: receiverUrl,
      eventTypes: ['alert.opened', 'alert.escalated', 'alert.resolved'],
      nodeIds: [s.nodeId],
      secret,
      description: 'test',
      createdBy: 'test',
    });
    await evaluator(s);
    const base = Date.now() - 3 * 3_600_000;
    // chilled: above 5 °C for 15 min → warning; above 8 °C for 30 min → critical; within 4 °C for
    // 10 min → resolved. The cool-down ramps at 1 °C/min, inside the rate-of-change limit.
    const temps = [...repeat(5, 3), ...repeat(20, 6), ...repeat(31, 9), 8, 7, 6, 5, 4, ...repeat(12, 3.5)];
    await publishMinutes(s, base, 0, temps);
    await processedUpTo(s.sensorIds[0]!, base + (temps.length - 1) * MIN);

    const alerts = await alertsOf(s.sensorIds[0]!);
    expect(alerts).to.have.length(1);
    const a = alerts[0]!;
    expect(a.kind).to.equal('excursion');
    expect(a.window_start.getTime(), 'episode starts at the first reading above 5 °C').to.equal(base + 5 * MIN);
    expect(a.opened_at.getTime(), 'opens when 15 min above 5 °C are complete').to.equal(base + 20 * MIN);
    expect(a.severity).to.equal('critical');
    expect(a.severity_since.getTime(), 'critical after 30 min above 8 °C (from min 25)').to.equal(base + 55 * MIN);
    expect(a.status).to.equal('resolved');
    expect(a.resolved_by).to.equal('system');
    expect(a.resolved_at!.getTime(), '10 min within 4 °C from minute 60').to.equal(base + 70 * MIN);
    expect((await auditOf(a.id)).map((x) => x.action)).to.deep.equal(['create', 'escalate_severity', 'auto_resolve']);
    expect((await eventsOf(a.id)).map((e) => e.type)).to.deep.equal([
      'alert.opened',
      'alert.escalated',
      'alert.resolved',
    ]);

    const mine = () =>
      received.filter((r) => (JSON.parse(r.body) as { data: { alert: { id: string } } }).data.alert.id === a.id);
    expect(await eventually(async () => mine().length >= 3, 20_000)).to.equal(true);
    const got = mine();
    expect(got.map((r) => (JSON.parse(r.body) as { type: string }).type).sort()).to.deep.equal([
      'alert.escalated',
      'alert.opened',
      'alert.resolved',
    ]);
    for (const r of got) expect(signatureValid(secret, r), `signature of ${r.headers['webhook-id']}`).to.equal(true);
    expect(
      signatureValid(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got[0]!),
      'another secret does not verify',
    ).to.equal(false);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).to.deep.equal(
      new Set((await eventsOf(a.id)).map((e) => e.id)),
    );
  });

  it('hysteresis: readings swinging around the trigger keep one alert open until they hold inside the clear threshold', async () => {
    const s = await site();
    await evaluator(s);
    const base = Date.now() - 3 * 3_600_000;
    const swing = Array.from({ length: 36 }, (_, i) => (i % 2 ? 5.4 : 4.6)); // below 5 half the time, never within 4
    const temps = [...repeat(5, 3), ...repeat(20, 6), ...swing, ...repeat(5, 3.9), 4.5, ...repeat(12, 3.5)];
    await publishMinutes(s, base, 0, temps);
    await processedUpTo(s.sensorIds[0]!, base + (temps.length - 1) * MIN);
    const alerts = await alertsOf(s.sensorIds[0]!);
    expect(alerts, 'one alert, no flapping').to.have.length(1);
    expect(alerts[0]!.opened_at.getTime()).to.equal(base + 20 * MIN);
    // 5 min within 4 °C (min 61-65) is not enough, and 4.5 °C at min 66 restarts the hold; 10 min from min 67.
    expect(alerts[0]!.resolved_at!.getTime()).to.equal(base + 77 * MIN);
  });

  it('door-open suppression defers the count: the same temperatures with the door open raise no alert', async () => {
    const s = await site(2);
    await evaluator(s);
    const base = Date.now() - 3 * 3_600_000;
    // Door open at minutes 5-10 (7 °C), closed at 11; the 5-min grace covers 11-15; 6 °C until 20.
    const temps = [...repeat(5, 3), ...repeat(6, 7), ...repeat(10, 6), ...repeat(5, 3)];
    const door = (i: number): { door_open?: boolean } =>
      i >= 5 && i <= 10 ? { door_open: true } : i === 11 ? { door_open: false } : {};
    await publishMinutes(s, base, 0, temps, door, s.sensorIds[0]);
    await publishMinutes(s, base, 0, temps, () => ({}), s.sensorIds[1]);
    for (const id of s.sensorIds) await processedUpTo(id, base + (temps.length - 1) * MIN);
    expect(await alertsOf(s.sensorIds[0]!), 'door sensor: counting began at 16, back in band at 21').to.have.length(0);
    const control = await alertsOf(s.sensorIds[1]!);
    expect(control, 'same temperatures without the door flag').to.have.length(1);
    expect(control[0]!.opened_at.getTime()).to.equal(base + 20 * MIN);
  });

  it('rate of change: a fast drop opens a rate-of-change alert at the end of its window', async () => {
    const s = await site();
    await evaluator(s);
    const base = Date.now() - 3 * 3_600_000;
    const temps = [...repeat(11, 2), 0.8, -0.4, -1.6, -2.8, -4, -4, -4]; // −1.2 °C/min over minutes 10-15
    await publishMinutes(s, base, 0, temps);
    await processedUpTo(s.sensorIds[0]!, base + (temps.length - 1) * MIN);
    const alerts = await alertsOf(s.sensorIds[0]!);
    expect(alerts.map((a) => a.kind)).to.deep.equal(['rate_of_change']);
    expect(alerts[0]!.opened_at.getTime()).to.equal(base + 15 * MIN);
    expect(alerts[0]!.severity).to.equal('warning');
    expect((await eventsOf(alerts[0]!.id)).map((e) => e.type)).to.deep.equal(['alert.opened']);
  });

  it('offline detection: silence past the timeout opens an offline alert (timed from the last reading); a reading closes it', async () => {
    const s = await site(1, { offlineTimeoutSec: 2 });
    const ev = await evaluator(s, { sweepIntervalMs: 200 });
    const t1 = Date.now();
    await pub.publishAsync(
      suiteTopics.readingTopic(s.nodeId, s.assetId, s.sensorIds[0]!),
      JSON.stringify({ v: 1, ts: t1, temp_c: 3 }),
      { qos: 1 },
    );
    expect(await eventually(async () => (await alertsOf(s.sensorIds[0]!)).length === 1, 10_000)).to.equal(true);
    const [offline] = await alertsOf(s.sensorIds[0]!);
    expect(offline!.kind).to.equal('offline');
    expect(offline!.opened_at.getTime(), 'last reading + timeout, whenever the sweep ran').to.equal(t1 + 2000);
    expect(offline!.status).to.equal('open');
    const t2 = Date.now();
    await pub.publishAsync(
      suiteTopics.readingTopic(s.nodeId, s.assetId, s.sensorIds[0]!),
      JSON.stringify({ v: 1, ts: t2, temp_c: 3 }),
      { qos: 1 },
    );
    expect(await eventually(async () => (await alertsOf(s.sensorIds[0]!))[0]!.status === 'resolved', 10_000)).to.equal(
      true,
    );
    expect((await alertsOf(s.sensorIds[0]!))[0]!.resolved_at!.getTime()).to.equal(t2);
    expect((await eventsOf(offline!.id)).map((e) => e.type)).to.deep.equal(['sensor.offline', 'sensor.online']);
    await ev.sweepNow();
    expect(await alertsOf(s.sensorIds[0]!), 'reporting again: no new outage yet').to.have.length(1);
  });

  it('reports its progress for /healthz: the last committed batch, nothing pending, sweeps going through', async () => {
    const s = await site();
    const ev = await evaluator(s, { sweepIntervalMs: 200 });
    expect(ev.progress.snapshot()).to.include({ pending: 0, sinceProgressMs: null, retryAttempts: 0 });
    const ts = Date.now() - MIN;
    await pub.publishAsync(
      suiteTopics.readingTopic(s.nodeId, s.assetId, s.sensorIds[0]!),
      JSON.stringify({ v: 1, ts, temp_c: 3 }),
      { qos: 1 },
    );
    await processedUpTo(s.sensorIds[0]!, ts);
    expect(await eventually(async () => ev.progress.snapshot().sinceProgressMs !== null, 5_000)).to.equal(true);
    await ev.sweepNow();
    const health = progressHealth(ev.progress);
    expect(health.ok, health.detail).to.equal(true);
    expect(health.detail).to.match(/^progressing: 0 pending/);
    const checks = await checkHealth({ progress: [ev.progress] });
    expect(checks.checks.alerts?.ok).to.equal(true);
  });

  describe('sensors that never reported', () => {
    const registeredAt = async (sensorId: string) =>
      (
        await db.query<{ registered_at: Date }>('SELECT registered_at FROM sensors WHERE id = $1', [sensorId])
      )[0]!.registered_at.getTime();

    it('go offline one timeout after the evaluator started (registered before it), without any reading', async () => {
      const s = await site(2, { offlineTimeoutSec: 2 });
      const before = Date.now();
      await evaluator(s, { sweepIntervalMs: 200 });
      const after = Date.now();
      for (const id of s.sensorIds) {
        expect(
          await eventually(async () => (await alertsOf(id, 'offline')).length === 1, 10_000),
          `offline alert for ${id}`,
        ).to.equal(true);
        const [alert] = await alertsOf(id, 'offline');
        expect(alert!.status).to.equal('open');
        // Watched from the evaluator's start (later than the registration): not back-dated to the registration.
        expect(alert!.opened_at.getTime()).to.be.within(Math.max(before, await registeredAt(id)) + 2000, after + 2000);
        expect((await eventsOf(alert!.id)).map((e) => e.type)).to.deep.equal(['sensor.offline']);
      }
    });

    it('go offline one timeout after their registration when registered while the evaluator runs', async () => {
      const s = await site(1, { offlineTimeoutSec: 2 });
      const ev = await evaluator(s, { sweepIntervalMs: 200 });
      await ev.sweepNow();
      const late = `${s.nodeId}-late`;
      await upsertSensorNetwork(db, {
        nodes: [],
        assets: [],
        sensors: [{ id: late, assetId: s.assetId, nodeId: s.nodeId }],
      });
      expect(
        await eventually(async () => (await alertsOf(late, 'offline')).length === 1, 10_000),
        'offline alert for the late sensor',
      ).to.equal(true);
      const [alert] = await alertsOf(late, 'offline');
      expect(alert!.opened_at.getTime()).to.equal((await registeredAt(late)) + 2000);
    });

    it('a state row left unwatched (no offline deadline) is watched again', async () => {
      const s = await site(1, { offlineTimeoutSec: 2 });
      const id = s.sensorIds[0]!;
      // What earlier versions stored for a silent sensor: a state with a watch start but no deadline.
      const since = Date.now() - 60_000;
      const state = { ...initialRuleState(id, since) };
      await db.query('INSERT INTO alert_sensor_state (sensor_id, state) VALUES ($1, $2)', [id, JSON.stringify(state)]);
      await evaluator(s, { sweepIntervalMs: 200 });
      expect(await eventually(async () => (await alertsOf(id, 'offline')).length === 1, 10_000)).to.equal(true);
      const [alert] = await alertsOf(id, 'offline');
      expect(alert!.opened_at.getTime(), 'from the watch start it already had').to.equal(since + 2000);
    });

    it('an inactive sensor is not watched', async () => {
      const s = await site(1, { offlineTimeoutSec: 1 });
      await db.query('UPDATE sensors SET active = false WHERE id = $1', [s.sensorIds[0]]);
      const ev = await evaluator(s);
      await ev.sweepNow();
      await new Promise((r) => setTimeout(r, 1_200));
      await ev.sweepNow();
      expect(await alertsOf(s.sensorIds[0]!)).to.have.length(0);
    });
  });

  it('restart mid-excursion: a new evaluator resumes the persisted state; the alert opens at the right time, once', async () => {
    const s = await site();
    const sensor = s.sensorIds[0]!;
    const prefix = uniqueId('evr');
    const group = uniqueId('gr').replace(/[^A-Za-z0-9_-]/g, '');
    const first = await evaluator(s, { clientIdPrefix: prefix, shareGroup: group });
    const base = Date.now() - 3 * 3_600_000;
    await publishMinutes(s, base, 0, [...repeat(5, 3), ...repeat(10, 6)]); // pending since minute 5
    await processedUpTo(sensor, base + 14 * MIN);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const state = (
      await db.query<{ state: { high: { phase: string; pendingSince: number } } }>(
        'SELECT state FROM alert_sensor_state WHERE sensor_id = $1',
        [sensor],
      )
    )[0]!.state;
    expect(state.high).to.include({ phase: 'pending', pendingSince: base + 5 * MIN });

    // While no evaluator runs, the broker queues these for the persistent sessions.
    await publishMinutes(s, base, 15, repeat(3, 6));
    const second = await evaluator(s, { clientIdPrefix: prefix, shareGroup: group });
    await publishMinutes(s, base, 18, repeat(8, 6));
    await publishMinutes(s, base, 19, repeat(3, 6)); // redelivered duplicates: no effect
    await processedUpTo(sensor, base + 25 * MIN);
    const results = Object.fromEntries(
      (await second.metrics.readings.get()).values.map((v) => [v.labels.result, v.value]),
    );
    expect(results.evaluated, 'the 3 queued while stopped, then 8').to.equal(11);
    const alerts = await alertsOf(sensor);
    expect(alerts, 'exactly one alert').to.have.length(1);
    expect(alerts[0]!.opened_at.getTime(), '15 min after minute 5, not after the restart').to.equal(base + 20 * MIN);
    expect((await eventsOf(alerts[0]!.id)).map((e) => e.type)).to.deep.equal(['alert.opened']);
  });

  it('two evaluators sharing the load never open an alert twice', async () => {
    const s = await site(6);
    const group = uniqueId('gs').replace(/[^A-Za-z0-9_-]/g, '');
    await evaluator(s, { shareGroup: group, sessions: 2 });
    await evaluator(s, { shareGroup: group, sessions: 2 });
    const base = Date.now() - 3 * 3_600_000;
    const temps = [...repeat(3, 3), ...repeat(25, 6)];
    await Promise.all(s.sensorIds.map((id) => publishMinutes(s, base, 0, temps, () => ({}), id)));
    for (const id of s.sensorIds) await processedUpTo(id, base + (temps.length - 1) * MIN);
    const handled = running.map((e) => e.metrics.messages.get());
    const counts = (await Promise.all(handled)).map((m) => m.values[0]?.value ?? 0);
    expect(
      counts.every((c) => c > 0),
      `both evaluators took a share: ${counts.join(', ')}`,
    ).to.equal(true);
    for (const id of s.sensorIds) {
      const alerts = await alertsOf(id);
      expect(alerts, `sensor ${id}`).to.have.length(1);
      expect((await eventsOf(alerts[0]!.id)).filter((e) => e.type === 'alert.opened')).to.have.length(1);
    }
  });

  describe('quarantine', () => {
    const today = () => new Date().toISOString().slice(0, 10);
    const inDays = (n: number) => new Date(Date.parse(today()) + n * 86_400_000).toISOString().slice(0, 10);

    async function stock(
      s: Site,
      lots: { id: string; assetId: string | null; expiresInDays?: number }[],
      skuOver: { q10?: number; min?: number } = {},
    ) {
      const sku = `${s.nodeId}-MILK`;
      await db.query(
        `INSERT INTO skus (sku, name, category, zone, min_shelf_life_days, perishable, unit_price_cents, band, q10, ref_temp_c, shelf_life_days_at_ref)
         VALUES ($1, 'milk', 'dairy', 'chilled', $2, true, 800, 'chilled', $3, 4, 10)`,
        [sku, skuOver.min ?? 1, skuOver.q10 ?? 2.5],
      );
      for (const l of lots) {
        await db.query(
          `INSERT INTO lots (lot_id, node_id, sku, expires_on, asset_id, on_hand, reserved) VALUES ($1, $2, $3, $4, $5, 10, 2)`,
          [l.id, s.nodeId, sku, inDays(l.expiresInDays ?? 10), l.assetId],
        );
      }
      return sku;
    }
    async function reserve(s: Site, orderId: string, lotId: string, sku: string, status = 'held') {
      await db.query(
        `INSERT INTO stock_reservations (order_id, allocation_key, lot_id, node_id, sku, qty, status, expires_at) VALUES ($1, $1 || ':alloc:1', $2, $3, $4, 1, $5, now() + interval '1 hour')`,
        [orderId, lotId, s.nodeId, sku, status],
      );
    }
    const lot = async (id: string) =>
      (
        await db.query<{ status: string; status_reason: string | null }>(
          'SELECT status, status_reason FROM lots WHERE lot_id = $1',
          [id],
        )
      )[0]!;

    it('a hard-limit breach quarantines the lots in the asset, records impacts and signals orders holding them', async () => {
      const s = await site();
      const other = await site();
      const [inFridge, reserved, elsewhere, released] = ['A', 'B', 'C', 'D'].map((x) => `${s.nodeId}-lot${x}`) as [
        string,
        string,
        string,
        string,
      ];
      const sku = await stock(s, [
        { id: inFridge, assetId: s.assetId },
        { id: reserved, assetId: s.assetId },
        { id: elsewhere, assetId: other.assetId },
        { id: released, assetId: s.assetId },
      ]);
      const withWorkflow = uniqueId('ord');
      const gone = uniqueId('ord');
      const releasedOrder = uniqueId('ord');
      await reserve(s, withWorkflow, reserved, sku);
      await reserve(s, gone, inFridge, sku, 'committed');
      await reserve(s, releasedOrder, released, sku, 'released');
      // Stand-in for the order's workflow: started on a queue nobody polls, it records signals in its history.
      const handle = await client.workflow.start('orderWorkflowStandIn', {
        taskQueue: uniqueId('tq-none'),
        workflowId: orderWorkflowId(withWorkflow),
        args: [],
      });
      try {
        await evaluator(s, { sweepIntervalMs: 500, outboxGraceMs: 1000 });
        const ts = Date.now() + 500;
        await pub.publishAsync(
          suiteTopics.readingTopic(s.nodeId, s.assetId, s.sensorIds[0]!),
          JSON.stringify({ v: 1, ts, temp_c: 13.5 }),
          { qos: 1 },
        ); // chilled hard limit 12 °C
        expect(await eventually(async () => (await alertsOf(s.sensorIds[0]!)).length === 1, 10_000)).to.equal(true);
        const [alert] = await alertsOf(s.sensorIds[0]!);
        expect(alert!.kind).to.equal('hard_limit');
        expect(alert!.severity).to.equal('critical');

        expect((await lot(inFridge)).status).to.equal('quarantined');
        expect((await lot(inFridge)).status_reason).to.match(/^hard_limit_breached: .*13\.5 °C above hard limit 12 °C/);
        expect((await lot(reserved)).status).to.equal('quarantined');
        expect((await lot(released)).status).to.equal('quarantined');
        expect((await lot(elsewhere)).status, 'a lot in another asset').to.equal('available');

        const impacts = await db.query<{
          kind: string;
          ref_id: string;
          lot_ids: string[];
          signal_result: string | null;
        }>('SELECT kind, ref_id, lot_ids, signal_result FROM alert_impacts WHERE alert_id = $1 ORDER BY kind, ref_id', [
          alert!.id,
        ]);
        expect(impacts.filter((i) => i.kind === 'lot').map((i) => i.ref_id)).to.deep.equal(
          [inFridge, reserved, released].sort(),
        );
        expect(
          impacts
            .filter((i) => i.kind === 'order')
            .map((i) => i.ref_id)
            .sort(),
          'released reservations do not count',
        ).to.deep.equal([gone, withWorkflow].sort());

        expect(
          await eventually(async () => {
            const rows = await db.query<{ n: string }>(
              `SELECT count(*) AS n FROM alert_impacts WHERE alert_id = $1 AND kind = 'order' AND signalled_at IS NOT NULL`,
              [alert!.id],
            );
            return Number(rows[0]!.n) === 2;
          }, 10_000),
        ).to.equal(true);
        const results = await db.query<{ ref_id: string; signal_result: string }>(
          `SELECT ref_id, signal_result FROM alert_impacts WHERE alert_id = $1 AND kind = 'order'`,
          [alert!.id],
        );
        expect(Object.fromEntries(results.map((r) => [r.ref_id, r.signal_result]))).to.deep.equal({
          [withWorkflow]: 'signalled',
          [gone]: 'no_workflow',
        });

        const signals: unknown[] = [];
        for (const e of (await handle.fetchHistory()).events ?? []) {
          const attrs = e.workflowExecutionSignaledEventAttributes;
          if (attrs?.signalName === coldChainQuarantineSignal.name)
            signals.push(defaultPayloadConverter.fromPayload(attrs.input!.payloads![0]!));
        }
        expect(signals).to.deep.equal([{ alertId: alert!.id, lotIds: [reserved], reason: 'hard_limit_breached' }]);
      } finally {
        await handle.terminate('test done').catch(() => undefined);
      }
    });

    it('impacts only orders whose units were in the asset when the breach began; those delivered since are delivered_exposed', async () => {
      const s = await site();
      const lotId = `${s.nodeId}-lotX`;
      const sku = await stock(s, [{ id: lotId, assetId: s.assetId }]);
      const breachAt = Date.now() - 30 * MIN; // the breach began half an hour before it is evaluated
      await db.query('UPDATE lot_locations SET from_ts = $2 WHERE lot_id = $1', [
        lotId,
        new Date(breachAt - 24 * 60 * MIN),
      ]);
      const [gone, exposed, inFridge] = [uniqueId('ord'), uniqueId('ord'), uniqueId('ord')];
      // A fulfilment of `order` that took units of the lot, packed at `packedAt` and delivered at `deliveredAt`.
      const fulfilled = async (order: string, packedAt: number, deliveredAt: number) => {
        await reserve(s, order, lotId, sku, 'committed');
        const fid = `${orderWorkflowId(order)}-f1`;
        const view = {
          fulfilmentId: fid,
          orderId: order,
          nodeId: s.nodeId,
          lines: [
            { lineId: 'l1', sku, qty: 1, lots: [{ lotId, bin: null, expiresOn: '2030-01-01', qty: 1, picked: 1 }] },
          ],
        };
        await db.query(
          `INSERT INTO pick_tasks (fulfilment_id, order_id, node_id, state, pick_deadline, view, version) VALUES ($1, $2, $3, 'delivered', $4, $5, 9)`,
          [fid, order, s.nodeId, new Date(packedAt), JSON.stringify(view)],
        );
        const events = [
          ['picking', packedAt - 5 * MIN],
          ['packed', packedAt],
          ['dispatched', packedAt + MIN],
          ['delivered', deliveredAt],
        ] as const;
        for (const [type, at] of events) {
          await db.query(
            'INSERT INTO order_events (order_id, at, event_key, type, node_id, data) VALUES ($1, $2, $3, $4, $5, $6)',
            [order, new Date(at), `${fid}:${type}`, type, s.nodeId, JSON.stringify({ fulfilmentId: fid })],
          );
        }
      };
      await fulfilled(gone, breachAt - 3 * 60 * MIN, breachAt - 2 * 60 * MIN); // packed and delivered hours before the breach
      await fulfilled(exposed, breachAt + 5 * MIN, breachAt + 20 * MIN); // picked from the fridge during it, delivered before detection
      await reserve(s, inFridge, lotId, sku); // still in the fridge: its workflow must hear of it
      const handle = await client.workflow.start('orderWorkflowStandIn', {
        taskQueue: uniqueId('tq-none'),
        workflowId: orderWorkflowId(inFridge),
        args: [],
      });
      try {
        await evaluator(s, { sweepIntervalMs: 500, outboxGraceMs: 1000 });
        await pub.publishAsync(
          suiteTopics.readingTopic(s.nodeId, s.assetId, s.sensorIds[0]!),
          JSON.stringify({ v: 1, ts: breachAt, temp_c: 14 }),
          { qos: 1 },
        );
        expect(await eventually(async () => (await alertsOf(s.sensorIds[0]!)).length === 1, 10_000)).to.equal(true);
        const [alert] = await alertsOf(s.sensorIds[0]!);
        expect(alert!.kind).to.equal('hard_limit');
        expect((await lot(lotId)).status).to.equal('quarantined');
        const orders = async () =>
          db.query<{ ref_id: string; lot_ids: string[]; signal_result: string | null; signalled_at: Date | null }>(
            `SELECT ref_id, lot_ids, signal_result, signalled_at FROM alert_impacts WHERE alert_id = $1 AND kind = 'order' ORDER BY ref_id`,
            [alert!.id],
          );
        expect(
          (await orders()).map((o) => o.ref_id),
          'the order delivered before the breach is not impacted',
        ).to.deep.equal([exposed, inFridge].sort());
        expect(await eventually(async () => (await orders()).every((o) => o.signal_result !== null), 10_000)).to.equal(
          true,
        );
        expect(Object.fromEntries((await orders()).map((o) => [o.ref_id, o.signal_result]))).to.deep.equal({
          [exposed]: 'delivered_exposed',
          [inFridge]: 'signalled',
        });
      } finally {
        await handle.terminate('test done').catch(() => undefined);
      }
    });

    it('an excursion that costs a lot too much shelf life (Q10) quarantines it; a lot with life to spare stays', async () => {
      const s = await site(1, { hardLimit: { lowC: -5, highC: 30 } });
      const [short, long] = [`${s.nodeId}-short`, `${s.nodeId}-long`];
      await stock(
        s,
        [
          { id: short, assetId: s.assetId, expiresInDays: 3 },
          { id: long, assetId: s.assetId, expiresInDays: 30 },
        ],
        { q10: 3, min: 2 },
      );
      const base = Date.now() - 8 * 3_600_000;
      await db.query('UPDATE lot_locations SET from_ts = $2 WHERE lot_id = ANY($1)', [
        [short, long],
        new Date(base - 3_600_000),
      ]);
      // 6 h at 20 °C (Q10 3, reference 4 °C: ×5.8 spoilage), then back in band. The ingester's
      // part (storing readings) is done here directly; the evaluator reads them for the Q10 sums.
      const temps = [...repeat(5, 3), ...repeat(360, 20), ...repeat(15, 3)];
      const readings: Reading[] = temps.map((t, i) => ({
        sensorId: s.sensorIds[0]!,
        assetId: s.assetId,
        nodeId: s.nodeId,
        ts: base + i * MIN,
        tempC: t,
        humidityPct: null,
        doorOpen: null,
        batteryPct: null,
        defrost: null,
        seq: null,
      }));
      await db.transaction((c) => insertReadings(c, readings));
      await evaluator(s);
      const batch = {
        v: 1,
        gateway: 'gw1',
        readings: readings.map((r) => ({ sensor: r.sensorId, asset: r.assetId, ts: r.ts, temp_c: r.tempC })),
      };
      await pub.publishAsync(suiteTopics.batchTopic(s.nodeId, 'gw1'), JSON.stringify(batch), { qos: 1 });
      await processedUpTo(s.sensorIds[0]!, readings[readings.length - 1]!.ts);
      const [alert] = await alertsOf(s.sensorIds[0]!, 'excursion');
      expect(alert!.status).to.equal('resolved');
      expect((await lot(short)).status).to.equal('quarantined');
      expect((await lot(short)).status_reason).to.match(
        /^insufficient_shelf_life: .* d left < 2 d required; excursion cost 1\.[0-9]{2} d/,
      );
      expect((await lot(long)).status).to.equal('available');
      const impacts = await db.query<{ ref_id: string; reason: string }>(
        'SELECT ref_id, reason FROM alert_impacts WHERE alert_id = $1',
        [alert!.id],
      );
      expect(impacts).to.deep.equal([{ ref_id: short, reason: 'insufficient_shelf_life' }]);
    });
  });
});
