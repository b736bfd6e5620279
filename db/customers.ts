// Customers' personal data for its whole life (docs/privacy.md): the sealed record and its
// per-customer data key, erasure on request and by retention, and the log of every read of
// unmasked personal data. Crypto lives in platform/pii.ts; this module only stores bytes.
import type { CustomerPiiSealer } from '../platform/pii';
import { customerEnvelope } from '../platform/pii';
import { inTransaction, rowsOf } from './pool';
import type { Queryable } from './pool';

/** Order states after which an order needs no personal data but for returns and disputes. */
export const FINISHED_ORDER_STATES = ['delivered', 'cancelled', 'rejected', 'returned'] as const;
/** What an erased door's address hash becomes (the hash of a known address would confirm it). */
export const ERASED_ADDRESS_KEY = 'erased';

/**
 * Store a customer's record sealed under the customer's own data key, made on first use. The
 * key row is locked, so concurrent intakes for one customer seal under the same key. A record
 * that was erased is written afresh: the customer gave the data again.
 */
export async function storeCustomerRecord(c: Queryable, customerId: string, sealer: CustomerPiiSealer): Promise<void> {
  const existing = await c.query<{ wrapped_key: Buffer }>(
    'SELECT wrapped_key FROM customer_keys WHERE customer_id = $1 FOR UPDATE',
    [customerId],
  );
  let wrapped = existing.rows[0]?.wrapped_key;
  if (!wrapped) {
    await c.query(
      'INSERT INTO customer_keys (customer_id, wrapped_key) VALUES ($1, $2) ON CONFLICT (customer_id) DO NOTHING',
      [customerId, sealer.newWrappedKey()],
    );
    wrapped = (
      await c.query<{ wrapped_key: Buffer }>(
        'SELECT wrapped_key FROM customer_keys WHERE customer_id = $1 FOR UPDATE',
        [customerId],
      )
    ).rows[0]!.wrapped_key;
  }
  await c.query(
    `INSERT INTO customers (customer_id, pii_ciphertext) VALUES ($1, $2)
     ON CONFLICT (customer_id) DO UPDATE SET pii_ciphertext = EXCLUDED.pii_ciphertext, erased_at = NULL, erased_reason = NULL`,
    [customerId, sealer.seal(wrapped)],
  );
}

/** Sealed records of the customers of some orders, each with its key (open with `openPii`); erased ones are absent. */
export async function sealedContactsForOrders(
  db: Queryable,
  orderIds: readonly string[],
): Promise<Map<string, Buffer>> {
  if (!orderIds.length) return new Map();
  const rows = await rowsOf<{ order_id: string; pii_ciphertext: Buffer; wrapped_key: Buffer | null }>(
    db,
    `SELECT o.order_id, c.pii_ciphertext, k.wrapped_key
       FROM orders o JOIN customers c ON c.customer_id = o.customer_id LEFT JOIN customer_keys k ON k.customer_id = o.customer_id
      WHERE o.order_id = ANY($1) AND c.pii_ciphertext IS NOT NULL`,
    [[...new Set(orderIds)]],
  );
  return new Map(rows.map((r) => [r.order_id, customerEnvelope(r.pii_ciphertext, r.wrapped_key)]));
}

/** One order of a customer, with its door while it is kept. */
export interface CustomerOrder {
  orderId: string;
  status: string;
  placedAt: Date;
  location: { lat: number; lng: number } | null;
  personalDataErasedAt: Date | null;
}

/** A customer as ops may see them unmasked: unknown, erased, or the sealed record and orders. */
export type CustomerRecord =
  | { state: 'unknown' }
  | { state: 'erased'; erasedAt: Date; reason: string }
  | { state: 'present'; sealed: Buffer; orders: CustomerOrder[] };

/** An entry of the access log (who read or erased whose personal data, and why). */
export interface PiiAccess {
  actor: string;
  role: string;
  action: 'view' | 'export' | 'erase';
  customerId: string;
  reason: string;
  fields: readonly string[];
}

async function insertAccess(c: Queryable, a: PiiAccess): Promise<void> {
  await c.query(
    'INSERT INTO pii_access_log (actor, role, action, customer_id, reason, fields) VALUES ($1, $2, $3, $4, $5, $6)',
    [a.actor, a.role, a.action, a.customerId, a.reason, [...a.fields]],
  );
}

