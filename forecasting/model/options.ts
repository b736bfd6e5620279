// Model options with defaults. Defaults were tuned on the Chicago backtest (daily) and the
// synthetic hourly grocery data; see docs/forecasting.md.
import type { HolidayRegion } from '../holidays';

export interface ModelOptions {
  /** Slots per day: 1 for daily data, 24 for hourly, 48 for 30-minute slots. */
  readonly slotsPerDay: number;
  /** Holiday calendar used for holiday, around-holiday and make-up-workday features. */
  readonly holidays: HolidayRegion;
  /** Steps ahead the prediction intervals are calibrated for (the forecast horizon). */
  readonly horizon: number;
  /** Feature columns to use; default: every column the series carry. */
  readonly features?: readonly string[];
  /**
   * Half-life (days) of the exponentially weighted level used at forecast time; 'auto' = the one
   * of LEVEL_HALF_LIFE_CANDIDATES with the least error on the calibration hold-out, per group.
   */
  readonly levelHalfLifeDays: number | 'auto';
  /**
   * Half-life (days) of the recency weights for profile and regression; Infinity = equal; 'auto' =
   * 730 for daily data; for sub-daily data with ≥ 12 weeks of history, per group, either 14 days
   * with the sub-daily weather terms or Infinity without them, whichever forecasts the calibration
   * hold-out better (a daily shape that moves with the season wants the first, stationary hourly
   * counts the second); else Infinity.
   */
  readonly recencyHalfLifeDays: number | 'auto';
  /** Window (days) of the centred level used while fitting; 'auto' = half the history, within 28–364. */
  readonly trendWindowDays: number | 'auto';
  /** Pooling strength κ in expected units: a series slot with E expected units keeps E/(E+κ) of its own profile. */
  readonly pooling: number;
  /** Ridge penalty in pseudo-rows of typical weight (shrinks rare holiday columns toward 0). */
  readonly ridge: number;
  /** Knots for features, in feature units; features not listed get knots at quantiles. */
  readonly knots: Readonly<Record<string, readonly number[]>>;
  /** Quantiles where automatic knots go. */
  readonly autoKnotQuantiles: readonly number[];
  /** Annual Fourier harmonics; 'auto' = 4 with ≥ 2 years of history, else 0. */
  readonly annualHarmonics: number | 'auto';
  /** Annual harmonics applied to weekends only; 'auto' = 2 with ≥ 2 years of history, else 0. */
  readonly weekendAnnualHarmonics: number | 'auto';
  /** Intraday/day profile used on holidays: the weekend average or the day's own weekday. */
  readonly holidayProfile: 'weekend' | 'own';
  /** Centre weather columns per weekly profile cell (profile = typical weather, m = deviation). */
  readonly centreFeaturesByCell: boolean;
  /** Variance power for regression weights: 0 = constant, 1 = Poisson-like, 2 = constant CV. */
  readonly variancePower: number;
  /** Back-fitting iterations (level → profile → coefficients). */
  readonly iterations: number;
  /**
   * Days at the end of the training data whose out-of-sample residuals calibrate the intervals
   * (at most half the history). Longer windows see more weather episodes and level shifts.
   */
  readonly calibrationDays: number;
  /** A holiday / observance name needs this many training occurrences to get its own column. */
  readonly minNamedCount: number;
  /**
   * Time-of-day blocks for weather × time-of-day terms (sub-daily grids); 'auto' = 6 blocks
   * (4 hours each on an hourly grid) with ≥ 12 weeks of history when the group's recency choice
   * finds it drifting (see recencyHalfLifeDays), else 1 (no such terms).
   */
  readonly featureDayBlocks: number | 'auto';
  /**
   * Steps of a trailing mean of each feature, added as a feature of its own (heating follows the
   * last day's temperature, not this half-hour's); 'auto' = a day of slots under the same
   * conditions as featureDayBlocks, else 0 (none).
   */
  readonly trailingFeatureSteps: number | 'auto';
  /** Lower bound of the multiplicative adjustment (keeps forecasts positive). */
  readonly minMultiplier: number;
}

/** Defaults for a grid; callers override what they need. */
export function defaultModelOptions(slotsPerDay: number): ModelOptions {
  const daily = slotsPerDay === 1;
  return {
    slotsPerDay,
    holidays: 'none',
    horizon: 7 * slotsPerDay,
    levelHalfLifeDays: 'auto',
    // Daily histories span years and the weekly shape drifts; sub-daily shapes drift with daylight
    // and heating over months (resolved in fitModel from the history's length).
    recencyHalfLifeDays: 'auto',
    trendWindowDays: 'auto',
    pooling: 20,
    ridge: 1,
    knots: {},
    autoKnotQuantiles: [0.25, 0.5, 0.75],
    annualHarmonics: 'auto',
    weekendAnnualHarmonics: 'auto',
    holidayProfile: 'own',
    centreFeaturesByCell: true,
    // Hourly SKU counts are Poisson-like; daily totals (Chicago) behave closer to constant variance.
    variancePower: daily ? 0 : 1,
    iterations: 3,
    calibrationDays: daily ? 273 : 91,
    minNamedCount: 2,
    minMultiplier: 0.05,
    featureDayBlocks: 'auto',
    trailingFeatureSteps: 'auto',
  };
}

/**
 * Level half-lives tried on the calibration hold-out: a few days for high-volume series whose
 * level moves with the season (electricity in spring), two weeks for noisy counts.
 */
export const LEVEL_HALF_LIFE_CANDIDATES: readonly number[] = [3.5, 7, 14];

/** Options once fitModel has resolved what depends on the data. */
export type ResolvedModelOptions = ModelOptions & { readonly recencyHalfLifeDays: number };

/** Recency half-lives tried per group on long sub-daily histories (see recencyHalfLifeDays). */
export const RECENCY_HALF_LIFE_CANDIDATES: readonly number[] = [14, Infinity];

/** Merge user options over the defaults for their grid. */
export function resolveOptions(partial: Partial<ModelOptions> & { slotsPerDay: number }): ModelOptions {
  return { ...defaultModelOptions(partial.slotsPerDay), ...stripUndefined(partial) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
