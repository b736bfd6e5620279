// What a forecast run is started with: the contract shared by the API (POST /v1/forecasts/runs),
// the daily schedule, the workflow (as a type) and the activities that validate it again.
import { z } from 'zod';
import { ID_PATTERN } from '../coldchain/topics';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const nodeId = z
  .string()
  .regex(
    ID_PATTERN,
    'must be a node id: 1-64 letters, digits, dot, underscore or dash, starting with a letter or digit',
  );

/** Parameters of a forecast run; everything but the horizon has a default. */
export const forecastRunParamsSchema = z
  .object({
    /** Days to forecast (hourly slots: horizonDays × 24). */
    horizonDays: z.number().int().min(1).max(28),
    /** Only these nodes (default: every node with demand or stock); ids as everywhere (ID_PATTERN). */
    nodeIds: z.array(nodeId).min(1).max(1000).optional(),
    /** Days of hourly history the model is fitted on. */
    historyDays: z.number().int().min(14).max(364).default(56),
    /** Cap on node × SKU series per run; the slowest movers are left out first. */
    maxSeries: z.number().int().min(1).max(50_000).default(5000),
    /** Series per forecasting activity call (keeps each call to a second or so of CPU). */
    seriesPerChunk: z.number().int().min(1).max(5000).default(250),
    holidays: z.enum(['CN', 'US', 'none']).default('CN'),
    /** The network's wall clock (default UTC+8): hours of day, weekdays and holidays are local. */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
    /** Hours from placing a replenishment order to the goods being sellable. */
    leadTimeHours: z.number().int().min(0).max(336).default(24),
    /** Hours until the next chance to order. */
    reviewHours: z.number().int().min(1).max(336).default(24),
    serviceQuantile: z.enum(['p50', 'p90']).default('p90'),
    /** Runs (and forecast chunks) older than this many days are deleted after a successful run. */
    retainDays: z.number().int().min(7).max(3650).default(60),
    /** Forecast as of this instant instead of now (backfills, what-if); history ends there. */
    asOf: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.leadTimeHours + p.reviewHours > p.horizonDays * 24) {
      const total = p.leadTimeHours + p.reviewHours;
      const message = `leadTimeHours + reviewHours (${total}) must fit in the horizon (${p.horizonDays * 24} h)`;
      ctx.addIssue({ code: 'custom', path: ['reviewHours'], message });
    }
  });

/** What a forecast run is started with (the workflow's input). */
export type ForecastRunInput = z.input<typeof forecastRunParamsSchema>;
/** The same with defaults filled in, as stored with the run. */
export type ForecastRunParams = z.output<typeof forecastRunParamsSchema>;

/** Start of the local hour containing `ms` (a real instant), for a fixed UTC offset: a run's origin. */
export function floorToLocalHour(ms: number, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * MINUTE_MS;
  return Math.floor((ms + off) / HOUR_MS) * HOUR_MS - off;
}
