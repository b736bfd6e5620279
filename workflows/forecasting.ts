// One forecast run: register it and its series, forecast them chunk by chunk (each chunk one
// activity call of about a second of CPU, heartbeating), derive planning suggestions node by
// node, close the run. The daily Temporal Schedule (workflows/worker-schedules.ts) and
// POST /v1/forecasts/runs start it on the forecasting queue; the run id is the workflow id.
import { ActivityFailure, CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/workflow';
import type { createForecastingActivities } from '../activities/forecasting';
import type { ForecastRunInput } from '../domain/forecasting/run-params';
import type { ForecastRunSummary } from './forecasting.contract';
import { proxyAreaActivities } from './task-queues';

type Acts = ReturnType<typeof createForecastingActivities>;

const retry: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 5,
  nonRetryableErrorTypes: ['InvalidForecastRunInput', 'UnknownForecastRun', 'IncompleteForecast'],
};
// Named, not defaulted to the workflow's own queue: the CPU-heavy chunks go to the forecasting
// workers even for a run started on another queue (before queues per area, that was orders').
const light = proxyAreaActivities<Acts>('forecasting', { startToCloseTimeout: '2 minutes', retry });
// A chunk is ~250 series: well under a second of model CPU plus its reads and writes. The
// heartbeat timeout notices a dead worker long before the start-to-close timeout would.
const heavy = proxyAreaActivities<Acts>('forecasting', {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 3 },
});

/** Group nodes (in order) so each planning call holds about `target` series; a bigger node goes alone. */
export function packNodes(nodes: readonly { nodeId: string; series: number }[], target: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const n of nodes) {
    if (current.length > 0 && size + n.series > target) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(n.nodeId);
    size += n.series;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** Forecast demand per node × SKU × hourly slot, then store replenishment, markdown and wave-capacity suggestions. */
export async function forecastRunWorkflow(input: ForecastRunInput): Promise<ForecastRunSummary> {
  const runId = workflowInfo().workflowId;
  const plan = await light.startForecastRun({ runId, input });
  try {
    let series = 0;
    let points = 0;
    for (let from = 0; from < plan.seriesCount; from += plan.seriesPerChunk) {
      const done = await heavy.forecastRunChunk({
        runId,
        fromIdx: from,
        toIdx: Math.min(from + plan.seriesPerChunk, plan.seriesCount),
      });
      series += done.series;
      points += done.points;
    }
    const planned = { replenishment: 0, replenishmentOrders: 0, markdowns: 0, slots: 0 };
    for (const nodeIds of packNodes(plan.nodes, plan.seriesPerChunk)) {
      const r = await heavy.planForecastNodes({ runId, nodeIds });
      planned.replenishment += r.replenishment;
      planned.replenishmentOrders += r.orders;
      planned.markdowns += r.markdowns;
      planned.slots += r.slots;
    }
    const summary: ForecastRunSummary = {
      runId,
      origin: new Date(plan.origin).toISOString(),
      series,
      seriesDropped: plan.seriesDropped,
      points,
      ...planned,
    };
    await light.finishForecastRun({ runId, status: 'succeeded', summary: { ...summary } });
    return summary;
  } catch (err) {
    // Record the failure (even when the run was cancelled), then fail the workflow with the error.
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    await CancellationScope.nonCancellable(() =>
      light.finishForecastRun({ runId, status: 'failed', error: message }),
    ).catch(() => undefined);
    throw err;
  }
}
