// Work a committed transaction leaves for after the commit: delivery workflows to start and
// orders to signal. Both are also rows in the database (the outbox), so a crash between the
// commit and the start loses nothing: the sweep picks them up.
import type { PendingDelivery } from '../db/webhooks';

/** What to do after a commit. */
export interface Outbox {
  deliveries: PendingDelivery[];
  /** Alerts that recorded new order impacts (orders to signal). */
  signalAlertIds: string[];
}

/** An outbox with nothing in it. */
export function emptyOutbox(): Outbox {
  return { deliveries: [], signalAlertIds: [] };
}

/** Append `from` to `into` (mutates and returns `into`). */
export function mergeOutbox(into: Outbox, from: Outbox): Outbox {
  into.deliveries.push(...from.deliveries);
  for (const id of from.signalAlertIds) if (!into.signalAlertIds.includes(id)) into.signalAlertIds.push(id);
  return into;
}
