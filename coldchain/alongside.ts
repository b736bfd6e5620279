// Run the alert evaluator inside another process (the ingester, `npm start`), as `cfg.alerts`
// says (ALERTS_EVALUATOR, ALERTS_SHARE_GROUP, ALERTS_CLIENT_ID). Without a configured client-id
// prefix the host and the hosting process's role make one, so that `npm start` and `npm run
// ingest` on one host do not take over each other's sessions.
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { ProgressProbe } from '../platform/health';
import type { Logger } from '../platform/logger';
import { connectTemporal } from '../platform/temporal';
import { startAlertEvaluator } from './evaluator';
import { createAlertMetrics } from './metrics';

/** Start the evaluator unless switched off; without a Temporal client one is connected (or, failing that, the outbox waits for an instance that has one). */
export async function startAlertingAlongside(
  cfg: Config,
  deps: { db: Db; logger: Logger; temporal?: Client; metricsRegistry?: Registry; role: string },
): Promise<{ progress: ProgressProbe; stop(): Promise<void> } | null> {
  if (!cfg.alerts.evaluatorAlongside) return null;
  const logger = deps.logger.child({ component: 'alerts' });
  let temporal = deps.temporal;
  let close: (() => Promise<void>) | undefined;
  if (!temporal) {
    try {
      const handle = await connectTemporal(cfg.temporal);
      temporal = handle.client;
      close = () => handle.connection.close();
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'Temporal unreachable: webhook deliveries and order signals wait in the outbox',
      );
    }
  }
  const clientIdPrefix = cfg.alerts.clientIdPrefix ?? `fc-alerts-${hostname()}-${deps.role}`;
  const evaluator = await startAlertEvaluator(
    cfg,
    { db: deps.db, logger, temporal, metrics: createAlertMetrics(deps.metricsRegistry) },
    { clientIdPrefix, shareGroup: cfg.alerts.shareGroup },
  );
  return {
    progress: evaluator.progress,
    async stop() {
      await evaluator.stop();
      await close?.();
    },
  };
}
