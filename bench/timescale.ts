// TimescaleDB bench: what compression and the continuous aggregates buy on a month of
// cold-chain readings, each figure against the same thing on an uncompressed hypertable holding
// the same rows, measured in the same run. Prints one JSON line.
//   storage  bytes per reading (heap, indexes, TOAST): compressed chunks of sensor_readings
//            vs the same readings in `bench_readings_plain`, never compressed;
//   chart    a 30-day asset chart (hourly min/max/mean per sensor) from sensor_readings_1h
//            vs computed from the raw readings of the plain hypertable;
//   mkt      24-hour MKT sums of an asset from sensor_readings_1m vs from raw readings.
// Readings: a fridge-like series per sensor, 4 sensors per asset, one reading every --every-s,
// over the --days whole days that end yesterday (so every chunk is one the policy would
// compress). The bench's sensors are removed afterwards unless --keep.
//   npm run bench:timescale -- [--sensors 200] [--days 30] [--every-s 60] [--queries 20] [--keep]
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDb } from '../db/pool';
import type { Db } from '../db/pool';
import {
  assetChart,
  assetMktSums,
  compressReadingChunks,
  copyPlainReadings,
  copyReadings,
  createPlainReadingsTable,
  deleteReadingsOfSensors,
  dropPlainReadingsTable,
  readingStorage,
  upsertSensorNetwork,
} from '../db/telemetry';
import type { TelemetrySource } from '../db/telemetry';
import type { Reading } from '../domain/coldchain/telemetry';
import { refreshAggregates } from '../iot-ingest/maintenance';
import { loadAverage1m, machineInfo } from './lib/machine';
import { summarize } from './lib/percentiles';

const DAY = 86_400_000;
const PREFIX = 'bench-ts-';
const SENSORS_PER_ASSET = 4;

