// Test fixtures for telemetry: a registered sensor network of unique ids, and pollers.
import type { Db } from '../../db/pool';
import { upsertSensorNetwork } from '../../db/telemetry';
import { uniqueId } from './stack';

/** A node with one fridge and `n` sensors on it, registered in the database. */
export async function registerSensors(
  db: Db,
  n: number,
  band = 'chilled',
): Promise<{ nodeId: string; assetId: string; sensorIds: string[] }> {
  const nodeId = uniqueId('node');
  const assetId = `${nodeId}-fridge`;
  const sensorIds = Array.from({ length: n }, (_, i) => `${nodeId}-s${i}`);
  await upsertSensorNetwork(db, {
    nodes: [
      {
        id: nodeId,
        kind: 'front',
        name: 'test node',
        lat: 31.23,
        lng: 121.47,
        radiusKm: 3,
        zones: ['ambient', 'chilled', 'frozen'],
      },
    ],
    assets: [{ id: assetId, nodeId, kind: 'fridge', band }],
    sensors: sensorIds.map((id) => ({ id, assetId, nodeId })),
  });
  return { nodeId, assetId, sensorIds };
}

/** Rows and distinct (sensor, ts) keys stored for these sensors. */
export async function countReadings(db: Db, sensorIds: string[]): Promise<{ rows: number; distinct: number }> {
  const r = await db.query<{ rows: string; distinct: string }>(
    'SELECT count(*) AS rows, count(DISTINCT (sensor_id, ts)) AS distinct FROM sensor_readings WHERE sensor_id = ANY($1)',
    [sensorIds],
  );
  return { rows: Number(r[0]!.rows), distinct: Number(r[0]!.distinct) };
}

/** Poll until fn() is true or the time is up; returns fn()'s last verdict. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
