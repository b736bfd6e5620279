// A TimescaleDB of a test's own (deploy/test-timescale.sh), for a test that stops and starts its
// database: the shared stack's is never restarted, so suites running beside it are unaffected.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrate } from '../../db/migrate';
import { createDb } from '../../db/pool';
import { uniqueId } from './stack';

const SCRIPT = join(__dirname, '../../deploy/test-timescale.sh');
const run = promisify(execFile);

export interface PrivateTimescale {
  /** The application role's URL on it: a migrated `freshchain` database. */
  readonly url: string;
  /** Fast shutdown, as an outage looks to clients: connections drop, new ones are refused. */
  stop(): Promise<void>;
  /** Up again on the same port and data. */
  start(): Promise<void>;
  /** Stopped and its data removed. */
  destroy(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
  });
}

async function script(...args: string[]): Promise<void> {
  // The script's environment: never a DATABASE_URL (it starts a server of its own regardless).
  const { DATABASE_URL: _ignored, ...env } = process.env;
  try {
    await run('bash', [SCRIPT, ...args], { env, timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`deploy/test-timescale.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Start a private TimescaleDB on a free port, migrated like the shared one. */
export async function startPrivateTimescale(): Promise<PrivateTimescale> {
  const name = uniqueId('ts').replace(/[^A-Za-z0-9_-]/g, '');
  const port = await freePort();
  await script('up', name, String(port));
  const url = `postgres://freshchain:freshchain-dev@127.0.0.1:${port}/freshchain`;
  const db = createDb({ connectionString: url, max: 1, applicationName: 'freshchain-test-migrate' });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  return {
    url,
    stop: () => script('stop', name),
    start: () => script('up', name, String(port)),
    destroy: () => script('destroy', name),
  };
}
