// SQL of the operational KPIs, per node and local day: SLA attainment, stockouts, inventory
// accuracy, picking efficiency, substitutions, door rejections and cold-chain time out of band.
// Every figure is read from what the system already records (the order event stream, cycle
// counts, alerts); definitions are in docs/kpis.md. Each family is one query over the window;
// the rows are merged here into one dense node × day grid (a day without activity has zero
// counts and null rates), which is what a chart wants.
import { rowsOf } from './pool';
import type { Queryable } from './pool';

/** What to compute: local days `from`..`to` (inclusive, YYYY-MM-DD) in time zone `tz`. */
export interface KpiQuery {
  from: string;
  to: string;
  /** IANA time zone that defines the day boundaries (e.g. Asia/Shanghai). */
  tz: string;
  /** One node only; all nodes with activity in the window when absent. */
  nodeId?: string;
  /** End of excursions still open (epoch ms); defaults to the clock. */
  now?: number;
}

/** The KPIs of one node on one local day: raw counts and the rates derived from them. */
export interface KpiRow {
  nodeId: string;
  day: string;
  /** Orders the node delivered (a fulfilment of theirs reached `delivered`) on the day. */
  ordersDelivered: number;
  /** Of those, orders with an `sla_breached` event. */
  ordersSlaBreached: number;
  /** 1 − breached / delivered. */
  slaAttainment: number | null;
  /** Customer lines the initial allocation gave the node, plus the lines it lacked stock for. */
  linesOrdered: number;
  /** Lines left unfulfilled with code insufficient_stock, charged to the node that lacked the stock. */
  linesStockout: number;
  stockoutRate: number | null;
  /** Cycle counts (stock adjustments of kind count, short-pick corrections excluded). */
  counts: number;
  /** Counts where counted == system_before. */
  countsAccurate: number;
  countAccuracy: number | null;
  /** Σ |counted − system_before| and Σ max(counted, system_before) over the counts. */
  unitsCountError: number;
  unitsCounted: number;
  /** 1 − unitsCountError / unitsCounted (1 when every counted figure was zero). */
  unitAccuracy: number | null;
  /** Fulfilments packed on the day, and the lines picked in full in them. */
  fulfilmentsPacked: number;
  linesPicked: number;
  /** Union of each picker's claim → packed intervals, in hours. */
  pickerHours: number;
  linesPerPickerHour: number | null;
  /** Picker line outcomes: picked in full, short-picked, or shorted with a substitute proposed. */
  linesHandled: number;
  substitutionsProposed: number;
  substitutionsAccepted: number;
  substitutionsRefused: number;
  /** Proposed / handled. */
  substitutionRate: number | null;
  /** Accepted / (accepted + refused). */
  substitutionAcceptance: number | null;
  /** Fulfilments that reached the door: delivered, or rejected there. */
  doorArrivals: number;
  rejectionsFull: number;
  rejectionsPartial: number;
  /** (full + partial) / door arrivals. */
  rejectionRate: number | null;
  /** Excursion alerts whose episode started on the day. */
  coldChainExcursions: number;
  /** Minutes of the day an asset of the node was in an excursion (overlapping sensors of one asset count once). */
  coldChainMinutesOutOfBand: number;
}

/** Column order of the CSV export and of every row's keys. */
export const KPI_COLUMNS = [
  'nodeId',
  'day',
  'ordersDelivered',
  'ordersSlaBreached',
  'slaAttainment',
  'linesOrdered',
  'linesStockout',
  'stockoutRate',
  'counts',
  'countsAccurate',
  'countAccuracy',
  'unitsCountError',
  'unitsCounted',
  'unitAccuracy',
  'fulfilmentsPacked',
  'linesPicked',
  'pickerHours',
  'linesPerPickerHour',
  'linesHandled',
  'substitutionsProposed',
  'substitutionsAccepted',
  'substitutionsRefused',
  'substitutionRate',
  'substitutionAcceptance',
  'doorArrivals',
  'rejectionsFull',
  'rejectionsPartial',
  'rejectionRate',
  'coldChainExcursions',
  'coldChainMinutesOutOfBand',
] as const satisfies readonly (keyof KpiRow)[];

