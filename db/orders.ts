import type { Allocation, LotReservation, Node, Order, Sku, StockLot, Zone } from '../domain/orders';
import type { CustomerPiiSealer } from '../platform/pii';
import { storeCustomerRecord } from './customers';
import { inTransaction, rowsOf } from './pool';
import type { Queryable } from './pool';

/** A SKU with its cold-chain profile, as stored. */
export interface SkuRecord extends Sku {
  band: string;
  q10?: number;
  refTempC?: number;
  shelfLifeDaysAtRef?: number;
}

/** A lot as stored (on hand, not available-to-promise). */
export interface LotRecord {
  lotId: string;
  nodeId: string;
  sku: string;
  expiresOn: string;
  onHand: number;
  bin?: string;
  assetId?: string;
}

/** Register or update nodes (allocation parameters live in `attributes`). */
export async function upsertNodes(db: Queryable, nodes: readonly Node[]): Promise<void> {
  if (!nodes.length) return;
  await rowsOf(
    db,
    `INSERT INTO nodes (id, kind, name, lat, lng, service_radius_km, zones, attributes)
     SELECT id, kind, name, lat, lng, r, string_to_array(z, ','), a
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::text[], $8::jsonb[]) AS t(id, kind, name, lat, lng, r, z, a)
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, lat = EXCLUDED.lat, lng = EXCLUDED.lng,
       service_radius_km = EXCLUDED.service_radius_km, zones = EXCLUDED.zones, attributes = EXCLUDED.attributes`,
    [
      nodes.map((n) => n.id),
      nodes.map((n) => n.kind),
      nodes.map((n) => n.name),
      nodes.map((n) => n.location.lat),
      nodes.map((n) => n.location.lng),
      nodes.map((n) => n.serviceRadiusKm),
      nodes.map((n) => n.zones.join(',')),
      nodes.map((n) =>
        JSON.stringify({
          pickMinutesPerOrder: n.pickMinutesPerOrder,
          packMinutes: n.packMinutes,
          travelKmPerHour: n.travelKmPerHour,
          slotCapacity: n.slotCapacity,
        }),
      ),
    ],
  );
}

/** Register or update SKUs. */
export async function upsertSkus(db: Queryable, skus: readonly SkuRecord[]): Promise<void> {
  if (!skus.length) return;
  await rowsOf(
    db,
    `INSERT INTO skus (sku, name, category, zone, min_shelf_life_days, perishable, unit_price_cents, band, q10, ref_temp_c, shelf_life_days_at_ref)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::int[], $8::text[], $9::float8[], $10::float8[], $11::float8[])
     ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, zone = EXCLUDED.zone,
       min_shelf_life_days = EXCLUDED.min_shelf_life_days, perishable = EXCLUDED.perishable, unit_price_cents = EXCLUDED.unit_price_cents, band = EXCLUDED.band,
       shelf_life_days_at_ref = EXCLUDED.shelf_life_days_at_ref`,
    [
      skus.map((s) => s.sku),
      skus.map((s) => s.name),
      skus.map((s) => s.category),
      skus.map((s) => s.zone),
      skus.map((s) => s.minShelfLifeDays),
      skus.map((s) => s.perishable),
      skus.map((s) => s.unitPriceCents),
      skus.map((s) => s.band),
      skus.map((s) => s.q10 ?? 2.5),
      skus.map((s) => s.refTempC ?? 4),
      skus.map((s) => s.shelfLifeDaysAtRef ?? 7),
    ],
  );
}

/** Insert lots that do not exist yet (receipts of known lots go through stock adjustments). */
export async function insertLots(db: Queryable, lots: readonly LotRecord[]): Promise<void> {
  if (!lots.length) return;
  await rowsOf(
    db,
    `INSERT INTO lots (lot_id, node_id, sku, expires_on, on_hand, bin, asset_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::int[], $6::text[], $7::text[])
     ON CONFLICT (lot_id) DO NOTHING`,
    [
      lots.map((l) => l.lotId),
      lots.map((l) => l.nodeId),
      lots.map((l) => l.sku),
      lots.map((l) => l.expiresOn),
      lots.map((l) => l.onHand),
      lots.map((l) => l.bin ?? null),
      lots.map((l) => l.assetId ?? null),
    ],
  );
}

