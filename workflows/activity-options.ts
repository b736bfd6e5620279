// Activity proxies of the order, fulfilment, return and transfer workflows, with their
// timeouts and retries in one place. Workflow code only (proxies work inside a workflow).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders';
import type { PickingActivities } from '../activities/picking';
import type { TransferActivities } from '../activities/transfers';

/** Database steps: short, retried from 200 ms up to every 10 s until they succeed. */
const REMOTE: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
};
/** Steps that may wait on row locks of a busy node (picking, transfers): the same retries, longer each. */
const REMOTE_SLOW: ActivityOptions = { ...REMOTE, startToCloseTimeout: '30 seconds' };
/** Bookkeeping run in the worker (events, the open-task table): retried sooner, in the same task. */
const LOCAL: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds' },
};

export const orderActivities = proxyActivities<OrderActivities>(REMOTE);
export const orderLocalActivities = proxyLocalActivities<OrderActivities>(LOCAL);
export const pickingActivities = proxyActivities<PickingActivities>(REMOTE_SLOW);
export const pickingLocalActivities = proxyLocalActivities<PickingActivities>(LOCAL);
export const transferActivities = proxyActivities<TransferActivities>(REMOTE_SLOW);
