import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { startIngester } from '../../iot-ingest/ingester';
import type { IngesterHandle } from '../../iot-ingest/ingester';
import { requireDb, requireMqtt, suiteTopics, testLogger, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';

const ROOT = join(__dirname, '../..');

/** The summary line `npm run simulate` prints. */
interface SimSummary {
  prefix: string;
  sensors: number;
  messages: number;
  readings: number;
  dead_letters: Record<string, number>;
  offline_skipped: number;
  fault_targets?: Record<string, string[]>;
}

/** Run the simulator CLI as `npm run simulate` would, and return its summary line. */
function simulate(args: string[]): Promise<SimSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'demo/simulate-main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0) resolve(JSON.parse(line) as SimSummary);
      else reject(new Error(`simulator exited with ${code}: ${out}`));
    });
  });
}

async function stored(db: Db, prefix: string): Promise<{ rows: number; distinct: number; sensors: number }> {
  const r = await db.query<{ rows: string; distinct: string; sensors: string }>(
    `SELECT count(*) AS rows, count(DISTINCT (sensor_id, ts)) AS distinct, count(DISTINCT sensor_id) AS sensors
       FROM sensor_readings WHERE sensor_id LIKE $1`,
    [`${prefix}-%`],
  );
  return { rows: Number(r[0]!.rows), distinct: Number(r[0]!.distinct), sensors: Number(r[0]!.sensors) };
}

async function deadLetters(db: Db, prefix: string): Promise<Record<string, number>> {
  const rows = await db.query<{ reason: string; n: string }>(
    // Distinct payloads: another test's ingester running meanwhile (its own share group) would
    // record the same dead letters again; each simulated bad payload is unique (ts, seq).
    `SELECT reason, count(DISTINCT (topic, raw)) AS n FROM ingest_dead_letters WHERE topic LIKE $1 OR topic LIKE $2 GROUP BY reason`,
    [`${suiteTopics.root}/telemetry/${prefix}-%`, `${suiteTopics.root}/batch/${prefix}-%`],
  );
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('telemetry simulator → broker → ingester (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let ingester: IngesterHandle;

  before(async () => {
    db = await requireDb();
    (await requireMqtt('device')).end(true);
    // An in-process ingester with a share group of its own: it alone takes these messages.
    const shareGroup = uniqueId('gsim').replace(/[^A-Za-z0-9_-]/g, '');
    const cfg = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'silent',
      MQTT_SHARE_GROUP: shareGroup,
    });
    ingester = await startIngester(
      cfg,
      { db, logger: testLogger },
      { sessions: 8, clientIdPrefix: uniqueId('ingSim'), sessionExpirySeconds: 30 },
    );
  });
  after(async () => {
    await ingester?.stop();
    await db?.close();
  });

  it('single readings: everything valid is stored once, garbage and skewed readings are dead-lettered, offline sensors send nothing', async () => {
    const prefix = uniqueId('sim');
    const summary = await simulate([
      '--sensors',
      '12',
      '--nodes',
      '2',
      '--vans',
      '1',
      '--rate-hz',
      '5',
      '--duration-s',
      '4',
      '--seed',
      '11',
      '--faults',
      'garbage,skew,offline,excursion',
      '--fault-start-s',
      '1',
      '--fault-duration-s',
      '2',
      '--register',
      '--prefix',
      prefix,
    ]);
    expect(summary.sensors).to.equal(12);
    // 12 sensors × 5 Hz × 4 s, give or take a reading per sensor at the edges.
    expect(summary.messages + summary.offline_skipped).to.be.within(12 * 19, 12 * 21);
    expect(summary.offline_skipped, 'one sensor offline for 2 s at 5 Hz').to.be.within(9, 11);
    expect(summary.dead_letters.clock_skew, 'one skewed sensor for 2 s').to.be.greaterThan(0);
    const garbage =
      (summary.dead_letters.malformed_json ?? 0) +
      (summary.dead_letters.schema_violation ?? 0) +
      (summary.dead_letters.impossible_value ?? 0);
    expect(garbage).to.be.greaterThan(0);

    // Exact counts follow: on a timeout they show what is missing.
    await eventually(
      async () =>
        (await stored(db, prefix)).rows >= summary.readings &&
        total(await deadLetters(db, prefix)) >= total(summary.dead_letters),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const rows = await stored(db, prefix);
    expect(rows).to.deep.equal({ rows: summary.readings, distinct: summary.readings, sensors: 12 });
    expect(await deadLetters(db, prefix)).to.deep.equal(summary.dead_letters);
    const offline = summary.fault_targets!.offline![0]!;
    const gap = await db.query<{ gap_ms: number }>(
      `SELECT max(extract(epoch FROM ts - prev) * 1000)::float8 AS gap_ms
         FROM (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM sensor_readings WHERE sensor_id = $1) t`,
      [offline],
    );
    expect(gap[0]!.gap_ms, 'the offline sensor has a hole of about 2 s').to.be.within(1800, 2400);
  });

  it('gateway batches: valid items stored, bad items dead-lettered one by one', async () => {
    const prefix = uniqueId('simb');
    const summary = await simulate([
      '--sensors',
      '20',
      '--nodes',
      '2',
      '--vans',
      '2',
      '--rate-hz',
      '4',
      '--duration-s',
      '3',
      '--batch',
      '10',
      '--seed',
      '5',
      '--faults',
      'garbage,skew',
      '--fault-start-s',
      '0.5',
      '--fault-duration-s',
      '2',
      '--register',
      '--prefix',
      prefix,
    ]);
    expect(summary.messages).to.be.lessThan(summary.readings);
    // Exact counts follow: on a timeout they show what is missing.
    await eventually(
      async () =>
        (await stored(db, prefix)).rows >= summary.readings &&
        total(await deadLetters(db, prefix)) >= total(summary.dead_letters),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const rows = await stored(db, prefix);
    expect(rows.rows).to.equal(summary.readings);
    expect(rows.distinct).to.equal(summary.readings);
    expect(rows.sensors).to.equal(20);
    const letters = await deadLetters(db, prefix);
    expect(letters).to.deep.equal(summary.dead_letters);
    expect(Object.keys(letters).sort()).to.include.members(['clock_skew']);
    expect(letters.malformed_json ?? 0, 'items are judged one by one').to.equal(0);
  });
});
