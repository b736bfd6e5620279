// The alert evaluator's progress for /healthz and /metrics: messages taken and not yet
// acknowledged, the last committed batch and the retries of the current one (a ProgressTracker),
// plus the sweep, which is the only thing that declares silent sensors offline and escalates
// alerts: a sweep that keeps failing blocks the evaluator even when no message is pending.
import { DEFAULT_STUCK_AFTER_MS, ProgressTracker } from '../platform/health';
import type { ProgressProbe, ProgressSnapshot } from '../platform/health';

/** Progress of one evaluator: its batches (tracker) and its sweeps. */
export class EvaluatorProgress implements ProgressProbe {
  readonly name = 'alerts';
  /** Messages: `begin()` when handed one, `progressed()` after a batch commits, `failed(n)` on a retry. */
  readonly batches: ProgressTracker;
  private lastSweepOkAt: number;
  private failingParts: string[] = [];

  constructor(
    readonly stuckAfterMs = DEFAULT_STUCK_AFTER_MS,
    /** Sweep period; 0 when sweeping is off (nothing to wait for). */
    private readonly sweepIntervalMs = 0,
    private readonly clock: () => number = Date.now,
  ) {
    this.batches = new ProgressTracker('alerts', stuckAfterMs, clock);
    this.lastSweepOkAt = clock();
  }

  /** A sweep ended; `failedParts` names the parts that failed (empty: all went through). */
  swept(failedParts: readonly string[]): void {
    this.failingParts = [...failedParts];
    if (failedParts.length === 0) this.lastSweepOkAt = this.clock();
  }

  snapshot(): ProgressSnapshot {
    return this.batches.snapshot();
  }

  /** Blocked when no sweep has gone through for longer than the stuck limit (plus one period). */
  blocked(): string | null {
    if (this.sweepIntervalMs <= 0) return null;
    const since = this.clock() - this.lastSweepOkAt;
    if (since <= this.stuckAfterMs + this.sweepIntervalMs) return null;
    const parts = this.failingParts.length ? `; failing: ${this.failingParts.join(', ')}` : '';
    return `no complete sweep for ${(since / 1000).toFixed(1)} s${parts}`;
  }
}
