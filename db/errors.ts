// What a failed statement means for a writer that retries: the data, or the database.
//
// SQLSTATE classes (PostgreSQL Appendix A): 22 data exception and 23 integrity constraint
// violation are about the rows sent, and sending them again fails again; 08 connection, 53
// insufficient resources, 57 operator intervention (57P01 shutdown, 57014 query cancelled) and
// 40 transaction rollback (40001 serialization, 40P01 deadlock) pass with time.

/** How a writer should treat a failed write. */
export type SqlErrorKind =
  /** 23505: a row is stored already (the caller has a duplicate-skipping path). */
  | 'duplicate'
  /** The rows themselves are refused (classes 22, 23): retrying the same rows fails again. */
  | 'data'
  /** The database is away, busy or shutting down, or the error has no SQLSTATE: retry. */
  | 'availability';

/** SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE a node-postgres error carries, if any (socket errors carry `ECONNRESET` and the like instead). */
export function sqlState(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

/**
 * Classify a failed write. Anything that is not known to be about the data is treated as
 * availability, so the writer keeps the rows and retries rather than dead-lettering good
 * readings because of an outage.
 */
export function classifySqlError(err: unknown): SqlErrorKind {
  const state = sqlState(err);
  if (state === undefined) return 'availability';
  if (state === UNIQUE_VIOLATION) return 'duplicate';
  const cls = state.slice(0, 2);
  return cls === '22' || cls === '23' ? 'data' : 'availability';
}
