// Mocha plugin (.mocharc.json `require`): every integration suite runs on resources of its own.
//
// Loaded first in the main mocha process (which fixes the run id its parallel workers inherit)
// and then in each worker. At load it points this process's environment at the suite's names, so
// `testConfig` and every `loadConfig({ ...process.env })` or spawned child of a test reaches them;
// before the first integration file of a process runs, it creates them; the main process removes
// the run's at the end. A process running unit tests only creates nothing and needs no stack.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { Context, RootHookObject, Suite } from 'mocha';
import { DEV_DEFAULTS } from '../../config/schema';
import { RUN_ID_VARIABLE, newRunId, parseRunId, suiteEnvironment, suiteResources } from './isolation';
import { provisionDatabase, provisionNamespace, removeRun } from './provision';
import type { StackAddresses } from './provision';

/** The environment's database URL before any suite replaced it: the server suites clone on. */
const BASE_URL_VARIABLE = 'FRESHCHAIN_TEST_BASE_DATABASE_URL';

process.env[RUN_ID_VARIABLE] ??= newRunId();
process.env[BASE_URL_VARIABLE] ??= process.env.DATABASE_URL ?? DEV_DEFAULTS.databaseUrl;
const runId = parseRunId(process.env[RUN_ID_VARIABLE]);
const stack = stackAddresses(process.env);
const suite = suiteResources(runId, process.pid);
Object.assign(process.env, suiteEnvironment(suite, stack.databaseUrl));

/** Where each process notes the databases it made, for the main process's teardown. */
const ledger = join(tmpdir(), `freshchain-test-run-${runId}`);

function stackAddresses(env: NodeJS.ProcessEnv): StackAddresses {
  const databaseUrl = env[BASE_URL_VARIABLE] ?? DEV_DEFAULTS.databaseUrl;
  // The local stack's superuser (deploy/lib/common.sh) unless the environment names another.
  const local = new URL(databaseUrl);
  local.username = 'postgres';
  local.password = env.FRESHCHAIN_PG_SUPERUSER_PASSWORD ?? 'freshchain-super-dev';
  local.pathname = '/postgres';
  return {
    databaseUrl,
    adminUrl: env.FRESHCHAIN_TEST_ADMIN_URL ?? local.toString(),
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  };
}

const INTEGRATION_DIR = `${sep}test${sep}integration${sep}`;
const runsIntegration = (root: Suite): boolean => root.suites.some((s) => s.file?.includes(INTEGRATION_DIR));

let provisioned: Promise<void> | undefined;
async function provisionSuite(): Promise<void> {
  mkdirSync(ledger, { recursive: true });
  writeFileSync(join(ledger, suite.database), '');
  await Promise.all([provisionDatabase(stack, suite), provisionNamespace(stack, suite)]);
}

export const mochaHooks: RootHookObject = {
  async beforeAll(this: Context) {
    const root = this.test?.parent;
    if (!root || !runsIntegration(root)) return;
    this.timeout(120_000);
    // Once per process: a parallel worker runs several files one after the other, like a serial run.
    provisioned ??= provisionSuite();
    await provisioned;
  },
};

/** Main process, after every worker is done: the run's databases and namespaces go. */
export async function mochaGlobalTeardown(): Promise<void> {
  let databases: string[];
  try {
    databases = readdirSync(ledger);
  } catch {
    return; // no suite of this run touched the stack
  }
  await removeRun(stack, runId, databases);
  rmSync(ledger, { recursive: true, force: true });
}
