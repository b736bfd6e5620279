// Creates what one integration suite owns on the shared stack (test/support/isolation.ts names it):
// a database cloned from a migrated template and a Temporal namespace with the search attributes
// the workflows set. Also removes a run's resources at its end and stale runs' at the next start.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import { createDb } from '../../db/pool';
import { loadMigrations, migrate } from '../../db/migrate';
import {
  TEMPLATE_DATABASE,
  TEST_DATABASE_PREFIX,
  TEST_NAMESPACE_PREFIX,
  databaseUrl,
  runOfResource,
} from './isolation';
import type { SuiteResources } from './isolation';

const HOW_TO_START = 'start the local stack with `npm run setup` (or `npm run stack:up`)';
/** Serialises template checks and clones across the parallel workers of a run. */
const TEMPLATE_LOCK_KEY = 7_204_312;
const SEARCH_ATTRIBUTES_FILE = join(__dirname, '../../deploy/temporal/search-attributes.txt');

export interface StackAddresses {
  /** The application role's URL on the server tests use (its database part is replaced). */
  readonly databaseUrl: string;
  /** A role that may create databases and the TimescaleDB extension on that server. */
  readonly adminUrl: string;
  readonly temporalAddress: string;
}

/** Quote an identifier the server will see (names here are ours, but quoting costs nothing). */
const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function withAdmin<T>(adminUrl: string, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({
    connectionString: adminUrl,
    application_name: 'freshchain-test-provision',
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`TimescaleDB is not reachable as its administrator (${(err as Error).message}): ${HOW_TO_START}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every migration's name and text: a template made from other files is rebuilt. */
function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const m of loadMigrations()) hash.update(`${m.name}\0${m.sql}\0`);
  return `migrations ${hash.digest('hex').slice(0, 32)}`;
}

/** Make the template anew: the extension (the administrator's job), then the migrations as the application role. */
async function buildTemplate(admin: PgClient, stack: StackAddresses, fingerprint: string): Promise<void> {
  const owner = decodeURIComponent(new URL(stack.databaseUrl).username);
  await dropDatabase(admin, TEMPLATE_DATABASE);
  await admin.query(`CREATE DATABASE ${ident(TEMPLATE_DATABASE)} OWNER ${ident(owner)}`);
  await withAdmin(databaseUrl(stack.adminUrl, TEMPLATE_DATABASE), (c) =>
    c.query('CREATE EXTENSION IF NOT EXISTS timescaledb'),
  );
  const db = createDb({
    connectionString: databaseUrl(stack.databaseUrl, TEMPLATE_DATABASE),
    max: 1,
    applicationName: 'freshchain-test-template',
  });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  await admin.query(`COMMENT ON DATABASE ${ident(TEMPLATE_DATABASE)} IS '${fingerprint}'`);
  // A template takes no TimescaleDB job scheduler, and anyone with CREATEDB may clone it.
  await admin.query(`ALTER DATABASE ${ident(TEMPLATE_DATABASE)} IS_TEMPLATE true`);
}

async function dropDatabase(admin: PgClient, name: string, force = true): Promise<void> {
  const exists = await admin.query('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
  if (!exists.rowCount) return;
  if (exists.rows[0].datistemplate) await admin.query(`ALTER DATABASE ${ident(name)} IS_TEMPLATE false`);
  await admin.query(`DROP DATABASE IF EXISTS ${ident(name)}${force ? ' WITH (FORCE)' : ''}`);
}

/**
 * Stale runs' databases (a run killed before its teardown). Integration runs take the stack lock,
 * so no other run is live; still, a database with a client connected is left alone.
 */
async function dropStaleDatabases(admin: PgClient, runId: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database d WHERE starts_with(datname, $1)
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid AND a.backend_type = 'client backend')`,
    [TEST_DATABASE_PREFIX],
  );
  for (const { datname } of rows) {
    if (runOfResource(datname) !== runId) await dropDatabase(admin, datname).catch(() => undefined);
  }
}

/**
 * The suite's database: cloned from the template, which is checked (and rebuilt when the
 * migrations changed) under a lock, so the first suite of a run migrates it and the others wait.
 */
export async function provisionDatabase(stack: StackAddresses, suite: SuiteResources): Promise<void> {
  const fingerprint = migrationsFingerprint();
  const owner = decodeURIComponent(new URL(stack.databaseUrl).username);
  await withAdmin(stack.adminUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      await dropStaleDatabases(admin, suite.runId);
      const { rows } = await admin.query<{ comment: string | null }>(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
        [TEMPLATE_DATABASE],
      );
      if (rows[0]?.comment !== fingerprint) await buildTemplate(admin, stack, fingerprint);
      await dropDatabase(admin, suite.database);
      await cloneTemplate(admin, suite.database, owner);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}

/**
 * CREATE DATABASE … TEMPLATE needs the template free of sessions. The one TimescaleDB job
 * scheduler it may still have (started before it was marked a template; a template gets no new
 * one) is ended, and the clone retried while it goes.
 */
async function cloneTemplate(admin: PgClient, database: string, owner: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [TEMPLATE_DATABASE]);
    try {
      await admin.query(
        `CREATE DATABASE ${ident(database)} TEMPLATE ${ident(TEMPLATE_DATABASE)} OWNER ${ident(owner)}`,
      );
      return;
    } catch (err) {
      const busy = (err as { code?: string }).code === '55006'; // object_in_use: "being accessed by other users"
      if (!busy || attempt === 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const INDEXED_TYPES = new Map<string, temporal.api.enums.v1.IndexedValueType>([
  ['Text', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT],
  ['Keyword', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD],
  ['Int', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT],
  ['Double', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE],
  ['Bool', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL],
  ['Datetime', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME],
  ['KeywordList', temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST],
]);

/** `NAME=Type`: a name starting with a letter (so never `__proto__`), one `=`, a type name. */
const SEARCH_ATTRIBUTE_LINE = /^([A-Za-z][A-Za-z0-9_]{0,99})=([A-Za-z]+)$/;

/** The custom search attributes the shared dev server registers (deploy/temporal.sh reads the same file). */
export function declaredSearchAttributes(
  text = readFileSync(SEARCH_ATTRIBUTES_FILE, 'utf8'),
): Record<string, temporal.api.enums.v1.IndexedValueType> {
  const out: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SEARCH_ATTRIBUTE_LINE.exec(line);
    const indexed = m ? INDEXED_TYPES.get(m[2]!) : undefined;
    if (!m || indexed === undefined) throw new Error(`${SEARCH_ATTRIBUTES_FILE}: cannot read '${line}' as NAME=Type`);
    out[m[1]!] = indexed;
  }
  return out;
}

async function withTemporal<T>(address: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '3s' });
  } catch (err) {
    throw new Error(`Temporal is not reachable at ${address} (${(err as Error).message}): ${HOW_TO_START}`);
  }
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** The suite's namespace, with the search attributes; stale runs' namespaces are deleted. */
export async function provisionNamespace(stack: StackAddresses, suite: SuiteResources): Promise<void> {
  await withTemporal(stack.temporalAddress, async (c) => {
    await deleteNamespaces(c, (run) => run !== suite.runId);
    await c.workflowService.registerNamespace({
      namespace: suite.namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await c.operatorService.addSearchAttributes({
      namespace: suite.namespace,
      searchAttributes: declaredSearchAttributes(),
    });
  });
}

async function deleteNamespaces(c: Connection, ofRun: (runId: string) => boolean): Promise<void> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await c.workflowService.listNamespaces({ pageSize: 100, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const ns of page.namespaces) {
      const name = ns.namespaceInfo?.name ?? '';
      const run = name.startsWith(TEST_NAMESPACE_PREFIX) ? runOfResource(name) : undefined;
      const live = ns.namespaceInfo?.state === temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED;
      if (run !== undefined && live && ofRun(run))
        await c.operatorService.deleteNamespace({ namespace: name }).catch(() => undefined);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/** At a run's end: its suites' databases and namespaces. */
export async function removeRun(stack: StackAddresses, runId: string, databases: readonly string[]): Promise<void> {
  await withAdmin(stack.adminUrl, async (admin) => {
    for (const name of databases) if (runOfResource(name) === runId) await dropDatabase(admin, name);
  });
  await withTemporal(stack.temporalAddress, (c) => deleteNamespaces(c, (run) => run === runId));
}
