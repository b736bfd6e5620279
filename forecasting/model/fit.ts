// Fitting: back-fitting of level → profile → adjustment coefficients, per pooling group.
//   y_t ≈ L_t · P_i[cell(t)] · m(t),  m(t) = 1 + Σ_j β_j x_j(t)
// L_t is a centred level while fitting (a trailing one at forecast time), P_i the series'
// weekday×slot profile shrunk toward the group's, β shared by the group. Rows of series that
// share a feature source (same node ⇒ same weather) are collapsed before the regression, so
// the per-series cost is a few passes over its history.
import { accumulateSeries, solveGroupRegression, type Scratch, type SeriesState, type SourceState } from './accumulate';
import { buildDesignSpec, designMatrix } from './design';
import {
  calibrate,
  intervalSpread,
  leadBuckets,
  residualQuantiles,
  spreadCellOf,
  spreadCells,
  standardised,
} from './intervals';
import { decayPerStep, levelScratch, type LevelState } from './level';
import { cellCentring, computeMultipliers } from './multipliers';
import {
  LEVEL_HALF_LIFE_CANDIDATES,
  RECENCY_HALF_LIFE_CANDIDATES,
  resolveOptions,
  type ModelOptions,
  type ResolvedModelOptions,
} from './options';
import { addSums, emptySums, pooledProfile, rawProfile, withSpecialRows } from './profile';
import { timeIndex } from './timeIndex';
import type { FittedGroup, FittedModel, FittedSeries, ModelSeries } from './types';

const NO_FEATURES: Readonly<Record<string, ArrayLike<number>>> = Object.freeze({});

/** Options accepted by fitModel: anything from ModelOptions, slotsPerDay required. */
export type FitOptions = Partial<ModelOptions> & { readonly slotsPerDay: number };

/** Fit every series; series with the same group share profile pooling and coefficients. */
export function fitModel(series: readonly ModelSeries[], options: FitOptions): FittedModel {
  const partial = resolveOptions({
    ...options,
    // Chinese statutory holidays are rest days (and shift weekends), so they borrow the weekend profile.
    holidayProfile: options.holidayProfile ?? (options.holidays === 'CN' ? 'weekend' : 'own'),
  });
  const recency = recencyHalfLives(partial, series);
  const opts: ResolvedModelOptions = { ...partial, recencyHalfLifeDays: recency[0] ?? Infinity };
  if (!(opts.slotsPerDay >= 1 && Number.isInteger(opts.slotsPerDay)))
    throw new Error('slotsPerDay must be a positive integer');
  const byGroup = new Map<string, ModelSeries[]>();
  for (const s of series) {
    const g = s.group ?? s.id;
    const list = byGroup.get(g) ?? [];
    list.push(s);
    byGroup.set(g, list);
  }
  const groups = new Map<string, FittedGroup>();
  const fitted = new Map<ModelSeries, FittedSeries>();
  for (const [g, members] of byGroup) {
    const result = fitGroup(g, members, opts, recency);
    groups.set(g, result.group);
    members.forEach((m, i) => fitted.set(m, result.series[i] as FittedSeries));
  }
  return { options: opts, groups, series: series.map((s) => fitted.get(s) as FittedSeries) };
}

/** The recency half-lives 'auto' stands for, given the longest history (see ModelOptions). */
function recencyHalfLives(opts: ModelOptions, series: readonly ModelSeries[]): readonly number[] {
  if (opts.recencyHalfLifeDays !== 'auto') return [opts.recencyHalfLifeDays];
  if (opts.slotsPerDay === 1) return [730];
  const longest = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  return longest / opts.slotsPerDay >= 84 ? RECENCY_HALF_LIFE_CANDIDATES : [Infinity];
}

