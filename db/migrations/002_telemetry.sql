-- Temperature telemetry. The unique index includes the time column (a hypertable requirement)
-- and makes redelivered readings a no-op under ON CONFLICT DO NOTHING.
CREATE TABLE sensor_readings (
  sensor_id text NOT NULL,
  ts timestamptz NOT NULL,
  temp_c double precision NOT NULL,
  humidity_pct real,
  door_open boolean,
  battery_pct real,
  defrost boolean,
  seq bigint,
  received_at timestamptz NOT NULL DEFAULT now()
);
SELECT create_hypertable('sensor_readings', by_range('ts', INTERVAL '1 day'));
CREATE UNIQUE INDEX sensor_readings_sensor_ts ON sensor_readings (sensor_id, ts);

-- Compression and retention policies are TimescaleDB community-licence features. Debian's
-- package is the Apache-2 build, which has neither: there, retention runs as drop_chunks()
-- from the telemetry maintenance schedule (iot-ingest/maintenance.ts) and chunks stay raw.
DO $$
BEGIN
  IF current_setting('timescaledb.license', true) = 'timescale' THEN
    ALTER TABLE sensor_readings SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'sensor_id',
      timescaledb.compress_orderby = 'ts DESC'
    );
    PERFORM add_compression_policy('sensor_readings', INTERVAL '7 days');
    -- In-transit temperature records are kept 12 months; a margin on top.
    PERFORM add_retention_policy('sensor_readings', INTERVAL '400 days');
  END IF;
END $$;

-- Whatever the ingester could not accept, with the raw bytes and the reason: never lost.
CREATE TABLE ingest_dead_letters (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic text NOT NULL,
  reason text NOT NULL,
  detail text NOT NULL,
  sensor_id text,
  raw bytea
);
CREATE INDEX ingest_dead_letters_received ON ingest_dead_letters (received_at DESC);
