// Standard Webhooks signatures for our deliveries and for receivers' checks.
//
// Signing goes through the `standardwebhooks` package; HMAC is not re-implemented here.
// Verification does not call the package's `verify`, because that reads the wall clock
// (Date.now) for the 5-minute tolerance: we check the tolerance against a `now` argument and
// let the package compute the expected signature.
import { Webhook } from 'standardwebhooks';

/** Accepted clock difference between webhook timestamp and receiver, seconds. */
export const SIGNATURE_TOLERANCE_SEC = 5 * 60;

/** `webhook-signature` value (`v1,<base64>`) for a body; throws on an invalid `whsec_` secret. */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampSec * 1000), body);
}

/** The three Standard Webhooks headers for a body. */
export function webhookHeaders(
  secret: string,
  id: string,
  timestampSec: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signWebhook(secret, id, timestampSec, body),
  };
}

/** Outcome of verifying a received webhook. */
export type VerifyResult =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'missing_headers'
        | 'bad_timestamp'
        | 'timestamp_too_old'
        | 'timestamp_too_new'
        | 'bad_secret'
        | 'no_matching_signature';
    };

/**
 * Verifies headers (any case) against the exact body bytes as a string, with the timestamp
 * tolerance checked against `now` (epoch ms). Several space-separated signatures are allowed
 * (secret rotation); any matching `v1` one passes. Never throws.
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  now: number,
  toleranceSec = SIGNATURE_TOLERANCE_SEC,
): VerifyResult {
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
  const match = sigs
    .split(' ')
    .some((candidate) => candidate.startsWith('v1,') && constantTimeEqual(candidate, expected));
  return match ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}

// Compares without an early exit so the time taken does not reveal how many leading
// characters of a forged signature were right.
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
