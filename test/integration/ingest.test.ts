import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import type { PoolClient } from 'pg';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { createDb } from '../../db/pool';
import { startIngester } from '../../iot-ingest/ingester';
import type { IngesterHandle } from '../../iot-ingest/ingester';
import { replayUnknownSensorLetters } from '../../iot-ingest/replay';
import { upsertSensorNetwork } from '../../db/telemetry';
import { DEFAULT_TOPICS, topicScheme } from '../../domain/coldchain/topics';
import { requireDb, requireMqtt, suiteTopics, testLogger, uniqueId } from '../support/stack';
import { countReadings, eventually, registerSensors } from '../support/telemetry';
import { startPrivateTimescale } from '../support/private-timescale';

const ROOT = join(__dirname, '../..');

/** A config whose share group is this test's own, so no other session takes its messages. */
function isolatedConfig(overrides: Record<string, string> = {}) {
  const shareGroup = uniqueId('g').replace(/[^A-Za-z0-9_-]/g, '');
  return {
    env: {
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      MQTT_SHARE_GROUP: shareGroup,
      ...overrides,
    },
    shareGroup,
  };
}

/** The Db with its explicit transactions counted. */
function countingTransactions(db: Db): { db: Db; transactions: () => number } {
  let n = 0;
  const counted: Db = {
    pool: db.pool,
    query: db.query.bind(db),
    close: db.close.bind(db),
    transaction: <T>(fn: (client: PoolClient) => Promise<T>) => {
      n++;
      return db.transaction(fn);
    },
  };
  return { db: counted, transactions: () => n };
}

async function publishSeries(
  pub: MqttClient,
  nodeId: string,
  assetId: string,
  sensorIds: string[],
  perSensor: number,
  startMs: number,
): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < perSensor; i++) {
    for (const s of sensorIds) {
      const payload = JSON.stringify({ v: 1, ts: startMs + i * 1000, temp_c: 3 + (i % 10) / 10, seq: i });
      sends.push(pub.publishAsync(suiteTopics.readingTopic(nodeId, assetId, s), payload, { qos: 1 }));
    }
  }
  await Promise.all(sends);
}

