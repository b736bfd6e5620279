import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../config';

/** Id of the housekeeping schedule. */
export const MAINTENANCE_SCHEDULE_ID = 'freshchain-maintenance';

/**
 * Create the maintenance schedule, or leave it as it is when it exists (idempotent, so every
 * process may call it at start). Runs never overlap: a slow pass makes the next one skip.
 */
export async function ensureMaintenanceSchedule(client: Client, config: Config, everyMinutes = 5): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: MAINTENANCE_SCHEDULE_ID,
      spec: { intervals: [{ every: `${everyMinutes} minutes` }] },
      action: { type: 'startWorkflow', workflowType: 'maintenanceWorkflow', taskQueue: config.temporal.taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
