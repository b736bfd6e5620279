// Hostile input against the real ingester, Mosquitto and TimescaleDB: what any device account
// can publish must never stop ingest. Each test has its own share group and sensors.
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { insertDeadLetters } from '../../db/telemetry';
import type { DeadLetterReason } from '../../domain/coldchain/telemetry';
import { mulberry32 } from '../../demo/rng';
import { startIngester } from '../../iot-ingest/ingester';
import type { IngesterHandle, IngesterOptions } from '../../iot-ingest/ingester';
import { requireDb, requireMqtt, suiteTopics, testConfig, testLogger, uniqueId } from '../support/stack';
import { countReadings, eventually, registerSensors } from '../support/telemetry';

/** A config whose share group is this test's own, so no other session takes its messages. */
function isolatedConfig() {
  const shareGroup = uniqueId('h').replace(/[^A-Za-z0-9_-]/g, '');
  return loadConfig({ ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'silent', MQTT_SHARE_GROUP: shareGroup });
}

interface Letter {
  reason: string;
  detail: string;
  topic: string;
  raw: Buffer | null;
}

/** One message of the corpus: what to publish where, and what the ingester must make of it. */
interface CorpusMessage {
  topic: string;
  payload: Buffer;
  readings: number;
  letters: Partial<Record<DeadLetterReason, number>>;
}

const YEAR = 365 * 86_400_000;

/**
 * Hostile messages, each with the dead letters it must produce. Every one is within the
 * broker's packet limit (256 KiB including topic and header: docs/telemetry-contract.md), so
 * the broker delivers it and the ingester has to deal with it.
 */
function hostileCorpus(nodeId: string, assetId: string, sensorId: string, now: number): CorpusMessage[] {
  const single = suiteTopics.readingTopic(nodeId, assetId, sensorId);
  const batch = suiteTopics.batchTopic(nodeId, 'gw1');
  const msg = (topic: string, payload: string | Buffer, letters: CorpusMessage['letters']): CorpusMessage => ({
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    readings: 0,
    letters,
  });
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const big = 'x'.repeat(250 * 1024);
  const garbage = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      i % 3 === 0 ? { sensor: 'a\u0000b', x: i } : i % 3 === 1 ? '\ud800' : [[[i]]],
    );
  return [
    msg(single, Buffer.from('\x00\x01{"t":1}', 'latin1'), { malformed_json: 1 }),
    msg(single, Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x00]), { invalid_encoding: 1 }),
    msg(single, Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), { invalid_encoding: 1 }), // a lone surrogate encoded as UTF-8 bytes
    msg(single, `{"v":1,"ts":${now},"temp_c":"\\ud800\\u0000"}`, { schema_violation: 1 }), // a lone surrogate and a NUL as JSON escapes
    msg(single, JSON.stringify({ v: 1, ts: now, temp_c: 1e308 }), { impossible_value: 1 }),
    msg(single, `{"v":1,"ts":${now},"temp_c":1e999}`, { impossible_value: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: now, temp_c: -500 }), { impossible_value: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: 0, temp_c: 4 }), { too_old: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: now + 10 * YEAR, temp_c: 4 }), { clock_skew: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: new Date(now + 10 * YEAR).toISOString(), temp_c: 4 }), { clock_skew: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: '9999-12-31T23:59:59Z', temp_c: 4 }), { clock_skew: 1 }),
    msg(single, JSON.stringify({ v: 1, ts: now, temp_c: big }), { schema_violation: 1 }),
    msg(single, deep, { schema_violation: 1 }),
    msg(single, `{"v":1,"ts":${now},"temp_c":${deep}}`, { schema_violation: 1 }),
    msg(single, `{"__proto__":{"v":1,"ts":${now},"temp_c":4}}`, { schema_violation: 1 }),
    msg(single, `{"v":1,"ts":${now},"temp_c":"4","__proto__":{"temp_c":4},"constructor":{"prototype":{"x":1}}}`, {
      schema_violation: 1,
    }),
    msg(single, '{"v":1,"ts":', { malformed_json: 1 }),
    msg(single, '', { malformed_json: 1 }),
    msg(single, JSON.stringify({ v: 2, ts: now, temp_c: 4 }), { unknown_version: 1 }),
    msg(suiteTopics.readingTopic(nodeId, assetId, `${nodeId}-ghost`), JSON.stringify({ v: 1, ts: now, temp_c: 4 }), {
      unknown_sensor: 1,
    }),
    msg(
      `${suiteTopics.root}/telemetry/${nodeId}/${assetId}/s\ufffd\u{1F4A5}`,
      JSON.stringify({ v: 1, ts: now, temp_c: 4 }),
      {
        bad_topic: 1,
      },
    ),
    msg(batch, JSON.stringify({ v: 1, gateway: 'gw1', readings: garbage(5000) }), { payload_too_large: 1 }),
    msg(batch, JSON.stringify({ v: 1, gateway: 'gw1', readings: garbage(1000) }), { schema_violation: 1000 }),
    msg(
      batch,
      JSON.stringify({
        v: 1,
        gateway: 'gw1',
        readings: [{ sensor: big.slice(0, 200 * 1024), asset: assetId, ts: now, temp_c: 4 }],
      }),
      { schema_violation: 1 },
    ),
    msg(batch, JSON.stringify({ v: 1, gateway: 'gw-other', readings: [] }), { bad_topic: 1 }),
    msg(batch, `{"v":1,"gateway":"gw1","readings":[${deep}]}`, { schema_violation: 1 }),
  ];
}

