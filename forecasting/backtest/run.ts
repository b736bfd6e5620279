// Rolling-origin backtest. Origins start where the shortest scored lead reaches the first test
// step and follow every `originEvery` steps; from each origin the forecasters see only data
// before it and forecast the scored leads (lead 1 = the origin's own step). Targets outside
// the test period are not scored. The model is refitted when `refitEvery` steps have passed
// since its last fit; in between its level is updated one observation at a time.
//   originEvery = horizon, leads 1..H  → every lead scored once per origin (the default)
//   originEvery = 1, leads [H]         → each target once, at the longest lead
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
import {
  bias,
  coverage,
  intervalWidth,
  mae,
  pinball,
  seasonalNaiveScale,
  shareBelow,
  wape,
  type Metrics,
} from '../metrics';
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
export const FORECASTERS = ['model', ...BASELINES] as const;
export type ForecasterName = (typeof FORECASTERS)[number];

export interface BacktestConfig {
  readonly horizon: number;
  readonly testFromMs: number;
  readonly holidays: HolidayRegion;
  readonly refitEvery: number;
  /** Steps between origins; default the horizon. */
  readonly originEvery?: number;
  /** Leads scored from each origin (1..horizon); default all. */
  readonly leads?: readonly number[];
  readonly model?: Partial<ModelOptions>;
}

/** Accuracy and interval quality of one forecaster (p50 or point forecast, p10–p90 band). */
export interface BacktestMetrics extends Metrics {
  /** Share of actuals below p10 / above p90 (nominal 0.1 each). */
  readonly below_p10: number;
  readonly above_p90: number;
  /** Mean p90 − p10. */
  readonly interval_width: number;
  /** Mean pinball loss over p10, p50 (the point) and p90. */
  readonly pinball: number;
}

export interface LeadMetrics {
  readonly lead: number;
  readonly n: number;
  readonly mae: number;
  readonly wape: number;
  readonly bias: number;
  readonly coverage: number;
  readonly interval_width: number;
}

/** Scored forecasts of one forecaster, one entry per (origin, lead, series). */
export interface Scores {
  readonly point: number[];
  readonly lower: number[];
  readonly upper: number[];
}

/** Every scored forecast, column-wise; `scores[f][k]` belongs to the k-th key. */
export interface ScoredForecasts {
  readonly series: number[];
  readonly origin: number[];
  readonly lead: number[];
  readonly target: number[];
  readonly actual: number[];
  readonly scores: Record<ForecasterName, Scores>;
}

export interface BacktestResult {
  readonly model: BacktestMetrics;
  readonly baselines: Record<BaselineName, BacktestMetrics>;
  readonly perLead: Record<ForecasterName, LeadMetrics[]>;
  readonly origins: number;
  readonly firstOrigin: number;
  readonly lastOrigin: number;
  readonly leads: readonly number[];
  readonly originEvery: number;
  /** Index of the first and last scored step. */
  readonly testFrom: number;
  readonly testTo: number;
  readonly targets: number;
  readonly refits: number;
  readonly forecasts: ScoredForecasts;
  /** Sum over series per target step (forecast at the longest lead scored), for the plot. */
  readonly trace: { times: number[]; actual: number[]; p10: number[]; p50: number[]; p90: number[] };
}

