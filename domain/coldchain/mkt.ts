// Mean kinetic temperature (MKT) and time out of band.
//
// T_mk = (ΔH/R) / −ln( Σ tᵢ·e^(−ΔH/(R·Tᵢ)) / Σ tᵢ ), temperatures in kelvin, ΔH/R = 10,000 K.
// Both sums are additive, so an MKT over any window can be assembled from per-bucket sums
// (e.g. a TimescaleDB continuous aggregate) with `combineSums` + `mktFromSums`.
import { bandPosition } from './bands';
import type { Band } from './bands';

/** ΔH/R for ΔH = 83.144 kJ/mol (the conventional value), in kelvin. */
export const DEFAULT_ACTIVATION_K = 10_000;

/** 0 °C in kelvin. */
export const KELVIN_OFFSET = 273.15;

/** A timestamped temperature (any Reading fits). */
export interface TempPoint {
  ts: number;
  tempC: number;
}

/** Additive MKT sums; weights are seconds. */
export interface MktSums {
  sumWeight: number;
  sumArrhenius: number;
}

/** How readings are turned into time intervals. */
export interface IntervalOptions {
  /** End of the last reading's interval; without it the last reading carries no weight. */
  endTs?: number;
  /** Cap on one interval, so an outage is not blamed on the last reading before it. */
  maxGapMs?: number;
}

/** Options for MKT computations. */
export interface MktOptions extends IntervalOptions {
  activationK?: number;
}

/**
 * Time-weighted intervals: each reading holds until the next one (sample and hold), readings
 * sorted by ts first. Duplicate timestamps get zero weight, so a redelivered reading changes
 * nothing.
 */
export function intervals(points: readonly TempPoint[], opts: IntervalOptions = {}): { tempC: number; ms: number }[] {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  return sorted.map((p, i) => {
    const next = sorted[i + 1]?.ts ?? opts.endTs ?? p.ts;
    const ms = Math.max(0, next - p.ts);
    return { tempC: p.tempC, ms: opts.maxGapMs === undefined ? ms : Math.min(ms, opts.maxGapMs) };
  });
}

/** Sums for one bucket of readings (pass `endTs` = start of the next bucket to chain buckets). */
export function mktBucketSums(points: readonly TempPoint[], opts: MktOptions = {}): MktSums {
  const k = opts.activationK ?? DEFAULT_ACTIVATION_K;
  let sumWeight = 0;
  let sumArrhenius = 0;
  for (const { tempC, ms } of intervals(points, opts)) {
    const seconds = ms / 1000;
    sumWeight += seconds;
    sumArrhenius += seconds * Math.exp(-k / (tempC + KELVIN_OFFSET));
  }
  return { sumWeight, sumArrhenius };
}

/** Adds bucket sums. */
export function combineSums(...sums: readonly MktSums[]): MktSums {
  return sums.reduce(
    (acc, s) => ({ sumWeight: acc.sumWeight + s.sumWeight, sumArrhenius: acc.sumArrhenius + s.sumArrhenius }),
    { sumWeight: 0, sumArrhenius: 0 },
  );
}

/** MKT in °C from bucket sums; null when there is no weighted time. */
export function mktFromSums(sums: readonly MktSums[], activationK = DEFAULT_ACTIVATION_K): number | null {
  const total = combineSums(...sums);
  if (!(total.sumWeight > 0) || !(total.sumArrhenius > 0)) return null;
  return activationK / -Math.log(total.sumArrhenius / total.sumWeight) - KELVIN_OFFSET;
}

/** MKT in °C from raw readings, time-weighted by intervals; null with under two readings and no endTs. */
export function mktFromReadings(points: readonly TempPoint[], opts: MktOptions = {}): number | null {
  return mktFromSums([mktBucketSums(points, opts)], opts.activationK);
}

/** Time-weighted arithmetic mean in °C (for comparison with MKT); null without weighted time. */
export function timeWeightedMean(points: readonly TempPoint[], opts: IntervalOptions = {}): number | null {
  const iv = intervals(points, opts);
  const total = iv.reduce((a, x) => a + x.ms, 0);
  return total > 0 ? iv.reduce((a, x) => a + x.tempC * x.ms, 0) / total : null;
}

/** Time below, inside and above one band, in ms. */
export interface TimeOutOfBand {
  belowMs: number;
  inBandMs: number;
  aboveMs: number;
  totalMs: number;
}

/** Time spent below, in and above a band, with sample-and-hold intervals. */
export function timeOutOfBand(points: readonly TempPoint[], band: Band, opts: IntervalOptions = {}): TimeOutOfBand {
  const out: TimeOutOfBand = { belowMs: 0, inBandMs: 0, aboveMs: 0, totalMs: 0 };
  for (const { tempC, ms } of intervals(points, opts)) {
    const pos = bandPosition(tempC, band);
    if (pos === 'below') out.belowMs += ms;
    else if (pos === 'above') out.aboveMs += ms;
    else out.inBandMs += ms;
    out.totalMs += ms;
  }
  return out;
}

/** `timeOutOfBand` for several named bands at once (e.g. every default profile's band). */
export function timeOutOfBandPerBand<K extends string>(
  points: readonly TempPoint[],
  bands: Readonly<Record<K, Band>>,
  opts: IntervalOptions = {},
): Record<K, TimeOutOfBand> {
  const out = {} as Record<K, TimeOutOfBand>;
  for (const name of Object.keys(bands) as K[]) out[name] = timeOutOfBand(points, bands[name], opts);
  return out;
}
