import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one ingester (its own registry, so several can live in one process). */
export function createIngestMetrics(registry = new Registry()) {
  return {
    registry,
    readings: new Counter({
      name: 'freshchain_ingest_readings_total',
      help: 'Readings accepted and written (new rows).',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'freshchain_ingest_duplicate_readings_total',
      help: 'Readings already stored (QoS 1 redelivery), skipped.',
      registers: [registry],
    }),
    messages: new Counter({
      name: 'freshchain_ingest_messages_total',
      help: 'MQTT messages handled and acknowledged.',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'freshchain_ingest_dead_letters_total',
      help: 'Messages or readings dead-lettered, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'freshchain_ingest_batch_write_seconds',
      help: 'Time to write one batch durably.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'freshchain_ingest_batch_readings',
      help: 'Readings per written batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'freshchain_ingest_lag_seconds',
      help: 'Now minus the newest reading timestamp of the last batch.',
      registers: [registry],
    }),
    buffered: new Gauge({
      name: 'freshchain_ingest_buffered_readings',
      help: 'Readings received and not yet durably written.',
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'freshchain_ingest_write_failures_total',
      help: 'Batch writes that failed and were retried.',
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
