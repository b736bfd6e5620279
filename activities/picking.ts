import * as picking from '../db/picking';
import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';
import type { PickView, ShortReason, SubstitutionPolicy } from '../domain/orders';

/** Activities of the picking part of FulfilmentWorkflow. */
export function createPickingActivities(deps: { db: Db; logger: Logger }) {
  const { db } = deps;
  return {
    /** Keep the open-task table in step with the workflow (the picker API plans waves from it), with the order events of the change. */
    async syncPickTask(a: {
      view: PickView;
      pickers: string[];
      events?: { orderId: string; key: string; type: string; nodeId?: string; data?: unknown; atMs: number }[];
    }): Promise<void> {
      await picking.upsertPickTask(
        db,
        a.view,
        a.pickers,
        (a.events ?? []).map(({ atMs, ...e }) => ({ ...e, at: new Date(atMs) })),
      );
    },

    /** Release and take off hand what a short pick did not find (idempotent per fulfilment, line and lot). */
    async recordShortPick(a: {
      orderId: string;
      fulfilmentId: string;
      allocationKey?: string;
      lineId: string;
      reason: ShortReason;
      lots: picking.ShortPickLot[];
    }): Promise<void> {
      await picking.recordShortPick(db, a);
      deps.logger.info(
        { orderId: a.orderId, fulfilmentId: a.fulfilmentId, lineId: a.lineId, reason: a.reason, lots: a.lots },
        'short pick recorded',
      );
    },

    /**
     * A quarantine before dispatch: write off the quarantined units already picked, release the
     * rest of the affected lines' holds, and append the order event (all once per alert).
     */
    async settleQuarantinedLines(
      a: Omit<picking.QuarantineSettlement, 'event'> & {
        event: {
          orderId: string;
          key: string;
          type: string;
          nodeId: string;
          data: Record<string, unknown>;
          atMs: number;
        };
      },
    ): Promise<void> {
      const { atMs, ...event } = a.event;
      const settled = await picking.settleQuarantinedLines(db, { ...a, event: { ...event, at: new Date(atMs) } });
      if (settled)
        deps.logger.info(
          {
            orderId: a.orderId,
            fulfilmentId: a.fulfilmentId,
            alertId: a.alertId,
            writeOff: a.writeOff,
            release: a.release,
          },
          'quarantine settled before dispatch',
        );
    },

    /** The customer's substitution policy for a line (default best match) and how long to wait for their answer. */
    async substitutionPolicy(a: {
      orderId: string;
      lineId: string;
    }): Promise<{ policy: SubstitutionPolicy; sku: string | null; decisionWindowS: number | null }> {
      const rows = await picking.substitutionPolicies(db, [a.orderId]);
      return picking.policyFor(rows.get(a.orderId), a.lineId);
    },

    /** Credit a line's missing quantity (a refused substitute); returns the credit in cents. */
    async refundLine(a: {
      orderId: string;
      lineId: string;
      sku: string;
      qty: number;
      reason: string;
    }): Promise<number> {
      return picking.refundLine(db, a);
    },
  };
}

/** The picking activities' type, for `proxyActivities` in workflow code. */
export type PickingActivities = ReturnType<typeof createPickingActivities>;
