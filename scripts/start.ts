// `npm start`: the whole system in one process on the local stack: Temporal workers of every
// area (each on its own task queue), API and MQTT ingester (each also runs alone: npm run
// worker | api | ingest), plus the demo driver
// when demo mode is on. Ctrl-C stops everything gracefully.
import { config } from '../config';
import { createDb } from '../db/pool';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { TASK_QUEUE_AREAS } from '../config/task-queues';
import { connectTemporal } from '../platform/temporal';
import { startApi } from '../api/server';
import { installTemporalRuntime, startWorker } from '../workflows/worker';
import { startAlertingAlongside } from '../coldchain';
import { startIngester } from '../iot-ingest/ingester';
import { ensureForecastSchedule, ensureMaintenanceSchedule } from '../workflows/worker-schedules';
import { startDemo } from '../demo/demo';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel);
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: cfg.db.poolMax,
    logger,
    applicationName: 'freshchain',
  });
  const temporal = await connectTemporal(cfg.temporal);
  installTemporalRuntime(logger, cfg.workerMetricsBind);
  // Every area, whatever WORKER_AREAS says: this process is the whole system.
  const worker = await startWorker(
    cfg,
    { db, logger: logger.child({ component: 'worker' }) },
    { areas: TASK_QUEUE_AREAS },
  );
  const ingester = await startIngester(cfg, { db, logger: logger.child({ component: 'ingest' }) });
  // One scrape target for the API and the in-process ingester; the worker runtime serves its own.
  // /healthz reads this list on every request: the alert evaluator joins it once started.
  const progress = [ingester.progress, worker.progress];
  const api = await startApi(cfg, {
    db,
    temporal,
    logger: logger.child({ component: 'api' }),
    metricsRegistries: [ingester.metrics.registry],
    progress,
  });
  const stops: (() => Promise<void>)[] = [() => ingester.stop(), () => api.stop(), () => worker.stop()];
  const alerting = await startAlertingAlongside(cfg, { db, logger, temporal: temporal.client, role: 'start' });
  if (alerting) {
    stops.unshift(() => alerting.stop());
    progress.push(alerting.progress);
  }
  await ensureMaintenanceSchedule(temporal.client, cfg);
  await ensureForecastSchedule(temporal.client, cfg, { horizonDays: 7 });
  if (cfg.demo) {
    const demo = await startDemo(cfg, { db, client: temporal.client, apiUrl: `http://127.0.0.1:${api.port}`, logger });
    stops.unshift(() => demo.stop());
  }
  logger.info(
    {
      api: `http://127.0.0.1:${api.port}`,
      health: `http://127.0.0.1:${api.port}/healthz`,
      temporalUi: cfg.temporal.uiUrl,
      demo: cfg.demo,
    },
    'freshchain running',
  );
  onShutdown(logger, async () => {
    for (const stop of stops) await stop();
    await temporal.connection.close();
    await db.close();
  });
  await worker.done;
}

main().catch((err: unknown) => {
  console.error(`freshchain: ${(err as Error).message}`);
  process.exit(1);
});
