import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import type { Db } from './pool';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
// Some TimescaleDB statements (continuous aggregates WITH DATA, refreshes) refuse to run inside a transaction.
const NO_TRANSACTION = /^--\s*migrate:no-transaction/m;
// Any constant works; it only has to be the same for every process that migrates.
const ADVISORY_LOCK_KEY = 7_204_311;

/** One versioned SQL file, `NNN_name.sql`: the same on every server. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d+)_[\w-]+\.sql$/;

/**
 * The migrations shipped with the code, in version order. A `.sql` file that does not match
 * the naming (such as a stale `@apache` variant from before there was one schema) or a version
 * held by two files is an error, not silently skipped.
 */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    const m = MIGRATION_FILE.exec(f);
    if (!m) throw new Error(`migration file ${f} is not named NNN_name.sql`);
    const version = Number(m[1]);
    const clash = out.find((x) => x.version === version);
    if (clash) throw new Error(`migration version ${version} is held by ${clash.name} and ${f}`);
    out.push({ version, name: f, sql: readFileSync(join(dir, f), 'utf8') });
  }
  return out.sort((a, b) => a.version - b.version);
}

/**
 * Migrations rely on TimescaleDB's Timescale-licensed features (compression, continuous
 * aggregates, policies). The Apache-only build (Debian's package) lacks them; say so plainly
 * instead of failing half-way through a migration.
 */
async function requireTimescaleLicense(client: PoolClient): Promise<void> {
  // The extension must exist before its GUC is readable; 001 creates it on first run.
  await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  const { rows } = await client.query<{ license: string | null }>(
    "SELECT current_setting('timescaledb.license', true) AS license",
  );
  const license = rows[0]?.license ?? 'unknown';
  if (license !== 'timescale') {
    throw new Error(
      `TimescaleDB on this server is not the Timescale-licensed build (timescaledb.license = ${license}): ` +
        'compression, continuous aggregates and policies are missing. `npm run setup` builds it for the local stack; ' +
        'elsewhere use the timescale/timescaledb image.',
    );
  }
}

// A dollar-quote opener or closer: $$ or $tag$.
const DOLLAR_QUOTE = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/g;

/**
 * Split a no-transaction file into statements at lines that end with `;`, except inside a
 * dollar-quoted body (a DO block's lines end with `;` too). Pieces holding only comments go.
 */
export function sqlStatements(sql: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let openTag: string | null = null;
  for (const line of sql.split('\n')) {
    current.push(line);
    for (const tag of line.replace(/--.*$/, '').match(DOLLAR_QUOTE) ?? []) {
      if (openTag === null) openTag = tag;
      else if (tag === openTag) openTag = null;
    }
    if (openTag === null && /;\s*$/.test(line)) {
      out.push(current.join('\n').replace(/;\s*$/, ''));
      current = [];
    }
  }
  out.push(current.join('\n'));
  return out.map((s) => s.trim()).filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
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
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    await requireTimescaleLicense(client);
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        if (NO_TRANSACTION.test(m.sql)) {
          for (const s of sqlStatements(m.sql)) await client.query(s);
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
