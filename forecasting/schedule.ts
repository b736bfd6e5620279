// The daily forecast run as a Temporal Schedule. Not part of the pure engine: this is the one
// file under forecasting/ that talks to a server (through the client it is given).
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { forecastRunParamsSchema } from '../activities/forecasting';
import type { ForecastRunInput } from '../activities/forecasting';
import type { Config } from '../config';
import { forecastRunWorkflow } from '../workflows/forecasting';

/** Id of the daily forecast schedule. */
export const FORECAST_SCHEDULE_ID = 'forecast-daily';

/** When and how the scheduled run goes. Give `cron` or `every`, not both (default: cron 02:00). */
export interface ForecastScheduleOptions {
  /** Cron expression in `timeZone`, e.g. '0 2 * * *' (the default). */
  cron?: string;
  /** An interval instead, e.g. '24 hours' or '6h'. */
  every?: Duration;
  horizonDays: number;
  /** IANA zone the cron expression is read in; default Asia/Shanghai. */
  timeZone?: string;
  /** Default FORECAST_SCHEDULE_ID. */
  scheduleId?: string;
  /** Further run parameters (nodeIds, historyDays, maxSeries, …), validated here. */
  input?: Omit<ForecastRunInput, 'horizonDays'>;
}

/**
 * Create the forecast schedule, or bring an existing one up to these options (idempotent: every
 * process may call it at start). Runs never overlap: while one runs, the next is skipped. A
 * paused schedule stays paused. Returns whether it was created.
 */
export async function ensureForecastSchedule(client: Client, config: Config, opts: ForecastScheduleOptions): Promise<{ scheduleId: string; created: boolean }> {
  if (opts.cron !== undefined && opts.every !== undefined) throw new Error('ensureForecastSchedule: give cron or every, not both');
  // Fail at start-up on bad parameters rather than at 02:00 in every run.
  const input = forecastRunParamsSchema.parse({ ...opts.input, horizonDays: opts.horizonDays });
  const scheduleId = opts.scheduleId ?? FORECAST_SCHEDULE_ID;
  const spec: ScheduleSpec = opts.every !== undefined
    ? { intervals: [{ every: opts.every }] }
    : { cronExpressions: [opts.cron ?? '0 2 * * *'], timezone: opts.timeZone ?? 'Asia/Shanghai' };
  const action: ScheduleOptionsStartWorkflowAction<typeof forecastRunWorkflow> = {
    type: 'startWorkflow',
    workflowType: forecastRunWorkflow,
    // The server appends the scheduled time, so every run gets its own id (= run id).
    workflowId: scheduleId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    // A run stuck without a worker must end, or SKIP would skip every later run too.
    workflowExecutionTimeout: '6 hours',
  };
  const policies: { overlap: ScheduleOverlapPolicy; catchupWindow: Duration } = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((prev) => ({ spec, action, policies, state: { paused: prev.state.paused, ...(prev.state.note ? { note: prev.state.note } : {}) } }));
  return { scheduleId, created: false };
}