describe('MQTT ingester (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let pub: MqttClient;
  const running: IngesterHandle[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    db = await requireDb();
    pub = await requireMqtt('device');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((i) => i.stop()));
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  after(async () => {
    await pub?.endAsync();
    await db?.close();
  });

  it('writes single readings and gateway batches, and a redelivered reading changes nothing', async () => {
    const { env } = isolatedConfig();
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 3);
    const ing = await startIngester(
      loadConfig(env),
      { db, logger: testLogger },
      { sessions: 4, clientIdPrefix: uniqueId('ing'), sessionExpirySeconds: 60 },
    );
    running.push(ing);
    const t0 = Date.now() - 600_000;
    await publishSeries(pub, nodeId, assetId, sensorIds, 10, t0);
    // Same readings again, as QoS 1 redelivery would bring them.
    await publishSeries(pub, nodeId, assetId, sensorIds, 10, t0);
    const batch = {
      v: 1,
      gateway: 'gw1',
      readings: sensorIds.map((s) => ({ sensor: s, asset: assetId, ts: t0 + 60_000, temp_c: 2.5, humidity_pct: 80 })),
    };
    await pub.publishAsync(suiteTopics.batchTopic(nodeId, 'gw1'), JSON.stringify(batch), { qos: 1 });
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows >= 33)).to.equal(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 33, distinct: 33 });
    const row = await db.query<{ humidity_pct: number }>(
      'SELECT humidity_pct FROM sensor_readings WHERE sensor_id = $1 AND ts = $2',
      [sensorIds[0], new Date(t0 + 60_000)],
    );
    expect(row[0]!.humidity_pct).to.equal(80);
    expect((await ing.metrics.duplicates.get()).values[0]!.value).to.equal(30);
  });

  it("reads only its deployment's topic namespace: another namespace's readings and junk are not its to store", async () => {
    const { env } = isolatedConfig();
    expect(loadConfig(env).mqtt.topicPrefix, 'the suite runs in a namespace of its own').to.equal(suiteTopics.prefix);
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    const ing = await startIngester(
      loadConfig(env),
      { db, logger: testLogger },
      { sessions: 2, clientIdPrefix: uniqueId('ing'), sessionExpirySeconds: 60 },
    );
    running.push(ing);
    const t0 = Date.now() - 60_000;
    const [sensor] = sensorIds as [string];
    const namespaces = [DEFAULT_TOPICS, topicScheme(`${suiteTopics.prefix}x`), suiteTopics];
    for (const [i, topics] of namespaces.entries()) {
      const topic = topics.readingTopic(nodeId, assetId, sensor);
      await pub.publishAsync(topic, '{"v":1,"ts":', { qos: 1 });
      await pub.publishAsync(topic, JSON.stringify({ v: 1, ts: t0 + i * 1000, temp_c: 4 }), { qos: 1 });
    }
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows >= 1)).to.equal(true);
    await new Promise((r) => setTimeout(r, 500));
    const stored = await db.query<{ ts: Date }>('SELECT ts FROM sensor_readings WHERE sensor_id = $1', [sensor]);
    expect(stored.map((r) => r.ts.getTime())).to.deep.equal([t0 + 2000]);
    const letters = await db.query<{ topic: string }>('SELECT topic FROM ingest_dead_letters WHERE sensor_id = $1', [
      sensor,
    ]);
    expect(letters.map((l) => l.topic)).to.deep.equal([suiteTopics.readingTopic(nodeId, assetId, sensor)]);
  });

  it('dead-letters malformed payloads, impossible values and unknown sensors, and keeps going', async () => {
    const { env } = isolatedConfig();
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    const ing = await startIngester(
      loadConfig(env),
      { db, logger: testLogger },
      { sessions: 2, clientIdPrefix: uniqueId('ing'), sessionExpirySeconds: 60 },
    );
    running.push(ing);
    const ghost = uniqueId('ghost');
    const now = Date.now();
    await pub.publishAsync(suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!), '{"v":1,"ts":', { qos: 1 });
    await pub.publishAsync(
      suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!),
      JSON.stringify({ v: 1, ts: now, temp_c: 999 }),
      { qos: 1 },
    );
    await pub.publishAsync(
      suiteTopics.readingTopic(nodeId, assetId, ghost),
      JSON.stringify({ v: 1, ts: now, temp_c: 4 }),
      {
        qos: 1,
      },
    );
    // A registered sensor under another asset of its node: it must not write into that asset's history.
    await pub.publishAsync(
      suiteTopics.readingTopic(nodeId, `${nodeId}-freezer`, sensorIds[0]!),
      JSON.stringify({ v: 1, ts: now + 1, temp_c: 4 }),
      { qos: 1 },
    );
    await pub.publishAsync(
      suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!),
      JSON.stringify({ v: 1, ts: now, temp_c: 4.5 }),
      { qos: 1 },
    );
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows === 1)).to.equal(true);
    let letters: { reason: string; detail: string; raw: Buffer | null }[] = [];
    await eventually(async () => {
      letters = await db.query(`SELECT reason, detail, raw FROM ingest_dead_letters WHERE topic LIKE $1 ORDER BY id`, [
        `%/${nodeId}/%`,
      ]);
      return letters.length >= 4;
    });
    expect(letters.map((l) => l.reason).sort()).to.deep.equal([
      'impossible_value',
      'malformed_json',
      'unknown_sensor',
      'unknown_sensor',
    ]);
    expect(letters.map((l) => l.detail)).to.include(
      `sensor ${sensorIds[0]} belongs to asset ${assetId}, reading says ${nodeId}-freezer`,
    );
    expect((await countReadings(db, sensorIds)).rows, 'the misplaced reading is not stored').to.equal(1);
    const malformed = letters.find((l) => l.reason === 'malformed_json')!;
    expect(malformed.raw?.toString()).to.equal('{"v":1,"ts":');
  });

  it('replays the readings of a sensor registered after it started publishing, once; unknown ones stay pending', async () => {
    const { env } = isolatedConfig();
    const { nodeId, assetId } = await registerSensors(db, 1);
    const ing = await startIngester(
      loadConfig(env),
      { db, logger: testLogger },
      { sessions: 2, clientIdPrefix: uniqueId('ing'), sessionExpirySeconds: 60 },
    );
    running.push(ing);
    const late = `${nodeId}-late`;
    const never = `${nodeId}-never`;
    const now = Date.now();
    for (let i = 0; i < 3; i++)
      await pub.publishAsync(
        suiteTopics.readingTopic(nodeId, assetId, late),
        JSON.stringify({ v: 1, ts: now + i * 1000, temp_c: 3.25 + i, seq: i }),
        { qos: 1 },
      );
    await pub.publishAsync(
      suiteTopics.readingTopic(nodeId, assetId, never),
      JSON.stringify({ v: 1, ts: now, temp_c: 5 }),
      {
        qos: 1,
      },
    );
    const pendingLetters = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            "SELECT count(*) AS n FROM ingest_dead_letters WHERE reason = 'unknown_sensor' AND sensor_id = ANY($1) AND replayed_at IS NULL",
            [[late, never]],
          )
        )[0]!.n,
      );
    expect(await eventually(async () => (await pendingLetters()) === 4, 15_000)).to.equal(true);

    await upsertSensorNetwork(db, { nodes: [], assets: [], sensors: [{ id: late, assetId, nodeId }] });
    const first = await replayUnknownSensorLetters(db, { sensorIds: [late, never] });
    expect(first).to.deep.equal({
      examined: 4,
      stored: 3,
      alreadyStored: 0,
      stillPending: 1,
      reasons: { unknown_sensor: 1 },
    });
    const rows = await db.query<{ temp_c: number; seq: string }>(
      'SELECT temp_c, seq FROM sensor_readings WHERE sensor_id = $1 ORDER BY ts',
      [late],
    );
    expect(rows.map((r) => [r.temp_c, Number(r.seq)])).to.deep.equal([
      [3.25, 0],
      [4.25, 1],
      [5.25, 2],
    ]);
    expect(await pendingLetters(), "the unknown sensor's letter waits, with a note").to.equal(1);
    const note = await db.query<{ replay_note: string }>(
      'SELECT replay_note FROM ingest_dead_letters WHERE sensor_id = $1',
      [never],
    );
    expect(note[0]!.replay_note).to.equal(`sensor ${never} is not registered or not active`);

    const again = await replayUnknownSensorLetters(db, { sensorIds: [late, never] });
    expect(again).to.deep.equal({
      examined: 1,
      stored: 0,
      alreadyStored: 0,
      stillPending: 1,
      reasons: { unknown_sensor: 1 },
    });
    expect((await countReadings(db, [late])).rows).to.equal(3);
  });

  it('shares the load between two ingesters without duplicates', async () => {
    const { env } = isolatedConfig();
    const cfg = loadConfig(env);
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 10);
    const a = await startIngester(
      cfg,
      { db, logger: testLogger },
      { sessions: 3, clientIdPrefix: uniqueId('ingA'), sessionExpirySeconds: 60 },
    );
    const b = await startIngester(
      cfg,
      { db, logger: testLogger },
      { sessions: 3, clientIdPrefix: uniqueId('ingB'), sessionExpirySeconds: 60 },
    );
    running.push(a, b);
    await publishSeries(pub, nodeId, assetId, sensorIds, 100, Date.now() - 3_600_000);
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows >= 1000)).to.equal(true);
    expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 1000, distinct: 1000 });
    const handledA = (await a.metrics.messages.get()).values[0]!.value;
    const handledB = (await b.metrics.messages.get()).values[0]!.value;
    expect(handledA, 'ingester A took a share').to.be.greaterThan(100);
    expect(handledB, 'ingester B took a share').to.be.greaterThan(100);
    // Each group also receives whatever else is published on the broker meanwhile, so the
    // sessions' counts are a floor; the exact check is the rows of this test's sensors above.
    expect(handledA + handledB).to.be.at.least(1000);
  });

  it('loses nothing when the ingester process is killed mid-stream and restarted', async () => {
    // A short session expiry: the killed child's sessions would otherwise queue every telemetry message for a day.
    const { env } = isolatedConfig({
      INGEST_CLIENT_ID: uniqueId('ingK'),
      INGEST_METRICS_PORT: '0',
      INGEST_SESSION_EXPIRY_S: '120',
    });
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 20);
    // Resolves once the child's sessions are subscribed: before that the broker has nowhere to queue.
    const startChild = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'iot-ingest/main.ts')], {
        cwd: ROOT,
        env: { ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ingester subscribed') && resolve(child));
        child.once('exit', (code) => reject(new Error(`ingester exited early with code ${code}`)));
      });
    };
    const first = await startChild();
    const publishing = publishSeries(pub, nodeId, assetId, sensorIds, 200, Date.now() - 3_600_000);
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows > 200, 30_000, 20)).to.equal(true);
    first.kill('SIGKILL');
    await publishing;
    const atKill = (await countReadings(db, sensorIds)).rows;
    expect(atKill, 'killed before everything was written').to.be.lessThan(4000);
    await startChild();
    const complete = await eventually(async () => (await countReadings(db, sensorIds)).rows >= 4000, 20_000);
    expect(complete, `rows at kill ${atKill}, now ${(await countReadings(db, sensorIds)).rows}`).to.equal(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 4000, distinct: 4000 });
  });

  it('loses nothing when the database restarts mid-stream', async function () {
    // A TimescaleDB of this test's own: the shared one serves the suites running beside this one.
    const timescale = await startPrivateTimescale();
    const ownDb = createDb({ connectionString: timescale.url, max: 4 });
    const ingesterDb = createDb({ connectionString: timescale.url, max: 4 });
    try {
      const { env } = isolatedConfig({ DATABASE_URL: timescale.url });
      const { nodeId, assetId, sensorIds } = await registerSensors(ownDb, 20);
      const ing = await startIngester(
        loadConfig(env),
        { db: ingesterDb, logger: testLogger },
        {
          sessions: 8,
          clientIdPrefix: uniqueId('ingD'),
          sessionExpirySeconds: 120,
        },
      );
      running.push(ing);
      const publishing = publishSeries(pub, nodeId, assetId, sensorIds, 150, Date.now() - 3_600_000);
      const rowsNow = async () => (await countReadings(ownDb, sensorIds).catch(() => ({ rows: 0 }))).rows;
      expect(await eventually(async () => (await rowsNow()) > 100, 30_000, 20)).to.equal(true);
      try {
        await timescale.stop();
        await publishing;
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        await timescale.start();
      }
      expect(await eventually(async () => (await rowsNow()) >= 3000, 60_000)).to.equal(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(await countReadings(ownDb, sensorIds)).to.deep.equal({ rows: 3000, distinct: 3000 });
      const writeFailures = (await ing.metrics.writeFailures.get()).values[0]!.value;
      expect(writeFailures, 'writes failed while the database was down').to.be.greaterThan(0);
      await Promise.all(running.splice(0).map((i) => i.stop()));
    } finally {
      await Promise.all([ownDb.close(), ingesterDb.close()]);
      await timescale.destroy();
    }
  });

  // A batch of readings with no dead letter is one COPY in its own (implicit) transaction, with
  // no BEGIN/COMMIT round trips around it; readings and dead letters still commit together.
  const start = async (counted: Db) => {
    const ing = await startIngester(
      loadConfig(isolatedConfig().env),
      { db: counted, logger: testLogger },
      { sessions: 4, clientIdPrefix: uniqueId('ing'), sessionExpirySeconds: 60 },
    );
    running.push(ing);
    return ing;
  };

  it('writes clean batches of readings without an explicit transaction, and redelivery changes nothing', async () => {
    const { db: counted, transactions } = countingTransactions(db);
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 2);
    const ing = await start(counted);
    const t0 = Date.now() - 600_000;
    await publishSeries(pub, nodeId, assetId, sensorIds, 20, t0);
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows >= 40)).to.equal(true);
    await publishSeries(pub, nodeId, assetId, sensorIds, 20, t0); // as QoS 1 redelivery would bring them again
    expect(await eventually(async () => (await ing.metrics.duplicates.get()).values[0]?.value === 40)).to.equal(true);
    expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 40, distinct: 40 });
    expect(transactions()).to.equal(0);
  });

  it('writes readings and dead letters of one batch together in one transaction', async () => {
    const { db: counted, transactions } = countingTransactions(db);
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    const ing = await start(counted);
    const topic = suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!);
    await Promise.all([
      pub.publishAsync(topic, JSON.stringify({ v: 1, ts: Date.now(), temp_c: 4 }), { qos: 1 }),
      pub.publishAsync(topic, '{"v":1,"ts":', { qos: 1 }),
    ]);
    expect(await eventually(async () => (await ing.metrics.messages.get()).values[0]?.value === 2)).to.equal(true);
    expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 1, distinct: 1 });
    expect((await ing.metrics.deadLetters.get()).values.reduce((a, v) => a + v.value, 0)).to.equal(1);
    expect(transactions()).to.be.greaterThan(0);
  });
});
