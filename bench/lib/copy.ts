// The raw bulk-load reference: rows into sensor_readings by COPY (psql's \copy from a CSV file),
// the fastest path into a hypertable. node-postgres alone cannot COPY FROM STDIN without
// pg-copy-streams (not installed), so the client is psql; without psql the fallback is one
// plain `INSERT … SELECT FROM unnest(…)` without ON CONFLICT, and the label says which.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../db/pool';

/** Rows to load: sensor ids and epoch-ms timestamps, one temperature each. */
export interface CopyRows {
  sensorIds: string[];
  ts: number[];
  tempC: number[];
}

/** Which client did the load and how long the load took (excluding building the input). */
export interface CopyResult {
  reference: 'copy' | 'unnest';
  rows: number;
  seconds: number;
  client: string;
}

function findPsql(): string | null {
  for (const candidate of [process.env.PSQL, 'psql'].filter((c): c is string => !!c)) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
}

/** Load the rows by the fastest raw path available and time it. */
export async function rawLoad(db: Db, connectionString: string, rows: CopyRows): Promise<CopyResult> {
  const n = rows.sensorIds.length;
  const psql = findPsql();
  if (psql) {
    const dir = mkdtempSync(join(tmpdir(), 'fc-bench-copy-'));
    try {
      const file = join(dir, 'rows.csv');
      const lines = new Array<string>(n);
      for (let i = 0; i < n; i++)
        lines[i] = `${rows.sensorIds[i]},${new Date(rows.ts[i]!).toISOString()},${rows.tempC[i]}`;
      writeFileSync(file, lines.join('\n') + '\n');
      const version = execFileSync(psql, ['--version'], { encoding: 'utf8' }).trim();
      const started = process.hrtime.bigint();
      execFileSync(
        psql,
        [
          connectionString,
          '-v',
          'ON_ERROR_STOP=1',
          '-qc',
          `\\copy sensor_readings (sensor_id, ts, temp_c) FROM '${file}' WITH (FORMAT csv)`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      return { reference: 'copy', rows: n, seconds: Number(process.hrtime.bigint() - started) / 1e9, client: version };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const started = process.hrtime.bigint();
  await db.query(
    `INSERT INTO sensor_readings (sensor_id, ts, temp_c) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[])`,
    [rows.sensorIds, rows.ts.map((t) => new Date(t).toISOString()), rows.tempC],
  );
  return {
    reference: 'unnest',
    rows: n,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    client: 'node-postgres',
  };
}
