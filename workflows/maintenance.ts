import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';

const acts = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } });

/** One maintenance pass, started by the `maintenance` schedule every few minutes. */
export async function maintenanceWorkflow(): Promise<{ releasedReservations: number; telemetry: Awaited<ReturnType<MaintenanceActivities['telemetryMaintenance']>> }> {
  const releasedReservations = await acts.releaseExpiredReservations();
  const telemetry = await acts.telemetryMaintenance();
  return { releasedReservations, telemetry };
}
