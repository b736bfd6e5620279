// The alert evaluator process part: telemetry from the broker through its own shared
// subscription group, evaluated in batches (one transaction each), acknowledged only after the
// commit; a periodic sweep for silence, escalation, shelf-life re-checks and the outbox.
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import type { MqttClient } from 'mqtt';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { parseTelemetryMessage, sharedTopic, topicScheme } from '../domain/coldchain/telemetry';
import type { Reading } from '../domain/coldchain/telemetry';
import { DEFAULT_STUCK_AFTER_MS, registerProgressMetrics } from '../platform/health';
import type { ProgressProbe } from '../platform/health';
import type { Logger } from '../platform/logger';
import { openAckAfterHandlingSessions } from '../platform/mqtt';
import { DurableBatcher } from '../platform/batcher';
import { OutboxDispatcher } from './webhooks/dispatcher';
import { AlertEngine } from './engine';
import type { AlertEngineOptions } from './engine';
import { createAlertMetrics } from './metrics';
import type { AlertMetrics } from './metrics';
import { ProfileCache } from './profiles';
import { EvaluatorProgress } from './progress';

/** How one evaluator instance connects, batches and sweeps. */
export interface AlertEvaluatorOptions extends AlertEngineOptions {
  /** Shared-subscription group of the evaluators (not the ingesters': each group gets every message). */
  shareGroup?: string;
  /**
   * MQTT sessions of this instance. A session is handed its next message only after the
   * previous one is acknowledged, so several keep messages in flight; their messages share a
   * batch and one transaction.
   */
  sessions?: number;
  /** Stable prefix of the sessions' client ids: the same prefix resumes the same broker sessions. */
  clientIdPrefix?: string;
  sessionExpirySeconds?: number;
  /** Longest wait for more messages before a batch is evaluated. */
  batchWaitMs?: number;
  batchMax?: number;
  /** Sweep period (offline detection, escalation, shelf-life re-checks, outbox). 0 disables it. */
  sweepIntervalMs?: number;
  /** Task queue of the delivery workflows (default: the configured one). */
  taskQueue?: string;
  /** A message pending (or no complete sweep) longer than this makes the evaluator degraded in /healthz. */
  stuckAfterMs?: number;
}

/** A running evaluator. */
export interface AlertEvaluatorHandle {
  engine: AlertEngine;
  dispatcher: OutboxDispatcher;
  metrics: AlertMetrics;
  /** Progress for /healthz (`HealthDeps.progress`) and /metrics: pending messages, last committed batch, retries, sweeps. */
  progress: ProgressProbe;
  clients: MqttClient[];
  /** Run one sweep now (tests). */
  sweepNow(): Promise<void>;
  /** Stop taking messages, finish the batch in hand, close the sessions (they persist on the broker). */
  stop(): Promise<void>;
}

const DEFAULT_SESSIONS = 16;

/** Start an evaluator: persistent MQTT 5 sessions in the alerts share group, a batcher, a sweep. */
export async function startAlertEvaluator(
  cfg: Config,
  deps: { db: Db; logger: Logger; temporal?: Client; metrics?: AlertMetrics },
  opts: AlertEvaluatorOptions = {},
): Promise<AlertEvaluatorHandle> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createAlertMetrics();
  const profiles = new ProfileCache(deps.db, logger);
  await profiles.load();
  const engine = new AlertEngine({ db: deps.db, logger, profiles, metrics }, opts);
  const dispatcher = new OutboxDispatcher({
    db: deps.db,
    logger,
    temporal: deps.temporal,
    taskQueue: opts.taskQueue ?? cfg.temporal.taskQueues.coldchain,
  });
  const sessions = opts.sessions ?? DEFAULT_SESSIONS;
  const interval = opts.sweepIntervalMs ?? 5_000;
  const progress = new EvaluatorProgress(opts.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS, interval);
  registerProgressMetrics(metrics.registry, progress, 'freshchain_alerts');

  const batcher = new DurableBatcher<Reading>(
    async (readings) => {
      const started = process.hrtime.bigint();
      const outbox = await engine.processReadings(readings);
      metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      progress.batches.progressed();
      // Committed: start deliveries now, without holding up the acknowledgement.
      dispatcher.dispatchLater(outbox);
    },
    {
      maxItems: opts.batchMax ?? 2000,
      maxEntries: sessions,
      maxWaitMs: opts.batchWaitMs ?? 5,
      onWriteError: (err, attempt) => {
        metrics.writeFailures.inc();
        progress.batches.failed(attempt);
        if (attempt === 1 || attempt % 20 === 0)
          logger.warn({ err: err.message, attempt }, 'alert batch failed; holding acknowledgements and retrying');
      },
    },
  );

  const prefix = opts.clientIdPrefix ?? `fc-alerts-${hostname()}`;
  const group = opts.shareGroup ?? cfg.alerts.shareGroup;
  const topics = topicScheme(cfg.mqtt.topicPrefix);
  const filters = [topics.readingFilter(opts.nodeId), topics.batchFilter(opts.nodeId)].map((f) =>
    sharedTopic(group, f),
  );
  let stopping = false;
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
      const finish = progress.batches.begin();
      try {
        // Dead letters are the ingester's business (it stores them); here they are just skipped.
        const { readings } = parseTelemetryMessage(topic, payload, { now: Date.now(), topics });
        if (readings.length) await batcher.submit(readings);
        metrics.messages.inc();
      } finally {
        finish();
      }
    },
  });
  const clients = mqttSessions.clients;

  // The sweep runs on a chain of timeouts, never overlapping itself.
  let sweeping: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const sweepOnce = async () => {
    const started = process.hrtime.bigint();
    progress.swept(await engine.sweep(dispatcher));
    metrics.sweepSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
  const runSweep = (): Promise<void> => {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  const schedule = () => {
    if (stopping || interval <= 0) return;
    timer = setTimeout(() => {
      void runSweep().finally(schedule);
    }, interval);
  };
  schedule();
  logger.info({ sessions, prefix, filters, sweepIntervalMs: interval }, 'alert evaluator subscribed');

  return {
    engine,
    dispatcher,
    metrics,
    progress,
    clients,
    async sweepNow() {
      while (sweeping) await sweeping;
      await runSweep();
    },
    async stop() {
      stopping = true;
      mqttSessions.pause();
      if (timer) clearTimeout(timer);
      while (sweeping) await sweeping;
      await batcher.stop();
      await dispatcher.idle();
      await mqttSessions.close();
    },
  };
}
