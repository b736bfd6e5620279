// Combining per-period forecast quantiles into a quantile of a multi-period total.
import { probit } from 'simple-statistics';

/** Per-period forecast quantiles (units). */
export interface QuantilePoint {
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
}

/**
 * Quantile q (0.1 ≤ q ≤ 0.9) of the total over periods [from, to). The median adds up; the
 * spread to p90 (or p10) is combined as √Σ spread², i.e. periods treated as independent —
 * between "fully correlated" (Σ p90, too high) and ignoring uncertainty (Σ p50, too low).
 */
export function totalQuantile(points: readonly QuantilePoint[], from: number, to: number, q: number): number {
  if (!(q >= 0.1 && q <= 0.9)) throw new Error(`quantile must be within [0.1, 0.9], got ${q}`);
  let median = 0;
  let up = 0;
  let down = 0;
  for (let i = Math.max(0, from); i < Math.min(to, points.length); i++) {
    const p = points[i] as QuantilePoint;
    median += p.p50;
    up += (p.p90 - p.p50) ** 2;
    down += (p.p50 - p.p10) ** 2;
  }
  if (q === 0.5) return median;
  // Scale the 90% spread to quantile q in normal-score units: probit(q) / probit(0.9).
  const z = probit(q) / probit(0.9);
  return Math.max(0, median + z * Math.sqrt(z > 0 ? up : down));
}

/** Map 'p10' | 'p50' | 'p90' or a number to a probability. */
export function quantileLevel(q: 'p10' | 'p50' | 'p90' | number): number {
  if (typeof q === 'number') return q;
  return { p10: 0.1, p50: 0.5, p90: 0.9 }[q];
}
