import { homedir } from 'node:os';
import { join } from 'node:path';
import { TASK_QUEUE_AREAS, taskQueuesBeside, taskQueuesFor } from './task-queues';
import type { TaskQueueArea, TaskQueues } from './task-queues';
import { envSchema, DEV_DEFAULTS } from './schema';

/** Parsed, frozen configuration of every freshchain process. */
export interface Config {
  readonly profile: 'development' | 'test' | 'production';
  readonly logLevel: string;
  readonly port: number;
  readonly demo: boolean;
  readonly db: { readonly connectionString?: string; readonly poolMax: number };
  readonly temporal: {
    readonly address: string;
    readonly namespace: string;
    /** The task queue of each area (config/task-queues.ts): start a workflow on its area's queue. */
    readonly taskQueues: TaskQueues;
    readonly uiUrl: string;
    readonly payloadKey?: string;
  };
  /** What a worker process serves: its areas, and the pre-built workflow bundle when there is one. */
  readonly worker: { readonly areas: readonly TaskQueueArea[]; readonly workflowBundlePath?: string };
  readonly mqtt: {
    readonly url: string;
    readonly username: string;
    readonly password: string;
    readonly device: { readonly username: string; readonly password: string };
    readonly ops: { readonly username: string; readonly password: string };
    readonly shareGroup: string;
    /** Topic namespace segment ('' for none): build topics with `topicScheme(topicPrefix)`. */
    readonly topicPrefix: string;
    /** Where devices and the simulator connect (TLS on every deployment we ship). */
    readonly deviceUrl: string;
    /** PEM CA that verifies the broker on mqtts:// / wss://; undefined: the system roots. */
    readonly caFile?: string;
  };
  readonly ingest: {
    readonly batchMax: number;
    readonly batchWaitMs: number;
    readonly bufferMax: number;
    readonly clientIdPrefix?: string;
    readonly sessions: number;
    readonly sessionExpirySeconds: number;
    readonly metricsPort: number;
  };
  readonly alerts: {
    readonly evaluatorAlongside: boolean;
    readonly shareGroup: string;
    readonly clientIdPrefix?: string;
  };
  /** Tokens are signed with `tokenSecret`; `previousTokenSecret` (during a rotation) only verifies. */
  readonly auth: { readonly tokenSecret: string; readonly previousTokenSecret?: string };
  /** PII_ENCRYPTION_KEY, and how long personal data of finished orders is kept (PII_RETENTION_DAYS). */
  readonly pii: { readonly key: string; readonly retentionDays: number };
  /** host:port of the worker runtime's Prometheus endpoint, or undefined when off. */
  readonly workerMetricsBind?: string;
}

