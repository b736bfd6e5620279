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

/** SQLSTATE of a numeric value out of range (e.g. an int column pushed past 2^31 - 1). */
export const NUMERIC_OUT_OF_RANGE = '22003';

/** A conflict a db/ function reports to its caller, named for what it means, not for its SQLSTATE. */
export type DbConflictKind =
  /** Another transaction wrote the same rows first (a unique violation between two concurrent writers). */
  | 'concurrent_write'
  /** A quantity would pass what its column can hold. */
  | 'out_of_range';

/** Thrown by db/ functions for a conflict the caller answers (routes map it to an API error). */
export class DbConflict extends Error {
  constructor(
    readonly conflict: DbConflictKind,
    message: string,
  ) {
    super(message);
    this.name = 'DbConflict';
  }
}

const CONFLICT_OF_STATE: Readonly<Record<string, DbConflictKind>> = {
  [UNIQUE_VIOLATION]: 'concurrent_write',
  [NUMERIC_OUT_OF_RANGE]: 'out_of_range',
};

/**
 * Run a write and turn the SQLSTATEs listed in `expected` into a typed DbConflict with the
 * given message; any other error propagates unchanged.
 */
export async function conflictsAsTyped<T>(
  write: () => Promise<T>,
  expected: Partial<Record<DbConflictKind, string>>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const kind = CONFLICT_OF_STATE[sqlState(err) ?? ''];
    const message = kind === undefined ? undefined : expected[kind];
    if (kind !== undefined && message !== undefined) throw new DbConflict(kind, message);
    throw err;
  }
}
