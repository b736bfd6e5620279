import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { DeadLetter, Reading } from '../domain/coldchain/telemetry';
import { storableLetter } from '../domain/coldchain/telemetry';
import { inTransaction, onOneClient, rowsOf } from './pool';
import type { Queryable } from './pool';
import type { PoolClient } from 'pg';

/** A registered sensor as the ingester needs it. */
export interface SensorRecord {
  sensorId: string;
  assetId: string;
  nodeId: string;
  band: string;
  active: boolean;
}

const SENSOR_RECORDS = `SELECT s.id AS "sensorId", s.asset_id AS "assetId", s.node_id AS "nodeId", a.band, s.active
  FROM sensors s JOIN assets a ON a.id = s.asset_id`;

/** Every sensor with its asset's band. */
export async function loadSensors(db: Queryable): Promise<SensorRecord[]> {
  return rowsOf<SensorRecord>(db, SENSOR_RECORDS);
}

/** The sensors among these ids that are registered (active or not). */
export async function loadSensorsById(db: Queryable, ids: readonly string[]): Promise<SensorRecord[]> {
  return rowsOf<SensorRecord>(db, `${SENSOR_RECORDS} WHERE s.id = ANY($1)`, [ids]);
}

/**
 * Insert readings in one statement through unnest (one bind parameter per column, so no
 * 65,535-parameter cap); a reading already stored (same sensor and ts) is skipped, which makes
 * QoS 1 redelivery harmless. Returns the number of rows actually inserted. `copyReadings` is
 * cheaper when no reading of the batch is stored yet.
 */
export async function insertReadings(client: Queryable, readings: readonly Reading[]): Promise<number> {
  if (readings.length === 0) return 0;
  const n = readings.length;
  const sensor = new Array<string>(n),
    ts = new Array<string>(n),
    temp = new Array<number>(n);
  const hum = new Array<number | null>(n),
    door = new Array<boolean | null>(n),
    batt = new Array<number | null>(n);
  const defrost = new Array<boolean | null>(n),
    seq = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    sensor[i] = r.sensorId;
    ts[i] = new Date(r.ts).toISOString();
    temp[i] = r.tempC;
    hum[i] = r.humidityPct;
    door[i] = r.doorOpen;
    batt[i] = r.batteryPct;
    defrost[i] = r.defrost;
    seq[i] = r.seq;
  }
  const res = await client.query(
    `INSERT INTO sensor_readings (sensor_id, ts, temp_c, humidity_pct, door_open, battery_pct, defrost, seq)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::real[], $5::bool[], $6::real[], $7::bool[], $8::bigint[])
     ON CONFLICT (sensor_id, ts) DO NOTHING`,
    [sensor, ts, temp, hum, door, batt, defrost, seq],
  );
  return res.rowCount ?? 0;
}

/** A text-format COPY field: NULL as \\N, and the characters COPY gives meaning to escaped. */
function copyField(v: string | number | boolean | null): string {
  if (v === null) return '\\N';
  if (typeof v !== 'string') return String(v);
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : v;
}

/**
 * Write readings with COPY: the cheapest way into the hypertable for the server and the client
 * (no array literals to build and parse). COPY cannot skip conflicts, so a batch holding a
 * stored reading fails with 23505 as a whole; the caller then writes it again with
 * `insertReadings`, which skips what is stored.
 */
export async function copyReadings(q: Queryable, readings: readonly Reading[]): Promise<number> {
  if (readings.length === 0) return 0;
  const text = copyText(readings);
  // COPY streams over one connection: the caller's client, or one checked out for it.
  return inTransaction(q, (client) => copyOn(client, text));
}

/**
 * `copyReadings` as one statement on its own: the COPY is its own (implicit) transaction, all
 * rows or none, so the BEGIN and COMMIT round trips of an explicit one are saved. For a batch
 * that writes nothing else; readings and dead letters that must commit together use
 * `copyReadings` inside `db.transaction`.
 */
export async function copyReadingsAlone(q: Queryable, readings: readonly Reading[]): Promise<number> {
  if (readings.length === 0) return 0;
  const text = copyText(readings);
  return onOneClient(q, (client) => copyOn(client, text));
}

/** The readings as COPY's text format, one line each. */
function copyText(readings: readonly Reading[]): string {
  let text = '';
  for (const r of readings) {
    text +=
      `${copyField(r.sensorId)}\t${new Date(r.ts).toISOString()}\t${r.tempC}\t${copyField(r.humidityPct)}\t${copyField(r.doorOpen)}\t` +
      `${copyField(r.batteryPct)}\t${copyField(r.defrost)}\t${copyField(r.seq)}\n`;
  }
  return text;
}

