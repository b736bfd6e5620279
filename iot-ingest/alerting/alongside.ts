// Run the alert evaluator inside another process (the ingester, `npm start`), configured from
// the environment:
//   ALERTS_EVALUATOR=on|off  default on (off in the test profile, so test processes never join
//                            the shared `alerts` group with sessions that outlive them)
//   ALERTS_SHARE_GROUP       default `alerts`
//   ALERTS_CLIENT_ID         stable client-id prefix (default derived from INGEST_CLIENT_ID, or from
//                            the host and the hosting process's role, so that `npm start` and
//                            `npm run ingest` on one host do not take over each other's sessions)
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Config } from '../../config';
import type { Db } from '../../db/pool';
import type { Logger } from '../../platform/logger';
import { connectTemporal } from '../../platform/temporal';
import { startAlertEvaluator } from './evaluator';
import { createAlertMetrics } from './metrics';

/** Start the evaluator unless switched off; without a Temporal client one is connected (or, failing that, the outbox waits for an instance that has one). */
export async function startAlertingAlongside(
  cfg: Config,
  deps: { db: Db; logger: Logger; temporal?: Client; metricsRegistry?: Registry; role: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop(): Promise<void> } | null> {
  const enabled = env.ALERTS_EVALUATOR ? ['on', 'true', '1', 'yes'].includes(env.ALERTS_EVALUATOR) : cfg.profile !== 'test';
  if (!enabled) return null;
  const logger = deps.logger.child({ component: 'alerts' });
  let temporal = deps.temporal;
  let close: (() => Promise<void>) | undefined;
  if (!temporal) {
    try {
      const handle = await connectTemporal(cfg.temporal);
      temporal = handle.client;
      close = () => handle.connection.close();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'Temporal unreachable: webhook deliveries and order signals wait in the outbox');
    }
  }
  const clientIdPrefix = env.ALERTS_CLIENT_ID ?? (env.INGEST_CLIENT_ID ? `${env.INGEST_CLIENT_ID}-alerts` : `fc-alerts-${hostname()}-${deps.role}`);
  const evaluator = await startAlertEvaluator(
    cfg,
    { db: deps.db, logger, temporal, metrics: createAlertMetrics(deps.metricsRegistry) },
    { clientIdPrefix, shareGroup: env.ALERTS_SHARE_GROUP },
  );
  return {
    async stop() {
      await evaluator.stop();
      await close?.();
    },
  };
}