/** Profile, coefficients and per-series state of one group (no intervals yet). */
function fitStructure(members: readonly ModelSeries[], opts: ResolvedModelOptions) {
  const S = opts.slotsPerDay;
  const sources = new Map<object, Map<number, SourceState>>();
  const states: SeriesState[] = members.map((input) => {
    const n = input.values.length;
    if (n < 7 * S) throw new Error(`series ${input.id}: need at least one week of history, got ${n} steps`);
    const features = input.features ?? NO_FEATURES;
    let byStart = sources.get(features);
    if (!byStart) {
      byStart = new Map();
      sources.set(features, byStart);
    }
    let src = byStart.get(input.start);
    if (!src) {
      src = {
        source: { start: input.start, features },
        length: 0,
        x: new Float64Array(0),
        m: new Float64Array(0),
        b2: new Float64Array(0),
        br: new Float64Array(0),
      };
      byStart.set(input.start, src);
    }
    src.length = Math.max(src.length, n);
    const index = timeIndex(input.start, n, S, opts.holidays, opts.holidayProfile);
    return { input, n, src, index, profile: new Float64Array(9 * S).fill(1), sums: emptySums(S) };
  });
  const srcList = [...sources.values()].flatMap((m) => [...m.values()]);
  // A loop, not Math.max(...): spreading 100k series would overflow the call stack.
  const maxN = states.reduce((m, s) => Math.max(m, s.n), 0);
  const spanDays = maxN / S;
  const spec = buildDesignSpec({
    region: opts.holidays,
    slotsPerDay: S,
    training: srcList.map((s) => ({ source: s.source, steps: s.length })),
    features: opts.features ?? featureNames(members),
    harmonics: opts.annualHarmonics === 'auto' ? (spanDays >= 730 ? 4 : 0) : opts.annualHarmonics,
    weekendHarmonics: opts.weekendAnnualHarmonics === 'auto' ? (spanDays >= 730 ? 2 : 0) : opts.weekendAnnualHarmonics,
    knots: opts.knots,
    autoKnotQuantiles: opts.autoKnotQuantiles,
    minNamedCount: opts.minNamedCount,
    dayBlocks: dayBlocksFor(opts, spanDays),
    trailingWindow: trailingStepsFor(opts, spanDays),
  });
  const p = spec.columns.length;
  // The fitting level must be slow enough not to soak up weather (which would bias β toward 0
  // and make back-fitting crawl) yet follow real level shifts: half the history, 4–52 weeks.
  const trendDays =
    opts.trendWindowDays === 'auto' ? Math.min(364, Math.max(28, 7 * Math.round(spanDays / 14))) : opts.trendWindowDays;
  const halfWindow = Math.round((trendDays * S) / 2);
  for (const src of srcList) {
    src.x = designMatrix(spec, src.source, src.length, cellCentring(src.source.start, src.length, src.length, opts));
    src.m = new Float64Array(src.length).fill(1);
    src.b2 = new Float64Array(src.length);
    src.br = new Float64Array(src.length);
  }
  let beta: Float64Array = new Float64Array(p);
  let groupWeek: Float64Array = new Float64Array(7 * S).fill(1);
  const scratch: Scratch = {
    expected: new Float64Array(maxN),
    weight: new Float64Array(maxN),
    level: levelScratch(maxN),
  };

  // Iteration 0 only sets the profile: with a flat profile the weekly cycle would leak into β.
  for (let iter = 0; iter <= opts.iterations; iter++) {
    const fitBeta = iter > 0 && p > 0;
    for (const src of srcList) {
      computeMultipliers(src, p, beta, opts.minMultiplier);
      src.b2.fill(0);
      src.br.fill(0);
    }
    const groupSums = emptySums(S);
    for (const st of states) {
      accumulateSeries(st, opts, halfWindow, fitBeta, scratch);
      addSums(groupSums, st.sums);
    }
    groupWeek = rawProfile(groupSums);
    for (const st of states) st.profile = withSpecialRows(pooledProfile(st.sums, groupWeek, opts.pooling), S);
    if (fitBeta) beta = solveGroupRegression(srcList, p, opts.ridge);
  }
  for (const src of srcList) computeMultipliers(src, p, beta, opts.minMultiplier);
  return { spec, beta, groupWeek, states };
}