interface NodeRow {
  id: string;
  kind: 'front' | 'store';
  name: string;
  lat: number;
  lng: number;
  service_radius_km: number;
  zones: Zone[];
  attributes: Record<string, unknown>;
}

function toNode(r: NodeRow): Node {
  const a = r.attributes as {
    pickMinutesPerOrder?: number;
    packMinutes?: number;
    travelKmPerHour?: number;
    slotCapacity?: Record<string, number>;
  };
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    location: { lat: r.lat, lng: r.lng },
    serviceRadiusKm: r.service_radius_km,
    zones: r.zones,
    pickMinutesPerOrder: a.pickMinutesPerOrder ?? 3,
    packMinutes: a.packMinutes ?? 1,
    travelKmPerHour: a.travelKmPerHour ?? 18,
    slotCapacity: a.slotCapacity ?? {},
  };
}

/** Everything the allocator needs for one order: nearby nodes, its SKUs, their allocatable lots, slot usage. */
export async function loadAllocationInputs(
  db: Queryable,
  order: Pick<Order, 'location' | 'lines'>,
  slotKey: string,
): Promise<{ nodes: Node[]; skus: Sku[]; lots: StockLot[]; slotUsage: Map<string, Map<string, number>> }> {
  const skuIds = [...new Set(order.lines.map((l) => l.sku))];
  // A generous box (~30 km) prefilters; the allocator applies each node's own radius.
  const nodes = (
    await rowsOf<NodeRow>(
      db,
      `SELECT id, kind, name, lat, lng, service_radius_km, zones, attributes FROM nodes WHERE abs(lat - $1) < 0.3 AND abs(lng - $2) < 0.35`,
      [order.location.lat, order.location.lng],
    )
  ).map(toNode);
  const nodeIds = nodes.map((n) => n.id);
  const [skuRows, lotRows, usageRows] = await Promise.all([
    rowsOf<{
      sku: string;
      name: string;
      category: string;
      zone: Zone;
      min_shelf_life_days: number;
      perishable: boolean;
      unit_price_cents: number;
    }>(
      db,
      'SELECT sku, name, category, zone, min_shelf_life_days, perishable, unit_price_cents FROM skus WHERE sku = ANY($1)',
      [skuIds],
    ),
    rowsOf<{ lot_id: string; node_id: string; sku: string; expires_on: string; available: number; bin: string | null }>(
      db,
      `SELECT lot_id, node_id, sku, to_char(expires_on, 'YYYY-MM-DD') AS expires_on, on_hand - reserved AS available, bin
         FROM lots WHERE node_id = ANY($1) AND sku = ANY($2) AND status = 'available' AND on_hand > reserved`,
      [nodeIds, skuIds],
    ),
    rowsOf<{ node_id: string; used: number }>(
      db,
      'SELECT node_id, used FROM node_slot_usage WHERE node_id = ANY($1) AND slot_key = $2',
      [nodeIds, slotKey],
    ),
  ]);
  return {
    nodes,
    skus: skuRows.map((s) => ({
      sku: s.sku,
      name: s.name,
      category: s.category,
      zone: s.zone,
      minShelfLifeDays: s.min_shelf_life_days,
      perishable: s.perishable,
      unitPriceCents: s.unit_price_cents,
    })),
    lots: lotRows.map((l) => ({
      lotId: l.lot_id,
      nodeId: l.node_id,
      sku: l.sku,
      expiresOn: l.expires_on,
      available: l.available,
      ...(l.bin ? { bin: l.bin } : {}),
    })),
    slotUsage: new Map(usageRows.map((u) => [u.node_id, new Map([[slotKey, u.used]])])),
  };
}

/** Why a reservation could not be made as allocated (the stock moved since it was read). */
export interface ReservationConflict {
  lotId?: string;
  nodeId: string;
  reason: 'lot_short' | 'capacity_full';
}

/**
 * Reserve an allocation atomically: every lot or none, and one slot of capacity per new node.
 * `allocationKey` makes it idempotent: a retried activity finds the allocation it already
 * made (stored with the event) and changes nothing. Stock cannot go negative: each lot row
 * is updated only while on_hand - reserved covers the quantity, and a CHECK backs that up.
 */
