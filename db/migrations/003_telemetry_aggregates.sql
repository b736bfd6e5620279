-- migrate:no-transaction
-- Continuous aggregates cannot be created inside a transaction.
-- sum_arrhenius and n are additive, so mean kinetic temperature over any window comes from
-- these buckets: T_mk = 10000 / -ln(sum(sum_arrhenius) / sum(n)) - 273.15 (ΔH/R = 10,000 K).
CREATE MATERIALIZED VIEW sensor_readings_1m
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
WITH NO DATA;

CREATE MATERIALIZED VIEW sensor_readings_1h
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
WITH NO DATA;

-- Refresh windows end well inside the raw data's 400-day retention, so a refresh never sees
-- dropped chunks and wipes buckets it had.
SELECT add_continuous_aggregate_policy('sensor_readings_1m',
  start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');
SELECT add_continuous_aggregate_policy('sensor_readings_1h',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
SELECT add_retention_policy('sensor_readings_1m', INTERVAL '35 days');
SELECT add_retention_policy('sensor_readings_1h', INTERVAL '3 years');
