// SQL of transfers (issue 14): the transfer row, its lines and events, and the stock moves of
// each step, each in one transaction that checks the status it starts from (so a retried
// activity finds the step done and answers the same). Picking takes units out of the source
// lots' on_hand into transfer_picks (in transit: no lot holds them, so nothing promises them);
// receiving runs the goods-receiving path (db/receiving.ts) with the van's telemetry; lines it
// refuses are written off against their source lot (chilled or frozen goods that ran out of band
// in the van cannot go back on a shelf); a cancel before shipping puts the units back.
import { sameRecord } from '../domain/masterdata/schemas';
import type {
  FieldProblem,
  InTransit,
  LotFacts,
  PickedBody,
  StepResult,
  SuggestionRef,
  TransferAction,
  TransferBody,
  TransferStatus,
} from '../domain/transfers/transfer';
import { differingTransferFields, pickProblems, transferReceipt, transition } from '../domain/transfers/transfer';
import { quarantineLots } from './alerts';
import type { ReceiptView } from './receiving';
import { receive } from './receiving';
import { rowsOf } from './pool';
import type { Queryable } from './pool';

export interface TransferView {
  transferId: string;
  fromNodeId: string;
  toNodeId: string;
  status: TransferStatus;
  vanAssetId: string | null;
  receiptId: string | null;
  lines: { lineNo: number; sku: string; quantity: number; bin: string }[];
  picks: { lotId: string; sku: string; qty: number; status: string; destLotId: string | null; reason: string | null }[];
  events: { type: string; at: string; actor: string; detail: unknown }[];
}

export type CreateResult =
  | { outcome: 'created' | 'unchanged'; transfer: TransferView }
  | { outcome: 'conflict'; fields: string[] }
  | { outcome: 'refused'; problems: FieldProblem[] };

const lock = (c: Queryable, transferId: string) =>
  c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`transfer:${transferId}`]);

async function event(c: Queryable, transferId: string, type: string, actor: string, detail: unknown): Promise<void> {
  await c.query('INSERT INTO transfer_events (transfer_id, type, actor, detail) VALUES ($1, $2, $3, $4)', [
    transferId,
    type,
    actor,
    JSON.stringify(detail),
  ]);
}

/** Units at a node that can be promised: on hand minus reserved over its available lots (in-transit units are in no lot). */
export async function availableToPromise(db: Queryable, nodeId: string, sku: string): Promise<number> {
  const rows = await rowsOf<{ atp: string }>(
    db,
    "SELECT coalesce(sum(on_hand - reserved), 0) AS atp FROM lots WHERE node_id = $1 AND sku = $2 AND status = 'available'",
    [nodeId, sku],
  );
  return Number(rows[0]!.atp);
}

/** The planned lines: explicit, or the suggestion's order quantity. */
async function plannedLines(
  c: Queryable,
  b: TransferBody,
): Promise<{ lines: { sku: string; quantity: number; bin?: string }[]; problems: FieldProblem[] }> {
  if (b.lines) return { lines: b.lines, problems: [] };
  const s: SuggestionRef = b.fromSuggestion!;
  const row = (
    await c.query<{ q: number }>(
      'SELECT order_quantity AS q FROM replenishment_suggestions WHERE run_id = $1 AND node_id = $2 AND sku = $3',
      [s.runId, s.nodeId, s.sku],
    )
  ).rows[0];
  if (!row)
    return {
      lines: [],
      problems: [
        {
          path: 'fromSuggestion',
          message: `no replenishment suggestion for ${s.sku} at ${s.nodeId} in run ${s.runId}`,
        },
      ],
    };
  if (row.q <= 0)
    return {
      lines: [],
      problems: [{ path: 'fromSuggestion', message: `the suggestion orders nothing for ${s.sku} at ${s.nodeId}` }],
    };
  return { lines: [{ sku: s.sku, quantity: row.q }], problems: [] };
}

