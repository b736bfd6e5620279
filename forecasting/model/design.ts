// Columns of the multiplicative adjustment m(t) = 1 + Σ β_j x_j(t): holiday flags and names,
// annual Fourier terms and piecewise-linear weather terms. Weather columns are centred on
// their training mean so that m = 1 means "ordinary day, average weather".
import { quantileSorted, sampleCorrelation } from 'simple-statistics';
import type { HolidayRegion } from '../holidays';
import { DAY_MS, dayNumber, isWeekendDay, yearFraction } from '../time';
import { dayFlags, FLAG_KEYS, type FlagKey, type NeighbourRelation } from './dayFlags';

export type Column =
  | { readonly kind: 'flag'; readonly key: FlagKey }
  | { readonly kind: 'holiday'; readonly name: string }
  | { readonly kind: 'observance'; readonly name: string }
  | { readonly kind: 'neighbour'; readonly name: string; readonly relation: NeighbourRelation }
  | { readonly kind: 'annual'; readonly harmonic: number; readonly phase: 'sin' | 'cos'; readonly weekendOnly: boolean }
  /** Years from the last training day, on weekends only: the weekend/weekday ratio drifts for years. */
  | { readonly kind: 'weekendTrend'; readonly lastTrainingDay: number }
  | {
      readonly kind: 'feature';
      readonly feature: string;
      readonly mean: number;
      readonly sd: number;
      /** Hinge position in standardised units; null for the linear term. */
      readonly knot: number | null;
      readonly center: number;
      /** Steps of the trailing mean the column reads (1 = the step's own value). */
      readonly window: number;
      /** Time-of-day block the column applies to (0-based, see DesignSpec.dayBlocks); null = all day. */
      readonly block: number | null;
    };

export interface DesignSpec {
  readonly region: HolidayRegion;
  readonly slotsPerDay: number;
  /** Blocks the day is cut into for time-of-day weather terms (1 = none). */
  readonly dayBlocks: number;
  readonly columns: readonly Column[];
}

/** Where a series' calendar and feature values come from. */
export interface DesignSource {
  readonly start: number;
  readonly features: Readonly<Record<string, ArrayLike<number>>>;
}

/** Human-readable column name (used in model summaries and tests). */
export function columnLabel(c: Column): string {
  switch (c.kind) {
    case 'flag':
      return c.key;
    case 'holiday':
      return `holiday:${c.name}`;
    case 'observance':
      return `observance:${c.name}`;
    case 'neighbour':
      return `${c.relation}:${c.name}`;
    case 'weekendTrend':
      return 'weekend_trend';
    case 'annual':
      return `annual_${c.phase}${c.harmonic}${c.weekendOnly ? '_weekend' : ''}`;
    case 'feature': {
      const name = c.window === 1 ? c.feature : `${c.feature}~${c.window}`;
      const base = c.knot === null ? name : `${name}>${(c.knot * c.sd + c.mean).toPrecision(4)}`;
      return c.block === null ? base : `${base}@block${c.block}`;
    }
  }
}

export interface SpecInputs {
  readonly region: HolidayRegion;
  readonly slotsPerDay: number;
  /** Distinct sources with the number of training steps each contributes. */
  readonly training: readonly { readonly source: DesignSource; readonly steps: number }[];
  readonly features: readonly string[];
  readonly harmonics: number;
  /** Harmonics of an extra annual cycle on weekends only (weekend/weekday ratio drifting over the year). */
  readonly weekendHarmonics: number;
  readonly knots: Readonly<Record<string, readonly number[]>>;
  readonly autoKnotQuantiles: readonly number[];
  readonly minNamedCount: number;
  /** Time-of-day blocks for weather × time-of-day terms; 1 = weather acts the same all day. */
  readonly dayBlocks: number;
  /** Steps of a trailing mean of every feature added as a feature of its own (≤ 1: none). */
  readonly trailingWindow: number;
}

