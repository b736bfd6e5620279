/**
 * Groups work submitted by many MQTT sessions into batches and writes each batch once, with
 * retries. `submit` resolves only after the batch holding its items is durably written, so the
 * caller can acknowledge the MQTT message then and not before.
 *
 * When nothing is being written, a submission is written at once; items that arrive during a
 * write form the next batch, which is written as soon as the current one ends (group commit):
 * batches grow with load, and latency stays about one write. With `maxConcurrentWrites` > 1, a
 * further batch is written beside the running one once it is full (or has waited `maxWaitMs`),
 * so one batch's commit overlaps the next one's parsing and transfer; each batch is its own
 * transaction, and the writes must be idempotent.
 * While the database is down the same batch is retried with capped backoff; the callers stay
 * blocked, so the MQTT sessions stop acknowledging and the broker holds the rest. The buffer
 * is bounded by (sessions × readings per message), since each session waits for its message.
 */
export interface BatchWriter<T> {
  (items: T[]): Promise<void>;
}

export interface BatcherOptions {
  maxItems: number;
  /**
   * Write at once when this many submissions wait: with N MQTT sessions each blocked on its
   * message, N waiting submissions means no more can arrive until a write happens.
   */
  maxEntries?: number;
  /** With a write in flight and a write slot free, how long a partial batch waits to grow before it is written beside it. */
  maxWaitMs: number;
  /** Batches written at the same time (default 1). */
  maxConcurrentWrites?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  onWriteError?: (err: Error, attempt: number) => void;
  onWritten?: (items: number, seconds: number) => void;
}

interface Entry<T> {
  items: T[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The batcher's observable state, for metrics and tests. */
export interface BatcherStats {
  buffered: number;
  batches: number;
  writeFailures: number;
}

export class DurableBatcher<T> {
  private pending: Entry<T>[] = [];
  /** Items and entries queued, not yet taken by a write. */
  private pendingItems = 0;
  /** Items and entries taken by writes that have not succeeded yet. */
  private inFlightItems = 0;
  private inFlightEntries = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly writes = new Set<Promise<void>>();
  private stopped = false;
  readonly stats: BatcherStats = { buffered: 0, batches: 0, writeFailures: 0 };

  constructor(
    private readonly write: BatchWriter<T>,
    private readonly opts: BatcherOptions,
  ) {}

  /** Queue items; resolves once they are durably written (rejects only when stopped first). */
  submit(items: T[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('batcher stopped'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.pendingItems += items.length;
      this.updateBuffered();
      this.schedule();
    });
  }

  private updateBuffered(): void {
    this.stats.buffered = this.pendingItems + this.inFlightItems;
  }

  /**
   * Full: enough items for a batch; or every submitter that can exist is waiting (the queued
   * entries plus those in flight reach maxEntries), so waiting longer cannot grow the batch; or,
   * with concurrent writes, a write's share of the submitters (maxEntries / maxConcurrentWrites)
   * is waiting, so the submitters split into cohorts whose writes overlap.
   */
  private full(): boolean {
    const maxEntries = this.opts.maxEntries ?? Infinity;
    return (
      this.pendingItems >= this.opts.maxItems ||
      this.pending.length + this.inFlightEntries >= maxEntries ||
      this.pending.length >= maxEntries / (this.opts.maxConcurrentWrites ?? 1)
    );
  }

  private schedule(): void {
    if (this.pending.length === 0) return;
    if (this.writes.size >= (this.opts.maxConcurrentWrites ?? 1)) return; // a write ending picks these up
    // Nothing being written: write now (group commit: what arrives meanwhile forms the next
    // batch). Waiting here would cap every MQTT session, which holds one message at a time, at
    // one message per (wait + write) and let queues build behind a session at moderate load.
    if (this.writes.size === 0 || this.full()) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.opts.maxWaitMs);
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.writes.size >= (this.opts.maxConcurrentWrites ?? 1)) return;
    const write: Promise<void> = this.drain().finally(() => {
      this.writes.delete(write);
      // The last write ending (or stopping) writes what queued meanwhile at once; beside a
      // running write the queue waits until it is full or has waited maxWaitMs.
      if (this.writes.size === 0 || this.stopped) this.kick();
      else this.schedule();
    });
    this.writes.add(write);
  }

  private async drain(): Promise<void> {
    // Take whole entries up to maxItems (at least one, however large).
    const batch: Entry<T>[] = [];
    let count = 0;
    while (this.pending.length && (batch.length === 0 || count + this.pending[0]!.items.length <= this.opts.maxItems)) {
      const e = this.pending.shift()!;
      batch.push(e);
      count += e.items.length;
    }
    this.pendingItems -= count;
    this.inFlightItems += count;
    this.inFlightEntries += batch.length;
    const done = () => {
      this.inFlightItems -= count;
      this.inFlightEntries -= batch.length;
      this.updateBuffered();
    };
    const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((e) => e.items);
    let delay = this.opts.retryInitialMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      const started = process.hrtime.bigint();
      try {
        await this.write(items);
        done();
        this.stats.batches++;
        this.opts.onWritten?.(items.length, Number(process.hrtime.bigint() - started) / 1e9);
        for (const e of batch) e.resolve();
        return;
      } catch (err) {
        this.stats.writeFailures++;
        this.opts.onWriteError?.(err as Error, attempt);
        if (this.stopped) {
          done();
          for (const e of batch) e.reject(new Error('batcher stopped before the write succeeded'));
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.opts.retryMaxMs ?? 5000);
      }
    }
  }

  /**
   * Write what is queued (one more attempt for a failing batch), then refuse new work.
   * Entries not written by then are rejected: their messages stay unacknowledged and the
   * broker redelivers them to another session.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    while (this.writes.size) await Promise.all([...this.writes]);
    for (const e of this.pending.splice(0)) e.reject(new Error('batcher stopped'));
    this.pendingItems = 0;
    this.updateBuffered();
  }
}
