// The deployment's task queues, one per area, so CPU-heavy forecast chunks, order work and cold-
// chain deliveries never wait behind each other. Pure (no imports): config derives the map from
// TEMPORAL_TASK_QUEUE_PREFIX, and workflow code derives the same map from the queue it runs on,
// so a workflow names its activities' queue without reading configuration.

/** The areas that each have a task queue, a set of activities and a worker startable alone. */
export const TASK_QUEUE_AREAS = ['orders', 'coldchain', 'forecasting'] as const;
export type TaskQueueArea = (typeof TASK_QUEUE_AREAS)[number];

/** The task queue of every area. */
export type TaskQueues = Readonly<Record<TaskQueueArea, string>>;

/** Queues are `freshchain-orders`, `freshchain-coldchain`, `freshchain-forecasting` by default. */
export const DEFAULT_TASK_QUEUE_PREFIX = 'freshchain';

/** `<prefix>-orders`, `<prefix>-coldchain`, `<prefix>-forecasting`. */
export function taskQueuesFor(prefix: string): TaskQueues {
  return Object.freeze({
    orders: `${prefix}-orders`,
    coldchain: `${prefix}-coldchain`,
    forecasting: `${prefix}-forecasting`,
  });
}

/** The area a queue name is the queue of (`<prefix>-<area>` with a non-empty prefix), if any. */
export function areaOfQueue(queue: string): TaskQueueArea | undefined {
  return TASK_QUEUE_AREAS.find((area) => queue.length > area.length + 1 && queue.endsWith(`-${area}`));
}

/**
 * The queues of the deployment a queue belongs to: `<p>-<area>` belongs to prefix `<p>`; any other
 * name is a single queue that holds every area (the layout before queues per area, and throwaway
 * test queues). A fixed point: the map of any queue in the result is the result.
 */
export function taskQueuesBeside(queue: string): TaskQueues {
  const area = areaOfQueue(queue);
  if (area) return taskQueuesFor(queue.slice(0, -(area.length + 1)));
  return Object.freeze({ orders: queue, coldchain: queue, forecasting: queue });
}

/** Thrown for a list of areas that names no area or one that does not exist. */
export class UnknownAreaError extends Error {
  override readonly name = 'UnknownAreaError';
}

/**
 * Parse a comma-separated list of areas (`orders,forecasting`; `all` for every one). Order and
 * duplicates do not matter; the result is in TASK_QUEUE_AREAS order.
 */
export function parseAreas(list: string): TaskQueueArea[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw new UnknownAreaError(`names no area: expected some of ${TASK_QUEUE_AREAS.join(', ')} or all`);
  if (names.length === 1 && names[0] === 'all') return [...TASK_QUEUE_AREAS];
  const unknown = names.filter((n) => !(TASK_QUEUE_AREAS as readonly string[]).includes(n));
  if (unknown.length) {
    const shown = unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ');
    throw new UnknownAreaError(`unknown area ${shown}: expected some of ${TASK_QUEUE_AREAS.join(', ')} or all`);
  }
  return TASK_QUEUE_AREAS.filter((a) => names.includes(a));
}
