// The worker's part of /healthz: every activity execution is counted on its tracker (begun,
// finished, failed with its attempt), and a worker that is not running, or whose poller failed,
// is blocked whatever its executions say.
import { expect } from 'chai';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { ProgressTracker, progressHealth } from '../../../platform/health';
import { activityProgress, workerBlocked } from '../../../workflows/worker';

function interceptorWith(tracker: ProgressTracker, attempt: number) {
  const ctx = { info: { attempt } } as Parameters<ReturnType<typeof activityProgress>>[0];
  const inbound = activityProgress(tracker)(ctx).inbound!;
  return (next: () => Promise<unknown>) => inbound.execute!({} as ActivityExecuteInput, next);
}

describe('worker progress', () => {
  it('counts an execution as pending while it runs and as progress once it succeeds', async () => {
    let now = 1_000;
    const tracker = new ProgressTracker('worker', 60_000, () => now);
    let release!: (v: string) => void;
    const running = interceptorWith(tracker, 1)(() => new Promise<string>((r) => (release = r)));
    now += 5_000;
    expect(tracker.snapshot()).to.deep.include({ pending: 1, oldestPendingMs: 5_000, sinceProgressMs: null });
    release('done');
    expect(await running).to.equal('done');
    expect(tracker.snapshot()).to.deep.include({
      pending: 0,
      oldestPendingMs: null,
      sinceProgressMs: 0,
      retryAttempts: 0,
    });
  });

  it('records the attempt of a failing execution and still finishes it', async () => {
    const tracker = new ProgressTracker('worker');
    const failing = interceptorWith(tracker, 3)(() => Promise.reject(new Error('boom')));
    let thrown: unknown;
    await failing.catch((err: unknown) => (thrown = err));
    expect((thrown as Error).message).to.equal('boom');
    expect(tracker.snapshot()).to.deep.include({ pending: 0, retryAttempts: 3 });
  });

  it('is stuck once an execution outlives the limit', () => {
    let now = 0;
    const tracker = new ProgressTracker('worker', 10_000, () => now);
    void interceptorWith(tracker, 1)(() => new Promise(() => undefined));
    now = 10_001;
    expect(progressHealth(tracker).ok).to.equal(false);
  });

  it('a stopped worker or a failed poller blocks it', () => {
    const running = { runState: 'RUNNING', workflowPollerState: 'POLLING', activityPollerState: 'POLLING' } as const;
    expect(workerBlocked(running)).to.equal(null);
    expect(workerBlocked({ ...running, runState: 'STOPPED' })).to.equal('worker stopped');
    expect(workerBlocked({ ...running, workflowPollerState: 'FAILED' })).to.equal('workflow task poller failed');
    expect(workerBlocked({ ...running, activityPollerState: 'FAILED' })).to.equal('activity task poller failed');
    const tracker = new ProgressTracker('worker');
    const health = progressHealth({
      name: 'worker',
      stuckAfterMs: 1000,
      snapshot: () => tracker.snapshot(),
      blocked: () => 'worker stopped',
    });
    expect(health.ok).to.equal(false);
    expect(health.detail).to.match(/^blocked \(worker stopped\)/);
  });
});
