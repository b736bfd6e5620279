import { patched, proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';

const acts = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } });

/** One maintenance pass, started by the `maintenance` schedule every few minutes. */
export async function maintenanceWorkflow(): Promise<{
  releasedReservations: number;
  telemetry: Awaited<ReturnType<MaintenanceActivities['telemetryMaintenance']>>;
  personalData?: Awaited<ReturnType<MaintenanceActivities['erasePersonalDataPastRetention']>>;
}> {
  const releasedReservations = await acts.releaseExpiredReservations();
  // Before telemetry, so a failing telemetry step never holds back erasure. Runs recorded
  // before this step existed replay without it.
  const personalData = patched('pii-retention') ? await acts.erasePersonalDataPastRetention() : undefined;
  const telemetry = await acts.telemetryMaintenance();
  return { releasedReservations, telemetry, ...(personalData ? { personalData } : {}) };
}
