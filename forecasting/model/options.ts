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
  /** Half-life (days) of the exponentially weighted level used at forecast time. */
  readonly levelHalfLifeDays: number;
  /** Half-life (days) of the recency weights for profile and regression; Infinity = equal. */
  readonly recencyHalfLifeDays: number;
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
    levelHalfLifeDays: 14,
    // Daily histories span years and the weekly shape drifts; hourly ones are a few weeks long.
    recencyHalfLifeDays: daily ? 730 : Infinity,
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
  };
}

/** Merge user options over the defaults for their grid. */
export function resolveOptions(partial: Partial<ModelOptions> & { slotsPerDay: number }): ModelOptions {
  return { ...defaultModelOptions(partial.slotsPerDay), ...stripUndefined(partial) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
