// Dead-letter replay takes pending unknown-sensor letters in arrival order: received_at, then id.
import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { upsertSensorNetwork } from '../../db/telemetry';
import { replayUnknownSensorLetters } from '../../iot-ingest/replay';
import { requireDb, suiteTopics } from '../support/stack';
import { registerSensors } from '../support/telemetry';

describe('dead-letter replay order (integration)', () => {
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('replays letters in arrival order (received_at, id), not in id or text order, across pages', async () => {
    const { nodeId, assetId } = await registerSensors(db, 1);
    const late = `${nodeId}-late`;
    const ts = Date.now() - 60_000;
    const topic = suiteTopics.readingTopic(nodeId, assetId, late);
    // Five letters for the same (sensor, ts) with different values: the first to arrive is the
    // reading that must be stored. Their ids run against their arrival, and their raw text
    // sorts yet another way.
    const arrivals = [
      { arrivedSecondsAgo: 10, tempC: 7.5 },
      { arrivedSecondsAgo: 50, tempC: 9.25 }, // the earliest arrival
      { arrivedSecondsAgo: 20, tempC: 1.5 },
      { arrivedSecondsAgo: 40, tempC: 3.5 },
      { arrivedSecondsAgo: 30, tempC: 5.5 },
    ];
    for (const a of arrivals) {
      const reading = {
        sensorId: late,
        assetId,
        nodeId,
        ts,
        tempC: a.tempC,
        humidityPct: null,
        doorOpen: null,
        batteryPct: null,
        defrost: null,
        seq: null,
      };
      await db.query(
        `INSERT INTO ingest_dead_letters (received_at, topic, reason, detail, sensor_id, raw)
         VALUES (now() - make_interval(secs => $1), $2, 'unknown_sensor', 'not registered', $3, $4)`,
        [a.arrivedSecondsAgo, topic, late, Buffer.from(JSON.stringify(reading))],
      );
    }
    await upsertSensorNetwork(db, { nodes: [], assets: [], sensors: [{ id: late, assetId, nodeId }] });
    const summary = await replayUnknownSensorLetters(db, { sensorIds: [late], pageSize: 2 });
    expect(summary).to.include({ examined: 5, stored: 1, alreadyStored: 4, stillPending: 0 });
    const rows = await db.query<{ temp_c: number }>('SELECT temp_c FROM sensor_readings WHERE sensor_id = $1', [late]);
    expect(
      rows.map((r) => r.temp_c),
      'the first arrival wins',
    ).to.deep.equal([9.25]);
  });
});