interface Options {
  sensors: number;
  days: number;
  everyS: number;
  queries: number;
  keep: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sensors: { type: 'string', default: '200' },
      days: { type: 'string', default: '30' },
      'every-s': { type: 'string', default: '60' },
      queries: { type: 'string', default: '20' },
      keep: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}, got ${v}`);
    return n;
  };
  return {
    sensors: int('sensors', values.sensors, SENSORS_PER_ASSET, 10_000),
    days: int('days', values.days, 2, 120),
    everyS: int('every-s', values['every-s'], 1, 3600),
    queries: int('queries', values.queries, 1, 1000),
    keep: values.keep,
  };
}

// A fridge: a slow sinusoid per sensor, compressor noise, a defrost bump every 6 hours.
function dayOfReadings(sensorId: string, k: number, dayStart: number, everyMs: number): Reading[] {
  const out: Reading[] = [];
  for (let ts = dayStart; ts < dayStart + DAY; ts += everyMs) {
    const noise = Math.sin(ts / 7_919 + k) * 0.3;
    const defrost = ts % (6 * 3_600_000) < 20 * 60_000 ? 4 : 0;
    const tempC = Math.round((3.5 + 1.2 * Math.sin(ts / 3_600_000 + k) + noise + defrost) * 100) / 100;
    out.push({
      sensorId,
      assetId: '',
      nodeId: '',
      ts,
      tempC,
      humidityPct: null,
      doorOpen: null,
      batteryPct: null,
      defrost: null,
      seq: null,
    });
  }
  return out;
}

async function load(db: Db, sensorIds: string[], from: number, days: number, everyMs: number): Promise<number> {
  let rows = 0;
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < sensorIds.length; i += 50) {
      const batch = sensorIds.slice(i, i + 50).flatMap((s, j) => dayOfReadings(s, i + j, from + d * DAY, everyMs));
      rows += await db.transaction((c) => copyReadings(c, batch));
      await db.transaction((c) => copyPlainReadings(c, batch));
    }
  }
  return rows;
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<ReturnType<typeof summarize>> {
  await fn(0); // warm the plan and the buffers once, unmeasured
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return summarize(
    samples.sort((a, b) => a - b),
    2,
  );
}

async function main(): Promise<void> {
  const opt = options(process.argv.slice(2));
  const cfg = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const db = createDb({ connectionString: cfg.db.connectionString, max: 2, applicationName: 'freshchain-bench' });
  const started = Date.now();
  const to = Math.floor(Date.now() / DAY) * DAY - DAY;
  const from = to - opt.days * DAY;
  const assets = Array.from({ length: Math.ceil(opt.sensors / SENSORS_PER_ASSET) }, (_, a) => `${PREFIX}asset${a}`);
  const sensorIds = Array.from({ length: opt.sensors }, (_, i) => `${PREFIX}s${i}`);
  try {
    await upsertSensorNetwork(db, {
      nodes: [
        {
          id: `${PREFIX}node`,
          kind: 'front',
          name: 'bench node',
          lat: 31.2,
          lng: 121.5,
          radiusKm: 3,
          zones: ['chilled'],
        },
      ],
      assets: assets.map((id) => ({ id, nodeId: `${PREFIX}node`, kind: 'fridge', band: 'chilled' })),
      sensors: sensorIds.map((id, i) => ({
        id,
        assetId: assets[Math.floor(i / SENSORS_PER_ASSET)]!,
        nodeId: `${PREFIX}node`,
      })),
    });
    await deleteReadingsOfSensors(db, PREFIX);
    await createPlainReadingsTable(db);

    let t = Date.now();
    const rows = await load(db, sensorIds, from, opt.days, opt.everyS * 1000);
    const loadS = (Date.now() - t) / 1000;
    t = Date.now();
    const chunks = await compressReadingChunks(db, new Date(from), new Date(to));
    const compressS = (Date.now() - t) / 1000;
    t = Date.now();
    await refreshAggregates(db, new Date(from), new Date(to - 1));
    const refreshS = (Date.now() - t) / 1000;
    await db.query('ANALYZE bench_readings_plain');

    const storage = await readingStorage(db, new Date(from), new Date(to));
    const asset = (i: number) => assets[i % assets.length]!;
    const chart = (source: TelemetrySource) => (i: number) =>
      assetChart(db, asset(i), new Date(from), new Date(to), '1h', source);
    const mkt = (source: TelemetrySource) => (i: number) =>
      assetMktSums(db, asset(i), new Date(to - DAY), new Date(to), source);
    const load1 = loadAverage1m();
    const result = {
      bench: 'timescale',
      ...machineInfo(),
      load_1m_before_queries: load1,
      sensors: opt.sensors,
      days: opt.days,
      every_s: opt.everyS,
      readings: rows,
      load_s: loadS,
      compress_s: compressS,
      refresh_aggregates_s: refreshS,
      compressed_chunks: chunks,
      bytes_per_reading_plain: Math.round((storage.plainBytes / rows) * 10) / 10,
      bytes_per_reading_compressed: Math.round((storage.compressedBytes / rows) * 10) / 10,
      compression_ratio: Math.round((storage.plainBytes / storage.compressedBytes) * 10) / 10,
      chart_30d_aggregate_ms: await timed(opt.queries, chart('aggregate')),
      chart_30d_raw_plain_ms: await timed(opt.queries, chart('bench_readings_plain')),
      chart_30d_raw_compressed_ms: await timed(opt.queries, chart('sensor_readings')),
      mkt_24h_aggregate_ms: await timed(opt.queries, mkt('aggregate')),
      mkt_24h_raw_plain_ms: await timed(opt.queries, mkt('bench_readings_plain')),
      load_1m_after_queries: loadAverage1m(),
      total_s: (Date.now() - started) / 1000,
    };
    console.log(JSON.stringify(result));
  } finally {
    if (!opt.keep) {
      // Say so when clean-up fails: the next run would otherwise measure leftovers too.
      const warn = (what: string) => (err: unknown) =>
        console.error(`clean-up: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      await deleteReadingsOfSensors(db, PREFIX).catch(warn(`deleting the ${PREFIX}* readings`));
      await refreshAggregates(db, new Date(from), new Date(to - 1)).catch(warn('refreshing the aggregates'));
      await dropPlainReadingsTable(db).catch(warn('dropping bench_readings_plain'));
    }
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
