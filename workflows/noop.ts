import { proxyActivities } from '@temporalio/workflow';
import type { createPlatformActivities } from '../activities/platform';

const { echo } = proxyActivities<ReturnType<typeof createPlatformActivities>>({ startToCloseTimeout: '10 seconds' });

/**
 * One activity and nothing else: the reference workflow benchmarks compare against, and the
 * smoke test that proves a worker is polling.
 */
export async function noopWorkflow(input: string): Promise<string> {
  return echo(input);
}