async function copyOn(client: PoolClient, text: string): Promise<number> {
  const copy = client.query(
    copyFrom(
      'COPY sensor_readings (sensor_id, ts, temp_c, humidity_pct, door_open, battery_pct, defrost, seq) FROM STDIN',
    ),
  );
  await pipeline(Readable.from([text]), copy);
  return Number(copy.rowCount);
}

/**
 * Store dead letters with their raw bytes, so nothing the broker handed over is lost. Every
 * text value is made storable here as well as in the parser: one NUL in a text column fails
 * the statement, and with it the batch of every other sender.
 */
export async function insertDeadLetters(client: Queryable, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const clean = letters.map(storableLetter);
  await client.query(
    `INSERT INTO ingest_dead_letters (topic, reason, detail, sensor_id, raw, raw_size)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::int[])`,
    [
      clean.map((l) => l.topic),
      clean.map((l) => l.reason),
      clean.map((l) => l.detail),
      clean.map((l) => l.sensorId ?? null),
      clean.map((l) => (l.raw === undefined ? null : Buffer.from(l.raw.buffer, l.raw.byteOffset, l.raw.byteLength))),
      clean.map((l) => l.rawSize ?? null),
    ],
  );
}

/** Register nodes, assets and sensors (idempotent); used by seeding, the simulator and tests. */
export async function upsertSensorNetwork(
  db: Queryable,
  net: {
    nodes: {
      id: string;
      kind: 'front' | 'store';
      name: string;
      lat: number;
      lng: number;
      radiusKm: number;
      zones: string[];
    }[];
    assets: { id: string; nodeId: string; kind: string; band: string }[];
    sensors: { id: string; assetId: string; nodeId: string }[];
  },
): Promise<void> {
  await inTransaction(db, async (c) => {
    if (net.nodes.length)
      await c.query(
        `INSERT INTO nodes (id, kind, name, lat, lng, service_radius_km, zones)
         SELECT id, kind, name, lat, lng, r, string_to_array(z, ',') FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::text[])
           AS t(id, kind, name, lat, lng, r, z)
         ON CONFLICT (id) DO NOTHING`,
        [
          net.nodes.map((n) => n.id),
          net.nodes.map((n) => n.kind),
          net.nodes.map((n) => n.name),
          net.nodes.map((n) => n.lat),
          net.nodes.map((n) => n.lng),
          net.nodes.map((n) => n.radiusKm),
          net.nodes.map((n) => n.zones.join(',')),
        ],
      );
    if (net.assets.length)
      await c.query(
        `INSERT INTO assets (id, node_id, kind, band) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (id) DO UPDATE SET band = EXCLUDED.band`,
        [
          net.assets.map((a) => a.id),
          net.assets.map((a) => a.nodeId),
          net.assets.map((a) => a.kind),
          net.assets.map((a) => a.band),
        ],
      );
    if (net.sensors.length)
      await c.query(
        `INSERT INTO sensors (id, asset_id, node_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (id) DO NOTHING`,
        [net.sensors.map((s) => s.id), net.sensors.map((s) => s.assetId), net.sensors.map((s) => s.nodeId)],
      );
  });
}

/** A dead letter of a reading whose sensor was unknown when it arrived, waiting for a replay. */
export interface PendingUnknownReading {
  id: number;
  topic: string;
  raw: Buffer | null;
}

/**
 * Unknown-sensor dead letters not replayed yet, in arrival order (received_at, then id: ids of
 * concurrent batches interleave), optionally of some sensors or since a time. Pages follow
 * the letter `afterId`; its received_at is read in SQL, at full microsecond precision.
 */
export async function pendingUnknownReadings(
  db: Queryable,
  f: { sensorIds?: readonly string[]; since?: Date; afterId?: number; limit: number },
): Promise<PendingUnknownReading[]> {
  return rowsOf<PendingUnknownReading>(
    db,
    // bigserial read as float8: exact up to 2^53, where ::int failed past 2^31 letters.
    `SELECT id::float8 AS id, topic, raw FROM ingest_dead_letters
      WHERE reason = 'unknown_sensor' AND replayed_at IS NULL
        AND ($1::bigint IS NULL OR (received_at, id) > (SELECT received_at, id FROM ingest_dead_letters WHERE id = $1))
        AND ($2::text[] IS NULL OR sensor_id = ANY($2)) AND ($3::timestamptz IS NULL OR received_at >= $3)
      ORDER BY received_at, id LIMIT $4`,
    [f.afterId ?? null, f.sensorIds ?? null, f.since ?? null, f.limit],
  );
}