export async function reserveAllocation(
  db: Queryable,
  args: {
    orderId: string;
    allocationKey: string;
    allocation: Allocation;
    requests: readonly LotReservation[];
    slotKey: string;
    capacities: ReadonlyMap<string, number>;
    newNodeIds: readonly string[];
    expiresAt: Date;
    at: Date;
  },
): Promise<{ ok: true; allocation: Allocation; replayed: boolean } | { ok: false; conflict: ReservationConflict }> {
  return inTransaction(db, async (c) => {
    const prior = await c.query<{ data: Allocation }>('SELECT data FROM order_events WHERE event_key = $1', [
      args.allocationKey,
    ]);
    if (prior.rows[0]) return { ok: true as const, allocation: prior.rows[0].data, replayed: true };
    // Lock lots in a stable order so concurrent orders on the same lots cannot deadlock.
    const requests = [...args.requests].sort((a, b) => (a.lotId < b.lotId ? -1 : a.lotId > b.lotId ? 1 : 0));
    for (const r of requests) {
      const res = await c.query(
        'UPDATE lots SET reserved = reserved + $2, updated_at = now() WHERE lot_id = $1 AND status = $3 AND on_hand - reserved >= $2',
        [r.lotId, r.qty, 'available'],
      );
      if (res.rowCount !== 1) throw new ConflictError({ lotId: r.lotId, nodeId: r.nodeId, reason: 'lot_short' });
      await c.query(
        `INSERT INTO stock_reservations (order_id, allocation_key, lot_id, node_id, sku, qty, expires_at) VALUES ($1, $7, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id, allocation_key, lot_id) DO UPDATE
           -- A held row grows; a released or committed one no longer counts in lots.reserved, so
           -- it starts again at what is reserved now (adding to it broke the lot's balance).
           SET qty = CASE WHEN stock_reservations.status = 'held' THEN stock_reservations.qty + EXCLUDED.qty ELSE EXCLUDED.qty END,
               status = 'held', expires_at = EXCLUDED.expires_at`,
        [args.orderId, r.lotId, r.nodeId, r.sku, r.qty, args.expiresAt, args.allocationKey],
      );
    }
    for (const nodeId of [...args.newNodeIds].sort()) {
      const cap = args.capacities.get(nodeId) ?? 0;
      const res = await c.query(
        `INSERT INTO node_slot_usage (node_id, slot_key, used) VALUES ($1, $2, 1)
         ON CONFLICT (node_id, slot_key) DO UPDATE SET used = node_slot_usage.used + 1 WHERE node_slot_usage.used < $3`,
        [nodeId, args.slotKey, cap],
      );
      if (res.rowCount !== 1 || cap < 1) throw new ConflictError({ nodeId, reason: 'capacity_full' });
    }
    await insertEvent(c, {
      orderId: args.orderId,
      key: args.allocationKey,
      type: 'allocated',
      at: args.at,
      data: args.allocation,
    });
    return { ok: true as const, allocation: args.allocation, replayed: false };
  }).catch((err: unknown) => {
    // The transaction rolled back: nothing of this allocation was kept.
    if (err instanceof ConflictError) return { ok: false as const, conflict: err.conflict };
    throw err;
  });
}

class ConflictError extends Error {
  constructor(readonly conflict: ReservationConflict) {
    super(`reservation conflict: ${conflict.reason}`);
  }
}

/**
 * Release held reservations of an order (all, or only some lots; of one allocation, or of every
 * allocation when `allocationKey` is absent); returns the lots released. Idempotent.
 */
export async function releaseReservations(
  db: Queryable,
  orderId: string,
  lotIds?: readonly string[],
  allocationKey?: string,
): Promise<{ lotId: string; qty: number }[]> {
  return inTransaction(db, async (c) => {
    const rows = (
      await c.query<{ lot_id: string; qty: number }>(
        `UPDATE stock_reservations SET status = 'released'
          WHERE order_id = $1 AND status = 'held' AND ($2::text[] IS NULL OR lot_id = ANY($2)) AND ($3::text IS NULL OR allocation_key = $3)
         RETURNING lot_id, qty`,
        [orderId, lotIds ?? null, allocationKey ?? null],
      )
    ).rows;
    for (const r of rows.sort((a, b) => (a.lot_id < b.lot_id ? -1 : 1))) {
      await c.query('UPDATE lots SET reserved = reserved - $2, updated_at = now() WHERE lot_id = $1', [
        r.lot_id,
        r.qty,
      ]);
    }
    return rows.map((r) => ({ lotId: r.lot_id, qty: r.qty }));
  });
}

