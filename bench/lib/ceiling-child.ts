// Bench child: the transport ceiling for the ingester's acknowledgement pattern. The same MQTT
// sessions in the same share group as an ingester instance (persistent MQTT 5 sessions, each
// holding one unacknowledged message at a time), the same batcher with the same batch size,
// wait and concurrent writes, but an empty "commit": every message is acknowledged once its
// batch is "written", and nothing is parsed or stored. What MQTT.js and Mosquitto allow for
// ack-after-commit, with no database sharing the cores.
//
// With BENCH_COMMIT=copy it is the minimal writer instead: each message parsed by the telemetry
// parser and each batch's readings written with the ingester's COPY (`copyReadingsAlone`),
// nothing else (no sensor registry, dead letters, poison isolation, metrics or health). What any
// consumer that commits its batches to PostgreSQL on the same cores reaches, so that the
// ingester's own overhead shows apart from the database's.
import { loadConfig } from '../../config';
import { createDb } from '../../db/pool';
import { copyReadingsAlone } from '../../db/telemetry';
import { parseTelemetryMessage, sharedTopic, topicScheme } from '../../domain/coldchain/telemetry';
import type { Reading } from '../../domain/coldchain/telemetry';
import { DurableBatcher } from '../../platform/batcher';
import { openAckAfterHandlingSessions } from '../../platform/mqtt';
import { createLogger } from '../../platform/logger';
import { runChild, serveParent } from './child';
import { purgeNumberedSessions } from './sessions';

// The reading's identity as the database would key it: the sensor (last topic level) and ts.
const TS = /"ts":(\d+)/;

async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  const logger = createLogger(cfg.logLevel).child({ component: 'bench-ceiling' });
  const sessions = Number(process.env.BENCH_SESSIONS ?? 32);
  const prefix = process.env.BENCH_CLIENT_ID ?? `fc-bench-ceiling-${process.pid}`;
  const mine = `/${process.env.BENCH_NODE ?? ''}/`;
  let acked = 0;
  let batches = 0;
  // Distinct readings acknowledged: a lost or twice-delivered message shows as a difference.
  const seen = new Set<string>();
  const topics = topicScheme(cfg.mqtt.topicPrefix);
  const db =
    process.env.BENCH_COMMIT === 'copy'
      ? createDb({ connectionString: cfg.db.connectionString, max: cfg.db.poolMax })
      : undefined;
  // One item per message, as the ingester submits: a reading, or a placeholder for the empty commit.
  const batcher = new DurableBatcher<Reading | null>(
    async (items) => {
      batches++;
      // The empty commit, or the minimal writer's COPY.
      if (db)
        await copyReadingsAlone(
          db,
          items.filter((r): r is Reading => r !== null),
        );
    },
    {
      maxItems: cfg.ingest.batchMax,
      maxEntries: sessions,
      maxWaitMs: cfg.ingest.batchWaitMs,
      maxConcurrentWrites: Number(process.env.BENCH_CONCURRENT_WRITES ?? 2),
    },
  );
  const filters = [topics.readingFilter(process.env.BENCH_NODE), topics.batchFilter(process.env.BENCH_NODE)].map((f) =>
    sharedTopic(cfg.mqtt.shareGroup, f),
  );
  const opened = await openAckAfterHandlingSessions({
    url: cfg.mqtt.url,
    username: cfg.mqtt.username,
    password: cfg.mqtt.password,
    clientIdPrefix: prefix,
    sessions,
    sessionExpirySeconds: 60,
    filters,
    logger,
    handle: async (topic, payload) => {
      await batcher.submit(db ? parseTelemetryMessage(topic, payload, { now: Date.now(), topics }).readings : [null]);
      if (!topic.includes(mine)) return;
      acked++;
      const ts = TS.exec(payload.toString('latin1', 0, 256));
      seen.add(`${topic.slice(topic.lastIndexOf('/') + 1)}|${ts?.[1] ?? ''}`);
    },
  });
  serveParent({
    handled: () => acked,
    stats: async () => {
      const cpu = process.cpuUsage();
      return {
        stats: { acked_messages: acked, distinct_readings: seen.size, batches, cpu_s: (cpu.user + cpu.system) / 1e6 },
      };
    },
    stop: async () => {
      opened.pause();
      await batcher.stop();
      await opened.close();
      await purgeNumberedSessions(cfg.mqtt, prefix, sessions);
      await db?.close();
    },
  });
  process.send?.({ type: 'ready' });
}

runChild(main);