/** Store replayed readings (skipping any already stored) and mark their letters, in one transaction. */
export async function storeReplayed(
  db: Queryable,
  stored: { letterIds: number[]; readings: Reading[] },
  notes: { id: number; note: string }[],
): Promise<number> {
  return inTransaction(db, async (c) => {
    const inserted = await insertReadings(c, stored.readings);
    if (stored.letterIds.length) {
      await c.query(`UPDATE ingest_dead_letters SET replayed_at = now(), replay_note = 'stored' WHERE id = ANY($1)`, [
        stored.letterIds,
      ]);
    }
    if (notes.length) {
      await c.query(
        'UPDATE ingest_dead_letters d SET replay_note = n.note FROM unnest($1::bigint[], $2::text[]) AS n(id, note) WHERE d.id = n.id',
        [notes.map((n) => n.id), notes.map((n) => n.note)],
      );
    }
    return inserted;
  });
}

// ---------------------------------------------------------------------------------------------
// Charts and MKT from the continuous aggregates (migration 003/090). Both are real-time: the
// current, not yet materialised bucket comes from raw readings, so nothing recent is missing.

/** One bucket of a sensor's temperature chart. */
export interface ChartBucket {
  sensorId: string;
  bucket: Date;
  minC: number;
  maxC: number;
  avgC: number;
  n: number;
}

/** Where a chart or MKT is computed from: the aggregates, or raw readings of a hypertable (figures compare both). */
export type TelemetrySource = 'aggregate' | 'sensor_readings' | 'bench_readings_plain';

const CHART_FROM_AGGREGATE = (view: string) =>
  `SELECT sensor_id AS "sensorId", bucket, min_c AS "minC", max_c AS "maxC", avg_c AS "avgC", n::float8 AS n
     FROM ${view} WHERE sensor_id IN (SELECT id FROM sensors WHERE asset_id = $1) AND bucket >= $2 AND bucket < $3
    ORDER BY 1, 2`;
const CHART_FROM_READINGS = (table: string, width: string) =>
  `SELECT sensor_id AS "sensorId", time_bucket(INTERVAL '${width}', ts) AS bucket, min(temp_c) AS "minC", max(temp_c) AS "maxC",
          avg(temp_c) AS "avgC", count(*)::float8 AS n
     FROM ${table} WHERE sensor_id IN (SELECT id FROM sensors WHERE asset_id = $1) AND ts >= $2 AND ts < $3
    GROUP BY 1, 2 ORDER BY 1, 2`;

/**
 * An asset's temperature chart over [from, to): min, max, mean and count per sensor and hour
 * (`1h`, for days to months) or minute (`1m`, for hours). `from` and `to` should be on bucket
 * boundaries; a bucket is included when it starts in the window.
 */
export async function assetChart(
  db: Queryable,
  assetId: string,
  from: Date,
  to: Date,
  width: '1m' | '1h' = '1h',
  source: TelemetrySource = 'aggregate',
): Promise<ChartBucket[]> {
  const sql =
    source === 'aggregate'
      ? CHART_FROM_AGGREGATE(width === '1h' ? 'sensor_readings_1h' : 'sensor_readings_1m')
      : CHART_FROM_READINGS(source, width === '1h' ? '1 hour' : '1 minute');
  return rowsOf<ChartBucket>(db, sql, [assetId, from, to]);
}

/** Additive MKT sums of one asset's sensors over [from, to). */
export interface AssetMktSums {
  sensorId: string;
  readings: number;
  sumArrhenius: number;
}

/**
 * The MKT sums of each sensor of an asset over the minutes starting in [from, to) (minute
 * boundaries): from the 1-minute aggregate, or the same sums straight from raw readings.
 */
export async function assetMktSums(
  db: Queryable,
  assetId: string,
  from: Date,
  to: Date,
  source: TelemetrySource = 'aggregate',
): Promise<AssetMktSums[]> {
  const sql =
    source === 'aggregate'
      ? `SELECT sensor_id AS "sensorId", sum(n)::float8 AS readings, sum(sum_arrhenius) AS "sumArrhenius"
         FROM sensor_readings_1m WHERE sensor_id IN (SELECT id FROM sensors WHERE asset_id = $1) AND bucket >= $2 AND bucket < $3
        GROUP BY 1 ORDER BY 1`
      : `SELECT sensor_id AS "sensorId", count(*)::float8 AS readings, sum(exp(-10000.0 / (temp_c + 273.15))) AS "sumArrhenius"
         FROM ${source} WHERE sensor_id IN (SELECT id FROM sensors WHERE asset_id = $1)
          AND ts >= $2 AND ts < $3
        GROUP BY 1 ORDER BY 1`;
  return rowsOf<AssetMktSums>(db, sql, [assetId, from, to]);
}

