// Read fitted effects back out of a model (for reports and for checking recovery on
// synthetic data). Effects are additive contributions to the multiplier m(t) = 1 + Σ β_j x_j.
import { dayOfIsoDate, DAY_MS } from '../time';
import { columnLabel, designMatrix } from './design';
import type { FittedGroup, FittedModel } from './types';

function groupOf(model: FittedModel, group: string): FittedGroup {
  const g = model.groups.get(group);
  if (!g) throw new Error(`unknown group '${group}' (have ${[...model.groups.keys()].join(', ')})`);
  return g;
}

/** Coefficient per column label for a group. */
export function coefficients(model: FittedModel, group: string): Record<string, number> {
  const g = groupOf(model, group);
  return Object.fromEntries(g.spec.columns.map((c, j) => [columnLabel(c), g.beta[j] ?? 0]));
}

/**
 * Relative demand change when features move from `reference` to `value` (features not named
 * stay at their training mean): m(value) / m(reference) − 1 over a whole day at that weather (m
 * averaged over the day's slots). 0.2 = 20% more demand at `value`.
 */
export function featureEffect(
  model: FittedModel,
  group: string,
  value: Readonly<Record<string, number>>,
  reference: Readonly<Record<string, number>>,
): number {
  const g = groupOf(model, group);
  const names = new Set([...Object.keys(value), ...Object.keys(reference)]);
  // A whole day at that weather: trailing means equal the value, and each time-of-day block's
  // terms count in their own slots, so the read-out is the day's average response.
  const S = g.spec.slotsPerDay;
  const p = g.spec.columns.length;
  const at = (point: Readonly<Record<string, number>>): number => {
    // Globally centred columns (no cell centring); a missing feature reads as its mean.
    const features = Object.fromEntries([...names].map((n) => [n, new Array<number>(S).fill(point[n] ?? Number.NaN)]));
    const x = designMatrix(g.spec, { start: 0, features }, S);
    let sum = 0;
    for (let t = 0; t < S; t++) {
      let m = 1;
      g.spec.columns.forEach((c, j) => {
        if (c.kind === 'feature' && names.has(c.feature)) m += (x[t * p + j] ?? 0) * (g.beta[j] ?? 0);
      });
      sum += Math.max(model.options.minMultiplier, m);
    }
    return sum / S;
  };
  return at(value) / at(reference) - 1;
}

/**
 * Relative demand change on a date from its holiday-related columns (holiday, around-holiday,
 * observance, make-up workday), against the same day without them. 0.3 = +30%.
 */
export function calendarEffect(model: FittedModel, group: string, date: string): number {
  const g = groupOf(model, group);
  const day = dayOfIsoDate(date);
  if (Number.isNaN(day)) throw new Error(`not a date: ${date}`);
  const x = designMatrix(g.spec, { start: day * DAY_MS, features: {} }, 1);
  let sum = 0;
  g.spec.columns.forEach((c, j) => {
    if (c.kind === 'flag' || c.kind === 'holiday' || c.kind === 'observance' || c.kind === 'neighbour') {
      sum += (x[j] ?? 0) * (g.beta[j] ?? 0);
    }
  });
  return sum;
}
