import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { assetChart, assetMktSums, insertReadings } from '../../db/telemetry';
import { mktFromReadings } from '../../domain/coldchain/mkt';
import type { Reading } from '../../domain/coldchain/telemetry';
import {
  LATE_REFRESH_MS,
  mktForWindow,
  refreshAggregates,
  runTelemetryMaintenance,
} from '../../iot-ingest/maintenance';
import { requireDb } from '../support/stack';
import { registerSensors } from '../support/telemetry';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface RollupRow {
  bucket: Date;
  min_c: number;
  max_c: number;
  avg_c: number;
  n: string;
  sum_arrhenius: number;
}

// A fridge-like series: a seeded sawtooth plus noise, one reading every `stepMs`.
function series(sensorId: string, start: number, count: number, stepMs: number, seed: number): Reading[] {
  let x = seed;
  const rand = () => (x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, (_, i) => ({
    sensorId,
    assetId: 'a',
    nodeId: 'n',
    ts: start + i * stepMs,
    tempC: 3 + 1.5 * Math.sin(i / 17) + (rand() - 0.5) * 2 + (i % 97 === 0 ? 6 : 0),
    humidityPct: null,
    doorOpen: null,
    batteryPct: null,
    defrost: null,
    seq: i,
  }));
}

async function insert(db: Db, readings: Reading[]): Promise<void> {
  await db.transaction((c) => insertReadings(c, readings));
}

async function rollup(
  db: Db,
  table: 'sensor_readings_1m' | 'sensor_readings_1h',
  sensorId: string,
): Promise<RollupRow[]> {
  return db.query<RollupRow>(
    `SELECT bucket, min_c, max_c, avg_c, n, sum_arrhenius FROM ${table} WHERE sensor_id = $1 ORDER BY bucket`,
    [sensorId],
  );
}

// Expected rollup rows computed in JS from the readings themselves.
function expectedBuckets(readings: Reading[], bucketMs: number) {
  const groups = new Map<number, number[]>();
  for (const r of readings) {
    const b = Math.floor(r.ts / bucketMs) * bucketMs;
    groups.set(b, [...(groups.get(b) ?? []), r.tempC]);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bucket, temps]) => ({
      bucket,
      min: Math.min(...temps),
      max: Math.max(...temps),
      avg: temps.reduce((a, t) => a + t, 0) / temps.length,
      n: temps.length,
    }));
}

function expectMatches(rows: RollupRow[], expected: ReturnType<typeof expectedBuckets>): void {
  expect(rows.map((r) => r.bucket.getTime())).to.deep.equal(expected.map((e) => e.bucket));
  rows.forEach((r, i) => {
    const e = expected[i]!;
    expect(r.min_c).to.equal(e.min);
    expect(r.max_c).to.equal(e.max);
    expect(r.avg_c).to.be.closeTo(e.avg, 1e-9);
    expect(Number(r.n)).to.equal(e.n);
  });
}

