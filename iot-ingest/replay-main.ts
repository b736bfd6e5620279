// `npm run dead-letters:replay [-- --sensor ID ... --since ISO]`: store the dead-lettered
// readings of sensors registered after they started publishing. Prints one JSON summary.
import { parseArgs } from 'node:util';
import { config } from '../config';
import { createDb } from '../db/pool';
import { replayUnknownSensorLetters } from './replay';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sensor: { type: 'string', multiple: true }, since: { type: 'string' } },
    strict: true,
  });
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime()))
    throw new Error(`--since ${values.since}: not a date (ISO 8601, e.g. 2026-11-25T08:00:00Z)`);
  const cfg = config();
  const db = createDb({ connectionString: cfg.db.connectionString, max: 2, applicationName: 'freshchain-replay' });
  try {
    console.log(
      JSON.stringify(
        await replayUnknownSensorLetters(db, {
          ...(values.sensor ? { sensorIds: values.sensor } : {}),
          ...(since ? { since } : {}),
        }),
      ),
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`dead-letters:replay: ${(err as Error).message}`);
  process.exit(1);
});
