// How the cold-chain outbox starts a webhook delivery without importing the workflow code.

/** The workflow type as the worker registers it. */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

/** Input of a delivery workflow. */
export interface WebhookDeliveryInput {
  deliveryId: string;
  /** Delay before each attempt; RETRY_SCHEDULE_MS unless compressed (tests, bench). */
  retryScheduleMs?: number[];
  /** Uninterrupted failure after which an endpoint is disabled; 5 days unless compressed. */
  disableAfterMs?: number;
}

/** How a delivery ended. */
export interface WebhookDeliveryResult {
  status: 'succeeded' | 'failed' | 'skipped';
  attempts: number;
  lastStatusCode: number | null;
}

/** The signature of webhookDeliveryWorkflow, for a typed `start` by its type name. */
export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<WebhookDeliveryResult>;
