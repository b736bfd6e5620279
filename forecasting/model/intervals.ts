// Prediction intervals from out-of-sample residuals. At fit time the last `calibrationDays` of
// history are forecast with the same trailing level the forecaster uses, from origins before
// each step (the level never sees the step it forecasts), at leads spread over the horizon.
// Scaled residuals r = (y − ŷ)/(ŷ + c) are then standardised by a spread per lead bucket and
// per cell of the day/week (slot of day for sub-daily grids, weekday for daily ones), both
// estimated over the pooling group; the empirical p10/p50/p90 of the standardised residuals,
// times the spread of the forecast's lead and cell, give its quantiles. So a Sunday, a night
// slot or a lead six days out gets the width its own past errors had, not an average one.
import { quantileSorted } from 'simple-statistics';
import { decayPerStep } from './level';
import type { IntervalSpread, ResidualQuantiles } from './types';

export interface CalibrationInput {
  readonly y: ArrayLike<number>;
  /** Profile × multiplier per step (the forecast divided by the level). */
  readonly expected: ArrayLike<number>;
  readonly affected: ArrayLike<number>;
  /** Spread cell of each step (see spreadCellOf). */
  readonly spreadCell: ArrayLike<number>;
  readonly n: number;
  /** First step whose residual is kept (the calibration window is [from, n)). */
  readonly from: number;
  readonly horizon: number;
  readonly slotsPerDay: number;
  readonly levelHalfLifeDays: number;
}

export interface Calibration {
  /** Scaled residuals of the calibration window, with their lead bucket and spread cell. */
  readonly scaled: Float64Array;
  readonly bucket: Uint16Array;
  readonly cell: Uint16Array;
  readonly scaleOffset: number;
}

/** Steps per lead bucket: a day of slots on sub-daily grids, one step on daily ones. */
export function leadBucketSteps(slotsPerDay: number): number {
  return slotsPerDay;
}

export function leadBuckets(horizon: number, slotsPerDay: number): number {
  return Math.max(1, Math.ceil(horizon / leadBucketSteps(slotsPerDay)));
}

/** Spread cells: slot of day on sub-daily grids (whose weekday is in the profile), weekday on daily ones. */
export function spreadCells(slotsPerDay: number): number {
  return slotsPerDay === 1 ? 7 : slotsPerDay;
}

/** Spread cell of a step from its weekday cell (weekday × slotsPerDay + slot). */
export function spreadCellOf(weekdayCell: number, slotsPerDay: number): number {
  return slotsPerDay === 1 ? weekdayCell : weekdayCell % slotsPerDay;
}

/** A lead for step t in bucket b, spread over the bucket so that no time of day is tied to one lead. */
function leadFor(t: number, b: number, bucketSteps: number, horizon: number): number {
  const within = bucketSteps === 1 ? 0 : Math.imul(t, 2654435761) >>> 0;
  return Math.min(horizon, b * bucketSteps + 1 + (within % bucketSteps));
}

/** Run the trailing level through the history, collecting out-of-sample scaled residuals. */
export function calibrate(inp: CalibrationInput): Calibration {
  const { y, expected, affected, n, horizon, slotsPerDay } = inp;
  const decay = decayPerStep(inp.levelHalfLifeDays, slotsPerDay);
  // Warm-up: the level needs a couple of weeks before its forecasts mean anything.
  const warm = Math.min(n, 14 * slotsPerDay + horizon);
  const from = Math.max(warm, inp.from);
  let ySum = 0;
  for (let t = from; t < n; t++) ySum += y[t] ?? 0;
  // c keeps near-zero forecasts (night slots, sparse SKUs) from producing huge scaled residuals.
  const scaleOffset = n > from ? (0.25 * ySum) / (n - from) + 1e-9 : 1e-9;
  const bucketSteps = leadBucketSteps(slotsPerDay);
  const buckets = leadBuckets(horizon, slotsPerDay);
  const week = 7 * slotsPerDay;
  // Plain locals instead of observeLevel/levelValue: this loop runs over every step of every series.
  let num = 0;
  let den = 0;
  // levelAt[u % horizon] = level available at origin u (data < u), for the last `horizon` origins.
  const levelAt = new Float64Array(Math.max(1, horizon));
  // Daily grids: every lead of every step (a year × a week of leads is cheap, and the lead and
  // weekday spreads need them). Sub-daily: one lead per step, rotating through the buckets and
  // shifted every week, so each bucket meets every weekday and slot at the cost of one residual
  // per step (10,000 hourly series are calibrated in every run).
  const allLeads = slotsPerDay === 1;
  const perStep = allLeads ? horizon : 1;
  const size = Math.max(0, n - from) * perStep;
  const scaled = new Float64Array(size);
  const bucket = new Uint16Array(size);
  const cell = new Uint16Array(size);
  let k = 0;
  for (let t = 0; t < n; t++) {
    levelAt[t % horizon] = den > 1e-12 ? num / den : 0;
    const yt = y[t] ?? 0;
    const et = expected[t] ?? 0;
    if (t >= from) {
      for (let j = 0; j < perStep; j++) {
        const b = allLeads ? j : (t + Math.floor(t / week)) % buckets;
        const lead = allLeads ? j + 1 : leadFor(t, b, bucketSteps, horizon);
        const yhat = (levelAt[(t - lead + 1) % horizon] ?? 0) * et;
        scaled[k] = (yt - yhat) / (yhat + scaleOffset);
        bucket[k] = b;
        cell[k] = inp.spreadCell[t] ?? 0;
        k += 1;
      }
    }
    const w = affected[t] ? 0 : 1;
    num = decay * num + w * yt;
    den = decay * den + w * et;
  }
  return { scaled, bucket, cell, scaleOffset };
}

