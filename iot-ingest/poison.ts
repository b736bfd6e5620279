// Poison isolation: a batch the database refuses because of its data is split until the
// refused items are found, so that one bad message costs only itself.
//
// Without it, a batch holding one row PostgreSQL refuses (a NUL in a text column, a value out
// of a column's range) is retried as a whole for ever: every message in it and every session
// behind it stays unacknowledged and ingest stops. The search is plain bisection over an
// injected write, so it is tested without a database.

/** A write of some items that commits all of them or none. */
export type AtomicWrite<T> = (items: T[]) => Promise<void>;

/** An item the database refused on its own, with the error that refused it. */
export interface RejectedItem<T> {
  item: T;
  error: unknown;
}

/**
 * Write `items`; when a write fails with an error `isDataError` accepts, write each half on its
 * own, down to single items, and return those refused alone. Any other error is thrown as soon
 * as it happens (the caller retries), with the halves committed so far reported through
 * `onCommitted` so that a retry can skip them. A batch written whole is not reported: nothing
 * of it is retried, and the clean path (nearly every batch) does no per-item bookkeeping.
 */
export async function writeIsolatingPoison<T>(
  items: T[],
  write: AtomicWrite<T>,
  isDataError: (err: unknown) => boolean,
  onCommitted: (items: T[]) => void = () => {},
): Promise<RejectedItem<T>[]> {
  const rejected: RejectedItem<T>[] = [];
  const attempt = async (part: T[]): Promise<void> => {
    if (part.length === 0) return;
    try {
      await write(part);
      if (part !== items) onCommitted(part);
      return;
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (part.length === 1) {
        rejected.push({ item: part[0]!, error: err });
        return;
      }
    }
    const mid = Math.ceil(part.length / 2);
    await attempt(part.slice(0, mid));
    await attempt(part.slice(mid));
  };
  await attempt(items);
  return rejected;
}
