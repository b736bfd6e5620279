import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { classifySqlError, sqlState } from '../db/errors';
import { copyReadings, copyReadingsAlone, insertDeadLetters, insertReadings } from '../db/telemetry';
import type { DeadLetter, Reading, TopicScheme } from '../domain/coldchain/telemetry';
import { DEFAULT_TOPICS, parseTelemetryMessage, sharedTopic, topicScheme } from '../domain/coldchain/telemetry';
import { storableText } from '../domain/text';
import { DEFAULT_STUCK_AFTER_MS, ProgressTracker, registerProgressMetrics } from '../platform/health';
import type { ProgressProbe } from '../platform/health';
import type { Logger } from '../platform/logger';
import { openAckAfterHandlingSessions } from '../platform/mqtt';
import { DurableBatcher } from '../platform/batcher';
import { createIngestMetrics } from './metrics';
import type { IngestMetrics } from './metrics';
import { writeIsolatingPoison } from './poison';
import { SensorCache } from './registry';

type IngestItem = Reading | DeadLetter;
const DEFAULT_CONCURRENT_WRITES = 2;
/** Batches without a duplicate before COPY is tried again after a conflict. */
const COPY_AGAIN_AFTER = 20;
const byKey = (a: Reading, b: Reading): number =>
  a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : a.ts - b.ts;
const isDeadLetter = (i: IngestItem): i is DeadLetter => 'reason' in i;
const isDataError = (err: unknown): boolean => classifySqlError(err) === 'data';
const UTF8 = new TextEncoder();

/** The dead letter of an item PostgreSQL refused on its own: its SQLSTATE, and the item's bytes. */
export function rejectionLetter(item: IngestItem, error: unknown, topics: TopicScheme = DEFAULT_TOPICS): DeadLetter {
  const why = `SQLSTATE ${sqlState(error) ?? '?'}: ${error instanceof Error ? error.message : String(error)}`;
  if (isDeadLetter(item)) {
    return {
      ...item,
      reason: 'rejected_by_database',
      detail: storableText(`${why}; was ${item.reason}: ${item.detail}`, 1000),
    };
  }
  let topic: string;
  try {
    topic = topics.topicFor({ kind: 'telemetry', nodeId: item.nodeId, assetId: item.assetId, sensorId: item.sensorId });
  } catch {
    topic = '(reading)';
  }
  const raw = UTF8.encode(JSON.stringify(item));
  return {
    reason: 'rejected_by_database',
    detail: storableText(why, 1000),
    topic,
    sensorId: item.sensorId,
    raw,
    rawSize: raw.byteLength,
  };
}

/** How one ingester instance connects and batches; each option overrides its `cfg.ingest` counterpart. */
export interface IngesterOptions {
  /**
   * MQTT sessions this instance opens in the shared-subscription group. MQTT.js hands a
   * session its next message only after the previous one is acknowledged, and we acknowledge
   * after the durable write; several sessions keep many messages in flight, and their
   * messages share one batch.
   */
  sessions?: number;
  /** Stable prefix of the sessions' client ids: the same prefix resumes the same broker sessions. */
  clientIdPrefix?: string;
  /** Broker session lifetime while the ingester is away; queued messages wait that long. */
  sessionExpirySeconds?: number;
  /**
   * Batches written at the same time (default 2): the next batch is parsed, sent and inserted
   * while the previous one commits. Each batch is its own transaction, rows sorted by
   * (sensor, ts) so that two batches holding the same redelivered reading cannot deadlock.
   */
  concurrentWrites?: number;
  /** Subscribe to this node's topics only (default: every node). Benches use it to stay out of other ingesters' way. */
  nodeId?: string;
  /** A message unacknowledged for longer than this makes the ingester's health degraded (default 30 s). */
  stuckAfterMs?: number;
}

/** A running ingester. */
export interface IngesterHandle {
  metrics: IngestMetrics;
  /** Ingest progress for /healthz (`HealthDeps.progress`): messages not acknowledged, last commit, retries. */
  progress: ProgressProbe;
  clients: MqttClient[];
  /** Stop taking messages, write what is buffered, close the sessions (they persist on the broker). */
  stop(): Promise<void>;
}

