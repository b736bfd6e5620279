import { config } from '../config';
import { erasePersonalDataPastRetention } from '../db/customers';
import { releaseExpiredReservations } from '../db/orders';
import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import { runTelemetryMaintenance } from '../iot-ingest/maintenance';
import type { TelemetryMaintenanceSummary } from '../iot-ingest/maintenance';
import { createStockShortfallActivities } from './stock-shortfalls';

type MaintenanceDeps = { db: Db; logger?: Logger; piiRetentionDays?: number };

/** The orders area's housekeeping: expired reservations, personal data past retention, the shortfall relay. */
export function createOrderMaintenanceActivities(deps: MaintenanceDeps) {
  return {
    ...createStockShortfallActivities(deps),
    /** Erase personal data of orders finished longer ago than PII_RETENTION_DAYS (docs/privacy.md). */
    async erasePersonalDataPastRetention(): Promise<{ orders: number; customers: number }> {
      const days = deps.piiRetentionDays ?? config().pii.retentionDays;
      return erasePersonalDataPastRetention(deps.db, {
        finishedBefore: new Date(Date.now() - days * 86_400_000),
        batch: 1000,
        actor: 'system:retention',
      });
    },
    /** Release reservations whose time-to-live has passed. */
    async releaseExpiredReservations(): Promise<number> {
      const { released, unbalancedLots } = await releaseExpiredReservations(deps.db, new Date());
      if (unbalancedLots.length)
        deps.logger?.warn(
          { lotIds: unbalancedLots },
          'lots held fewer units than their expired reservations; reserved set to 0 for the difference',
        );
      return released;
    },
  };
}

/** The cold chain's housekeeping: late readings into the telemetry aggregates. */
export function createTelemetryMaintenanceActivities(deps: MaintenanceDeps) {
  return {
    /**
     * Bring readings that arrived after their bucket left the aggregates' refresh policy into
     * the aggregates (compression, retention and trailing refreshes are TimescaleDB jobs).
     */
    async telemetryMaintenance(): Promise<TelemetryMaintenanceSummary> {
      return runTelemetryMaintenance(deps.db, new Date());
    },
  };
}

/** Every step the maintenance schedule runs, whichever area's worker registers it. */
export function createMaintenanceActivities(deps: MaintenanceDeps) {
  return { ...createOrderMaintenanceActivities(deps), ...createTelemetryMaintenanceActivities(deps) };
}

/** The maintenance activities' type, for workflow code. */
export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
