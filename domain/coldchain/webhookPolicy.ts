// Webhook delivery policy (Standard Webhooks / Svix conventions) as plain data and functions:
// retry schedule, success rule, endpoint health, event envelope. No library and no clock, so
// the delivery workflow imports it; signing lives in coldchain/webhooks/signing.ts.

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

/** Delay before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SEC,
  5 * MIN,
  30 * MIN,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

/** A delivery counts as successful only with a 2xx status within this time. */
export const DELIVERY_TIMEOUT_MS = 15 * SEC;

/**
 * Delay before the next attempt given how many attempts were already made (0 → the first
 * attempt, immediately); null when the schedule is exhausted. Throws RangeError on a negative
 * or fractional count (a caller bug).
 */
export function nextAttemptDelayMs(
  attemptsMade: number,
  schedule: readonly number[] = RETRY_SCHEDULE_MS,
): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0)
    throw new RangeError(`attemptsMade must be a non-negative integer, got ${attemptsMade}`);
  return schedule[attemptsMade] ?? null;
}

/** True for a 2xx answer received within the delivery timeout. */
export function isDeliverySuccess(status: number | null, durationMs: number): boolean {
  return status !== null && status >= 200 && status < 300 && durationMs <= DELIVERY_TIMEOUT_MS;
}

/** What we remember about an endpoint's recent deliveries. */
export interface EndpointHealth {
  /** First failure since the last success; null while healthy. */
  failingSince: number | null;
  /** Messages that exhausted every attempt since `failingSince`. */
  exhaustedMessages: number;
  lastSuccessAt: number | null;
}

/** Healthy endpoint with no history. */
export const HEALTHY_ENDPOINT: EndpointHealth = { failingSince: null, exhaustedMessages: 0, lastSuccessAt: null };

/** Folds one attempt's outcome into the endpoint's health. */
export function recordAttempt(
  health: EndpointHealth,
  outcome: { ok: boolean; at: number; exhausted: boolean },
): EndpointHealth {
  if (outcome.ok) return { failingSince: null, exhaustedMessages: 0, lastSuccessAt: outcome.at };
  return {
    failingSince: health.failingSince ?? outcome.at,
    exhaustedMessages: health.exhaustedMessages + (outcome.exhausted ? 1 : 0),
    lastSuccessAt: health.lastSuccessAt,
  };
}

/** Days of uninterrupted failure after which an endpoint is disabled (Svix uses 5). */
export const DEFAULT_DISABLE_AFTER_DAYS = 5;

/**
 * Disable an endpoint when it has failed without a single success for more than
 * `disableAfterDays` and at least one message has exhausted all its attempts (so a short
 * outage, which retries ride out, never disables it).
 */
export function shouldDisableEndpoint(
  health: EndpointHealth,
  now: number,
  disableAfterDays = DEFAULT_DISABLE_AFTER_DAYS,
): boolean {
  return (
    health.failingSince !== null &&
    health.exhaustedMessages > 0 &&
    now - health.failingSince > disableAfterDays * 24 * HOUR
  );
}

/** Event types we publish to webhook subscribers. */
export const WEBHOOK_EVENT_TYPES = [
  'alert.opened',
  'alert.escalated',
  'alert.acknowledged',
  'alert.resolved',
  'sensor.offline',
  'sensor.online',
] as const;

/** One of the published event types. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Payload body of a webhook: `{id, type, timestamp?, data}`. */
export interface WebhookEnvelope<T> {
  id: string;
  type: WebhookEventType;
  timestamp?: string;
  data: T;
}

/**
 * Builds the envelope. `id` must be stable across retries (it is also the `webhook-id`
 * header, which receivers use to deduplicate); derive it from the rule event id.
 */
export function webhookEvent<T>(type: WebhookEventType, data: T, id: string, occurredAt?: number): WebhookEnvelope<T> {
  return occurredAt === undefined
    ? { id, type, data }
    : { id, type, timestamp: new Date(occurredAt).toISOString(), data };
}