/** Give back slot capacity taken at a node (cancellation before picking). */
export async function releaseSlot(db: Queryable, nodeId: string, slotKey: string): Promise<void> {
  await rowsOf(db, 'UPDATE node_slot_usage SET used = used - 1 WHERE node_id = $1 AND slot_key = $2 AND used > 0', [
    nodeId,
    slotKey,
  ]);
}

/**
 * Stock leaves the node with the fulfilment: its held reservations become committed, on_hand
 * drops. Idempotent. `allocationKey` names the allocation that started the fulfilment; without
 * it (fulfilments started before holds were kept per allocation) every hold of the order at the
 * node goes.
 */
export async function commitReservations(
  db: Queryable,
  orderId: string,
  nodeId: string,
  allocationKey?: string,
): Promise<number> {
  return inTransaction(db, async (c) => {
    const rows = (
      await c.query<{ lot_id: string; qty: number }>(
        `UPDATE stock_reservations SET status = 'committed'
          WHERE order_id = $1 AND node_id = $2 AND status = 'held' AND ($3::text IS NULL OR allocation_key = $3)
         RETURNING lot_id, qty`,
        [orderId, nodeId, allocationKey ?? null],
      )
    ).rows;
    for (const r of rows.sort((a, b) => (a.lot_id < b.lot_id ? -1 : 1))) {
      await c.query(
        'UPDATE lots SET on_hand = on_hand - $2, reserved = reserved - $2, updated_at = now() WHERE lot_id = $1',
        [r.lot_id, r.qty],
      );
    }
    return rows.length;
  });
}

/**
 * Picking stopped part-way (a cancel after picking began): the units taken off the shelf leave
 * with the fulfilment (committed: on_hand drops), the rest of each hold goes back to promise
 * (released). Idempotent: a second call finds nothing held.
 */
export async function commitPickedReleaseRest(
  db: Queryable,
  a: { orderId: string; nodeId: string; allocationKey?: string; picked: readonly { lotId: string; qty: number }[] },
): Promise<{ committed: number; released: number }> {
  return inTransaction(db, async (c) => {
    const rows = (
      await c.query<{ allocation_key: string; lot_id: string; qty: number }>(
        `SELECT allocation_key, lot_id, qty FROM stock_reservations
          WHERE order_id = $1 AND node_id = $2 AND status = 'held' AND ($3::text IS NULL OR allocation_key = $3)
          ORDER BY lot_id, allocation_key FOR UPDATE`,
        [a.orderId, a.nodeId, a.allocationKey ?? null],
      )
    ).rows;
    const left = new Map<string, number>();
    for (const p of a.picked) left.set(p.lotId, (left.get(p.lotId) ?? 0) + p.qty);
    let committed = 0;
    let released = 0;
    for (const r of rows) {
      const take = Math.min(r.qty, left.get(r.lot_id) ?? 0);
      left.set(r.lot_id, (left.get(r.lot_id) ?? 0) - take);
      await c.query(
        `UPDATE stock_reservations SET status = $4, qty = CASE WHEN $5::int > 0 THEN $5::int ELSE qty END
          WHERE order_id = $1 AND allocation_key = $2 AND lot_id = $3`,
        [a.orderId, r.allocation_key, r.lot_id, take > 0 ? 'committed' : 'released', take],
      );
      await c.query(
        'UPDATE lots SET on_hand = on_hand - $2, reserved = reserved - $3, updated_at = now() WHERE lot_id = $1',
        [r.lot_id, take, r.qty],
      );
      committed += take;
      released += r.qty - take;
    }
    return { committed, released };
  });
}

/** One entry of the order event stream. */
export interface OrderEvent {
  orderId: string;
  key: string;
  type: string;
  at: Date;
  nodeId?: string;
  data?: unknown;
}

