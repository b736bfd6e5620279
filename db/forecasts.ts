// SQL of demand forecasting in the system: which series a run forecasts, their demand history
// (from the demand_lines view over the order stream), the forecasts, and the planning tables
// derived from them (replenishment, markdowns, slot capacity). See docs/forecasting.md.
import { inTransaction, rowsOf } from './pool';
import type { Queryable } from './pool';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/**
 * How long before its delivery slot an order line can have been allocated. Scheduled slots are
 * booked at most a day or two ahead; the margin only bounds which order_events chunks are read.
 */
const BOOKING_LOOKBACK_MS = 14 * DAY_MS;
const lookbackFrom = (slotsFrom: Date): Date => new Date(slotsFrom.getTime() - BOOKING_LOOKBACK_MS);
/** Rows per INSERT … SELECT FROM unnest(…) statement. */
const WRITE_BATCH = 10_000;

/** One node × SKU series of a run. */
export interface SeriesKey {
  nodeId: string;
  sku: string;
  category: string;
}

/** A forecast run as stored. */
export interface ForecastRunRecord {
  runId: string;
  status: 'running' | 'succeeded' | 'failed';
  origin: Date;
  historyFrom: Date;
  horizonH: number;
  params: Record<string, unknown>;
  modelVersion: string;
  nodeIds: string[];
  series: number;
  seriesDropped: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  generatedAt: Date;
  finishedAt: Date | null;
}

interface RunRow {
  run_id: string;
  status: ForecastRunRecord['status'];
  origin: Date;
  history_from: Date;
  horizon_h: number;
  params: Record<string, unknown>;
  model_version: string;
  node_ids: string[];
  series: number;
  series_dropped: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  generated_at: Date;
  finished_at: Date | null;
}
const RUN_COLUMNS =
  'run_id, status, origin, history_from, horizon_h, params, model_version, node_ids, series, series_dropped, summary, error, generated_at, finished_at';
const toRun = (r: RunRow): ForecastRunRecord => ({
  runId: r.run_id,
  status: r.status,
  origin: r.origin,
  historyFrom: r.history_from,
  horizonH: r.horizon_h,
  params: r.params,
  modelVersion: r.model_version,
  nodeIds: r.node_ids,
  series: r.series,
  seriesDropped: r.series_dropped,
  summary: r.summary,
  error: r.error,
  generatedAt: r.generated_at,
  finishedAt: r.finished_at,
});

/**
 * The node × SKU pairs worth forecasting, busiest first: every pair with demand in
 * [from, to), then pairs with sellable stock but no demand (their lots may need a markdown).
 * `total` counts all candidates, so the caller knows how many a cap left out.
 */
export async function selectSeriesCandidates(
  db: Queryable,
  a: { from: Date; to: Date; nodeIds: readonly string[] | null; limit: number },
): Promise<{ series: (SeriesKey & { units: number })[]; total: number }> {
  const rows = await rowsOf<{ node_id: string; sku: string; category: string; units: number; total: number }>(
    db,
    `WITH demand AS (
       SELECT node_id, sku, sum(qty)::float8 AS units
         FROM demand_lines
        WHERE allocated_at >= $5 AND allocated_at < $2
          AND slot_start >= $1 AND slot_start < $2 AND ($3::text[] IS NULL OR node_id = ANY($3))
        GROUP BY 1, 2
     ), stock AS (
       SELECT DISTINCT node_id, sku FROM lots
        WHERE status = 'available' AND on_hand > reserved AND ($3::text[] IS NULL OR node_id = ANY($3))
     ), pairs AS (
       SELECT node_id, sku, coalesce(d.units, 0) AS units FROM demand d FULL JOIN stock s USING (node_id, sku)
     )
     SELECT p.node_id, p.sku, k.category, p.units, (count(*) OVER ())::int AS total
       FROM pairs p JOIN skus k ON k.sku = p.sku JOIN nodes n ON n.id = p.node_id
      ORDER BY p.units DESC, p.node_id, p.sku
      LIMIT $4`,
    [a.from, a.to, a.nodeIds ? [...a.nodeIds] : null, a.limit, lookbackFrom(a.from)],
  );
  return {
    series: rows.map((r) => ({ nodeId: r.node_id, sku: r.sku, category: r.category, units: r.units })),
    total: rows[0]?.total ?? 0,
  };
}

/**
 * Register a run and the series it forecasts, in processing order (index = position). Starting
 * a run id again (a retried activity, a reset workflow) replaces what it had written.
 */
