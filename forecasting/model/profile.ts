// Seasonal profile: one multiplier per (weekday × slot), mean 1 over the week. Sparse series
// borrow strength by shrinking toward their group's profile in proportion to how much demand
// they have actually shown in each cell (empirical-Bayes style, counts as information).
import { HOLIDAY_ROW, MAKEUP_ROW, PROFILE_ROWS } from './timeIndex';

/** Accumulated numerator (demand) and denominator (expected demand at profile 1) per weekday cell. */
export interface ProfileSums {
  readonly num: Float64Array;
  readonly den: Float64Array;
}

/** Empty sums for 7 × slotsPerDay cells. */
export function emptySums(slotsPerDay: number): ProfileSums {
  return { num: new Float64Array(7 * slotsPerDay), den: new Float64Array(7 * slotsPerDay) };
}

/** Add b into a (element-wise), for pooling sums across a group. */
export function addSums(a: ProfileSums, b: ProfileSums): void {
  for (let i = 0; i < a.num.length; i++) {
    a.num[i] = (a.num[i] ?? 0) + (b.num[i] ?? 0);
    a.den[i] = (a.den[i] ?? 0) + (b.den[i] ?? 0);
  }
}

/** Raw profile from sums (cells without data fall back to `fallback`, else 1), weekday rows only. */
export function rawProfile(sums: ProfileSums, fallback?: Float64Array): Float64Array {
  const n = sums.num.length;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const den = sums.den[i] ?? 0;
    p[i] = den > 1e-12 ? (sums.num[i] ?? 0) / den : (fallback?.[i] ?? 1);
  }
  return normaliseWeek(p);
}

/**
 * Shrink a series' cells toward the group profile: weight E/(E+κ), E = expected units in the cell.
 * κ = 0 keeps the series' own profile.
 */
export function pooledProfile(own: ProfileSums, group: Float64Array, kappa: number): Float64Array {
  const n = own.num.length;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = group[i] ?? 1;
    const den = own.den[i] ?? 0;
    const expected = den * g;
    const raw = den > 1e-12 ? (own.num[i] ?? 0) / den : g;
    const w = kappa > 0 ? expected / (expected + kappa) : den > 1e-12 ? 1 : 0;
    p[i] = w * raw + (1 - w) * g;
  }
  return normaliseWeek(p);
}

function normaliseWeek(p: Float64Array): Float64Array {
  let sum = 0;
  for (const v of p) sum += v;
  const mean = sum / p.length;
  if (mean > 0) for (let i = 0; i < p.length; i++) p[i] = (p[i] ?? 0) / mean;
  else p.fill(1);
  return p;
}

/** Extend a 7-row weekday profile with the holiday row (weekend mean) and make-up row (weekday mean). */
export function withSpecialRows(week: Float64Array, slotsPerDay: number): Float64Array {
  const full = new Float64Array(PROFILE_ROWS * slotsPerDay);
  full.set(week);
  for (let s = 0; s < slotsPerDay; s++) {
    let weekdays = 0;
    for (let row = 0; row < 5; row++) weekdays += week[row * slotsPerDay + s] ?? 1;
    const weekend = (week[5 * slotsPerDay + s] ?? 1) + (week[6 * slotsPerDay + s] ?? 1);
    full[HOLIDAY_ROW * slotsPerDay + s] = weekend / 2;
    full[MAKEUP_ROW * slotsPerDay + s] = weekdays / 5;
  }
  return full;
}
