// How the cold-chain outbox starts a webhook delivery without importing the workflow code.

/** The workflow type as the worker registers it. */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

/**
 * Input of a delivery workflow. The schedule and the disable rule are the production ones, always:
 * tests run them on Temporal's time-skipping server, so there is nothing to compress.
 */
export interface WebhookDeliveryInput {
  deliveryId: string;
}

/** How a delivery ended. */
export interface WebhookDeliveryResult {
  status: 'succeeded' | 'failed' | 'skipped';
  attempts: number;
  lastStatusCode: number | null;
}

/** The signature of webhookDeliveryWorkflow, for a typed `start` by its type name. */
export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<WebhookDeliveryResult>;