/** Choose the columns from the training data (which holidays occur, where knots go). */
export function buildDesignSpec(inp: SpecInputs): DesignSpec {
  const days = new Set<number>();
  for (const { source, steps } of inp.training) {
    const first = dayNumber(source.start);
    const last = dayNumber(source.start + (steps - 1) * (DAY_MS / inp.slotsPerDay));
    for (let d = first; d <= last; d++) days.add(d);
  }
  const columns: Column[] = [];
  const flagSeen = new Set<FlagKey>();
  const holidayCount = new Map<string, number>();
  const observanceCount = new Map<string, number>();
  const neighbourCount = new Map<string, number>();
  for (const d of days) {
    const f = dayFlags(inp.region, d);
    for (const key of FLAG_KEYS) if (f[key]) flagSeen.add(key);
    if (f.holidayName) holidayCount.set(f.holidayName, (holidayCount.get(f.holidayName) ?? 0) + 1);
    if (f.observanceName) observanceCount.set(f.observanceName, (observanceCount.get(f.observanceName) ?? 0) + 1);
    if (f.neighbour) {
      const key = `${f.neighbour.relation}\u0000${f.neighbour.name}`;
      neighbourCount.set(key, (neighbourCount.get(key) ?? 0) + 1);
    }
  }
  for (const key of FLAG_KEYS) if (flagSeen.has(key)) columns.push({ kind: 'flag', key });
  for (const [name, n] of [...holidayCount].sort()) if (n >= inp.minNamedCount) columns.push({ kind: 'holiday', name });
  for (const [name, n] of [...observanceCount].sort())
    if (n >= inp.minNamedCount) columns.push({ kind: 'observance', name });
  // Named neighbours: the Friday after Christmas is not the Tuesday after Labor Day.
  for (const [key, n] of [...neighbourCount].sort()) {
    const [relation, name] = key.split('\u0000') as [NeighbourRelation, string];
    if (n >= inp.minNamedCount) columns.push({ kind: 'neighbour', name, relation });
  }
  for (let k = 1; k <= inp.harmonics; k++) {
    columns.push(
      { kind: 'annual', harmonic: k, phase: 'sin', weekendOnly: false },
      { kind: 'annual', harmonic: k, phase: 'cos', weekendOnly: false },
    );
  }
  for (let k = 1; k <= inp.weekendHarmonics; k++) {
    columns.push(
      { kind: 'annual', harmonic: k, phase: 'sin', weekendOnly: true },
      { kind: 'annual', harmonic: k, phase: 'cos', weekendOnly: true },
    );
  }
  // Chicago's Sunday riders grew faster than its weekday riders for years: without a trend in the
  // weekend ratio, a profile averaged over two years under-forecast Sundays by 5%.
  if (inp.weekendHarmonics > 0 && days.size > 0) {
    let lastTrainingDay = -Infinity;
    for (const d of days) lastTrainingDay = Math.max(lastTrainingDay, d);
    columns.push({ kind: 'weekendTrend', lastTrainingDay });
  }
  for (const feature of inp.features) {
    columns.push(...featureColumns(feature, 1, inp));
    // Buildings and people respond to the weather of the last day, not only of this hour.
    // Only for persistent features (temperature): for a passing shower the trailing mean is
    // just a blurred copy of the hour that splits its effect in two.
    if (inp.trailingWindow > 1 && dayToDayCorrelation(feature, inp) >= PERSISTENT_FEATURE) {
      columns.push(...featureColumns(feature, inp.trailingWindow, inp));
    }
  }
  const dayBlocks = validDayBlocks(inp.dayBlocks, inp.slotsPerDay);
  return { region: inp.region, slotsPerDay: inp.slotsPerDay, dayBlocks, columns };
}

/**
 * Blocks must cut the day into whole slots of equal count; anything else (0, 5 blocks of a 48-slot
 * day, NaN) is a programming error, reported with the value.
 */
export function validDayBlocks(blocks: number, slotsPerDay: number): number {
  if (!Number.isInteger(blocks) || blocks < 1 || slotsPerDay % blocks !== 0) {
    throw new RangeError(`dayBlocks must be a positive divisor of slotsPerDay (${slotsPerDay}), got ${blocks}`);
  }
  return blocks;
}

/** Day-to-day correlation of daily means above which a feature gets a trailing-mean column. */
export const PERSISTENT_FEATURE = 0.7;

/**
 * Correlation of a feature's daily mean with the previous day's, over the training steps of
 * every source (days with no finite value skipped). 0 when there are fewer than 3 day pairs.
 */