/** Append one event inside a caller's transaction (a repeated key is a no-op). */
export async function insertEvent(c: Queryable, e: OrderEvent): Promise<void> {
  await c.query(
    'INSERT INTO order_events (order_id, at, event_key, type, node_id, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
    [e.orderId, e.at, e.key, e.type, e.nodeId ?? null, JSON.stringify(e.data ?? {})],
  );
}

/** Append to the event stream and move the order's status; re-appending the same key is a no-op. */
export async function appendOrderEvent(db: Queryable, e: OrderEvent & { status?: string }): Promise<void> {
  await inTransaction(db, async (c) => {
    await insertEvent(c, e);
    if (e.status)
      await c.query('UPDATE orders SET status = $2, updated_at = now() WHERE order_id = $1', [e.orderId, e.status]);
  });
}

/**
 * Record a received order (no personal data: customer id and address hash only). Idempotent.
 * Orders taken through the API have their row from intake (`claimOrder`) and come without
 * `location`, which stays out of workflow histories; an order started without intake (a
 * replacement) brings it, and its row is made here.
 */
export async function recordOrder(
  db: Queryable,
  order: Omit<Order, 'location'> & { location?: Order['location'] },
): Promise<void> {
  await inTransaction(db, async (c) => {
    if (order.location) {
      await c.query(
        `INSERT INTO orders (order_id, customer_id, address_key, lat, lng, slot_kind, slot_start, slot_end, lines, status, placed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'received', $10) ON CONFLICT (order_id) DO NOTHING`,
        [
          order.orderId,
          order.customerId,
          order.addressKey,
          order.location.lat,
          order.location.lng,
          order.slot.kind,
          new Date(order.slot.start),
          new Date(order.slot.end),
          JSON.stringify(order.lines),
          new Date(order.placedAt),
        ],
      );
    } else {
      const row = await c.query('SELECT 1 FROM orders WHERE order_id = $1', [order.orderId]);
      if (!row.rowCount)
        throw new Error(`order ${order.orderId} has no intake record and no location to make one from`);
    }
    await insertEvent(c, {
      orderId: order.orderId,
      key: `${order.orderId}:received`,
      type: 'received',
      at: new Date(order.placedAt),
    });
  });
}

/**
 * The orders row of a replacement sent to the door of `fromOrderId`: the door is copied in SQL,
 * so the replacement's workflow input carries no coordinates. Idempotent by order id.
 */