type Structure = ReturnType<typeof fitStructure>;

/**
 * Weather × time-of-day terms need many weather episodes in every block: with 8 weeks of hourly
 * history they mostly add noise (and 6× the weather columns), with a season or more they pay.
 */
function dayBlocksFor(opts: ResolvedModelOptions, spanDays: number): number {
  if (opts.featureDayBlocks !== 'auto') return opts.featureDayBlocks;
  if (opts.slotsPerDay === 1 || spanDays < 84) return 1;
  return opts.slotsPerDay % 6 === 0 ? 6 : 1;
}

/** Trailing-mean weather columns: the same evidence rule as the time-of-day terms. */
function trailingStepsFor(opts: ResolvedModelOptions, spanDays: number): number {
  if (opts.trailingFeatureSteps !== 'auto') return opts.trailingFeatureSteps;
  return opts.slotsPerDay === 1 || spanDays < 84 ? 0 : opts.slotsPerDay;
}

const RECENCY_JUDGED_DAYS = 21;
const RECENCY_MARGIN = 0.02;

/** Fit a group with each candidate recency half-life; keep the one with the least hold-out error. */
function fitGroup(
  group: string,
  members: readonly ModelSeries[],
  base: ResolvedModelOptions,
  recency: readonly number[],
) {
  let best: { opts: ResolvedModelOptions; fit: Structure; calib: Expectations; error: number } | undefined;
  for (const days of recency) {
    // Without recency the series is taken as stationary: the sub-daily weather terms ('auto')
    // stay off too, so a stationary group keeps the simpler model (Poisson SKU counts whose
    // weather acts at once and all day), a drifting one gets both (Victoria's demand).
    const stationary = !Number.isFinite(days) && recency.length > 1;
    const opts: ResolvedModelOptions = {
      ...base,
      recencyHalfLifeDays: days,
      ...(stationary && base.featureDayBlocks === 'auto' ? { featureDayBlocks: 1 } : {}),
      ...(stationary && base.trailingFeatureSteps === 'auto' ? { trailingFeatureSteps: 0 } : {}),
    };
    const fit = fitStructure(members, opts);
    const calib = calibrationExpectations(members, fit, opts);
    // Judged on the first weeks after the hold-out fit only: the forecaster is refitted every
    // week or so, and a recency-weighted profile judged three months after its fit looks staler
    // than it ever is in use.
    // Forgetting history must earn its keep: stationary series differ by noise (< 1%), series whose
    // daily shape moves with the season by 5–40%.
    const penalty = Number.isFinite(days) ? 1 + RECENCY_MARGIN : 1;
    const error = recency.length > 1 ? penalty * levelChoice(fit, calib, opts, RECENCY_JUDGED_DAYS).error : 0;
    if (!best || error < best.error) best = { opts, fit, calib, error };
  }
  if (!best) throw new Error('no recency half-life to fit with');
  const { opts, fit, calib } = best;
  const { series, spread, levelHalfLifeDays } = finishSeries(group, fit, calib, opts);
  const fittedGroup: FittedGroup = {
    spec: fit.spec,
    beta: fit.beta,
    groupProfile: fit.groupWeek,
    spread,
    levelHalfLifeDays,
    recencyHalfLifeDays: opts.recencyHalfLifeDays,
  };
  return { group: fittedGroup, series };
}

/** Expected demand (P·m) per step of each member, from a fit, over `length` steps. */
interface Expectations {
  /** First step whose residuals calibrate the intervals. */
  readonly from: (st: SeriesState) => number;
  readonly fill: (i: number, st: SeriesState, out: Float64Array) => void;
}

/**
 * Residuals that calibrate intervals must be out of sample: the profile and coefficients of the
 * final fit have seen the calibration window (a named holiday fitted from its own two
 * occurrences has almost no in-sample error), and intervals from those residuals come out too
 * narrow (p10–p90 held 68–77% instead of 80%). So the window is forecast by a second fit on the
 * history before it, with the same trailing level the forecaster uses. Histories too short to
 * leave two weeks before a week-long window fall back to the final fit's own residuals.
 */
