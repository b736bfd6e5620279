// Telemetry maintenance for the Apache-2 build of TimescaleDB, which has no continuous
// aggregates and no retention policies: refresh the rollup hypertables over a trailing window,
// then drop expired chunks. Meant to run from a Temporal Schedule every few minutes; every
// step is idempotent, so an overlapping or repeated run is harmless.
import type { Db } from '../db/pool';
import { dropChunksOlderThan, minuteMktSums, refreshRollup, ROLLUP_BUCKET_MS } from '../db/telemetry-maintenance';
import type { RollupLevel, RollupRefreshResult, TelemetryHypertable } from '../db/telemetry-maintenance';
import { mktFromSums } from '../domain/coldchain/mkt';

const DAY_MS = 86_400_000;

/** How long each hypertable keeps its data, in days. */
export interface RetentionPolicy {
  /** Raw readings: in-transit temperature records are kept 12 months, plus a margin. */
  rawDays: number;
  minuteDays: number;
  hourDays: number;
}

/** Retention defaults: raw 400 days, 1-minute rollup 35 days, 1-hour rollup 3 years. */
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({ rawDays: 400, minuteDays: 35, hourDays: 1095 });

/**
 * Trailing refresh windows, in ms before `now`. They end far inside the raw retention, so a
 * refresh only ever sees buckets whose raw rows are all still there. Readings that arrive
 * later than the window (a gateway flushing a long offline buffer) are stored but reach the
 * rollups only through an explicit `refreshRollups` over their period.
 */
export const DEFAULT_REFRESH_WINDOWS_MS: Readonly<Record<RollupLevel, number>> = Object.freeze({ '1m': 3 * 3_600_000, '1h': 3 * DAY_MS });

/** Start of the bucket containing `t`. Buckets are aligned to the epoch, as time_bucket does. */
export function bucketFloor(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs) * bucketMs;
}

/**
 * The whole buckets inside [from, to): start rounded up, end rounded down, so a bucket is
 * refreshed only when the window covers all of it (an in-progress bucket waits for the next run).
 */
export function wholeBuckets(from: Date, to: Date, bucketMs: number): { from: Date; to: Date } | null {
  const start = Math.ceil(from.getTime() / bucketMs) * bucketMs;
  const end = bucketFloor(to.getTime(), bucketMs);
  return start < end ? { from: new Date(start), to: new Date(end) } : null;
}

/** Recompute the 1-minute and 1-hour rollups for the whole buckets in [from, to) from raw readings. */
export async function refreshRollups(db: Db, window: { from: Date; to: Date; levels?: readonly RollupLevel[] }): Promise<RollupRefreshResult[]> {
  const out: RollupRefreshResult[] = [];
  for (const level of window.levels ?? (['1m', '1h'] as const)) {
    const w = wholeBuckets(window.from, window.to, ROLLUP_BUCKET_MS[level]);
    if (w) out.push(await refreshRollup(db, level, w.from, w.to));
  }
  return out;
}

/** Chunks dropped per hypertable, and the cut-off used. */
export type RetentionResult = Record<TelemetryHypertable, { olderThan: Date; dropped: string[] }>;

/** Drop the chunks of each telemetry hypertable that are entirely older than its retention. */
export async function applyRetention(db: Db, policy: RetentionPolicy = DEFAULT_RETENTION, now: Date = new Date()): Promise<RetentionResult> {
  const days: Record<TelemetryHypertable, number> = {
    sensor_readings: policy.rawDays,
    sensor_readings_1m: policy.minuteDays,
    sensor_readings_1h: policy.hourDays,
  };
  for (const [table, d] of Object.entries(days)) {
    if (!(d > 0)) throw new RangeError(`retention for ${table} must be a positive number of days, got ${d}`);
  }
  const result = {} as RetentionResult;
  for (const table of Object.keys(days) as TelemetryHypertable[]) {
    const olderThan = new Date(now.getTime() - days[table] * DAY_MS);
    result[table] = { olderThan, dropped: await dropChunksOlderThan(db, table, olderThan) };
  }
  return result;
}

/** What one maintenance run did. */
export interface TelemetryMaintenanceSummary {
  now: string;
  refreshed: { level: RollupLevel; from: string; to: string; written: number }[];
  dropped: Record<TelemetryHypertable, number>;
  durationMs: number;
}

/**
 * One maintenance run: refresh each rollup over its trailing window (whole buckets ending at
 * or before `now`), then apply retention. Returns a JSON-friendly summary for the schedule's
 * history.
 */
export async function runTelemetryMaintenance(
  db: Db,
  now: Date = new Date(),
  opts: { retention?: RetentionPolicy; windowsMs?: Readonly<Record<RollupLevel, number>> } = {},
): Promise<TelemetryMaintenanceSummary> {
  const started = Date.now();
  const windows = opts.windowsMs ?? DEFAULT_REFRESH_WINDOWS_MS;
  const retention = opts.retention ?? DEFAULT_RETENTION;
  // Rollups outlive raw data by design; a refresh window reaching past raw retention would
  // recompute buckets from a partly dropped chunk range and shrink them.
  const widest = Math.max(...Object.values(windows));
  if (retention.rawDays * DAY_MS <= widest) throw new RangeError(`raw retention (${retention.rawDays} d) must exceed the widest refresh window (${widest} ms)`);
  const refreshed: TelemetryMaintenanceSummary['refreshed'] = [];
  for (const level of ['1m', '1h'] as const) {
    const from = new Date(now.getTime() - windows[level]);
    for (const r of await refreshRollups(db, { from, to: now, levels: [level] })) {
      refreshed.push({ level: r.level, from: r.from.toISOString(), to: r.to.toISOString(), written: r.written });
    }
  }
  const applied = await applyRetention(db, retention, now);
  const dropped = {} as Record<TelemetryHypertable, number>;
  for (const [table, r] of Object.entries(applied) as [TelemetryHypertable, RetentionResult[TelemetryHypertable]][]) dropped[table] = r.dropped.length;
  return { now: now.toISOString(), refreshed, dropped, durationMs: Date.now() - started };
}

/** Mean kinetic temperature of one sensor over [from, to), from its 1-minute rollup. */
export interface WindowMkt {
  /** MKT in °C; null when the window holds no readings. */
  mktC: number | null;
  readings: number;
  buckets: number;
}

/**
 * MKT over the 1-minute buckets that start in [from, to), from their additive sums:
 * T_mk = 10000 / −ln(Σ sum_arrhenius / Σ n) − 273.15. Each reading weighs the same, which
 * equals the time-weighted MKT when the sensor reports at a regular interval.
 */
export async function mktForWindow(db: Db, sensorId: string, from: Date, to: Date): Promise<WindowMkt> {
  const sums = await minuteMktSums(db, sensorId, from, to);
  return { mktC: mktFromSums([sums]), readings: sums.readings, buckets: sums.buckets };
}
