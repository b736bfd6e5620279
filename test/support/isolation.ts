// What one integration suite owns on the shared stack, derived from a run id and a suite id
// (the mocha worker process): its database, Temporal namespace and task queue, MQTT share groups
// and client ids, MQTT topic namespace. Pure: names and environment only; test/support/provision.ts creates them.

/** A run's id: set once by the main mocha process, inherited by its parallel workers. */
export const RUN_ID_VARIABLE = 'FRESHCHAIN_TEST_RUN';

/** Lower-case letters and digits only: the id goes into database, namespace and topic-group names. */
const RUN_ID = /^[a-z0-9]{1,16}$/;

/** Prefix of every database a test run clones; the template itself is not one of them. */
export const TEST_DATABASE_PREFIX = 'freshchain_test_';
/** The migrated database every suite's database is cloned from. */
export const TEMPLATE_DATABASE = 'freshchain_template';
/** Prefix of every Temporal namespace a test run registers. */
export const TEST_NAMESPACE_PREFIX = 'freshchain-test-';

export interface SuiteResources {
  readonly runId: string;
  readonly suiteId: string;
  readonly database: string;
  readonly namespace: string;
  readonly taskQueuePrefix: string;
  readonly shareGroup: string;
  readonly alertsShareGroup: string;
  readonly clientIdPrefix: string;
  /** The suite's MQTT topic namespace: its ingesters read only what its tests publish. */
  readonly topicPrefix: string;
}

/** A new run id: time then randomness, so ids sort by start and never collide. */
export function newRunId(now = Date.now(), random = Math.random()): string {
  return `${now.toString(36)}${Math.floor(random * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`.slice(0, 16);
}

/** The run id from the environment, refused with the variable's name when it is not one. */
export function parseRunId(value: string): string {
  if (!RUN_ID.test(value)) throw new Error(`${RUN_ID_VARIABLE} must be 1 to 16 lower-case letters or digits`);
  return value;
}

/** Names of everything a suite owns; `suiteId` is its worker process id. */
export function suiteResources(runId: string, suiteId: number): SuiteResources {
  if (!Number.isSafeInteger(suiteId) || suiteId < 0)
    throw new Error(`suite id must be a non-negative integer, not ${suiteId}`);
  const run = parseRunId(runId);
  const tag = `${run}_${suiteId}`;
  const dashed = `${run}-${suiteId}`;
  return {
    runId: run,
    suiteId: String(suiteId),
    database: `${TEST_DATABASE_PREFIX}${tag}`,
    namespace: `${TEST_NAMESPACE_PREFIX}${dashed}`,
    taskQueuePrefix: `freshchain-test-${dashed}`,
    shareGroup: `ingest-${dashed}`,
    alertsShareGroup: `alerts-${dashed}`,
    clientIdPrefix: `fc-test-${dashed}`,
    topicPrefix: `test-${dashed}`,
  };
}

/** The run a test database or namespace belongs to, or undefined for anything else. */
export function runOfResource(name: string): string | undefined {
  const m = /^(?:freshchain_test_|freshchain-test-)([a-z0-9]{1,16})[_-]\d+$/.exec(name);
  return m?.[1];
}

/** `baseUrl` with its database replaced: same server, role and password. */
export function databaseUrl(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The environment a suite runs with: every config.loadConfig({...process.env}) in tests, and
 * every child process they spawn, then reaches the suite's own resources. Metrics listeners take
 * any free port (or none), since suites run side by side on one host.
 */
export function suiteEnvironment(resources: SuiteResources, baseDatabaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(baseDatabaseUrl, resources.database),
    TEMPORAL_NAMESPACE: resources.namespace,
    // Queues are per namespace already; the prefix also keeps a suite's queue names its own.
    TEMPORAL_TASK_QUEUE_PREFIX: resources.taskQueuePrefix,
    MQTT_TOPIC_PREFIX: resources.topicPrefix,
    MQTT_SHARE_GROUP: resources.shareGroup,
    ALERTS_SHARE_GROUP: resources.alertsShareGroup,
    INGEST_CLIENT_ID: resources.clientIdPrefix,
    ALERTS_CLIENT_ID: `${resources.clientIdPrefix}-alerts`,
    INGEST_METRICS_PORT: '0',
    WORKER_METRICS_BIND: 'off',
  };
}
