// Fitting: back-fitting of level → profile → adjustment coefficients, per pooling group.
//   y_t ≈ L_t · P_i[cell(t)] · m(t),  m(t) = 1 + Σ_j β_j x_j(t)
// L_t is a centred level while fitting (a trailing one at forecast time), P_i the series'
// weekday×slot profile shrunk toward the group's, β shared by the group. Rows of series that
// share a feature source (same node ⇒ same weather) are collapsed before the regression, so
// the per-series cost is a few passes over its history.
import { accumulateSeries, solveGroupRegression, type Scratch, type SeriesState, type SourceState } from './accumulate';
import { buildDesignSpec, designMatrix } from './design';
import { calibrate, residualQuantiles } from './intervals';
import { levelScratch } from './level';
import { cellCentring, computeMultipliers } from './multipliers';
import { resolveOptions, type ModelOptions } from './options';
import { addSums, emptySums, pooledProfile, rawProfile, withSpecialRows } from './profile';
import { timeIndex } from './timeIndex';
import type { FittedGroup, FittedModel, FittedSeries, ModelSeries } from './types';

const NO_FEATURES: Readonly<Record<string, ArrayLike<number>>> = Object.freeze({});

/** Options accepted by fitModel: anything from ModelOptions, slotsPerDay required. */
export type FitOptions = Partial<ModelOptions> & { readonly slotsPerDay: number };

/** Fit every series; series with the same group share profile pooling and coefficients. */
export function fitModel(series: readonly ModelSeries[], options: FitOptions): FittedModel {
  const opts = resolveOptions({
    ...options,
    // Chinese statutory holidays are rest days (and shift weekends), so they borrow the weekend profile.
    holidayProfile: options.holidayProfile ?? (options.holidays === 'CN' ? 'weekend' : 'own'),
  });
  if (!(opts.slotsPerDay >= 1 && Number.isInteger(opts.slotsPerDay))) throw new Error('slotsPerDay must be a positive integer');
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
    const result = fitGroup(g, members, opts);
    groups.set(g, result.group);
    members.forEach((m, i) => fitted.set(m, result.series[i] as FittedSeries));
  }
  return { options: opts, groups, series: series.map((s) => fitted.get(s) as FittedSeries) };
}

function fitGroup(group: string, members: readonly ModelSeries[], opts: ModelOptions) {
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
      src = { source: { start: input.start, features }, length: 0, x: new Float64Array(0), m: new Float64Array(0), b2: new Float64Array(0), br: new Float64Array(0) };
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
  });
  const p = spec.columns.length;
  // The fitting level must be slow enough not to soak up weather (which would bias β toward 0
  // and make back-fitting crawl) yet follow real level shifts: half the history, 4–52 weeks.
  const trendDays = opts.trendWindowDays === 'auto' ? Math.min(364, Math.max(28, 7 * Math.round(spanDays / 14))) : opts.trendWindowDays;
  const halfWindow = Math.round((trendDays * S) / 2);
  for (const src of srcList) {
    src.x = designMatrix(spec, src.source, src.length, cellCentring(src.source.start, src.length, src.length, opts));
    src.m = new Float64Array(src.length).fill(1);
    src.b2 = new Float64Array(src.length);
    src.br = new Float64Array(src.length);
  }
  let beta: Float64Array = new Float64Array(p);
  let groupWeek: Float64Array = new Float64Array(7 * S).fill(1);
  const scratch: Scratch = { expected: new Float64Array(maxN), weight: new Float64Array(maxN), level: levelScratch(maxN) };

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
  const series = finishSeries(group, states, opts);
  return { group: { spec, beta, groupProfile: groupWeek } satisfies FittedGroup, series };
}

function featureNames(members: readonly ModelSeries[]): string[] {
  const names = new Set<string>();
  for (const s of members) for (const k of Object.keys(s.features ?? {})) names.add(k);
  return [...names].sort();
}

/** Calibrate each series' intervals and package the fit as plain data. */
function finishSeries(group: string, states: readonly SeriesState[], opts: ModelOptions): FittedSeries[] {
  const expected = new Float64Array(states.reduce((m, s) => Math.max(m, s.n), 0));
  const cals = states.map((st) => {
    for (let t = 0; t < st.n; t++) expected[t] = (st.profile[st.index.cell[t] ?? 0] ?? 1) * (st.src.m[t] ?? 1);
    return calibrate({
      y: st.input.values,
      expected,
      affected: st.index.affected,
      n: st.n,
      horizon: opts.horizon,
      slotsPerDay: opts.slotsPerDay,
      levelHalfLifeDays: opts.levelHalfLifeDays,
      calibrationDays: opts.calibrationDays,
    });
  });
  // Series with too few residuals use the group's pooled residual distribution.
  const pooled: number[] = [];
  const total = cals.reduce((s, c) => s + c.scaled.length, 0);
  const stride = Math.max(1, Math.floor(total / 50_000));
  for (const c of cals) for (let i = 0; i < c.scaled.length; i += stride) pooled.push(c.scaled[i] ?? 0);
  const groupQ = pooled.length > 0 ? residualQuantiles(Float64Array.from(pooled).sort()) : { q10: -0.5, q50: 0, q90: 0.5 };
  return states.map((st, i) => {
    const cal = cals[i] as (typeof cals)[number];
    return {
      id: st.input.id,
      group,
      start: st.input.start,
      nObs: st.n,
      featureSteps: st.src.length,
      profile: st.profile,
      level: cal.level,
      residuals: cal.scaled.length >= 20 ? residualQuantiles(cal.scaled) : groupQ,
      scaleOffset: cal.scaleOffset,
    };
  });
}

