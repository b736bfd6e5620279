// Programmatic entry points (what a Temporal activity calls): plain data in, plain data out.
import type { HolidayRegion } from './holidays';
import { fitModel } from './model/fit';
import { createForecaster } from './model/forecaster';
import type { ModelOptions } from './model/options';
import type { FittedModel, ModelSeries } from './model/types';
import { DAY_MS, dayNumber } from './time';

export interface ForecastOptions extends Partial<Omit<ModelOptions, 'slotsPerDay' | 'horizon' | 'holidays'>> {
  readonly freq: 'hour' | 'day';
  /** Slot length for hourly-type data (default 60; 30 gives 48 slots a day). */
  readonly slotMinutes?: number;
  readonly holidays?: HolidayRegion;
  /** Steps to forecast after the history. */
  readonly horizon: number;
}

/** One forecast step. `ts` is wall-clock epoch ms (see time.ts); quantiles are non-negative. */
export interface ForecastPoint {
  readonly ts: number;
  readonly mean: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
}

/** A series for batch forecasting: feature arrays cover the history AND the horizon. */
export type BatchSeries = ModelSeries;

/** History of one series whose features cover the history only; future features come separately. */
export interface SeriesHistory {
  readonly id?: string;
  readonly start: number;
  readonly values: ArrayLike<number>;
  readonly features?: Readonly<Record<string, ArrayLike<number>>>;
}

function slotsPerDayOf(o: ForecastOptions): number {
  if (o.freq === 'day') return 1;
  const minutes = o.slotMinutes ?? 60;
  if (!(minutes > 0) || 1440 % minutes !== 0) throw new Error(`slotMinutes must divide 1440, got ${minutes}`);
  return 1440 / minutes;
}

function checkSeries(s: ModelSeries, slotsPerDay: number): void {
  const step = DAY_MS / slotsPerDay;
  if (s.start % step !== 0) throw new Error(`series ${s.id}: start is not on the ${step / 60_000}-minute grid`);
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i];
    if (v === undefined || !Number.isFinite(v) || v < 0)
      throw new Error(`series ${s.id}: value ${i} is not a non-negative number`);
  }
  if (dayNumber(s.start) < 0) throw new Error(`series ${s.id}: start before 1970 is not supported`);
}

/** Fit the model on a batch of series (pooled by `group`); exposed for reuse across calls. */
export function fitBatch(series: readonly BatchSeries[], options: ForecastOptions): FittedModel {
  const slotsPerDay = slotsPerDayOf(options);
  for (const s of series) checkSeries(s, slotsPerDay);
  return fitModel(series, { ...options, slotsPerDay, holidays: options.holidays ?? 'none' });
}

/** Forecast `horizon` steps after each series' history. Output order follows the input. */
export function forecastBatch(series: readonly BatchSeries[], options: ForecastOptions): ForecastPoint[][] {
  const model = fitBatch(series, options);
  const step = DAY_MS / model.options.slotsPerDay;
  return model.series.map((fitted, i) => {
    const input = series[i] as BatchSeries;
    const n = fitted.nObs;
    const forecaster = createForecaster(model, fitted, input.features, n + options.horizon);
    const out: ForecastPoint[] = new Array<ForecastPoint>(options.horizon);
    for (let k = 0; k < options.horizon; k++) {
      const f = forecaster.forecastAt(n + k);
      out[k] = { ts: input.start + (n + k) * step, mean: f.mean, p10: f.p10, p50: f.p50, p90: f.p90 };
    }
    return out;
  });
}

/**
 * Forecast one series. `futureFeatures` holds the feature values (e.g. the weather forecast)
 * for the `horizon` steps after the history; a missing feature counts as average.
 */
export function forecastSeries(
  history: SeriesHistory,
  futureFeatures: Readonly<Record<string, ArrayLike<number>>>,
  options: ForecastOptions,
): ForecastPoint[] {
  const n = history.values.length;
  const features: Record<string, Float64Array> = {};
  for (const [name, past] of Object.entries(history.features ?? {})) {
    const joined = new Float64Array(n + options.horizon).fill(Number.NaN);
    for (let i = 0; i < Math.min(n, past.length); i++) joined[i] = past[i] ?? Number.NaN;
    const future = futureFeatures[name];
    for (let k = 0; k < options.horizon && future && k < future.length; k++) joined[n + k] = future[k] ?? Number.NaN;
    features[name] = joined;
  }
  const [points] = forecastBatch(
    [{ id: history.id ?? 'series', start: history.start, values: history.values, features }],
    options,
  );
  return points ?? [];
}
