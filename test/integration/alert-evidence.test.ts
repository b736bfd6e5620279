// Alert evidence read from the 1-minute continuous aggregate: equal to the computation over
// every raw reading (today's path), while fetching only a few minutes of raw readings.
import { expect } from 'chai';
import { sensorTemps } from '../../db/alerts';
import type { Db } from '../../db/pool';
import { insertReadings } from '../../db/telemetry';
import type { Band } from '../../domain/coldchain/bands';
import { mktFromReadings, timeOutOfBand, timeWeightedMean } from '../../domain/coldchain/mkt';
import type { Reading } from '../../domain/coldchain/telemetry';
import { sensorWindowEvidence } from '../../coldchain/report';
import { refreshAggregates } from '../../iot-ingest/maintenance';
import type { SensorWindowFigures } from '../../coldchain/report';
import { windowPoints } from '../../coldchain/shelfLifeImpact';
import { requireDb } from '../support/stack';
import { registerSensors } from '../support/telemetry';

/** The figures as report.ts computed them before the aggregate: from every raw reading. */
async function rawFigures(
  db: Db,
  sensorId: string,
  band: Band,
  from: number,
  end: number,
  maxGapMs: number,
): Promise<SensorWindowFigures> {
  const stored = await sensorTemps(db.pool, sensorId, from - maxGapMs, end);
  const points = windowPoints(stored, from, end);
  const opts = { endTs: end, maxGapMs };
  const temps = points.map((p) => p.tempC);
  return {
    sensorId,
    readings: stored.filter((p) => p.ts >= from).length,
    mktC: mktFromReadings(points, opts),
    meanC: timeWeightedMean(points, opts),
    minC: temps.length ? Math.min(...temps) : null,
    maxC: temps.length ? Math.max(...temps) : null,
    timeOutOfBand: timeOutOfBand(points, band, opts),
  };
}

function expectSameFigures(a: SensorWindowFigures, b: SensorWindowFigures): void {
  expect(a.readings).to.equal(b.readings);
  expect(a.minC).to.equal(b.minC);
  expect(a.maxC).to.equal(b.maxC);
  expect(a.mktC).to.be.closeTo(b.mktC!, 1e-9);
  expect(a.meanC).to.be.closeTo(b.meanC!, 1e-9);
  expect(a.timeOutOfBand).to.deep.equal(b.timeOutOfBand);
}

describe('alert evidence from the continuous aggregate (integration)', () => {
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => db?.close());

  it('equals the raw computation over 4 hours of 10-second readings with an excursion and an outage, fetching few raw readings', async () => {
    const { nodeId, assetId, sensorIds } = await registerSensors(db, 1);
    const sensorId = sensorIds[0]!;
    const band: Band = { lowC: 0, highC: 8 };
    const t0 = Date.parse('2026-11-21T06:00:00.000Z');
    const readings: Reading[] = [];
    for (let ts = t0; ts < t0 + 4 * 3_600_000; ts += 10_000) {
      const outage = ts >= t0 + 150 * 60_000 && ts < t0 + 170 * 60_000;
      if (outage) continue;
      const excursion = ts >= t0 + 60 * 60_000 + 25_000 && ts < t0 + 97 * 60_000 + 5_000;
      const tempC = (excursion ? 11 : 4) + ((ts / 10_000) % 5) * 0.13;
      readings.push({
        sensorId,
        assetId,
        nodeId,
        ts,
        tempC,
        humidityPct: null,
        doorOpen: null,
        batteryPct: null,
        defrost: null,
        seq: null,
      });
    }
    await db.transaction((c) => insertReadings(c, readings));

    const maxGapMs = 600_000;
    // Written behind the aggregate's watermark: not materialized yet, so the raw readings are used.
    const late = await sensorWindowEvidence(db.pool, sensorId, band, t0, t0 + 3_600_000, maxGapMs, t0 + 3_600_000);
    expectSameFigures(late.figures, await rawFigures(db, sensorId, band, t0, t0 + 3_600_000, maxGapMs));
    expect(late.rawReadingsFetched).to.be.at.least(late.figures.readings);

    await refreshAggregates(db, new Date(t0 - 3_600_000), new Date(t0 + 5 * 3_600_000));
    for (const [from, to] of [
      [t0 + 5 * 60_000 + 3_000, t0 + 4 * 3_600_000 - 45_000],
      [t0 + 59 * 60_000, t0 + 98 * 60_000],
      [t0 + 160 * 60_000, t0 + 200 * 60_000],
      [t0 + 60 * 60_000 + 35_000, t0 + 75 * 60_000],
    ] as const) {
      const { figures, rawReadingsFetched } = await sensorWindowEvidence(
        db.pool,
        sensorId,
        band,
        from,
        to,
        maxGapMs,
        to + 1,
      );
      expectSameFigures(figures, await rawFigures(db, sensorId, band, from, to, maxGapMs));
      if (process.env.EVIDENCE_DEBUG)
        console.log({
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          readings: figures.readings,
          rawReadingsFetched,
        });
      expect(rawReadingsFetched, 'raw readings fetched').to.be.below(figures.readings / 3);
      if (to - from > 3_600_000)
        expect(rawReadingsFetched, 'raw readings fetched, long window').to.be.below(figures.readings / 15);
    }
    const whole = await sensorWindowEvidence(
      db.pool,
      sensorId,
      band,
      t0,
      t0 + 4 * 3_600_000,
      maxGapMs,
      t0 + 4 * 3_600_000,
    );
    expect(whole.figures.timeOutOfBand.aboveMs).to.equal(37 * 60_000 - 20_000);
  });
});