export async function recordReplacementOrder(
  db: Queryable,
  r: { orderId: string; fromOrderId: string; slot: Order['slot']; lines: Order['lines']; placedAt: number },
): Promise<void> {
  const inserted = await rowsOf(
    db,
    `INSERT INTO orders (order_id, customer_id, address_key, lat, lng, slot_kind, slot_start, slot_end, lines, status, placed_at, placed_by)
     SELECT $1, customer_id, address_key, lat, lng, $3, $4, $5, $6, 'received', $7, placed_by FROM orders WHERE order_id = $2
     ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [
      r.orderId,
      r.fromOrderId,
      r.slot.kind,
      new Date(r.slot.start),
      new Date(r.slot.end),
      JSON.stringify(r.lines),
      new Date(r.placedAt),
    ],
  );
  if (inserted.length) return;
  const exists = await rowsOf(db, 'SELECT 1 FROM orders WHERE order_id = $1', [r.orderId]);
  if (!exists.length) throw new Error(`order ${r.fromOrderId} not found: no door for replacement ${r.orderId}`);
}

/**
 * Where an order is delivered, as recorded at intake (the allocation reads it here, so workflows
 * need not carry it); undefined for an unknown order or one whose door was erased.
 */
export async function loadOrderLocation(db: Queryable, orderId: string): Promise<Order['location'] | undefined> {
  const row = (
    await rowsOf<{ lat: number | null; lng: number | null }>(db, 'SELECT lat, lng FROM orders WHERE order_id = $1', [
      orderId,
    ])
  )[0];
  return row && row.lat !== null && row.lng !== null ? { lat: row.lat, lng: row.lng } : undefined;
}

/** An order as intake recorded it, for telling a repeated request from a conflicting one. */
export interface IntakeRecord {
  status: string;
  placedAt: number;
  /** The run intake started; null until it did (or for orders from before intake kept it). */
  startedRunId: string | null;
  /** Keyed hashes per request field; null for orders recorded before intake kept them. */
  fingerprint: Record<string, string> | null;
  customerId: string;
  lines: Order['lines'];
  location: Order['location'];
  slot: { kind: string; start: number; end: number };
  /** Who placed it (the token's subject); null for orders recorded before intake kept it. */
  placedBy: string | null;
}

/**
 * Intake's write: the order row (the record of the order for its whole life) and the
 * customer's personal data, sealed under the customer's own data key, in one transaction. When the order id is taken, nothing
 * is written and the existing record is returned for the caller to compare.
 */
export async function claimOrder(
  db: Queryable,
  a: { order: Order; fingerprint: Record<string, string>; customer: CustomerPiiSealer; placedBy: string },
): Promise<{ created: true } | { created: false; existing: IntakeRecord }> {
  return inTransaction(db, async (c) => {
    const o = a.order;
    const inserted = await c.query(
      `INSERT INTO orders (order_id, customer_id, address_key, lat, lng, slot_kind, slot_start, slot_end, lines, status, placed_at, intake_fingerprint, placed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'received', $10, $11, $12) ON CONFLICT (order_id) DO NOTHING`,
      [
        o.orderId,
        o.customerId,
        o.addressKey,
        o.location.lat,
        o.location.lng,
        o.slot.kind,
        new Date(o.slot.start),
        new Date(o.slot.end),
        JSON.stringify(o.lines),
        new Date(o.placedAt),
        JSON.stringify(a.fingerprint),
        a.placedBy,
      ],
    );
    if (inserted.rowCount === 1) {
      await storeCustomerRecord(c, o.customerId, a.customer);
      return { created: true as const };
    }
    const r = (
      await c.query<{
        status: string;
        placed_at: Date;
        started_run_id: string | null;
        intake_fingerprint: Record<string, string> | null;
        customer_id: string;
        lines: Order['lines'];
        lat: number;
        lng: number;
        slot_kind: string;
        slot_start: Date;
        slot_end: Date;
        placed_by: string | null;
      }>(
        `SELECT status, placed_at, started_run_id, intake_fingerprint, customer_id, lines, lat, lng, slot_kind, slot_start, slot_end, placed_by FROM orders WHERE order_id = $1`,
        [o.orderId],
      )
    ).rows[0]!;
    return {
      created: false as const,
      existing: {
        status: r.status,
        placedAt: r.placed_at.getTime(),
        startedRunId: r.started_run_id,
        fingerprint: r.intake_fingerprint,
        customerId: r.customer_id,
        lines: r.lines,
        location: { lat: r.lat, lng: r.lng },
        slot: { kind: r.slot_kind, start: r.slot_start.getTime(), end: r.slot_end.getTime() },
        placedBy: r.placed_by,
      },
    };
  });
}

/** Note the run intake started for an order; the first one noted stays. */
export async function markOrderStarted(db: Queryable, orderId: string, runId: string): Promise<void> {
  await rowsOf(db, 'UPDATE orders SET started_run_id = $2 WHERE order_id = $1 AND started_run_id IS NULL', [
    orderId,
    runId,
  ]);
}

/** Save the latest allocation (with its explanation) for ops. */
export async function saveAllocation(
  db: Queryable,
  orderId: string,
  allocation: Allocation,
  coldChainRisk?: boolean,
): Promise<void> {
  await rowsOf(
    db,
    'UPDATE orders SET allocation = $2, cold_chain_risk = coalesce($3, cold_chain_risk), updated_at = now() WHERE order_id = $1',
    [orderId, JSON.stringify(allocation), coldChainRisk ?? null],
  );
}

/**
 * Join the open delivery for this door, slot and node if one opened within the merge
 * window, else open one. An advisory lock per (node, door, slot) serialises concurrent joins.
 */
export async function joinDelivery(
  db: Queryable,
  a: { orderId: string; nodeId: string; addressKey: string; slotKey: string; windowMs: number; at: Date },
): Promise<{ deliveryId: string; orderIds: string[] }> {
  return inTransaction(db, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${a.nodeId}|${a.addressKey}|${a.slotKey}`]);
    const mine = await c.query<{ delivery_id: string; order_ids: string[] }>(
      'SELECT delivery_id, order_ids FROM deliveries WHERE node_id = $1 AND $2 = ANY(order_ids)',
      [a.nodeId, a.orderId],
    );
    if (mine.rows[0]) return { deliveryId: mine.rows[0].delivery_id, orderIds: mine.rows[0].order_ids };
    const open = await c.query<{ delivery_id: string; order_ids: string[] }>(
      `SELECT delivery_id, order_ids FROM deliveries WHERE node_id = $1 AND address_key = $2 AND slot_key = $3 AND opened_at >= $4 ORDER BY opened_at DESC LIMIT 1`,
      [a.nodeId, a.addressKey, a.slotKey, new Date(a.at.getTime() - a.windowMs)],
    );
    if (open.rows[0]) {
      const ids = [...open.rows[0].order_ids, a.orderId];
      await c.query('UPDATE deliveries SET order_ids = $2 WHERE delivery_id = $1', [open.rows[0].delivery_id, ids]);
      return { deliveryId: open.rows[0].delivery_id, orderIds: ids };
    }
    const deliveryId = `dlv-${a.orderId}-${a.nodeId}`;
    await c.query(
      'INSERT INTO deliveries (delivery_id, node_id, address_key, slot_key, opened_at, order_ids) VALUES ($1, $2, $3, $4, $5, $6)',
      [deliveryId, a.nodeId, a.addressKey, a.slotKey, a.at, [a.orderId]],
    );
    return { deliveryId, orderIds: [a.orderId] };
  });
}

