import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { ActivityInterceptorsFactory, LogLevel, WorkerStatus, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities';
import type { Config } from '../config';
import { ProgressTracker } from '../platform/health';
import type { ProgressProbe } from '../platform/health';
import type { Logger } from '../platform/logger';
import { dataConverterFor } from '../platform/temporal';

let runtimeInstalled = false;
/**
 * Route the Temporal SDK's own logs into our structured logger, and optionally serve the
 * runtime's Prometheus metrics (workflow completions and failures, task latencies, backlog)
 * on `metricsBind`. Once per process: the first call wins.
 */
export function installTemporalRuntime(logger: Logger, metricsBind?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const tlog = logger.child({ component: 'temporal-sdk' });
  const sdkLevel: LogLevel = logger.level === 'debug' || logger.level === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({
    ...(metricsBind ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsBind } } } } : {}),
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const level = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      tlog[level]({ ...entry.meta }, entry.message);
    }),
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflow code once per process; several workers (and tests) share it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('./index'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

/** A running worker: `stop()` drains in-flight tasks and resolves when the worker has exited. */
export interface WorkerHandle {
  worker: Worker;
  done: Promise<void>;
  /** Activity executions in flight, finished and retried, and the worker's run state, for /healthz. */
  progress: ProgressProbe;
  stop(): Promise<void>;
}

/**
 * An execution still running past the longest activity timeout (the forecasting chunks' 10
 * minutes) has been given up by the server and hangs in this worker: the worker is stuck.
 */
export const WORKER_STUCK_AFTER_MS = 11 * 60_000;

/** Counts every activity execution of the worker on a tracker: begun, finished, failed with its attempt. */
export function activityProgress(tracker: ProgressTracker): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const finish = tracker.begin();
        try {
          const result = await next(input);
          tracker.progressed();
          return result;
        } catch (err) {
          tracker.failed(ctx.info.attempt);
          throw err;
        } finally {
          finish();
        }
      },
    },
  });
}

/** Why a worker in this state cannot take work, or null when it can. */
export function workerBlocked(s: Pick<WorkerStatus, 'runState' | 'workflowPollerState' | 'activityPollerState'>): string | null {
  if (s.runState !== 'RUNNING') return `worker ${s.runState.toLowerCase()}`;
  if (s.workflowPollerState === 'FAILED') return 'workflow task poller failed';
  if (s.activityPollerState === 'FAILED') return 'activity task poller failed';
  return null;
}

/** Start a worker on the configured task queue with the real activities. */
export async function startWorker(cfg: Config, deps: ActivityDeps, opts: { taskQueue?: string } = {}): Promise<WorkerHandle> {
  installTemporalRuntime(deps.logger);
  const connection = await NativeConnection.connect({ address: cfg.temporal.address });
  const tracker = new ProgressTracker('worker', WORKER_STUCK_AFTER_MS);
  const worker = await Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: opts.taskQueue ?? cfg.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
    ...(dataConverterFor(cfg.temporal) ? { dataConverter: dataConverterFor(cfg.temporal) } : {}),
    shutdownGraceTime: '10s',
    interceptors: { activity: [activityProgress(tracker)] },
  });
  const done = worker.run().finally(() => connection.close());
  const progress: ProgressProbe = {
    name: tracker.name,
    stuckAfterMs: tracker.stuckAfterMs,
    snapshot: () => tracker.snapshot(),
    blocked: () => workerBlocked(worker.getStatus()),
  };
  return {
    worker,
    done,
    progress,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