export async function createForecastRun(
  db: Queryable,
  run: {
    runId: string;
    origin: Date;
    historyFrom: Date;
    horizonH: number;
    params: Record<string, unknown>;
    modelVersion: string;
    series: readonly SeriesKey[];
    seriesDropped: number;
  },
): Promise<ForecastRunRecord> {
  return inTransaction(db, async (c) => {
    const prior = await c.query<{ origin: Date; horizon_h: number }>(
      'SELECT origin, horizon_h FROM forecast_runs WHERE run_id = $1 FOR UPDATE',
      [run.runId],
    );
    const old = prior.rows[0];
    if (old) {
      await c.query('DELETE FROM forecasts WHERE run_id = $1 AND slot_start >= $2 AND slot_start < $3', [
        run.runId,
        old.origin,
        new Date(old.origin.getTime() + old.horizon_h * HOUR_MS),
      ]);
      await c.query('DELETE FROM forecast_runs WHERE run_id = $1', [run.runId]);
    }
    const nodeIds = [...new Set(run.series.map((s) => s.nodeId))].sort();
    const inserted = await c.query<RunRow>(
      `INSERT INTO forecast_runs (run_id, status, origin, history_from, horizon_h, params, model_version, node_ids, series, series_dropped)
       VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${RUN_COLUMNS}`,
      [
        run.runId,
        run.origin,
        run.historyFrom,
        run.horizonH,
        JSON.stringify(run.params),
        run.modelVersion,
        nodeIds,
        run.series.length,
        run.seriesDropped,
      ],
    );
    for (let i = 0; i < run.series.length; i += WRITE_BATCH) {
      const part = run.series.slice(i, i + WRITE_BATCH);
      await c.query(
        `INSERT INTO forecast_run_series (run_id, idx, node_id, sku, category)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
        [
          run.runId,
          part.map((_, k) => i + k),
          part.map((s) => s.nodeId),
          part.map((s) => s.sku),
          part.map((s) => s.category),
        ],
      );
    }
    return toRun(inserted.rows[0] as RunRow);
  });
}

/** A run by id. */
export async function loadForecastRun(db: Queryable, runId: string): Promise<ForecastRunRecord | undefined> {
  const rows = await rowsOf<RunRow>(db, `SELECT ${RUN_COLUMNS} FROM forecast_runs WHERE run_id = $1`, [runId]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** Series [fromIdx, toIdx) of a run, in index order. */
export async function loadRunSeries(
  db: Queryable,
  runId: string,
  fromIdx: number,
  toIdx: number,
): Promise<(SeriesKey & { idx: number })[]> {
  const rows = await rowsOf<{ idx: number; node_id: string; sku: string; category: string }>(
    db,
    'SELECT idx, node_id, sku, category FROM forecast_run_series WHERE run_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
    [runId, fromIdx, toIdx],
  );
  return rows.map((r) => ({ idx: r.idx, nodeId: r.node_id, sku: r.sku, category: r.category }));
}

/**
 * Hourly demand of series [fromIdx, toIdx) of a run over [historyFrom, origin): one row per
 * series and hour with demand (hour = whole hours since historyFrom; hours without a row had none).
 */
export async function loadSeriesDemand(
  db: Queryable,
  a: { runId: string; fromIdx: number; toIdx: number; historyFrom: Date; origin: Date },
): Promise<{ idx: number; hour: number; units: number }[]> {
  return rowsOf<{ idx: number; hour: number; units: number }>(
    db,
    `SELECT s.idx, floor(extract(epoch FROM d.slot_start - $2::timestamptz) / 3600)::int AS hour, sum(d.qty)::float8 AS units
       FROM forecast_run_series s
       JOIN demand_lines d ON d.node_id = s.node_id AND d.sku = s.sku
      WHERE s.run_id = $1 AND s.idx >= $4 AND s.idx < $5
        AND d.allocated_at >= $6 AND d.allocated_at < $3
        AND d.slot_start >= $2 AND d.slot_start < $3
      GROUP BY 1, 2`,
    [a.runId, a.historyFrom, a.origin, a.fromIdx, a.toIdx, lookbackFrom(a.historyFrom)],
  );
}

/** One hourly forecast to store. */
export interface ForecastRow {
  nodeId: string;
  sku: string;
  /** Epoch ms of the slot's start (a real instant, not wall-clock). */
  slotStart: number;
  horizonH: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}

/** Store forecasts of a run (idempotent: a retried chunk overwrites its own rows). */
export async function writeForecasts(
  db: Queryable,
  run: { runId: string; modelVersion: string; generatedAt: Date },
  rows: readonly ForecastRow[],
  onBatch?: () => void,
): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_BATCH) {
    const part = rows.slice(i, i + WRITE_BATCH);
    await rowsOf(
      db,
      `INSERT INTO forecasts (run_id, node_id, sku, slot_start, horizon_h, mean, p10, p50, p90, model_version, generated_at)
       SELECT $1, node_id, sku, to_timestamp(ms / 1000.0), h, mean, p10, p50, p90, $2, $3
         FROM unnest($4::text[], $5::text[], $6::float8[], $7::int[], $8::float8[], $9::float8[], $10::float8[], $11::float8[]) AS t(node_id, sku, ms, h, mean, p10, p50, p90)
       ON CONFLICT (run_id, node_id, sku, slot_start) DO UPDATE SET horizon_h = EXCLUDED.horizon_h, mean = EXCLUDED.mean, p10 = EXCLUDED.p10,
         p50 = EXCLUDED.p50, p90 = EXCLUDED.p90, model_version = EXCLUDED.model_version, generated_at = EXCLUDED.generated_at`,
      [
        run.runId,
        run.modelVersion,
        run.generatedAt,
        part.map((r) => r.nodeId),
        part.map((r) => r.sku),
        part.map((r) => r.slotStart),
        part.map((r) => r.horizonH),
        part.map((r) => r.mean),
        part.map((r) => r.p10),
        part.map((r) => r.p50),
        part.map((r) => r.p90),
      ],
    );
    onBatch?.();
  }
}

/** A stored forecast as planning and the API read it. */
export interface StoredForecast {
  nodeId: string;
  sku: string;
  slotStart: Date;
  horizonH: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}
interface ForecastDbRow {
  node_id: string;
  sku: string;
  slot_start: Date;
  horizon_h: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}
const toForecast = (r: ForecastDbRow): StoredForecast => ({
  nodeId: r.node_id,
  sku: r.sku,
  slotStart: r.slot_start,
  horizonH: r.horizon_h,
  mean: r.mean,
  p10: r.p10,
  p50: r.p50,
  p90: r.p90,
});

/** Every forecast of a run for some nodes, by node, SKU and slot. */
export async function loadRunForecasts(
  db: Queryable,
  run: Pick<ForecastRunRecord, 'runId' | 'origin' | 'horizonH'>,
  nodeIds: readonly string[],
): Promise<StoredForecast[]> {
  const rows = await rowsOf<ForecastDbRow>(
    db,
    `SELECT node_id, sku, slot_start, horizon_h, mean, p10, p50, p90 FROM forecasts
      WHERE run_id = $1 AND node_id = ANY($2) AND slot_start >= $3 AND slot_start < $4
      ORDER BY node_id, sku, slot_start`,
    [run.runId, [...nodeIds], run.origin, new Date(run.origin.getTime() + run.horizonH * HOUR_MS)],
  );
  return rows.map(toForecast);
}

/** What planning needs besides the forecasts. */
export interface PlanningContext {
  nodes: { id: string; kind: 'front' | 'store' }[];
  skus: { sku: string; perishable: boolean; shelfLifeDaysAtRef: number; minShelfLifeDays: number }[];
  /** Sellable lots: available status, on hand beyond what orders hold. */
  lots: { lotId: string; nodeId: string; sku: string; expiresOn: string; available: number }[];
  /** Per node over the history window: distinct orders, and units of the run's SKUs. */
  orderStats: { nodeId: string; orders: number; units: number }[];
}

/** Nodes, SKU shelf lives, sellable lots and order sizes for planning some nodes of a run. */
export async function loadPlanningContext(
  db: Queryable,
  run: Pick<ForecastRunRecord, 'runId' | 'origin' | 'historyFrom'>,
  nodeIds: readonly string[],
): Promise<PlanningContext> {
  const ids = [...nodeIds];
  const [nodes, skus, lots, stats] = await Promise.all([
    rowsOf<{ id: string; kind: 'front' | 'store' }>(db, 'SELECT id, kind FROM nodes WHERE id = ANY($1)', [ids]),
    rowsOf<{ sku: string; perishable: boolean; shelf_life_days_at_ref: number; min_shelf_life_days: number }>(
      db,
      `SELECT k.sku, k.perishable, k.shelf_life_days_at_ref, k.min_shelf_life_days FROM skus k
        WHERE k.sku IN (SELECT sku FROM forecast_run_series WHERE run_id = $1 AND node_id = ANY($2))`,
      [run.runId, ids],
    ),
    rowsOf<{ lot_id: string; node_id: string; sku: string; expires_on: string; available: number }>(
      db,
      `SELECT l.lot_id, l.node_id, l.sku, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, l.on_hand - l.reserved AS available
         FROM lots l JOIN forecast_run_series s ON s.run_id = $1 AND s.node_id = l.node_id AND s.sku = l.sku
        WHERE l.node_id = ANY($2) AND l.status = 'available' AND l.on_hand > l.reserved`,
      [run.runId, ids],
    ),
    rowsOf<{ node_id: string; orders: number; units: number }>(
      db,
      `SELECT d.node_id, count(DISTINCT d.order_id)::int AS orders, coalesce(sum(d.qty) FILTER (WHERE s.sku IS NOT NULL), 0)::float8 AS units
         FROM demand_lines d
         LEFT JOIN forecast_run_series s ON s.run_id = $1 AND s.node_id = d.node_id AND s.sku = d.sku
        WHERE d.node_id = ANY($2) AND d.allocated_at >= $5 AND d.allocated_at < $4
          AND d.slot_start >= $3 AND d.slot_start < $4
        GROUP BY 1`,
      [run.runId, ids, run.historyFrom, run.origin, lookbackFrom(run.historyFrom)],
    ),
  ]);
  return {
    nodes,
    skus: skus.map((s) => ({
      sku: s.sku,
      perishable: s.perishable,
      shelfLifeDaysAtRef: s.shelf_life_days_at_ref,
      minShelfLifeDays: s.min_shelf_life_days,
    })),
    lots: lots.map((l) => ({
      lotId: l.lot_id,
      nodeId: l.node_id,
      sku: l.sku,
      expiresOn: l.expires_on,
      available: l.available,
    })),
    orderStats: stats.map((s) => ({ nodeId: s.node_id, orders: s.orders, units: s.units })),
  };
}

/** An order suggestion for one node × SKU. */
export interface ReplenishmentRow {
  nodeId: string;
  sku: string;
  orderQuantity: number;
  orderUpTo: number;
  inventoryPosition: number;
  onHand: number;
  expiryCap: number;
  limitedByExpiry: boolean;
  leadTimeH: number;
  reviewH: number;
  shelfLifeH: number;
  capHoursCovered: number;
}

/** A lot expected to be left unsold at its sell-by time. */
export interface MarkdownRow {
  nodeId: string;
  sku: string;
  lotId: string;
  quantity: number;
  expiresOn: string;
  sellBy: Date;
  expectedSold: number;
  atRisk: number;
  atRiskShare: number;
  suggestedDiscount: number;
}

/** Expected orders of one node in one hourly slot. */
export interface SlotCapacityRow {
  nodeId: string;
  slotStart: Date;
  expectedOrders: number;
  p90Orders: number;
  unitsPerOrder: number;
}

async function deleteNodeRows(c: Queryable, table: string, runId: string, nodeIds: readonly string[]): Promise<void> {
  await c.query(`DELETE FROM ${table} WHERE run_id = $1 AND node_id = ANY($2)`, [runId, [...nodeIds]]);
}

/** Replace the planning results of some nodes of a run, in one transaction (a retry rewrites them). */
export async function savePlanning(
  db: Queryable,
  runId: string,
  nodeIds: readonly string[],
  p: {
    replenishment: readonly ReplenishmentRow[];
    markdowns: readonly MarkdownRow[];
    slots: readonly SlotCapacityRow[];
  },
): Promise<void> {
  await inTransaction(db, async (c) => {
    for (const table of ['replenishment_suggestions', 'markdown_suggestions', 'slot_capacity_forecasts'])
      await deleteNodeRows(c, table, runId, nodeIds);
    const r = p.replenishment;
    if (r.length) {
      await c.query(
        `INSERT INTO replenishment_suggestions (run_id, node_id, sku, order_quantity, order_up_to, inventory_position, on_hand, expiry_cap, limited_by_expiry, lead_time_h, review_h, shelf_life_h, cap_hours_covered)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::int[], $8::float8[], $9::bool[], $10::int[], $11::int[], $12::int[], $13::int[])`,
        [
          runId,
          r.map((x) => x.nodeId),
          r.map((x) => x.sku),
          r.map((x) => x.orderQuantity),
          r.map((x) => x.orderUpTo),
          r.map((x) => x.inventoryPosition),
          r.map((x) => x.onHand),
          r.map((x) => x.expiryCap),
          r.map((x) => x.limitedByExpiry),
          r.map((x) => x.leadTimeH),
          r.map((x) => x.reviewH),
          r.map((x) => x.shelfLifeH),
          r.map((x) => x.capHoursCovered),
        ],
      );
    }
    const m = p.markdowns;
    if (m.length) {
      await c.query(
        `INSERT INTO markdown_suggestions (run_id, node_id, sku, lot_id, quantity, expires_on, sell_by, expected_sold, at_risk, at_risk_share, suggested_discount)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::date[], $7::timestamptz[], $8::float8[], $9::float8[], $10::float8[], $11::float8[])`,
        [
          runId,
          m.map((x) => x.nodeId),
          m.map((x) => x.sku),
          m.map((x) => x.lotId),
          m.map((x) => x.quantity),
          m.map((x) => x.expiresOn),
          m.map((x) => x.sellBy),
          m.map((x) => x.expectedSold),
          m.map((x) => x.atRisk),
          m.map((x) => x.atRiskShare),
          m.map((x) => x.suggestedDiscount),
        ],
      );
    }
    for (let i = 0; i < p.slots.length; i += WRITE_BATCH) {
      const s = p.slots.slice(i, i + WRITE_BATCH);
      await c.query(
        `INSERT INTO slot_capacity_forecasts (run_id, node_id, slot_start, expected_orders, p90_orders, units_per_order)
         SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[])`,
        [
          runId,
          s.map((x) => x.nodeId),
          s.map((x) => x.slotStart),
          s.map((x) => x.expectedOrders),
          s.map((x) => x.p90Orders),
          s.map((x) => x.unitsPerOrder),
        ],
      );
    }
  });
}

/** Close a run: succeeded (with a summary) or failed (with the error). */
export async function finishForecastRun(
  db: Queryable,
  runId: string,
  outcome: { status: 'succeeded'; summary: Record<string, unknown> } | { status: 'failed'; error: string },
): Promise<void> {
  await rowsOf(
    db,
    'UPDATE forecast_runs SET status = $2, summary = $3, error = $4, finished_at = now() WHERE run_id = $1',
    [
      runId,
      outcome.status,
      outcome.status === 'succeeded' ? JSON.stringify(outcome.summary) : null,
      outcome.status === 'failed' ? outcome.error.slice(0, 2000) : null,
    ],
  );
}

/**
 * Retention: runs generated before `olderThan` go (with their suggestions), and forecast chunks
 * whose slots all lie before it are dropped (drop_chunks, in the Apache-2 build too).
 */
export async function pruneForecasts(db: Queryable, olderThan: Date): Promise<{ runs: number; chunks: number }> {
  const runs = await rowsOf<{ run_id: string }>(
    db,
    'DELETE FROM forecast_runs WHERE generated_at < $1 RETURNING run_id',
    [olderThan],
  );
  const chunks = await rowsOf<{ chunk: string }>(
    db,
    "SELECT drop_chunks('forecasts', older_than => $1::timestamptz) AS chunk",
    [olderThan],
  );
  return { runs: runs.length, chunks: chunks.length };
}

// ---- Reading for the API -------------------------------------------------------------------

/** The latest succeeded run that forecast this node. */
export async function latestRunForNode(db: Queryable, nodeId: string): Promise<ForecastRunRecord | undefined> {
  const rows = await rowsOf<RunRow>(
    db,
    `SELECT ${RUN_COLUMNS} FROM forecast_runs WHERE status = 'succeeded' AND $1 = ANY(node_ids) ORDER BY generated_at DESC LIMIT 1`,
    [nodeId],
  );
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** Forecasts of one run and node, optionally one SKU and a slot window; at most `limit` rows. */
export async function loadForecasts(
  db: Queryable,
  a: { runId: string; nodeId: string; sku?: string; from: Date; to: Date; limit: number },
): Promise<StoredForecast[]> {
  const rows = await rowsOf<ForecastDbRow>(
    db,
    `SELECT node_id, sku, slot_start, horizon_h, mean, p10, p50, p90 FROM forecasts
      WHERE run_id = $1 AND node_id = $2 AND ($3::text IS NULL OR sku = $3) AND slot_start >= $4 AND slot_start < $5
      ORDER BY sku, slot_start LIMIT $6`,
    [a.runId, a.nodeId, a.sku ?? null, a.from, a.to, a.limit],
  );
  return rows.map(toForecast);
}

// Each node's latest succeeded run (one node, or every node when $1 is null).
const LATEST_PER_NODE = `
  SELECT DISTINCT ON (n.node_id) n.node_id, r.run_id, r.generated_at
    FROM forecast_runs r CROSS JOIN LATERAL unnest(r.node_ids) AS n(node_id)
   WHERE r.status = 'succeeded' AND ($1::text IS NULL OR n.node_id = $1)
   ORDER BY n.node_id, r.generated_at DESC`;

/** Replenishment suggestions from each node's latest run (one node or all). */
export async function latestReplenishment(
  db: Queryable,
  nodeId?: string,
): Promise<(ReplenishmentRow & { runId: string; generatedAt: Date })[]> {
  const rows = await rowsOf<{
    run_id: string;
    generated_at: Date;
    node_id: string;
    sku: string;
    order_quantity: number;
    order_up_to: number;
    inventory_position: number;
    on_hand: number;
    expiry_cap: number;
    limited_by_expiry: boolean;
    lead_time_h: number;
    review_h: number;
    shelf_life_h: number;
    cap_hours_covered: number;
  }>(
    db,
    `WITH latest AS (${LATEST_PER_NODE})
     SELECT s.*, l.generated_at FROM replenishment_suggestions s JOIN latest l ON l.run_id = s.run_id AND l.node_id = s.node_id
      ORDER BY s.node_id, s.order_quantity DESC, s.sku`,
    [nodeId ?? null],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    generatedAt: r.generated_at,
    nodeId: r.node_id,
    sku: r.sku,
    orderQuantity: r.order_quantity,
    orderUpTo: r.order_up_to,
    inventoryPosition: r.inventory_position,
    onHand: r.on_hand,
    expiryCap: r.expiry_cap,
    limitedByExpiry: r.limited_by_expiry,
    leadTimeH: r.lead_time_h,
    reviewH: r.review_h,
    shelfLifeH: r.shelf_life_h,
    capHoursCovered: r.cap_hours_covered,
  }));
}

/** Markdown suggestions from each node's latest run (one node or all), most urgent first. */
export async function latestMarkdowns(
  db: Queryable,
  nodeId?: string,
): Promise<(MarkdownRow & { runId: string; generatedAt: Date })[]> {
  const rows = await rowsOf<{
    run_id: string;
    generated_at: Date;
    node_id: string;
    sku: string;
    lot_id: string;
    quantity: number;
    expires_on: string;
    sell_by: Date;
    expected_sold: number;
    at_risk: number;
    at_risk_share: number;
    suggested_discount: number;
  }>(
    db,
    `WITH latest AS (${LATEST_PER_NODE})
     SELECT s.run_id, s.node_id, s.sku, s.lot_id, s.quantity, to_char(s.expires_on, 'YYYY-MM-DD') AS expires_on, s.sell_by, s.expected_sold, s.at_risk,
            s.at_risk_share, s.suggested_discount, l.generated_at
       FROM markdown_suggestions s JOIN latest l ON l.run_id = s.run_id AND l.node_id = s.node_id
      ORDER BY s.sell_by, s.at_risk DESC, s.lot_id`,
    [nodeId ?? null],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    generatedAt: r.generated_at,
    nodeId: r.node_id,
    sku: r.sku,
    lotId: r.lot_id,
    quantity: r.quantity,
    expiresOn: r.expires_on,
    sellBy: r.sell_by,
    expectedSold: r.expected_sold,
    atRisk: r.at_risk,
    atRiskShare: r.at_risk_share,
    suggestedDiscount: r.suggested_discount,
  }));
}

/** Expected orders per slot of one run and node within [from, to). */
export async function loadSlotCapacity(
  db: Queryable,
  a: { runId: string; nodeId: string; from: Date; to: Date },
): Promise<SlotCapacityRow[]> {
  const rows = await rowsOf<{
    node_id: string;
    slot_start: Date;
    expected_orders: number;
    p90_orders: number;
    units_per_order: number;
  }>(
    db,
    `SELECT node_id, slot_start, expected_orders, p90_orders, units_per_order FROM slot_capacity_forecasts
      WHERE run_id = $1 AND node_id = $2 AND slot_start >= $3 AND slot_start < $4 ORDER BY slot_start`,
    [a.runId, a.nodeId, a.from, a.to],
  );
  return rows.map((r) => ({
    nodeId: r.node_id,
    slotStart: r.slot_start,
    expectedOrders: r.expected_orders,
    p90Orders: r.p90_orders,
    unitsPerOrder: r.units_per_order,
  }));
}
