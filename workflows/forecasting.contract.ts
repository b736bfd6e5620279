// How the API and the schedule start a forecast run without importing the workflow code.
import type { ForecastRunInput } from '../domain/forecasting/run-params';

/** The workflow type as the worker registers it. */
export const FORECAST_RUN_WORKFLOW_TYPE = 'forecastRunWorkflow';

/** What a finished run reports (also stored as the run's summary). */
export interface ForecastRunSummary {
  runId: string;
  origin: string;
  series: number;
  seriesDropped: number;
  points: number;
  replenishment: number;
  replenishmentOrders: number;
  markdowns: number;
  slots: number;
}

/** The signature of forecastRunWorkflow, for a typed `start` by its type name. */
export type ForecastRunWorkflow = (input: ForecastRunInput) => Promise<ForecastRunSummary>;
