// SQL of stock truth (docs/orders.md, "Stock truth"): counts and POS sales are always applied;
// units they take from below what is reserved come out of open holds (domain/orders/shortfall.ts
// decides which), recorded in stock_shortfalls and the orders' event streams.
import { decideShortfall, lotAfterFact } from '../domain/orders/shortfall';
import type { LotHold } from '../domain/orders/shortfall';
import { conflictsAsTyped } from './errors';
import { insertEvent } from './orders';
import { inTransaction } from './pool';
import type { Queryable } from './pool';

/** Units of a lot an order line lost to a count or sale; its fulfilment re-allocates them. */
export interface ShortfallCut {
  adjustmentId: string;
  lotId: string;
  fulfilmentId: string;
  orderId: string;
  lineId: string;
  qty: number;
}

/** A count, sale or receipt on one lot. */
export interface LotFact {
  adjustmentId: string;
  lotId: string;
  kind: 'receipt' | 'count' | 'sale';
  qty: number;
}

/** What applying a fact did. `uncovered`: units below reserved no open hold could give (already picked). */
export type LotFactResult =
  | { applied: boolean; onHand: number; reserved: number; cuts: ShortfallCut[]; uncovered: number }
  | { error: string; conflict: 'unknown_lot' };

/** Open lines waiting for units of the lot (fulfilments allocated or being picked), from the pick-task table. */
async function openHolds(c: Queryable, lotId: string): Promise<LotHold[]> {
  const rows = (
    await c.query<{
      fulfilment_id: string;
      order_id: string;
      state: 'allocated' | 'picking';
      placed_at: Date;
      line_id: string;
      unpicked: number;
    }>(
      `SELECT p.fulfilment_id, p.order_id, p.state, o.placed_at, l ->> 'lineId' AS line_id,
              greatest(0, (x ->> 'qty')::int - coalesce((x ->> 'picked')::int, 0)) AS unpicked
         FROM pick_tasks p
         JOIN orders o ON o.order_id = p.order_id
        CROSS JOIN LATERAL jsonb_array_elements(p.view -> 'lines') l
        CROSS JOIN LATERAL jsonb_array_elements(l -> 'lots') x
        WHERE p.state IN ('allocated', 'picking') AND x ->> 'lotId' = $1 AND l ->> 'status' IN ('pending', 'in_progress')
          AND EXISTS (SELECT 1 FROM stock_reservations r WHERE r.order_id = p.order_id AND r.lot_id = $1 AND r.node_id = p.node_id AND r.status = 'held')`,
      [lotId],
    )
  ).rows;
  return rows.map((r) => ({
    fulfilmentId: r.fulfilment_id,
    orderId: r.order_id,
    allocationKey: '',
    lineId: r.line_id,
    fulfilmentState: r.state,
    placedAtMs: r.placed_at.getTime(),
    unpicked: r.unpicked,
  }));
}

/** Take `qty` units out of an order's held rows on a lot (newest allocation first); returns the units taken. */
async function shrinkHolds(c: Queryable, orderId: string, lotId: string, qty: number): Promise<number> {
  const rows = (
    await c.query<{ allocation_key: string; qty: number }>(
      `SELECT allocation_key, qty FROM stock_reservations WHERE order_id = $1 AND lot_id = $2 AND status = 'held' ORDER BY allocation_key DESC FOR UPDATE`,
      [orderId, lotId],
    )
  ).rows;
  let left = qty;
  for (const r of rows) {
    if (left === 0) break;
    const take = Math.min(left, r.qty);
    await c.query(
      `UPDATE stock_reservations SET qty = CASE WHEN $4::int = qty THEN qty ELSE qty - $4::int END, status = CASE WHEN $4::int = qty THEN 'released' ELSE status END
        WHERE order_id = $1 AND lot_id = $2 AND allocation_key = $3`,
      [orderId, lotId, r.allocation_key, take],
    );
    left -= take;
  }
  return qty - left;
}

/**
 * Apply a count, sale or receipt to a lot once (idempotent by adjustment id), inside a caller's
 * transaction. Always applied: when on_hand falls below reserved, the shortfall comes out of
 * open holds, each cut recorded (stock_shortfalls) with an order event. Units already picked
 * cannot be cut: on_hand then stays at what is still held, and `uncovered` says how many.
 */
