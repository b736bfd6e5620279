import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import { createPlatformActivities } from './platform';

/** What activities need from the outside world; the worker wires real ones. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
}

/** Every activity the worker registers. */
export function createActivities(_deps: ActivityDeps) {
  return {
    ...createPlatformActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
