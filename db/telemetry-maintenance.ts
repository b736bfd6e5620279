// SQL of the telemetry maintenance: late-reading refreshes of the continuous aggregates, the
// policy jobs TimescaleDB runs, and MKT sums from the 1-minute aggregate.
//
// The aggregates (`sensor_readings_1m`, `sensor_readings_1h`, migration 003/090) are refreshed
// by their policies over a trailing window; compression and retention are policies too. What is
// left to us is a reading that arrives after its bucket left the policy's window (a gateway
// flushing a long offline buffer): TimescaleDB logs its invalidation, and a refresh over an
// older window materialises just the invalidated buckets.
import type { MktSums } from '../domain/coldchain/mkt';
import { rowsOf } from './pool';
import type { Queryable } from './pool';

/** An aggregate level: its continuous aggregate and bucket width. */
export type AggregateLevel = '1m' | '1h';

/** Bucket width of each aggregate level, in ms. */
export const AGGREGATE_BUCKET_MS: Readonly<Record<AggregateLevel, number>> = { '1m': 60_000, '1h': 3_600_000 };

/** The continuous aggregate of each level (fixed identifiers, never user input). */
export const AGGREGATE_VIEW: Readonly<Record<AggregateLevel, string>> = {
  '1m': 'sensor_readings_1m',
  '1h': 'sensor_readings_1h',
};

/**
 * Refresh one continuous aggregate over [from, to): TimescaleDB recomputes the buckets inside
 * the window that raw writes invalidated since the last refresh (none: nearly free). The window
 * must stay inside the raw retention: a refresh over dropped raw chunks empties those buckets.
 * Runs outside a transaction (TimescaleDB refuses one), so pass the pool, not a client.
 */
export async function refreshAggregate(db: Queryable, level: AggregateLevel, from: Date, to: Date): Promise<void> {
  await rowsOf(db, 'CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)', [
    AGGREGATE_VIEW[level],
    from,
    to,
  ]);
}

/** A background job TimescaleDB runs for the telemetry tables. */
export interface TelemetryJob {
  jobId: number;
  /** policy_compression, policy_retention, policy_refresh_continuous_aggregate. */
  proc: string;
  /** sensor_readings, or the aggregate (view) the job serves. */
  relation: string;
  config: Record<string, unknown>;
  scheduleInterval: string;
}

/** The policy jobs on readings and on their continuous aggregates. */
export async function telemetryJobs(db: Queryable): Promise<TelemetryJob[]> {
  return rowsOf<TelemetryJob>(
    db,
    `SELECT j.job_id AS "jobId", j.proc_name AS proc, coalesce(ca.view_name, j.hypertable_name) AS relation,
            j.config, j.schedule_interval::text AS "scheduleInterval"
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.continuous_aggregates ca
              ON ca.materialization_hypertable_name = j.hypertable_name
      WHERE j.hypertable_name = 'sensor_readings' OR ca.view_name IN ('sensor_readings_1m', 'sensor_readings_1h')
      ORDER BY j.job_id`,
  );
}

/** MKT sums of one sensor's 1-minute buckets starting in [from, to), plus how much data they hold. */
export async function minuteMktSums(
  db: Queryable,
  sensorId: string,
  from: Date,
  to: Date,
): Promise<MktSums & { readings: number; buckets: number }> {
  const rows = await rowsOf<{ n: string | null; s: number | null; buckets: string }>(
    db,
    `SELECT sum(n) AS n, sum(sum_arrhenius) AS s, count(*) AS buckets
       FROM sensor_readings_1m WHERE sensor_id = $1 AND bucket >= $2 AND bucket < $3`,
    [sensorId, from, to],
  );
  const r = rows[0];
  const readings = Number(r?.n ?? 0);
  // Each reading weighs 1 in the aggregate, so the weight is the reading count.
  return { sumWeight: readings, sumArrhenius: r?.s ?? 0, readings, buckets: Number(r?.buckets ?? 0) };
}
