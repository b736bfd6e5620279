// Command line of `npm run worker`: which areas this process serves.
//   npm run worker                                  every area (or WORKER_AREAS)
//   npm run worker -- --area orders                 one area
//   npm run worker -- --area orders --area coldchain, or --area orders,coldchain
import { parseArgs } from 'node:util';
import { parseAreas } from '../config/task-queues';
import type { TaskQueueArea } from '../config/task-queues';

/** Thrown for a command line the worker does not understand; the message says what is wrong. */
export class WorkerUsageError extends Error {
  override readonly name = 'WorkerUsageError';
}

export const WORKER_USAGE =
  'usage: npm run worker [-- --area orders|coldchain|forecasting|all ...] (default: WORKER_AREAS, else every area)';

/** The areas named on the command line, or `fallback` (configuration) when none is named. */
export function areasFromArgs(argv: readonly string[], fallback: readonly TaskQueueArea[]): TaskQueueArea[] {
  let values: { area?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { area: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new WorkerUsageError(`${(err as Error).message}\n${WORKER_USAGE}`);
  }
  if (!values.area) return [...fallback];
  try {
    return parseAreas(values.area.join(','));
  } catch (err) {
    throw new WorkerUsageError(`--area: ${(err as Error).message}`);
  }
}
