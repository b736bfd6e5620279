// Skeleton workflows for `npm run bench:orders`: a parent and a child per node with exactly the
// engine work of an order as counted from its history (workflow tasks, updates, signals, child
// workflows, activities, local activities) and empty bodies. Bundled separately and run on the
// bench's own worker: production's bundle (workflows/index.ts) does not contain them.
import {
  ParentClosePolicy,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { splitEvenly } from '../lib/engine-work';
import type { ChildPlan, SkeletonPlan } from '../lib/engine-work';
import type * as activities from './activities';

const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** One picker or courier action: answered once its share of the work is done. */
export const skeletonStepUpdate = defineUpdate<number>('skeletonStep');
/** A child's state to its parent (carrying nothing: only the engine work counts). */
export const skeletonStateSignal = defineSignal('skeletonState');
/** The queries the simulated picker makes of a fulfilment. */
export const skeletonViewQuery = defineQuery<number>('skeletonView');

/** The skeleton child's id: the parent's id and the child's number, as fulfilments are named. */
export function skeletonChildId(parentId: string, index: number): string {
  return `${parentId}-s${index + 1}`;
}

/** `signals` calls of `tell` after the activities (a child's state signals to its parent). */
async function doWork(
  activityCount: number,
  localCount: number,
  signals: number,
  tell: () => void = () => undefined,
): Promise<void> {
  for (let i = 0; i < localCount; i++) await local.skeletonNoop();
  for (let i = 0; i < activityCount; i++) await remote.skeletonNoop();
  for (let i = 0; i < signals; i++) tell();
}

/**
 * Records its start (a local activity, as a fulfilment records "allocated"; no signal, as a
 * fulfilment does not tell its order that), then takes `updates` step updates; each does an
 * even share of the remaining activities, local activities and signals. The signals are not
 * awaited by the step; the workflow completes once every one is acknowledged.
 */
export async function skeletonChildWorkflow(plan: ChildPlan & { parentId: string }): Promise<void> {
  const steps = Math.max(1, plan.updates);
  const startLocal = Math.min(1, plan.localActivities);
  const acts = splitEvenly(plan.activities, steps);
  const locals = splitEvenly(plan.localActivities - startLocal, steps);
  const signals = splitEvenly(plan.signalsToParent, steps);
  let started = 0;
  let done = 0;
  let reported = false;
  // Sent in order and not awaited by the step that sends them, as a fulfilment's state signals.
  let signalled: Promise<void> = Promise.resolve();
  const tell = () => {
    signalled = signalled.then(() => getExternalWorkflowHandle(plan.parentId).signal(skeletonStateSignal));
  };
  setHandler(skeletonViewQuery, () => done);
  // Registered before the start work: an update arriving meanwhile is taken, not refused. It
  // waits for the start to be recorded, as a fulfilment's first update only comes once its
  // start is recorded.
  if (plan.updates > 0) {
    setHandler(skeletonStepUpdate, async () => {
      await condition(() => reported);
      const i = started++;
      await doWork(acts[i] ?? 0, locals[i] ?? 0, signals[i] ?? 0, tell);
      return ++done;
    });
  }
  await doWork(0, startLocal, 0);
  reported = true;
  if (plan.updates === 0) await doWork(acts[0]!, locals[0]!, signals[0]!, tell);
  else await condition(() => done >= plan.updates);
  await signalled;
}

/**
 * Shaped like an order: its activities first but one per child, then per child one activity
 * and the child's start (an order joins a delivery, then starts that node's fulfilment), then
 * it waits for the children's signals (not their completion), and runs its local activities last.
 */
export async function skeletonParentWorkflow(plan: SkeletonPlan): Promise<void> {
  const id = workflowInfo().workflowId;
  let signals = 0;
  let updates = 0;
  setHandler(skeletonStateSignal, () => {
    signals++;
  });
  setHandler(skeletonStepUpdate, () => ++updates);
  const perChild = plan.parent.activities >= plan.children.length ? 1 : 0;
  await doWork(plan.parent.activities - perChild * plan.children.length, 0, 0);
  for (const [i, c] of plan.children.entries()) {
    await doWork(perChild, 0, 0);
    // As an order does: the children outlive it if need be, and it ends on their last signal.
    await startChild(skeletonChildWorkflow, {
      workflowId: skeletonChildId(id, i),
      args: [{ ...c, parentId: id }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
  await condition(() => signals >= plan.parent.signalsExpected && updates >= plan.parent.updates);
  await doWork(0, plan.parent.localActivities, 0);
}
