// `npm run worker`: a Temporal worker process on its own, serving every area or only some
// (`-- --area forecasting`, or WORKER_AREAS): each area polls its own task queue with only its
// own activities. Scale out by running more of them.
import { config } from '../config';
import { createDb } from '../db/pool';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { connectTemporal } from '../platform/temporal';
import { installTemporalRuntime, startWorker } from './worker';
import { WorkerUsageError, areasFromArgs } from './worker-args';
import { ensureForecastSchedule, ensureMaintenanceSchedule } from './worker-schedules';
import type { Config } from '../config';
import type { TaskQueueArea } from '../config/task-queues';

/**
 * Every worker makes sure the schedules of its areas exist (idempotent), so any deployment has
 * them. Not in the test profile: test workers poll throwaway task queues.
 */
async function ensureSchedules(cfg: Config, areas: readonly TaskQueueArea[]): Promise<void> {
  if (cfg.profile === 'test') return;
  const temporal = await connectTemporal(cfg.temporal);
  try {
    if (areas.includes('orders')) await ensureMaintenanceSchedule(temporal.client, cfg);
    if (areas.includes('forecasting')) await ensureForecastSchedule(temporal.client, cfg, { horizonDays: 7 });
  } finally {
    await temporal.connection.close();
  }
}

async function main(): Promise<void> {
  const cfg = config();
  const areas = areasFromArgs(process.argv.slice(2), cfg.worker.areas);
  const logger = createLogger(cfg.logLevel).child({ component: 'worker' });
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: cfg.db.poolMax,
    logger,
    applicationName: 'freshchain-worker',
  });
  installTemporalRuntime(logger, cfg.workerMetricsBind);
  const handle = await startWorker(cfg, { db, logger }, { areas });
  await ensureSchedules(cfg, areas);
  logger.info({ areas, taskQueues: handle.queues, workflowCode: handle.workflowCode }, 'worker polling');
  onShutdown(logger, async () => {
    await handle.stop();
    await db.close();
  });
  await handle.done;
}

main().catch((err: unknown) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(err instanceof WorkerUsageError ? 2 : 1);
});