/** Nodes (destination a front warehouse), SKUs held at the source, and destination bins: problems naming fields, or the resolved bins. */
async function planProblems(
  c: Queryable,
  from: string,
  to: string,
  lines: readonly { sku: string; bin?: string }[],
  skuPath: (i: number) => string,
): Promise<{ problems: FieldProblem[]; bins: string[] }> {
  const nodes = new Map(
    (
      await c.query<{ id: string; kind: string }>('SELECT id, kind FROM nodes WHERE id = ANY($1::text[])', [[from, to]])
    ).rows.map((n) => [n.id, n.kind]),
  );
  const problems: FieldProblem[] = [];
  if (!nodes.has(from)) problems.push({ path: 'fromNodeId', message: `unknown node ${from}` });
  if (!nodes.has(to)) problems.push({ path: 'toNodeId', message: `unknown node ${to}` });
  else if (nodes.get(to) !== 'front')
    problems.push({
      path: 'toNodeId',
      message: `node ${to} is a ${nodes.get(to)} warehouse; transfers go to a front warehouse`,
    });
  if (problems.length) return { problems, bins: [] };
  const bins: string[] = [];
  const known = new Set(
    (
      await c.query<{ sku: string }>('SELECT sku FROM skus WHERE sku = ANY($1::text[])', [lines.map((l) => l.sku)])
    ).rows.map((r) => r.sku),
  );
  for (const [i, l] of lines.entries()) {
    if (!known.has(l.sku)) {
      problems.push({ path: skuPath(i), message: `unknown SKU ${l.sku}` });
      bins.push('');
      continue;
    }
    const held = (
      await c.query(
        "SELECT 1 FROM lots WHERE node_id = $1 AND sku = $2 AND status = 'available' AND on_hand > reserved LIMIT 1",
        [from, l.sku],
      )
    ).rowCount;
    if (!held) problems.push({ path: skuPath(i), message: `node ${from} holds no available ${l.sku}` });
    const bin = (
      await c.query<{ bin: string }>(
        `SELECT b.bin FROM bins b JOIN skus s ON s.zone = b.zone WHERE b.node_id = $1 AND s.sku = $2 AND ($3::text IS NULL OR b.bin = $3) ORDER BY b.pick_sequence, b.bin LIMIT 1`,
        [to, l.sku, l.bin ?? null],
      )
    ).rows[0];
    if (!bin)
      problems.push({
        path: l.bin ? `lines.${i}.bin` : skuPath(i),
        message: l.bin
          ? `no bin ${l.bin} of the ${l.sku} zone at ${to}`
          : `node ${to} has no bin in the zone of ${l.sku}`,
      });
    bins.push(bin?.bin ?? '');
  }
  return { problems, bins };
}

/** Plan a transfer (idempotent by transfer id for life: the same body answers the stored transfer). */
export async function createTransfer(c: Queryable, b: TransferBody, actor: string): Promise<CreateResult> {
  await lock(c, b.transferId);
  const stored = (
    await c.query<{ body: TransferBody }>('SELECT body FROM transfers WHERE transfer_id = $1', [b.transferId])
  ).rows[0];
  if (stored) {
    const fields = differingTransferFields(stored.body, b, sameRecord);
    return fields.length
      ? { outcome: 'conflict', fields }
      : { outcome: 'unchanged', transfer: (await readTransfer(c, b.transferId))! };
  }
  const to = b.toNodeId ?? b.fromSuggestion!.nodeId;
  const planned = await plannedLines(c, b);
  if (planned.problems.length) return { outcome: 'refused', problems: planned.problems };
  const plan = await planProblems(c, b.fromNodeId, to, planned.lines, (i) =>
    b.lines ? `lines.${i}.sku` : 'fromSuggestion.sku',
  );
  if (plan.problems.length) return { outcome: 'refused', problems: plan.problems };
  await c.query(
    "INSERT INTO transfers (transfer_id, from_node_id, to_node_id, status, body, actor) VALUES ($1, $2, $3, 'planned', $4, $5)",
    [b.transferId, b.fromNodeId, to, JSON.stringify(b), actor],
  );
  for (const [i, l] of planned.lines.entries()) {
    await c.query(
      'INSERT INTO transfer_lines (transfer_id, line_no, sku, quantity, dest_bin) VALUES ($1, $2, $3, $4, $5)',
      [b.transferId, i, l.sku, l.quantity, plan.bins[i]],
    );
  }
  await event(c, b.transferId, 'planned', actor, {
    lines: planned.lines.map((l, i) => ({ sku: l.sku, quantity: l.quantity, bin: plan.bins[i] })),
    ...(b.fromSuggestion ? { fromSuggestion: b.fromSuggestion } : {}),
  });
  return { outcome: 'created', transfer: (await readTransfer(c, b.transferId))! };
}

