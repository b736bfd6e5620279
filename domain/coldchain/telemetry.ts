// Telemetry contract v1: payload schemas and a parser that never throws.
//
// The parser faces whatever devices, gateways and attackers publish, so every failure is
// returned as a dead letter with a stable reason code instead of an exception; one bad reading
// in a gateway batch must not cost the other readings of that batch.
import { z } from 'zod';
import { storableText } from '../text';
import { DEFAULT_TOPICS, ID_PATTERN } from './topics';
import type { TopicScheme } from './topics';

export {
  TOPIC_ROOT,
  TOPIC_PREFIX_PATTERN,
  TOPIC_PREFIX_RULE,
  DEFAULT_TOPICS,
  topicScheme,
  ID_PATTERN,
  isValidId,
  topicFor,
  readingTopic,
  batchTopic,
  readingFilter,
  batchFilter,
  SHARED_SUBSCRIPTION_PREFIX,
  sharedTopic,
  parseTopic,
} from './topics';
export type { TopicAddress, ReadingTopicAddress, BatchTopicAddress, TopicParseResult, TopicScheme } from './topics';

/** Payload version this parser understands. */
export const TELEMETRY_VERSION = 1;

/** Physically plausible air temperature for our equipment, °C (outside it the sensor is broken). */
export const TEMP_RANGE_C = { min: -60, max: 80 } as const;

/** Default parse limits; see docs/telemetry-contract.md. */
export const DEFAULT_PARSE_LIMITS = {
  maxFutureSkewMs: 5 * 60_000,
  // Gateways and vans buffer while offline; a week of buffered evidence is still worth keeping.
  maxAgeMs: 7 * 24 * 3_600_000,
  maxPayloadBytes: 256 * 1024,
  maxBatchReadings: 1_000,
  // A dead letter keeps every byte of a message within the contract; only what is over the
  // payload limit is clipped (and the broker drops that before it reaches us).
  maxRawBytes: 256 * 1024,
} as const;

/** Longest `detail` kept on a dead letter: error messages can quote the offending input. */
export const MAX_DETAIL_CHARS = 1_000;

/** Stable reason codes for dead letters (stored and counted: never rename one). */
export type DeadLetterReason =
  | 'malformed_json'
  | 'invalid_encoding'
  | 'schema_violation'
  | 'unknown_version'
  | 'bad_topic'
  | 'impossible_value'
  | 'clock_skew'
  | 'too_old'
  | 'payload_too_large'
  | 'unknown_sensor'
  /** Set by the ingester: PostgreSQL refused the row (detail names the SQLSTATE); the rest of its batch was stored. */
  | 'rejected_by_database'
  | 'internal_error';

/**
 * A message, or one reading of a batch, that could not be accepted. Its strings are storable
 * text (no NUL, no lone surrogate: see domain/text.ts); whatever the sender sent is in `raw`.
 */
export interface DeadLetter {
  reason: DeadLetterReason;
  detail: string;
  topic: string;
  /** The offending payload's bytes exactly as received (a batch item: its JSON), clipped to `maxRawBytes`. */
  raw?: Uint8Array;
  /** Size in bytes of what `raw` was taken from, so a clipped `raw` shows it. */
  rawSize?: number;
  /** Position in the batch's `readings` array, for a per-reading dead letter. */
  index?: number;
  sensorId?: string;
}

/** A validated reading in internal units (epoch ms, °C, %), absent fields as null. */
export interface Reading {
  sensorId: string;
  assetId: string;
  nodeId: string;
  ts: number;
  tempC: number;
  humidityPct: number | null;
  doorOpen: boolean | null;
  batteryPct: number | null;
  defrost: boolean | null;
  seq: number | null;
}

/** Output of parsing one MQTT message. */
export interface ParseResult {
  readings: Reading[];
  deadLetters: DeadLetter[];
}

/** Options for `parseTelemetryMessage`; `now` is required because domain code reads no clock. */
export interface ParseOptions {
  now: number;
  maxFutureSkewMs?: number;
  maxAgeMs?: number;
  maxPayloadBytes?: number;
  maxBatchReadings?: number;
  maxRawBytes?: number;
  /** The deployment's topic namespace (default: none, `freshchain/v1/...`). */
  topics?: TopicScheme;
}

