// Connections to the real local stack for integration tests. A missing service fails the
// test with the service's name and how to start it; it never skips silently.
import { Connection } from '@temporalio/client';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../../config';
import type { Config } from '../../config';
import { createDb } from '../../db/pool';
import { topicScheme } from '../../domain/coldchain/topics';
import type { TopicScheme } from '../../domain/coldchain/topics';
import type { Db } from '../../db/pool';
import { createLogger } from '../../platform/logger';
import type { Logger } from '../../platform/logger';
import { connectMqtt } from '../../platform/mqtt';

const HOW_TO_START = 'start the local stack with `npm run setup` (or `npm run stack:up`)';

/** Test configuration: the local stack's defaults, overridable by the environment. */
export const testConfig: Config = loadConfig({
  ...process.env,
  FRESHCHAIN_PROFILE: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
});

/** The suite's MQTT topic namespace: build every topic a test publishes with it. */
export const suiteTopics: TopicScheme = topicScheme(testConfig.mqtt.topicPrefix);

/** A logger that stays quiet unless LOG_LEVEL asks otherwise. */
export const testLogger: Logger = createLogger(testConfig.logLevel);

/** A unique id per test run and call, so tests own their data and need no cleanup. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A pool on the test database, after checking it answers. */
export async function requireDb(): Promise<Db> {
  const db = createDb({
    connectionString: testConfig.db.connectionString,
    max: 8,
    logger: testLogger,
    applicationName: 'freshchain-test',
  });
  try {
    await db.query('SELECT 1');
  } catch (err) {
    await db.close();
    throw new Error(`TimescaleDB is not reachable (${(err as Error).message}): ${HOW_TO_START}`);
  }
  return db;
}

/** Check the Temporal server answers on the configured namespace. */
export async function requireTemporal(): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: testConfig.temporal.address, connectTimeout: '3s' });
    await connection.workflowService.describeNamespace({ namespace: testConfig.temporal.namespace });
  } catch (err) {
    throw new Error(
      `Temporal is not reachable at ${testConfig.temporal.address} (${(err as Error).message}): ${HOW_TO_START}`,
    );
  } finally {
    await connection?.close();
  }
}

/** An MQTT client logged in with the given account (ops by default). */
export async function requireMqtt(
  account: 'ops' | 'device' | 'ingest' = 'ops',
  extra: Parameters<typeof connectMqtt>[1] = {},
): Promise<MqttClient> {
  const creds =
    account === 'ops'
      ? testConfig.mqtt.ops
      : account === 'device'
        ? testConfig.mqtt.device
        : { username: testConfig.mqtt.username, password: testConfig.mqtt.password };
  try {
    return await connectMqtt(testConfig.mqtt.url, { ...creds, ...extra }, 5000);
  } catch (err) {
    throw new Error(`the MQTT broker is not reachable (${(err as Error).message}): ${HOW_TO_START}`);
  }
}
