import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type {
  ActivityInterceptorsFactory,
  LogLevel,
  WorkerStatus,
  WorkflowBundleOption,
  WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createAreaActivities } from '../activities';
import type { ActivityDeps } from '../activities';
import type { Config } from '../config';
import { ProgressTracker } from '../platform/health';
import type { ProgressProbe } from '../platform/health';
import type { Logger } from '../platform/logger';
import { TASK_QUEUE_AREAS, taskQueuesBeside, taskQueuesFor } from '../config/task-queues';
import type { TaskQueueArea, TaskQueues } from '../config/task-queues';
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
      const level =
        entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      tlog[level]({ ...entry.meta }, entry.message);
    }),
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflow code once per process (development and tests); several workers share it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('./index'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return bundle;
}

/** The file `npm run build` writes beside the compiled code (dist/workflow-bundle.js), if this is compiled code. */
function compiledWorkflowBundle(): string | undefined {
  if (!__filename.endsWith('.js')) return undefined;
  const path = resolve(__dirname, '..', 'workflow-bundle.js');
  return existsSync(path) ? path : undefined;
}

/**
 * The workflow code a worker runs: a pre-built bundle when one is given (WORKFLOW_BUNDLE, or the
 * compiled worker's own), else bundled at start — outside production only, where a bundle made
 * at every start would be untested code and a slow, memory-hungry start.
 */
export async function workflowCode(cfg: Config, codePath?: string): Promise<WorkflowBundleOption> {
  const path = codePath ?? cfg.worker.workflowBundlePath ?? compiledWorkflowBundle();
  if (path) return { codePath: path };
  if (cfg.profile === 'production') {
    throw new Error(
      'production runs a pre-built workflow bundle: `npm run build` writes dist/workflow-bundle.js, or set WORKFLOW_BUNDLE',
    );
  }
  return workflowBundle();
}

/** Running workers, one per task queue served: `stop()` drains in-flight tasks and resolves when all have exited. */
export interface WorkerHandle {
  workers: readonly Worker[];
  /** The task queues polled, by area. */
  queues: Partial<TaskQueues>;
  /** Where the workflow code came from: the pre-built bundle's path, or `bundled at start`. */
  workflowCode: string;
  done: Promise<void>;
  /** Activity executions in flight, finished and retried, and the workers' run state, for /healthz. */
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
export function workerBlocked(
  s: Pick<WorkerStatus, 'runState' | 'workflowPollerState' | 'activityPollerState'>,
): string | null {
  if (s.runState !== 'RUNNING') return `worker ${s.runState.toLowerCase()}`;
  if (s.workflowPollerState === 'FAILED') return 'workflow task poller failed';
  if (s.activityPollerState === 'FAILED') return 'activity task poller failed';
  return null;
}

/** Where a worker process takes its work from; every field has a configured default. */
export interface StartWorkerOptions {
  /** One queue for every area (a throwaway test queue), or `<prefix>-<area>` for that prefix's queues. */
  taskQueue?: string;
  /** Queues `<prefix>-orders`, `<prefix>-coldchain`, `<prefix>-forecasting` instead of the configured ones. */
  taskQueuePrefix?: string;
  /** Areas to serve (default: config's WORKER_AREAS, every area). */
  areas?: readonly TaskQueueArea[];
  /** A pre-built workflow bundle (default: see workflowCode). */
  workflowBundlePath?: string;
}

/**
 * The areas to serve grouped by the queue they share. A queue that holds several areas (one
 * queue for all) is served whole or not at all: a worker on it without one area's activities
 * would take that area's tasks and fail them.
 */
export function queuesToServe(queues: TaskQueues, areas: readonly TaskQueueArea[]): Map<string, TaskQueueArea[]> {
  if (areas.length === 0) throw new Error('a worker must serve at least one area');
  const byQueue = new Map<string, TaskQueueArea[]>();
  for (const area of TASK_QUEUE_AREAS) {
    const list = byQueue.get(queues[area]) ?? [];
    byQueue.set(queues[area], [...list, area]);
  }
  for (const [queue, sharing] of byQueue) {
    const served = sharing.filter((a) => areas.includes(a));
    if (served.length === 0) byQueue.delete(queue);
    else if (served.length < sharing.length) {
      throw new Error(
        `task queue ${queue} holds the areas ${sharing.join(', ')}: a worker on it serves all of them, not only ${served.join(', ')}`,
      );
    }
  }
  return byQueue;
}

/**
 * Worker options for a queue serving these areas. A forecast chunk holds the event loop for about
 * a second of CPU: a forecasting queue of its own takes one at a time, so a process that also
 * serves orders (npm start) answers their activities between chunks. A queue shared by every
 * area keeps the SDK's defaults, or it would throttle order work too.
 */
export function workerTuning(areas: readonly TaskQueueArea[]): { maxConcurrentActivityTaskExecutions?: number } {
  return areas.length === 1 && areas[0] === 'forecasting' ? { maxConcurrentActivityTaskExecutions: 1 } : {};
}

function queuesOf(cfg: Config, opts: StartWorkerOptions): TaskQueues {
  if (opts.taskQueue !== undefined) return taskQueuesBeside(opts.taskQueue);
  if (opts.taskQueuePrefix !== undefined) return taskQueuesFor(opts.taskQueuePrefix);
  return cfg.temporal.taskQueues;
}

/** Run every worker until one fails or all are shut down; a failure stops the others, then rejects. */
function runAll(workers: readonly Worker[], connection: NativeConnection): Promise<void> {
  const shutdownAll = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const runs = workers.map((w) =>
    w.run().catch((err: unknown) => {
      shutdownAll();
      throw err;
    }),
  );
  return Promise.allSettled(runs).then(async (results) => {
    await connection.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
}

/**
 * Start a worker per task queue of the areas served (every area by default), each registering
 * only its areas' activities, all running the same workflow code.
 */
export async function startWorker(
  cfg: Config,
  deps: ActivityDeps,
  opts: StartWorkerOptions = {},
): Promise<WorkerHandle> {
  installTemporalRuntime(deps.logger);
  const queues = queuesOf(cfg, opts);
  const serve = queuesToServe(queues, opts.areas ?? cfg.worker.areas);
  const code = await workflowCode(cfg, opts.workflowBundlePath);
  const connection = await NativeConnection.connect({ address: cfg.temporal.address });
  const tracker = new ProgressTracker('worker', WORKER_STUCK_AFTER_MS);
  const dataConverter = dataConverterFor(cfg.temporal);
  const workers: Worker[] = [];
  try {
    for (const [taskQueue, areas] of serve) {
      workers.push(
        await Worker.create({
          connection,
          namespace: cfg.temporal.namespace,
          taskQueue,
          workflowBundle: code,
          activities: createAreaActivities(areas, deps),
          ...workerTuning(areas),
          ...(dataConverter ? { dataConverter } : {}),
          shutdownGraceTime: '10s',
          interceptors: { activity: [activityProgress(tracker)] },
        }),
      );
    }
  } catch (err) {
    await connection.close();
    throw err;
  }
  const done = runAll(workers, connection);
  const progress: ProgressProbe = {
    name: tracker.name,
    stuckAfterMs: tracker.stuckAfterMs,
    snapshot: () => tracker.snapshot(),
    blocked: () => workers.map((w) => workerBlocked(w.getStatus())).find((b) => b !== null) ?? null,
  };
  const served = Object.fromEntries([...serve].flatMap(([queue, areas]) => areas.map((a) => [a, queue])));
  return {
    workers,
    queues: served,
    workflowCode: 'codePath' in code && code.codePath ? code.codePath : 'bundled at start',
    done,
    progress,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
