// `npm run worker`: a Temporal worker process on its own. Scale out by running more of them.
import { config } from '../config';
import { createDb } from '../db/pool';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { installTemporalRuntime, startWorker } from './worker';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel).child({ component: 'worker' });
  const db = createDb({ connectionString: cfg.db.connectionString, max: cfg.db.poolMax, logger, applicationName: 'freshchain-worker' });
  installTemporalRuntime(logger, cfg.workerMetricsBind);
  const handle = await startWorker(cfg, { db, logger });
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