export async function applyLotFact(c: Queryable, a: LotFact, at: Date = new Date()): Promise<LotFactResult> {
  const lot = (
    await c.query<{ on_hand: number; reserved: number }>(
      'SELECT on_hand, reserved FROM lots WHERE lot_id = $1 FOR UPDATE',
      [a.lotId],
    )
  ).rows[0];
  if (!lot) return { error: `unknown lot ${a.lotId}`, conflict: 'unknown_lot' };
  if ((await c.query('SELECT 1 FROM stock_adjustments WHERE adjustment_id = $1', [a.adjustmentId])).rowCount) {
    return {
      applied: false,
      onHand: lot.on_hand,
      reserved: lot.reserved,
      cuts: await shortfallsOf(c, [a.adjustmentId]),
      uncovered: 0,
    };
  }
  const after = lotAfterFact({ onHand: lot.on_hand, reserved: lot.reserved }, a);
  const decision = decideShortfall(after.shortBy, after.shortBy ? await openHolds(c, a.lotId) : []);
  const cuts: ShortfallCut[] = [];
  let reserved = lot.reserved;
  for (const cut of decision.cuts) {
    const taken = await shrinkHolds(c, cut.orderId, a.lotId, cut.qty);
    if (taken === 0) continue;
    reserved -= taken;
    const row: ShortfallCut = {
      adjustmentId: a.adjustmentId,
      lotId: a.lotId,
      fulfilmentId: cut.fulfilmentId,
      orderId: cut.orderId,
      lineId: cut.lineId,
      qty: taken,
    };
    cuts.push(row);
    await c.query(
      'INSERT INTO stock_shortfalls (adjustment_id, lot_id, fulfilment_id, order_id, line_id, qty, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
      [row.adjustmentId, row.lotId, row.fulfilmentId, row.orderId, row.lineId, row.qty, at],
    );
    await insertEvent(c, {
      orderId: cut.orderId,
      key: `${cut.fulfilmentId}:stock_shortfall:${a.adjustmentId}:${a.lotId}:${cut.lineId}`,
      type: 'stock_shortfall',
      at,
      data: { ...row, kind: a.kind },
    });
  }
  const onHand = Math.max(after.onHand, reserved);
  await c.query('UPDATE lots SET on_hand = $2, reserved = $3, updated_at = now() WHERE lot_id = $1', [
    a.lotId,
    onHand,
    reserved,
  ]);
  await c.query(
    'INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, counted, system_before, at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [a.adjustmentId, a.lotId, a.kind, onHand - lot.on_hand, a.kind === 'count' ? a.qty : null, lot.on_hand, at],
  );
  return { applied: true, onHand, reserved, cuts, uncovered: reserved - Math.min(reserved, after.onHand) };
}

/** A stock_shortfalls row as read. */
interface ShortfallRow {
  adjustment_id: string;
  lot_id: string;
  fulfilment_id: string;
  order_id: string;
  line_id: string;
  qty: number;
}

const toCut = (r: ShortfallRow): ShortfallCut => ({
  adjustmentId: r.adjustment_id,
  lotId: r.lot_id,
  fulfilmentId: r.fulfilment_id,
  orderId: r.order_id,
  lineId: r.line_id,
  qty: r.qty,
});

/** The cuts recorded for these adjustments (a repeated request signals them again). */
export async function shortfallsOf(c: Queryable, adjustmentIds: readonly string[]): Promise<ShortfallCut[]> {
  if (!adjustmentIds.length) return [];
  const sql = `SELECT adjustment_id, lot_id, fulfilment_id, order_id, line_id, qty FROM stock_shortfalls WHERE adjustment_id = ANY($1) ORDER BY adjustment_id, lot_id, fulfilment_id, line_id`;
  const { rows } = await c.query<ShortfallRow>(sql, [[...adjustmentIds]]);
  return rows.map(toCut);
}

/** One POS sale line. */
export interface PosSale {
  saleId: string;
  nodeId: string;
  sku: string;
  qty: number;
  soldAt: Date;
}

/** What a sale line did: `replayed` for a sale id seen before; `applied`: units taken off on_hand. */
export interface PosSaleResult {
  saleId: string;
  replayed: boolean;
  applied: number;
  cuts: ShortfallCut[];
}

/**
 * Record POS sales, each once for its whole life (by sale id), each in its own transaction:
 * on_hand of the node's available lots of the SKU drops FEFO (earliest expiry first), so
 * available-to-promise reflects the sale at once; a lot taken below reserved cuts holds.
 */