/** Lock the transfer and check the action is allowed: the current status, or the result to answer. */
async function begin(
  c: Queryable,
  transferId: string,
  action: TransferAction,
): Promise<{ go: { from: string; to: string; status: TransferStatus; van: string | null } } | { done: StepResult }> {
  await lock(c, transferId);
  const row = (
    await c.query<{ from_node_id: string; to_node_id: string; status: TransferStatus; van_asset_id: string | null }>(
      'SELECT from_node_id, to_node_id, status, van_asset_id FROM transfers WHERE transfer_id = $1 FOR UPDATE',
      [transferId],
    )
  ).rows[0];
  if (!row) return { done: { outcome: 'missing' } };
  const t = transition(row.status, action);
  // A retried activity whose step committed finds its own target status: answer it again.
  if (!t.ok)
    return {
      done:
        row.status === transitionTarget(action)
          ? { outcome: 'ok', status: row.status }
          : { outcome: 'conflict', message: t.why },
    };
  return { go: { from: row.from_node_id, to: row.to_node_id, status: row.status, van: row.van_asset_id } };
}
const transitionTarget = (a: TransferAction): TransferStatus =>
  (({ picked: 'picked', shipped: 'shipped', received: 'done', cancel: 'cancelled' }) as const)[a];

async function setStatus(
  c: Queryable,
  transferId: string,
  status: TransferStatus,
  extra: { van?: string; receiptId?: string } = {},
): Promise<StepResult> {
  await c.query(
    'UPDATE transfers SET status = $2, van_asset_id = coalesce($3, van_asset_id), receipt_id = coalesce($4, receipt_id), updated_at = now() WHERE transfer_id = $1',
    [transferId, status, extra.van ?? null, extra.receiptId ?? null],
  );
  return { outcome: 'ok', status };
}

/** Picked at the source: the picked units leave their lots and are in transit. */
export async function pickTransfer(
  c: Queryable,
  transferId: string,
  picks: PickedBody['picks'],
  actor: string,
): Promise<StepResult> {
  const b = await begin(c, transferId, 'picked');
  if ('done' in b) return b.done;
  const plan = (
    await c.query<{ sku: string; quantity: number }>(
      'SELECT sku, quantity FROM transfer_lines WHERE transfer_id = $1 ORDER BY line_no',
      [transferId],
    )
  ).rows;
  const lots = new Map(
    (
      await c.query<{ lot_id: string; node_id: string; sku: string; status: string; available: number }>(
        'SELECT lot_id, node_id, sku, status, on_hand - reserved AS available FROM lots WHERE lot_id = ANY($1::text[]) ORDER BY lot_id FOR UPDATE',
        [picks.map((p) => p.lotId)],
      )
    ).rows.map((l): [string, LotFacts] => [
      l.lot_id,
      { lotId: l.lot_id, nodeId: l.node_id, sku: l.sku, status: l.status, available: l.available },
    ]),
  );
  const problems = pickProblems(b.go.from, plan, picks, lots);
  if (problems.length) return { outcome: 'refused', problems };
  for (const p of picks) {
    await c.query('UPDATE lots SET on_hand = on_hand - $2, updated_at = now() WHERE lot_id = $1', [p.lotId, p.qty]);
    // Stock leaving the source, from where to where: inventory accuracy and the audit see it.
    await c.query(
      `INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, system_before, source_node_id, dest_node_id)
       SELECT $1, $2, 'transfer', $3, on_hand + $4, $5, $6 FROM lots WHERE lot_id = $2`,
      [`transfer:${transferId}:pick:${p.lotId}`, p.lotId, -p.qty, p.qty, b.go.from, b.go.to],
    );
    await c.query('INSERT INTO transfer_picks (transfer_id, lot_id, sku, qty) VALUES ($1, $2, $3, $4)', [
      transferId,
      p.lotId,
      lots.get(p.lotId)!.sku,
      p.qty,
    ]);
  }
  await event(c, transferId, 'picked', actor, { picks: picks.map((p) => ({ ...p, sku: lots.get(p.lotId)!.sku })) });
  return setStatus(c, transferId, 'picked');
}

