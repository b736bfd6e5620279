// Rolling-origin backtest. For every target step in the test period the origin is
// target − horizon + 1: the forecasters see only data before the origin, and the score is the
// horizon-step-ahead forecast (the last of the N steps). The model is refitted every
// `refitEvery` origins; in between its level is updated one observation at a time.
import {
  fitHoltWinters,
  holtWintersForecast,
  holtWintersInit,
  holtWintersUpdate,
  meanLastSameSlotsAt,
  seasonalNaiveAt,
  type HoltWintersState,
} from '../baselines';
import type { HolidayRegion } from '../holidays';
import { bias, coverage, mae, seasonalNaiveScale, wape, type Metrics } from '../metrics';
import { createForecaster, type SeriesForecaster } from '../model/forecaster';
import { fitModel } from '../model/fit';
import type { ModelOptions } from '../model/options';
import { quantileSorted } from 'simple-statistics';
import { DAY_MS } from '../time';
import { InputError } from './errors';
import type { LoadedData } from './load';

/** Baseline names, as printed in the CLI's JSON. */
export const BASELINES = ['same_slot_last_week', 'mean_last_4_same_slots', 'ets_seasonal'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface BacktestConfig {
  readonly horizon: number;
  readonly testFromMs: number;
  readonly holidays: HolidayRegion;
  readonly refitEvery: number;
  readonly model?: Partial<ModelOptions>;
}

/** Scored forecasts of one forecaster, pooled over series. */
interface Scores {
  actual: number[];
  point: number[];
  lower: number[];
  upper: number[];
}

export interface BacktestResult {
  readonly model: Metrics;
  readonly baselines: Record<BaselineName, Metrics>;
  readonly origins: number;
  readonly targets: number;
  readonly refits: number;
  /** Sum over series per target step, for the plot. */
  readonly trace: { times: number[]; actual: number[]; p10: number[]; p50: number[]; p90: number[] };
}

/** Run the rolling-origin backtest over every series of the data set. */
export function runBacktest(data: LoadedData, cfg: BacktestConfig): BacktestResult {
  const S = data.slotsPerDay;
  const season = 7 * S;
  const h = cfg.horizon;
  const n = data.length;
  const step = DAY_MS / S;
  const testIdx = Math.ceil((cfg.testFromMs - data.start) / step);
  const firstOrigin = testIdx - h + 1;
  const minTrain = 4 * season + h;
  if (testIdx >= n) throw new InputError(`--test-from is after the last time in the data`);
  if (firstOrigin < minTrain) {
    throw new InputError(`--test-from leaves too little history: need at least ${minTrain + h - 1} steps before it, have ${Math.max(0, testIdx)}`);
  }
  const names = ['model', ...BASELINES] as const;
  const scores = Object.fromEntries(names.map((k) => [k, emptyScores()])) as Record<(typeof names)[number], Scores>;
  const trace = { times: [] as number[], actual: [] as number[], p10: [] as number[], p50: [] as number[], p90: [] as number[] };
  for (let t = testIdx; t < n; t++) {
    trace.times.push(data.start + t * step);
    trace.actual.push(0);
    trace.p10.push(0);
    trace.p50.push(0);
    trace.p90.push(0);
  }
  let refits = 0;
  const forecasters: SeriesForecaster[] = [];
  const hw: HoltWintersState[] = [];
  // Only data before the first origin, so no test-period actual leaks into the bands.
  const baseIntervals = data.series.map((s) => baselineIntervals(s.values, firstOrigin, h, season));
  for (let o = firstOrigin; o + h - 1 < n; o++) {
    const refit = (o - firstOrigin) % cfg.refitEvery === 0;
    if (refit) {
      refits += 1;
      const model = fitModel(
        data.series.map((s) => ({ id: s.id, group: s.group, start: data.start, values: s.values.subarray(0, o), features: s.features })),
        { ...cfg.model, slotsPerDay: S, holidays: cfg.holidays, horizon: h },
      );
      data.series.forEach((s, i) => {
        forecasters[i] = createForecaster(model, model.series[i] as (typeof model.series)[number], s.features, n);
        hw[i] = fitHoltWinters(s.values.subarray(0, o), season);
      });
    }
    const t = o + h - 1;
    data.series.forEach((s, i) => {
      const fc = forecasters[i] as SeriesForecaster;
      const state = hw[i] as HoltWintersState;
      if (!refit) {
        fc.observe(s.values[o - 1] ?? 0);
        holtWintersUpdate(state, s.values[o - 1] ?? 0);
      }
      const y = s.values[t] ?? 0;
      const f = fc.forecastAt(t);
      push(scores.model, y, f.p50, f.p10, f.p90);
      const bi = baseIntervals[i] as BaselineIntervals;
      const naive = seasonalNaiveAt(s.values, o, t, season);
      push(scores.same_slot_last_week, y, naive, ...bi.same_slot_last_week.band(naive));
      const mean4 = meanLastSameSlotsAt(s.values, o, t, season, 4);
      push(scores.mean_last_4_same_slots, y, mean4, ...bi.mean_last_4_same_slots.band(mean4));
      const ets = Math.max(0, holtWintersForecast(state, h));
      push(scores.ets_seasonal, y, ets, ...bi.ets_seasonal.band(ets));
      const k = t - testIdx;
      trace.actual[k] = (trace.actual[k] ?? 0) + y;
      trace.p10[k] = (trace.p10[k] ?? 0) + f.p10;
      trace.p50[k] = (trace.p50[k] ?? 0) + f.p50;
      trace.p90[k] = (trace.p90[k] ?? 0) + f.p90;
    });
  }
  // MASE denominators: each series' in-sample seasonal-naive MAE over the training period.
  const scales = data.series.map((s) => seasonalNaiveScale(s.values.subarray(0, testIdx), season));
  return {
    model: summarise(scores.model, scales),
    baselines: {
      same_slot_last_week: summarise(scores.same_slot_last_week, scales),
      mean_last_4_same_slots: summarise(scores.mean_last_4_same_slots, scales),
      ets_seasonal: summarise(scores.ets_seasonal, scales),
    },
    origins: n - h + 1 - firstOrigin,
    targets: n - testIdx,
    refits,
    trace,
  };
}

function emptyScores(): Scores {
  return { actual: [], point: [], lower: [], upper: [] };
}

function push(s: Scores, y: number, point: number, lower: number, upper: number): void {
  s.actual.push(y);
  s.point.push(point);
  s.lower.push(lower);
  s.upper.push(upper);
}

/** Pooled metrics; MASE is the mean over series of each series' MAE / in-sample naive MAE. */
function summarise(s: Scores, scales: readonly number[]): Metrics {
  const nSeries = scales.length;
  const perSeries: number[] = [];
  for (let i = 0; i < nSeries; i++) {
    const scale = scales[i] ?? 0;
    if (!(scale > 0)) continue;
    const ys: number[] = [];
    const fs: number[] = [];
    // Scores are interleaved: series i sits at positions i, i + nSeries, i + 2·nSeries, …
    for (let j = i; j < s.actual.length; j += nSeries) {
      ys.push(s.actual[j] ?? 0);
      fs.push(s.point[j] ?? 0);
    }
    perSeries.push(mae(ys, fs) / scale);
  }
  return {
    mae: mae(s.actual, s.point),
    wape: wape(s.actual, s.point),
    mase: perSeries.length > 0 ? perSeries.reduce((a, b) => a + b, 0) / perSeries.length : Number.NaN,
    bias: bias(s.actual, s.point),
    coverage: coverage(s.actual, s.lower, s.upper),
  };
}

interface Band {
  band(point: number): [number, number];
}
type BaselineIntervals = Record<BaselineName, Band>;

/**
 * Baselines get intervals the same way as the model: empirical p10/p90 of their own h-step
 * residuals over the training period, added to the point forecast (clipped at 0).
 */
function baselineIntervals(y: Float64Array, end: number, h: number, season: number): BaselineIntervals {
  const res: Record<BaselineName, number[]> = { same_slot_last_week: [], mean_last_4_same_slots: [], ets_seasonal: [] };
  const start = 4 * season + h;
  for (let t = start; t < end; t++) {
    const o = t - h + 1;
    res.same_slot_last_week.push((y[t] ?? 0) - seasonalNaiveAt(y, o, t, season));
    res.mean_last_4_same_slots.push((y[t] ?? 0) - meanLastSameSlotsAt(y, o, t, season, 4));
  }
  // Holt-Winters: record the h-step forecast made after each observation, score it on arrival.
  const train = y.subarray(0, end);
  const state = holtWintersInit(train, season, fitHoltWinters(train, season).params);
  const pending = new Map<number, number>();
  for (let t = season; t < end; t++) {
    const f = pending.get(t);
    if (f !== undefined && t >= start) res.ets_seasonal.push((y[t] ?? 0) - Math.max(0, f));
    pending.delete(t);
    holtWintersUpdate(state, y[t] ?? 0);
    pending.set(t + h, holtWintersForecast(state, h));
  }
  const band = (r: number[]): Band => {
    const sorted = r.length > 0 ? [...r].sort((a, b) => a - b) : [0];
    const lo = quantileSorted(sorted, 0.1);
    const hi = quantileSorted(sorted, 0.9);
    return { band: (p) => [Math.max(0, p + lo), Math.max(0, p + hi)] };
  };
  return {
    same_slot_last_week: band(res.same_slot_last_week),
    mean_last_4_same_slots: band(res.mean_last_4_same_slots),
    ets_seasonal: band(res.ets_seasonal),
  };
}
