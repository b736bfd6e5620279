// SQL of picking: the open-task table, short-pick stock corrections, substitution policies, and
// the few lookups the picker API enriches its answers with (product names, sealed contacts).
import type { PickView, SubstitutionPolicy } from '../domain/orders';
import { sealedContactsForOrders } from './customers';
import { conflictsAsTyped } from './errors';
import { inTransaction, rowsOf } from './pool';
import type { Queryable } from './pool';
import { insertEvent, settleReturnLine } from './orders';
import type { OrderEvent } from './orders';

/** A fulfilment as the picker API reads it from the open-task table. */
export interface PickTaskRow {
  fulfilmentId: string;
  orderId: string;
  nodeId: string;
  state: string;
  pickers: string[];
  view: PickView;
  version: number;
}

interface Row {
  fulfilment_id: string;
  order_id: string;
  node_id: string;
  state: string;
  pickers: string[];
  view: PickView;
  version: number;
}
const toRow = (r: Row): PickTaskRow => ({
  fulfilmentId: r.fulfilment_id,
  orderId: r.order_id,
  nodeId: r.node_id,
  state: r.state,
  pickers: r.pickers,
  view: r.view,
  version: r.version,
});
const COLUMNS = 'fulfilment_id, order_id, node_id, state, pickers, view, version';

const UPSERT_PICK_TASK = `INSERT INTO pick_tasks (fulfilment_id, order_id, node_id, state, pickers, pick_deadline, view, version, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
     ON CONFLICT (fulfilment_id) DO UPDATE SET state = EXCLUDED.state, pickers = EXCLUDED.pickers, view = EXCLUDED.view,
       version = EXCLUDED.version, updated_at = now()
     WHERE pick_tasks.version < EXCLUDED.version`;
const pickTaskParams = (view: PickView, pickers: readonly string[]) => [
  view.fulfilmentId,
  view.orderId,
  view.nodeId,
  view.state,
  [...pickers],
  new Date(view.pickDeadlineMs),
  JSON.stringify(view),
  view.version,
];

/**
 * Write a fulfilment's picking view; an older version never replaces a newer one. `events`:
 * the order events of the changes that led to it, appended in the same transaction.
 */
export async function upsertPickTask(
  db: Queryable,
  view: PickView,
  pickers: readonly string[],
  events: readonly OrderEvent[] = [],
): Promise<void> {
  if (events.length === 0) {
    await rowsOf(db, UPSERT_PICK_TASK, pickTaskParams(view, pickers));
    return;
  }
  // The events that led to this view land with it, or not at all.
  await inTransaction(db, async (c) => {
    for (const e of events) await insertEvent(c, e);
    await c.query(UPSERT_PICK_TASK, pickTaskParams(view, pickers));
  });
}

/** Fulfilments of a node that pickers still work on (allocated, picking, packed), earliest deadline first. */
export async function openPickTasks(db: Queryable, nodeId: string): Promise<PickTaskRow[]> {
  const rows = await rowsOf<Row>(
    db,
    `SELECT ${COLUMNS} FROM pick_tasks WHERE node_id = $1 AND state IN ('allocated', 'picking', 'packed') ORDER BY pick_deadline, fulfilment_id`,
    [nodeId],
  );
  return rows.map(toRow);
}

