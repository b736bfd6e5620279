import { patched } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';
import { PII_RETENTION_PATCH, SHORTFALL_RELAY_PATCH } from './patches';
import { proxyAreaActivities } from './task-queues';

// Each step on the queue of the area whose data it keeps: reservations and personal data are
// the orders area's, the telemetry aggregates the cold chain's.
const options = { startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } } as const;
const orders = proxyAreaActivities<MaintenanceActivities>('orders', options);
const coldchain = proxyAreaActivities<MaintenanceActivities>('coldchain', options);

/** One maintenance pass, started by the `maintenance` schedule every few minutes on the orders queue. */
export async function maintenanceWorkflow(): Promise<{
  releasedReservations: number;
  telemetry: Awaited<ReturnType<MaintenanceActivities['telemetryMaintenance']>>;
  personalData?: Awaited<ReturnType<MaintenanceActivities['erasePersonalDataPastRetention']>>;
  stockShortfalls?: Awaited<ReturnType<MaintenanceActivities['relayStockShortfalls']>>;
}> {
  const releasedReservations = await orders.releaseExpiredReservations();
  // Before telemetry, so a failing telemetry step never holds back erasure. Runs recorded
  // before this step existed replay without it.
  const personalData = patched(PII_RETENTION_PATCH) ? await orders.erasePersonalDataPastRetention() : undefined;
  // Signals a stock count or sale committed but the API did not send (docs/orders.md, "Stock truth").
  const stockShortfalls = patched(SHORTFALL_RELAY_PATCH) ? await orders.relayStockShortfalls() : undefined;
  const telemetry = await coldchain.telemetryMaintenance();
  return {
    releasedReservations,
    telemetry,
    ...(personalData ? { personalData } : {}),
    ...(stockShortfalls ? { stockShortfalls } : {}),
  };
}
