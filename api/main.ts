// `npm run api`: the HTTP API on its own. Stateless: scale out behind any load balancer.
import { config } from '../config';
import { createDb } from '../db/pool';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { connectTemporal } from '../platform/temporal';
import { startApi } from './server';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel).child({ component: 'api' });
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: cfg.db.poolMax,
    logger,
    applicationName: 'freshchain-api',
  });
  const temporal = await connectTemporal(cfg.temporal);
  const api = await startApi(cfg, { db, temporal, logger });
  onShutdown(logger, async () => {
    await api.stop();
    await temporal.connection.close();
    await db.close();
  });
}

main().catch((err: unknown) => {
  console.error(`api: ${(err as Error).message}`);
  process.exit(1);
});
