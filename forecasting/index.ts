// Public API of the forecasting engine. Everything here is pure (plain data in and out) except
// the CLI, which lives in forecasting/cli and is not exported.
export { forecastSeries, forecastBatch, fitBatch } from './api';
export type { ForecastOptions, ForecastPoint, BatchSeries, SeriesHistory } from './api';
export { holidayCalendar } from './holidays';
export type { HolidayCalendar, HolidayRegion, DayInfo } from './holidays';
export { mae, wape, mase, bias, coverage, seasonalNaiveScale } from './metrics';
export type { Metrics } from './metrics';
export { seasonalNaiveForecast, meanLastSameSlotsForecast, holtWintersForecastSeries } from './baselines';
export { replenishmentSuggestion } from './planning/replenishment';
export type { ReplenishmentInput, ReplenishmentSuggestion } from './planning/replenishment';
export { markdownSuggestion } from './planning/markdown';
export type { Lot, MarkdownInput, MarkdownSuggestion } from './planning/markdown';
export { expectedOrdersPerSlot } from './planning/waves';
export type { SlotForecast, SlotOrders } from './planning/waves';
export type { QuantilePoint } from './planning/quantiles';
export { coefficients, featureEffect, calendarEffect } from './model/explain';
export type { FittedModel, ModelSeries, QuantileForecast } from './model/types';
export type { ModelOptions } from './model/options';
export { generateGroceryDemand } from './synthetic';
export type { SyntheticData, SyntheticOptions, SyntheticSeries, SyntheticEffects } from './synthetic';