describe('telemetry maintenance: continuous aggregates, late readings, MKT (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('the aggregates match the raw readings, MKT from them matches MKT from the raw series, and the current minute is there before any refresh', async () => {
    const {
      assetId,
      sensorIds: [s],
    } = await registerSensors(db, 1);
    const t0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
    const readings = series(s!, t0, 720, 10_000, 11); // 2 h at 10 s
    await insert(db, readings);
    // What the refresh policies do within their period (1 min, 30 min).
    await refreshAggregates(db, new Date(t0), new Date(t0 + 2 * HOUR));

    expectMatches(await rollup(db, 'sensor_readings_1m', s!), expectedBuckets(readings, MIN));
    expectMatches(await rollup(db, 'sensor_readings_1h', s!), expectedBuckets(readings, HOUR));

    // Evenly spaced readings: the count-weighted MKT equals the time-weighted MKT.
    const fromRaw = mktFromReadings(readings, { endTs: t0 + 2 * HOUR });
    const fromAggregate = await mktForWindow(db, s!, new Date(t0), new Date(t0 + 2 * HOUR));
    expect(fromRaw).to.be.a('number');
    expect(fromAggregate.readings).to.equal(720);
    expect(fromAggregate.buckets).to.equal(120);
    expect(fromAggregate.mktC).to.be.closeTo(fromRaw!, 1e-6);
    const mean = readings.reduce((a, r) => a + r.tempC, 0) / readings.length;
    expect(fromAggregate.mktC!).to.be.greaterThan(mean);
    expect(await mktForWindow(db, s!, new Date(t0 - HOUR), new Date(t0))).to.deep.equal({
      mktC: null,
      readings: 0,
      buckets: 0,
    });

    // The chart and the asset's MKT sums read the aggregates and equal the raw computation.
    const chart = await assetChart(db, assetId, new Date(t0), new Date(t0 + 2 * HOUR), '1m');
    expect(chart).to.have.length(120);
    const rawChart = await assetChart(db, assetId, new Date(t0), new Date(t0 + 2 * HOUR), '1m', 'sensor_readings');
    expect(chart.map((b) => [b.bucket.getTime(), b.minC, b.maxC, b.n])).to.deep.equal(
      rawChart.map((b) => [b.bucket.getTime(), b.minC, b.maxC, b.n]),
    );
    chart.forEach((b, i) => expect(b.avgC).to.be.closeTo(rawChart[i]!.avgC, 1e-9));
    const [sums] = await assetMktSums(db, assetId, new Date(t0), new Date(t0 + 2 * HOUR));
    const [rawSums] = await assetMktSums(db, assetId, new Date(t0), new Date(t0 + 2 * HOUR), 'sensor_readings');
    expect(sums!.readings).to.equal(720);
    expect(sums!.sumArrhenius).to.be.closeTo(rawSums!.sumArrhenius, 1e-12 * rawSums!.sumArrhenius);

    // Real-time: readings newer than anything materialised (the next hour, ahead of every
    // refresh) come from raw rows at query time.
    const {
      sensorIds: [live],
    } = await registerSensors(db, 1);
    const minute = Math.floor(Date.now() / HOUR) * HOUR + HOUR + MIN;
    const current = series(live!, minute, 6, 10_000, 3);
    await insert(db, current);
    expectMatches(await rollup(db, 'sensor_readings_1m', live!), expectedBuckets(current, MIN));
    expectMatches(await rollup(db, 'sensor_readings_1h', live!), expectedBuckets(current, HOUR));
  });

  it('a reading that arrives after its bucket was materialised reaches the aggregates on the next maintenance run, and a second run changes nothing', async () => {
    const {
      sensorIds: [s],
    } = await registerSensors(db, 1);
    // Ten days back: older than both refresh policies' windows, inside the late-reading refresh.
    const t0 = Math.floor((Date.now() - 10 * DAY) / HOUR) * HOUR;
    const first = series(s!, t0, 360, 10_000, 5); // 1 h at 10 s
    await insert(db, first);
    await refreshAggregates(db, new Date(t0), new Date(t0 + HOUR));
    expectMatches(await rollup(db, 'sensor_readings_1m', s!), expectedBuckets(first, MIN));

    // A gateway flushes its buffer: the same hour at 5 s offsets, and a warm spike.
    const late = series(s!, t0 + 5_000, 360, 10_000, 9).map((r, i) => (i === 100 ? { ...r, tempC: 14 } : r));
    await insert(db, late);
    const before = await rollup(db, 'sensor_readings_1m', s!);
    expect(
      before.reduce((a, r) => a + Number(r.n), 0),
      'materialised buckets do not see late readings by themselves',
    ).to.equal(360);

    const summary = await runTelemetryMaintenance(db, new Date());
    expect(summary.refreshed.map((r) => r.level)).to.deep.equal(['1m', '1h']);
    const all = [...first, ...late];
    expectMatches(await rollup(db, 'sensor_readings_1m', s!), expectedBuckets(all, MIN));
    expectMatches(await rollup(db, 'sensor_readings_1h', s!), expectedBuckets(all, HOUR));
    const after = await rollup(db, 'sensor_readings_1m', s!);
    await runTelemetryMaintenance(db, new Date());
    expect(await rollup(db, 'sensor_readings_1m', s!)).to.deep.equal(after);
    expect(LATE_REFRESH_MS['1m'].startAgo).to.be.greaterThan(10 * DAY + HOUR);
  });
});
