import { Pool } from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { Logger } from '../platform/logger';

/** A pool plus the helpers every query module uses. */
export interface Db {
  readonly pool: Pool;
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** Run fn in one transaction on one client; rolled back on any error. */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Create the pool. Idle-client errors (a restarted server) are logged, never thrown. */
export function createDb(opts: { connectionString?: string; max?: number; logger?: Logger; applicationName?: string }): Db {
  const pool = new Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'freshchain',
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'idle database client failed'));
  return {
    pool,
    async query<R extends QueryResultRow>(text: string, params?: unknown[]) {
      const result = await pool.query<R>(text, params);
      return result.rows;
    },
    async transaction<T>(fn: (client: PoolClient) => Promise<T>) {
      const client = await pool.connect();
      // A server that goes away between two statements errors the checked-out client outside
      // any query; without a listener that would crash the process. The query in flight (or
      // the next one) fails anyway and the caller sees that.
      const onError = (err: Error) => opts.logger?.warn({ err: err.message }, 'database connection lost in a transaction');
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const value = await fn(client);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.off('error', onError);
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