/**
 * Read a customer's unmasked record for ops, writing the access log entry in the same
 * transaction: no entry, no data. Nothing is logged for an unknown or erased customer.
 */
export async function readCustomerForOps(
  db: Queryable,
  customerId: string,
  access: Omit<PiiAccess, 'customerId'>,
): Promise<CustomerRecord> {
  return inTransaction(db, async (c) => {
    const row = (
      await c.query<{
        pii_ciphertext: Buffer | null;
        wrapped_key: Buffer | null;
        erased_at: Date | null;
        erased_reason: string | null;
      }>(
        'SELECT c.pii_ciphertext, k.wrapped_key, c.erased_at, c.erased_reason FROM customers c LEFT JOIN customer_keys k USING (customer_id) WHERE c.customer_id = $1',
        [customerId],
      )
    ).rows[0];
    if (!row) return { state: 'unknown' as const };
    if (!row.pii_ciphertext)
      return {
        state: 'erased' as const,
        erasedAt: row.erased_at ?? new Date(0),
        reason: row.erased_reason ?? 'request',
      };
    const orders = await c.query<{
      order_id: string;
      status: string;
      placed_at: Date;
      lat: number | null;
      lng: number | null;
      pii_erased_at: Date | null;
    }>(
      'SELECT order_id, status, placed_at, lat, lng, pii_erased_at FROM orders WHERE customer_id = $1 ORDER BY placed_at DESC, order_id LIMIT 1000',
      [customerId],
    );
    await insertAccess(c, { ...access, customerId });
    return {
      state: 'present' as const,
      sealed: customerEnvelope(row.pii_ciphertext, row.wrapped_key),
      orders: orders.rows.map((o) => ({
        orderId: o.order_id,
        status: o.status,
        placedAt: o.placed_at,
        location: o.lat === null || o.lng === null ? null : { lat: o.lat, lng: o.lng },
        personalDataErasedAt: o.pii_erased_at,
      })),
    };
  });
}

/** Clear the door of these orders (or of every order of these customers); returns the orders touched. */
async function eraseDoors(
  c: Queryable,
  where: { customerIds: readonly string[] } | { orderIds: readonly string[] },
  at: Date,
): Promise<string[]> {
  const byCustomer = 'customerIds' in where;
  const rows = await c.query<{ order_id: string }>(
    `UPDATE orders SET lat = NULL, lng = NULL, address_key = $3, pii_erased_at = $2,
            intake_fingerprint = intake_fingerprint - 'customer' - 'location'
      WHERE ${byCustomer ? 'customer_id' : 'order_id'} = ANY($1) AND pii_erased_at IS NULL
     RETURNING order_id`,
    [byCustomer ? [...where.customerIds] : [...where.orderIds], at, ERASED_ADDRESS_KEY],
  );
  const ids = rows.rows.map((r) => r.order_id);
  // A delivery groups orders to one door: its address hash goes with theirs.
  if (ids.length)
    await c.query('UPDATE deliveries SET address_key = $2 WHERE order_ids && $1::text[]', [ids, ERASED_ADDRESS_KEY]);
  return ids;
}

/** Shred customers: destroy their data keys and records, clear every door of theirs. */
async function shredCustomers(
  c: Queryable,
  customerIds: readonly string[],
  reason: 'request' | 'retention',
  at: Date,
): Promise<string[]> {
  await c.query('DELETE FROM customer_keys WHERE customer_id = ANY($1)', [[...customerIds]]);
  await c.query(
    'UPDATE customers SET pii_ciphertext = NULL, erased_at = $2, erased_reason = $3 WHERE customer_id = ANY($1) AND erased_at IS NULL',
    [[...customerIds], at, reason],
  );
  return eraseDoors(c, { customerIds }, at);
}

/** What an erasure request did. */
export type ErasureResult =
  | { state: 'unknown' }
  | { state: 'active_orders'; orderIds: string[] }
  | { state: 'erased'; erasedAt: Date; orders: number; alreadyErased: boolean };

/**
 * Erase a customer on request: their data key and record, and every door of theirs, in one
 * transaction with its log entry. Refused while an order of theirs is still on its way (it needs
 * the door); repeated, it answers with the first erasure and changes nothing.
 */
