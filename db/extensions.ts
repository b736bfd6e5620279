// SQL about the database server itself, for health checks.
import { rowsOf } from './pool';
import type { Queryable } from './pool';

/** The installed TimescaleDB extension's version, or null when the extension is missing. */
export async function timescaleVersion(q: Queryable): Promise<string | null> {
  const rows = await rowsOf<{ extversion: string }>(
    q,
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  return rows[0]?.extversion ?? null;
}

/** The health check's question to this database (platform/health.ts `HealthDeps.timescaleVersion`). */
export function timescaleProbe(q: Queryable): () => Promise<string | null> {
  return () => timescaleVersion(q);
}