function calibrationExpectations(
  members: readonly ModelSeries[],
  full: Structure,
  opts: ResolvedModelOptions,
): Expectations {
  const S = opts.slotsPerDay;
  const minN = members.reduce((m, s) => Math.min(m, s.values.length), Infinity);
  // At most half the history, so the hold-out fit sees as much as it is checked on.
  const window = Math.min(opts.calibrationDays * S, Math.floor(minN / 2), minN - 14 * S);
  const ownFill = (_i: number, st: SeriesState, out: Float64Array): void => {
    for (let t = 0; t < st.n; t++) out[t] = (st.profile[st.index.cell[t] ?? 0] ?? 1) * (st.src.m[t] ?? 1);
  };
  if (window < 7 * S) {
    return { from: (st) => Math.max(0, st.n - opts.calibrationDays * S), fill: ownFill };
  }
  const holdout = fitStructure(
    members.map((m) => ({ ...m, values: subarrayOf(m.values, m.values.length - window) })),
    opts,
  );
  const p = holdout.spec.columns.length;
  const multipliers = new Map<SourceState, Float64Array>();
  return {
    from: (st) => st.n - window,
    fill: (i, st, out) => {
      const h = holdout.states[i] as SeriesState;
      // m(t) of the hold-out coefficients over the whole history (weather centred on its training part).
      let m = multipliers.get(h.src);
      if (!m) {
        const length = st.src.length;
        const x = designMatrix(
          holdout.spec,
          h.src.source,
          length,
          cellCentring(h.src.source.start, length, h.src.length, opts),
        );
        m = new Float64Array(length);
        computeMultipliers({ x, m, length }, p, holdout.beta, opts.minMultiplier);
        multipliers.set(h.src, m);
      }
      for (let t = 0; t < st.n; t++) out[t] = (h.profile[st.index.cell[t] ?? 0] ?? 1) * (m[t] ?? 1);
    },
  };
}

function subarrayOf(values: ArrayLike<number>, length: number): ArrayLike<number> {
  const v = values as ArrayLike<number> & { subarray?: (a: number, b: number) => ArrayLike<number> };
  return typeof v.subarray === 'function' ? v.subarray(0, length) : Array.prototype.slice.call(values, 0, length);
}

function featureNames(members: readonly ModelSeries[]): string[] {
  const names = new Set<string>();
  for (const s of members) for (const k of Object.keys(s.features ?? {})) names.add(k);
  return [...names].sort();
}

/** Calibrate each series' intervals and package the fit as plain data. */
function finishSeries(group: string, fit: Structure, calib: Expectations, opts: ResolvedModelOptions) {
  const S = opts.slotsPerDay;
  const { states } = fit;
  const maxN = states.reduce((m, s) => Math.max(m, s.n), 0);
  const expected = new Float64Array(maxN);
  const spreadCell = new Uint16Array(maxN);
  const levelHalfLifeDays = levelChoice(fit, calib, opts).days;
  const cals = states.map((st, i) => {
    for (let t = 0; t < st.n; t++) spreadCell[t] = spreadCellOf(st.index.weekdayCell[t] ?? 0, S);
    calib.fill(i, st, expected);
    return calibrate({
      y: st.input.values,
      expected,
      affected: st.index.affected,
      spreadCell,
      n: st.n,
      from: calib.from(st),
      horizon: opts.horizon,
      slotsPerDay: S,
      levelHalfLifeDays,
    });
  });
  const spread = intervalSpread(cals, leadBuckets(opts.horizon, S), spreadCells(S));
  const zs = cals.map((c) => standardised(c, spread));
  // Series with too few residuals use the group's pooled residual distribution.
  const pooled: number[] = [];
  const total = zs.reduce((s, z) => s + z.length, 0);
  const stride = Math.max(1, Math.floor(total / 50_000));
  for (const z of zs) for (let i = 0; i < z.length; i += stride) pooled.push(z[i] ?? 0);
  const groupQ =
    pooled.length > 0 ? residualQuantiles(Float64Array.from(pooled).sort()) : { q10: -0.5, q50: 0, q90: 0.5 };
  const series = states.map((st, i): FittedSeries => {
    const cal = cals[i] as (typeof cals)[number];
    const z = zs[i] as Float64Array;
    return {
      id: st.input.id,
      group,
      start: st.input.start,
      nObs: st.n,
      featureSteps: st.src.length,
      profile: st.profile,
      level: finalLevel(st, opts, levelHalfLifeDays),
      residuals: z.length >= 20 ? residualQuantiles(z) : groupQ,
      scaleOffset: cal.scaleOffset,
    };
  });
  return { series, spread, levelHalfLifeDays };
}

