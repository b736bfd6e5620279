/**
 * Groups work submitted by many MQTT sessions into batches and writes each batch once, with
 * retries. `submit` resolves only after the batch holding its items is durably written, so the
 * caller can acknowledge the MQTT message then and not before.
 *
 * One write is in flight at a time; items that arrive meanwhile form the next batch, which is
 * written as soon as the current one ends: batches grow with load, and latency stays one write.
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
  maxWaitMs: number;
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
export interface BatcherStats { buffered: number; batches: number; writeFailures: number }

export class DurableBatcher<T> {
  private pending: Entry<T>[] = [];
  private pendingItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
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
      this.stats.buffered = this.pendingItems;
      if (this.writing) return; // the running write picks these up when it ends
      if (this.pendingItems >= this.opts.maxItems || this.pending.length >= (this.opts.maxEntries ?? Infinity)) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.maxWaitMs);
    });
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.pending.length === 0) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.pending.length) this.kick();
    });
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
    const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((e) => e.items);
    let delay = this.opts.retryInitialMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      const started = process.hrtime.bigint();
      try {
        await this.write(items);
        this.pendingItems -= count;
        this.stats.buffered = this.pendingItems;
        this.stats.batches++;
        this.opts.onWritten?.(items.length, Number(process.hrtime.bigint() - started) / 1e9);
        for (const e of batch) e.resolve();
        return;
      } catch (err) {
        this.stats.writeFailures++;
        this.opts.onWriteError?.(err as Error, attempt);
        if (this.stopped) {
          this.pendingItems -= count;
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
    while (this.writing) await this.writing;
    for (const e of this.pending.splice(0)) e.reject(new Error('batcher stopped'));
    this.pendingItems = 0;
    this.stats.buffered = 0;
  }
}
