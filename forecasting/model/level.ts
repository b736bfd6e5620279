// Level estimates. Both are ratios of sums, Σ w·y / Σ w·P·m, rather than means of y/(P·m):
// night slots with a tiny profile would otherwise dominate through division by ~0.

/** Reusable buffers for centredLevel (thousands of series are fitted in a row). */
export interface LevelScratch {
  readonly sy: Float64Array;
  readonly se: Float64Array;
  readonly out: Float64Array;
}

/** Scratch buffers for series of up to n steps. */
export function levelScratch(n: number): LevelScratch {
  return { sy: new Float64Array(n + 1), se: new Float64Array(n + 1), out: new Float64Array(n) };
}

/**
 * Centred moving level over ±halfWindow steps, used while fitting. Steps with w = 0 are
 * skipped. Returns scratch.out (valid for [0, n) until the next call).
 */
export function centredLevel(
  y: ArrayLike<number>,
  expected: ArrayLike<number>,
  weight: ArrayLike<number>,
  n: number,
  halfWindow: number,
  scratch: LevelScratch = levelScratch(n),
): Float64Array {
  const { sy, se, out } = scratch;
  sy[0] = 0;
  se[0] = 0;
  for (let t = 0; t < n; t++) {
    const w = weight[t] ?? 0;
    sy[t + 1] = (sy[t] ?? 0) + w * (y[t] ?? 0);
    se[t + 1] = (se[t] ?? 0) + w * (expected[t] ?? 0);
  }
  const totalY = sy[n] ?? 0;
  const totalE = se[n] ?? 0;
  const global = totalE > 1e-12 ? totalY / totalE : 0;
  for (let t = 0; t < n; t++) {
    // Near the ends the window is shifted inwards rather than shrunk, so it keeps whole weeks.
    let lo = t - halfWindow;
    let hi = t + halfWindow + 1;
    if (lo < 0) {
      hi = Math.min(n, hi - lo);
      lo = 0;
    }
    if (hi > n) {
      lo = Math.max(0, lo - (hi - n));
      hi = n;
    }
    const e = (se[hi] ?? 0) - (se[lo] ?? 0);
    out[t] = e > 1e-12 ? ((sy[hi] ?? 0) - (sy[lo] ?? 0)) / e : global;
  }
  return out;
}

/** Exponentially weighted level that is updated one observation at a time (forecast time). */
export interface LevelState {
  num: number;
  den: number;
}

/** Per-step decay for a half-life given in days. */
export function decayPerStep(halfLifeDays: number, slotsPerDay: number): number {
  return Math.pow(0.5, 1 / (halfLifeDays * slotsPerDay));
}

/** Fold one step into the level: y observed, `expected` = P·m for that step, w = 0 skips it. */
export function observeLevel(state: LevelState, decay: number, y: number, expected: number, w: number): void {
  state.num = decay * state.num + w * y;
  state.den = decay * state.den + w * expected;
}

/** Current level (0 when nothing has been observed). */
export function levelValue(state: LevelState): number {
  return state.den > 1e-12 ? state.num / state.den : 0;
}
