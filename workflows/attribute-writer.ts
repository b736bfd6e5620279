// Search attributes and memo of a workflow, written once per activation and only where they
// changed (ORDER_ATTRIBUTES_ONCE_PATCH). Each upsert is a command and a visibility write on the
// server; a state change that sets the status and then every attribute used to upsert twice in
// one task, most of it unchanged.
import { condition, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

/** Collects attribute and memo changes; `batched` false writes each call at once (histories before the patch). */
export class AttributeWriter {
  private readonly written = new Map<string, string>();
  private readonly pending = new Map<string, SearchAttributeUpdatePair>();
  private memoWritten = '';
  private pendingMemo: Record<string, unknown> | undefined;

  constructor(readonly batched: boolean) {}

  /** Set attributes; with batching, those equal to what was last written are dropped. */
  set(pairs: SearchAttributeUpdatePair[]): void {
    if (!this.batched) return upsertSearchAttributes(pairs);
    for (const pair of pairs) {
      if (this.written.get(pair.key.name) === JSON.stringify(pair.value)) this.pending.delete(pair.key.name);
      else this.pending.set(pair.key.name, pair);
    }
  }

  /** Set the memo; with batching, a memo equal to the last one written is dropped. */
  memo(memo: Record<string, unknown>): void {
    if (!this.batched) return upsertMemo(memo);
    this.pendingMemo = JSON.stringify(memo) === this.memoWritten ? undefined : memo;
  }

  /** Write what changed since the last flush, in one upsert (and one memo write). */
  flush(): void {
    if (this.pending.size > 0) {
      const pairs = [...this.pending.values()];
      this.pending.clear();
      for (const pair of pairs) this.written.set(pair.key.name, JSON.stringify(pair.value));
      upsertSearchAttributes(pairs);
    }
    if (this.pendingMemo !== undefined) {
      this.memoWritten = JSON.stringify(this.pendingMemo);
      upsertMemo(this.pendingMemo);
      this.pendingMemo = undefined;
    }
  }

  /**
   * Flush after each activation's handlers have run: conditions are checked once the jobs of an
   * activation are applied, so several signals in one task end in one upsert. Runs for the life
   * of the workflow; the workflow calls `flush` once more before it returns.
   */
  async flushEachActivation(): Promise<void> {
    if (!this.batched) return;
    for (;;) {
      await condition(() => this.pending.size > 0 || this.pendingMemo !== undefined);
      this.flush();
    }
  }
}