// ---------------------------------------------------------------------------------------------
// Figures (bench/timescale.ts): the same readings in an uncompressed hypertable beside ours.

/** Make `bench_readings_plain`: sensor_readings' columns and unique index, a hypertable never compressed. */
export async function createPlainReadingsTable(db: Queryable): Promise<void> {
  await rowsOf(db, 'DROP TABLE IF EXISTS bench_readings_plain');
  await rowsOf(db, 'CREATE TABLE bench_readings_plain (LIKE sensor_readings INCLUDING DEFAULTS INCLUDING INDEXES)');
  await rowsOf(db, `SELECT create_hypertable('bench_readings_plain', by_range('ts', INTERVAL '1 day'))`);
}

export async function dropPlainReadingsTable(db: Queryable): Promise<void> {
  await rowsOf(db, 'DROP TABLE IF EXISTS bench_readings_plain');
}

/** COPY readings into the uncompressed bench table (same format as copyReadings). */
export async function copyPlainReadings(q: Queryable, readings: readonly Reading[]): Promise<number> {
  let text = '';
  for (const r of readings) text += `${copyField(r.sensorId)}\t${new Date(r.ts).toISOString()}\t${r.tempC}\n`;
  // COPY streams over one connection: the caller's client, or one checked out for it.
  return inTransaction(q, async (client) => {
    const copy = client.query(copyFrom('COPY bench_readings_plain (sensor_id, ts, temp_c) FROM STDIN'));
    await pipeline(Readable.from([text]), copy);
    return Number(copy.rowCount);
  });
}

/** Compress every chunk of sensor_readings that lies inside [from, to); returns how many were compressed. */
export async function compressReadingChunks(db: Queryable, from: Date, to: Date): Promise<number> {
  const rows = await rowsOf<{ chunk: string }>(
    db,
    `SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, if_not_compressed => true)::text AS chunk
       FROM timescaledb_information.chunks
      WHERE hypertable_name = 'sensor_readings' AND range_start >= $1 AND range_end <= $2`,
    [from, to],
  );
  return rows.length;
}

/** Bytes (heap, indexes, TOAST) of the readings in [from, to): sensor_readings' compressed chunks and the plain table. */
export async function readingStorage(
  db: Queryable,
  from: Date,
  to: Date,
): Promise<{ compressedBytes: number; uncompressedBytesBefore: number; plainBytes: number; chunks: number }> {
  const rows = await rowsOf<{ after: string | null; before: string | null; plain: string | null; chunks: string }>(
    db,
    `SELECT sum(s.after_compression_total_bytes) AS after, sum(s.before_compression_total_bytes) AS before, count(*) AS chunks,
            (SELECT hypertable_size('bench_readings_plain')) AS plain
       FROM chunk_compression_stats('sensor_readings') s
       JOIN timescaledb_information.chunks c ON c.chunk_schema = s.chunk_schema AND c.chunk_name = s.chunk_name
      WHERE c.hypertable_name = 'sensor_readings' AND c.range_start >= $1 AND c.range_end <= $2 AND s.compression_status = 'Compressed'`,
    [from, to],
  );
  const r = rows[0];
  return {
    compressedBytes: Number(r?.after ?? 0),
    uncompressedBytesBefore: Number(r?.before ?? 0),
    plainBytes: Number(r?.plain ?? 0),
    chunks: Number(r?.chunks ?? 0),
  };
}

/** Remove a bench's readings (its sensor ids start with `prefix`) from sensor_readings. */
export async function deleteReadingsOfSensors(db: Queryable, prefix: string): Promise<void> {
  await inTransaction(db, async (c) => {
    // A bench's month is millions of compressed rows: past TimescaleDB's default cap (100,000)
    // on rows one statement may decompress.
    await c.query('SET LOCAL timescaledb.max_tuples_decompressed_per_dml_transaction = 0');
    await c.query("DELETE FROM sensor_readings WHERE sensor_id LIKE $1 || '%'", [prefix]);
  });
}