const idSchema = z.string().regex(ID_PATTERN);

/** ISO-8601 date-time that must carry an offset (Z or ±hh:mm): local times are ambiguous. */
export const IsoTimestampSchema = z.iso.datetime({ offset: true });

/** Epoch milliseconds (seconds are rejected by the age check: they look like 1970). */
export const EpochMsSchema = z.number().int().nonnegative();

// Unknown keys are ignored (stripped) so devices may add fields within v1; null counts as absent.
const readingFields = {
  ts: z.union([EpochMsSchema, IsoTimestampSchema]),
  seq: z.number().int().nonnegative().nullish(),
  temp_c: z.number().min(TEMP_RANGE_C.min).max(TEMP_RANGE_C.max),
  humidity_pct: z.number().min(0).max(100).nullish(),
  door_open: z.boolean().nullish(),
  battery_pct: z.number().min(0).max(100).nullish(),
  defrost: z.boolean().nullish(),
};

/** Single reading on `freshchain/v1/telemetry/{nodeId}/{assetId}/{sensorId}`. */
export const SingleReadingPayloadSchema = z.object({ v: z.literal(1), ...readingFields });

/** One reading inside a gateway batch; it names its sensor and asset. */
export const BatchItemSchema = z.object({ sensor: idSchema, asset: idSchema, ...readingFields });

/** Batch envelope; items are validated one by one so that a bad one spoils only itself. */
export const BatchEnvelopeSchema = z.object({ v: z.literal(1), gateway: idSchema, readings: z.array(z.unknown()) });

/** Full batch on `freshchain/v1/batch/{nodeId}/{gatewayId}` (documentation and producers). */
export const BatchPayloadSchema = BatchEnvelopeSchema.extend({ readings: z.array(BatchItemSchema) });

/** Parsed single-reading payload. */
export type SingleReadingPayload = z.infer<typeof SingleReadingPayloadSchema>;
/** Parsed batch payload. */
export type BatchPayload = z.infer<typeof BatchPayloadSchema>;

/**
 * Parses one MQTT message (topic + raw payload bytes) into readings and dead letters.
 * Never throws: any input, however broken, ends up as readings and/or dead letters.
 */
export function parseTelemetryMessage(topic: string, payload: Uint8Array, options: ParseOptions): ParseResult {
  let result: ParseResult;
  try {
    result = parseUnsafe(topic, payload, resolveLimits(options));
  } catch (err) {
    // Safety net only: reaching this is a bug (the fuzz test asserts it never happens).
    const detail = err instanceof Error ? err.message : String(err);
    result = { readings: [], deadLetters: [{ reason: 'internal_error', detail, topic: String(topic) }] };
  }
  // Readings carry only validated ids and numbers; dead letters quote the sender (JSON error
  // messages, topics, zod paths), and one NUL in a text column fails the whole batch's insert.
  if (result.deadLetters.length) result.deadLetters = result.deadLetters.map(storableLetter);
  return result;
}

/** A dead letter whose strings a PostgreSQL text column accepts (see domain/text.ts). */
export function storableLetter(d: DeadLetter): DeadLetter {
  const clean: DeadLetter = { ...d, topic: storableText(d.topic), detail: storableText(d.detail, MAX_DETAIL_CHARS) };
  if (d.sensorId !== undefined) clean.sensorId = storableText(d.sensorId);
  return clean;
}

type Limits = Required<ParseOptions>;

function resolveLimits(o: ParseOptions): Limits {
  return {
    now: o.now,
    maxFutureSkewMs: o.maxFutureSkewMs ?? DEFAULT_PARSE_LIMITS.maxFutureSkewMs,
    maxAgeMs: o.maxAgeMs ?? DEFAULT_PARSE_LIMITS.maxAgeMs,
    maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_PARSE_LIMITS.maxPayloadBytes,
    maxBatchReadings: o.maxBatchReadings ?? DEFAULT_PARSE_LIMITS.maxBatchReadings,
    maxRawBytes: o.maxRawBytes ?? DEFAULT_PARSE_LIMITS.maxRawBytes,
    topics: o.topics ?? DEFAULT_TOPICS,
  };
}

