// The multiplicative adjustment m(t) = max(floor, 1 + x(t)·β), shared by fitting and forecasting.
import type { CellCentring } from './design';
import type { ResolvedModelOptions } from './options';
import { timeIndex } from './timeIndex';

/** m(t) = max(floor, 1 + x(t)·β) for every step of a source. */
export function computeMultipliers(
  src: { x: Float64Array; m: Float64Array; length: number },
  p: number,
  beta: Float64Array,
  floor: number,
): void {
  for (let t = 0; t < src.length; t++) {
    let v = 1;
    const row = t * p;
    for (let j = 0; j < p; j++) v += (src.x[row + j] ?? 0) * (beta[j] ?? 0);
    src.m[t] = v > floor ? v : floor;
  }
}

/** Centring of weather columns by weekly cell over a source's training steps (see design.ts). */
export function cellCentring(
  start: number,
  length: number,
  trainSteps: number,
  opts: ResolvedModelOptions,
): CellCentring | undefined {
  if (!opts.centreFeaturesByCell) return undefined;
  const { weekdayCell } = timeIndex(start, length, opts.slotsPerDay, opts.holidays, opts.holidayProfile);
  const halfLifeSteps = opts.recencyHalfLifeDays * opts.slotsPerDay;
  return { weekdayCell, trainSteps, cells: 7 * opts.slotsPerDay, halfLifeSteps };
}