/** Run the rolling-origin backtest over every series of the data set. */
export function runBacktest(data: LoadedData, cfg: BacktestConfig): BacktestResult {
  const S = data.slotsPerDay;
  const season = 7 * S;
  const h = cfg.horizon;
  const n = data.length;
  const step = DAY_MS / S;
  const leads = [...(cfg.leads ?? Array.from({ length: h }, (_, i) => i + 1))].sort((a, b) => a - b);
  const originEvery = cfg.originEvery ?? h;
  const minLead = leads[0] ?? 1;
  const testIdx = Math.max(0, Math.ceil((cfg.testFromMs - data.start) / step));
  const firstOrigin = testIdx - minLead + 1;
  const minTrain = 4 * season + h;
  if (testIdx >= n) throw new InputError(`--test-from is after the last time in the data`);
  if (firstOrigin < minTrain) {
    throw new InputError(
      `--test-from leaves too little history: need at least ${minTrain + minLead - 1} steps before it, have ${testIdx}`,
    );
  }
  const out: ScoredForecasts = {
    series: [],
    origin: [],
    lead: [],
    target: [],
    actual: [],
    scores: Object.fromEntries(FORECASTERS.map((k) => [k, { point: [], lower: [], upper: [] }])) as unknown as Record<
      ForecasterName,
      Scores
    >,
  };
  const trace = emptyTrace(data.start, step, testIdx, n);
  const traceLead = new Int32Array(n - testIdx);
  const forecasters: SeriesForecaster[] = [];
  const hw: HoltWintersState[] = [];
  // Only data before the first origin, so no test-period actual leaks into the bands.
  const baseBands = data.series.map((s) => baselineBands(s.values, firstOrigin, leads, season));
  let refits = 0;
  let lastRefit = Number.NEGATIVE_INFINITY;
  let origins = 0;
  let lastOrigin = firstOrigin;
  for (let o = firstOrigin; o + minLead - 1 < n; o += originEvery) {
    origins += 1;
    lastOrigin = o;
    if (o - lastRefit >= cfg.refitEvery) {
      refits += 1;
      lastRefit = o;
      const model = fitModel(
        data.series.map((s) => ({
          id: s.id,
          group: s.group,
          start: data.start,
          values: s.values.subarray(0, o),
          features: s.features,
        })),
        { ...cfg.model, slotsPerDay: S, holidays: cfg.holidays, horizon: h },
      );
      data.series.forEach((s, i) => {
        forecasters[i] = createForecaster(model, model.series[i] as (typeof model.series)[number], s.features, n);
        hw[i] = fitHoltWinters(s.values.subarray(0, o), season, holtWintersScoreLead(leads));
      });
    } else {
      data.series.forEach((s, i) =>
        catchUp(forecasters[i] as SeriesForecaster, hw[i] as HoltWintersState, s.values, o),
      );
    }
    for (const lead of leads) {
      const t = o + lead - 1;
      if (t < testIdx) continue;
      if (t >= n) break;
      data.series.forEach((s, i) => {
        const y = s.values[t] ?? 0;
        out.series.push(i);
        out.origin.push(o);
        out.lead.push(lead);
        out.target.push(t);
        out.actual.push(y);
        const f = (forecasters[i] as SeriesForecaster).forecastAt(t);
        push(out.scores.model, f.p50, f.p10, f.p90);
        const bands = (baseBands[i] as BaselineBands)[lead] as Record<BaselineName, Band>;
        const naive = seasonalNaiveAt(s.values, o, t, season);
        push(out.scores.same_slot_last_week, naive, ...bands.same_slot_last_week(naive));
        const mean4 = meanLastSameSlotsAt(s.values, o, t, season, 4);
        push(out.scores.mean_last_4_same_slots, mean4, ...bands.mean_last_4_same_slots(mean4));
        const ets = Math.max(0, holtWintersForecast(hw[i] as HoltWintersState, lead));
        push(out.scores.ets_seasonal, ets, ...bands.ets_seasonal(ets));
        addToTrace(trace, traceLead, t - testIdx, lead, y, f);
      });
    }
  }
  // MASE denominators: each series' in-sample seasonal-naive MAE over the training period.
  const scales = data.series.map((s) => seasonalNaiveScale(s.values.subarray(0, testIdx), season));
  const summary = (name: ForecasterName) => summarise(out, name, scales);
  return {
    model: summary('model'),
    baselines: {
      same_slot_last_week: summary('same_slot_last_week'),
      mean_last_4_same_slots: summary('mean_last_4_same_slots'),
      ets_seasonal: summary('ets_seasonal'),
    },
    perLead: Object.fromEntries(FORECASTERS.map((k) => [k, perLead(out, k, leads)])) as Record<
      ForecasterName,
      LeadMetrics[]
    >,
    origins,
    firstOrigin,
    lastOrigin,
    leads,
    originEvery,
    testFrom: testIdx,
    testTo: n - 1,
    targets: n - testIdx,
    refits,
    forecasts: out,
    trace,
  };
}

/** Fold observations up to (not including) the origin into the level and the Holt-Winters state. */
function catchUp(fc: SeriesForecaster, hw: HoltWintersState, values: Float64Array, origin: number): void {
  while (fc.observed < origin) fc.observe(values[fc.observed] ?? 0);
  while (hw.t < origin) holtWintersUpdate(hw, values[hw.t] ?? 0);
}

function push(s: Scores, point: number, lower: number, upper: number): void {
  s.point.push(point);
  s.lower.push(lower);
  s.upper.push(upper);
}

type Trace = BacktestResult['trace'];

function emptyTrace(start: number, step: number, from: number, n: number): Trace {
  const len = n - from;
  return {
    times: Array.from({ length: len }, (_, k) => start + (from + k) * step),
    actual: new Array<number>(len).fill(0),
    p10: new Array<number>(len).fill(0),
    p50: new Array<number>(len).fill(0),
    p90: new Array<number>(len).fill(0),
  };
}

/** The plot shows, per target, the forecast at the longest lead scored (summed over series). */
function addToTrace(
  trace: Trace,
  leadOf: Int32Array,
  k: number,
  lead: number,
  y: number,
  f: { p10: number; p50: number; p90: number },
): void {
  if (lead > (leadOf[k] ?? 0)) {
    leadOf[k] = lead;
    trace.actual[k] = 0;
    trace.p10[k] = 0;
    trace.p50[k] = 0;
    trace.p90[k] = 0;
  }
  if (lead < (leadOf[k] ?? 0)) return;
  trace.actual[k] = (trace.actual[k] ?? 0) + y;
  trace.p10[k] = (trace.p10[k] ?? 0) + f.p10;
  trace.p50[k] = (trace.p50[k] ?? 0) + f.p50;
  trace.p90[k] = (trace.p90[k] ?? 0) + f.p90;
}

function pick(values: readonly number[], idx: readonly number[]): number[] {
  return idx.map((i) => values[i] ?? 0);
}

