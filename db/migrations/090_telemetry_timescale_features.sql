-- migrate:no-transaction
-- One schema, production's, on every server. A database made on the Apache-only build of
-- TimescaleDB (Debian's package, the local stack until it built the Timescale-licensed one)
-- has readings without compression or policies, and sensor_readings_1m/_1h as plain
-- hypertables that the maintenance schedule filled by hand. This brings it to what 002 and 003
-- make on the Timescale-licensed build; on a database made there, every step finds its work
-- done and changes nothing.

-- Readings: compression (segment by sensor, order by time) and its policy, and raw retention.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                  WHERE hypertable_name = 'sensor_readings' AND compression_enabled) THEN
    ALTER TABLE sensor_readings SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'sensor_id',
      timescaledb.compress_orderby = 'ts DESC'
    );
  END IF;
END $$;
SELECT add_compression_policy('sensor_readings', INTERVAL '7 days', if_not_exists => true);
SELECT add_retention_policy('sensor_readings', INTERVAL '400 days', if_not_exists => true);

-- The hand-made rollups (plain hypertables, not continuous aggregates) are set aside.
DO $$
DECLARE
  level text;
BEGIN
  FOREACH level IN ARRAY ARRAY['1m', '1h'] LOOP
    IF to_regclass('sensor_readings_' || level) IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
                        WHERE view_name = 'sensor_readings_' || level) THEN
      EXECUTE format('ALTER TABLE %I RENAME TO %I', 'sensor_readings_' || level, 'sensor_readings_' || level || '_apache');
    END IF;
  END LOOP;
END $$;

-- The continuous aggregates of 003, made WITH DATA from every raw reading when they are new
-- here (IF NOT EXISTS: where 003 made them, nothing is recomputed).
CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_readings_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT sensor_id,
       time_bucket(INTERVAL '1 minute', ts) AS bucket,
       min(temp_c) AS min_c,
       max(temp_c) AS max_c,
       avg(temp_c) AS avg_c,
       count(*) AS n,
       sum(exp(-10000.0 / (temp_c + 273.15))) AS sum_arrhenius
FROM sensor_readings
GROUP BY sensor_id, bucket
WITH DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS sensor_readings_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT sensor_id,
       time_bucket(INTERVAL '1 hour', ts) AS bucket,
       min(temp_c) AS min_c,
       max(temp_c) AS max_c,
       avg(temp_c) AS avg_c,
       count(*) AS n,
       sum(exp(-10000.0 / (temp_c + 273.15))) AS sum_arrhenius
FROM sensor_readings
GROUP BY sensor_id, bucket
WITH DATA;

SELECT add_continuous_aggregate_policy('sensor_readings_1m',
  start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute',
  if_not_exists => true);
SELECT add_continuous_aggregate_policy('sensor_readings_1h',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes',
  if_not_exists => true);
SELECT add_retention_policy('sensor_readings_1m', INTERVAL '35 days', if_not_exists => true);
SELECT add_retention_policy('sensor_readings_1h', INTERVAL '3 years', if_not_exists => true);

-- The set-aside rollups go once the aggregates hold what they held: every 1-minute bucket is
-- younger than the raw retention, so the aggregate recomputed it; an hourly bucket older than
-- the oldest raw reading cannot be recomputed, so such a table is kept (renamed) with a notice.
DO $$
DECLARE
  oldest_raw timestamptz := (SELECT min(ts) FROM sensor_readings);
BEGIN
  IF to_regclass('sensor_readings_1m_apache') IS NOT NULL THEN
    DROP TABLE sensor_readings_1m_apache;
  END IF;
  IF to_regclass('sensor_readings_1h_apache') IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM sensor_readings_1h_apache WHERE oldest_raw IS NULL OR bucket < time_bucket(INTERVAL '1 hour', oldest_raw)) THEN
      RAISE NOTICE 'sensor_readings_1h_apache kept: it holds hourly buckets older than the oldest raw reading';
    ELSE
      DROP TABLE sensor_readings_1h_apache;
    END IF;
  END IF;
END $$;
