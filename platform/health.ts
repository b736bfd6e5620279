import type { MqttClient } from 'mqtt';
import type { Db } from '../db/pool';
import type { TemporalHandle } from './temporal';
import { temporalHealth } from './temporal';

/** One dependency's state, as /healthz reports it. */
export interface DependencyHealth { ok: boolean; detail: string }

/** The dependencies a process can report on; absent ones are not checked. */
export interface HealthDeps {
  db?: Db;
  temporal?: { handle: TemporalHandle; namespace: string };
  mqtt?: MqttClient;
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref())]);
}

/** Check every dependency concurrently; `ok` only when all are. */
export async function checkHealth(deps: HealthDeps): Promise<{ ok: boolean; checks: Record<string, DependencyHealth> }> {
  const checks: Record<string, DependencyHealth> = {};
  const tasks: Promise<void>[] = [];
  if (deps.db) {
    const db = deps.db;
    tasks.push(
      withTimeout(db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"), 'TimescaleDB')
        .then((rows) => {
          checks.timescaledb = rows[0] ? { ok: true, detail: `timescaledb ${rows[0].extversion}` } : { ok: false, detail: 'timescaledb extension missing' };
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
    checks.mqtt = deps.mqtt.connected ? { ok: true, detail: 'broker connected' } : { ok: false, detail: 'broker not connected' };
  }
  await Promise.all(tasks);
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
