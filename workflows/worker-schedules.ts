// The Temporal Schedules every worker process (and `npm start`) makes sure exist at start: the
// maintenance pass and the daily forecast run, each started on its area's task queue. Beside the
// workflows, not in platform/ or forecasting/: it names the workflows it starts.
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Config } from '../config';
import { forecastRunParamsSchema } from '../domain/forecasting/run-params';
import type { ForecastRunInput } from '../domain/forecasting/run-params';
import { forecastRunWorkflow } from './forecasting';
import { maintenanceWorkflow } from './maintenance';

/** Id of the housekeeping schedule. */
export const MAINTENANCE_SCHEDULE_ID = 'freshchain-maintenance';

/** Id of the daily forecast schedule. */
export const FORECAST_SCHEDULE_ID = 'forecast-daily';

/**
 * Create the maintenance schedule, or leave it as it is when it exists (idempotent, so every
 * process may call it at start). Runs never overlap: a slow pass makes the next one skip.
 */
export async function ensureMaintenanceSchedule(client: Client, config: Config, everyMinutes = 5): Promise<void> {
  const action: ScheduleOptionsStartWorkflowAction<typeof maintenanceWorkflow> = {
    type: 'startWorkflow',
    workflowType: maintenanceWorkflow,
    taskQueue: config.temporal.taskQueues.orders,
    args: [],
  };
  try {
    await client.schedule.create({
      scheduleId: MAINTENANCE_SCHEDULE_ID,
      spec: { intervals: [{ every: `${everyMinutes} minutes` }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // A schedule made before queues per area starts its passes on the queue it was given then.
    await client.schedule
      .getHandle(MAINTENANCE_SCHEDULE_ID)
      .update((prev) => ({ spec: prev.spec, action, policies: prev.policies, state: prev.state }));
  }
}

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
export async function ensureForecastSchedule(
  client: Client,
  config: Config,
  opts: ForecastScheduleOptions,
): Promise<{ scheduleId: string; created: boolean }> {
  if (opts.cron !== undefined && opts.every !== undefined)
    throw new Error('ensureForecastSchedule: give cron or every, not both');
  // Fail at start-up on bad parameters rather than at 02:00 in every run.
  const input = forecastRunParamsSchema.parse({ ...opts.input, horizonDays: opts.horizonDays });
  const scheduleId = opts.scheduleId ?? FORECAST_SCHEDULE_ID;
  const spec: ScheduleSpec =
    opts.every !== undefined
      ? { intervals: [{ every: opts.every }] }
      : { cronExpressions: [opts.cron ?? '0 2 * * *'], timezone: opts.timeZone ?? 'Asia/Shanghai' };
  const action: ScheduleOptionsStartWorkflowAction<typeof forecastRunWorkflow> = {
    type: 'startWorkflow',
    workflowType: forecastRunWorkflow,
    // The server appends the scheduled time, so every run gets its own id (= run id).
    workflowId: scheduleId,
    taskQueue: config.temporal.taskQueues.forecasting,
    args: [input],
    // A run stuck without a worker must end, or SKIP would skip every later run too.
    workflowExecutionTimeout: '6 hours',
  };
  const policies: { overlap: ScheduleOverlapPolicy; catchupWindow: Duration } = {
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '1 hour',
  };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const state = (prev: { state: { paused: boolean; note?: string } }) => ({
    paused: prev.state.paused,
    ...(prev.state.note ? { note: prev.state.note } : {}),
  });
  await client.schedule.getHandle(scheduleId).update((prev) => ({ spec, action, policies, state: state(prev) }));
  return { scheduleId, created: false };
}