/**
 * Spread per lead bucket and per cell over a group's calibrations: mean |r| of the bucket (cell)
 * relative to the overall mean, cells smoothed with their neighbours (a slot's spread is much
 * like the next one's, and a single series has few residuals per slot).
 */
export function intervalSpread(cals: readonly Calibration[], buckets: number, cells: number): IntervalSpread {
  const cellSum = new Float64Array(cells);
  const cellCount = new Float64Array(cells);
  let total = 0;
  let count = 0;
  for (const c of cals) {
    for (let k = 0; k < c.scaled.length; k++) {
      const a = Math.abs(c.scaled[k] ?? 0);
      const j = c.cell[k] ?? 0;
      cellSum[j] = (cellSum[j] ?? 0) + a;
      cellCount[j] = (cellCount[j] ?? 0) + 1;
      total += a;
      count += 1;
    }
  }
  const overall = count > 0 && total > 0 ? total / count : 1;
  const cell = relativeSpread(
    smoothCircular(cellSum, cells > 7 ? 1 : 0),
    smoothCircular(cellCount, cells > 7 ? 1 : 0),
    overall,
  );
  // Lead spread of residuals already divided by their cell spread, so the two do not double count.
  const leadSum = new Float64Array(buckets);
  const leadCount = new Float64Array(buckets);
  let total2 = 0;
  for (const c of cals) {
    for (let k = 0; k < c.scaled.length; k++) {
      const a = Math.abs(c.scaled[k] ?? 0) / (cell[c.cell[k] ?? 0] ?? 1);
      const b = c.bucket[k] ?? 0;
      leadSum[b] = (leadSum[b] ?? 0) + a;
      leadCount[b] = (leadCount[b] ?? 0) + 1;
      total2 += a;
    }
  }
  const lead = relativeSpread(leadSum, leadCount, count > 0 && total2 > 0 ? total2 / count : 1);
  return { lead, cell };
}

function smoothCircular(a: Float64Array, radius: number): Float64Array {
  if (radius === 0) return a;
  const n = a.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = -radius; d <= radius; d++) s += a[(i + d + n) % n] ?? 0;
    out[i] = s;
  }
  return out;
}

/** Mean per slot relative to the overall mean; slots without data get 1. Floored at 0.2. */
function relativeSpread(sum: Float64Array, count: Float64Array, overall: number): Float64Array {
  const out = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    const c = count[i] ?? 0;
    out[i] = c > 0 && overall > 0 ? Math.max(0.2, (sum[i] ?? 0) / c / overall) : 1;
  }
  return out;
}

/** Scaled residuals divided by their lead and cell spread, sorted. */
export function standardised(cal: Calibration, spread: IntervalSpread): Float64Array {
  const z = new Float64Array(cal.scaled.length);
  for (let k = 0; k < z.length; k++) {
    z[k] = (cal.scaled[k] ?? 0) / ((spread.lead[cal.bucket[k] ?? 0] ?? 1) * (spread.cell[cal.cell[k] ?? 0] ?? 1));
  }
  return z.sort(); // typed arrays sort numerically
}

/** p10/p50/p90 of sorted values. */
export function residualQuantiles(sortedValues: ArrayLike<number>): ResidualQuantiles {
  const sorted = Array.from(sortedValues);
  return {
    q10: quantileSorted(sorted, 0.1),
    q50: quantileSorted(sorted, 0.5),
    q90: quantileSorted(sorted, 0.9),
  };
}

/**
 * Standardised residual quantiles → forecast quantiles, clipped at zero and kept ordered.
 * `spread` is the lead × cell spread of this forecast (1 = average).
 */
export function applyQuantiles(mean: number, q: ResidualQuantiles, scaleOffset: number, spread = 1) {
  const scale = (mean + scaleOffset) * spread;
  const p10 = Math.max(0, mean + q.q10 * scale);
  const p50 = Math.max(p10, mean + q.q50 * scale);
  const p90 = Math.max(p50, mean + q.q90 * scale);
  return { mean: Math.max(0, mean), p10, p50, p90 };
}
