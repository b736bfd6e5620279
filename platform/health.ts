import type { MqttClient } from 'mqtt';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { TemporalHandle } from './temporal';
import { temporalHealth } from './temporal';

/** One dependency's (or one component's) state, as /healthz reports it. */
export interface DependencyHealth {
  ok: boolean;
  detail: string;
  progress?: ProgressSnapshot;
}

/** The dependencies a process can report on; absent ones are not checked. */
export interface HealthDeps {
  /**
   * Asks the database for its TimescaleDB version (db/extensions.ts `timescaleProbe`): null when
   * the extension is missing. A function, not a pool, so this module names no SQL and no db/.
   */
  timescaleVersion?: () => Promise<string | null>;
  temporal?: { handle: TemporalHandle; namespace: string };
  mqtt?: MqttClient;
  /**
   * Components that work through a stream (the ingester, the alert evaluator, a worker): each
   * is reported under its name and makes the process degraded when it is stuck. A connected
   * database and broker say nothing about whether work gets done.
   */
  progress?: ProgressProbe[];
}

/** What a component working through a stream of units (messages, readings, tasks) says about its progress. */
export interface ProgressSnapshot {
  /** Units taken and not finished yet (ingest: MQTT messages not acknowledged). */
  pending: number;
  /** Age of the oldest unfinished unit, ms; null when none is pending. */
  oldestPendingMs: number | null;
  /** Time since the last unit of progress (ingest: the last commit), ms; null before the first. */
  sinceProgressMs: number | null;
  /** Failed attempts of what is being retried now (ingest: the current batch); 0 when nothing fails. */
  retryAttempts: number;
}

/** A component's progress, read on demand by /healthz and /metrics. */
export interface ProgressProbe {
  readonly name: string;
  /** A unit pending longer than this makes the component (and /healthz) degraded. */
  readonly stuckAfterMs: number;
  snapshot(): ProgressSnapshot;
  /** Why the component cannot progress whatever its units say (a stopped worker, a failed poller); null when nothing blocks it. */
  blocked?(): string | null;
}

/** Default for `stuckAfterMs`: far above a normal write, below a keepalive timeout's patience. */
export const DEFAULT_STUCK_AFTER_MS = 30_000;

/**
 * Tracks units of work for a `ProgressProbe`: `begin()` when a unit is taken (call the
 * function it returns when the unit is finished, however it ends), `progressed()` when work
 * was durably done, `failed(attempt)` when an attempt failed and will be retried.
 */
export class ProgressTracker implements ProgressProbe {
  // Insertion-ordered: the first entry is the oldest unit still open.
  private readonly open = new Set<{ at: number }>();
  private lastProgressAt: number | null = null;
  private retryAttempts = 0;

  constructor(
    readonly name: string,
    readonly stuckAfterMs = DEFAULT_STUCK_AFTER_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A unit was taken; the returned function finishes it. */
  begin(): () => void {
    const unit = { at: this.clock() };
    this.open.add(unit);
    return () => void this.open.delete(unit);
  }

  /** Work was durably done: the clock of "last progress" restarts and retries are over. */
  progressed(): void {
    this.lastProgressAt = this.clock();
    this.retryAttempts = 0;
  }

  /** An attempt failed and will be retried (attempt counts from 1). */
  failed(attempt: number): void {
    this.retryAttempts = attempt;
  }

  snapshot(): ProgressSnapshot {
    const now = this.clock();
    const oldest = this.open.values().next();
    return {
      pending: this.open.size,
      oldestPendingMs: oldest.done ? null : now - oldest.value.at,
      sinceProgressMs: this.lastProgressAt === null ? null : now - this.lastProgressAt,
      retryAttempts: this.retryAttempts,
    };
  }
}

/** A probe's state for /healthz: degraded once a unit has been pending longer than `stuckAfterMs`. */
export function progressHealth(probe: ProgressProbe): DependencyHealth {
  const p = probe.snapshot();
  const s = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
  const stuck = p.oldestPendingMs !== null && p.oldestPendingMs > probe.stuckAfterMs;
  const blocked = probe.blocked?.() ?? null;
  const detail =
    `${blocked ? `blocked (${blocked})` : stuck ? 'stuck' : 'progressing'}: ${p.pending} pending, oldest ${s(p.oldestPendingMs)} (limit ${s(probe.stuckAfterMs)}), ` +
    `last progress ${p.sinceProgressMs === null ? 'never' : `${s(p.sinceProgressMs)} ago`}, retry attempts ${p.retryAttempts}`;
  return { ok: !stuck && !blocked, detail, progress: p };
}

/**
 * Gauges `<prefix>_pending`, `_oldest_pending_seconds`, `_since_progress_seconds`,
 * `_retry_attempts` and `_stuck` read from a probe at scrape time. Registering again on the
 * same registry replaces the previous probe's gauges.
 */
export function registerProgressMetrics(registry: Registry, probe: ProgressProbe, prefix: string): void {
  const gauge = (suffix: string, help: string, value: (p: ProgressSnapshot) => number) => {
    const name = `${prefix}_${suffix}`;
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(probe.snapshot()));
      },
    });
  };
  gauge('pending', `${probe.name}: units taken and not finished.`, (p) => p.pending);
  gauge(
    'oldest_pending_seconds',
    `${probe.name}: age of the oldest unfinished unit (0 when none).`,
    (p) => (p.oldestPendingMs ?? 0) / 1000,
  );
  gauge('since_progress_seconds', `${probe.name}: time since the last durable progress (-1 before the first).`, (p) =>
    p.sinceProgressMs === null ? -1 : p.sinceProgressMs / 1000,
  );
  gauge('retry_attempts', `${probe.name}: failed attempts of what is being retried now.`, (p) => p.retryAttempts);
  gauge('stuck', `${probe.name}: 1 when a unit has been pending longer than ${probe.stuckAfterMs / 1000} s.`, (p) =>
    p.oldestPendingMs !== null && p.oldestPendingMs > probe.stuckAfterMs ? 1 : 0,
  );
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
    ),
  ]);
}

/** Check every dependency concurrently; `ok` only when all are. */
export async function checkHealth(
  deps: HealthDeps,
): Promise<{ ok: boolean; checks: Record<string, DependencyHealth> }> {
  const checks: Record<string, DependencyHealth> = {};
  const tasks: Promise<void>[] = [];
  if (deps.timescaleVersion) {
    tasks.push(
      withTimeout(deps.timescaleVersion(), 'TimescaleDB')
        .then((version) => {
          checks.timescaledb = version
            ? { ok: true, detail: `timescaledb ${version}` }
            : { ok: false, detail: 'timescaledb extension missing' };
        })
        .catch((err: Error) => void (checks.timescaledb = { ok: false, detail: err.message })),
    );
  }
  if (deps.temporal) {
    const t = deps.temporal;
    tasks.push(
      withTimeout(temporalHealth(t.handle, t.namespace), 'Temporal')
        .then((h) => void (checks.temporal = h))
        .catch((err: Error) => void (checks.temporal = { ok: false, detail: err.message })),
    );
  }
  if (deps.mqtt) {
    checks.mqtt = deps.mqtt.connected
      ? { ok: true, detail: 'broker connected' }
      : { ok: false, detail: 'broker not connected' };
  }
  for (const probe of deps.progress ?? []) checks[probe.name] = progressHealth(probe);
  await Promise.all(tasks);
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
