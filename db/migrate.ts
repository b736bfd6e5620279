import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import type { Db } from './pool';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
// Some TimescaleDB statements (continuous aggregates) refuse to run inside a transaction.
const NO_TRANSACTION = /^--\s*migrate:no-transaction/m;
// Any constant works; it only has to be the same for every process that migrates.
const ADVISORY_LOCK_KEY = 7_204_311;

/**
 * One versioned SQL file: `NNN_name.sql`, or `NNN_name@apache.sql` / `NNN_name@timescale.sql`
 * when the Apache-2 and community builds of TimescaleDB need different SQL for one version.
 */
export interface Migration { version: number; name: string; sql: string; license?: TimescaleLicense }

/** The TimescaleDB build a server runs: Apache-2 only, or with community (TSL) features. */
export type TimescaleLicense = 'apache' | 'timescale';

/** The migrations shipped with the code, in version order (all variants). */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .map((f) => /^(\d+)_[\w-]+(?:@(apache|timescale))?\.sql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      version: Number(m[1]),
      name: m[0],
      sql: readFileSync(join(dir, m[0]), 'utf8'),
      license: m[2] as TimescaleLicense | undefined,
    }))
    .sort((a, b) => a.version - b.version);
}

/** The migrations to run on a server of the given licence: shared ones plus matching variants. */
export function migrationsFor(all: Migration[], license: TimescaleLicense): Migration[] {
  return all.filter((m) => m.license === undefined || m.license === license);
}

async function timescaleLicense(client: PoolClient): Promise<TimescaleLicense> {
  // The extension must exist before its GUC is readable; 001 creates it on first run.
  await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  const { rows } = await client.query<{ license: string | null }>("SELECT current_setting('timescaledb.license', true) AS license");
  return rows[0]?.license === 'timescale' ? 'timescale' : 'apache';
}

/** Split a no-transaction file into statements at lines that end with `;`. */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
}

/**
 * Apply pending migrations, once, whatever the number of processes starting together
 * (an advisory lock serialises them). Returns the names applied.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const license = await timescaleLicense(client);
    for (const m of migrationsFor(migrations, license)) {
      if (done.has(m.version)) continue;
      try {
        if (NO_TRANSACTION.test(m.sql)) {
          for (const s of statements(m.sql)) await client.query(s);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        } else {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
