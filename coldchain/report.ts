// Cold-chain figures over a window: mean kinetic temperature and time out of band, per sensor
// of an asset (fridge, cold room, van), from the stored readings. Used by the alert API (the
// alert's window) and the asset API, and by the `coldChainReport` activity for a delivery (the
// van over the dispatch → delivered window).
import { assetWithSensors, sensorHeldSums, sensorMinuteBuckets, sensorTemps, sensorTempsInMinutes } from '../db/alerts';
import type { Queryable } from '../db/pool';
import type { Band, RuleProfile } from '../domain/coldchain/bands';
import { evidenceFromBuckets, interiorBuckets, minutesToReadRaw } from '../domain/coldchain/evidence';
import { mktFromSums } from '../domain/coldchain/mkt';
import type { TimeOutOfBand } from '../domain/coldchain/mkt';

/** Figures of one sensor over a window. */
export interface SensorWindowFigures {
  sensorId: string;
  readings: number;
  mktC: number | null;
  meanC: number | null;
  minC: number | null;
  maxC: number | null;
  timeOutOfBand: TimeOutOfBand;
}

/** An asset's figures over a window. */
export interface ColdChainReport {
  assetId: string;
  nodeId: string;
  profileId: string;
  band: Band | null;
  from: string;
  to: string;
  sensors: SensorWindowFigures[];
  /** The worst sensor on each figure (the conservative view of the asset). */
  worst: { mktC: number | null; aboveMs: number; belowMs: number; outOfBandMs: number };
}

/** A sensor's figures and how many raw readings were fetched to compute them. */
export interface SensorWindowEvidence {
  figures: SensorWindowFigures;
  /** Raw readings fetched (the edge and mixed minutes), against `figures.readings` in the window. */
  rawReadingsFetched: number;
}

/**
 * One sensor's figures over [from, to]: sample and hold, the reading before `from` carried in,
 * intervals capped at `maxGapMs` (an outage is not blamed on the last reading), and the last
 * reading held until `to`, or until `now` while the window is still open. Time out of band,
 * min, max and the count come from the 1-minute aggregate plus the raw readings of the minutes
 * it cannot settle (domain/coldchain/evidence.ts); MKT and mean are sample-and-hold weighted
 * per reading, which no bucket sum carries, so the database computes them from raw readings.
 */
export async function sensorWindowEvidence(
  q: Queryable,
  sensorId: string,
  band: Band | null,
  from: number,
  to: number,
  maxGapMs: number,
  now = Date.now(),
): Promise<SensorWindowEvidence> {
  const end = Math.min(to, now);
  const w = { band: band ?? { lowC: null, highC: null }, from, end, maxGapMs };
  const { buckets, stale } = await sensorMinuteBuckets(q, sensorId, from - maxGapMs, end);
  // No buckets at all is the raw path itself: a stale aggregate (late readings not yet
  // materialized) is never trusted.
  const trusted = stale ? [] : buckets;
  const raw = stale
    ? await sensorTemps(q, sensorId, from - maxGapMs, end)
    : await sensorTempsInMinutes(q, sensorId, minutesToReadRaw(buckets, interiorBuckets(buckets, w), from));
  const evidence = evidenceFromBuckets(trusted, raw, w);
  const held = await sensorHeldSums(q, sensorId, from, end, maxGapMs);
  return {
    figures: {
      sensorId,
      readings: evidence.readings,
      mktC: mktFromSums([{ sumWeight: held.heldMs / 1000, sumArrhenius: held.sumArrhenius }]),
      meanC: held.heldMs > 0 ? held.sumTempMs / held.heldMs : null,
      minC: evidence.minC,
      maxC: evidence.maxC,
      timeOutOfBand: evidence.timeOutOfBand,
    },
    rawReadingsFetched: raw.length,
  };
}

/** One sensor's figures over [from, to] (see sensorWindowEvidence). */
export async function sensorWindowFigures(
  q: Queryable,
  sensorId: string,
  band: Band | null,
  from: number,
  to: number,
  maxGapMs: number,
  now = Date.now(),
): Promise<SensorWindowFigures> {
  return (await sensorWindowEvidence(q, sensorId, band, from, to, maxGapMs, now)).figures;
}

/** An asset's (or van's) report over a window; null when the asset is unknown. */
export async function assetColdChainReport(
  q: Queryable,
  resolveProfile: (id: string) => Promise<RuleProfile | null>,
  assetId: string,
  window: { from: number; to: number },
  now = Date.now(),
): Promise<ColdChainReport | null> {
  const asset = await assetWithSensors(q, assetId);
  if (!asset) return null;
  const profile = await resolveProfile(asset.profileId);
  const band = profile?.band ?? null;
  const maxGapMs = (profile?.offlineTimeoutSec ?? 600) * 1000;
  const sensors: SensorWindowFigures[] = [];
  for (const s of asset.sensorIds)
    sensors.push(await sensorWindowFigures(q, s, band, window.from, window.to, maxGapMs, now));
  const mkts = sensors.map((s) => s.mktC).filter((x): x is number => x !== null);
  return {
    assetId,
    nodeId: asset.nodeId,
    profileId: asset.profileId,
    band,
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    sensors,
    worst: {
      mktC: mkts.length ? Math.max(...mkts) : null,
      aboveMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.aboveMs)),
      belowMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.belowMs)),
      outOfBandMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.aboveMs + s.timeOutOfBand.belowMs)),
    },
  };
}