/** Shipped in a van (an asset of kind van): its readings decide chilled and frozen lines at receipt. */
export async function shipTransfer(
  c: Queryable,
  transferId: string,
  vanAssetId: string,
  actor: string,
): Promise<StepResult> {
  const b = await begin(c, transferId, 'shipped');
  if ('done' in b) return b.done;
  const van = (await c.query<{ kind: string }>('SELECT kind FROM assets WHERE id = $1', [vanAssetId])).rows[0];
  if (!van) return { outcome: 'refused', problems: [{ path: 'vanAssetId', message: `unknown asset ${vanAssetId}` }] };
  if (van.kind !== 'van')
    return {
      outcome: 'refused',
      problems: [{ path: 'vanAssetId', message: `asset ${vanAssetId} is a ${van.kind}, not a van` }],
    };
  await event(c, transferId, 'shipped', actor, { vanAssetId });
  return setStatus(c, transferId, 'shipped', { van: vanAssetId });
}

async function inTransit(c: Queryable, transferId: string): Promise<InTransit[]> {
  const { rows } = await c.query<{
    lot_id: string;
    sku: string;
    qty: number;
    lot_code: string;
    expires_on: string;
    dest_bin: string;
  }>(
    `SELECT p.lot_id, p.sku, p.qty, left(coalesce(l.lot_code, l.lot_id), 64) AS lot_code, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, tl.dest_bin
       FROM transfer_picks p JOIN lots l ON l.lot_id = p.lot_id JOIN transfer_lines tl ON tl.transfer_id = p.transfer_id AND tl.sku = p.sku
      WHERE p.transfer_id = $1 AND p.status = 'in_transit' ORDER BY p.lot_id`,
    [transferId],
  );
  return rows.map((r) => ({
    lotId: r.lot_id,
    sku: r.sku,
    qty: r.qty,
    lotCode: r.lot_code,
    expiresOn: r.expires_on,
    destBin: r.dest_bin,
  }));
}

/**
 * Received at the destination through goods receiving: accepted lines become new lots there;
 * refused lines are recorded with their reason and written off against their source lot (the
 * units left its on_hand at pick, so the write-off records the loss and moves no stock).
 */
export async function receiveTransfer(
  c: Queryable,
  transferId: string,
  receivedAt: string,
  actor: string,
): Promise<StepResult> {
  const b = await begin(c, transferId, 'received');
  if ('done' in b) return b.done;
  const picks = await inTransit(c, transferId);
  const body = transferReceipt(
    { transferId, fromNodeId: b.go.from, toNodeId: b.go.to, vanAssetId: b.go.van! },
    picks,
    receivedAt,
  );
  const result = await receive(c, body, actor);
  if (result.outcome === 'refused') return { outcome: 'refused', problems: result.problems };
  if (result.outcome === 'conflict')
    return {
      outcome: 'conflict',
      message: `receipt ${body.receiptId} already exists with a different ${result.fields.join(', ')}`,
    };
  const receipt: ReceiptView = result.receipt;
  const exposed = await exposedPicks(c, transferId);
  for (const [i, line] of receipt.lines.entries()) {
    const p = picks[i]!;
    const status = line.status === 'accepted' ? 'received' : 'written_off';
    const exposure = exposed.get(p.lotId);
    const reason = line.reason ?? (exposure ? `quarantined on receipt: exposed in transit (${exposure})` : null);
    await c.query(
      'UPDATE transfer_picks SET status = $3, dest_lot_id = $4, reason = $5 WHERE transfer_id = $1 AND lot_id = $2',
      [transferId, p.lotId, status, line.lotId, reason],
    );
    // Goods the van's cold chain failed during the trip arrive, but not on sale: QA decides.
    if (status === 'received' && exposure)
      await quarantineLots(c, [{ lotId: line.lotId!, reason: `exposed in transit: ${exposure}` }]);
    if (status === 'written_off') {
      await c.query(
        "INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, at) VALUES ($1, $2, 'write_off', $3, $4) ON CONFLICT DO NOTHING",
        [`transfer:${transferId}:${p.lotId}`, p.lotId, -p.qty, receivedAt],
      );
    }
  }
  await event(c, transferId, 'received', actor, {
    receiptId: receipt.receiptId,
    lines: receipt.lines.map((l, i) => ({
      sku: l.sku,
      quantity: l.quantity,
      fromLotId: picks[i]!.lotId,
      status: l.status,
      lotId: l.lotId,
      reason: l.reason,
      temperature: l.temperature,
    })),
  });
  await event(c, transferId, 'done', actor, {});
  return setStatus(c, transferId, 'done', { receiptId: receipt.receiptId });
}

