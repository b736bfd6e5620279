import { releaseExpiredReservations } from '../db/orders';
import type { Db } from '../db/pool';
import { runTelemetryMaintenance } from '../iot-ingest/maintenance';
import type { TelemetryMaintenanceSummary } from '../iot-ingest/maintenance';

/** Housekeeping the maintenance schedule runs: expired reservations, telemetry rollups and retention. */
export function createMaintenanceActivities(deps: { db: Db }) {
  return {
    /** Release reservations whose time-to-live has passed. */
    async releaseExpiredReservations(): Promise<number> {
      return releaseExpiredReservations(deps.db, new Date());
    },
    /** Refresh telemetry rollups and apply retention (what continuous aggregates and policies do on the community build). */
    async telemetryMaintenance(): Promise<TelemetryMaintenanceSummary> {
      return runTelemetryMaintenance(deps.db, new Date());
    },
  };
}

/** The maintenance activities' type, for workflow code. */
export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