/** Refuses invalid UTF-8 instead of replacing it; stateless between calls (no `stream` option), so one serves all. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseUnsafe(topic: string, payload: Uint8Array, limits: Limits): ParseResult {
  const topicText = typeof topic === 'string' ? topic : String(topic);
  if (!(payload instanceof Uint8Array)) {
    return {
      readings: [],
      deadLetters: [{ reason: 'schema_violation', detail: 'payload is not a byte array', topic: topicText }],
    };
  }
  // A message-level dead letter keeps the payload's bytes (copied only then: not on the hot path).
  const fail = (reason: DeadLetterReason, detail: string, extra: Partial<DeadLetter> = {}): ParseResult => ({
    readings: [],
    deadLetters: [{ reason, detail, topic: topicText, ...rawOf(payload, limits.maxRawBytes), ...extra }],
  });

  // Size first: decoding or parsing a huge payload is itself the cost we want to avoid.
  if (payload.byteLength > limits.maxPayloadBytes) {
    return fail('payload_too_large', `${payload.byteLength} bytes > limit ${limits.maxPayloadBytes}`);
  }

  const address = limits.topics.parseTopic(topicText);
  if (!address.ok) return fail(address.reason, address.detail);
  const addr = address.address;
  // Dead letters of a single-reading topic name the sensor so they can be counted per sensor.
  const raw = addr.kind === 'telemetry' ? { sensorId: addr.sensorId } : {};

  let text: string;
  try {
    text = STRICT_UTF8.decode(payload);
  } catch {
    return fail('invalid_encoding', 'payload is not valid UTF-8', raw);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail('malformed_json', err instanceof Error ? err.message : 'invalid JSON', raw);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('schema_violation', 'payload must be a JSON object', raw);
  }
  const version = (json as Record<string, unknown>).v;
  if (version === undefined) return fail('schema_violation', 'missing "v" (payload version)', raw);
  if (version !== TELEMETRY_VERSION)
    return fail('unknown_version', `unsupported payload version: ${clipJson(version)}`, raw);

  if (addr.kind === 'telemetry') {
    const parsed = SingleReadingPayloadSchema.safeParse(json);
    if (!parsed.success) return fail(classifyIssues(parsed.error.issues, json), summarise(parsed.error.issues), raw);
    const reading = toReading(parsed.data, addr.sensorId, addr.assetId, addr.nodeId);
    const timeProblem = checkTime(reading.ts, limits);
    if (timeProblem) return fail(timeProblem.reason, timeProblem.detail, raw);
    return { readings: [reading], deadLetters: [] };
  }

  const envelope = BatchEnvelopeSchema.safeParse(json);
  if (!envelope.success)
    return fail(classifyIssues(envelope.error.issues, json), summarise(envelope.error.issues), raw);
  if (envelope.data.gateway !== addr.gatewayId) {
    return fail(
      'bad_topic',
      `payload gateway ${envelope.data.gateway} does not match topic gateway ${addr.gatewayId}`,
      raw,
    );
  }
  if (envelope.data.readings.length > limits.maxBatchReadings) {
    return fail(
      'payload_too_large',
      `${envelope.data.readings.length} readings > limit ${limits.maxBatchReadings}`,
      raw,
    );
  }
  return parseBatchItems(envelope.data.readings, addr.nodeId, topicText, limits);
}

function parseBatchItems(items: unknown[], nodeId: string, topic: string, limits: Limits): ParseResult {
  const result: ParseResult = { readings: [], deadLetters: [] };
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const parsed = BatchItemSchema.safeParse(item);
    if (!parsed.success) {
      const why = { reason: classifyIssues(parsed.error.issues, item), detail: summarise(parsed.error.issues) };
      result.deadLetters.push({ ...why, ...itemLetterBase(item, index, topic, limits) });
      continue;
    }
    const reading = toReading(parsed.data, parsed.data.sensor, parsed.data.asset, nodeId);
    const timeProblem = checkTime(reading.ts, limits);
    if (timeProblem) result.deadLetters.push({ ...timeProblem, ...itemLetterBase(item, index, topic, limits) });
    else result.readings.push(reading);
  }
  return result;
}

/** Where a batch item's dead letter came from, with its bytes: built only for a dead letter (stringifying every valid item was a large share of batch parsing). */
function itemLetterBase(item: unknown, index: number, topic: string, limits: Limits) {
  const sensorId = sensorIdOf(item);
  return {
    topic,
    index,
    ...rawOf(UTF8.encode(itemJson(item)), limits.maxRawBytes),
    ...(sensorId ? { sensorId } : {}),
  };
}

