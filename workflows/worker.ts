import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { LogLevel, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities';
import type { Config } from '../config';
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
export interface WorkerHandle { worker: Worker; done: Promise<void>; stop(): Promise<void> }

/** Start a worker on the configured task queue with the real activities. */
export async function startWorker(cfg: Config, deps: ActivityDeps, opts: { taskQueue?: string } = {}): Promise<WorkerHandle> {
  installTemporalRuntime(deps.logger);
  const connection = await NativeConnection.connect({ address: cfg.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: opts.taskQueue ?? cfg.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
    ...(dataConverterFor(cfg.temporal) ? { dataConverter: dataConverterFor(cfg.temporal) } : {}),
    shutdownGraceTime: '10s',
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
