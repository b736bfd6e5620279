// Durable delivery of one webhook event to one endpoint: single-attempt activities separated
// by workflow sleeps along the Svix-like schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 10 h). The timer lives in Temporal, so a worker restart neither loses nor repeats an
// attempt, and the `webhook-id` (the event id) is the same on every attempt.
import { ActivityFailure, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/workflow';
import type { createWebhookActivities } from '../coldchain/webhooks/delivery';
import { nextAttemptDelayMs } from '../domain/coldchain/webhookPolicy';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from './webhook-delivery.contract';

// Retries here cover our own failures (database down); the endpoint's failures are results.
const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 5,
};
// The attempt is a local activity: it runs in the worker that runs the workflow, without a
// round trip through the server's activity queue (about half the start-to-receipt latency on
// the dev server). One HTTP POST of at most 15 s plus a log write is short enough for that.
const { attemptWebhookDelivery } = proxyLocalActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '45 seconds',
  retry,
});
const { finishWebhookDelivery } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '30 seconds',
  retry,
});

/** Deliver one event to one subscription, retrying on the schedule. */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  let attempts = 0;
  let lastStatusCode: number | null = null;
  for (let delay = nextAttemptDelayMs(0); delay !== null; delay = nextAttemptDelayMs(attempts)) {
    if (delay > 0) await sleep(delay);
    attempts++;
    const final = nextAttemptDelayMs(attempts) === null;
    try {
      // The attempt's time is the workflow's: a local activity reads the wall clock, which on
      // the time-skipping test server is not the time the timers ran on.
      const r = await attemptWebhookDelivery({
        deliveryId: input.deliveryId,
        attempt: attempts,
        final,
        at: Date.now(),
      });
      lastStatusCode = r.statusCode;
      if (r.outcome === 'delivered') return { status: 'succeeded', attempts, lastStatusCode };
      if (r.outcome === 'skipped') return { status: 'skipped', attempts, lastStatusCode };
    } catch (err) {
      // Our side failed even after the activity's own retries: count it as a failed attempt.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
  await finishWebhookDelivery({ deliveryId: input.deliveryId, status: 'failed', error: 'retry schedule exhausted' });
  return { status: 'failed', attempts, lastStatusCode };
}
