-- The Apache-2 build of TimescaleDB (Debian's package) has no continuous aggregates. The same
-- rollups are kept as hypertables with the same columns, refreshed by the telemetry
-- maintenance schedule (iot-ingest/maintenance.ts) over a trailing window that ends well
-- inside the raw retention, so a refresh never erases buckets whose raw rows are gone.
-- sum_arrhenius and n are additive, so mean kinetic temperature over any window comes from
-- these buckets: T_mk = 10000 / -ln(sum(sum_arrhenius) / sum(n)) - 273.15 (ΔH/R = 10,000 K).
CREATE TABLE sensor_readings_1m (
  sensor_id text NOT NULL,
  bucket timestamptz NOT NULL,
  min_c double precision NOT NULL,
  max_c double precision NOT NULL,
  avg_c double precision NOT NULL,
  n bigint NOT NULL,
  sum_arrhenius double precision NOT NULL,
  PRIMARY KEY (sensor_id, bucket)
);
SELECT create_hypertable('sensor_readings_1m', by_range('bucket', INTERVAL '7 days'));

CREATE TABLE sensor_readings_1h (LIKE sensor_readings_1m INCLUDING ALL);
SELECT create_hypertable('sensor_readings_1h', by_range('bucket', INTERVAL '30 days'));
