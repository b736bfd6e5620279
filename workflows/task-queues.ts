// Workflow code's view of the task queues per area (config/task-queues.ts). Workflow code does
// not read configuration: it derives the deployment's queues from the queue it runs on, which is
// recorded in its history, so the answer is the same on every replay.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ActivityInterfaceFor, ActivityOptions } from '@temporalio/workflow';
import { taskQueuesBeside } from '../config/task-queues';
import type { TaskQueueArea } from '../config/task-queues';

/** In workflow code: the task queue of `area` in the deployment this workflow runs in. */
export function queueOf(area: TaskQueueArea): string {
  return taskQueuesBeside(workflowInfo().taskQueue)[area];
}

/**
 * `proxyActivities` on `area`'s task queue. Usable at module scope: the queue is resolved when an
 * activity is scheduled (module scope runs outside any workflow, without workflowInfo()).
 */
export function proxyAreaActivities<A>(
  area: TaskQueueArea,
  options: Omit<ActivityOptions, 'taskQueue'>,
): ActivityInterfaceFor<A> {
  return proxyActivities<A>({
    ...options,
    // Read by the SDK each time it schedules an activity, inside the running workflow.
    get taskQueue() {
      return queueOf(area);
    },
  });
}