/** Source lots of a transfer's picks that an alert on the van marked exposed, with why. */
async function exposedPicks(c: Queryable, transferId: string): Promise<Map<string, string>> {
  const { rows } = await c.query<{ lot_id: string; exposure: string }>(
    'SELECT lot_id, exposure FROM transfer_picks WHERE transfer_id = $1 AND exposure IS NOT NULL',
    [transferId],
  );
  return new Map(rows.map((r) => [r.lot_id, r.exposure]));
}

/** Picks an alert on their van marked exposed, by transfer; `arrivedLots`: lots they already became. */
export interface ExposedTransfer {
  transferId: string;
  lotIds: string[];
  arrivedLots: string[];
}

/**
 * An alert on a van: mark the chilled and frozen picks of the transfers whose trip in it overlaps
 * the alert's window as exposed (once: the first alert is the one named) and record an `exposed`
 * event on each transfer. The trip runs from the `shipped` event to the receipt's time (open
 * while shipped); the window from the excursion's start to its end (open while it lasts). So an
 * excursion that began before loading and still runs exposes the goods, as does a stretch during
 * the trip whose readings arrive late (after the receipt: the picks' new lots are returned to be
 * quarantined); a stretch over before loading does not. Ambient goods are not at risk.
 */
export async function exposeShippedPicks(
  c: Queryable,
  vanAssetId: string,
  alertId: string,
  exposure: string,
): Promise<ExposedTransfer[]> {
  const { rows } = await c.query<{ transfer_id: string; lot_id: string; dest_lot_id: string | null }>(
    `WITH w AS (SELECT window_start, coalesce(window_end, 'infinity') AS window_end FROM alerts WHERE id = $2),
          trips AS (
            SELECT t.transfer_id, coalesce(r.received_at, 'infinity') AS arrived_at,
                   (SELECT max(e.at) FROM transfer_events e WHERE e.transfer_id = t.transfer_id AND e.type = 'shipped') AS shipped_at
              FROM transfers t LEFT JOIN receipts r ON r.receipt_id = t.receipt_id
             WHERE t.van_asset_id = $1 AND t.status IN ('shipped', 'done'))
     UPDATE transfer_picks p SET exposed_alert_id = $2, exposure = $3
       FROM trips, w, skus s
      WHERE p.transfer_id = trips.transfer_id AND s.sku = p.sku AND s.zone <> 'ambient'
        AND p.status IN ('in_transit', 'received') AND p.exposed_alert_id IS NULL
        AND trips.shipped_at < w.window_end AND w.window_start < trips.arrived_at
      RETURNING p.transfer_id, p.lot_id, CASE WHEN p.status = 'received' THEN p.dest_lot_id END AS dest_lot_id`,
    [vanAssetId, alertId, exposure],
  );
  const byTransfer = new Map<string, ExposedTransfer>();
  for (const r of rows) {
    const t = byTransfer.get(r.transfer_id) ?? { transferId: r.transfer_id, lotIds: [], arrivedLots: [] };
    t.lotIds.push(r.lot_id);
    if (r.dest_lot_id) t.arrivedLots.push(r.dest_lot_id);
    byTransfer.set(r.transfer_id, t);
  }
  const out = [...byTransfer.values()]
    .sort((a, b) => (a.transferId < b.transferId ? -1 : 1))
    .map((t) => ({ ...t, lotIds: t.lotIds.sort(), arrivedLots: t.arrivedLots.sort() }));
  for (const t of out)
    await event(c, t.transferId, 'exposed', 'cold-chain', { alertId, vanAssetId, lotIds: t.lotIds, exposure });
  return out;
}

