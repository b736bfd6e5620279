// Delivery of stock shortfalls to the fulfilments that lost held units (docs/orders.md, "Stock
// truth"). The cuts are the outbox: written in the fact's transaction (db/stock.ts), delivered
// right after the commit by the API and, when that did not happen (a crash, Temporal
// unreachable), by the maintenance schedule's relay. A cut may arrive twice in that window
// (at-least-once); the fulfilment acts on an adjustment id once.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { markShortfallsSignalled, unsignalledShortfalls } from '../db/stock';
import type { ShortfallCut } from '../db/stock';
import type { Db, Queryable } from '../db/pool';
import type { Logger } from '../platform/logger';
import { stockShortfallSignal } from '../workflows/fulfilment.contract';

/** How long the relay leaves a fresh cut to the API's own delivery. */
export const RELAY_GRACE_MS = 30_000;
/** (adjustment, fulfilment) groups one relay pass delivers at most. */
const RELAY_GROUPS = 500;

/** One signal: an adjustment's cuts of one fulfilment. */
interface ShortfallGroup {
  adjustmentId: string;
  fulfilmentId: string;
  cuts: ShortfallCut[];
}

function groupCuts(cuts: readonly ShortfallCut[]): ShortfallGroup[] {
  const groups = new Map<string, ShortfallGroup>();
  for (const c of cuts) {
    const key = JSON.stringify([c.adjustmentId, c.fulfilmentId]);
    const g = groups.get(key) ?? { adjustmentId: c.adjustmentId, fulfilmentId: c.fulfilmentId, cuts: [] };
    g.cuts.push(c);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Signal one group; 'no_workflow' when the fulfilment has ended (nothing left to re-allocate). */
async function signalGroup(temporal: Client, g: ShortfallGroup): Promise<'signalled' | 'no_workflow'> {
  try {
    await temporal.workflow.getHandle(g.fulfilmentId).signal(stockShortfallSignal, {
      adjustmentId: g.adjustmentId,
      cuts: g.cuts.map((c) => ({ lotId: c.lotId, lineId: c.lineId, qty: c.qty })),
    });
    return 'signalled';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'no_workflow';
    throw err;
  }
}

/**
 * Signal each affected fulfilment and mark its cuts delivered. A failed signal is logged and
 * left unmarked for the relay; never throws, so the fact's answer does not depend on Temporal.
 */
export async function deliverShortfalls(
  q: Queryable,
  temporal: Client,
  cuts: readonly ShortfallCut[],
  logger?: Logger,
): Promise<{ signalled: number; failed: number }> {
  let signalled = 0;
  let failed = 0;
  for (const g of groupCuts(cuts)) {
    try {
      const result = await signalGroup(temporal, g);
      await markShortfallsSignalled(q, g.adjustmentId, g.fulfilmentId, result);
      if (result === 'signalled') signalled++;
    } catch (err) {
      failed++;
      logger?.warn(
        { err: (err as Error).message, adjustmentId: g.adjustmentId, fulfilmentId: g.fulfilmentId },
        'stock shortfall not signalled; the relay retries',
      );
    }
  }
  return { signalled, failed };
}

/**
 * Deliver the cuts still unsignalled and committed before `olderThan`, claimed with FOR UPDATE
 * SKIP LOCKED so two relays never send the same group at once.
 */
export async function relayStockShortfalls(
  db: Db,
  temporal: Client,
  opts: { olderThan: Date; logger?: Logger },
): Promise<{ signalled: number; failed: number }> {
  return db.transaction(async (c) =>
    deliverShortfalls(
      c,
      temporal,
      await unsignalledShortfalls(c, { olderThan: opts.olderThan, groups: RELAY_GROUPS, lock: true }),
      opts.logger,
    ),
  );
}

/** The relay as an activity of the orders area (run by the maintenance schedule), with the worker's client. */
export function createStockShortfallActivities(deps: { db: Db; logger?: Logger }) {
  return {
    async relayStockShortfalls(): Promise<{ signalled: number; failed: number }> {
      const olderThan = new Date(Date.now() - RELAY_GRACE_MS);
      return relayStockShortfalls(deps.db, Context.current().client, { olderThan, logger: deps.logger });
    },
  };
}
