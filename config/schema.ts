import { z } from 'zod';
import { DEFAULT_TASK_QUEUE_PREFIX, UnknownAreaError, parseAreas } from './task-queues';
import { TOPIC_PREFIX_PATTERN, TOPIC_PREFIX_RULE } from '../domain/coldchain/topics';

/** Development-only secrets; refused in production so a forgotten variable fails loudly. */
export const DEV_DEFAULTS = {
  databaseUrl: 'postgres://freshchain:freshchain-dev@127.0.0.1:5433/freshchain',
  mqttPassword: 'ingest-dev',
  mqttDevicePassword: 'device-dev',
  mqttOpsPassword: 'ops-dev',
  apiTokenSecret: 'freshchain-dev-token-secret-change-me-0123456789',
  piiKey: 'ZnJlc2hjaGFpbi1kZXYtcGlpLWtleS0zMi1ieXRlcyE=',
} as const;

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** Text a file path or URL may hold: no control characters (NUL included), no lone surrogates. */
const CONTROL_OR_LONE_SURROGATE = /\p{Cc}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
const cleanText = (s: string): boolean => !CONTROL_OR_LONE_SURROGATE.test(s);

/** An absolute file path (the services' working directory differs between deployments). */
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => s.startsWith('/'), 'must be an absolute path')
  .refine(cleanText, 'must not contain control characters or lone surrogates');

/** A broker URL with a host: mqtt://, mqtts://, ws://, wss:// (tcp:// is MQTT.js's alias of mqtt://). */
const brokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
  .refine(cleanText, 'must not contain control characters or lone surrogates')
  .refine((s) => URL.canParse(s) && new URL(s).hostname !== '', 'must name a host');

/** A stable MQTT client-id prefix: the same prefix resumes the same persistent broker sessions. */
const clientIdPrefix = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (at most 100)');

/** A task queue name or prefix: what every Temporal tool shows and every shell quotes safely. */
const taskQueueName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
    'must be 1-200 letters, digits, dot, underscore or dash, starting with a letter or digit',
  );

/** A comma-separated list of areas (config/task-queues.ts), or `all`. */
const areaList = z.string().transform((s, ctx) => {
  try {
    return parseAreas(s);
  } catch (err) {
    if (!(err instanceof UnknownAreaError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
    return z.NEVER;
  }
});

/** Environment variables the system reads, with their defaults. Ecosystem names where one exists. */
export const envSchema = z.object({
  FRESHCHAIN_PROFILE: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().optional(),
  PGHOST: z.string().optional(),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Queues are `<prefix>-orders`, `<prefix>-coldchain`, `<prefix>-forecasting`. */
  TEMPORAL_TASK_QUEUE_PREFIX: taskQueueName.default(DEFAULT_TASK_QUEUE_PREFIX),
  /** Before queues per area: `<prefix>-orders` selects that prefix; another name is one queue for every area. Wins over the prefix. */
  TEMPORAL_TASK_QUEUE: taskQueueName.optional(),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .default('mqtt://127.0.0.1:1883'),
  MQTT_USERNAME: z.string().min(1).default('freshchain-ingest'),
  MQTT_PASSWORD: z.string().min(1).optional(),
  MQTT_DEVICE_USERNAME: z.string().min(1).default('freshchain-device'),
  MQTT_DEVICE_PASSWORD: z.string().min(1).optional(),
  MQTT_OPS_USERNAME: z.string().min(1).default('freshchain-ops'),
  MQTT_OPS_PASSWORD: z.string().min(1).optional(),
  /** Where devices (and the simulator) connect: the broker's TLS listener. Default: MQTT_URL when set, else the local stack's mqtts://localhost:8883. */
  MQTT_DEVICE_URL: brokerUrl.optional(),
  /** PEM CA that verifies the broker's certificate on mqtts:// and wss:// (default outside production: the local stack's generated CA; else the system roots). */
  MQTT_CA_FILE: absolutePath.optional(),
  /** The local stack's home (deploy/lib/common.sh); its generated broker CA is the development MQTT_CA_FILE. */
  FRESHCHAIN_HOME: absolutePath.optional(),
  /** The deployment's MQTT topic namespace: one segment in front of `freshchain/v1/...`, so deployments (or test suites) share a broker apart. Default: none. */
  MQTT_TOPIC_PREFIX: z
    .union([z.literal(''), z.string().regex(TOPIC_PREFIX_PATTERN, `must be ${TOPIC_PREFIX_RULE}`)])
    .default(''),
  MQTT_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ingest'),
  INGEST_BATCH_MAX: z.coerce.number().int().min(1).max(50000).default(2000),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(10000).default(20),
  INGEST_BUFFER_MAX: z.coerce.number().int().min(100).default(200000),
  /** Stable prefix of an ingester instance's MQTT client ids: the same prefix resumes the same persistent sessions. */
  INGEST_CLIENT_ID: clientIdPrefix.optional(),
  /** MQTT sessions per ingester instance: each holds one message until its batch commits. */
  INGEST_SESSIONS: z.coerce.number().int().min(1).max(1024).default(32),
  /** How long the broker keeps an absent ingester's sessions (and queues their messages). Default by profile. */
  INGEST_SESSION_EXPIRY_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .optional(),
  /** Port of the ingester process's Prometheus endpoint (0: any free port). */
  INGEST_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Run the alert evaluator inside the ingester and `npm start` processes (default: on, off in the test profile). */
  ALERTS_EVALUATOR: boolFromEnv.optional(),
  ALERTS_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('alerts'),
  /** Stable client-id prefix of the evaluator's sessions (default: `<INGEST_CLIENT_ID>-alerts`, or host and process role). */
  ALERTS_CLIENT_ID: clientIdPrefix.optional(),
  API_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** During a key rotation: the secret tokens were signed with before; it verifies them, it signs nothing. Remove it when they have expired. */
  API_TOKEN_SECRET_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
  PII_ENCRYPTION_KEY: z.string().optional(),
  /** Days personal data of a finished order is kept (by its last change) before retention erases it: plain decimal, 0 to 3650. */
  PII_RETENTION_DAYS: z
    .string()
    .regex(/^\d{1,4}(\.\d{1,6})?$/, 'must be a number of days, e.g. 30 or 0.5')
    .transform(Number)
    .refine((d) => d <= 3650, 'must be at most 3650 days')
    .default(30),
  /** Base64 32-byte key: Temporal payloads are encrypted when set (required in production). */
  PAYLOAD_CODEC_KEY: z.string().optional(),
  DEMO: boolFromEnv.optional(),
  /** Where the worker's Temporal runtime serves Prometheus metrics (workflow outcomes, task latencies); `off` disables. */
  /** Areas a worker process serves (`orders,coldchain,forecasting`, or `all`); `npm run worker -- --area` overrides. */
  WORKER_AREAS: areaList.optional(),
  /** The pre-built workflow bundle (`npm run build` writes dist/workflow-bundle.js); unset: the compiled worker's own, else bundled at start outside production. */
  WORKFLOW_BUNDLE: absolutePath.optional(),
  WORKER_METRICS_BIND: z
    .string()
    .regex(/^(off|[\w.:[\]-]+:\d+)$/, 'must be host:port or off')
    .default('127.0.0.1:9465'),
});

export type Env = z.infer<typeof envSchema>;
