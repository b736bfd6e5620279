import { ApplicationFailure } from '@temporalio/activity';
import { allocateOrder, buildStockIndex, lotRequests, slotCapacityFor, slotKey } from '../domain/orders';
import { DEFAULT_RETURN_WINDOWS } from '../domain/orders';
import type {
  Allocation,
  Order,
  OrderLine,
  ReturnRequestLine,
  ReturnWindows,
  SubstitutionPolicy,
} from '../domain/orders';
import * as orders from '../db/orders';
import * as picking from '../db/picking';
import * as returns from '../db/returns';
import type { Db } from '../db/pool';
import type { Logger } from '../platform/logger';

/** A returned or rejected line, settled against stock and the credit ledger. */
/** A line that came back; `lots`: the units per lot they were picked from (absent in settlements made before). */
export interface ReturnSettlement {
  lineId: string;
  lotId: string | null;
  qty: number;
  lots?: { lotId: string; qty: number }[];
  restock: boolean;
  creditCents: number;
  reason: string;
}

const MAX_RESERVE_ATTEMPTS = 5;

/** An order as workflows pass it: the exact door only for orders intake did not record (replacements). */
export type OrderWithoutDoor = Omit<Order, 'location'> & { location?: Order['location'] };

/** Activities of order and fulfilment workflows: every side effect they have. */
export function createOrderActivities(deps: { db: Db; logger: Logger }) {
  const { db } = deps;
  return {
    /** Persist a received order (idempotent); `location` only for orders intake did not record. */
    async recordOrder(order: OrderWithoutDoor): Promise<void> {
      await orders.recordOrder(db, order);
    },

    /** The orders row of a replacement, its door copied from the order it replaces. */
    async recordReplacementOrder(r: {
      orderId: string;
      fromOrderId: string;
      slot: Order['slot'];
      lines: Order['lines'];
      placedAt: number;
    }): Promise<void> {
      await orders.recordReplacementOrder(db, r);
    },

    /**
     * Allocate (pure domain decision on fresh stock) and reserve atomically. When stock moved
     * between the read and the reservation, decide again on the new figures. Idempotent by
     * `allocationKey`: a retry returns the allocation already reserved. The exact door comes
     * from the orders row, not from the workflow, so histories never hold it.
     */
    async allocateAndReserve(args: {
      order: OrderWithoutDoor;
      allocationKey: string;
      reservationTtlMs: number;
    }): Promise<{ allocation: Allocation; replayed: boolean }> {
      const key = slotKey(args.order.slot);
      const location = args.order.location ?? (await orders.loadOrderLocation(db, args.order.orderId));
      if (!location)
        throw ApplicationFailure.nonRetryable(
          `order ${args.order.orderId} has no recorded delivery location`,
          'UnknownOrder',
        );
      const order: Order = { ...args.order, location };
      for (let attempt = 1; attempt <= MAX_RESERVE_ATTEMPTS; attempt++) {
        const inputs = await orders.loadAllocationInputs(db, order, key);
        const index = buildStockIndex(inputs.nodes, inputs.skus, inputs.lots, inputs.slotUsage);
        const allocation = allocateOrder(index, order, Date.now());
        const capacities = new Map(inputs.nodes.map((n) => [n.id, slotCapacityFor(n, args.order.slot)]));
        const result = await orders.reserveAllocation(db, {
          orderId: args.order.orderId,
          allocationKey: args.allocationKey,
          allocation,
          requests: lotRequests(allocation),
          slotKey: key,
          capacities,
          newNodeIds: allocation.fulfilments.map((f) => f.nodeId),
          expiresAt: new Date(args.order.slot.end + args.reservationTtlMs),
          at: new Date(),
        });
        if (result.ok) {
          await orders.saveAllocation(db, args.order.orderId, result.allocation);
          return { allocation: result.allocation, replayed: result.replayed };
        }
        deps.logger.debug(
          { orderId: args.order.orderId, conflict: result.conflict, attempt },
          'stock moved during reservation; allocating again',
        );
      }
      throw ApplicationFailure.retryable(
        `stock for order ${args.order.orderId} kept changing during ${MAX_RESERVE_ATTEMPTS} reservation attempts`,
        'ReservationContention',
      );
    },

    /**
     * Append to the order event stream (and move the order's status). Idempotent by key and
     * time: `at` is the workflow's time, fixed when the workflow scheduled the call, so a retry
     * writes the same row again (a no-op). Without it (calls scheduled before workflows passed
     * it) the activity's clock is used.
     */
    async appendOrderEvent(e: {
      orderId: string;
      key: string;
      type: string;
      nodeId?: string;
      data?: unknown;
      status?: string;
      at?: number;
    }): Promise<void> {
      await orders.appendOrderEvent(db, { ...e, at: new Date(e.at ?? Date.now()) });
    },

    /** Join or open the merged delivery for this door, slot and node. */
    async joinDelivery(a: {
      orderId: string;
      nodeId: string;
      addressKey: string;
      slotKey: string;
      windowMs: number;
    }): Promise<{ deliveryId: string; orderIds: string[] }> {
      return orders.joinDelivery(db, { ...a, at: new Date() });
    },

    /**
     * Compensation: release held reservations (all of the order's, or some lots; those of one
     * allocation when `allocationKey` is given) and, optionally, the node's slot.
     */
    async releaseReservations(a: {
      orderId: string;
      allocationKey?: string;
      lotIds?: string[];
      slot?: { nodeId: string; slotKey: string };
    }): Promise<number> {
      const released = await orders.releaseReservations(db, a.orderId, a.lotIds, a.allocationKey);
      if (a.slot) await orders.releaseSlot(db, a.slot.nodeId, a.slot.slotKey);
      return released.length;
    },

    /** A cancel after picking began: picked units leave the node, the rest of the holds is released. */
    async commitPickedReleaseRest(a: {
      orderId: string;
      nodeId: string;
      allocationKey?: string;
      picked: { lotId: string; qty: number }[];
    }): Promise<{ committed: number; released: number }> {
      return orders.commitPickedReleaseRest(db, a);
    },

    /** Stock leaves the node: commit the fulfilment's reservations (its allocation's at this node). */
    async commitReservations(a: { orderId: string; nodeId: string; allocationKey?: string }): Promise<number> {
      return orders.commitReservations(db, a.orderId, a.nodeId, a.allocationKey);
    },

    /**
     * Decide and settle a return after delivery in one transaction (idempotent by return id).
     * A refusal is an answer, not a failure to retry: the workflow turns it into its result.
     */
    async settleCustomerReturn(a: {
      orderId: string;
      returnId: string;
      requestedAt: number;
      lines: ReturnRequestLine[];
      windows?: Partial<ReturnWindows>;
      replacementOrderId: string;
    }): Promise<returns.CustomerReturnSettlement> {
      const settled = await returns.settleCustomerReturn(db, {
        ...a,
        requestedAt: new Date(a.requestedAt),
        windows: { ...DEFAULT_RETURN_WINDOWS, ...a.windows },
      });
      if (settled.ok && !settled.replayed) {
        deps.logger.info(
          { orderId: a.orderId, returnId: a.returnId, lines: settled.lines.length, creditCents: settled.creditCents },
          'return after delivery settled',
        );
      }
      return settled;
    },

    /** Restock or write off returned lines and record their credits. */
    async settleReturns(a: { orderId: string; lines: ReturnSettlement[] }): Promise<void> {
      for (const l of a.lines) await orders.settleReturnLine(db, { orderId: a.orderId, ...l });
    },

    /** Product facts the returns rules need (perishable, price). */
    async skuFacts(skus: string[]): Promise<Record<string, { perishable: boolean; unitPriceCents: number }>> {
      const facts = await orders.skuPriceFacts(db, skus);
      return Object.fromEntries(
        facts.map((f) => [f.sku, { perishable: f.perishable, unitPriceCents: f.unitPriceCents }]),
      );
    },

    /** The customer's substitution policy of each named order line (default best match), in order. */
    async substitutionPoliciesOf(a: {
      orderId: string;
      lineIds: string[];
    }): Promise<{ policy: SubstitutionPolicy; sku: string | null }[]> {
      const rows = (await picking.substitutionPolicies(db, [a.orderId])).get(a.orderId);
      return a.lineIds.map((id) => {
        const { policy, sku } = picking.policyFor(rows, id);
        return { policy, sku };
      });
    },

    /** Record credits for lines nobody could serve. */
    async refundUnfulfilled(a: {
      orderId: string;
      lines: { lineId: string; sku: string; qty: number }[];
    }): Promise<number> {
      const facts = await orders.skuPriceFacts(
        db,
        a.lines.map((l) => l.sku),
      );
      const price = new Map(facts.map((f) => [f.sku, f.unitPriceCents]));
      let total = 0;
      for (const l of a.lines) {
        const credit = (price.get(l.sku) ?? 0) * l.qty;
        total += credit;
        await orders.settleReturnLine(db, {
          orderId: a.orderId,
          lineId: l.lineId,
          reason: 'unfulfilled',
          lotId: null,
          qty: l.qty,
          restock: false,
          creditCents: credit,
        });
      }
      return total;
    },
  };
}

/** The order activities' type, for `proxyActivities` in workflow code. */
export type OrderActivities = ReturnType<typeof createOrderActivities>;

/** Lines of an order that a set of line ids names (pure helper shared by activities and tests). */
export function linesById(lines: readonly OrderLine[], ids: readonly string[]): OrderLine[] {
  const wanted = new Set(ids);
  return lines.filter((l) => wanted.has(l.lineId));
}
