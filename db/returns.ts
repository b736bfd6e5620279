import { resolveCustomerReturn } from '../domain/orders';
import type {
  ReturnableLine,
  ReturnReason,
  ReturnRequestLine,
  ReturnWindows,
  SettledReturnLine,
} from '../domain/orders';
import { lotsHeldByCustomer, returnedFromLots } from '../domain/orders/returns';
import type { LineDelivery, LotUnits } from '../domain/orders/returns';
import type { PickView } from '../domain/orders';
import { insertEvent, settleReturnLineWith } from './orders';
import { inTransaction, rowsOf } from './pool';
import type { Queryable } from './pool';

/** A delivered line and what the customer still holds of it, per lot it was picked from. */
export interface DeliveredLine extends ReturnableLine {
  lots: LotUnits[];
}

/**
 * Who the order went to, for a replacement sent to the same door. No coordinates: this is an
 * activity result, kept in workflow histories; the replacement's door is copied row to row
 * (`recordReplacementOrder`).
 */
export interface ReturnDestination {
  customerId: string;
  addressKey: string;
}

/** A return after delivery, as settled (or as settled before, for a repeated request). */
export type CustomerReturnSettlement =
  | { ok: true; replayed: boolean; lines: SettledReturnLine[]; creditCents: number; destination: ReturnDestination }
  | { ok: false; refusal: string };

interface DeliveredRow {
  view: PickView;
  delivered_at: Date;
  rejected: { lineId: string; qty: number }[] | null;
}

/** Units of each line that earlier returns booked, per lot (returns recorded before per-lot rows: all on their lot). */
async function returnedLots(c: Queryable, orderId: string): Promise<Map<string, LotUnits[]>> {
  const { rows } = await c.query<{ line_id: string; lot_id: string; qty: number }>(
    `SELECT l.line_id, l.lot_id, l.qty FROM order_return_lots l WHERE l.order_id = $1
     UNION ALL
     SELECT r.line_id, r.lot_id, r.qty FROM order_returns r
      WHERE r.order_id = $1 AND r.lot_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM order_return_lots l WHERE l.order_id = r.order_id AND l.return_id = r.return_id AND l.line_id = r.line_id)`,
    [orderId],
  );
  const out = new Map<string, LotUnits[]>();
  for (const r of rows) out.set(r.line_id, [...(out.get(r.line_id) ?? []), { lotId: r.lot_id, qty: r.qty }]);
  return out;
}

/**
 * What the customer holds of each line: units picked in fulfilments that reached `delivered`,
 * minus what was refused at the door (a partial rejection), minus earlier returns; in total and
 * per lot the units were picked from (a line delivered from two nodes counts both).
 */
export async function deliveredLines(c: Queryable, orderId: string): Promise<DeliveredLine[]> {
  const { rows } = await c.query<DeliveredRow>(
    `SELECT t.view, e.at AS delivered_at, e.data->'lines' AS rejected
       FROM pick_tasks t JOIN order_events e ON e.order_id = t.order_id AND e.event_key = t.fulfilment_id || ':delivered'
      WHERE t.order_id = $1 AND t.state = 'delivered'`,
    [orderId],
  );
  const lines = new Map<
    string,
    { sku: string; delivered: number; deliveredAtMs: number; deliveries: LineDelivery[] }
  >();
  for (const row of rows) {
    const refused = new Map((row.rejected ?? []).map((r) => [r.lineId, r.qty]));
    for (const l of row.view.lines) {
      const picked = l.lots.reduce((sum, lot) => sum + lot.picked, 0);
      const kept = picked - (refused.get(l.lineId) ?? 0);
      if (kept <= 0) continue;
      const acc = lines.get(l.lineId) ?? { sku: l.sku, delivered: 0, deliveredAtMs: 0, deliveries: [] };
      acc.delivered += kept;
      acc.deliveredAtMs = Math.max(acc.deliveredAtMs, row.delivered_at.getTime());
      acc.deliveries.push({
        lots: l.lots.map((x) => ({ lotId: x.lotId, expiresOn: x.expiresOn, picked: x.picked })),
        refused: refused.get(l.lineId) ?? 0,
      });
      lines.set(l.lineId, acc);
    }
  }
  if (lines.size === 0) return [];
  const skus = new Map(
    (
      await c.query<{ sku: string; perishable: boolean; unit_price_cents: number }>(
        'SELECT sku, perishable, unit_price_cents FROM skus WHERE sku = ANY($1)',
        [[...new Set([...lines.values()].map((l) => l.sku))]],
      )
    ).rows.map((r) => [r.sku, { sku: r.sku, perishable: r.perishable, unitPriceCents: r.unit_price_cents }]),
  );
  const returned = new Map(
    (
      await c.query<{ line_id: string; qty: string }>(
        'SELECT line_id, sum(qty) AS qty FROM order_returns WHERE order_id = $1 GROUP BY line_id',
        [orderId],
      )
    ).rows.map((r) => [r.line_id, Number(r.qty)]),
  );
  const returnedByLot = await returnedLots(c, orderId);
  return [...lines].map(([lineId, l]) => ({
    lineId,
    // An unknown SKU is treated as perishable: the strictest rules, never restocked.
    sku: skus.get(l.sku) ?? { sku: l.sku, perishable: true, unitPriceCents: 0 },
    delivered: l.delivered,
    returned: returned.get(lineId) ?? 0,
    deliveredAtMs: l.deliveredAtMs,
    lots: lotsHeldByCustomer(l.deliveries, returnedByLot.get(lineId) ?? []),
  }));
}

