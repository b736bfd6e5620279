// Public surface of the cold-chain area (alert rules, lifecycle, quarantine, reports, webhooks)
// for the API, the activities and the process entry points. Modules inside the area import each
// other directly; code outside imports this file only.
export { actOnAlert } from './alertStore';
export type { ActionResult } from './alertStore';
export { startAlertingAlongside } from './alongside';
export { DEFAULT_ESCALATION } from './escalation';
export { emptyOutbox, mergeOutbox } from './outboxTypes';
export type { Outbox } from './outboxTypes';
export { ProfileCache } from './profiles';
export { exposeShipment } from './quarantine';
export { assetColdChainReport, sensorWindowFigures } from './report';
export type { ColdChainReport } from './report';
export { alertView } from './views';
export { OutboxDispatcher } from './webhooks/dispatcher';
export { createWebhookActivities } from './webhooks/delivery';
export type { AttemptInput, AttemptOutcome, WebhookActivityDeps } from './webhooks/delivery';
