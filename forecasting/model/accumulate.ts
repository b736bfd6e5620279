// The per-pass work of back-fitting: for each series a centred level, its profile sums and its
// share of the group regression (collapsed per feature source), then the ridge solve.
import type { DesignSource } from './design';
import { centredLevel, type LevelScratch } from './level';
import type { ResolvedModelOptions } from './options';
import { emptySums, type ProfileSums } from './profile';
import { addRow, normalEquations, solveRidge } from './ridge';
import type { TimeIndex } from './timeIndex';
import type { ModelSeries } from './types';

/** Per feature source (node weather × start): design, multipliers, collapsed regression sums. */
export interface SourceState {
  readonly source: DesignSource;
  length: number;
  x: Float64Array;
  m: Float64Array;
  /** Collapsed regression weights and responses per step (summed over the source's series). */
  b2: Float64Array;
  br: Float64Array;
}

/** Per series while fitting. */
export interface SeriesState {
  readonly input: ModelSeries;
  readonly n: number;
  readonly src: SourceState;
  readonly index: TimeIndex;
  profile: Float64Array;
  sums: ProfileSums;
}

const recencyCache = new Map<string, Float64Array>();

/** Recency weights 0.5^(age / half-life), newest step = 1. */
function recencyWeights(n: number, halfLifeDays: number, slotsPerDay: number): Float64Array {
  const key = `${n}|${halfLifeDays}|${slotsPerDay}`;
  let w = recencyCache.get(key);
  if (!w) {
    if (recencyCache.size > 64) recencyCache.clear();
    w = new Float64Array(n).fill(1);
    if (Number.isFinite(halfLifeDays)) {
      const decay = Math.pow(0.5, 1 / (halfLifeDays * slotsPerDay));
      for (let t = n - 2; t >= 0; t--) w[t] = (w[t + 1] ?? 1) * decay;
    }
    recencyCache.set(key, w);
  }
  return w;
}

/** Reusable per-fit buffers sized for the longest series. */
export interface Scratch {
  readonly expected: Float64Array;
  readonly weight: Float64Array;
  readonly level: LevelScratch;
}

/** Regression weight ∝ 1/Var with Var ∝ b^vp; the common powers avoid Math.pow in the hot loop. */
function inversePower(b: number, vp: number): number {
  if (vp === 0) return 1;
  if (vp === 1) return 1 / b;
  if (vp === 2) return 1 / (b * b);
  return Math.pow(b, -vp);
}

/** One pass over a series: centred level, profile sums, and its share of the regression sums. */
export function accumulateSeries(
  st: SeriesState,
  opts: ResolvedModelOptions,
  halfWindow: number,
  fitBeta: boolean,
  scratch: Scratch,
): void {
  const { n, src, index, profile } = st;
  const y = st.input.values;
  // Locals for the typed arrays: this loop runs over every step of every series, once per pass.
  const { expected, weight } = scratch;
  const { cell, weekdayCell, affected } = index;
  const { m, b2, br } = src;
  for (let t = 0; t < n; t++) {
    expected[t] = (profile[cell[t] ?? 0] ?? 1) * (m[t] ?? 1);
    weight[t] = affected[t] ? 0 : 1;
  }
  const level = centredLevel(y, expected, weight, n, halfWindow, scratch.level);
  const rho = recencyWeights(n, opts.recencyHalfLifeDays, opts.slotsPerDay);
  const sums = emptySums(opts.slotsPerDay);
  const { num, den } = sums;
  const vp = opts.variancePower;
  // Only weights with vp > 1 blow up as b → 0; then keep b above 0.1% of the mean level.
  let bFloor = 1e-9;
  if (vp > 1) {
    let levelMean = 0;
    for (let t = 0; t < n; t++) levelMean += level[t] ?? 0;
    bFloor = Math.max(bFloor, (1e-3 * levelMean) / n);
  }
  for (let t = 0; t < n; t++) {
    const r = rho[t] ?? 1;
    const lt = level[t] ?? 0;
    const yt = y[t] ?? 0;
    const mt = m[t] ?? 1;
    if (!affected[t]) {
      const c = weekdayCell[t] ?? 0;
      num[c] = (num[c] ?? 0) + r * yt;
      den[c] = (den[c] ?? 0) + r * lt * mt;
    }
    if (fitBeta) {
      // Regression row: y − b = β·(b·x), weighted by 1/Var ∝ b^-vp, collapsed per source step.
      const bRaw = (lt * (expected[t] ?? 0)) / mt;
      const b = bRaw > bFloor ? bRaw : bFloor;
      const w = r * inversePower(b, vp);
      b2[t] = (b2[t] ?? 0) + w * b * b;
      br[t] = (br[t] ?? 0) + w * b * (yt - b);
    }
  }
  st.sums = sums;
}

/** Ridge solution of the collapsed regression rows of every source in a group. */
export function solveGroupRegression(srcList: readonly SourceState[], p: number, ridge: number): Float64Array {
  const ne = normalEquations(p);
  for (const src of srcList) {
    for (let t = 0; t < src.length; t++) {
      const w = src.b2[t] ?? 0;
      if (w > 0) addRow(ne, src.x, t * p, w, (src.br[t] ?? 0) / w);
    }
  }
  // Penalty in "pseudo-rows of average weight": a holiday seen 13 times with ridge 1 keeps ~13/14.
  const perRow = ne.rows > 0 ? ne.weightSum / ne.rows : 1;
  return solveRidge(ne, new Float64Array(p).fill(ridge * perRow));
}