/** Valid messages: single readings and gateway batches, each reading with its own (sensor, ts). */
function validCorpus(nodeId: string, assetId: string, sensorIds: string[], t0: number): CorpusMessage[] {
  const out: CorpusMessage[] = [];
  let ts = t0;
  for (let i = 0; i < 300; i++) {
    const s = sensorIds[i % sensorIds.length]!;
    out.push({
      topic: suiteTopics.readingTopic(nodeId, assetId, s),
      payload: Buffer.from(JSON.stringify({ v: 1, ts: ts++, temp_c: 3 + (i % 7) / 10, seq: i })),
      readings: 1,
      letters: {},
    });
  }
  for (let b = 0; b < 30; b++) {
    const readings = sensorIds.map((s, k) => ({
      sensor: s,
      asset: assetId,
      ts: ts++,
      temp_c: -18 - k / 10,
      door_open: b % 2 === 0,
    }));
    // Every third batch also carries hostile items beside its valid ones.
    const bad =
      b % 3 === 0
        ? [
            { sensor: '\u0000', asset: assetId, ts: ts, temp_c: 4 },
            { sensor: sensorIds[0], asset: assetId, ts: 0, temp_c: 4 },
          ]
        : [];
    out.push({
      topic: suiteTopics.batchTopic(nodeId, 'gw1'),
      payload: Buffer.from(JSON.stringify({ v: 1, gateway: 'gw1', readings: [...readings, ...bad] })),
      readings: readings.length,
      letters: bad.length ? { schema_violation: 1, too_old: 1 } : {},
    });
  }
  return out;
}

