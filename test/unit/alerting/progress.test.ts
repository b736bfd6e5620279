// The evaluator's health probe: batches through a ProgressTracker, and a sweep that keeps failing
// blocks it (offline detection and escalation stop with it) even when no message is pending.
import { expect } from 'chai';
import { progressHealth } from '../../../platform/health';
import { EvaluatorProgress } from '../../../coldchain/progress';

describe('alerting/progress: the evaluator health probe', () => {
  it('reports pending messages, the last committed batch and retries', () => {
    let now = 1_000;
    const p = new EvaluatorProgress(30_000, 5_000, () => now);
    const done = p.batches.begin();
    now += 40_000;
    p.batches.failed(3);
    expect(p.snapshot()).to.deep.equal({
      pending: 1,
      oldestPendingMs: 40_000,
      sinceProgressMs: null,
      retryAttempts: 3,
    });
    expect(progressHealth(p).ok, 'a message pending past the limit').to.equal(false);
    p.batches.progressed();
    done();
    now += 1_000;
    expect(p.snapshot()).to.deep.equal({ pending: 0, oldestPendingMs: null, sinceProgressMs: 1_000, retryAttempts: 0 });
  });

  it('is blocked once no sweep has gone through for longer than the limit, and recovers with the next good one', () => {
    let now = 0;
    const p = new EvaluatorProgress(30_000, 5_000, () => now);
    p.swept([]);
    for (let t = 5_000; t <= 35_000; t += 5_000) {
      now = t;
      p.swept(['offline']);
      expect(p.blocked(), `at ${t} ms`).to.equal(null);
    }
    now = 40_000;
    p.swept(['offline']);
    expect(p.blocked()).to.match(/no complete sweep for 40\.0 s; failing: offline/);
    expect(progressHealth(p).ok).to.equal(false);
    p.swept([]);
    expect(p.blocked()).to.equal(null);
  });

  it('with sweeping off, only batches count', () => {
    let now = 0;
    const p = new EvaluatorProgress(30_000, 0, () => now);
    now = 10 * 60_000;
    expect(p.blocked()).to.equal(null);
  });
});
