// After a commit: start the delivery workflows and signal the orders the transaction recorded.
// Both are rows in the database first (the outbox), marked once done, so this can fail or the
// process can die at any point: the sweep (`sweepOutbox`) finishes the job. Starting a delivery
// twice is harmless (its workflow id is derived from event and subscription, and a duplicate
// start is refused); an order signal may arrive twice in that crash window (at-least-once), so
// the receiving workflow treats a repeated (alertId, lots) as a no-op.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { markSignalled, unsignalledOrders } from '../../db/alerts';
import type { AlertImpact } from '../../db/alerts';
import type { Queryable } from '../../db/pool';
import type { Db } from '../../db/pool';
import { markDeliveriesStarted } from '../../db/webhooks';
import type { PendingDelivery } from '../../db/webhooks';
import type { Logger } from '../../platform/logger';
import { coldChainQuarantineSignal, orderWorkflowId } from '../../workflows/order.contract';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE } from '../../workflows/webhook-delivery.contract';
import type { WebhookDeliveryInput, WebhookDeliveryWorkflow } from '../../workflows/webhook-delivery.contract';
import type { Outbox } from '../outboxTypes';

/** What the dispatcher needs. Without a Temporal client it leaves everything to the sweep of an instance that has one. */
export interface DispatcherDeps {
  db: Db;
  logger: Logger;
  temporal?: Client;
  taskQueue: string;
}

const CONCURRENCY = 16;

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Starts delivery workflows and sends order signals. */
export class OutboxDispatcher {
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Start one delivery workflow; true when it runs (now or already). */
  async startDelivery(d: PendingDelivery): Promise<boolean> {
    const temporal = this.deps.temporal;
    if (!temporal) return false;
    const input: WebhookDeliveryInput = { deliveryId: d.id };
    try {
      await temporal.workflow.start<WebhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        taskQueue: this.deps.taskQueue,
        workflowId: d.workflowId,
        args: [input],
        // Closed or running, a delivery with this id has been started: never twice.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `webhook ${d.eventId} → subscription ${d.subscriptionId}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        this.deps.logger.warn(
          { err: (err as Error).message, workflowId: d.workflowId },
          'delivery workflow not started; the outbox sweep retries',
        );
        return false;
      }
    }
    return true;
  }

  /** Start deliveries and mark the started ones. */
  async startDeliveries(deliveries: readonly PendingDelivery[], q: Queryable = this.deps.db.pool): Promise<number> {
    const started: string[] = [];
    await inParallel(deliveries, CONCURRENCY, async (d) => {
      if (await this.startDelivery(d)) started.push(d.id);
    });
    await markDeliveriesStarted(q, started);
    return started.length;
  }

  /** Signal the orders of these impacts and mark them. */
  async signalOrders(impacts: readonly AlertImpact[], q: Queryable = this.deps.db.pool): Promise<number> {
    const temporal = this.deps.temporal;
    if (!temporal) return 0;
    let sent = 0;
    await inParallel(impacts, CONCURRENCY, async (i) => {
      let result = 'signalled';
      try {
        await temporal.workflow
          .getHandle(orderWorkflowId(i.refId))
          .signal(coldChainQuarantineSignal, { alertId: i.alertId, lotIds: i.lotIds, reason: i.reason });
        sent++;
      } catch (err) {
        // The order's workflow is gone (completed long ago, or never started): nothing to tell.
        if (!(err instanceof WorkflowNotFoundError)) {
          this.deps.logger.warn(
            { err: (err as Error).message, orderId: i.refId },
            'quarantine signal not sent; the outbox sweep retries',
          );
          return;
        }
        result = 'no_workflow';
      }
      await markSignalled(q, i.alertId, i.refId, result, i.lotIds);
    });
    return sent;
  }

  /** Do what a committed transaction left; never throws (the sweep covers failures). */
  async dispatch(outbox: Outbox): Promise<void> {
    try {
      if (outbox.deliveries.length) await this.startDeliveries(outbox.deliveries);
      if (outbox.signalAlertIds.length && this.deps.temporal) {
        await this.signalOrders(
          await unsignalledOrders(this.deps.db.pool, { alertIds: outbox.signalAlertIds, limit: 1000 }),
        );
      }
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'outbox dispatch failed; the sweep retries');
    }
  }

  /** `dispatch` in the background (tracked, so `idle()` can wait for it). */
  dispatchLater(outbox: Outbox): void {
    if (outbox.deliveries.length === 0 && outbox.signalAlertIds.length === 0) return;
    const p = this.dispatch(outbox).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves when background dispatches have finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
