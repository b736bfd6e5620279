// Webhook delivery policy (Standard Webhooks / Svix conventions) as plain data and functions.
//
// Signing goes through the `standardwebhooks` package; HMAC is not re-implemented here.
// Verification does not call the package's `verify`, because that reads the wall clock
// (Date.now) for the 5-minute tolerance: we check the tolerance against a `now` argument and
// let the package compute the expected signature.
import { Webhook } from 'standardwebhooks';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

/** Delay before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_SCHEDULE_MS: readonly number[] = [0, 5 * SEC, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

/** A delivery counts as successful only with a 2xx status within this time. */
export const DELIVERY_TIMEOUT_MS = 15 * SEC;

/** Accepted clock difference between webhook timestamp and receiver, seconds. */
export const SIGNATURE_TOLERANCE_SEC = 5 * 60;

/**
 * Delay before the next attempt given how many attempts were already made (0 → the first
 * attempt, immediately); null when the schedule is exhausted. Throws RangeError on a negative
 * or fractional count (a caller bug).
 */
export function nextAttemptDelayMs(attemptsMade: number, schedule: readonly number[] = RETRY_SCHEDULE_MS): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) throw new RangeError(`attemptsMade must be a non-negative integer, got ${attemptsMade}`);
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
export function recordAttempt(health: EndpointHealth, outcome: { ok: boolean; at: number; exhausted: boolean }): EndpointHealth {
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
export function shouldDisableEndpoint(health: EndpointHealth, now: number, disableAfterDays = DEFAULT_DISABLE_AFTER_DAYS): boolean {
  return health.failingSince !== null && health.exhaustedMessages > 0 && now - health.failingSince > disableAfterDays * 24 * HOUR;
}

/** Event types we publish to webhook subscribers. */
export const WEBHOOK_EVENT_TYPES = ['alert.opened', 'alert.escalated', 'alert.acknowledged', 'alert.resolved', 'sensor.offline', 'sensor.online'] as const;

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
  return occurredAt === undefined ? { id, type, data } : { id, type, timestamp: new Date(occurredAt).toISOString(), data };
}

/** `webhook-signature` value (`v1,<base64>`) for a body; throws on an invalid `whsec_` secret. */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampSec * 1000), body);
}

/** The three Standard Webhooks headers for a body. */
export function webhookHeaders(secret: string, id: string, timestampSec: number, body: string): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSec), 'webhook-signature': signWebhook(secret, id, timestampSec, body) };
}

/** Outcome of verifying a received webhook. */
export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'bad_secret' | 'no_matching_signature' };

/**
 * Verifies headers (any case) against the exact body bytes as a string, with the timestamp
 * tolerance checked against `now` (epoch ms). Several space-separated signatures are allowed
 * (secret rotation); any matching `v1` one passes. Never throws.
 */
export function verifyWebhook(secret: string, headers: Readonly<Record<string, string | undefined>>, body: string, now: number, toleranceSec = SIGNATURE_TOLERANCE_SEC): VerifyResult {
  const h: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  const id = h['webhook-id'];
  const tsText = h['webhook-timestamp'];
  const sigs = h['webhook-signature'];
  if (!id || !tsText || !sigs) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(tsText)) return { ok: false, reason: 'bad_timestamp' };
  const ts = Number(tsText);
  const nowSec = Math.floor(now / 1000);
  if (nowSec - ts > toleranceSec) return { ok: false, reason: 'timestamp_too_old' };
  if (ts - nowSec > toleranceSec) return { ok: false, reason: 'timestamp_too_new' };
  let expected: string;
  try {
    expected = signWebhook(secret, id, ts, body);
  } catch {
    return { ok: false, reason: 'bad_secret' };
  }
  const match = sigs.split(' ').some((candidate) => candidate.startsWith('v1,') && constantTimeEqual(candidate, expected));
  return match ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}

// Compares without an early exit so the time taken does not reveal how many leading
// characters of a forged signature were right.
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
