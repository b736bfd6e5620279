// Alert bench: from the reading that crosses an excursion's duration threshold (its publish
// time) to the signed webhook arriving at a local HTTP receiver, which verifies every signature;
// then a receiver outage during which alerts keep opening, and every event must still arrive
// once it is back. The real stack end to end: MQTT broker → alert evaluator (in process, its
// own share group) → TimescaleDB → Temporal dev server → in-process worker → HTTP.
//
// Reference measured in the same run: a one-activity workflow's start-to-result latency on the
// same server and worker (`ref_noop_workflow_*`), the Temporal floor under a delivery.
//
// Delivery runs on the production retry schedule (0, 5 s, 5 min, …; nothing is compressed). The
// outage therefore lasts less than the first retry delay (5 s) from the first attempt it refuses:
// every event whose first attempt hits it is delivered by its second attempt, 5 s later, so the
// outage figures measure the first retry end to end. Longer outages are the business of webhook-timers.test.ts (time-skipping).
//   npm run bench:alerts -- [--sensors 300] [--spread-s 30] [--outage-sensors 100] [--outage-s 4]
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../config';
import { upsertProfile } from '../db/alerts';
import { createDb } from '../db/pool';
import { upsertSensorNetwork } from '../db/telemetry';
import { createSubscription } from '../db/webhooks';
import { DEFAULT_PROFILES } from '../domain/coldchain/bands';
import { RETRY_SCHEDULE_MS } from '../domain/coldchain/webhookPolicy';
import type { RuleProfile } from '../domain/coldchain/bands';
import { topicScheme } from '../domain/coldchain/telemetry';
import type { TopicScheme } from '../domain/coldchain/telemetry';
import { verifyWebhook } from '../coldchain/webhooks/signing';
import { startAlertEvaluator } from '../coldchain/evaluator';
import { createLogger } from '../platform/logger';
import { connectMqtt } from '../platform/mqtt';
import { noopWorkflow } from '../workflows/noop';
import { startWorker } from '../workflows/worker';
import { loadAverage1m, machineInfo } from './lib/machine';
import { summarize } from './lib/percentiles';
import { purgeSessions } from './lib/sessions';

/** The production schedule's delay before the second attempt: the outage must end before it. */
const FIRST_RETRY_MS = RETRY_SCHEDULE_MS[1]!;
const READING_EVERY_MS = 250;
const WARN_DELAY_S = 2;
const READINGS_PER_SENSOR = 12; // 3 s of warm readings: crosses the 2 s threshold at the 9th

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Receiver {
  server: Server;
  url: string;
  up: boolean;
  byId: Map<string, { at: number; sensorId: string; readingTs: number }>;
  duplicates: number;
  badSignatures: number;
  refused: number;
}

function startReceiver(secret: string): Promise<Receiver> {
  const rx: Receiver = {
    server: null as unknown as Server,
    url: '',
    up: true,
    byId: new Map(),
    duplicates: 0,
    badSignatures: 0,
    refused: 0,
  };
  rx.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!rx.up) {
      rx.refused++;
      req.socket.destroy(); // down: the connection drops, no answer
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifyWebhook(secret, req.headers as Record<string, string>, body, at).ok) {
        rx.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers['webhook-id']);
      if (rx.byId.has(id)) rx.duplicates++;
      else {
        const e = JSON.parse(body) as { data: { alert: { sensorId: string }; trigger: { ts: string } } };
        rx.byId.set(id, { at, sensorId: e.data.alert.sensorId, readingTs: Date.parse(e.data.trigger.ts) });
      }
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    rx.server.listen(0, '127.0.0.1', () => {
      rx.url = `http://127.0.0.1:${(rx.server.address() as { port: number }).port}/webhooks`;
      resolve(rx);
    }),
  );
}

/**
 * Each sensor publishes READINGS_PER_SENSOR warm readings (7 °C, above the 5 °C trigger) every
 * 250 ms, sensors starting evenly over `spreadMs`. Records each reading's publish time.
 */
async function runSensors(
  pub: MqttClient,
  site: { nodeId: string; assetId: string; topics: TopicScheme },
  sensorIds: readonly string[],
  spreadMs: number,
  published: Map<string, number>,
): Promise<void> {
  const start = Date.now();
  const plan = sensorIds
    .flatMap((sensorId, s) => {
      const offset = (s * spreadMs) / sensorIds.length;
      return Array.from({ length: READINGS_PER_SENSOR }, (_, i) => ({
        sensorId,
        due: start + offset + i * READING_EVERY_MS,
      }));
    })
    .sort((a, b) => a.due - b.due);
  const sends: Promise<unknown>[] = [];
  for (const p of plan) {
    const wait = p.due - Date.now();
    if (wait > 0) await sleep(wait);
    const ts = Date.now();
    published.set(`${p.sensorId}@${ts}`, ts);
    sends.push(
      pub.publishAsync(
        site.topics.readingTopic(site.nodeId, site.assetId, p.sensorId),
        JSON.stringify({ v: 1, ts, temp_c: 7 }),
        {
          qos: 1,
        },
      ),
    );
  }
  await Promise.all(sends);
}

