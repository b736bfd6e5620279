import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one alert evaluator (its own registry, so several fit in one process). */
export function createAlertMetrics(registry = new Registry()) {
  return {
    registry,
    messages: new Counter({
      name: 'freshchain_alerts_messages_total',
      help: 'MQTT messages evaluated and acknowledged.',
      registers: [registry],
    }),
    readings: new Counter({
      name: 'freshchain_alerts_readings_total',
      help: 'Readings seen by the rule engine, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    ruleEvents: new Counter({
      name: 'freshchain_alerts_rule_events_total',
      help: 'Rule-engine events, by type.',
      labelNames: ['type'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'freshchain_alerts_batch_seconds',
      help: 'Time to evaluate and commit one batch.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    sweepSeconds: new Histogram({
      name: 'freshchain_alerts_sweep_seconds',
      help: 'Time of one sweep (offline, escalation, impacts, outbox).',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'freshchain_alerts_write_failures_total',
      help: 'Batch transactions that failed and were retried.',
      registers: [registry],
    }),
  };
}

export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
