// `npm run migrate`: apply pending migrations to the configured database.
import { config } from '../config';
import { createLogger } from '../platform/logger';
import { createDb } from './pool';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel);
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: 2,
    logger,
    applicationName: 'freshchain-migrate',
  });
  try {
    const applied = await migrate(db);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`migrate: ${(err as Error).message}`);
  process.exit(1);
});