/** The counts of a row; the rates are derived from them by `withRates`. */
export type KpiCounts = Omit<
  KpiRow,
  | 'slaAttainment'
  | 'stockoutRate'
  | 'countAccuracy'
  | 'unitAccuracy'
  | 'linesPerPickerHour'
  | 'substitutionRate'
  | 'substitutionAcceptance'
  | 'rejectionRate'
>;

/** A query the caller got wrong in a way only the database notices (e.g. an unknown time zone). */
export class KpiQueryError extends Error {
  override readonly name = 'KpiQueryError';
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Derive the rates of a row from its counts (pure). */
export function withRates(c: KpiCounts): KpiRow {
  const row: KpiRow = {
    ...c,
    slaAttainment: c.ordersDelivered > 0 ? 1 - c.ordersSlaBreached / c.ordersDelivered : null,
    stockoutRate: ratio(c.linesStockout, c.linesOrdered),
    countAccuracy: ratio(c.countsAccurate, c.counts),
    unitAccuracy: c.counts === 0 ? null : c.unitsCounted === 0 ? 1 : 1 - c.unitsCountError / c.unitsCounted,
    linesPerPickerHour: ratio(c.linesPicked, c.pickerHours),
    substitutionRate: ratio(c.substitutionsProposed, c.linesHandled),
    substitutionAcceptance: ratio(c.substitutionsAccepted, c.substitutionsAccepted + c.substitutionsRefused),
    rejectionRate: ratio(c.rejectionsFull + c.rejectionsPartial, c.doorArrivals),
  };
  // Keys in column order, so JSON and CSV list the same fields the same way.
  return Object.fromEntries(KPI_COLUMNS.map((k) => [k, row[k]])) as unknown as KpiRow;
}

function emptyCounts(nodeId: string, day: string): KpiCounts {
  return {
    nodeId,
    day,
    ordersDelivered: 0,
    ordersSlaBreached: 0,
    linesOrdered: 0,
    linesStockout: 0,
    counts: 0,
    countsAccurate: 0,
    unitsCountError: 0,
    unitsCounted: 0,
    fulfilmentsPacked: 0,
    linesPicked: 0,
    pickerHours: 0,
    linesHandled: 0,
    substitutionsProposed: 0,
    substitutionsAccepted: 0,
    substitutionsRefused: 0,
    doorArrivals: 0,
    rejectionsFull: 0,
    rejectionsPartial: 0,
    coldChainExcursions: 0,
    coldChainMinutesOutOfBand: 0,
  };
}

/** Every local day from `from` to `to` inclusive (YYYY-MM-DD; calendar arithmetic, no zone needed). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end; t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

// Shared SQL fragments. $1 lo, $2 hi (the window as instants), $3 tz, $4 node or null.
const DAY = (col: string) =>
  `to_char(time_bucket(INTERVAL '1 day', ${col}, $3::text) AT TIME ZONE $3::text, 'YYYY-MM-DD')`;
const NODE = (col: string) => `($4::text IS NULL OR ${col} = $4::text)`;
// jsonb_array_elements of a value that should be an array; anything else yields no rows,
// so one malformed event never fails the whole report.
const ARRAY = (expr: string) =>
  `jsonb_array_elements(CASE WHEN jsonb_typeof(${expr}) = 'array' THEN ${expr} ELSE '[]'::jsonb END)`;

type Params = [Date, Date, string, string | null];
// Figures come back as numbers (float8) or decimal strings (bigint, numeric): see figureFromDb.
type Part = { node_id: string; day: string } & Record<string, number | string>;

// Delivered orders per node: an order counts once per node, on the day of that node's last
// delivery of it; breached when the order has an sla_breached event at any time.
const SLA_SQL = `
WITH d AS (
  SELECT e.node_id, e.order_id, max(e.at) AS at
    FROM order_events e
   WHERE e.type = 'delivered' AND e.node_id IS NOT NULL AND e.at >= $1 AND e.at < $2 AND ${NODE('e.node_id')}
   GROUP BY e.node_id, e.order_id)
SELECT d.node_id, ${DAY('d.at')} AS day,
       count(*)::bigint AS "ordersDelivered",
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM order_events b WHERE b.order_id = d.order_id AND b.type = 'sla_breached'))::bigint AS "ordersSlaBreached"
  FROM d
 GROUP BY 1, 2`;

// The initial allocation (<orderId>:alloc:1) holds the customer's lines: those given to each
// node, and those nobody could serve with the allocator's decisive node per line (byNode, in
// candidate order). A stockout is charged to the first node that lacked the stock.
const STOCKOUT_SQL = `
WITH a AS (
  SELECT e.order_id, e.at, e.data
    FROM order_events e
   WHERE e.type = 'allocated' AND e.event_key = e.order_id || ':alloc:1' AND e.at >= $1 AND e.at < $2),
served AS (
  SELECT f ->> 'nodeId' AS node_id, a.at, count(DISTINCT l ->> 'lineId') AS lines
    FROM a
   CROSS JOIN LATERAL ${ARRAY("a.data -> 'fulfilments'")} AS f
   CROSS JOIN LATERAL ${ARRAY("f -> 'totes'")} AS t
   CROSS JOIN LATERAL ${ARRAY("t -> 'lines'")} AS l
   GROUP BY a.order_id, a.at, f ->> 'nodeId'),
short AS (
  SELECT (SELECT r ->> 'nodeId' FROM ${ARRAY("u -> 'byNode'")} WITH ORDINALITY AS x(r, i) WHERE r ->> 'code' = 'insufficient_stock' ORDER BY i LIMIT 1) AS node_id, a.at
    FROM a
   CROSS JOIN LATERAL ${ARRAY("a.data -> 'unfulfilled'")} AS u
   WHERE u ->> 'code' = 'insufficient_stock'),
lines AS (
  SELECT node_id, at, lines AS ordered, 0 AS stockout FROM served
  UNION ALL
  SELECT node_id, at, 1, 1 FROM short)
SELECT node_id, ${DAY('at')} AS day, sum(ordered)::bigint AS "linesOrdered", sum(stockout)::bigint AS "linesStockout"
  FROM lines
 WHERE node_id IS NOT NULL AND ${NODE('node_id')}
 GROUP BY 1, 2`;

// Cycle counts. Short picks record a count too (the picker found the bin short): those are not
// a sample of the stock but a reaction to a miss, and are left out (their ids hold ':short:').
const ACCURACY_SQL = `
SELECT l.node_id, ${DAY('a.at')} AS day,
       count(*)::bigint AS counts,
       count(*) FILTER (WHERE a.counted = a.system_before)::bigint AS "countsAccurate",
       sum(abs(a.counted::bigint - a.system_before::bigint)) AS "unitsCountError",
       sum(greatest(a.counted, a.system_before)::bigint) AS "unitsCounted"
  FROM stock_adjustments a
  JOIN lots l ON l.lot_id = a.lot_id
 WHERE a.kind = 'count' AND a.counted IS NOT NULL AND a.system_before IS NOT NULL AND a.adjustment_id NOT LIKE '%:short:%'
   AND a.at >= $1 AND a.at < $2 AND ${NODE('l.node_id')}
 GROUP BY 1, 2`;

// Picking: each claim of a packed fulfilment (the 'picking' event, then 'pick_claimed' for
// zones claimed later) opens an interval for its picker that ends when the fulfilment is
// packed. A picker's overlapping intervals (a wave picks several fulfilments at once) are
// merged, so an hour is counted once however many totes it filled. Lines: picked in full.
const PICKING_SQL = `
WITH p AS (
  SELECT e.order_id, e.node_id, e.data ->> 'fulfilmentId' AS fid, max(e.at) AS packed_at
    FROM order_events e
   WHERE e.type = 'packed' AND e.node_id IS NOT NULL AND jsonb_typeof(e.data -> 'fulfilmentId') = 'string'
     AND e.at >= $1 AND e.at < $2 AND ${NODE('e.node_id')}
   GROUP BY 1, 2, 3),
pd AS (SELECT p.*, ${DAY('p.packed_at')} AS day FROM p),
lines AS (
  SELECT pd.node_id, pd.day, count(*)::bigint AS fulfilments,
         sum((SELECT count(DISTINCT x.data ->> 'lineId') FROM order_events x
               WHERE x.order_id = pd.order_id AND x.type = 'line_picked' AND x.data ->> 'fulfilmentId' = pd.fid))::bigint AS lines
    FROM pd GROUP BY 1, 2),
spans AS (
  SELECT pd.node_id, pd.day, coalesce(c.data ->> 'pickerId', '') AS picker, min(c.at) AS s, pd.packed_at AS e
    FROM pd
    JOIN order_events c ON c.order_id = pd.order_id AND c.type IN ('picking', 'pick_claimed') AND c.data ->> 'fulfilmentId' = pd.fid AND c.at <= pd.packed_at
   GROUP BY pd.node_id, pd.day, pd.fid, pd.packed_at, 3),
o AS (
  SELECT spans.*, max(e) OVER (PARTITION BY node_id, day, picker ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
    FROM spans),
g AS (
  SELECT o.*, count(*) FILTER (WHERE prev_e IS NULL OR s > prev_e) OVER (PARTITION BY node_id, day, picker ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM o),
busy AS (
  SELECT node_id, day, sum(seconds) AS seconds
    FROM (SELECT node_id, day, extract(epoch FROM max(e) - min(s)) AS seconds FROM g GROUP BY node_id, day, picker, island) i
   GROUP BY 1, 2)
SELECT lines.node_id, lines.day, lines.fulfilments AS "fulfilmentsPacked", lines.lines AS "linesPicked",
       coalesce(busy.seconds, 0)::float8 / 3600 AS "pickerHours"
  FROM lines LEFT JOIN busy ON busy.node_id = lines.node_id AND busy.day = lines.day`;

// Picker line outcomes, substitutions and what happened at the door, by the day they happened.
// A full door rejection ends the fulfilment 'rejected'; a partial one 'delivered'; both carry
// data.rejection. (An order-level 'rejected' event, nobody could serve it, has no node.)
const OUTCOMES_SQL = `
SELECT e.node_id, ${DAY('e.at')} AS day,
       count(*) FILTER (WHERE e.type IN ('line_picked', 'short_picked', 'substitution_proposed'))::bigint AS "linesHandled",
       count(*) FILTER (WHERE e.type = 'substitution_proposed')::bigint AS "substitutionsProposed",
       count(*) FILTER (WHERE e.type = 'substitution_accepted')::bigint AS "substitutionsAccepted",
       count(*) FILTER (WHERE e.type = 'substitution_refused')::bigint AS "substitutionsRefused",
       count(*) FILTER (WHERE e.type = 'delivered' OR (e.type = 'rejected' AND e.data ? 'rejection'))::bigint AS "doorArrivals",
       count(*) FILTER (WHERE e.type = 'rejected' AND e.data ->> 'rejection' = 'full')::bigint AS "rejectionsFull",
       count(*) FILTER (WHERE e.type IN ('delivered', 'rejected') AND e.data ->> 'rejection' = 'partial')::bigint AS "rejectionsPartial"
  FROM order_events e
 WHERE e.node_id IS NOT NULL AND e.at >= $1 AND e.at < $2 AND ${NODE('e.node_id')}
   AND e.type IN ('line_picked', 'short_picked', 'substitution_proposed', 'substitution_accepted', 'substitution_refused', 'delivered', 'rejected')
 GROUP BY 1, 2`;

// Excursion episodes (alerts of kind excursion: window_start .. window_end, in sensor time;
// still open: until now), merged per asset so two sensors in one fridge count once, then
// split at the local day boundaries. $5 now, $6 first day, $7 last day.
const COLD_CHAIN_SQL = `
WITH ex AS (
  SELECT node_id, asset_id, window_start AS s, greatest(window_start, coalesce(window_end, $5::timestamptz)) AS e
    FROM alerts
   WHERE kind = 'excursion' AND window_start < $2 AND coalesce(window_end, $5::timestamptz) > $1 AND ${NODE('node_id')}),
o AS (SELECT ex.*, max(e) OVER (PARTITION BY node_id, asset_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e FROM ex),
g AS (SELECT o.*, count(*) FILTER (WHERE prev_e IS NULL OR s > prev_e) OVER (PARTITION BY node_id, asset_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island FROM o),
iv AS (SELECT node_id, min(s) AS s, max(e) AS e FROM g GROUP BY node_id, asset_id, island),
days AS (
  SELECT to_char(d, 'YYYY-MM-DD') AS day, d::timestamp AT TIME ZONE $3::text AS ds, (d + INTERVAL '1 day')::timestamp AT TIME ZONE $3::text AS de
    FROM generate_series($6::date::timestamp, $7::date::timestamp, INTERVAL '1 day') AS d),
minutes AS (
  SELECT iv.node_id, days.day, sum(extract(epoch FROM least(iv.e, days.de) - greatest(iv.s, days.ds)) / 60) AS minutes
    FROM iv JOIN days ON iv.s < days.de AND iv.e > days.ds
   GROUP BY 1, 2),
starts AS (
  SELECT node_id, ${DAY('s')} AS day, count(*) AS n FROM ex WHERE s >= $1 GROUP BY 1, 2)
SELECT coalesce(m.node_id, st.node_id) AS node_id, coalesce(m.day, st.day) AS day,
       coalesce(st.n, 0)::bigint AS "coldChainExcursions", coalesce(m.minutes, 0)::float8 AS "coldChainMinutesOutOfBand"
  FROM minutes m FULL JOIN starts st ON st.node_id = m.node_id AND st.day = m.day`;

// How PostgreSQL prints a bigint, numeric or float8 (no spaces, hex or separators).
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A figure as node-postgres returns it: counts and unit sums are bigint or numeric in SQL (an
 * int4 overflows once a node has counted 2^31 units), which arrive as decimal strings; rates
 * and hours arrive as numbers. Counts are exact up to 2^53 - 1 (Number.MAX_SAFE_INTEGER) and
 * rounded to the nearest double beyond, which no rate derived from them notices.
 */
export function figureFromDb(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`KPI figure ${name} is not a finite number: ${String(v)}`);
  return n;
}