export async function recordPosSales(db: Queryable, sales: readonly PosSale[]): Promise<PosSaleResult[]> {
  const out: PosSaleResult[] = [];
  for (const s of sales) {
    out.push(
      await inTransaction(db, async (c) => {
        const claimed = await c.query(
          'INSERT INTO pos_sales (sale_id, node_id, sku, qty, applied, sold_at) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (sale_id) DO NOTHING',
          [s.saleId, s.nodeId, s.sku, s.qty, s.soldAt],
        );
        const prefix = `sale:${s.saleId}:`;
        if (!claimed.rowCount) {
          const ids = (
            await c.query<{ adjustment_id: string }>(
              'SELECT adjustment_id FROM stock_adjustments WHERE adjustment_id LIKE $1',
              [`${prefix.replace(/[\\%_]/g, '\\$&')}%`],
            )
          ).rows.map((r) => r.adjustment_id);
          const applied =
            (await c.query<{ applied: number }>('SELECT applied FROM pos_sales WHERE sale_id = $1', [s.saleId])).rows[0]
              ?.applied ?? 0;
          return { saleId: s.saleId, replayed: true, applied, cuts: await shortfallsOf(c, ids) };
        }
        const lots = (
          await c.query<{ lot_id: string; on_hand: number }>(
            `SELECT lot_id, on_hand FROM lots WHERE node_id = $1 AND sku = $2 AND status = 'available' AND on_hand > 0 ORDER BY expires_on, lot_id FOR UPDATE`,
            [s.nodeId, s.sku],
          )
        ).rows;
        let left = s.qty;
        const cuts: ShortfallCut[] = [];
        for (const lot of lots) {
          if (left === 0) break;
          const take = Math.min(left, lot.on_hand);
          const r = await applyLotFact(
            c,
            { adjustmentId: `${prefix}${lot.lot_id}`, lotId: lot.lot_id, kind: 'sale', qty: take },
            s.soldAt,
          );
          if ('error' in r) throw new Error(r.error);
          cuts.push(...r.cuts);
          left -= take;
        }
        await c.query('UPDATE pos_sales SET applied = $2 WHERE sale_id = $1', [s.saleId, s.qty - left]);
        return { saleId: s.saleId, replayed: false, applied: s.qty - left, cuts };
      }),
    );
  }
  return out;
}

/** A stock change from the outside world: receipt, cycle count or POS sale on one lot. */
export type StockAdjustment = LotFact;

/**
 * Apply one adjustment in its own transaction (idempotent by id; always applied, see applyLotFact).
 * On hand past what a lot can hold (a receipt on a huge lot) is a DbConflict 'out_of_range'.
 */
export async function applyStockAdjustment(db: Queryable, a: StockAdjustment): Promise<LotFactResult> {
  return conflictsAsTyped(() => inTransaction(db, (c) => applyLotFact(c, a)), {
    out_of_range: `lot ${a.lotId}: on hand would exceed the largest quantity a lot can hold`,
  });
}

/** Unsignalled cuts (the shortfall outbox) of whole (adjustment, fulfilment) groups, oldest first. */
export async function unsignalledShortfalls(
  c: Queryable,
  opts: { olderThan: Date; groups: number; lock?: boolean },
): Promise<ShortfallCut[]> {
  // Whole groups, so a fulfilment never gets part of an adjustment's cuts (it acts on an id once).
  const sql = `SELECT adjustment_id, lot_id, fulfilment_id, order_id, line_id, qty FROM stock_shortfalls s
     WHERE signalled_at IS NULL AND (adjustment_id, fulfilment_id) IN (
       SELECT adjustment_id, fulfilment_id FROM stock_shortfalls
        WHERE signalled_at IS NULL AND recorded_at <= $1
        GROUP BY adjustment_id, fulfilment_id ORDER BY min(recorded_at) LIMIT $2)
     ORDER BY adjustment_id, fulfilment_id, lot_id, line_id ${opts.lock ? 'FOR UPDATE OF s SKIP LOCKED' : ''}`;
  const { rows } = await c.query<ShortfallRow>(sql, [opts.olderThan, opts.groups]);
  return rows.map(toCut);
}

/** Mark an adjustment's cuts of one fulfilment delivered ('signalled') or moot ('no_workflow'). */
export async function markShortfallsSignalled(
  c: Queryable,
  adjustmentId: string,
  fulfilmentId: string,
  result: 'signalled' | 'no_workflow',
): Promise<void> {
  await c.query(
    `UPDATE stock_shortfalls SET signalled_at = now(), signal_result = $3
      WHERE adjustment_id = $1 AND fulfilment_id = $2 AND signalled_at IS NULL`,
    [adjustmentId, fulfilmentId, result],
  );
}
