import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { loadMigrations, migrate } from '../../db/migrate';
import { telemetryJobs } from '../../db/telemetry-maintenance';
import { assetChart, copyReadings, insertReadings } from '../../db/telemetry';
import { LATE_REFRESH_MS, refreshAggregates, RETENTION_DAYS } from '../../iot-ingest/maintenance';
import type { Reading } from '../../domain/coldchain/telemetry';
import { requireDb, uniqueId } from '../support/stack';
import { registerSensors } from '../support/telemetry';

describe('TimescaleDB (integration)', () => {
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => db?.close());

  it('runs the timescaledb extension', async () => {
    const rows = await db.query<{ extversion: string }>(
      "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
    );
    expect(rows).to.have.length(1);
    expect(rows[0]!.extversion).to.match(/^2\.\d+/);
  });

  it('has sensor_readings as a hypertable partitioned on ts', async () => {
    const rows = await db.query<{ column_name: string }>(
      "SELECT column_name FROM timescaledb_information.dimensions WHERE hypertable_name = 'sensor_readings'",
    );
    expect(rows.map((r) => r.column_name)).to.deep.equal(['ts']);
  });

  it('writes and reads the hypertable, and a repeated write changes nothing', async () => {
    const sensor = uniqueId('sensor');
    const insert = `INSERT INTO sensor_readings (sensor_id, ts, temp_c) VALUES ($1, $2, $3), ($1, $4, $5)
                    ON CONFLICT (sensor_id, ts) DO NOTHING`;
    const args = [sensor, '2026-11-20T10:00:00Z', 3.5, '2026-11-20T10:01:00Z', 4.25];
    await db.query(insert, args);
    await db.query(insert, args);
    const rows = await db.query<{ temp_c: number; ts: Date }>(
      'SELECT temp_c, ts FROM sensor_readings WHERE sensor_id = $1 ORDER BY ts',
      [sensor],
    );
    expect(rows.map((r) => r.temp_c)).to.deep.equal([3.5, 4.25]);
    expect(rows[0]!.ts.toISOString()).to.equal('2026-11-20T10:00:00.000Z');
    const chunks = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'sensor_readings' AND range_start <= '2026-11-20T10:00:00Z' AND range_end > '2026-11-20T10:00:00Z'",
    );
    expect(Number(chunks[0]!.n)).to.equal(1);
  });

  it('COPY stores readings exactly as INSERT does, and fails whole on a stored reading so INSERT can skip it', async () => {
    const base = Date.parse('2026-11-20T11:00:00.123Z');
    const reading = (sensorId: string, i: number, nulls: boolean): Reading => ({
      sensorId,
      assetId: 'a',
      nodeId: 'n',
      ts: base + i * 1000,
      tempC: -18.25 + i / 3,
      humidityPct: nulls ? null : 55.5,
      doorOpen: nulls ? null : i % 2 === 0,
      batteryPct: nulls ? null : 87,
      defrost: nulls ? null : false,
      seq: nulls ? null : 9_000_000_000 + i,
    });
    const viaCopy = uniqueId('copy') + '\\tab\there';
    const viaInsert = uniqueId('ins');
    const batch = (sensorId: string) => [0, 1, 2, 3].map((i) => reading(sensorId, i, i % 2 === 1));
    const stored = async (sensorId: string) =>
      db.query(
        'SELECT ts, temp_c, humidity_pct, door_open, battery_pct, defrost, seq FROM sensor_readings WHERE sensor_id = $1 ORDER BY ts',
        [sensorId],
      );

    expect(await db.transaction((c) => copyReadings(c, batch(viaCopy)))).to.equal(4);
    expect(await db.transaction((c) => insertReadings(c, batch(viaInsert)))).to.equal(4);
    const copied = await stored(viaCopy);
    expect(copied).to.have.length(4);
    expect(copied).to.deep.equal(await stored(viaInsert));

    const more = [...batch(viaCopy).slice(2), reading(viaCopy, 4, false), reading(viaCopy, 5, true)];
    let code: string | undefined;
    await db.transaction((c) => copyReadings(c, more)).catch((err: { code?: string }) => (code = err.code));
    expect(code).to.equal('23505');
    expect(await stored(viaCopy), 'nothing of the failed COPY is stored').to.have.length(4);
    expect(await db.transaction((c) => insertReadings(c, more))).to.equal(2);
    expect(await stored(viaCopy)).to.have.length(6);
  });

  it('migrates idempotently: a second run applies nothing', async () => {
    expect(await migrate(db)).to.deep.equal([]);
    // Versions, not names: a database first migrated on the Apache-only build recorded 003's variant name.
    const applied = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).to.deep.equal(loadMigrations().map((m) => m.version));
  });

  it('runs the Timescale-licensed build: compression, continuous aggregates and policies are there', async () => {
    expect((await db.query<Record<string, string>>('SHOW timescaledb.license'))[0]!['timescaledb.license']).to.equal(
      'timescale',
    );
    const aggs = await db.query<{ view_name: string; materialized_only: boolean }>(
      "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name LIKE 'sensor_readings_%' ORDER BY 1",
    );
    expect(aggs).to.deep.equal([
      { view_name: 'sensor_readings_1h', materialized_only: false },
      { view_name: 'sensor_readings_1m', materialized_only: false },
    ]);
    const settings = await db.query<{
      attname: string;
      segmentby_column_index: number | null;
      orderby_column_index: number | null;
      orderby_asc: boolean | null;
    }>(
      "SELECT attname, segmentby_column_index, orderby_column_index, orderby_asc FROM timescaledb_information.compression_settings WHERE hypertable_name = 'sensor_readings' ORDER BY attname",
    );
    expect(settings).to.deep.equal([
      { attname: 'sensor_id', segmentby_column_index: 1, orderby_column_index: null, orderby_asc: null },
      { attname: 'ts', segmentby_column_index: null, orderby_column_index: 1, orderby_asc: false },
    ]);
  });

  it('registers the policies as jobs, once each', async () => {
    const jobs = (await telemetryJobs(db)).map(
      (j) =>
        `${j.proc} ${j.relation} ${JSON.stringify(j.config, ['compress_after', 'drop_after', 'start_offset', 'end_offset'])}`,
    );
    expect(jobs.sort()).to.deep.equal(
      [
        'policy_compression sensor_readings {"compress_after":"7 days"}',
        'policy_refresh_continuous_aggregate sensor_readings_1h {"start_offset":"3 days","end_offset":"01:00:00"}',
        'policy_refresh_continuous_aggregate sensor_readings_1m {"start_offset":"03:00:00","end_offset":"00:01:00"}',
        `policy_retention sensor_readings {"drop_after":"${RETENTION_DAYS.raw} days"}`,
        `policy_retention sensor_readings_1h {"drop_after":"3 years"}`,
        `policy_retention sensor_readings_1m {"drop_after":"${RETENTION_DAYS['1m']} days"}`,
      ].sort(),
    );
  });

  it('runs the policy jobs in the background and they succeed', async function () {
    this.timeout(60_000);
    // PostgreSQL 17.12 refused to drop the portal TimescaleDB 2.19.3 runs a job in: every
    // policy did its work, then failed and backed off (deploy/timescale/*.patch).
    const ids = (await telemetryJobs(db)).map((j) => j.jobId);
    const since = (await db.query<{ now: Date }>('SELECT now()'))[0]!.now;
    await db.query('SELECT alter_job(id, next_start => now()) FROM unnest($1::int[]) id', [ids]);
    const deadline = Date.now() + 45_000;
    let runs: { job_id: number; last_run_status: string | null; last_run_started_at: Date | null }[] = [];
    for (;;) {
      runs = await db.query(
        'SELECT job_id, last_run_status, last_run_started_at FROM timescaledb_information.job_stats WHERE job_id = ANY($1) ORDER BY job_id',
        [ids],
      );
      if (runs.every((r) => r.last_run_started_at && r.last_run_started_at >= since && r.last_run_status)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(runs.map((r) => [r.job_id, r.last_run_status])).to.deep.equal(ids.map((id) => [id, 'Success']));
  });

  it('retention never drops raw readings an aggregate refresh still reads, nor aggregate buckets a refresh would rebuild', async () => {
    // Every refresh window (policies' and the late-reading one) starts well after the raw
    // retention cut-off; the 1-minute refreshes start after the 1-minute retention cut-off.
    const jobs = await telemetryJobs(db);
    const rawDrop = jobs.find((j) => j.proc === 'policy_retention' && j.relation === 'sensor_readings')!.config
      .drop_after as string;
    const minuteDrop = jobs.find((j) => j.proc === 'policy_retention' && j.relation === 'sensor_readings_1m')!.config
      .drop_after as string;
    const starts = jobs
      .filter((j) => j.proc === 'policy_refresh_continuous_aggregate')
      .map((j) => j.config.start_offset as string);
    const late = Object.values(LATE_REFRESH_MS).map((w) => `${w.startAgo / 1000} seconds`);
    const rows = await db.query<{ ok: boolean }>(
      `SELECT bool_and(s::interval * 2 < $1::interval AND s::interval < $2::interval) AS ok FROM unnest($3::text[]) s`,
      [rawDrop, minuteDrop, [...starts, ...late]],
    );
    expect(rows[0]!.ok).to.equal(true);
  });

  it('queries and writes compressed chunks: late readings, redelivered ones, and COPY; the aggregates match raw readings', async () => {
    const { assetId, sensorIds } = await registerSensors(db, 2);
    // Twenty days back: a whole day chunk, compressed here as the policy would.
    const day = Math.floor((Date.now() - 20 * 86_400_000) / 86_400_000) * 86_400_000;
    const mk = (sensorId: string, ts: number, tempC: number): Reading => ({
      sensorId,
      assetId,
      nodeId: 'n',
      ts,
      tempC,
      humidityPct: null,
      doorOpen: null,
      batteryPct: null,
      defrost: null,
      seq: null,
    });
    const first = sensorIds.flatMap((s, k) =>
      Array.from({ length: 240 }, (_, i) => mk(s, day + 3_600_000 + i * 30_000, 2 + k + Math.sin(i / 9))),
    );
    await db.transaction((c) => insertReadings(c, first));
    await refreshAggregates(db, new Date(day), new Date(day + 86_400_000));
    const chunks = await db.query<{ chunk: string }>(
      `SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, if_not_compressed => true)::text AS chunk
         FROM timescaledb_information.chunks
        WHERE hypertable_name = 'sensor_readings' AND range_start <= $1 AND range_end > $2`,
      [new Date(day + 3_600_000), new Date(day + 3 * 3_600_000)],
    );
    expect(chunks).to.have.length(1);
    const compressed = async () =>
      (
        await db.query<{ c: boolean }>(
          "SELECT is_compressed AS c FROM timescaledb_information.chunks WHERE format('%I.%I', chunk_schema, chunk_name) = $1",
          [chunks[0]!.chunk],
        )
      )[0]!.c;
    expect(await compressed()).to.equal(true);

    // Read back from the compressed chunk.
    const stored = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM sensor_readings WHERE sensor_id = ANY($1)',
      [sensorIds],
    );
    expect(Number(stored[0]!.n)).to.equal(480);

    // Late readings into it (between the stored ones), a redelivery of stored ones (skipped), COPY.
    const late = sensorIds.map((s) => mk(s, day + 3_600_000 + 15_000, 12.5));
    expect(await db.transaction((c) => insertReadings(c, [...late, ...first.slice(0, 5)]))).to.equal(2);
    expect(await db.transaction((c) => insertReadings(c, late))).to.equal(0);
    const copied = sensorIds.map((s) => mk(s, day + 3 * 3_600_000 + 7_000, -1.25));
    expect(await db.transaction((c) => copyReadings(c, copied))).to.equal(2);
    const n = await db.query<{ n: string }>('SELECT count(*) AS n FROM sensor_readings WHERE sensor_id = ANY($1)', [
      sensorIds,
    ]);
    expect(Number(n[0]!.n)).to.equal(484);

    // The aggregates, refreshed over the period, equal a direct computation over raw readings.
    await refreshAggregates(db, new Date(day), new Date(day + 86_400_000));
    for (const [view, width] of [
      ['sensor_readings_1m', '1 minute'],
      ['sensor_readings_1h', '1 hour'],
    ] as const) {
      const diff = await db.query<{ sensor_id: string; bucket: Date }>(
        `WITH raw AS (
           SELECT sensor_id, time_bucket(INTERVAL '${width}', ts) AS bucket, min(temp_c) AS min_c, max(temp_c) AS max_c, avg(temp_c) AS avg_c,
                  count(*) AS n, sum(exp(-10000.0 / (temp_c + 273.15))) AS sum_arrhenius
             FROM sensor_readings WHERE sensor_id = ANY($1) GROUP BY 1, 2),
         agg AS (SELECT * FROM ${view} WHERE sensor_id = ANY($1))
         SELECT coalesce(raw.sensor_id, agg.sensor_id) AS sensor_id, coalesce(raw.bucket, agg.bucket) AS bucket
           FROM raw FULL JOIN agg ON agg.sensor_id = raw.sensor_id AND agg.bucket = raw.bucket
          WHERE raw.n IS DISTINCT FROM agg.n OR raw.min_c IS DISTINCT FROM agg.min_c OR raw.max_c IS DISTINCT FROM agg.max_c
             OR abs(raw.avg_c - agg.avg_c) > 1e-9 OR abs(raw.sum_arrhenius - agg.sum_arrhenius) > 1e-12 * raw.sum_arrhenius
             OR agg.n IS NULL OR raw.n IS NULL`,
        [sensorIds],
      );
      expect(diff, view).to.deep.equal([]);
    }
    const chart = await assetChart(db, assetId, new Date(day), new Date(day + 86_400_000));
    expect(chart.map((b) => [b.sensorId, b.bucket.getTime() - day, b.n, b.maxC])).to.deep.equal([
      [sensorIds[0], 3_600_000, 121, 12.5],
      [sensorIds[0], 2 * 3_600_000, 120, Math.max(...first.slice(120, 240).map((r) => r.tempC))],
      [sensorIds[0], 3 * 3_600_000, 1, -1.25],
      [sensorIds[1], 3_600_000, 121, 12.5],
      [sensorIds[1], 2 * 3_600_000, 120, Math.max(...first.slice(360, 480).map((r) => r.tempC))],
      [sensorIds[1], 3 * 3_600_000, 1, -1.25],
    ]);
  });
});
