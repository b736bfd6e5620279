// SQL of goods receiving (issue 14): a receipt in one transaction — references checked (unknown
// node, SKU, bin, van → problems naming the field, nothing written), each line decided by
// domain/receiving (band from the SKU's rule profile, temperature from the probe or the van's
// readings over the hour before receipt), accepted lines inserted as NEW lots with a receipt
// stock adjustment and an FSMA 204 receiving event, refused lines recorded with their reason.
// Idempotent by receipt id: the stored body is compared with a repeat.
import type { Band } from '../domain/coldchain/bands';
import { profileById, RuleProfileSchema } from '../domain/coldchain/bands';
import type { ReferenceProblem } from '../domain/masterdata/schemas';
import { sameRecord } from '../domain/masterdata/schemas';
import type { ReceiptBody, ReceivingTemperature } from '../domain/receiving/receipt';
import { decideLine, differingFields, lineExpiry } from '../domain/receiving/receipt';
import { rowsOf } from './pool';
import type { Queryable } from './pool';

export interface ReceiptLineView {
  lineNo: number;
  sku: string;
  quantity: number;
  lotCode: string;
  expiresOn: string;
  bin: string;
  temperature: ReceivingTemperature;
  status: 'accepted' | 'refused';
  reason: string | null;
  lotId: string | null;
}
export interface ReceiptView {
  receiptId: string;
  kind: 'supplier' | 'transfer';
  nodeId: string;
  supplierId: string | null;
  sourceNodeId: string | null;
  receivedAt: string;
  lines: ReceiptLineView[];
}

/** What receiving did: created (201), the same receipt again (200), a different body under the id (409), or bad references (422). */
export type ReceiveResult =
  | { outcome: 'created' | 'unchanged'; receipt: ReceiptView }
  | { outcome: 'conflict'; fields: string[] }
  | { outcome: 'refused'; problems: ReferenceProblem[] };

/** The van's sensors' extremes over the hour up to `at`. */
const VAN_WINDOW = '1 hour';

interface SkuFacts {
  zone: string;
  band: string;
  shelf_life_days_at_ref: number;
  min_shelf_life_days: number;
}

async function storedBody(c: Queryable, receiptId: string): Promise<ReceiptBody | null> {
  const { rows } = await c.query<{ body: ReceiptBody }>('SELECT body FROM receipts WHERE receipt_id = $1', [receiptId]);
  return rows[0]?.body ?? null;
}

/** A band by id: a built-in profile or a custom one stored in alert_rule_profiles. */
async function bandOf(c: Queryable, id: string): Promise<Band | null> {
  const builtIn = profileById(id);
  if (builtIn) return builtIn.band;
  const { rows } = await c.query<{ profile: unknown }>('SELECT profile FROM alert_rule_profiles WHERE id = $1', [id]);
  const parsed = RuleProfileSchema.safeParse(rows[0]?.profile);
  return parsed.success ? parsed.data.band : null;
}

/** References the body names that do not exist, each naming its field. */
async function referenceProblems(
  c: Queryable,
  r: ReceiptBody,
  skus: ReadonlyMap<string, SkuFacts>,
): Promise<ReferenceProblem[]> {
  const out: ReferenceProblem[] = [];
  const nodes = new Set(
    (
      await c.query<{ id: string }>('SELECT id FROM nodes WHERE id = ANY($1::text[]) FOR SHARE', [
        [r.nodeId, r.sourceNodeId ?? r.nodeId],
      ])
    ).rows.map((x) => x.id),
  );
  if (!nodes.has(r.nodeId)) return [{ path: 'nodeId', message: `unknown node ${r.nodeId}` }];
  if (r.sourceNodeId !== undefined && !nodes.has(r.sourceNodeId))
    out.push({ path: 'sourceNodeId', message: `unknown node ${r.sourceNodeId}` });
  if (r.vanAssetId !== undefined) {
    const van = (await c.query<{ kind: string }>('SELECT kind FROM assets WHERE id = $1', [r.vanAssetId])).rows[0];
    if (!van) out.push({ path: 'vanAssetId', message: `unknown asset ${r.vanAssetId}` });
    else if (van.kind !== 'van')
      out.push({ path: 'vanAssetId', message: `asset ${r.vanAssetId} is a ${van.kind}, not a van` });
  }
  const bins = new Map(
    (
      await c.query<{ bin: string; zone: string }>(
        'SELECT bin, zone FROM bins WHERE node_id = $1 AND bin = ANY($2::text[]) FOR SHARE',
        [r.nodeId, r.lines.map((l) => l.bin)],
      )
    ).rows.map((b) => [b.bin, b.zone]),
  );
  r.lines.forEach((l, i) => {
    const sku = skus.get(l.sku);
    const zone = bins.get(l.bin);
    if (!sku) out.push({ path: `lines.${i}.sku`, message: `unknown SKU ${l.sku}` });
    if (zone === undefined) out.push({ path: `lines.${i}.bin`, message: `unknown bin ${l.bin} at node ${r.nodeId}` });
    else if (sku && zone !== sku.zone)
      out.push({ path: `lines.${i}.bin`, message: `bin ${l.bin} is ${zone}, SKU ${l.sku} is ${sku.zone}` });
    if (sku && sku.zone !== 'ambient' && l.probeTempC === undefined && r.vanAssetId === undefined) {
      out.push({
        path: `lines.${i}.probeTempC`,
        message: `a ${sku.zone} line needs a probe reading or the receipt's vanAssetId`,
      });
    }
  });
  return out;
}

