import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { loadMigrations, migrate, migrationsFor } from '../../db/migrate';
import { copyReadings, insertReadings } from '../../db/telemetry';
import type { Reading } from '../../domain/coldchain/telemetry';
import { requireDb, uniqueId } from '../support/stack';

describe('TimescaleDB (integration)', () => {
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => db?.close());

  it('runs the timescaledb extension', async () => {
    const rows = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
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
    const rows = await db.query<{ temp_c: number; ts: Date }>('SELECT temp_c, ts FROM sensor_readings WHERE sensor_id = $1 ORDER BY ts', [sensor]);
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
      sensorId, assetId: 'a', nodeId: 'n', ts: base + i * 1000, tempC: -18.25 + i / 3,
      humidityPct: nulls ? null : 55.5, doorOpen: nulls ? null : i % 2 === 0, batteryPct: nulls ? null : 87, defrost: nulls ? null : false, seq: nulls ? null : 9_000_000_000 + i,
    });
    const viaCopy = uniqueId('copy') + '\\tab\there';
    const viaInsert = uniqueId('ins');
    const batch = (sensorId: string) => [0, 1, 2, 3].map((i) => reading(sensorId, i, i % 2 === 1));
    const stored = async (sensorId: string) => db.query(
      'SELECT ts, temp_c, humidity_pct, door_open, battery_pct, defrost, seq FROM sensor_readings WHERE sensor_id = $1 ORDER BY ts', [sensorId]);

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
    const applied = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    const license = (await db.query<{ l: string }>("SELECT current_setting('timescaledb.license', true) AS l"))[0]!.l === 'timescale' ? 'timescale' : 'apache';
    expect(applied.map((r) => r.name)).to.deep.equal(migrationsFor(loadMigrations(), license).map((m) => m.name));
  });
});
