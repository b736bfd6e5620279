// Plain-data shapes of the model: what goes in, what a fit produces.
import type { DesignSpec } from './design';
import type { LevelState } from './level';
import type { ResolvedModelOptions } from './options';

/** One demand series (node × SKU × slot grid) as the model sees it. */
export interface ModelSeries {
  readonly id: string;
  /** Pooling group, e.g. the SKU's category; defaults to the id (no pooling). */
  readonly group?: string;
  /** Wall-clock epoch ms of values[0]; must sit on the grid (slot 0 = midnight). */
  readonly start: number;
  /** Observed demand, one value per step, no gaps. */
  readonly values: ArrayLike<number>;
  /**
   * Numeric feature columns (weather…), indexed like values but may run past the history into
   * the forecast steps. Series of one node can share the same object (and save the work).
   */
  readonly features?: Readonly<Record<string, ArrayLike<number>>>;
}

/** Empirical quantiles of standardised residuals (y − ŷ) / ((ŷ + scaleOffset) · spread). */
export interface ResidualQuantiles {
  readonly q10: number;
  readonly q50: number;
  readonly q90: number;
}

/** Relative residual spread (1 = average) of a pooling group, per lead bucket and per cell. */
export interface IntervalSpread {
  /** Per lead bucket: leads 1..S, S+1..2S, … on sub-daily grids (S slots a day); per lead on daily ones. */
  readonly lead: Float64Array;
  /** Per slot of day on sub-daily grids, per weekday (Monday = 0) on daily ones. */
  readonly cell: Float64Array;
}

export interface FittedSeries {
  readonly id: string;
  readonly group: string;
  readonly start: number;
  /** Steps of history the fit used. */
  readonly nObs: number;
  /** Training steps of the series' feature source (defines the weather cell means). */
  readonly featureSteps: number;
  /** 9 rows × slotsPerDay multipliers: Mon…Sun, holiday, make-up workday. */
  readonly profile: Float64Array;
  /** Level after the last observation (copied by each forecaster). */
  readonly level: Readonly<LevelState>;
  readonly residuals: ResidualQuantiles;
  readonly scaleOffset: number;
}

export interface FittedGroup {
  readonly spec: DesignSpec;
  readonly beta: Float64Array;
  /** Weekday profile of the whole group, before per-series shrinkage. */
  readonly groupProfile: Float64Array;
  /** Interval width by lead and by slot/weekday, from the group's out-of-sample residuals. */
  readonly spread: IntervalSpread;
  /** Half-life (days) of the forecaster's trailing level, chosen on the calibration hold-out. */
  readonly levelHalfLifeDays: number;
  /** Half-life (days) of the profile's recency weights (and of the weather's cell centring). */
  readonly recencyHalfLifeDays: number;
}

export interface FittedModel {
  readonly options: ResolvedModelOptions;
  readonly groups: ReadonlyMap<string, FittedGroup>;
  readonly series: readonly FittedSeries[];
}

/** Forecast of one step. `mean` is the point forecast; p10/p50/p90 come from residual quantiles. */
export interface QuantileForecast {
  readonly mean: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
}