/** The van's temperature over the hour before the receipt, from its sensors' readings in TimescaleDB. */
async function vanTemperature(c: Queryable, assetId: string, at: string): Promise<ReceivingTemperature> {
  const { rows } = await c.query<{ min: number | null; max: number | null; n: string }>(
    `SELECT min(r.temp_c) AS min, max(r.temp_c) AS max, count(*) AS n FROM sensor_readings r JOIN sensors s ON s.id = r.sensor_id
      WHERE s.asset_id = $1 AND r.ts > $2::timestamptz - $3::interval AND r.ts <= $2::timestamptz`,
    [assetId, at, VAN_WINDOW],
  );
  const row = rows[0]!;
  if (row.min === null || row.max === null)
    return { source: 'none', why: `van ${assetId} has no readings in the hour before ${at}` };
  return { source: 'van', assetId, minC: row.min, maxC: row.max, readings: Number(row.n) };
}

function view(r: ReceiptBody, lines: ReceiptLineView[]): ReceiptView {
  return {
    receiptId: r.receiptId,
    kind: r.kind,
    nodeId: r.nodeId,
    supplierId: r.supplierId ?? null,
    sourceNodeId: r.sourceNodeId ?? null,
    receivedAt: new Date(r.receivedAt).toISOString(),
    lines,
  };
}

/** Lot id of an accepted line: unique per receipt line, so a replayed receipt can never add a second lot. */
export const lotIdOf = (receiptId: string, lineNo: number) => `${receiptId}.${lineNo + 1}`;

