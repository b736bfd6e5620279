// Telemetry maintenance on top of TimescaleDB's own policies. Compression, retention and the
// continuous aggregates' trailing refreshes are jobs inside the database (migrations 003/090);
// this adds what they leave out: a reading that arrives after its bucket left the refresh
// policy's window (a gateway flushing a long offline buffer) reaches the aggregates on the next
// maintenance run, through a refresh over an older window that recomputes only the buckets
// such readings invalidated. Idempotent and cheap when nothing arrived late.
import type { Db } from '../db/pool';
import { AGGREGATE_BUCKET_MS, minuteMktSums, refreshAggregate } from '../db/telemetry-maintenance';
import type { AggregateLevel } from '../db/telemetry-maintenance';
import { mktFromSums } from '../domain/coldchain/mkt';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** How long each table keeps its data, in days: the retention policies migration 090 sets. */
export const RETENTION_DAYS = Object.freeze({ raw: 400, '1m': 35, '1h': 1095 });

/**
 * The late-reading refresh of each level, as [how long ago it starts, how long ago it ends]:
 * it ends where the refresh policy's window starts (3 h, 3 days) and starts 30 days back, inside
 * the 1-minute aggregate's retention (a refresh there would materialise dropped buckets again)
 * and far inside the raw retention (a refresh over dropped raw chunks would empty buckets).
 */
export const LATE_REFRESH_MS: Readonly<Record<AggregateLevel, { startAgo: number; endAgo: number }>> = Object.freeze({
  '1m': { startAgo: 30 * DAY_MS, endAgo: 3 * HOUR_MS },
  '1h': { startAgo: 30 * DAY_MS, endAgo: 3 * DAY_MS },
});

/** Start of the bucket containing `t`. Buckets are aligned to the epoch, as time_bucket does. */
export function bucketFloor(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs) * bucketMs;
}

/** The late-reading refresh window of a level at `now`, on bucket boundaries. */
export function lateRefreshWindow(level: AggregateLevel, now: Date): { from: Date; to: Date } {
  const size = AGGREGATE_BUCKET_MS[level];
  const w = LATE_REFRESH_MS[level];
  return {
    from: new Date(bucketFloor(now.getTime() - w.startAgo, size)),
    to: new Date(bucketFloor(now.getTime() - w.endAgo, size)),
  };
}

/** Make the aggregates hold every reading stored in [from, to) (e.g. after a dead-letter replay). */
export async function refreshAggregates(db: Db, from: Date, to: Date): Promise<void> {
  for (const level of ['1m', '1h'] as const) {
    const size = AGGREGATE_BUCKET_MS[level];
    // Whole buckets: TimescaleDB refreshes only buckets the window covers entirely.
    await refreshAggregate(
      db,
      level,
      new Date(bucketFloor(from.getTime(), size)),
      new Date(bucketFloor(to.getTime(), size) + size),
    );
  }
}

/** What one maintenance run did. */
export interface TelemetryMaintenanceSummary {
  now: string;
  refreshed: { level: AggregateLevel; from: string; to: string }[];
  durationMs: number;
}

/** One maintenance run: the late-reading refresh of each aggregate. */
export async function runTelemetryMaintenance(db: Db, now: Date = new Date()): Promise<TelemetryMaintenanceSummary> {
  const started = Date.now();
  const refreshed: TelemetryMaintenanceSummary['refreshed'] = [];
  for (const level of ['1m', '1h'] as const) {
    const w = lateRefreshWindow(level, now);
    await refreshAggregate(db, level, w.from, w.to);
    refreshed.push({ level, from: w.from.toISOString(), to: w.to.toISOString() });
  }
  return { now: now.toISOString(), refreshed, durationMs: Date.now() - started };
}

/** Mean kinetic temperature of one sensor over [from, to), from its 1-minute aggregate. */
export interface WindowMkt {
  /** MKT in °C; null when the window holds no readings. */
  mktC: number | null;
  readings: number;
  buckets: number;
}

/**
 * MKT over the 1-minute buckets that start in [from, to), from their additive sums:
 * T_mk = 10000 / −ln(Σ sum_arrhenius / Σ n) − 273.15. Each reading weighs the same, which
 * equals the time-weighted MKT when the sensor reports at a regular interval. The aggregate is
 * real-time, so the current minute is included.
 */
export async function mktForWindow(db: Db, sensorId: string, from: Date, to: Date): Promise<WindowMkt> {
  const sums = await minuteMktSums(db, sensorId, from, to);
  return { mktC: mktFromSums([sums]), readings: sums.readings, buckets: sums.buckets };
}
