import { Pool } from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { Logger } from '../platform/logger';

/**
 * What every db/ function runs its statements on: the app's Db, a pg Pool, or a pooled client
 * (inside a transaction). All three answer `query` with `rows` and `rowCount`, so one function
 * serves a route (the Db), a caller's transaction (its client) and a batch job alike.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** Rows of a statement run on the Db: an array of rows that also carries `rows` and `rowCount` as pg's result does. */
export type QueryRows<R> = R[] & { readonly rows: R[]; readonly rowCount: number | null };

/** A pool plus the helpers every query module uses. */
export interface Db extends Queryable {
  readonly pool: Pool;
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryRows<R>>;
  /** Run fn in one transaction on one client; rolled back on any error. */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Run a statement and return its rows. */
export async function rowsOf<R extends QueryResultRow = QueryResultRow>(
  q: Queryable,
  text: string,
  params?: unknown[],
): Promise<R[]> {
  return (await q.query<R>(text, params)).rows;
}

const isDb = (q: Queryable): q is Db =>
  typeof (q as Partial<Db>).transaction === 'function' && (q as Partial<Db>).pool instanceof Pool;

/**
 * Run fn in one transaction: a new one on a Db or a Pool; on a client, the transaction that
 * client is in (its caller's), so statements composed from several db/ functions commit together.
 */
export async function inTransaction<T>(
  q: Queryable,
  fn: (client: PoolClient) => Promise<T>,
  logger?: Logger,
): Promise<T> {
  if (isDb(q)) return q.transaction(fn);
  if (q instanceof Pool) return transactionOn(q, fn, logger);
  return fn(q as PoolClient);
}

/**
 * Run fn on one connection without opening a transaction: a client checked out of a Db's or a
 * Pool's pool for it (each statement then commits on its own), or the caller's client as it is.
 */
export async function onOneClient<T>(q: Queryable, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const pool = isDb(q) ? q.pool : q instanceof Pool ? q : undefined;
  if (!pool) return fn(q as PoolClient);
  const client = await pool.connect();
  // A server gone while the client is checked out errors it outside any statement; without a
  // listener that would crash the process. The statement in flight fails and the caller sees that.
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    return await fn(client);
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

async function transactionOn<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>, logger?: Logger): Promise<T> {
  const client = await pool.connect();
  // A server that goes away between two statements errors the checked-out client outside
  // any query; without a listener that would crash the process. The query in flight (or
  // the next one) fails anyway and the caller sees that.
  const onError = (err: Error) => logger?.warn({ err: err.message }, 'database connection lost in a transaction');
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
}

/** pg's rows as QueryRows: the array callers iterate, with `rows` and `rowCount` beside it (not enumerable). */
function asQueryRows<R>(rows: R[], rowCount: number | null): QueryRows<R> {
  Object.defineProperty(rows, 'rows', { value: rows, enumerable: false });
  Object.defineProperty(rows, 'rowCount', { value: rowCount, enumerable: false });
  return rows as QueryRows<R>;
}

/** Create the pool. Idle-client errors (a restarted server) are logged, never thrown. */
export function createDb(opts: {
  connectionString?: string;
  max?: number;
  logger?: Logger;
  applicationName?: string;
}): Db {
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
      return asQueryRows(result.rows, result.rowCount);
    },
    transaction: <T>(fn: (client: PoolClient) => Promise<T>) => transactionOn(pool, fn, opts.logger),
    close: () => pool.end(),
  };
}
