// Prediction intervals from empirical residual quantiles. At fit time the last
// `calibrationDays` of history are forecast h steps ahead with the same trailing level the
// forecaster uses, and the scaled residuals (y − ŷ)/(ŷ + c) give p10/p50/p90 multipliers.
import { quantileSorted } from 'simple-statistics';
import { decayPerStep, type LevelState } from './level';
import type { ResidualQuantiles } from './types';

export interface CalibrationInput {
  readonly y: ArrayLike<number>;
  /** Profile × multiplier per step (the forecast divided by the level). */
  readonly expected: ArrayLike<number>;
  readonly affected: ArrayLike<number>;
  readonly n: number;
  readonly horizon: number;
  readonly slotsPerDay: number;
  readonly levelHalfLifeDays: number;
  readonly calibrationDays: number;
}

export interface Calibration {
  readonly level: LevelState;
  /** Sorted scaled residuals from the calibration window. */
  readonly scaled: Float64Array;
  readonly scaleOffset: number;
}

/** Run the trailing level through the history, collecting h-step-ahead scaled residuals. */
export function calibrate(inp: CalibrationInput): Calibration {
  const { y, expected, affected, n, horizon, slotsPerDay } = inp;
  const decay = decayPerStep(inp.levelHalfLifeDays, slotsPerDay);
  // Warm-up: the level needs a couple of weeks before its forecasts mean anything.
  const warm = Math.min(n, 14 * slotsPerDay + horizon);
  const from = Math.max(warm, n - inp.calibrationDays * slotsPerDay);
  let ySum = 0;
  for (let t = from; t < n; t++) ySum += y[t] ?? 0;
  // c keeps near-zero forecasts (night slots, sparse SKUs) from producing huge scaled residuals.
  const scaleOffset = n > from ? (0.25 * ySum) / (n - from) + 1e-9 : 1e-9;
  // Plain locals instead of observeLevel/levelValue: this loop runs over every step of every series.
  let num = 0;
  let den = 0;
  // levelBefore[t % horizon] = level available at origin t (data < t).
  const levelBefore = new Float64Array(Math.max(1, horizon));
  const scaled = new Float64Array(Math.max(0, n - from));
  for (let t = 0; t < n; t++) {
    const slot = t % horizon;
    levelBefore[slot] = den > 1e-12 ? num / den : 0;
    const yt = y[t] ?? 0;
    const et = expected[t] ?? 0;
    if (t >= from) {
      // The forecast of step t made h steps earlier used the level at origin t − h + 1,
      // which sits in the ring slot after this one (it is overwritten next).
      const lvl = levelBefore[(slot + 1) % horizon] ?? 0;
      const yhat = lvl * et;
      scaled[t - from] = (yt - yhat) / (yhat + scaleOffset);
    }
    const w = affected[t] ? 0 : 1;
    num = decay * num + w * yt;
    den = decay * den + w * et;
  }
  scaled.sort(); // typed arrays sort numerically
  return { level: { num, den }, scaled, scaleOffset };
}

/** p10/p50/p90 of sorted scaled residuals. */
export function residualQuantiles(sortedValues: ArrayLike<number>): ResidualQuantiles {
  const sorted = Array.from(sortedValues);
  return {
    q10: quantileSorted(sorted, 0.1),
    q50: quantileSorted(sorted, 0.5),
    q90: quantileSorted(sorted, 0.9),
  };
}

/** Scaled residual quantiles → forecast quantiles, clipped at zero and kept ordered. */
export function applyQuantiles(mean: number, q: ResidualQuantiles, scaleOffset: number) {
  const scale = mean + scaleOffset;
  const p10 = Math.max(0, mean + q.q10 * scale);
  const p50 = Math.max(p10, mean + q.q50 * scale);
  const p90 = Math.max(p50, mean + q.q90 * scale);
  return { mean: Math.max(0, mean), p10, p50, p90 };
}
