// Webhook delivery activities: one signed HTTP POST per attempt, logged with its outcome, and
// the endpoint's health folded in (disabling it after sustained failure).
import {
  deliveryContext,
  finishDelivery,
  lockSubscriptionHealth,
  recordDeliveryAttempt,
  saveSubscriptionHealth,
} from '../../db/webhooks';
import type { Db } from '../../db/pool';
import {
  DELIVERY_TIMEOUT_MS,
  isDeliverySuccess,
  recordAttempt,
  shouldDisableEndpoint,
} from '../../domain/coldchain/webhookPolicy';
import type { Logger } from '../../platform/logger';
import { webhookHeaders } from './signing';

/** What the webhook activities need; `fetch` can be replaced in tests. */
export interface WebhookActivityDeps {
  db: Db;
  logger: Logger;
  fetch?: typeof fetch;
}

/** Input of one attempt. */
export interface AttemptInput {
  deliveryId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** No attempt follows this one: a failure exhausts the message. */
  final: boolean;
  /**
   * The attempt's time (ms since the epoch), from the workflow: what the log records, the
   * signature's timestamp and the clock of the endpoint's health. Taken from the workflow and not
   * from this process's clock so that timers and the 5-day disable rule agree on one time, also on
   * the time-skipping test server. A retry of our own failure keeps it (seconds, within the 5 min
   * receivers tolerate).
   */
  at: number;
}

/** Outcome of one attempt. */
export interface AttemptOutcome {
  outcome: 'delivered' | 'failed' | 'skipped';
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The endpoint was disabled by this attempt. */
  disabled: boolean;
}

/** The webhook activities. */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  const doFetch = deps.fetch ?? fetch;
  return {
    /** One signed POST of the delivery's event to its endpoint (2xx within 15 s = delivered). */
    async attemptWebhookDelivery(input: AttemptInput): Promise<AttemptOutcome> {
      const ctx = await deliveryContext(deps.db.pool, input.deliveryId);
      const skipped = (error: string): AttemptOutcome => ({
        outcome: 'skipped',
        statusCode: null,
        error,
        durationMs: 0,
        disabled: false,
      });
      if (!ctx) return skipped('delivery not found');
      // An activity retried after its success was recorded must not send again.
      if (ctx.status === 'succeeded')
        return { outcome: 'delivered', statusCode: null, error: null, durationMs: 0, disabled: false };
      if (!ctx.subscription.active) {
        await finishDelivery(deps.db.pool, ctx.deliveryId, 'skipped', 'endpoint disabled or deleted');
        return skipped('endpoint disabled or deleted');
      }
      const started = input.at;
      const headers = {
        ...webhookHeaders(ctx.subscription.secret, ctx.event.id, Math.floor(started / 1000), ctx.event.body),
        'content-type': 'application/json',
        'user-agent': 'freshchain-webhooks/1',
      };
      let statusCode: number | null = null;
      let error: string | null = null;
      const t0 = performance.now();
      try {
        const res = await doFetch(ctx.subscription.url, {
          method: 'POST',
          headers,
          body: ctx.event.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        statusCode = res.status;
        await res.arrayBuffer().catch(() => undefined); // free the connection
      } catch (err) {
        const e = err as Error;
        error =
          e.name === 'TimeoutError'
            ? `no answer within ${DELIVERY_TIMEOUT_MS} ms`
            : `${e.message}${(e.cause as Error | undefined)?.message ? `: ${(e.cause as Error).message}` : ''}`;
      }
      const durationMs = performance.now() - t0;
      const ok = isDeliverySuccess(statusCode, durationMs);
      if (!ok && error === null) error = `HTTP ${statusCode}`;
      const disabled = await deps.db.transaction(async (c) => {
        await recordDeliveryAttempt(
          c,
          ctx.deliveryId,
          { attempt: input.attempt, at: started, statusCode, error, durationMs, success: ok },
          ok ? 'succeeded' : input.final ? 'failed' : 'retrying',
        );
        const current = await lockSubscriptionHealth(c, ctx.subscription.id);
        if (!current) return false;
        const health = recordAttempt(current.health, { ok, at: started, exhausted: !ok && input.final });
        const disable = !ok && !current.disabled && shouldDisableEndpoint(health, started);
        await saveSubscriptionHealth(
          c,
          ctx.subscription.id,
          health,
          disable
            ? `failing since ${new Date(health.failingSince!).toISOString()} with ${health.exhaustedMessages} message(s) exhausted`
            : null,
        );
        return disable;
      });
      if (disabled)
        deps.logger.warn({ subscriptionId: ctx.subscription.id }, 'webhook endpoint disabled after sustained failure');
      return { outcome: ok ? 'delivered' : 'failed', statusCode, error, durationMs, disabled };
    },

    /** Close a delivery whose schedule ran out without success. */
    async finishWebhookDelivery(input: {
      deliveryId: string;
      status: 'failed' | 'skipped';
      error: string;
    }): Promise<void> {
      await finishDelivery(deps.db.pool, input.deliveryId, input.status, input.error);
    },
  };
}
