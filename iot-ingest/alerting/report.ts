// Cold-chain figures over a window: mean kinetic temperature and time out of band, per sensor
// of an asset (fridge, cold room, van), from the stored readings. Used by the alert API (the
// alert's window) and the asset API, and by the `coldChainReport` activity for a delivery (the
// van over the dispatch → delivered window).
import { assetWithSensors, sensorTemps } from '../../db/alerts';
import type { Queryable } from '../../db/alerts';
import type { Band, RuleProfile } from '../../domain/coldchain/bands';
import { mktFromReadings, timeOutOfBand, timeWeightedMean } from '../../domain/coldchain/mkt';
import type { TimeOutOfBand } from '../../domain/coldchain/mkt';
import { windowPoints } from './shelfLifeImpact';

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

/**
 * One sensor's figures over [from, to]: sample and hold, the reading before `from` carried in,
 * intervals capped at `maxGapMs` (an outage is not blamed on the last reading), and the last
 * reading held until `to`, or until `now` while the window is still open.
 */
export async function sensorWindowFigures(q: Queryable, sensorId: string, band: Band | null, from: number, to: number, maxGapMs: number, now = Date.now()): Promise<SensorWindowFigures> {
  const end = Math.min(to, now);
  const stored = await sensorTemps(q, sensorId, from - maxGapMs, end);
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
    timeOutOfBand: timeOutOfBand(points, band ?? { lowC: null, highC: null }, opts),
  };
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
  for (const s of asset.sensorIds) sensors.push(await sensorWindowFigures(q, s, band, window.from, window.to, maxGapMs, now));
  const mkts = sensors.map((s) => s.mktC).filter((x): x is number => x !== null);
  return {
    assetId, nodeId: asset.nodeId, profileId: asset.profileId, band,
    from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), sensors,
    worst: {
      mktC: mkts.length ? Math.max(...mkts) : null,
      aboveMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.aboveMs)),
      belowMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.belowMs)),
      outOfBandMs: Math.max(0, ...sensors.map((s) => s.timeOutOfBand.aboveMs + s.timeOutOfBand.belowMs)),
    },
  };
}