/** One fulfilment's row, or undefined before its workflow wrote it. */
export async function pickTask(db: Queryable, fulfilmentId: string): Promise<PickTaskRow | undefined> {
  const rows = await rowsOf<Row>(db, `SELECT ${COLUMNS} FROM pick_tasks WHERE fulfilment_id = $1`, [fulfilmentId]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Every fulfilment of an order that reached the picking table. */
export async function pickTasksOfOrder(db: Queryable, orderId: string): Promise<PickTaskRow[]> {
  return (
    await rowsOf<Row>(db, `SELECT ${COLUMNS} FROM pick_tasks WHERE order_id = $1 ORDER BY fulfilment_id`, [orderId])
  ).map(toRow);
}

/** What a short pick did to one lot. */
export interface ShortPickLot {
  lotId: string;
  qty: number;
}

/**
 * The units a picker could not find (or found spoiled) do not exist for selling: release the
 * order's reservation of them and take them off hand, so re-allocation does not choose them
 * again. Not found is recorded as a count that leaves the lot nothing to promise; spoiled
 * goods as a write-off of the missing units. Idempotent per (fulfilment, line, lot): a retried
 * activity changes nothing.
 */
export async function recordShortPick(
  db: Queryable,
  a: {
    orderId: string;
    fulfilmentId: string;
    allocationKey?: string;
    lineId: string;
    reason: string;
    lots: readonly ShortPickLot[];
  },
): Promise<void> {
  await inTransaction(db, async (c) => {
    for (const l of [...a.lots].sort((x, y) => (x.lotId < y.lotId ? -1 : x.lotId > y.lotId ? 1 : 0))) {
      if (l.qty <= 0) continue;
      const id = `${a.fulfilmentId}:${a.lineId}:short:${l.lotId}`;
      const lot = (
        await c.query<{ on_hand: number; reserved: number }>(
          'SELECT on_hand, reserved FROM lots WHERE lot_id = $1 FOR UPDATE',
          [l.lotId],
        )
      ).rows[0];
      if (!lot) continue;
      if ((await c.query('SELECT 1 FROM stock_adjustments WHERE adjustment_id = $1', [id])).rowCount) continue;
      // The fulfilment's own hold on the lot (another allocation of the order may hold it too).
      const held = (
        await c.query<{ allocation_key: string; qty: number }>(
          `SELECT allocation_key, qty FROM stock_reservations
            WHERE order_id = $1 AND lot_id = $2 AND status = 'held' AND ($3::text IS NULL OR allocation_key = $3)
            ORDER BY allocation_key LIMIT 1 FOR UPDATE`,
          [a.orderId, l.lotId, a.allocationKey ?? null],
        )
      ).rows[0];
      const released = Math.min(held?.qty ?? 0, l.qty);
      if (held && released === held.qty) {
        await c.query(
          `UPDATE stock_reservations SET status = 'released' WHERE order_id = $1 AND lot_id = $2 AND allocation_key = $3`,
          [a.orderId, l.lotId, held.allocation_key],
        );
      } else if (held && released > 0) {
        await c.query(
          'UPDATE stock_reservations SET qty = qty - $4 WHERE order_id = $1 AND lot_id = $2 AND allocation_key = $3',
          [a.orderId, l.lotId, held.allocation_key, released],
        );
      }
      const reserved = lot.reserved - released;
      // Not found: the bin holds nothing beyond what is reserved (our picked units, other
      // orders' holds, which they will find out about at the bin), so nothing is left to
      // promise from it. Spoiled: the missing units are written off, the rest stays.
      const onHand = a.reason === 'not_found' ? reserved : Math.max(reserved, lot.on_hand - l.qty);
      await c.query('UPDATE lots SET on_hand = $2, reserved = $3, updated_at = now() WHERE lot_id = $1', [
        l.lotId,
        onHand,
        reserved,
      ]);
      await c.query(
        'INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, counted, system_before) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          id,
          l.lotId,
          a.reason === 'not_found' ? 'count' : 'write_off',
          onHand - lot.on_hand,
          a.reason === 'not_found' ? onHand : null,
          lot.on_hand,
        ],
      );
    }
  });
}

/** What a quarantine does to one fulfilment's stock (see quarantineLines in workflows/picking.ts). */
export interface QuarantineSettlement {
  orderId: string;
  fulfilmentId: string;
  allocationKey?: string;
  alertId: string;
  /** Units of quarantined lots already picked: they leave on_hand as a write-off. */
  writeOff: readonly ShortPickLot[];
  /** Held units given back to promise. */
  release: readonly ShortPickLot[];
  /** The `lines_quarantined` order event; its (key, time) makes a retried settlement a no-op. */
  event: OrderEvent;
}

/**
 * Settle a quarantine reaching a fulfilment before dispatch, in one transaction with its order
 * event: picked units of a quarantined lot are out of their bin, so they leave on_hand (the
 * fulfilment's hold on them is committed) and are written off; the other units of the lines'
 * holds are released, by exactly the given quantity, so the holds of lines the quarantine
 * does not touch stay. Returns false when it was settled before (an activity retry).
 */
export async function settleQuarantinedLines(db: Queryable, a: QuarantineSettlement): Promise<boolean> {
  return inTransaction(db, async (c) => {
    if (
      (await c.query('SELECT 1 FROM order_events WHERE event_key = $1 AND at = $2', [a.event.key, a.event.at])).rowCount
    )
      return false;
    const writeOff = new Map(a.writeOff.map((l) => [l.lotId, l.qty]));
    const release = new Map(a.release.map((l) => [l.lotId, l.qty]));
    for (const lotId of [...new Set([...writeOff.keys(), ...release.keys()])].sort()) {
      await settleQuarantinedLot(c, a, lotId, writeOff.get(lotId) ?? 0, release.get(lotId) ?? 0);
    }
    await insertEvent(c, a.event);
    return true;
  });
}

async function settleQuarantinedLot(
  c: Queryable,
  a: QuarantineSettlement,
  lotId: string,
  writeOff: number,
  release: number,
): Promise<void> {
  const lot = (
    await c.query<{ on_hand: number; reserved: number }>(
      'SELECT on_hand, reserved FROM lots WHERE lot_id = $1 FOR UPDATE',
      [lotId],
    )
  ).rows[0];
  if (!lot) return;
  const held = (
    await c.query<{ allocation_key: string; qty: number }>(
      `SELECT allocation_key, qty FROM stock_reservations
        WHERE order_id = $1 AND lot_id = $2 AND status = 'held' AND ($3::text IS NULL OR allocation_key = $3)
        ORDER BY allocation_key LIMIT 1 FOR UPDATE`,
      [a.orderId, lotId, a.allocationKey ?? null],
    )
  ).rows[0];
  const holdQty = held?.qty ?? 0;
  // A hold the expiry sweep already released gives nothing back; the picked units still left the bin.
  const fromHold = Math.min(holdQty, writeOff + release);
  const left = holdQty - fromHold;
  if (held) {
    const status = left > 0 ? 'held' : writeOff > 0 ? 'committed' : 'released';
    const qty = left > 0 ? left : writeOff > 0 ? Math.min(writeOff, holdQty) : holdQty;
    await c.query(
      'UPDATE stock_reservations SET status = $4, qty = $5 WHERE order_id = $1 AND allocation_key = $2 AND lot_id = $3',
      [a.orderId, held.allocation_key, lotId, status, qty],
    );
  }
  const onHand = Math.max(lot.reserved - fromHold, lot.on_hand - writeOff);
  await c.query('UPDATE lots SET on_hand = $2, reserved = $3, updated_at = now() WHERE lot_id = $1', [
    lotId,
    onHand,
    lot.reserved - fromHold,
  ]);
  if (writeOff > 0) {
    await c.query(
      "INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, system_before) VALUES ($1, $2, 'write_off', $3, $4) ON CONFLICT DO NOTHING",
      [`${a.fulfilmentId}:quarantine:${a.alertId}:${lotId}`, lotId, onHand - lot.on_hand, lot.on_hand],
    );
  }
}

/** Credit a line's missing quantity at its unit price (idempotent per order, line and reason); returns the credit. */
export async function refundLine(
  db: Queryable,
  a: { orderId: string; lineId: string; sku: string; qty: number; reason: string },
): Promise<number> {
  const price =
    (await rowsOf<{ unit_price_cents: number }>(db, 'SELECT unit_price_cents FROM skus WHERE sku = $1', [a.sku]))[0]
      ?.unit_price_cents ?? 0;
  await settleReturnLine(db, {
    orderId: a.orderId,
    lineId: a.lineId,
    reason: a.reason,
    lotId: null,
    qty: a.qty,
    restock: false,
    creditCents: price * a.qty,
  });
  const row = await rowsOf<{ credit_cents: number }>(
    db,
    'SELECT credit_cents FROM order_credits WHERE order_id = $1 AND line_id = $2 AND reason = $3',
    [a.orderId, a.lineId, a.reason],
  );
  return row[0]?.credit_cents ?? 0;
}

/** A customer's substitution policy for one line ('*': the order's default). */
export interface SubstitutionPolicyRow {
  lineId: string;
  policy: SubstitutionPolicy;
  sku: string | null;
  decisionWindowS?: number | null;
}

/**
 * Replace an order's substitution policies (PUT semantics). Two replacements at the same time
 * both clear the old rows and the later insert collides: a DbConflict 'concurrent_write'.
 */
export async function setSubstitutionPolicies(
  db: Queryable,
  orderId: string,
  rows: readonly SubstitutionPolicyRow[],
): Promise<void> {
  const replace = () =>
    inTransaction(db, async (c) => {
      await c.query('DELETE FROM substitution_policies WHERE order_id = $1', [orderId]);
      for (const r of rows) {
        await c.query(
          'INSERT INTO substitution_policies (order_id, line_id, policy, sku, decision_window_s) VALUES ($1, $2, $3, $4, $5)',
          [orderId, r.lineId, r.policy, r.sku, r.decisionWindowS ?? null],
        );
      }
    });
  await conflictsAsTyped(replace, {
    concurrent_write: `the substitution policy of order ${orderId} was being replaced by another request at the same time: send it again`,
  });
}

/** An order's substitution policies as stored (empty: best match for every line). */
export async function substitutionPolicies(
  db: Queryable,
  orderIds: readonly string[],
): Promise<Map<string, SubstitutionPolicyRow[]>> {
  const rows = await rowsOf<{
    order_id: string;
    line_id: string;
    policy: SubstitutionPolicy;
    sku: string | null;
    decision_window_s: number | null;
  }>(
    db,
    'SELECT order_id, line_id, policy, sku, decision_window_s FROM substitution_policies WHERE order_id = ANY($1) ORDER BY order_id, line_id',
    [[...orderIds]],
  );
  const out = new Map<string, SubstitutionPolicyRow[]>();
  for (const r of rows)
    out.set(r.order_id, [
      ...(out.get(r.order_id) ?? []),
      { lineId: r.line_id, policy: r.policy, sku: r.sku, decisionWindowS: r.decision_window_s },
    ]);
  return out;
}

/** The policy that applies to a line: its own row, else the order default, else best match; and the order's answer window. */
export function policyFor(
  rows: readonly SubstitutionPolicyRow[] | undefined,
  lineId: string,
): { policy: SubstitutionPolicy; sku: string | null; decisionWindowS: number | null } {
  const star = rows?.find((r) => r.lineId === '*');
  const own = rows?.find((r) => r.lineId === lineId) ?? star;
  const decisionWindowS = own?.decisionWindowS ?? star?.decisionWindowS ?? null;
  return own
    ? { policy: own.policy, sku: own.sku, decisionWindowS }
    : { policy: 'best_match', sku: null, decisionWindowS };
}

/** Product names for a picker's screen. */
export async function skuNames(db: Queryable, skus: readonly string[]): Promise<Map<string, string>> {
  if (!skus.length) return new Map();
  const rows = await rowsOf<{ sku: string; name: string }>(db, 'SELECT sku, name FROM skus WHERE sku = ANY($1)', [
    [...new Set(skus)],
  ]);
  return new Map(rows.map((r) => [r.sku, r.name]));
}

/** Sealed personal data of the customers of some orders (the caller decrypts only to mask). */
export async function sealedContacts(db: Queryable, orderIds: readonly string[]): Promise<Map<string, Buffer>> {
  return sealedContactsForOrders(db, orderIds);
}

/** A node's kind and its wave settings (nodes.attributes.waves), if the node exists. */
export async function nodeForPicking(
  db: Queryable,
  nodeId: string,
): Promise<{ id: string; kind: 'front' | 'store'; waves: Record<string, unknown> } | undefined> {
  const row = (
    await rowsOf<{ id: string; kind: 'front' | 'store'; attributes: { waves?: Record<string, unknown> } | null }>(
      db,
      'SELECT id, kind, attributes FROM nodes WHERE id = $1',
      [nodeId],
    )
  )[0];
  return row ? { id: row.id, kind: row.kind, waves: row.attributes?.waves ?? {} } : undefined;
}