export function dayToDayCorrelation(feature: string, inp: Pick<SpecInputs, 'training' | 'slotsPerDay'>): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const { source, steps } of inp.training) {
    const col = source.features[feature];
    if (!col) continue;
    let previous = Number.NaN;
    for (let d = 0; (d + 1) * inp.slotsPerDay <= Math.min(steps, col.length); d++) {
      let sum = 0;
      let n = 0;
      for (let t = d * inp.slotsPerDay; t < (d + 1) * inp.slotsPerDay; t++) {
        const v = col[t] ?? Number.NaN;
        if (Number.isFinite(v)) {
          sum += v;
          n += 1;
        }
      }
      const mean = n > 0 ? sum / n : Number.NaN;
      if (Number.isFinite(mean) && Number.isFinite(previous)) {
        xs.push(previous);
        ys.push(mean);
      }
      previous = mean;
    }
  }
  if (xs.length < 3) return 0;
  const r = sampleCorrelation(xs, ys);
  return Number.isFinite(r) ? r : 0; // constant daily means: NaN
}

function featureColumns(feature: string, window: number, inp: SpecInputs): Column[] {
  const values = trainingValues(feature, window, inp);
  if (values.length < 2) return [];
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / (values.length - 1));
  if (!(sd > 0)) return []; // constant feature: nothing to learn
  const z = Array.from(Float64Array.from(values, (v) => (v - mean) / sd).sort());
  const rawKnots = inp.knots[feature];
  const candidates = rawKnots
    ? rawKnots.map((k) => (k - mean) / sd)
    : inp.autoKnotQuantiles.map((q) => quantileSorted(z, q));
  const columns: Column[] = [{ kind: 'feature', feature, window, mean, sd, knot: null, center: 0, block: null }];
  const used: number[] = [];
  for (const knot of candidates) {
    // A hinge needs data on both sides, otherwise it duplicates the linear term or is all zero.
    const below = countBelow(z, knot) / z.length;
    if (below < 0.05 || below > 0.95 || used.some((u) => Math.abs(u - knot) < 1e-9)) continue;
    used.push(knot);
    let c = 0;
    for (const v of z) c += Math.max(0, v - knot);
    columns.push({ kind: 'feature', feature, window, mean, sd, knot, center: c / z.length, block: null });
  }
  // Per-block copies: the same piecewise-linear response, but only in one part of the day, so
  // heat can raise evening demand and cut night demand. The ridge penalty pulls each copy
  // toward 0, i.e. toward the all-day response, where a block has little evidence.
  const blocks = inp.dayBlocks > 1 ? inp.dayBlocks : 0;
  const allDay = [...columns];
  for (let b = 0; b < blocks; b++) {
    for (const c of allDay) if (c.kind === 'feature') columns.push({ ...c, block: b });
  }
  return columns;
}

function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Finite training values of a feature, subsampled to keep knot placement cheap. */
function trainingValues(feature: string, window: number, inp: SpecInputs): number[] {
  const total = inp.training.reduce((s, t) => s + t.steps, 0);
  const stride = Math.max(1, Math.floor(total / 20_000));
  const out: number[] = [];
  for (const { source, steps } of inp.training) {
    const raw = source.features[feature];
    if (!raw) continue;
    const col = trailingMean(raw, window, Math.min(steps, raw.length));
    for (let t = 0; t < Math.min(steps, col.length); t += stride) {
      const v = col[t];
      if (v !== undefined && Number.isFinite(v)) out.push(v);
    }
  }
  return out;
}

/**
 * Re-centre weather columns on their mean per weekly profile cell over the training steps.
 * Weather has its own daily cycle (afternoons are hot); without this the cell profile and the
 * temperature coefficient explain the same thing and back-fitting crawls towards the answer.
 * After centring, the profile carries "typical weather for this hour" and m only the deviation.
 */
export interface CellCentring {
  /** Weekday×slot cell of each step (length ≥ design length). */
  readonly weekdayCell: Int32Array;
  /** Steps [0, trainSteps) define the cell means. */
  readonly trainSteps: number;
  readonly cells: number;
  /**
   * Half-life (steps) of the weights of the cell means: the profile is recency-weighted with
   * the same half-life, and "typical weather for this hour" must mean the same weeks in both,
   * else a profile learnt in winter plus a heating term centred on the whole year counts the
   * cold twice. Infinity = equal weights.
   */
  readonly halfLifeSteps: number;
}

/**
 * Mean of the finite values among steps (t − window, t] for every t < length (NaN when there is
 * none, which the design reads as average weather). window ≤ 1 returns the values themselves.
 */
export function trailingMean(values: ArrayLike<number>, window: number, length: number): ArrayLike<number> {
  if (window <= 1) return values;
  const n = Math.min(length, values.length);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    // Recomputed per step (window × n is cheap next to the design) rather than a running sum,
    // which huge values (1e308) would overflow into Infinity − Infinity = NaN for good.
    let count = 0;
    for (let u = Math.max(0, t - window + 1); u <= t; u++) if (Number.isFinite(values[u] ?? Number.NaN)) count += 1;
    let mean = 0;
    for (let u = Math.max(0, t - window + 1); u <= t; u++) {
      const v = values[u] ?? Number.NaN;
      if (Number.isFinite(v)) mean += v / count;
    }
    out[t] = count > 0 ? mean : Number.NaN;
  }
  return out;
}

