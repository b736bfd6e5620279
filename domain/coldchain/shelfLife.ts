// Shelf life under temperature (Q10 model) and the quarantine decision.
//
// Spoilage runs at rate Q10^((T − T_ref)/10) relative to the reference temperature, so an
// hour at T costs that many "reference hours" of shelf life. Q10 ≈ 2–3 for produce.
import { intervals } from './mkt';
import type { IntervalOptions, TempPoint } from './mkt';

/** Q10 model parameters for a product. */
export interface Q10Params {
  q10: number;
  refTempC: number;
  shelfLifeDaysAtRef: number;
}

const MS_PER_DAY = 86_400_000;

/** Spoilage rate at `tempC` relative to the reference temperature. */
export function q10Rate(tempC: number, params: Pick<Q10Params, 'q10' | 'refTempC'>): number {
  assertParams(params);
  return params.q10 ** ((tempC - params.refTempC) / 10);
}

/**
 * Shelf life consumed over the exposure, in days at the reference temperature (time-weighted,
 * sample and hold; pass `endTs` to count the last reading up to now).
 */
export function shelfLifeConsumed(points: readonly TempPoint[], params: Q10Params, opts: IntervalOptions = {}): number {
  assertParams(params);
  return intervals(points, opts).reduce((days, x) => days + (x.ms / MS_PER_DAY) * q10Rate(x.tempC, params), 0);
}

/**
 * Shelf life left, in days at the reference temperature, never below 0. `alreadyConsumedDays`
 * carries consumption from earlier legs (e.g. the supplier's transport) into this one.
 */
export function remainingShelfLifeDays(
  points: readonly TempPoint[],
  params: Q10Params,
  opts: IntervalOptions & { alreadyConsumedDays?: number } = {},
): number {
  const consumed = (opts.alreadyConsumedDays ?? 0) + shelfLifeConsumed(points, params, opts);
  return Math.max(0, params.shelfLifeDaysAtRef - consumed);
}

/** Converts days of shelf life at the reference temperature into days if stored at `tempC`. */
export function daysAtTemperature(
  daysAtRef: number,
  tempC: number,
  params: Pick<Q10Params, 'q10' | 'refTempC'>,
): number {
  return daysAtRef / q10Rate(tempC, params);
}

/** Why stock is or is not quarantined. */
export type QuarantineReason = 'hard_limit_breached' | 'insufficient_shelf_life' | 'unknown_shelf_life' | 'ok';

/** Quarantine decision for a lot. */
export interface QuarantineDecision {
  quarantine: boolean;
  reason: QuarantineReason;
  detail: string;
}

/**
 * Quarantines when a hard limit was breached, or when the remaining shelf life is below what
 * the lot needs to be sold (fail-safe: an unknown remaining shelf life also quarantines).
 */
export function quarantineDecision(input: {
  hardLimitBreached: boolean;
  remainingShelfLifeDays: number | null;
  minShelfLifeDays: number;
}): QuarantineDecision {
  if (input.hardLimitBreached)
    return { quarantine: true, reason: 'hard_limit_breached', detail: 'a hard temperature limit was breached' };
  const remaining = input.remainingShelfLifeDays;
  if (remaining === null || !Number.isFinite(remaining)) {
    return { quarantine: true, reason: 'unknown_shelf_life', detail: 'remaining shelf life is unknown' };
  }
  if (remaining < input.minShelfLifeDays) {
    return {
      quarantine: true,
      reason: 'insufficient_shelf_life',
      detail: `${remaining.toFixed(2)} d left < ${input.minShelfLifeDays} d required`,
    };
  }
  return {
    quarantine: false,
    reason: 'ok',
    detail: `${remaining.toFixed(2)} d left ≥ ${input.minShelfLifeDays} d required`,
  };
}

// Bad parameters are a configuration bug, not data: fail loudly rather than return NaN days.
function assertParams(p: Partial<Q10Params>): void {
  if (p.q10 !== undefined && !(Number.isFinite(p.q10) && p.q10 > 0))
    throw new RangeError(`q10 must be > 0, got ${p.q10}`);
  if (p.refTempC !== undefined && !Number.isFinite(p.refTempC))
    throw new RangeError(`refTempC must be finite, got ${p.refTempC}`);
  if (p.shelfLifeDaysAtRef !== undefined && !(Number.isFinite(p.shelfLifeDaysAtRef) && p.shelfLifeDaysAtRef > 0)) {
    throw new RangeError(`shelfLifeDaysAtRef must be > 0, got ${p.shelfLifeDaysAtRef}`);
  }
}