describe('MQTT ingester under hostile input (integration)', function () {
  this.timeout(180_000);
  let db: Db;
  let pub: MqttClient;
  const running: IngesterHandle[] = [];

  before(async () => {
    db = await requireDb();
    pub = await requireMqtt('device');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((i) => i.stop()));
  });
  after(async () => {
    await pub?.endAsync();
    await db?.close();
  });

  const start = async (opts: IngesterOptions = {}) => {
    const ing = await startIngester(
      isolatedConfig(),
      { db, logger: testLogger },
      { sessions: 4, clientIdPrefix: uniqueId('ingH'), sessionExpirySeconds: 60, ...opts },
    );
    running.push(ing);
    return ing;
  };
  const lettersOf = (nodeId: string) =>
    db.query<Letter>('SELECT reason, detail, topic, raw FROM ingest_dead_letters WHERE topic LIKE $1 ORDER BY id', [
      `%/${nodeId}/%`,
    ]);

  it('a payload starting with a NUL byte is dead-lettered, and readings after it are stored (the NUL stall)', async () => {
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    await start();
    const topic = suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!);
    const poison = Buffer.from('\x00\x01{"t":1}', 'latin1');
    await pub.publishAsync(topic, poison, { qos: 1 });
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      await pub.publishAsync(topic, JSON.stringify({ v: 1, ts: now - 10_000 + i, temp_c: 4 }), { qos: 1 });
    expect(
      await eventually(async () => (await countReadings(db, sensorIds)).rows === 5, 10_000),
      'readings after the NUL payload are stored',
    ).to.equal(true);
    const letters = await lettersOf(nodeId);
    expect(letters.map((l) => l.reason)).to.deep.equal(['malformed_json']);
    expect(letters[0]!.raw, 'the raw bytes, NUL included').to.deep.equal(poison);
    expect(letters[0]!.detail).to.not.include('\u0000');
  });

  it('stores every valid reading of a hostile corpus exactly once, dead-letters every hostile message with its reason, and never stalls', async () => {
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 8);
    const ing = await start({ sessions: 8 });
    const now = Date.now();
    const valid = validCorpus(nodeId, assetId, sensorIds, now - 3_600_000);
    const hostile = [1, 2, 3].flatMap(() => hostileCorpus(nodeId, assetId, sensorIds[0]!, now));
    // Interleaved in a seeded order: hostile messages land in the same batches as valid ones.
    const rand = mulberry32(12);
    const corpus = [...valid, ...hostile]
      .map((m) => ({ m, k: rand() }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.m);

    let worstPendingMs = 0;
    const watch = setInterval(
      () => (worstPendingMs = Math.max(worstPendingMs, ing.progress.snapshot().oldestPendingMs ?? 0)),
      50,
    );
    try {
      for (let i = 0; i < corpus.length; i += 40) {
        await Promise.all(corpus.slice(i, i + 40).map((m) => pub.publishAsync(m.topic, m.payload, { qos: 1 })));
      }
      const wantReadings = valid.reduce((n, m) => n + m.readings, 0);
      const wantLetters: Record<string, number> = {};
      for (const m of corpus)
        for (const [reason, n] of Object.entries(m.letters)) wantLetters[reason] = (wantLetters[reason] ?? 0) + n!;
      const totalLetters = Object.values(wantLetters).reduce((a, b) => a + b, 0);
      const letterCounts = async () => {
        const rows = await db.query<{ reason: string; n: string }>(
          'SELECT reason, count(*) AS n FROM ingest_dead_letters WHERE topic LIKE $1 GROUP BY reason',
          [`%/${nodeId}/%`],
        );
        return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
      };
      const done = await eventually(
        async () =>
          (await countReadings(db, sensorIds)).rows >= wantReadings &&
          Object.values(await letterCounts()).reduce((a, b) => a + b, 0) >= totalLetters,
        30_000,
        200,
      );
      expect(
        done,
        `readings ${JSON.stringify(await countReadings(db, sensorIds))} of ${wantReadings}; letters ${JSON.stringify(await letterCounts())}`,
      ).to.equal(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(await countReadings(db, sensorIds), 'every valid reading exactly once').to.deep.equal({
        rows: wantReadings,
        distinct: wantReadings,
      });
      expect(await letterCounts(), 'every hostile message or item dead-lettered with its reason').to.deep.equal(
        wantLetters,
      );
      expect((await ing.metrics.writeFailures.get()).values[0]?.value ?? 0, 'no batch write failed').to.equal(0);
      expect(worstPendingMs, 'no message waited more than a few seconds').to.be.below(5_000);
      const letters = await lettersOf(nodeId);
      const nul = letters.find((l) => l.raw?.equals(Buffer.from('\x00\x01{"t":1}', 'latin1')));
      expect(nul?.reason, 'the NUL payload, bytes intact').to.equal('malformed_json');
      expect(
        letters.find((l) => l.reason === 'bad_topic' && l.topic.includes('\u{1F4A5}')),
        'the odd topic is stored as sent',
      ).to.not.equal(undefined);
      expect(({} as Record<string, unknown>).x, 'no prototype pollution').to.equal(undefined);
    } finally {
      clearInterval(watch);
    }
  });

  it('a payload over the documented 256 KiB never reaches the ingester: the broker refuses it, and ingest goes on', async () => {
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    await start();
    const topic = suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!);
    // Its own connection: the broker may close it (MQTT 5 "packet too large").
    const big = await requireMqtt('device', { reconnectPeriod: 0 });
    big.on('error', () => {});
    try {
      const outcome = await Promise.race([
        big.publishAsync(topic, Buffer.alloc(300 * 1024, 0x20), { qos: 1 }).then(
          () => 'accepted',
          () => 'refused',
        ),
        new Promise<string>((r) => big.once('close', () => r('refused'))),
      ]);
      expect(outcome, 'the broker refuses a packet over its limit').to.equal('refused');
    } finally {
      big.end(true);
    }
    await pub.publishAsync(topic, JSON.stringify({ v: 1, ts: Date.now() - 1000, temp_c: 4 }), { qos: 1 });
    expect(await eventually(async () => (await countReadings(db, sensorIds)).rows === 1, 10_000)).to.equal(true);
    expect(await lettersOf(nodeId), 'nothing of the refused payload arrived').to.deep.equal([]);
  });

  it('stores dead letters whose strings carry NUL and lone surrogates (defence at the SQL boundary too)', async () => {
    const topic = `${suiteTopics.root}/telemetry/${uniqueId('n')}/a/s`;
    await db.transaction((c) =>
      insertDeadLetters(c, [
        {
          reason: 'malformed_json',
          detail: 'bad \u0000 \ud800 text',
          topic: `${topic}\u0000`,
          sensorId: 's\udc00',
          raw: Uint8Array.from([0, 0xff]),
          rawSize: 2,
        },
      ]),
    );
    const rows = await db.query<Letter & { sensor_id: string; raw_size: number }>(
      'SELECT reason, detail, topic, raw, sensor_id, raw_size FROM ingest_dead_letters WHERE topic LIKE $1',
      [`${topic}%`],
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({
      detail: 'bad \ufffd \ufffd text',
      topic: `${topic}\ufffd`,
      sensor_id: 's\ufffd',
      raw_size: 2,
    });
    expect(rows[0]!.raw).to.deep.equal(Buffer.from([0, 0xff]));
  });

  describe('with a database that refuses some rows', () => {
    // A trigger stands in for any row PostgreSQL refuses for its data (or for the server being
    // busy): it fires only for this test's sensors, so other suites on the stack are unaffected.
    const trigger = uniqueId('fc_test_refuse').replace(/[^a-z0-9_]/g, '_');
    const refuse = async (sensorIds: string[], sqlstate: string) => {
      await db.query(`CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.sensor_id = ANY(${`ARRAY[${sensorIds.map((s) => `'${s}'`).join(',')}]`}) AND NEW.temp_c = 13.13 THEN
            RAISE EXCEPTION 'refused by test trigger' USING ERRCODE = '${sqlstate}';
          END IF;
          RETURN NEW;
        END $$`);
      await db.query(
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON sensor_readings FOR EACH ROW EXECUTE FUNCTION ${trigger}()`,
      );
    };
    const allow = async () => {
      await db.query(`DROP TRIGGER IF EXISTS ${trigger} ON sensor_readings`);
      await db.query(`DROP FUNCTION IF EXISTS ${trigger}()`);
    };
    afterEach(allow);

    it('isolates a reading the database refuses for its data (SQLSTATE 22/23): dead-lettered as rejected_by_database, the rest of its batch stored', async () => {
      const { nodeId, assetId, sensorIds } = await registerSensors(db, 4);
      await refuse(sensorIds, '22023');
      // Its own node's topics only: suites running beside this one publish on the broker too.
      const ing = await start({ sessions: 4, nodeId });
      const t0 = Date.now() - 600_000;
      // Gateway batches: each holds 4 readings, one of them (temp 13.13) refused.
      for (let b = 0; b < 10; b++) {
        const readings = sensorIds.map((s, k) => ({
          sensor: s,
          asset: assetId,
          ts: t0 + b * 1000,
          temp_c: k === b % 4 ? 13.13 : 4,
        }));
        await pub.publishAsync(
          suiteTopics.batchTopic(nodeId, 'gw1'),
          JSON.stringify({ v: 1, gateway: 'gw1', readings }),
          {
            qos: 1,
          },
        );
      }
      expect(await eventually(async () => (await countReadings(db, sensorIds)).rows >= 30, 15_000)).to.equal(true);
      const rejected = await eventually(
        async () => (await lettersOf(nodeId)).filter((l) => l.reason === 'rejected_by_database').length >= 10,
        5_000,
      );
      expect(rejected).to.equal(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 30, distinct: 30 });
      const letters = await lettersOf(nodeId);
      expect(letters).to.have.length(10);
      for (const l of letters) {
        expect(l.reason).to.equal('rejected_by_database');
        expect(l.detail).to.match(/^SQLSTATE 22023: refused by test trigger/);
        expect((JSON.parse(l.raw!.toString()) as { tempC: number }).tempC).to.equal(13.13);
      }
      expect(ing.progress.snapshot().pending, 'every message acknowledged').to.equal(0);
    });

    it('retries a batch whole on an availability error (40001), goes degraded on /healthz and /metrics while stuck, and recovers without loss', async () => {
      const { nodeId, assetId, sensorIds } = await registerSensors(db, 2);
      await refuse(sensorIds, '40001');
      const ing = await start({ sessions: 2, stuckAfterMs: 1_500, nodeId });
      const app = buildApp({
        config: testConfig,
        logger: testLogger,
        health: { progress: [ing.progress] },
        metricsRegistries: [ing.metrics.registry],
      });
      const server = app.listen(0);
      await new Promise((r) => server.once('listening', r));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      try {
        const healthz = async () => {
          const res = await fetch(`${base}/healthz`);
          return {
            status: res.status,
            body: (await res.json()) as {
              status: string;
              checks: Record<
                string,
                { ok: boolean; detail: string; progress: { retryAttempts: number; pending: number } }
              >;
            },
          };
        };
        expect((await healthz()).status, 'idle: healthy').to.equal(200);
        const t0 = Date.now() - 60_000;
        await pub.publishAsync(
          suiteTopics.readingTopic(nodeId, assetId, sensorIds[0]!),
          JSON.stringify({ v: 1, ts: t0, temp_c: 13.13 }),
          { qos: 1 },
        );
        await pub.publishAsync(
          suiteTopics.readingTopic(nodeId, assetId, sensorIds[1]!),
          JSON.stringify({ v: 1, ts: t0, temp_c: 4 }),
          { qos: 1 },
        );
        // Degraded and retried (on a busy machine the first retry may come after the stuck threshold).
        const stuckAndRetried = async () => {
          const h = await healthz();
          return h.status === 503 && (h.body.checks.ingest?.progress.retryAttempts ?? 0) > 0;
        };
        expect(await eventually(stuckAndRetried, 10_000), 'degraded once stuck').to.equal(true);
        const stuck = await healthz();
        expect(stuck.body.status).to.equal('degraded');
        expect(stuck.body.checks.ingest!.detail).to.match(/^stuck: /);
        expect(stuck.body.checks.ingest!.progress.retryAttempts).to.be.greaterThan(0);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).to.match(/^freshchain_ingest_stuck 1$/m);
        expect(metrics).to.match(/^freshchain_ingest_oldest_pending_seconds (\d+\.?\d*)$/m);
        expect(await lettersOf(nodeId), 'an availability error dead-letters nothing').to.deep.equal([]);

        await allow();
        expect(
          await eventually(async () => (await countReadings(db, sensorIds)).rows === 2, 15_000),
          'stored once the database accepts it',
        ).to.equal(true);
        expect(await eventually(async () => (await healthz()).status === 200, 5_000), 'healthy again').to.equal(true);
        expect(await countReadings(db, sensorIds)).to.deep.equal({ rows: 2, distinct: 2 });
      } finally {
        server.close();
      }
    });
  });
});
