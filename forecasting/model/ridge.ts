// Small dense least-squares solver. simple-statistics only has one-variable regression, so the
// multivariate ridge step is written here: accumulate the normal equations, then Cholesky.

/** Normal-equation accumulator for a p-column weighted least-squares problem. */
export interface NormalEquations {
  readonly p: number;
  /** Row-major p×p, only the upper triangle (j ≥ i) is filled while accumulating. */
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
  /** Sum of row weights, used to scale the ridge penalty. */
  weightSum: number;
  rows: number;
}

/** Empty normal equations for p columns. */
export function normalEquations(p: number): NormalEquations {
  return { p, xtx: new Float64Array(p * p), xty: new Float64Array(p), weightSum: 0, rows: 0 };
}

/** Add one row x (length ≥ p, read from `offset`) with weight w and response y. */
export function addRow(ne: NormalEquations, x: ArrayLike<number>, offset: number, w: number, y: number): void {
  const { p, xtx, xty } = ne;
  for (let i = 0; i < p; i++) {
    const xi = x[offset + i] ?? 0;
    if (xi === 0) continue; // holiday flags are mostly zero: skip the whole row of products
    const wxi = w * xi;
    xty[i] = (xty[i] ?? 0) + wxi * y;
    const base = i * p;
    for (let j = i; j < p; j++) {
      const xj = x[offset + j] ?? 0;
      if (xj !== 0) xtx[base + j] = (xtx[base + j] ?? 0) + wxi * xj;
    }
  }
  ne.weightSum += w;
  ne.rows += 1;
}

/**
 * Solve (XᵀWX + penalty·I) β = XᵀWy. `penalty` is per column (already scaled by the caller).
 * Columns that never appeared get β = 0 thanks to the penalty.
 */
export function solveRidge(ne: NormalEquations, penalty: ArrayLike<number>): Float64Array {
  const { p } = ne;
  const a = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const v = ne.xtx[i * p + j] ?? 0;
      a[i * p + j] = v;
      a[j * p + i] = v;
    }
    // A tiny jitter keeps the factorisation defined when a column is all zeros.
    a[i * p + i] = (a[i * p + i] ?? 0) + (penalty[i] ?? 0) + 1e-9;
  }
  return choleskySolve(a, ne.xty, p);
}

/** Solve A x = b for a symmetric positive-definite row-major A (A is overwritten). */
export function choleskySolve(a: Float64Array, b: ArrayLike<number>, p: number): Float64Array {
  // In-place lower-triangular factor L with A = L Lᵀ.
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j] ?? 0;
    for (let k = 0; k < j; k++) d -= (a[j * p + k] ?? 0) ** 2;
    if (!(d > 0)) throw new Error(`matrix is not positive definite at column ${j}`);
    const ljj = Math.sqrt(d);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j] ?? 0;
      for (let k = 0; k < j; k++) s -= (a[i * p + k] ?? 0) * (a[j * p + k] ?? 0);
      a[i * p + j] = s / ljj;
    }
  }
  const x = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] ?? 0;
    for (let k = 0; k < i; k++) s -= (a[i * p + k] ?? 0) * (x[k] ?? 0);
    x[i] = s / (a[i * p + i] ?? 1);
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i] ?? 0;
    for (let k = i + 1; k < p; k++) s -= (a[k * p + i] ?? 0) * (x[k] ?? 0);
    x[i] = s / (a[i * p + i] ?? 1);
  }
  return x;
}