/** Start an ingester: N persistent MQTT 5 sessions in one shared subscription, one batcher. */
export async function startIngester(
  cfg: Config,
  deps: { db: Db; logger: Logger; metrics?: IngestMetrics },
  opts: IngesterOptions = {},
): Promise<IngesterHandle> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createIngestMetrics();
  const registry = new SensorCache(deps.db);
  await registry.load();

  const topics = topicScheme(cfg.mqtt.topicPrefix);
  const progress = new ProgressTracker('ingest', opts.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS);
  registerProgressMetrics(metrics.registry, progress, 'freshchain_ingest');

  let batchesSinceConflict = COPY_AGAIN_AFTER;
  /** Write readings and dead letters in one transaction; returns the readings inserted. */
  const writeTogether = async (readings: Reading[], dead: DeadLetter[]): Promise<number> => {
    readings.sort(byKey);
    // Readings alone (the usual batch) are one statement, atomic by itself: no BEGIN/COMMIT
    // round trips. Dead letters commit in the same transaction as the readings beside them.
    const write = (how: 'copy' | 'skip-stored') =>
      dead.length === 0
        ? how === 'copy'
          ? copyReadingsAlone(deps.db, readings)
          : insertReadings(deps.db, readings)
        : deps.db.transaction(async (c) => {
            const n = how === 'copy' ? await copyReadings(c, readings) : await insertReadings(c, readings);
            await insertDeadLetters(c, dead);
            return n;
          });
    // COPY is much cheaper than INSERT ... ON CONFLICT DO NOTHING and duplicates are rare (QoS 1
    // redelivery): try it first, and on a unique violation write the batch again skipping the
    // stored readings. After a conflict, skip the COPY attempt for a while (redelivery storm).
    if (batchesSinceConflict >= COPY_AGAIN_AFTER) {
      try {
        return await write('copy');
      } catch (err) {
        if (classifySqlError(err) !== 'duplicate') throw err;
        batchesSinceConflict = 0;
        return write('skip-stored');
      }
    }
    const inserted = await write('skip-stored');
    batchesSinceConflict = inserted === readings.length ? batchesSinceConflict + 1 : 0;
    return inserted;
  };
  const writeItems = async (items: IngestItem[]): Promise<void> => {
    const readings: Reading[] = [];
    const dead: DeadLetter[] = [];
    for (const i of items) {
      if (isDeadLetter(i)) dead.push(i);
      else readings.push(i);
    }
    const inserted = await writeTogether(readings, dead);
    metrics.readings.inc(inserted);
    metrics.duplicates.inc(readings.length - inserted);
    for (const d of dead) metrics.deadLetters.inc({ reason: d.reason });
    let newest = 0;
    for (const r of readings) if (r.ts > newest) newest = r.ts;
    if (newest) metrics.lagSeconds.set((Date.now() - newest) / 1000);
  };
  // Items of a batch already committed while poison was searched for: when an availability
  // error interrupts the search, the batcher retries the batch and these are not written twice.
  const committed = new WeakSet<IngestItem>();
  let anyCommitted = false; // nothing to filter until a search was interrupted
  const markCommitted = (part: IngestItem[]) => {
    anyCommitted = true;
    for (const i of part) committed.add(i);
  };

  const batcher = new DurableBatcher<IngestItem>(
    async (items) => {
      const todo = anyCommitted ? items.filter((i) => !committed.has(i)) : items;
      // A batch the database refuses for its data is split until the refused items are found;
      // they become dead letters and everything else is stored. Only availability errors
      // (connection, shutdown, serialization) fail the write, and the batcher retries it whole.
      const rejected = await writeIsolatingPoison(todo, writeItems, isDataError, markCommitted);
      if (rejected.length === 0) return;
      logger.warn(
        { rejected: rejected.length, of: todo.length, sqlstate: sqlState(rejected[0]!.error) },
        'database refused items of a batch; dead-lettered them, stored the rest',
      );
      const letters = rejected.map((r) => rejectionLetter(r.item, r.error, topics));
      // A letter refused again (it cannot be: its strings are storable) keeps its bytes and SQLSTATE only.
      const refusedAgain = await writeIsolatingPoison(letters, writeItems, isDataError, markCommitted);
      if (refusedAgain.length) {
        await writeItems(
          refusedAgain.map(({ item, error }) => ({
            reason: 'rejected_by_database',
            detail: `SQLSTATE ${sqlState(error) ?? '?'}`,
            topic: '(refused)',
            ...(isDeadLetter(item) && item.raw ? { raw: item.raw } : {}),
          })),
        );
      }
      markCommitted(rejected.map((r) => r.item));
    },
    {
      maxItems: cfg.ingest.batchMax,
      maxEntries: opts.sessions ?? cfg.ingest.sessions,
      maxWaitMs: cfg.ingest.batchWaitMs,
      maxConcurrentWrites: opts.concurrentWrites ?? DEFAULT_CONCURRENT_WRITES,
      onWriteError: (err, attempt) => {
        metrics.writeFailures.inc();
        progress.failed(attempt);
        if (attempt === 1 || attempt % 20 === 0)
          logger.warn(
            { err: err.message, sqlstate: sqlState(err), attempt },
            'batch write failed; holding acknowledgements and retrying',
          );
      },
      onWritten: (n, seconds) => {
        progress.progressed();
        metrics.batchSeconds.observe(seconds);
        metrics.batchSize.observe(n);
        metrics.buffered.set(batcher.stats.buffered);
      },
    },
  );

  // Registry checks happen here, not in the pure parser: only the ingester knows the sensors.
  const classify = async (topic: string, payload: Buffer): Promise<IngestItem[]> => {
    const parsed = parseTelemetryMessage(topic, payload, { now: Date.now(), topics });
    const items: IngestItem[] = parsed.deadLetters;
    for (const r of parsed.readings) {
      // The reading itself is kept as the raw payload: `npm run dead-letters:replay` stores it
      // once its sensor is registered.
      // Synchronous for a sensor the cache holds: no promise per reading on the hot path.
      let problem = registry.problemIfKnown(r);
      if (problem === undefined) problem = await registry.problemWith(r);
      if (problem) {
        const raw = UTF8.encode(JSON.stringify(r));
        items.push({
          reason: 'unknown_sensor',
          detail: problem,
          topic,
          sensorId: r.sensorId,
          raw,
          rawSize: raw.byteLength,
        });
      } else items.push(r);
    }
    return items;
  };

  const sessions = opts.sessions ?? cfg.ingest.sessions;
  const prefix = opts.clientIdPrefix ?? cfg.ingest.clientIdPrefix ?? `fc-ingest-${hostname()}`;
  const filters = [topics.readingFilter(opts.nodeId), topics.batchFilter(opts.nodeId)].map((f) =>
    sharedTopic(cfg.mqtt.shareGroup, f),
  );
  const mqttSessions = await openAckAfterHandlingSessions({
    url: cfg.mqtt.url,
    username: cfg.mqtt.username,
    password: cfg.mqtt.password,
    clientIdPrefix: prefix,
    sessions,
    sessionExpirySeconds: opts.sessionExpirySeconds ?? cfg.ingest.sessionExpirySeconds,
    filters,
    logger,
    handle: async (topic, payload) => {
      const finish = progress.begin();
      try {
        const items = await classify(topic, payload);
        if (items.length) await batcher.submit(items);
        metrics.messages.inc();
      } finally {
        finish();
      }
    },
  });
  const clients = mqttSessions.clients;
  logger.info({ sessions, prefix, filters }, 'ingester subscribed');

  return {
    metrics,
    progress,
    clients,
    async stop() {
      mqttSessions.pause();
      registry.close();
      await batcher.stop();
      await mqttSessions.close();
    },
  };
}