/** Receive a receipt in the caller's transaction (see the header). */
export async function receive(c: Queryable, r: ReceiptBody, actor: string): Promise<ReceiveResult> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`receipt:${r.receiptId}`]);
  const stored = await storedBody(c, r.receiptId);
  if (stored) {
    const fields = differingFields(stored, r, sameRecord);
    if (fields.length) return { outcome: 'conflict', fields };
    return { outcome: 'unchanged', receipt: (await readReceipt(c, r.receiptId))! };
  }
  const skus = new Map(
    (
      await c.query<SkuFacts & { sku: string }>(
        'SELECT sku, zone, band, shelf_life_days_at_ref, min_shelf_life_days FROM skus WHERE sku = ANY($1::text[])',
        [r.lines.map((l) => l.sku)],
      )
    ).rows.map((s) => [s.sku, s]),
  );
  const problems = await referenceProblems(c, r, skus);
  if (problems.length) return { outcome: 'refused', problems };

  await c.query(
    'INSERT INTO receipts (receipt_id, kind, node_id, supplier_id, source_node_id, received_at, body, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [
      r.receiptId,
      r.kind,
      r.nodeId,
      r.supplierId ?? null,
      r.sourceNodeId ?? null,
      r.receivedAt,
      JSON.stringify(r),
      actor,
    ],
  );
  const van = r.vanAssetId === undefined ? null : await vanTemperature(c, r.vanAssetId, r.receivedAt);
  const lines: ReceiptLineView[] = [];
  for (const [lineNo, l] of r.lines.entries()) {
    const sku = skus.get(l.sku)!;
    const band = await bandOf(c, sku.band);
    const temperature: ReceivingTemperature =
      l.probeTempC !== undefined
        ? { source: 'probe', tempC: l.probeTempC }
        : (van ?? { source: 'none', why: 'no probe reading and no van' });
    const expiresOn = lineExpiry(l, sku.shelf_life_days_at_ref);
    const decision = band
      ? decideLine({
          zone: sku.zone,
          band,
          bandId: sku.band,
          temperature,
          expiresOn,
          receivedAt: r.receivedAt,
          minShelfLifeDays: sku.min_shelf_life_days,
        })
      : { status: 'refused' as const, reason: `band ${sku.band} of SKU ${l.sku} is not a known rule profile` };
    const lotId = decision.status === 'accepted' ? lotIdOf(r.receiptId, lineNo) : null;
    if (lotId) await insertLot(c, r, l.sku, l.quantity, l.lotCode, l.bin, expiresOn, lotId);
    const reason = decision.status === 'refused' ? decision.reason : null;
    await c.query(
      `INSERT INTO receipt_lines (receipt_id, line_no, sku, quantity, lot_code, expires_on, bin, temperature, status, reason, lot_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        r.receiptId,
        lineNo,
        l.sku,
        l.quantity,
        l.lotCode,
        expiresOn,
        l.bin,
        JSON.stringify(temperature),
        decision.status,
        reason,
        lotId,
      ],
    );
    lines.push({
      lineNo,
      sku: l.sku,
      quantity: l.quantity,
      lotCode: l.lotCode,
      expiresOn,
      bin: l.bin,
      temperature,
      status: decision.status,
      reason,
      lotId,
    });
  }
  return { outcome: 'created', receipt: view(r, lines) };
}

/** A new lot, available to promise at once, with its receipt adjustment and receiving event. */
async function insertLot(
  c: Queryable,
  r: ReceiptBody,
  sku: string,
  qty: number,
  lotCode: string,
  bin: string,
  expiresOn: string,
  lotId: string,
): Promise<void> {
  await c.query(
    `INSERT INTO lots (lot_id, node_id, sku, expires_on, bin, on_hand, lot_code, receipt_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [lotId, r.nodeId, sku, expiresOn, bin, qty, lotCode, r.receiptId],
  );
  // A transfer's arrival names where the units came from, as its pick at the source did.
  const from = r.kind === 'transfer' ? (r.sourceNodeId ?? null) : null;
  await c.query(
    `INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, at, source_node_id, dest_node_id)
     VALUES ($1, $2, 'receipt', $3, $4, $5, $6)`,
    [`receipt:${lotId}`, lotId, qty, r.receivedAt, from, from ? r.nodeId : null],
  );
  await c.query(
    `INSERT INTO traceability_events (cte, lot_id, lot_code, sku, quantity, node_id, supplier_id, source_node_id, receipt_id, at)
     VALUES ('receiving', $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [lotId, lotCode, sku, qty, r.nodeId, r.supplierId ?? null, r.sourceNodeId ?? null, r.receiptId, r.receivedAt],
  );
}

/** A stored receipt with its lines, or null. */
export async function readReceipt(c: Queryable, receiptId: string): Promise<ReceiptView | null> {
  const head = (await c.query<{ body: ReceiptBody }>('SELECT body FROM receipts WHERE receipt_id = $1', [receiptId]))
    .rows[0];
  if (!head) return null;
  const { rows } = await c.query<ReceiptLineView>(
    `SELECT line_no AS "lineNo", sku, quantity, lot_code AS "lotCode", to_char(expires_on, 'YYYY-MM-DD') AS "expiresOn", bin, temperature, status, reason, lot_id AS "lotId"
       FROM receipt_lines WHERE receipt_id = $1 ORDER BY line_no`,
    [receiptId],
  );
  return view(head.body, rows);
}

export interface LotTrace {
  lot: {
    lotId: string;
    lotCode: string | null;
    sku: string;
    nodeId: string;
    expiresOn: string;
    onHand: number;
    reserved: number;
    status: string;
  };
  receipt: {
    receiptId: string;
    kind: string;
    supplierId: string | null;
    sourceNodeId: string | null;
    nodeId: string;
    receivedAt: string;
    lineNo: number;
    temperature: unknown;
  } | null;
  events: {
    cte: string;
    lotCode: string;
    sku: string;
    quantity: number;
    nodeId: string;
    supplierId: string | null;
    sourceNodeId: string | null;
    receiptId: string;
    at: string;
  }[];
  orders: { orderId: string; nodeId: string; sku: string; qty: number; status: string; at: string }[];
}

/** Supplier → receipt → the orders a lot served (its reservations, held, committed or released). */
export async function traceLot(db: Queryable, lotId: string): Promise<LotTrace | null> {
  const lot = (
    await rowsOf<LotTrace['lot']>(
      db,
      `SELECT lot_id AS "lotId", lot_code AS "lotCode", sku, node_id AS "nodeId", to_char(expires_on, 'YYYY-MM-DD') AS "expiresOn", on_hand AS "onHand", reserved, status FROM lots WHERE lot_id = $1`,
      [lotId],
    )
  )[0];
  if (!lot) return null;
  const [receipt, events, orders] = await Promise.all([
    rowsOf<NonNullable<LotTrace['receipt']>>(
      db,
      `SELECT r.receipt_id AS "receiptId", r.kind, r.supplier_id AS "supplierId", r.source_node_id AS "sourceNodeId", r.node_id AS "nodeId",
              to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt", l.line_no AS "lineNo", l.temperature
         FROM receipt_lines l JOIN receipts r USING (receipt_id) WHERE l.lot_id = $1`,
      [lotId],
    ),
    rowsOf<LotTrace['events'][number]>(
      db,
      `SELECT cte, lot_code AS "lotCode", sku, quantity, node_id AS "nodeId", supplier_id AS "supplierId", source_node_id AS "sourceNodeId", receipt_id AS "receiptId",
              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
         FROM traceability_events WHERE lot_id = $1 ORDER BY at, id`,
      [lotId],
    ),
    rowsOf<LotTrace['orders'][number]>(
      db,
      `SELECT order_id AS "orderId", node_id AS "nodeId", sku, qty, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
         FROM stock_reservations WHERE lot_id = $1 ORDER BY created_at, order_id`,
      [lotId],
    ),
  ]);
  return { lot, receipt: receipt[0] ?? null, events, orders };
}

// ---- the import's reads and past sales ---------------------------------------------------------

/** SKU → zone, for these SKUs. */
export async function skuZones(db: Queryable, skus: readonly string[]): Promise<Map<string, string>> {
  const rows = await rowsOf<{ sku: string; zone: string }>(
    db,
    'SELECT sku, zone FROM skus WHERE sku = ANY($1::text[])',
    [[...skus]],
  );
  return new Map(rows.map((r) => [r.sku, r.zone]));
}

/** `nodeId/bin` → zone, for these bins. */
export async function binZones(
  db: Queryable,
  bins: readonly { nodeId: string; bin: string }[],
): Promise<Map<string, string>> {
  const rows = await rowsOf<{ node_id: string; bin: string; zone: string }>(
    db,
    'SELECT b.node_id, b.bin, b.zone FROM bins b JOIN unnest($1::text[], $2::text[]) AS k(node_id, bin) ON b.node_id = k.node_id AND b.bin = k.bin',
    [bins.map((b) => b.nodeId), bins.map((b) => b.bin)],
  );
  return new Map(rows.map((r) => [`${r.node_id}/${r.bin}`, r.zone]));
}

export interface ImportedSale {
  lineId: string;
  nodeId: string;
  sku: string;
  soldAt: string;
  quantity: number;
}

/**
 * Store past sales, idempotent per line id: new lines are inserted, lines already stored with
 * the same content are unchanged, and the line ids stored with other content come back as
 * conflicts (the caller rolls back: nothing is silently replaced or dropped).
 */
export async function importSales(
  c: Queryable,
  sales: readonly ImportedSale[],
): Promise<{ created: number; unchanged: number; conflicts: string[] }> {
  const cols = [
    sales.map((s) => s.lineId),
    sales.map((s) => s.nodeId),
    sales.map((s) => s.sku),
    sales.map((s) => s.soldAt),
    sales.map((s) => s.quantity),
  ];
  const inserted = await c.query(
    `INSERT INTO imported_sales (line_id, node_id, sku, sold_at, quantity)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::integer[]) ON CONFLICT (line_id) DO NOTHING`,
    cols,
  );
  const { rows } = await c.query<{ line_id: string }>(
    `SELECT s.line_id FROM imported_sales s JOIN unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::integer[]) AS k(line_id, node_id, sku, sold_at, quantity)
        ON s.line_id = k.line_id
     WHERE (s.node_id, s.sku, s.sold_at, s.quantity) IS DISTINCT FROM (k.node_id, k.sku, k.sold_at, k.quantity) ORDER BY s.line_id`,
    cols,
  );
  const created = inserted.rowCount ?? 0;
  return { created, unchanged: sales.length - created - rows.length, conflicts: rows.map((r) => r.line_id) };
}
