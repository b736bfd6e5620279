// `npm run worker`: a Temporal worker process on its own. Scale out by running more of them.
import { config } from '../config';
import { createDb } from '../db/pool';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { ensureForecastSchedule } from '../forecasting/schedule';
import { connectTemporal } from '../platform/temporal';
import { ensureMaintenanceSchedule } from '../platform/schedules';
import { installTemporalRuntime, startWorker } from './worker';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel).child({ component: 'worker' });
  const db = createDb({ connectionString: cfg.db.connectionString, max: cfg.db.poolMax, logger, applicationName: 'freshchain-worker' });
  installTemporalRuntime(logger, cfg.workerMetricsBind);
  const handle = await startWorker(cfg, { db, logger });
  // Every worker makes sure the schedules exist (idempotent), so any deployment has them.
  // Not in the test profile: test workers poll throwaway task queues.
  if (cfg.profile !== 'test') {
    const temporal = await connectTemporal(cfg.temporal);
    await ensureMaintenanceSchedule(temporal.client, cfg);
    await ensureForecastSchedule(temporal.client, cfg, { horizonDays: 7 });
    await temporal.connection.close();
  }
  logger.info({ taskQueue: cfg.temporal.taskQueue }, 'worker polling');
  onShutdown(logger, async () => {
    await handle.stop();
    await db.close();
  });
  await handle.done;
}

main().catch((err: unknown) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
