import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { insertReadings } from '../../db/telemetry';
import { mktFromReadings } from '../../domain/coldchain/mkt';
import type { Reading } from '../../domain/coldchain/telemetry';
import { applyRetention, DEFAULT_RETENTION, mktForWindow, refreshRollups, runTelemetryMaintenance } from '../../iot-ingest/maintenance';
import { requireDb } from '../support/stack';
import { registerSensors } from '../support/telemetry';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface RollupRow { bucket: Date; min_c: number; max_c: number; avg_c: number; n: string; sum_arrhenius: number }

// A fridge-like series: a seeded sawtooth plus noise, one reading every `stepMs`.
function series(sensorId: string, start: number, count: number, stepMs: number, seed: number): Reading[] {
  let x = seed;
  const rand = () => ((x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  return Array.from({ length: count }, (_, i) => ({
    sensorId, assetId: 'a', nodeId: 'n', ts: start + i * stepMs,
    tempC: 3 + 1.5 * Math.sin(i / 17) + (rand() - 0.5) * 2 + (i % 97 === 0 ? 6 : 0),
    humidityPct: null, doorOpen: null, batteryPct: null, defrost: null, seq: i,
  }));
}

async function insert(db: Db, readings: Reading[]): Promise<void> {
  await db.transaction((c) => insertReadings(c, readings));
}

async function rollup(db: Db, table: 'sensor_readings_1m' | 'sensor_readings_1h', sensorId: string): Promise<RollupRow[]> {
  return db.query<RollupRow>(`SELECT bucket, min_c, max_c, avg_c, n, sum_arrhenius FROM ${table} WHERE sensor_id = $1 ORDER BY bucket`, [sensorId]);
}

// Expected rollup rows computed in JS from the readings themselves.
function expectedBuckets(readings: Reading[], bucketMs: number) {
  const groups = new Map<number, number[]>();
  for (const r of readings) {
    const b = Math.floor(r.ts / bucketMs) * bucketMs;
    groups.set(b, [...(groups.get(b) ?? []), r.tempC]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([bucket, temps]) => ({
    bucket, min: Math.min(...temps), max: Math.max(...temps), avg: temps.reduce((a, t) => a + t, 0) / temps.length, n: temps.length,
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

describe('telemetry maintenance: rollups, MKT, retention (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('builds 1-minute and 1-hour rollups from raw readings, and MKT from them matches MKT from the raw series', async () => {
    const { sensorIds: [s] } = await registerSensors(db, 1);
    const t0 = Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR;
    const readings = series(s!, t0, 720, 10_000, 11); // 2 h at 10 s
    await insert(db, readings);

    const results = await refreshRollups(db, { from: new Date(t0), to: new Date(t0 + 2 * HOUR) });
    expect(results.map((r) => r.level)).to.deep.equal(['1m', '1h']);
    expect(results[0]!.written).to.be.at.least(120);

    const minute = await rollup(db, 'sensor_readings_1m', s!);
    expect(minute).to.have.length(120);
    expectMatches(minute, expectedBuckets(readings, MIN));
    const hour = await rollup(db, 'sensor_readings_1h', s!);
    expect(hour).to.have.length(2);
    expectMatches(hour, expectedBuckets(readings, HOUR));

    // Evenly spaced readings: the count-weighted rollup MKT equals the time-weighted MKT.
    const fromRaw = mktFromReadings(readings, { endTs: t0 + 2 * HOUR });
    const fromRollup = await mktForWindow(db, s!, new Date(t0), new Date(t0 + 2 * HOUR));
    expect(fromRaw).to.be.a('number');
    expect(fromRollup.readings).to.equal(720);
    expect(fromRollup.buckets).to.equal(120);
    expect(fromRollup.mktC).to.be.closeTo(fromRaw!, 1e-6);
    // MKT weighs warm periods more than the mean does: the spikes pull it above the average.
    const mean = readings.reduce((a, r) => a + r.tempC, 0) / readings.length;
    expect(fromRollup.mktC!).to.be.greaterThan(mean);

    // A sub-window: the first hour only.
    const firstHour = await mktForWindow(db, s!, new Date(t0), new Date(t0 + HOUR));
    expect(firstHour.mktC).to.be.closeTo(mktFromReadings(readings.slice(0, 360), { endTs: t0 + HOUR })!, 1e-6);
    expect(await mktForWindow(db, s!, new Date(t0 - HOUR), new Date(t0))).to.deep.equal({ mktC: null, readings: 0, buckets: 0 });
  });

  it('refreshes idempotently, only over whole buckets, and picks up late readings', async () => {
    const { sensorIds: [s] } = await registerSensors(db, 1);
    // An hour 100–300 days back that no other test writes to, so "nothing changed" is exact.
    const t0 = Math.floor((Date.now() - (100 + Math.random() * 200) * DAY) / HOUR) * HOUR;
    const readings = series(s!, t0, 360, 10_000, 5); // 1 h
    await insert(db, readings);

    // A window starting and ending mid-minute covers only the whole minutes inside it, and no hour.
    const partial = await refreshRollups(db, { from: new Date(t0 + 30_000), to: new Date(t0 + 5 * MIN + 30_000) });
    expect(partial.map((r) => [r.level, r.from.getTime(), r.to.getTime()])).to.deep.equal([['1m', t0 + MIN, t0 + 5 * MIN]]);
    expect((await rollup(db, 'sensor_readings_1m', s!)).map((r) => r.bucket.getTime())).to.deep.equal([1, 2, 3, 4].map((i) => t0 + i * MIN));
    expect(await rollup(db, 'sensor_readings_1h', s!)).to.have.length(0);

    await refreshRollups(db, { from: new Date(t0), to: new Date(t0 + HOUR) });
    const first = await rollup(db, 'sensor_readings_1m', s!);
    const firstHour = await rollup(db, 'sensor_readings_1h', s!);
    expect(first).to.have.length(60);
    expect(firstHour).to.have.length(1);

    const again = await refreshRollups(db, { from: new Date(t0), to: new Date(t0 + HOUR) });
    expect(await rollup(db, 'sensor_readings_1m', s!)).to.deep.equal(first);
    expect(await rollup(db, 'sensor_readings_1h', s!)).to.deep.equal(firstHour);
    expect(again.map((r) => r.written)).to.deep.equal([0, 0]);

    // A late reading (a gateway flushing its buffer) inside minute 7 changes that minute and the hour.
    const late: Reading = { ...readings[0]!, ts: t0 + 7 * MIN + 5_000, tempC: 11.5, seq: 9999 };
    await insert(db, [late]);
    await refreshRollups(db, { from: new Date(t0), to: new Date(t0 + HOUR) });
    const after = await rollup(db, 'sensor_readings_1m', s!);
    const changed = after.filter((r, i) => JSON.stringify(r) !== JSON.stringify(first[i]));
    expect(changed.map((r) => r.bucket.getTime())).to.deep.equal([t0 + 7 * MIN]);
    expect(changed[0]!.max_c).to.equal(11.5);
    expect(Number(changed[0]!.n)).to.equal(7);
    const hourAfter = await rollup(db, 'sensor_readings_1h', s!);
    expect(Number(hourAfter[0]!.n)).to.equal(361);
    expect(hourAfter[0]!.max_c).to.equal(Math.max(firstHour[0]!.max_c, 11.5));
  });

  it('runs a maintenance pass: trailing windows refreshed, summary returned', async () => {
    const { sensorIds: [s] } = await registerSensors(db, 1);
    const now = new Date(Math.floor(Date.now() / MIN) * MIN - 10 * MIN + 20_000);
    const readings = series(s!, now.getTime() - 2 * HOUR, 720, 10_000, 3);
    await insert(db, readings);
    const summary = await runTelemetryMaintenance(db, now);
    const oneMinute = summary.refreshed.find((r) => r.level === '1m')!;
    expect(new Date(oneMinute.to).getTime()).to.equal(Math.floor(now.getTime() / MIN) * MIN);
    expect(new Date(oneMinute.from).getTime()).to.equal(Math.ceil((now.getTime() - 3 * HOUR) / MIN) * MIN);
    expect(oneMinute.written).to.be.at.least(119);
    // Every whole minute before `now` is there; the minute in progress at `now` is not.
    const minute = await rollup(db, 'sensor_readings_1m', s!);
    const last = minute[minute.length - 1]!.bucket.getTime();
    expect(last).to.equal(Math.floor(now.getTime() / MIN) * MIN - MIN);
    expect(minute.reduce((a, r) => a + Number(r.n), 0)).to.equal(readings.filter((r) => r.ts < last + MIN).length);
    expect(summary.dropped).to.have.keys(['sensor_readings', 'sensor_readings_1m', 'sensor_readings_1h']);
    await expectRejected(runTelemetryMaintenance(db, now, { retention: { ...DEFAULT_RETENTION, rawDays: 1 } }));
  });

  it('retention drops chunks older than each limit and keeps recent rows', async () => {
    const { sensorIds: [s] } = await registerSensors(db, 1);
    const now = new Date();
    const oldStart = Math.floor((now.getTime() - 500 * DAY) / HOUR) * HOUR;
    const recentStart = Math.floor((now.getTime() - 2 * HOUR) / HOUR) * HOUR;
    await insert(db, [...series(s!, oldStart, 60, 60_000, 1), ...series(s!, recentStart, 60, 60_000, 2)]);
    await refreshRollups(db, { from: new Date(oldStart), to: new Date(oldStart + HOUR) });
    await refreshRollups(db, { from: new Date(recentStart), to: new Date(recentStart + HOUR) });
    const count = async (table: string, from: number, to: number) =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE sensor_id = $1 AND ${table === 'sensor_readings' ? 'ts' : 'bucket'} >= $2 AND ${table === 'sensor_readings' ? 'ts' : 'bucket'} < $3`, [s, new Date(from), new Date(to)]))[0]!.n);
    expect(await count('sensor_readings', oldStart, oldStart + HOUR)).to.equal(60);
    expect(await count('sensor_readings_1m', oldStart, oldStart + HOUR)).to.equal(60);
    expect(await count('sensor_readings_1h', oldStart, oldStart + HOUR)).to.equal(1);

    const result = await applyRetention(db, DEFAULT_RETENTION, now);
    expect(result.sensor_readings.dropped.length).to.be.at.least(1);
    expect(result.sensor_readings.olderThan.getTime()).to.equal(now.getTime() - 400 * DAY);
    // Raw (400 d) and 1-minute (35 d) rows 500 days old are gone; the 1-hour rollup (3 years) keeps them.
    expect(await count('sensor_readings', oldStart, oldStart + HOUR)).to.equal(0);
    expect(await count('sensor_readings_1m', oldStart, oldStart + HOUR)).to.equal(0);
    expect(await count('sensor_readings_1h', oldStart, oldStart + HOUR)).to.equal(1);
    expect(await count('sensor_readings', recentStart, recentStart + HOUR)).to.equal(60);
    expect(await count('sensor_readings_1m', recentStart, recentStart + HOUR)).to.equal(60);
    expect(await count('sensor_readings_1h', recentStart, recentStart + HOUR)).to.equal(1);
    // Nothing left to drop.
    const second = await applyRetention(db, DEFAULT_RETENTION, now);
    expect(second.sensor_readings.dropped).to.deep.equal([]);
  });
});

async function expectRejected(p: Promise<unknown>): Promise<void> {
  let failed = false;
  await p.catch(() => (failed = true));
  expect(failed, 'expected a rejection').to.equal(true);
}