async function main(): Promise<void> {
  const sensors = arg('sensors', 300);
  const spreadMs = arg('spread-s', 30) * 1000;
  const outageSensors = arg('outage-sensors', 100);
  const outageMs = arg('outage-s', 4) * 1000;
  if (outageMs >= FIRST_RETRY_MS - 500) {
    throw new Error(
      `--outage-s must stay under ${(FIRST_RETRY_MS - 500) / 1000}: the production schedule retries after ` +
        `${FIRST_RETRY_MS / 1000} s, then after 5 min; a longer outage is measured by webhook-timers.test.ts`,
    );
  }
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const cfg = loadConfig({
    ...process.env,
    FRESHCHAIN_PROFILE: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    TEMPORAL_TASK_QUEUE: `bench-alerts-${run}`,
  });
  const logger = createLogger(cfg.logLevel);
  const topics = topicScheme(cfg.mqtt.topicPrefix);
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: 12,
    logger,
    applicationName: 'freshchain-bench-alerts',
  });
  const connection = await Connection.connect({ address: cfg.temporal.address });
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  const worker = await startWorker(cfg, { db, logger });

  // A site of its own: unique node, fridge and sensors; chilled with a 2 s trigger delay.
  const nodeId = `bench-${run}`;
  const assetId = `${nodeId}-fridge`;
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${nodeId}-${prefix}${i}`);
  const phase1 = ids('s', sensors);
  const phase2 = ids('o', outageSensors);
  const profile: RuleProfile = {
    ...DEFAULT_PROFILES.chilled,
    id: `${nodeId}-profile`,
    label: 'bench',
    offlineTimeoutSec: 3600,
    high: { ...DEFAULT_PROFILES.chilled.high!, warnDelaySec: WARN_DELAY_S },
  };
  await upsertProfile(db, profile);
  await upsertSensorNetwork(db, {
    nodes: [{ id: nodeId, kind: 'front', name: 'alert bench', lat: 31.2, lng: 121.5, radiusKm: 3, zones: ['chilled'] }],
    assets: [{ id: assetId, nodeId, kind: 'fridge', band: profile.id }],
    sensors: [...phase1, ...phase2].map((id) => ({ id, assetId, nodeId })),
  });
  const secret = `whsec_${Buffer.from(run.padEnd(32, '0')).toString('base64')}`;
  const rx = await startReceiver(secret);
  await createSubscription(db, {
    url: rx.url,
    eventTypes: ['alert.opened'],
    nodeIds: [nodeId],
    secret,
    description: 'alert bench',
    createdBy: 'bench',
  });

  const sessions = 16;
  const clientIdPrefix = `fc-bench-alerts-${run}`;
  const evaluator = await startAlertEvaluator(
    cfg,
    { db, logger, temporal: client },
    {
      shareGroup: `benchalerts${run}`,
      clientIdPrefix,
      sessions,
      sessionExpirySeconds: 120,
      nodeId,
      sweepIntervalMs: 1000,
      escalation: { warning: [], critical: [] },
    },
  );
  const pub = await connectMqtt(cfg.mqtt.url, { ...cfg.mqtt.device, clientId: `fc-bench-pub-${run}` });

  // Reference: one-activity workflows, sequential, on the same server and worker.
  const ref: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await client.workflow.execute(noopWorkflow, {
      taskQueue: cfg.temporal.taskQueues.orders,
      workflowId: `bench-noop-${run}-${i}`,
      args: ['x'],
    });
    ref.push(performance.now() - t0);
  }

  // Phase 1: the receiver is up; latency from the crossing reading's publish to receipt.
  const published = new Map<string, number>();
  const p1Start = Date.now();
  await runSensors(pub, { nodeId, assetId, topics }, phase1, spreadMs, published);
  const waitFor = async (pred: () => boolean, ms: number) => {
    const until = Date.now() + ms;
    while (!pred() && Date.now() < until) await sleep(100);
  };
  const delivered = (set: readonly string[]) => [...rx.byId.values()].filter((v) => set.includes(v.sensorId)).length;
  await waitFor(() => delivered(phase1) >= phase1.length, 30_000);
  const p1Seconds = (Date.now() - p1Start) / 1000;
  const latencies: number[] = [];
  for (const v of rx.byId.values()) {
    const pubAt = published.get(`${v.sensorId}@${v.readingTs}`);
    if (pubAt !== undefined && phase1.includes(v.sensorId)) latencies.push(v.at - pubAt);
  }

  // Phase 2: the receiver goes down while alerts keep opening, and stays down `outageMs` from the
  // first attempt it refuses: every attempt it refuses is then retried 5 s later, after it is back,
  // and a slow commit cannot let the alerts slip past the outage unhit.
  rx.up = false;
  const downAt = Date.now();
  const sensorsDone = runSensors(
    pub,
    { nodeId, assetId, topics },
    phase2,
    Math.max(0, outageMs - WARN_DELAY_S * 1000 - 1000),
    published,
  );
  await waitFor(() => rx.refused > 0, 30_000);
  const firstRefusedAt = Date.now();
  await sleep(outageMs);
  rx.up = true;
  const upAt = Date.now();
  await sensorsDone;
  await waitFor(() => delivered(phase2) >= phase2.length, 60_000);
  const allBackAt = Date.now();
  const p2Delivered = delivered(phase2);

  // Where phase 1's time went, per event: commit of the alert, workflow start, first attempt.
  const stages = await db.query<{
    sensor_id: string;
    reading_ts: Date;
    committed: Date;
    started: Date | null;
    attempted: Date | null;
  }>(
    `SELECT e.sensor_id, a.opened_at AS reading_ts, e.created_at AS committed, d.workflow_started_at AS started,
            (SELECT min(x.at) FROM webhook_attempts x WHERE x.delivery_id = d.id) AS attempted
       FROM webhook_events e JOIN alerts a ON a.id = e.alert_id JOIN webhook_deliveries d ON d.event_id = e.id AND d.kind = 'initial'
      WHERE e.node_id = $1 AND e.sensor_id = ANY($2::text[])`,
    [nodeId, phase1],
  );
  const stage = (pick: (r: (typeof stages)[number]) => Date | null) =>
    summarize(
      stages.flatMap((r) => {
        const pubAt = published.get(`${r.sensor_id}@${r.reading_ts.getTime()}`);
        const t = pick(r);
        return pubAt === undefined || t === null ? [] : [t.getTime() - pubAt];
      }),
      0,
    );
  const breakdown = {
    commit: stage((r) => r.committed),
    workflow_started: stage((r) => r.started),
    first_attempt: stage((r) => r.attempted),
  };
  const attempts = await db.query<{ attempts: string; failed: string }>(
    `SELECT count(*) AS attempts, count(*) FILTER (WHERE NOT a.success) AS failed FROM webhook_attempts a
       JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_events e ON e.id = d.event_id WHERE e.node_id = $1`,
    [nodeId],
  );
  // Per outage event: its first failed attempt, and how long after it the delivery succeeded.
  const outageRetries = await db.query<{ failed_at: Date | null; succeeded_at: Date | null }>(
    `SELECT min(a.at) FILTER (WHERE NOT a.success) AS failed_at, min(a.at) FILTER (WHERE a.success) AS succeeded_at
       FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_events e ON e.id = d.event_id
      WHERE e.node_id = $1 AND e.sensor_id = ANY($2::text[]) GROUP BY d.id`,
    [nodeId, phase2],
  );
  const hitOutage = outageRetries.filter((r) => r.failed_at !== null);
  const retryGap = summarize(
    hitOutage.flatMap((r) => (r.succeeded_at ? [r.succeeded_at.getTime() - r.failed_at!.getTime()] : [])),
    0,
  );
  const lat = summarize(latencies, 1);
  const refLat = summarize(ref, 1);
  const expected = phase1.length + phase2.length;
  console.log(
    JSON.stringify({
      p99_ms: lat.p99,
      delivered: delivered(phase1) + p2Delivered,
      expected,
      p50_ms: lat.p50,
      p90_ms: lat.p90,
      max_ms: lat.max,
      latency_samples: lat.n,
      alerts_per_s: Math.round((phase1.length / (spreadMs / 1000)) * 10) / 10,
      readings_per_s: Math.round((phase1.length * READINGS_PER_SENSOR) / (spreadMs / 1000 + 3)),
      phase1_s: Math.round(p1Seconds * 10) / 10,
      outage_ms: upAt - downAt,
      outage_from_first_refusal_ms: upAt - firstRefusedAt,
      outage_expected: phase2.length,
      outage_delivered: p2Delivered,
      outage_all_delivered_after_up_ms: p2Delivered === phase2.length ? allBackAt - upAt : null,
      outage_events_hit: hitOutage.length,
      outage_failed_to_delivered_p50_max_ms: [retryGap.p50, retryGap.max],
      connections_refused: rx.refused,
      attempts: Number(attempts[0]!.attempts),
      failed_attempts: Number(attempts[0]!.failed),
      duplicates_at_receiver: rx.duplicates,
      bad_signatures: rx.badSignatures,
      retry_schedule_ms: RETRY_SCHEDULE_MS,
      retry_schedule_note: 'production; the outage ends before the first retry (5 s)',
      ref_noop_workflow_p50_ms: refLat.p50,
      ref_noop_workflow_p99_ms: refLat.p99,
      evaluator_sessions: sessions,
      stages_p50_p99_ms: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, [v.p50, v.p99]])),
      ...machineInfo(),
      loadavg_1m: loadAverage1m(),
    }),
  );

  await evaluator.stop();
  await pub.endAsync();
  await purgeSessions(
    cfg.mqtt.url,
    { username: cfg.mqtt.username, password: cfg.mqtt.password },
    Array.from({ length: sessions }, (_, i) => `${clientIdPrefix}-${i}`),
  ).catch(() => undefined);
  await worker.stop();
  await connection.close();
  rx.server.close();
  await db.close();
}

main().catch((err: unknown) => {
  console.error(`bench:alerts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
