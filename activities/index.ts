import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import { createMaintenanceActivities } from './maintenance';
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

/** Every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(),
    ...createWebhookActivities(deps),
    ...createAlertingActivities(deps),
    ...createOrderActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createPickingActivities(deps),
    ...createForecastingActivities(deps),
    ...createTransferActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