/** Pooled metrics; MASE is the mean over series of each series' MAE / in-sample naive MAE. */
function summarise(out: ScoredForecasts, name: ForecasterName, scales: readonly number[]): BacktestMetrics {
  const s = out.scores[name];
  const bySeries = new Map<number, number[]>();
  out.series.forEach((i, k) => {
    const list = bySeries.get(i) ?? [];
    list.push(k);
    bySeries.set(i, list);
  });
  const perSeries: number[] = [];
  for (const [i, idx] of bySeries) {
    const scale = scales[i] ?? 0;
    if (scale > 0) perSeries.push(mae(pick(out.actual, idx), pick(s.point, idx)) / scale);
  }
  const y = out.actual;
  return {
    mae: mae(y, s.point),
    wape: wape(y, s.point),
    mase: perSeries.length > 0 ? perSeries.reduce((a, b) => a + b, 0) / perSeries.length : Number.NaN,
    bias: bias(y, s.point),
    coverage: coverage(y, s.lower, s.upper),
    below_p10: shareBelow(y, s.lower),
    above_p90: shareBelow(s.upper, y),
    interval_width: intervalWidth(s.lower, s.upper),
    pinball: (pinball(y, s.lower, 0.1) + pinball(y, s.point, 0.5) + pinball(y, s.upper, 0.9)) / 3,
  };
}

function perLead(out: ScoredForecasts, name: ForecasterName, leads: readonly number[]): LeadMetrics[] {
  const s = out.scores[name];
  const rows: LeadMetrics[] = [];
  for (const lead of leads) {
    const idx: number[] = [];
    out.lead.forEach((l, k) => {
      if (l === lead) idx.push(k);
    });
    if (idx.length === 0) continue;
    const y = pick(out.actual, idx);
    const lower = pick(s.lower, idx);
    const upper = pick(s.upper, idx);
    const point = pick(s.point, idx);
    rows.push({
      lead,
      n: idx.length,
      mae: mae(y, point),
      wape: wape(y, point),
      bias: bias(y, point),
      coverage: coverage(y, lower, upper),
      interval_width: intervalWidth(lower, upper),
    });
  }
  return rows;
}

/** Holt-Winters is fitted for the middle of the scored leads (one-step fits extrapolate ramps). */
function holtWintersScoreLead(leads: readonly number[]): number {
  return leads[Math.floor(leads.length / 2)] ?? 1;
}

type Band = (point: number) => [number, number];
/** Per lead (sparse array indexed by lead), per baseline. */
type BaselineBands = Record<BaselineName, Band>[];

/**
 * Baselines get intervals from their own out-of-sample residuals at each lead over the training
 * period: empirical p10/p90 added to the point forecast (clipped at 0).
 */
function baselineBands(y: Float64Array, end: number, leads: readonly number[], season: number): BaselineBands {
  const maxLead = leads[leads.length - 1] ?? 1;
  const start = 4 * season + maxLead;
  const res = leads.map(() => ({
    same_slot_last_week: [] as number[],
    mean_last_4_same_slots: [] as number[],
    ets_seasonal: [] as number[],
  }));
  leads.forEach((lead, li) => {
    const r = res[li] as (typeof res)[number];
    for (let t = start; t < end; t++) {
      const o = t - lead + 1;
      r.same_slot_last_week.push((y[t] ?? 0) - seasonalNaiveAt(y, o, t, season));
      r.mean_last_4_same_slots.push((y[t] ?? 0) - meanLastSameSlotsAt(y, o, t, season, 4));
    }
  });
  // Holt-Winters: the forecast made at each origin for each lead, kept in a ring per lead
  // until its target arrives.
  const train = y.subarray(0, end);
  const state = holtWintersInit(train, season, fitHoltWinters(train, season, holtWintersScoreLead(leads)).params);
  const ring = maxLead + 1;
  const pending = leads.map(() => new Float64Array(ring).fill(Number.NaN));
  for (let t = season; t < end; t++) {
    leads.forEach((lead, li) => {
      const slots = pending[li] as Float64Array;
      const f = slots[t % ring] ?? Number.NaN;
      if (!Number.isNaN(f) && t >= start)
        (res[li] as (typeof res)[number]).ets_seasonal.push((y[t] ?? 0) - Math.max(0, f));
      // Origin t (data before t): its forecast for step t + lead − 1.
      slots[(t + lead - 1) % ring] = holtWintersForecast(state, lead);
    });
    holtWintersUpdate(state, y[t] ?? 0);
  }
  const band = (r: number[]): Band => {
    const sorted = r.length > 0 ? [...r].sort((a, b) => a - b) : [0];
    const lo = quantileSorted(sorted, 0.1);
    const hi = quantileSorted(sorted, 0.9);
    return (p) => [Math.max(0, p + lo), Math.max(0, p + hi)];
  };
  const out: BaselineBands = [];
  leads.forEach((lead, li) => {
    const r = res[li] as (typeof res)[number];
    out[lead] = {
      same_slot_last_week: band(r.same_slot_last_week),
      mean_last_4_same_slots: band(r.mean_last_4_same_slots),
      ets_seasonal: band(r.ets_seasonal),
    };
  });
  return out;
}