/**
 * What a returned line does to money and stock. `lots`: the units that came back, per lot they
 * were picked from; without it (settlements recorded before) all `qty` is booked on `lotId`.
 */
export interface ReturnLineSettlement {
  orderId: string;
  lineId: string;
  reason: string;
  lotId: string | null;
  qty: number;
  restock: boolean;
  creditCents: number;
  lots?: readonly { lotId: string; qty: number }[];
}

/** A returned line's stock consequence: restock ambient sellable goods, write off the rest; and the credit. Idempotent per (order, line, reason). */
export async function settleReturnLine(db: Queryable, r: ReturnLineSettlement): Promise<void> {
  await inTransaction(db, (c) => settleReturnLineWith(c, r));
}

/** `settleReturnLine` inside a caller's transaction. */
export async function settleReturnLineWith(c: Queryable, r: ReturnLineSettlement): Promise<void> {
  const credit = await c.query(
    'INSERT INTO order_credits (order_id, line_id, reason, credit_cents) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [r.orderId, r.lineId, r.reason, r.creditCents],
  );
  if (credit.rowCount === 0) return; // settled before (activity retry)
  const base = `${r.orderId}:${r.lineId}:${r.reason}`;
  const lots = r.lots
    ? r.lots.map((l) => ({ ...l, id: `${base}:${l.lotId}` }))
    : r.lotId
      ? [{ lotId: r.lotId, qty: r.qty, id: base }]
      : [];
  for (const l of lots.filter((x) => x.qty > 0)) {
    if (r.restock) {
      await c.query('UPDATE lots SET on_hand = on_hand + $2, updated_at = now() WHERE lot_id = $1', [l.lotId, l.qty]);
      await c.query(
        "INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta) VALUES ($1, $2, 'restock', $3) ON CONFLICT DO NOTHING",
        [l.id, l.lotId, l.qty],
      );
    } else {
      // The units left on_hand at dispatch: the write-off records the loss, it moves no stock.
      await c.query(
        "INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta) VALUES ($1, $2, 'write_off', $3) ON CONFLICT DO NOTHING",
        [l.id, l.lotId, -l.qty],
      );
    }
  }
}

// Receipts, cycle counts and POS sales: db/stock.ts (applyStockAdjustment, recordPosSales).

/** Order row for the status API. */
export async function loadOrder(
  db: Queryable,
  orderId: string,
): Promise<
  | { order_id: string; status: string; allocation: Allocation | null; cold_chain_risk: boolean; slot_end: Date }
  | undefined
> {
  return (
    await rowsOf<{
      order_id: string;
      status: string;
      allocation: Allocation | null;
      cold_chain_risk: boolean;
      slot_end: Date;
    }>(db, 'SELECT order_id, status, allocation, cold_chain_risk, slot_end FROM orders WHERE order_id = $1', [orderId])
  )[0];
}

