// Stable webhook event ids. The rule engine's event ids are deterministic (sensor, rule,
// episode start), so hashing them gives a `webhook-id` that is the same however often a
// reading is re-processed: receivers deduplicate on it, and we insert events ON CONFLICT DO
// NOTHING. Hashing keeps sensor ids and timestamps out of the id itself.
import { createHash } from 'node:crypto';

/** `msg_` + 32 hex characters of SHA-256 over the source key. */
export function webhookEventId(sourceKey: string): string {
  return `msg_${createHash('sha256').update(sourceKey).digest('hex').slice(0, 32)}`;
}

/** Id of the event a person's action on an alert publishes (each happens once per alert). */
export function alertActionEventId(alertId: string, action: 'acknowledged' | 'resolved'): string {
  return webhookEventId(`${alertId}:${action}`);
}

/** Id of a time-based escalation step (one per alert, severity and level). */
export function escalationEventId(alertId: string, severity: string, level: number): string {
  return webhookEventId(`${alertId}:escalation:${severity}:${level}`);
}
