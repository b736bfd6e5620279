import { expect } from 'chai';
import { DurableBatcher } from '../../../platform/batcher';
import type { BatcherOptions } from '../../../platform/batcher';

/** A write function whose calls the test completes or fails by hand. */
function controlledWriter() {
  const calls: { items: number[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const done = () => active--;
      calls.push({ items, resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) });
    });
  return {
    write,
    calls,
    get maxActive() {
      return maxActive;
    },
  };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function track(p: Promise<void>) {
  const state = { settled: false, error: undefined as Error | undefined };
  p.then(
    () => (state.settled = true),
    (e: Error) => ((state.settled = true), (state.error = e)),
  );
  return state;
}

describe('platform/batcher', () => {
  const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
    maxItems: 100,
    maxWaitMs: 5,
    retryInitialMs: 1,
    retryMaxMs: 2,
    ...o,
  });

  it('resolves a submission only after the write holding it succeeded', async () => {
    const w = controlledWriter();
    const b = new DurableBatcher<number>(w.write, opts());
    const s = track(b.submit([1, 2]));
    await tick(10);
    expect(w.calls).to.have.length(1);
    expect(w.calls[0]!.items).to.deep.equal([1, 2]);
    expect(s.settled).to.equal(false);
    expect(b.stats.buffered).to.equal(2);
    w.calls[0]!.resolve();
    await tick();
    expect(s).to.deep.equal({ settled: true, error: undefined });
    expect(b.stats.buffered).to.equal(0);
  });

  it('writes at once when idle, and gathers what arrives during a write into the next batch (group commit)', async () => {
    const w = controlledWriter();
    const b = new DurableBatcher<number>(w.write, opts({ maxEntries: 4, maxWaitMs: 1000 }));
    const first = track(b.submit([1]));
    const second = [2, 3, 4].map((i) => track(b.submit([i])));
    await tick();
    expect(
      w.calls.map((c) => c.items),
      'no waiting for maxWaitMs when nothing is being written',
    ).to.deep.equal([[1]]);
    await tick(20);
    expect(w.calls, 'no second write while the first runs').to.have.length(1);
    w.calls[0]!.resolve();
    await tick();
    expect(first.settled).to.equal(true);
    expect(w.calls.map((c) => c.items)).to.deep.equal([[1], [2, 3, 4]]);
    expect(second.some((s) => s.settled)).to.equal(false);
    w.calls[1]!.resolve();
    await tick();
    expect(second.every((s) => s.settled && !s.error)).to.equal(true);
    expect(w.maxActive).to.equal(1);
  });

  it('with two concurrent writes, writes a second batch beside the first once a cohort (maxEntries / 2) waits, never more than two', async () => {
    const w = controlledWriter();
    const b = new DurableBatcher<number>(w.write, opts({ maxEntries: 8, maxConcurrentWrites: 2, maxWaitMs: 1000 }));
    const subs = Array.from({ length: 8 }, (_, i) => track(b.submit([i])));
    await tick();
    // 0 goes at once (idle); 1–4 make a cohort of 8 / 2 and go beside it; 5–7 wait for a free slot.
    expect(w.calls.map((c) => c.items)).to.deep.equal([[0], [1, 2, 3, 4]]);
    expect(b.stats.buffered).to.equal(8);
    await tick(20);
    expect(w.calls, 'both slots busy: the third batch waits').to.have.length(2);
    w.calls[1]!.resolve(); // the second finishes first: order between batches does not matter
    await tick();
    expect(subs.slice(1, 5).every((s) => s.settled)).to.equal(true);
    expect(subs[0]!.settled).to.equal(false);
    // Beside the running write [0], the 3 entries left are neither a cohort (4) nor all the
    // submitters (3 queued + 1 in flight < 8): they wait for maxWaitMs or for [0] to end.
    expect(w.calls).to.have.length(2);
    w.calls[0]!.resolve();
    await tick();
    expect(w.calls.map((c) => c.items)[2]).to.deep.equal([5, 6, 7]);
    expect(w.maxActive).to.equal(2);
    w.calls[2]!.resolve();
    await tick();
    expect(subs.every((s) => s.settled && !s.error)).to.equal(true);
    expect(b.stats).to.include({ buffered: 0, batches: 3 });
  });

  it('beside a running write, a small batch waits for maxWaitMs instead of going out at once', async () => {
    const w = controlledWriter();
    const b = new DurableBatcher<number>(w.write, opts({ maxEntries: 10, maxConcurrentWrites: 2, maxWaitMs: 30 }));
    void b.submit(Array.from({ length: 100 }, (_, i) => i)); // maxItems: written at once
    await tick();
    expect(w.calls).to.have.length(1);
    void b.submit([1000]);
    await tick(5);
    expect(w.calls, 'not yet').to.have.length(1);
    await tick(50);
    expect(w.calls.map((c) => c.items.length)).to.deep.equal([100, 1]);
    for (const c of w.calls) c.resolve();
  });

  it('splits at maxItems and keeps retrying a failing batch, holding its submitters', async () => {
    const w = controlledWriter();
    const failures: number[] = [];
    const b = new DurableBatcher<number>(
      w.write,
      opts({ maxItems: 3, onWriteError: (_e, attempt) => failures.push(attempt) }),
    );
    const a = track(b.submit([1, 2]));
    const c = track(b.submit([3, 4]));
    await tick();
    expect(w.calls[0]!.items).to.deep.equal([1, 2]);
    w.calls[0]!.reject(new Error('database down'));
    await tick(10);
    w.calls[1]!.reject(new Error('database down'));
    await tick(10);
    expect(w.calls.map((x) => x.items)).to.deep.equal([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(a.settled || c.settled).to.equal(false);
    w.calls[2]!.resolve();
    await tick(10);
    expect(a).to.deep.equal({ settled: true, error: undefined });
    expect(w.calls[3]!.items).to.deep.equal([3, 4]);
    w.calls[3]!.resolve();
    await tick();
    expect(c.settled).to.equal(true);
    expect(failures).to.deep.equal([1, 2]);
    expect(b.stats).to.include({ writeFailures: 2, batches: 2, buffered: 0 });
  });

  it('stop() writes everything queued, waits for writes in flight, then refuses new work', async () => {
    const w = controlledWriter();
    const b = new DurableBatcher<number>(w.write, opts({ maxItems: 2, maxConcurrentWrites: 2, maxWaitMs: 1000 }));
    const subs = [1, 2, 3, 4, 5].map((i) => track(b.submit([i])));
    const stopping = track(b.stop());
    for (let i = 0; i < 10 && !stopping.settled; i++) {
      await tick();
      for (const c of w.calls) c.resolve();
    }
    await tick();
    expect(stopping.settled).to.equal(true);
    expect(w.calls.flatMap((c) => c.items).sort()).to.deep.equal([1, 2, 3, 4, 5]);
    expect(subs.every((s) => s.settled && !s.error)).to.equal(true);
    const late = track(b.submit([6]));
    await tick();
    expect(late.error?.message).to.match(/stopped/);
  });

  it('stop() rejects the submitters of a batch that still fails, so their messages stay unacknowledged', async () => {
    const b = new DurableBatcher<number>(() => Promise.reject(new Error('down')), opts({ retryInitialMs: 5 }));
    const s = track(b.submit([1]));
    await tick(20);
    await b.stop();
    await tick();
    expect(s.error?.message).to.match(/stopped/);
    expect(b.stats.buffered).to.equal(0);
  });
});