/** The event stream of one order, oldest first. */
export async function loadOrderEvents(
  db: Queryable,
  orderId: string,
): Promise<{ at: Date; type: string; node_id: string | null; data: unknown }[]> {
  return rowsOf(db, 'SELECT at, type, node_id, data FROM order_events WHERE order_id = $1 ORDER BY at, event_key', [
    orderId,
  ]);
}

/**
 * Release held reservations past their expiry (an order whose workflow can no longer release
 * them, e.g. terminated by an operator). Returns how many were released, and the lots that held
 * fewer units than their expired reservations said.
 */
export async function releaseExpiredReservations(
  db: Queryable,
  now: Date,
): Promise<{ released: number; unbalancedLots: string[] }> {
  return inTransaction(db, async (c) => {
    const rows = (
      await c.query<{ lot_id: string; qty: number }>(
        `UPDATE stock_reservations SET status = 'released' WHERE status = 'held' AND expires_at < $1 RETURNING lot_id, qty`,
        [now],
      )
    ).rows;
    const unbalancedLots: string[] = [];
    for (const r of rows.sort((a, b) => (a.lot_id < b.lot_id ? -1 : 1))) {
      // A lot holding less than its rows say (left by an earlier bug) must not stop the sweep
      // for every other lot: it gives back what it has, and is reported.
      const before = await c.query<{ before: number }>(
        `UPDATE lots l SET reserved = greatest(l.reserved - $2, 0), updated_at = now()
           FROM (SELECT reserved AS before FROM lots WHERE lot_id = $1 FOR UPDATE) b
          WHERE l.lot_id = $1 RETURNING b.before`,
        [r.lot_id, r.qty],
      );
      if ((before.rows[0]?.before ?? r.qty) < r.qty) unbalancedLots.push(r.lot_id);
    }
    return { released: rows.length, unbalancedLots };
  });
}

// ---- Ownership (docs/security.md) -------------------------------------------------------------

/** Who placed an order (null: recorded before intake kept it); undefined for an unknown order. */
export async function orderOwner(db: Queryable, orderId: string): Promise<{ placedBy: string | null } | undefined> {
  const row = (
    await rowsOf<{ placed_by: string | null }>(db, 'SELECT placed_by FROM orders WHERE order_id = $1', [orderId])
  )[0];
  return row ? { placedBy: row.placed_by } : undefined;
}

/** The orders among `orderIds` that `placedBy` placed. */
export async function ordersPlacedBy(
  db: Queryable,
  orderIds: readonly string[],
  placedBy: string,
): Promise<Set<string>> {
  if (!orderIds.length) return new Set();
  const rows = await rowsOf<{ order_id: string }>(
    db,
    'SELECT order_id FROM orders WHERE order_id = ANY($1) AND placed_by = $2',
    [[...new Set(orderIds)], placedBy],
  );
  return new Set(rows.map((r) => r.order_id));
}

/**
 * A fulfilment's courier as its workflow last published it (pick_tasks, written before an update
 * answers): null until it is dispatched. Undefined for a fulfilment that does not exist (yet).
 */
export async function fulfilmentAssignment(
  db: Queryable,
  fulfilmentId: string,
): Promise<{ orderId: string; state: string; courierId: string | null } | undefined> {
  const row = (
    await rowsOf<{ order_id: string; state: string; courier_id: string | null }>(
      db,
      "SELECT order_id, state, view->>'courierId' AS courier_id FROM pick_tasks WHERE fulfilment_id = $1",
      [fulfilmentId],
    )
  )[0];
  return row ? { orderId: row.order_id, state: row.state, courierId: row.courier_id } : undefined;
}

/** Price and perishability of SKUs, as the returns rules and refunds of unserved lines need them. */
export async function skuPriceFacts(
  q: Queryable,
  skus: readonly string[],
): Promise<{ sku: string; perishable: boolean; unitPriceCents: number }[]> {
  const rows = await rowsOf<{ sku: string; perishable: boolean; unit_price_cents: number }>(
    q,
    'SELECT sku, perishable, unit_price_cents FROM skus WHERE sku = ANY($1)',
    [[...skus]],
  );
  return rows.map((r) => ({ sku: r.sku, perishable: r.perishable, unitPriceCents: r.unit_price_cents }));
}
