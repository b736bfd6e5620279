import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ProgressTracker, checkHealth, progressHealth, registerProgressMetrics } from '../../../platform/health';

describe('platform/health: progress probes', () => {
  const clockAt = () => {
    const c = { now: 1_000_000, fn: () => c.now };
    return c;
  };

  it("reports pending units, the oldest one's age, time since progress and retry attempts", () => {
    const c = clockAt();
    const t = new ProgressTracker('ingest', 30_000, c.fn);
    expect(t.snapshot()).to.deep.equal({ pending: 0, oldestPendingMs: null, sinceProgressMs: null, retryAttempts: 0 });
    const finishA = t.begin();
    c.now += 1000;
    const finishB = t.begin();
    c.now += 500;
    t.failed(3);
    expect(t.snapshot()).to.deep.equal({ pending: 2, oldestPendingMs: 1500, sinceProgressMs: null, retryAttempts: 3 });
    finishA();
    t.progressed();
    c.now += 200;
    expect(t.snapshot()).to.deep.equal({ pending: 1, oldestPendingMs: 700, sinceProgressMs: 200, retryAttempts: 0 });
    finishB();
    finishB(); // finishing twice changes nothing
    expect(t.snapshot().pending).to.equal(0);
  });

  it('is degraded once a unit has been pending longer than the threshold, and healthy again when it finishes', async () => {
    const c = clockAt();
    const t = new ProgressTracker('ingest', 5_000, c.fn);
    const finish = t.begin();
    c.now += 5_000;
    expect(progressHealth(t).ok).to.equal(true);
    c.now += 1;
    t.failed(12);
    const stuck = await checkHealth({ progress: [t] });
    expect(stuck.ok).to.equal(false);
    expect(stuck.checks.ingest!.detail).to.match(/^stuck: 1 pending, oldest 5\.0 s .*retry attempts 12$/);
    finish();
    t.progressed();
    expect((await checkHealth({ progress: [t] })).ok).to.equal(true);
  });

  it('exports the probe as gauges, read at scrape time', async () => {
    const c = clockAt();
    const t = new ProgressTracker('ingest', 1_000, c.fn);
    const registry = new Registry();
    registerProgressMetrics(registry, t, 'x_ingest');
    registerProgressMetrics(registry, t, 'x_ingest'); // again on the same registry: replaced, not a duplicate error
    t.begin();
    c.now += 2_500;
    t.failed(4);
    const text = await registry.metrics();
    expect(text).to.include('x_ingest_pending 1');
    expect(text).to.include('x_ingest_oldest_pending_seconds 2.5');
    expect(text).to.include('x_ingest_since_progress_seconds -1');
    expect(text).to.include('x_ingest_retry_attempts 4');
    expect(text).to.include('x_ingest_stuck 1');
  });
});