/** Design matrix rows [0, length) for a source, row-major (length × columns). */
export function designMatrix(
  spec: DesignSpec,
  source: DesignSource,
  length: number,
  centring?: CellCentring,
): Float64Array {
  const p = spec.columns.length;
  const x = new Float64Array(length * p);
  // Each feature column reads its feature, raw or as a trailing mean (computed once per call).
  const inputs = spec.columns.map((c) => {
    if (c.kind !== 'feature') return undefined;
    const raw = source.features[c.feature];
    return raw && c.window > 1 ? trailingMean(raw, c.window, length) : raw;
  });
  const step = DAY_MS / spec.slotsPerDay;
  let day = Number.NaN;
  let flags = dayFlags(spec.region, 0);
  let yf = 0;
  let weekend = false;
  const slotsPerBlock = spec.slotsPerDay / spec.dayBlocks;
  for (let t = 0; t < length; t++) {
    const ts = source.start + t * step;
    const d = dayNumber(ts);
    if (d !== day) {
      day = d;
      flags = dayFlags(spec.region, d);
      yf = yearFraction(d);
      weekend = isWeekendDay(d);
    }
    const row = t * p;
    const block = Math.floor(Math.round((ts - d * DAY_MS) / step) / slotsPerBlock);
    for (let j = 0; j < p; j++) {
      const c = spec.columns[j] as Column;
      let v = 0;
      switch (c.kind) {
        case 'flag':
          v = flags[c.key] ? 1 : 0;
          break;
        case 'holiday':
          v = flags.holidayName === c.name ? 1 : 0;
          break;
        case 'observance':
          v = flags.observanceName === c.name ? 1 : 0;
          break;
        case 'neighbour':
          v = flags.neighbour?.name === c.name && flags.neighbour.relation === c.relation ? 1 : 0;
          break;
        case 'weekendTrend':
          if (weekend) v = (d - c.lastTrainingDay) / 365;
          break;
        case 'annual': {
          if (c.weekendOnly && !weekend) break;
          const angle = 2 * Math.PI * c.harmonic * yf;
          v = c.phase === 'sin' ? Math.sin(angle) : Math.cos(angle);
          break;
        }
        case 'feature': {
          const raw = inputs[j]?.[t];
          // Missing weather (or a future step without a weather forecast) counts as average.
          if (raw === undefined || !Number.isFinite(raw) || (c.block !== null && c.block !== block)) break;
          const z = (raw - c.mean) / c.sd;
          v = c.knot === null ? z : Math.max(0, z - c.knot) - c.center;
          break;
        }
      }
      x[row + j] = v;
    }
  }
  if (centring) centreByCell(spec, x, length, centring);
  return x;
}

function centreByCell(spec: DesignSpec, x: Float64Array, length: number, c: CellCentring): void {
  const p = spec.columns.length;
  const train = Math.min(c.trainSteps, length);
  const sums = new Float64Array(c.cells);
  const counts = new Float64Array(c.cells);
  const weights = recencyWeights(train, c.halfLifeSteps);
  spec.columns.forEach((col, j) => {
    if (col.kind !== 'feature') return;
    sums.fill(0);
    counts.fill(0);
    for (let t = 0; t < train; t++) {
      const cell = c.weekdayCell[t] ?? 0;
      const w = weights[t] ?? 1;
      sums[cell] = (sums[cell] ?? 0) + w * (x[t * p + j] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + w;
    }
    for (let t = 0; t < length; t++) {
      const cell = c.weekdayCell[t] ?? 0;
      const n = counts[cell] ?? 0;
      if (n > 0) x[t * p + j] = (x[t * p + j] ?? 0) - (sums[cell] ?? 0) / n;
    }
  });
}

/** 0.5^(age / half-life) per step, the last step weighing 1. */
function recencyWeights(n: number, halfLifeSteps: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (!Number.isFinite(halfLifeSteps)) return w;
  const decay = Math.pow(0.5, 1 / halfLifeSteps);
  for (let t = n - 2; t >= 0; t--) w[t] = (w[t + 1] ?? 1) * decay;
  return w;
}