/** Thrown when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parse the environment once. Development and test fall back to the local stack's defaults;
 * production demands every secret explicitly, so a forgotten variable fails at start-up.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.FRESHCHAIN_PROFILE === 'production';
  const missing: string[] = [];
  const secret = (name: string, value: string | undefined, fallback: string): string => {
    if (value) return value;
    if (production) missing.push(name);
    return fallback;
  };
  // DATABASE_URL wins; else PG* variables (read by node-postgres itself); else the local stack.
  const connectionString = e.DATABASE_URL ?? (e.PGHOST ? undefined : production ? undefined : DEV_DEFAULTS.databaseUrl);
  if (production && !e.DATABASE_URL && !e.PGHOST) missing.push('DATABASE_URL (or PGHOST and friends)');
  // Outside production the local stack's generated CA (deploy/mosquitto.sh) verifies the broker.
  const mqttCaFile = e.MQTT_CA_FILE ?? (production ? undefined : localBrokerCa(e.FRESHCHAIN_HOME));
  const config: Config = {
    profile: e.FRESHCHAIN_PROFILE,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    demo: e.DEMO ?? !production,
    db: { connectionString, poolMax: e.PG_POOL_MAX },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiUrl: e.TEMPORAL_UI_URL,
      // TEMPORAL_TASK_QUEUE, older and more specific, wins: a test's throwaway queue, or the
      // single queue of a deployment from before queues per area.
      taskQueues: e.TEMPORAL_TASK_QUEUE
        ? taskQueuesBeside(e.TEMPORAL_TASK_QUEUE)
        : taskQueuesFor(e.TEMPORAL_TASK_QUEUE_PREFIX),
      // Payload encryption is off on the local stack (so the dev UI shows payloads) and required in production.
      ...(e.PAYLOAD_CODEC_KEY ? { payloadKey: e.PAYLOAD_CODEC_KEY } : {}),
    },
    mqtt: {
      url: e.MQTT_URL,
      username: e.MQTT_USERNAME,
      password: secret('MQTT_PASSWORD', e.MQTT_PASSWORD, DEV_DEFAULTS.mqttPassword),
      device: {
        username: e.MQTT_DEVICE_USERNAME,
        password: secret('MQTT_DEVICE_PASSWORD', e.MQTT_DEVICE_PASSWORD, DEV_DEFAULTS.mqttDevicePassword),
      },
      ops: {
        username: e.MQTT_OPS_USERNAME,
        password: secret('MQTT_OPS_PASSWORD', e.MQTT_OPS_PASSWORD, DEV_DEFAULTS.mqttOpsPassword),
      },
      shareGroup: e.MQTT_SHARE_GROUP,
      topicPrefix: e.MQTT_TOPIC_PREFIX,
      // Devices use the TLS listener. With MQTT_URL set the local stack runs no broker, so that
      // broker is the devices' too unless MQTT_DEVICE_URL says otherwise.
      deviceUrl: e.MQTT_DEVICE_URL ?? (env.MQTT_URL ? e.MQTT_URL : LOCAL_DEVICE_URL),
      ...(mqttCaFile ? { caFile: mqttCaFile } : {}),
    },
    ingest: {
      batchMax: e.INGEST_BATCH_MAX,
      batchWaitMs: e.INGEST_BATCH_WAIT_MS,
      bufferMax: e.INGEST_BUFFER_MAX,
      ...(e.INGEST_CLIENT_ID ? { clientIdPrefix: e.INGEST_CLIENT_ID } : {}),
      sessions: e.INGEST_SESSIONS,
      // A day covers an ingester's outage in production; elsewhere sessions of stopped
      // instances would otherwise queue the whole stream for a day and grow the broker.
      sessionExpirySeconds: e.INGEST_SESSION_EXPIRY_S ?? (production ? 86_400 : 600),
      metricsPort: e.INGEST_METRICS_PORT,
    },
    alerts: {
      // Test processes must not join the shared `alerts` group with sessions that outlive them.
      evaluatorAlongside: e.ALERTS_EVALUATOR ?? e.FRESHCHAIN_PROFILE !== 'test',
      shareGroup: e.ALERTS_SHARE_GROUP,
      ...((e.ALERTS_CLIENT_ID ?? e.INGEST_CLIENT_ID)
        ? { clientIdPrefix: e.ALERTS_CLIENT_ID ?? `${e.INGEST_CLIENT_ID}-alerts` }
        : {}),
    },
    auth: {
      tokenSecret: secret('API_TOKEN_SECRET', e.API_TOKEN_SECRET, DEV_DEFAULTS.apiTokenSecret),
      ...(e.API_TOKEN_SECRET_PREVIOUS ? { previousTokenSecret: e.API_TOKEN_SECRET_PREVIOUS } : {}),
    },
    worker: {
      areas: e.WORKER_AREAS ?? [...TASK_QUEUE_AREAS],
      ...(e.WORKFLOW_BUNDLE ? { workflowBundlePath: e.WORKFLOW_BUNDLE } : {}),
    },
    pii: {
      key: secret('PII_ENCRYPTION_KEY', e.PII_ENCRYPTION_KEY, DEV_DEFAULTS.piiKey),
      retentionDays: e.PII_RETENTION_DAYS,
    },
    ...(e.WORKER_METRICS_BIND === 'off' ? {} : { workerMetricsBind: e.WORKER_METRICS_BIND }),
  };
  if (production && !e.PAYLOAD_CODEC_KEY) missing.push('PAYLOAD_CODEC_KEY');
  // Rotating back to the published development secret would accept anyone's tokens.
  if (production && e.API_TOKEN_SECRET_PREVIOUS === DEV_DEFAULTS.apiTokenSecret)
    throw new ConfigError('API_TOKEN_SECRET_PREVIOUS: the development secret is refused in production');
  if (missing.length)
    throw new ConfigError(`production profile needs these set in the environment: ${missing.join(', ')}`);
  return deepFreeze(config);
}

/** The local stack's TLS listener for devices (deploy/mosquitto.sh, FRESHCHAIN_MQTT_TLS_PORT). */
const LOCAL_DEVICE_URL = 'mqtts://localhost:8883';

/** The CA certificate deploy/mosquitto.sh publishes for clients of the local broker. */
function localBrokerCa(home: string | undefined): string {
  return join(home ?? join(homedir(), '.cache/freshchain'), 'state/mosquitto/tls/ca.crt');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

let cached: Config | undefined;
/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
