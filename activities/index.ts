import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import type { TaskQueueArea } from '../config/task-queues';
import { createOrderMaintenanceActivities, createTelemetryMaintenanceActivities } from './maintenance';
import { createOrderActivities } from './orders';
import { createPlatformActivities } from './platform';
import { createAlertingActivities } from './alerting';
import { createWebhookActivities } from '../coldchain';
import { createPickingActivities } from './picking';
import { createForecastingActivities } from './forecasting';
import { createTransferActivities } from './transfers';

/** What activities need from the outside world; the worker wires real ones. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
}

/** The activities each area's worker registers on that area's task queue (config/task-queues.ts). */
const AREA_ACTIVITIES = {
  orders: (deps: ActivityDeps) => ({
    ...createOrderActivities(deps),
    ...createPickingActivities(deps),
    ...createTransferActivities(deps),
    ...createOrderMaintenanceActivities(deps),
  }),
  coldchain: (deps: ActivityDeps) => ({
    ...createAlertingActivities(deps),
    ...createWebhookActivities(deps),
    ...createTelemetryMaintenanceActivities(deps),
  }),
  forecasting: (deps: ActivityDeps) => createForecastingActivities(deps),
} satisfies Record<TaskQueueArea, (deps: ActivityDeps) => object>;

/**
 * The activities of some areas (one area's worker, or several sharing a queue). The platform's
 * own (echo) come with every area, so a smoke workflow proves any worker is polling.
 */
export function createAreaActivities(areas: readonly TaskQueueArea[], deps: ActivityDeps): Record<string, unknown> {
  return Object.assign({}, createPlatformActivities(), ...areas.map((area) => AREA_ACTIVITIES[area](deps)));
}

/** Every activity of every area: the type workflow tests fake. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(),
    ...AREA_ACTIVITIES.orders(deps),
    ...AREA_ACTIVITIES.coldchain(deps),
    ...AREA_ACTIVITIES.forecasting(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