export async function eraseCustomer(
  db: Queryable,
  customerId: string,
  access: Omit<PiiAccess, 'customerId' | 'action' | 'fields'>,
): Promise<ErasureResult> {
  return inTransaction(db, async (c) => {
    const row = (
      await c.query<{ erased_at: Date | null }>('SELECT erased_at FROM customers WHERE customer_id = $1 FOR UPDATE', [
        customerId,
      ])
    ).rows[0];
    const orders = (
      await c.query<{ order_id: string; status: string }>(
        'SELECT order_id, status FROM orders WHERE customer_id = $1 ORDER BY order_id FOR UPDATE',
        [customerId],
      )
    ).rows;
    if (!row && !orders.length) return { state: 'unknown' as const };
    if (row?.erased_at) return { state: 'erased' as const, erasedAt: row.erased_at, orders: 0, alreadyErased: true };
    const active = orders
      .filter((o) => !(FINISHED_ORDER_STATES as readonly string[]).includes(o.status))
      .map((o) => o.order_id);
    if (active.length) return { state: 'active_orders' as const, orderIds: active };
    const at = (await c.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
    const erased = await shredCustomers(c, [customerId], 'request', at);
    await insertAccess(c, { ...access, action: 'erase', customerId, fields: ['name', 'phone', 'address', 'location'] });
    return { state: 'erased' as const, erasedAt: at, orders: erased.length, alreadyErased: false };
  });
}

/**
 * Retention: clear the door of orders finished before `finishedBefore` (by their last change),
 * and shred customers all of whose orders are so; at most `batch` of each per call. Each
 * shredded customer is logged as erased by `actor`.
 */
export async function erasePersonalDataPastRetention(
  db: Queryable,
  a: { finishedBefore: Date; batch: number; actor: string },
): Promise<{ orders: number; customers: number }> {
  return inTransaction(db, async (c) => {
    const at = (await c.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
    const customers = (
      await c.query<{ customer_id: string }>(
        `SELECT c.customer_id FROM customers c
          WHERE c.erased_at IS NULL AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)
            AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND (o.status <> ALL($1) OR o.updated_at >= $2))
          ORDER BY c.customer_id LIMIT $3 FOR UPDATE OF c SKIP LOCKED`,
        [[...FINISHED_ORDER_STATES], a.finishedBefore, a.batch],
      )
    ).rows.map((r) => r.customer_id);
    let orders = customers.length ? (await shredCustomers(c, customers, 'retention', at)).length : 0;
    for (const customerId of customers)
      await insertAccess(c, {
        actor: a.actor,
        role: 'system',
        action: 'erase',
        customerId,
        reason: 'retention period passed',
        fields: ['name', 'phone', 'address', 'location'],
      });
    const doors = (
      await c.query<{ order_id: string }>(
        `SELECT order_id FROM orders WHERE pii_erased_at IS NULL AND status = ANY($1) AND updated_at < $2 ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [[...FINISHED_ORDER_STATES], a.finishedBefore, a.batch],
      )
    ).rows.map((r) => r.order_id);
    if (doors.length) orders += (await eraseDoors(c, { orderIds: doors }, at)).length;
    return { orders, customers: customers.length };
  });
}

/** One access log entry as stored. */
export interface PiiAccessEntry extends PiiAccess {
  id: string;
  at: Date;
}

/** The access log, newest first, filtered; `beforeId` pages on. */
export async function listPiiAccess(
  db: Queryable,
  f: { customerId?: string; actor?: string; from?: Date; to?: Date; beforeId?: string; limit: number },
): Promise<PiiAccessEntry[]> {
  const rows = await rowsOf<{
    id: string;
    at: Date;
    actor: string;
    role: string;
    action: PiiAccess['action'];
    customer_id: string;
    reason: string;
    fields: string[];
  }>(
    db,
    `SELECT id::text, at, actor, role, action, customer_id, reason, fields FROM pii_access_log
      WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR actor = $2)
        AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4) AND ($5::bigint IS NULL OR id < $5)
      ORDER BY id DESC LIMIT $6`,
    [f.customerId ?? null, f.actor ?? null, f.from ?? null, f.to ?? null, f.beforeId ?? null, f.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    customerId: r.customer_id,
    reason: r.reason,
    fields: r.fields,
  }));
}