type ReadingFields = Omit<SingleReadingPayload, 'v'>;

function toReading(p: ReadingFields, sensorId: string, assetId: string, nodeId: string): Reading {
  return {
    sensorId,
    assetId,
    nodeId,
    ts: typeof p.ts === 'number' ? p.ts : Date.parse(p.ts),
    tempC: p.temp_c,
    humidityPct: p.humidity_pct ?? null,
    doorOpen: p.door_open ?? null,
    batteryPct: p.battery_pct ?? null,
    defrost: p.defrost ?? null,
    seq: p.seq ?? null,
  };
}

function checkTime(ts: number, limits: Limits): { reason: DeadLetterReason; detail: string } | null {
  if (!Number.isFinite(ts)) return { reason: 'schema_violation', detail: 'unparseable timestamp' };
  if (ts > limits.now + limits.maxFutureSkewMs) {
    return {
      reason: 'clock_skew',
      detail: `ts ${ts} is ${ts - limits.now} ms ahead of now (limit ${limits.maxFutureSkewMs})`,
    };
  }
  if (ts < limits.now - limits.maxAgeMs) {
    return { reason: 'too_old', detail: `ts ${ts} is ${limits.now - ts} ms old (limit ${limits.maxAgeMs})` };
  }
  return null;
}

const MEASUREMENTS: readonly PropertyKey[] = ['temp_c', 'humidity_pct', 'battery_pct'];

// An out-of-range measurement (or JSON overflow like 1e999, which parses to Infinity) is
// 'impossible_value', so that broken sensors can be told apart from broken firmware; any
// structural problem (including out-of-range ts or seq) wins and is 'schema_violation'.
function classifyIssues(issues: readonly z.core.$ZodIssue[], input: unknown): DeadLetterReason {
  const impossible = issues.every((issue) => {
    if (!MEASUREMENTS.includes(issue.path[issue.path.length - 1] ?? '')) return false;
    if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') return true;
    const value = valueAt(input, issue.path);
    return typeof value === 'number' && !Number.isFinite(value);
  });
  return impossible && issues.length > 0 ? 'impossible_value' : 'schema_violation';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || typeof key === 'symbol') return undefined;
    cur = Object.prototype.hasOwnProperty.call(cur, key) ? (cur as Record<string | number, unknown>)[key] : undefined;
  }
  return cur;
}

function summarise(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return issues.length > 5 ? `${shown.join('; ')}; +${issues.length - 5} more` : shown.join('; ');
}

function sensorIdOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null) return null;
  const s = (item as Record<string, unknown>).sensor;
  return typeof s === 'string' && ID_PATTERN.test(s) ? s : null;
}

const UTF8 = new TextEncoder();

/** The bytes as received, clipped (a copy: the caller's buffer may be reused). */
function rawOf(bytes: Uint8Array, maxBytes: number): Pick<DeadLetter, 'raw' | 'rawSize'> {
  return { raw: bytes.slice(0, maxBytes), rawSize: bytes.byteLength };
}

/**
 * A batch item as JSON (well-formed: lone surrogates and NUL come out escaped). JSON.stringify
 * recurses, and a payload within the size limit can nest deeper than the stack allows.
 */
function itemJson(item: unknown): string {
  try {
    return JSON.stringify(item) ?? 'undefined';
  } catch {
    return '"(item too deeply nested to serialise)"';
  }
}

function clipJson(v: unknown): string {
  const json = (() => {
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return '(unserialisable)';
    }
  })();
  return json.length > 40 ? json.slice(0, 40) : json;
}