async function windowOf(db: Queryable, q: KpiQuery): Promise<{ lo: Date; hi: Date }> {
  try {
    const [row] = await rowsOf<{ lo: Date; hi: Date }>(
      db,
      'SELECT ($1::date::timestamp AT TIME ZONE $3::text) AS lo, (($2::date + 1)::timestamp AT TIME ZONE $3::text) AS hi',
      [q.from, q.to, q.tz],
    );
    return row!;
  } catch (err) {
    // 22023: invalid_parameter_value (time zone not recognised); 22007/22008: bad date.
    const code = (err as { code?: string }).code;
    if (code === '22023' || code === '22007' || code === '22008') throw new KpiQueryError((err as Error).message);
    throw err;
  }
}

/** Whether a node exists (the API answers 404 for an unknown one). */
export async function nodeExists(db: Queryable, nodeId: string): Promise<boolean> {
  return (await rowsOf(db, 'SELECT 1 FROM nodes WHERE id = $1', [nodeId])).length > 0;
}

/**
 * The KPIs per node and local day over the window: one row for every day of every node that
 * had any activity in it (or of the one node asked for), ordered by node then day.
 */
export async function kpisByNodeDay(db: Queryable, q: KpiQuery): Promise<KpiRow[]> {
  const { lo, hi } = await windowOf(db, q);
  const p: Params = [lo, hi, q.tz, q.nodeId ?? null];
  const now = new Date(q.now ?? Date.now());
  const parts = await Promise.all([
    rowsOf<Part>(db, SLA_SQL, p),
    rowsOf<Part>(db, STOCKOUT_SQL, p),
    rowsOf<Part>(db, ACCURACY_SQL, p),
    rowsOf<Part>(db, PICKING_SQL, p),
    rowsOf<Part>(db, OUTCOMES_SQL, p),
    rowsOf<Part>(db, COLD_CHAIN_SQL, [...p, now, q.from, q.to]),
  ]);
  const days = daysBetween(q.from, q.to);
  const inWindow = new Set(days);
  const grid = new Map<string, Map<string, KpiCounts>>();
  const nodeGrid = (nodeId: string) => {
    let g = grid.get(nodeId);
    if (!g) {
      g = new Map(days.map((d) => [d, emptyCounts(nodeId, d)]));
      grid.set(nodeId, g);
    }
    return g;
  };
  if (q.nodeId) nodeGrid(q.nodeId);
  for (const rows of parts) {
    for (const { node_id: nodeId, day, ...figures } of rows) {
      if (!inWindow.has(day)) continue; // cannot happen with a consistent zone; kept as a guard
      const cell = nodeGrid(nodeId).get(day)!;
      for (const [k, v] of Object.entries(figures)) (cell as unknown as Record<string, number>)[k] = figureFromDb(k, v);
    }
  }
  return [...grid.keys()].sort().flatMap((nodeId) => [...grid.get(nodeId)!.values()].map(withRates));
}
