// Bench child: the real ingester (startIngester, as `npm run ingest` runs it) in its own
// process. It counts acknowledged messages (a message is acknowledged only after its batch is
// committed) and, on request, records each message's publish-to-ack latency: the bench
// publisher puts its wall-clock publish time in `seq`, and the ack follows the commit.
import { loadConfig } from '../../config';
import { createDb } from '../../db/pool';
import { startIngester } from '../../iot-ingest/ingester';
import { createLogger } from '../../platform/logger';
import { runChild, serveParent } from './child';
import { purgeNumberedSessions } from './sessions';

const SEQ = /"seq":(\d+)/;

async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  const logger = createLogger(cfg.logLevel).child({ component: 'bench-ingest' });
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: cfg.db.poolMax,
    logger,
    applicationName: 'freshchain-bench-ingest',
  });
  const sessions = Number(process.env.BENCH_SESSIONS ?? 32);
  const prefix = process.env.BENCH_CLIENT_ID ?? `fc-bench-${process.pid}`;
  const ingester = await startIngester(
    cfg,
    { db, logger },
    {
      sessions,
      clientIdPrefix: prefix,
      sessionExpirySeconds: 60,
      concurrentWrites: process.env.BENCH_CONCURRENT_WRITES ? Number(process.env.BENCH_CONCURRENT_WRITES) : undefined,
      // Only the bench's node: other tests' and devices' traffic is none of this ingester's business.
      nodeId: process.env.BENCH_NODE,
    },
  );
  // Only the bench's own node counts (the subscription is narrowed to it anyway).
  const mine = `/${process.env.BENCH_NODE ?? ''}/`;
  let acked = 0;
  let recording = false;
  const latencies: number[] = [];
  for (const client of ingester.clients) {
    const handle = client.handleMessage.bind(client);
    client.handleMessage = (packet, callback) =>
      handle(packet, (err) => {
        if (!err && packet.topic.includes(mine)) {
          acked++;
          if (recording) {
            const m = SEQ.exec(
              Buffer.isBuffer(packet.payload) ? packet.payload.toString('latin1', 0, 256) : String(packet.payload),
            );
            if (m) latencies.push(Date.now() - Number(m[1]));
          }
        }
        callback(err);
      });
  }
  const sum = async (
    c: { get(): Promise<{ values: { value: number; metricName?: string }[] }> },
    metricName?: string,
  ) =>
    (await c.get()).values
      .filter((v) => metricName === undefined || v.metricName === metricName)
      .reduce((a, v) => a + v.value, 0);
  serveParent({
    handled: () => acked,
    onMessage: (m) => {
      if (m.type === 'latency') {
        recording = m.on;
        latencies.length = 0;
      }
    },
    stats: async () => {
      const m = ingester.metrics;
      const cpu = process.cpuUsage();
      return {
        stats: {
          acked_messages: acked,
          readings_inserted: await sum(m.readings),
          duplicate_deliveries: await sum(m.duplicates),
          dead_letters: await sum(m.deadLetters),
          write_failures: await sum(m.writeFailures),
          batches: await sum(m.batchSize, 'freshchain_ingest_batch_readings_count'),
          batch_readings: await sum(m.batchSize, 'freshchain_ingest_batch_readings_sum'),
          batch_write_s: await sum(m.batchSeconds, 'freshchain_ingest_batch_write_seconds_sum'),
          cpu_s: (cpu.user + cpu.system) / 1e6,
        },
        latencies: [...latencies],
      };
    },
    stop: async () => {
      await ingester.stop();
      await db.close();
      // The bench's sessions are throw-away: remove them rather than let them queue for a minute.
      await purgeNumberedSessions(cfg.mqtt, prefix, sessions);
    },
  });
  process.send?.({ type: 'ready' });
}

runChild(main);