/**
 * The level half-life with the least absolute error over the group on the calibration window
 * (out of sample, at mid-horizon leads). Electricity demand in spring needs a level that
 * follows within days; hourly SKU counts need two weeks of them to be worth anything.
 */
function levelChoice(
  fit: Structure,
  calib: Expectations,
  opts: ResolvedModelOptions,
  days?: number,
): { days: number; error: number } {
  const candidates = opts.levelHalfLifeDays === 'auto' ? LEVEL_HALF_LIFE_CANDIDATES : [opts.levelHalfLifeDays];
  const errors = new Float64Array(candidates.length);
  const maxN = fit.states.reduce((m, s) => Math.max(m, s.n), 0);
  const expected = new Float64Array(maxN);
  const lead = Math.max(1, Math.ceil(opts.horizon / 2));
  fit.states.forEach((st, i) => {
    calib.fill(i, st, expected);
    const from = Math.max(calib.from(st), 14 * opts.slotsPerDay + lead);
    const until = days === undefined ? st.n : Math.min(st.n, from + days * opts.slotsPerDay);
    candidates.forEach((days, k) => {
      const decay = decayPerStep(days, opts.slotsPerDay);
      errors[k] = (errors[k] ?? 0) + holdoutAbsError(st, expected, from, until, lead, decay);
    });
  });
  let best = 0;
  errors.forEach((e, k) => {
    if (e < (errors[best] ?? Infinity)) best = k;
  });
  return { days: candidates[best] ?? 14, error: errors[best] ?? Infinity };
}

/** Σ |y − level·expected| over steps ≥ from, the level taken `lead` steps before each step. */
function holdoutAbsError(
  st: SeriesState,
  expected: Float64Array,
  from: number,
  until: number,
  lead: number,
  decay: number,
): number {
  const y = st.input.values;
  const { affected } = st.index;
  const levels = new Float64Array(lead);
  let num = 0;
  let den = 0;
  let sum = 0;
  for (let t = 0; t < until; t++) {
    levels[t % lead] = den > 1e-12 ? num / den : 0;
    const yt = y[t] ?? 0;
    const et = expected[t] ?? 0;
    // levels[(t + 1) % lead] still holds the level of origin t − lead + 1.
    if (t >= from) sum += Math.abs(yt - (levels[(t + 1) % lead] ?? 0) * et);
    const w = affected[t] ? 0 : 1;
    num = decay * num + w * yt;
    den = decay * den + w * et;
  }
  return sum;
}

/** The forecaster's trailing level after the history, under the final fit's P·m. */
function finalLevel(st: SeriesState, opts: ResolvedModelOptions, halfLifeDays: number): LevelState {
  const decay = decayPerStep(halfLifeDays, opts.slotsPerDay);
  const y = st.input.values;
  const { cell, affected } = st.index;
  const { m } = st.src;
  let num = 0;
  let den = 0;
  for (let t = 0; t < st.n; t++) {
    const w = affected[t] ? 0 : 1;
    num = decay * num + w * (y[t] ?? 0);
    den = decay * den + w * (st.profile[cell[t] ?? 0] ?? 1) * (m[t] ?? 1);
  }
  return { num, den };
}