/** Excursion and hard-limit alerts on a van still running (no end yet, or ending after `at`), oldest first. */
export async function vanAlertsRunningAt(c: Queryable, vanAssetId: string, at: Date): Promise<string[]> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT id FROM alerts WHERE asset_id = $1 AND kind IN ('excursion', 'hard_limit')
        AND (window_end IS NULL OR window_end > $2) ORDER BY window_start, id`,
    [vanAssetId, at],
  );
  return rows.map((r) => r.id);
}

/** Cancelled before shipping: picked units go back to their source lots. */
export async function cancelTransfer(
  c: Queryable,
  transferId: string,
  reason: string | null,
  actor: string,
): Promise<StepResult> {
  const b = await begin(c, transferId, 'cancel');
  if ('done' in b) return b.done;
  const released = (
    await c.query<{ lot_id: string; qty: number }>(
      "UPDATE transfer_picks SET status = 'released' WHERE transfer_id = $1 AND status = 'in_transit' RETURNING lot_id, qty",
      [transferId],
    )
  ).rows;
  for (const r of released) {
    await c.query('UPDATE lots SET on_hand = on_hand + $2, updated_at = now() WHERE lot_id = $1', [r.lot_id, r.qty]);
    // The pick's move undone: the units come back from the van to the source lot.
    await c.query(
      `INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, system_before, source_node_id, dest_node_id)
       SELECT $1, $2, 'transfer', $3, on_hand - $3, $4, $5 FROM lots WHERE lot_id = $2`,
      [`transfer:${transferId}:cancel:${r.lot_id}`, r.lot_id, r.qty, b.go.to, b.go.from],
    );
  }
  await event(c, transferId, 'cancelled', actor, {
    reason,
    released: released.map((r) => ({ lotId: r.lot_id, qty: r.qty })),
  });
  return setStatus(c, transferId, 'cancelled');
}

/** The transfer with its lines, picks and events, or null. */
export async function readTransfer(db: Queryable, transferId: string): Promise<TransferView | null> {
  const q = <R extends object>(sql: string): Promise<R[]> => rowsOf<R & Record<string, unknown>>(db, sql, [transferId]);
  const t = (
    await q<{
      transfer_id: string;
      from_node_id: string;
      to_node_id: string;
      status: TransferStatus;
      van_asset_id: string | null;
      receipt_id: string | null;
    }>(
      'SELECT transfer_id, from_node_id, to_node_id, status, van_asset_id, receipt_id FROM transfers WHERE transfer_id = $1',
    )
  )[0];
  if (!t) return null;
  const [lines, picks, events] = [
    await q<TransferView['lines'][number]>(
      'SELECT line_no AS "lineNo", sku, quantity, dest_bin AS bin FROM transfer_lines WHERE transfer_id = $1 ORDER BY line_no',
    ),
    await q<TransferView['picks'][number]>(
      'SELECT lot_id AS "lotId", sku, qty, status, dest_lot_id AS "destLotId", reason FROM transfer_picks WHERE transfer_id = $1 ORDER BY lot_id',
    ),
    await q<TransferView['events'][number]>(
      `SELECT type, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, detail FROM transfer_events WHERE transfer_id = $1 ORDER BY id`,
    ),
  ];
  return {
    transferId: t.transfer_id,
    fromNodeId: t.from_node_id,
    toNodeId: t.to_node_id,
    status: t.status,
    vanAssetId: t.van_asset_id,
    receiptId: t.receipt_id,
    lines,
    picks,
    events,
  };
}
