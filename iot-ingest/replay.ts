// Replay of unknown-sensor dead letters: a device that publishes before its sensor is
// registered has its readings dead-lettered (with the reading itself as the raw payload), and
// once the sensor is registered they belong in the hypertable. Each letter goes through the
// same registry check as live traffic; stored ones are marked, so a replay is idempotent, and
// the rest stay pending with a note saying why.
import { z } from 'zod';
import type { Db } from '../db/pool';
import { pendingUnknownReadings, storeReplayed } from '../db/telemetry';
import type { Reading } from '../domain/coldchain/telemetry';
import { SensorCache } from './registry';

/** The Reading the ingester wrote as the raw payload of an unknown-sensor dead letter. */
const StoredReadingSchema = z.object({
  sensorId: z.string().min(1),
  assetId: z.string().min(1),
  nodeId: z.string().min(1),
  ts: z.number().int().nonnegative(),
  tempC: z.number(),
  humidityPct: z.number().nullable(),
  doorOpen: z.boolean().nullable(),
  batteryPct: z.number().nullable(),
  defrost: z.boolean().nullable(),
  seq: z.number().int().nullable(),
});

export interface ReplaySummary {
  examined: number;
  stored: number;
  /** Readings stored before (a QoS 1 duplicate of one that got through). */
  alreadyStored: number;
  stillPending: number;
  /** Pending letters by why they are still pending. */
  reasons: Record<string, number>;
}

/** Replay pending unknown-sensor dead letters (of some sensors, or received since a time), a page at a time. */
export async function replayUnknownSensorLetters(
  db: Db,
  f: { sensorIds?: string[]; since?: Date; pageSize?: number } = {},
): Promise<ReplaySummary> {
  const cache = new SensorCache(db);
  await cache.load();
  const summary: ReplaySummary = { examined: 0, stored: 0, alreadyStored: 0, stillPending: 0, reasons: {} };
  const pending = (why: string) => {
    summary.stillPending++;
    summary.reasons[why] = (summary.reasons[why] ?? 0) + 1;
  };
  // Pages in arrival order (received_at, id): the first arrival of a (sensor, ts) is the one stored.
  let afterId: number | undefined;
  for (;;) {
    const letters = await pendingUnknownReadings(db, {
      ...f,
      ...(afterId === undefined ? {} : { afterId }),
      limit: f.pageSize ?? 1000,
    });
    if (letters.length === 0) break;
    afterId = letters[letters.length - 1]!.id;
    const letterIds: number[] = [];
    const readings: Reading[] = [];
    const notes: { id: number; note: string }[] = [];
    for (const l of letters) {
      summary.examined++;
      let reading: Reading;
      try {
        reading = StoredReadingSchema.parse(JSON.parse(l.raw?.toString('utf8') ?? 'null'));
      } catch {
        notes.push({ id: l.id, note: 'raw payload is not a stored reading' });
        pending('unreadable');
        continue;
      }
      const problem = await cache.problemWith(reading);
      if (problem) {
        notes.push({ id: l.id, note: problem });
        pending(problem.includes('belongs to') ? 'misplaced' : 'unknown_sensor');
        continue;
      }
      letterIds.push(l.id);
      readings.push(reading);
    }
    const inserted = await storeReplayed(db, { letterIds, readings }, notes);
    summary.stored += inserted;
    summary.alreadyStored += readings.length - inserted;
  }
  cache.close();
  return summary;
}
