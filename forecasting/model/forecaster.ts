// Forecasting from a fitted model: ŷ_t = level · P[cell(t)] · m(t), with the level updated one
// observation at a time so a backtest can roll its origin forward without refitting.
import { designMatrix, type DesignSource } from './design';
import { cellCentring, computeMultipliers } from './multipliers';
import { applyQuantiles, leadBucketSteps, spreadCellOf } from './intervals';
import { decayPerStep, levelValue, observeLevel, type LevelState } from './level';
import { timeIndex } from './timeIndex';
import type { FittedGroup, FittedModel, FittedSeries, QuantileForecast } from './types';

const NO_FEATURES: Readonly<Record<string, ArrayLike<number>>> = Object.freeze({});

// m(t) depends only on the group's coefficients and the feature source, so series of one node
// and category share it. Keyed weakly so caches vanish with their model.
const multiplierCache = new WeakMap<FittedGroup, WeakMap<object, Map<string, Float64Array>>>();

/** Multipliers m(t) for steps [0, length) of a source under a group's coefficients. */
export function groupMultipliers(
  model: FittedModel,
  group: FittedGroup,
  source: DesignSource,
  length: number,
  trainSteps: number,
): Float64Array {
  let bySource = multiplierCache.get(group);
  if (!bySource) {
    bySource = new WeakMap();
    multiplierCache.set(group, bySource);
  }
  let byKey = bySource.get(source.features);
  if (!byKey) {
    byKey = new Map();
    bySource.set(source.features, byKey);
  }
  const key = `${source.start}|${length}|${trainSteps}`;
  let m = byKey.get(key);
  if (!m) {
    const p = group.spec.columns.length;
    const centring = cellCentring(source.start, length, trainSteps, {
      ...model.options,
      recencyHalfLifeDays: group.recencyHalfLifeDays,
    });
    const x = designMatrix(group.spec, source, length, centring);
    m = new Float64Array(length);
    computeMultipliers({ x, m, length }, p, group.beta, model.options.minMultiplier);
    byKey.set(key, m);
  }
  return m;
}

export interface SeriesForecaster {
  /** Steps of history folded into the level so far. */
  readonly observed: number;
  /** Fold in the next observation (step `observed`). */
  observe(y: number): void;
  /** Forecast of step t (t ≥ observed, t < length) from the current level. */
  forecastAt(t: number): QuantileForecast;
}

/**
 * Forecaster for one fitted series over a timeline of `length` steps from the series start.
 * `features` must cover the steps to be forecast (missing values count as average weather).
 */
export function createForecaster(
  model: FittedModel,
  fitted: FittedSeries,
  features: Readonly<Record<string, ArrayLike<number>>> | undefined,
  length: number,
): SeriesForecaster {
  const opts = model.options;
  const group = model.groups.get(fitted.group);
  if (!group) throw new Error(`no fitted group ${fitted.group}`);
  const source: DesignSource = { start: fitted.start, features: features ?? NO_FEATURES };
  const m = groupMultipliers(model, group, source, length, fitted.featureSteps);
  const index = timeIndex(fitted.start, length, opts.slotsPerDay, opts.holidays, opts.holidayProfile);
  const decay = decayPerStep(group.levelHalfLifeDays, opts.slotsPerDay);
  const state: LevelState = { ...fitted.level };
  const bucketSteps = leadBucketSteps(opts.slotsPerDay);
  // Interval width of a forecast: its lead bucket's (leads past the calibrated horizon use the
  // last bucket) times its slot's or weekday's.
  const spreadAt = (t: number): number => {
    const lead = t - observed + 1;
    const b = Math.min(group.spread.lead.length - 1, Math.floor((lead - 1) / bucketSteps));
    return (
      (group.spread.lead[b] ?? 1) * (group.spread.cell[spreadCellOf(index.weekdayCell[t] ?? 0, opts.slotsPerDay)] ?? 1)
    );
  };
  let observed = fitted.nObs;
  const expectedAt = (t: number): number => {
    if (t < 0 || t >= length) throw new Error(`step ${t} outside the forecaster's timeline of ${length}`);
    return (fitted.profile[index.cell[t] ?? 0] ?? 1) * (m[t] ?? 1);
  };
  return {
    get observed() {
      return observed;
    },
    observe(y: number) {
      observeLevel(state, decay, y, expectedAt(observed), index.affected[observed] ? 0 : 1);
      observed += 1;
    },
    forecastAt(t: number) {
      if (t < observed) throw new Error(`step ${t} is already observed`);
      return applyQuantiles(levelValue(state) * expectedAt(t), fitted.residuals, fitted.scaleOffset, spreadAt(t));
    },
  };
}
