// SQL of the telemetry maintenance: rollup refresh, retention, MKT sums from the rollups.
//
// Debian's TimescaleDB is the Apache-2 build (no continuous aggregates, no retention
// policies), so migration 003@apache made `sensor_readings_1m` / `sensor_readings_1h` plain
// hypertables, and iot-ingest/maintenance.ts keeps them up to date with these statements.
import type { MktSums } from '../domain/coldchain/mkt';
import type { Db } from './pool';

/** A rollup level: its table and bucket width. */
export type RollupLevel = '1m' | '1h';

/** Bucket width of each rollup level, in ms. */
export const ROLLUP_BUCKET_MS: Readonly<Record<RollupLevel, number>> = { '1m': 60_000, '1h': 3_600_000 };

// Fixed identifiers (never user input), so interpolating them into SQL is safe.
const ROLLUP_TABLE: Readonly<Record<RollupLevel, string>> = { '1m': 'sensor_readings_1m', '1h': 'sensor_readings_1h' };
const ROLLUP_INTERVAL: Readonly<Record<RollupLevel, string>> = { '1m': '1 minute', '1h': '1 hour' };

/** The hypertables retention applies to. */
export type TelemetryHypertable = 'sensor_readings' | 'sensor_readings_1m' | 'sensor_readings_1h';

/** Rows a rollup refresh wrote. */
export interface RollupRefreshResult {
  level: RollupLevel;
  /** Start of the first bucket refreshed (inclusive). */
  from: Date;
  /** End of the last bucket refreshed (exclusive). */
  to: Date;
  /** Buckets inserted or changed; an unchanged bucket is not rewritten and not counted. */
  written: number;
}

/**
 * Recompute the buckets of one rollup level whose start lies in [from, to) from the raw
 * readings. The caller passes bucket-aligned bounds, so every bucket is computed from all its
 * rows. A bucket whose values did not change is left alone (no dead tuple, no WAL), which
 * makes a repeated refresh cheap; "did not change" allows for the last-bit noise of float sums,
 * whose order depends on the plan (avg and sum_arrhenius can differ by an ulp between runs). Buckets without raw rows in the window are never deleted:
 * a refresh cannot erase history whose raw rows retention has dropped.
 */
export async function refreshRollup(db: Db, level: RollupLevel, from: Date, to: Date): Promise<RollupRefreshResult> {
  if (!(from < to)) return { level, from, to, written: 0 };
  const table = ROLLUP_TABLE[level];
  const rows = await db.query<{ written: string }>(
    `WITH upserted AS (
       INSERT INTO ${table} AS r (sensor_id, bucket, min_c, max_c, avg_c, n, sum_arrhenius)
       SELECT sensor_id, time_bucket(INTERVAL '${ROLLUP_INTERVAL[level]}', ts) AS bucket,
              min(temp_c), max(temp_c), avg(temp_c), count(*), sum(exp(-10000.0 / (temp_c + 273.15)))
         FROM sensor_readings
        WHERE ts >= $1 AND ts < $2
        GROUP BY sensor_id, bucket
       ON CONFLICT (sensor_id, bucket) DO UPDATE
          SET min_c = EXCLUDED.min_c, max_c = EXCLUDED.max_c, avg_c = EXCLUDED.avg_c,
              n = EXCLUDED.n, sum_arrhenius = EXCLUDED.sum_arrhenius
        WHERE r.n <> EXCLUDED.n OR r.min_c <> EXCLUDED.min_c OR r.max_c <> EXCLUDED.max_c
           OR abs(r.avg_c - EXCLUDED.avg_c) > 1e-9 * greatest(1, abs(EXCLUDED.avg_c))
           OR abs(r.sum_arrhenius - EXCLUDED.sum_arrhenius) > 1e-12 * abs(EXCLUDED.sum_arrhenius)
       RETURNING 1)
     SELECT count(*) AS written FROM upserted`,
    [from, to],
  );
  return { level, from, to, written: Number(rows[0]?.written ?? 0) };
}

/**
 * Drop the chunks of a hypertable whose whole time range is older than `olderThan`
 * (TimescaleDB's drop_chunks, available in the Apache-2 build). Returns the chunks dropped.
 */
export async function dropChunksOlderThan(db: Db, table: TelemetryHypertable, olderThan: Date): Promise<string[]> {
  const rows = await db.query<{ chunk: string }>('SELECT drop_chunks($1::regclass, older_than => $2::timestamptz) AS chunk', [table, olderThan]);
  return rows.map((r) => r.chunk);
}

/** MKT sums of one sensor's 1-minute buckets starting in [from, to), plus how much data they hold. */
export async function minuteMktSums(db: Db, sensorId: string, from: Date, to: Date): Promise<MktSums & { readings: number; buckets: number }> {
  const rows = await db.query<{ n: string | null; s: number | null; buckets: string }>(
    `SELECT sum(n) AS n, sum(sum_arrhenius) AS s, count(*) AS buckets
       FROM sensor_readings_1m WHERE sensor_id = $1 AND bucket >= $2 AND bucket < $3`,
    [sensorId, from, to],
  );
  const r = rows[0];
  const readings = Number(r?.n ?? 0);
  // Each reading weighs 1 in the rollup, so the weight is the reading count.
  return { sumWeight: readings, sumArrhenius: r?.s ?? 0, readings, buckets: Number(r?.buckets ?? 0) };
}