interface ReturnRow {
  line_id: string;
  sku: string;
  qty: number;
  reason: ReturnReason;
  restock: boolean;
  credit_cents: number;
  customer_choice: string;
}

/** The lot with most of a line's returned units (order_returns.lot_id, kept for readers of one lot per line). */
const mainLot = (lots: readonly LotUnits[]): string | null =>
  [...lots].sort((x, y) => y.qty - x.qty || (x.lotId < y.lotId ? -1 : 1))[0]?.lotId ?? null;

/** Record one returned line and the lots its units are booked against. */
async function insertReturnLine(
  c: Queryable,
  a: { orderId: string; returnId: string; requestedAt: Date; replacementOrderId: string },
  l: SettledReturnLine,
  req: ReturnRequestLine,
  lots: readonly LotUnits[],
): Promise<void> {
  await c.query(
    `INSERT INTO order_returns (order_id, return_id, line_id, sku, lot_id, qty, reason, condition, customer_choice, restock, credit_cents, replacement_order_id, requested_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      a.orderId,
      a.returnId,
      l.lineId,
      l.sku,
      mainLot(lots),
      l.qty,
      l.reason,
      req.condition,
      req.customerChoice,
      l.restock,
      l.creditCents,
      l.replacement ? a.replacementOrderId : null,
      a.requestedAt,
    ],
  );
  await c.query(
    `INSERT INTO order_return_lots (order_id, return_id, line_id, lot_id, qty)
     SELECT $1, $2, $3, lot_id, qty FROM unnest($4::text[], $5::int[]) AS u(lot_id, qty)`,
    [a.orderId, a.returnId, l.lineId, lots.map((x) => x.lotId), lots.map((x) => x.qty)],
  );
}

/**
 * Settle a return after delivery in one transaction: decide it (domain rules), record its lines,
 * credit the customer, restock or write off, and append `returned_after_delivery` to the order's
 * event stream. The order row is locked, so two returns of one line cannot both take the last
 * unit. Idempotent by (order, returnId): a repeated request gets the first settlement back.
 */
export async function settleCustomerReturn(
  db: Queryable,
  a: {
    orderId: string;
    returnId: string;
    requestedAt: Date;
    lines: readonly ReturnRequestLine[];
    windows: ReturnWindows;
    replacementOrderId: string;
  },
): Promise<CustomerReturnSettlement> {
  return inTransaction(db, async (c) => {
    const order = (
      await c.query<{ customer_id: string; address_key: string }>(
        'SELECT customer_id, address_key FROM orders WHERE order_id = $1 FOR UPDATE',
        [a.orderId],
      )
    ).rows[0];
    if (!order) return { ok: false as const, refusal: `order ${a.orderId} not found` };
    const destination = { customerId: order.customer_id, addressKey: order.address_key };
    const before = (
      await c.query<ReturnRow>(
        'SELECT line_id, sku, qty, reason, restock, credit_cents, customer_choice FROM order_returns WHERE order_id = $1 AND return_id = $2 ORDER BY line_id',
        [a.orderId, a.returnId],
      )
    ).rows;
    if (before.length) {
      const lines = before.map((r): SettledReturnLine => ({
        lineId: r.line_id,
        sku: r.sku,
        qty: r.qty,
        reason: r.reason,
        creditCents: r.credit_cents,
        restock: r.restock,
        writeOff: !r.restock,
        replacement: r.customer_choice === 'replacement',
      }));
      return {
        ok: true as const,
        replayed: true,
        lines,
        creditCents: lines.reduce((sum, l) => sum + l.creditCents, 0),
        destination,
      };
    }
    const delivered = await deliveredLines(c, a.orderId);
    if (delivered.length === 0)
      return { ok: false as const, refusal: `order ${a.orderId} has nothing delivered to return` };
    const decision = resolveCustomerReturn(delivered, a.lines, a.requestedAt.getTime(), a.windows);
    if (!decision.ok) return decision;
    const heldOf = new Map(delivered.map((l) => [l.lineId, l.lots]));
    const asked = new Map(a.lines.map((l) => [l.lineId, l]));
    const reason = `return:${a.returnId}`;
    for (const l of decision.lines) {
      const req = asked.get(l.lineId)!;
      // The units come back to (or are written off against) the lots they were picked from.
      const lots = returnedFromLots(heldOf.get(l.lineId) ?? [], l.qty);
      await insertReturnLine(c, a, l, req, lots);
      await settleReturnLineWith(c, {
        orderId: a.orderId,
        lineId: l.lineId,
        reason,
        lotId: mainLot(lots),
        qty: l.qty,
        lots,
        restock: l.restock,
        creditCents: l.creditCents,
      });
    }
    await insertEvent(c, {
      orderId: a.orderId,
      key: `${a.orderId}:${reason}`,
      type: 'returned_after_delivery',
      at: new Date(),
      data: {
        returnId: a.returnId,
        creditCents: decision.creditCents,
        lines: decision.lines,
        replacementOrderId: decision.lines.some((l) => l.replacement) ? a.replacementOrderId : null,
      },
    });
    return {
      ok: true as const,
      replayed: false,
      lines: [...decision.lines],
      creditCents: decision.creditCents,
      destination,
    };
  });
}

/** An order's returns after delivery, newest first, for ops and the shop. */
export async function listCustomerReturns(
  db: Queryable,
  orderId: string,
): Promise<
  {
    returnId: string;
    at: Date;
    creditCents: number;
    replacementOrderId: string | null;
    lines: {
      lineId: string;
      sku: string;
      qty: number;
      reason: string;
      condition: string;
      customerChoice: string;
      restock: boolean;
      creditCents: number;
    }[];
  }[]
> {
  const rows = await rowsOf<{
    return_id: string;
    at: Date;
    line_id: string;
    sku: string;
    qty: number;
    reason: string;
    condition: string;
    customer_choice: string;
    restock: boolean;
    credit_cents: number;
    replacement_order_id: string | null;
  }>(
    db,
    'SELECT return_id, at, line_id, sku, qty, reason, condition, customer_choice, restock, credit_cents, replacement_order_id FROM order_returns WHERE order_id = $1 ORDER BY at DESC, return_id, line_id',
    [orderId],
  );
  const byId = new Map<string, Awaited<ReturnType<typeof listCustomerReturns>>[number]>();
  for (const r of rows) {
    const entry = byId.get(r.return_id) ?? {
      returnId: r.return_id,
      at: r.at,
      creditCents: 0,
      replacementOrderId: null,
      lines: [],
    };
    entry.creditCents += r.credit_cents;
    entry.replacementOrderId ??= r.replacement_order_id;
    entry.lines.push({
      lineId: r.line_id,
      sku: r.sku,
      qty: r.qty,
      reason: r.reason,
      condition: r.condition,
      customerChoice: r.customer_choice,
      restock: r.restock,
      creditCents: r.credit_cents,
    });
    byId.set(r.return_id, entry);
  }
  return [...byId.values()];
}
