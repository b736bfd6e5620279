// Forecast accuracy metrics. Conventions: error = forecast − actual, so a positive bias means
// over-forecasting; coverage is the share of actuals inside the p10–p90 band (nominal 80%).
import { mean } from 'simple-statistics';

export interface Metrics {
  readonly mae: number;
  readonly wape: number;
  readonly mase: number;
  readonly bias: number;
  /** Share of actuals within [p10, p90]; null when the forecaster gives no interval. */
  readonly coverage: number | null;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} actuals vs ${b.length} forecasts`);
  if (a.length === 0) throw new Error('no points to score');
}

function absErrors(actual: ArrayLike<number>, forecast: ArrayLike<number>): number[] {
  checkLengths(actual, forecast);
  return Array.from(actual, (y, i) => Math.abs((forecast[i] ?? 0) - y));
}

/** Mean absolute error. */
export function mae(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  return mean(absErrors(actual, forecast));
}

/** Weighted absolute percentage error: Σ|f − y| / Σ|y|. */
export function wape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const err = absErrors(actual, forecast).reduce((s, e) => s + e, 0);
  let total = 0;
  for (let i = 0; i < actual.length; i++) total += Math.abs(actual[i] ?? 0);
  return total > 0 ? err / total : Number.NaN;
}

/** Mean error, forecast − actual (positive = over-forecast). */
export function bias(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  checkLengths(actual, forecast);
  return mean(Array.from(actual, (y, i) => (forecast[i] ?? 0) - y));
}

/** In-sample MAE of the seasonal naive forecast y[t − season]: the MASE denominator. */
export function seasonalNaiveScale(history: ArrayLike<number>, season: number): number {
  if (history.length <= season) throw new Error(`need more than ${season} points to scale MASE`);
  const errs: number[] = [];
  for (let t = season; t < history.length; t++) errs.push(Math.abs((history[t] ?? 0) - (history[t - season] ?? 0)));
  return mean(errs);
}

/** Mean absolute scaled error: MAE divided by the in-sample seasonal-naive MAE. */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): number {
  return scale > 0 ? mae(actual, forecast) / scale : Number.NaN;
}

/** Fraction of actuals with lower ≤ y ≤ upper. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  checkLengths(actual, lower);
  checkLengths(actual, upper);
  let inside = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i] ?? 0;
    if (y >= (lower[i] ?? 0) && y <= (upper[i] ?? 0)) inside += 1;
  }
  return inside / actual.length;
}

/** Mean pinball (quantile) loss of forecasts of quantile q: lower is better, q = 0.5 gives MAE / 2. */
export function pinball(actual: ArrayLike<number>, forecast: ArrayLike<number>, q: number): number {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = (actual[i] ?? 0) - (forecast[i] ?? 0);
    sum += d >= 0 ? q * d : (q - 1) * d;
  }
  return sum / actual.length;
}

/** Fraction of actuals strictly below `lower` (nominal 10% for p10). */
export function shareBelow(actual: ArrayLike<number>, lower: ArrayLike<number>): number {
  checkLengths(actual, lower);
  let n = 0;
  for (let i = 0; i < actual.length; i++) if ((actual[i] ?? 0) < (lower[i] ?? 0)) n += 1;
  return n / actual.length;
}

/** Mean width upper − lower of the intervals. */
export function intervalWidth(lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  checkLengths(lower, upper);
  let sum = 0;
  for (let i = 0; i < lower.length; i++) sum += (upper[i] ?? 0) - (lower[i] ?? 0);
  return sum / lower.length;
}
