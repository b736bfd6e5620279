// Forecast run activities: pick the series, forecast them chunk by chunk with the pure engine
// (forecasting/), then derive replenishment, markdown and slot-capacity suggestions per node.
// Every activity is idempotent: a retry rewrites exactly what the failed attempt wrote.
import { ApplicationFailure, asyncLocalStorage, heartbeat } from '@temporalio/activity';
import { z } from 'zod';
import * as store from '../db/forecasts';
import { ID_PATTERN } from '../domain/coldchain/topics';
import type { Db } from '../db/pool';
import { expectedOrdersPerSlot, forecastBatch, markdownSuggestion, replenishmentSuggestion } from '../forecasting';
import type { BatchSeries, QuantilePoint } from '../forecasting';
import type { Logger } from '../platform/logger';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Stored with every forecast, so a changed model is visible in the data. */
export const FORECAST_MODEL_VERSION = 'seasonal-pooled-hourly/1';

/** Parameters of a forecast run; everything but the horizon has a default. */
export const forecastRunParamsSchema = z
  .object({
    /** Days to forecast (hourly slots: horizonDays × 24). */
    horizonDays: z.number().int().min(1).max(28),
    /** Only these nodes (default: every node with demand or stock); ids as everywhere (ID_PATTERN). */
    nodeIds: z.array(z.string().regex(ID_PATTERN, 'must be a node id: 1-64 letters, digits, dot, underscore or dash, starting with a letter or digit')).min(1).max(1000).optional(),
    /** Days of hourly history the model is fitted on. */
    historyDays: z.number().int().min(14).max(364).default(56),
    /** Cap on node × SKU series per run; the slowest movers are left out first. */
    maxSeries: z.number().int().min(1).max(50_000).default(5000),
    /** Series per forecasting activity call (keeps each call to a second or so of CPU). */
    seriesPerChunk: z.number().int().min(1).max(5000).default(250),
    holidays: z.enum(['CN', 'US', 'none']).default('CN'),
    /** The network's wall clock (default UTC+8): hours of day, weekdays and holidays are local. */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
    /** Hours from placing a replenishment order to the goods being sellable. */
    leadTimeHours: z.number().int().min(0).max(336).default(24),
    /** Hours until the next chance to order. */
    reviewHours: z.number().int().min(1).max(336).default(24),
    serviceQuantile: z.enum(['p50', 'p90']).default('p90'),
    /** Runs (and forecast chunks) older than this many days are deleted after a successful run. */
    retainDays: z.number().int().min(7).max(3650).default(60),
    /** Forecast as of this instant instead of now (backfills, what-if); history ends there. */
    asOf: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.leadTimeHours + p.reviewHours > p.horizonDays * 24) {
      ctx.addIssue({ code: 'custom', path: ['reviewHours'], message: `leadTimeHours + reviewHours (${p.leadTimeHours + p.reviewHours}) must fit in the horizon (${p.horizonDays * 24} h)` });
    }
  });

/** What a forecast run is started with (the workflow's input). */
export type ForecastRunInput = z.input<typeof forecastRunParamsSchema>;
/** The same with defaults filled in, as stored with the run. */
export type ForecastRunParams = z.output<typeof forecastRunParamsSchema>;

/** What startForecastRun tells the workflow: how much work there is and how to split it. */
export interface ForecastRunPlan {
  runId: string;
  /** Epoch ms of the first forecast slot. */
  origin: number;
  seriesCount: number;
  seriesDropped: number;
  seriesPerChunk: number;
  /** Nodes with at least one series, with their series counts (planning is split by node). */
  nodes: { nodeId: string; series: number }[];
}

/** What the forecasting activities need. */
export interface ForecastingActivityDeps {
  db: Db;
  logger: Logger;
  now?: () => number;
}

/** Start of the local hour containing `ms` (a real instant), for a fixed UTC offset. */
export function floorToLocalHour(ms: number, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * MINUTE_MS;
  return Math.floor((ms + off) / HOUR_MS) * HOUR_MS - off;
}

/**
 * When a lot can no longer be allocated: the local midnight that starts the day on which fewer
 * than `minShelfLifeDays` would remain (the allocator needs expiry ≥ delivery day + min days).
 */
export function sellByMs(expiresOn: string, minShelfLifeDays: number, utcOffsetMinutes: number): number {
  const expiryDay = Date.parse(`${expiresOn}T00:00:00Z`) / DAY_MS;
  return (expiryDay - minShelfLifeDays + 1) * DAY_MS - utcOffsetMinutes * MINUTE_MS;
}

function parseParams(input: unknown): ForecastRunParams {
  const parsed = forecastRunParamsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(`invalid forecast run input: ${message}`, 'InvalidForecastRunInput');
}

/** Heartbeat when running as an activity; a no-op when called directly (tests, scripts). */
function beat(details?: unknown): void {
  if (asyncLocalStorage.getStore()) heartbeat(details);
}

/** One series' forecast (hourly points from the origin) plus what planning knows of its SKU and lots. */
export interface SeriesPlanInput {
  sku: string;
  points: readonly (QuantilePoint & { mean: number })[];
  /** Sellable hours of a freshly delivered unit (shelf life at reference − min shelf life at delivery; at least the horizon for non-perishables). */
  shelfLifeHours: number;
  minShelfLifeDays: number;
  lots: readonly { lotId: string; expiresOn: string; available: number }[];
}

/**
 * Planning for one node (pure): markdowns for lots whose sell-by falls inside the horizon and
 * whose forecast p50 demand (consumed first-expiring-first) leaves stock over; for front
 * warehouses an order suggestion per SKU whose inventory position excludes the stock expected
 * to expire unsold; and expected orders per slot from the SKU forecasts and units per order.
 */
export function planNode(a: {
  nodeId: string;
  kind: 'front' | 'store';
  origin: number;
  params: Pick<ForecastRunParams, 'leadTimeHours' | 'reviewHours' | 'serviceQuantile' | 'utcOffsetMinutes'>;
  series: readonly SeriesPlanInput[];
  /** Units of these SKUs per distinct order at the node over the history; undefined = no orders. */
  unitsPerOrder?: number;
}): { replenishment: store.ReplenishmentRow[]; markdowns: store.MarkdownRow[]; slots: store.SlotCapacityRow[] } {
  const replenishment: store.ReplenishmentRow[] = [];
  const markdowns: store.MarkdownRow[] = [];
  for (const s of a.series) {
    const horizon = s.points.length;
    const lots = s.lots.map((l) => {
      const sellBy = sellByMs(l.expiresOn, s.minShelfLifeDays, a.params.utcOffsetMinutes);
      return { ...l, sellBy, expiresInPeriods: Math.max(0, Math.floor((sellBy - a.origin) / HOUR_MS)) };
    });
    // Lots sellable beyond the horizon cannot be judged (no forecast there) and, sold after
    // the nearer ones, do not change what those sell.
    const near = lots.filter((l) => l.expiresInPeriods <= horizon);
    const atRisk = markdownSuggestion({
      lots: near.map((l) => ({ id: l.lotId, quantity: l.available, expiresInPeriods: l.expiresInPeriods })),
      demand: s.points.map((p) => p.p50),
    });
    const byId = new Map(near.map((l) => [l.lotId, l]));
    for (const m of atRisk) {
      const lot = byId.get(m.lotId);
      if (!lot) continue;
      markdowns.push({
        nodeId: a.nodeId, sku: s.sku, lotId: m.lotId, quantity: m.quantity, expiresOn: lot.expiresOn, sellBy: new Date(lot.sellBy),
        expectedSold: m.expectedSold, atRisk: m.atRisk, atRiskShare: m.atRiskShare, suggestedDiscount: m.suggestedDiscount,
      });
    }
    if (a.kind !== 'front') continue;
    const sellable = lots.filter((l) => l.expiresInPeriods > 0);
    const onHand = sellable.reduce((sum, l) => sum + l.available, 0);
    const expiring = atRisk.filter((m) => (byId.get(m.lotId)?.expiresInPeriods ?? 0) > 0).reduce((sum, m) => sum + m.atRisk, 0);
    const r = replenishmentSuggestion({
      forecast: s.points,
      leadTimePeriods: a.params.leadTimeHours,
      reviewPeriods: a.params.reviewHours,
      onHand: Math.max(0, onHand - expiring),
      onOrder: 0,
      shelfLifePeriods: s.shelfLifeHours,
      serviceQuantile: a.params.serviceQuantile,
    });
    replenishment.push({
      nodeId: a.nodeId, sku: s.sku, orderQuantity: Math.round(r.orderQuantity), orderUpTo: r.orderUpTo, inventoryPosition: r.inventoryPosition, onHand,
      expiryCap: r.expiryCap, limitedByExpiry: r.limitedByExpiry, leadTimeH: a.params.leadTimeHours, reviewH: a.params.reviewHours, shelfLifeH: s.shelfLifeHours,
      capHoursCovered: r.capPeriodsCovered,
    });
  }
  const slots: store.SlotCapacityRow[] = [];
  if (a.unitsPerOrder !== undefined && a.unitsPerOrder > 0 && a.series.length > 0) {
    const perSku = a.series.map((s) => s.points.map((p, k) => ({ ts: a.origin + k * HOUR_MS, mean: p.mean, p90: p.p90 })));
    for (const o of expectedOrdersPerSlot(perSku, a.unitsPerOrder)) {
      slots.push({ nodeId: a.nodeId, slotStart: new Date(o.ts), expectedOrders: o.expectedOrders, p90Orders: o.p90Orders, unitsPerOrder: a.unitsPerOrder });
    }
  }
  return { replenishment, markdowns, slots };
}

/** The forecast run activities. */
export function createForecastingActivities(deps: ForecastingActivityDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? Date.now;

  async function runOf(runId: string): Promise<{ run: store.ForecastRunRecord; params: ForecastRunParams }> {
    const run = await store.loadForecastRun(db, runId);
    if (!run) throw ApplicationFailure.nonRetryable(`forecast run ${runId} does not exist`, 'UnknownForecastRun');
    return { run, params: parseParams(run.params) };
  }

  return {
    /**
     * Validate the input, fix the origin (the current local hour, or asOf's), choose the series
     * (busiest first, up to maxSeries) and register the run.
     */
    async startForecastRun(a: { runId: string; input: ForecastRunInput }): Promise<ForecastRunPlan> {
      const params = parseParams(a.input);
      const origin = floorToLocalHour(params.asOf ? Date.parse(params.asOf) : now(), params.utcOffsetMinutes);
      const historyFrom = origin - params.historyDays * DAY_MS;
      const { series, total } = await store.selectSeriesCandidates(db, { from: new Date(historyFrom), to: new Date(origin), nodeIds: params.nodeIds ?? null, limit: params.maxSeries });
      // Category-major order: a chunk then holds whole categories, which the model pools.
      const ordered = [...series].sort((x, y) => cmp(x.category, y.category) || cmp(x.nodeId, y.nodeId) || cmp(x.sku, y.sku));
      await store.createForecastRun(db, {
        runId: a.runId, origin: new Date(origin), historyFrom: new Date(historyFrom), horizonH: params.horizonDays * 24, params, modelVersion: FORECAST_MODEL_VERSION,
        series: ordered, seriesDropped: total - series.length,
      });
      const perNode = new Map<string, number>();
      for (const s of ordered) perNode.set(s.nodeId, (perNode.get(s.nodeId) ?? 0) + 1);
      logger.info({ runId: a.runId, origin: new Date(origin).toISOString(), series: ordered.length, dropped: total - series.length }, 'forecast run started');
      return {
        runId: a.runId, origin, seriesCount: ordered.length, seriesDropped: total - series.length, seriesPerChunk: params.seriesPerChunk,
        nodes: [...perNode].sort((x, y) => cmp(x[0], y[0])).map(([nodeId, n]) => ({ nodeId, series: n })),
      };
    },

    /** Load the history of series [fromIdx, toIdx), forecast them with the engine, store the forecasts. */
    async forecastRunChunk(a: { runId: string; fromIdx: number; toIdx: number }): Promise<{ series: number; points: number }> {
      const { run, params } = await runOf(a.runId);
      const keys = await store.loadRunSeries(db, a.runId, a.fromIdx, a.toIdx);
      if (!keys.length) return { series: 0, points: 0 };
      const steps = Math.round((run.origin.getTime() - run.historyFrom.getTime()) / HOUR_MS);
      const values = new Map(keys.map((k) => [k.idx, new Float64Array(steps)]));
      for (const d of await store.loadSeriesDemand(db, { runId: a.runId, fromIdx: a.fromIdx, toIdx: a.toIdx, historyFrom: run.historyFrom, origin: run.origin })) {
        const v = values.get(d.idx);
        if (v && d.hour >= 0 && d.hour < steps) v[d.hour] = (v[d.hour] ?? 0) + d.units;
      }
      beat({ phase: 'loaded', fromIdx: a.fromIdx });
      // The engine works on wall-clock time encoded as UTC (forecasting/time.ts).
      const offset = params.utcOffsetMinutes * MINUTE_MS;
      const batch: BatchSeries[] = keys.map((k) => ({ id: `${k.nodeId}|${k.sku}`, group: k.category, start: run.historyFrom.getTime() + offset, values: values.get(k.idx) as Float64Array }));
      const forecasts = forecastBatch(batch, { freq: 'hour', holidays: params.holidays, horizon: run.horizonH });
      beat({ phase: 'forecast', fromIdx: a.fromIdx });
      const rows: store.ForecastRow[] = [];
      keys.forEach((k, i) => {
        (forecasts[i] ?? []).forEach((p, step) => {
          const slotStart = p.ts - offset;
          if (slotStart !== run.origin.getTime() + step * HOUR_MS) throw new Error(`forecast of ${k.nodeId}/${k.sku} is off the run's slot grid at step ${step}`);
          rows.push({ nodeId: k.nodeId, sku: k.sku, slotStart, horizonH: step + 1, mean: p.mean, p10: p.p10, p50: p.p50, p90: p.p90 });
        });
      });
      await store.writeForecasts(db, { runId: a.runId, modelVersion: run.modelVersion, generatedAt: run.generatedAt }, rows, () => beat({ phase: 'writing', fromIdx: a.fromIdx }));
      return { series: keys.length, points: rows.length };
    },

    /** Replenishment, markdown and slot-capacity suggestions for some nodes of a run. */
    async planForecastNodes(a: { runId: string; nodeIds: string[] }): Promise<{ replenishment: number; orders: number; markdowns: number; slots: number }> {
      const { run, params } = await runOf(a.runId);
      const [forecasts, ctx] = await Promise.all([store.loadRunForecasts(db, run, a.nodeIds), store.loadPlanningContext(db, run, a.nodeIds)]);
      beat({ phase: 'loaded' });
      const origin = run.origin.getTime();
      const horizon = run.horizonH;
      const skuInfo = new Map(ctx.skus.map((s) => [s.sku, s]));
      const lotsOf = new Map<string, { lotId: string; expiresOn: string; available: number }[]>();
      for (const l of ctx.lots) {
        const key = `${l.nodeId}|${l.sku}`;
        const list = lotsOf.get(key) ?? [];
        lotsOf.set(key, list);
        list.push({ lotId: l.lotId, expiresOn: l.expiresOn, available: l.available });
      }
      // node → sku → hourly points from the origin
      const byNode = new Map<string, Map<string, (QuantilePoint & { mean: number })[]>>();
      for (const f of forecasts) {
        const skus = byNode.get(f.nodeId) ?? new Map<string, (QuantilePoint & { mean: number })[]>();
        byNode.set(f.nodeId, skus);
        const points = skus.get(f.sku) ?? [];
        skus.set(f.sku, points);
        const step = Math.round((f.slotStart.getTime() - origin) / HOUR_MS);
        if (step !== points.length) throw ApplicationFailure.nonRetryable(`forecasts of ${f.nodeId}/${f.sku} in run ${a.runId} have a gap at step ${points.length}`, 'IncompleteForecast');
        points.push({ mean: f.mean, p10: f.p10, p50: f.p50, p90: f.p90 });
      }
      const all = { replenishment: [] as store.ReplenishmentRow[], markdowns: [] as store.MarkdownRow[], slots: [] as store.SlotCapacityRow[] };
      for (const node of ctx.nodes) {
        const series: SeriesPlanInput[] = [];
        for (const [sku, points] of byNode.get(node.id) ?? []) {
          if (points.length !== horizon) throw ApplicationFailure.nonRetryable(`forecasts of ${node.id}/${sku} in run ${a.runId} cover ${points.length} of ${horizon} slots`, 'IncompleteForecast');
          const info = skuInfo.get(sku);
          const minShelfLifeDays = info?.minShelfLifeDays ?? 0;
          // A delivered unit sells until min shelf life days are left. Non-perishables are not
          // held to the (cold-chain reference) figure within the horizon.
          const sellable = Math.max(0, Math.round(((info?.shelfLifeDaysAtRef ?? 0) - minShelfLifeDays) * 24));
          const shelfLifeHours = info?.perishable === false ? Math.max(sellable, horizon) : sellable;
          series.push({ sku, points, shelfLifeHours, minShelfLifeDays, lots: lotsOf.get(`${node.id}|${sku}`) ?? [] });
        }
        const stats = ctx.orderStats.find((s) => s.nodeId === node.id);
        const unitsPerOrder = stats && stats.orders > 0 && stats.units > 0 ? stats.units / stats.orders : undefined;
        const plan = planNode({ nodeId: node.id, kind: node.kind, origin, params, series, ...(unitsPerOrder !== undefined ? { unitsPerOrder } : {}) });
        all.replenishment.push(...plan.replenishment);
        all.markdowns.push(...plan.markdowns);
        all.slots.push(...plan.slots);
      }
      beat({ phase: 'planned' });
      await store.savePlanning(db, a.runId, a.nodeIds, all);
      return { replenishment: all.replenishment.length, orders: all.replenishment.filter((r) => r.orderQuantity > 0).length, markdowns: all.markdowns.length, slots: all.slots.length };
    },

    /** Close the run; after a success, prune runs and forecast chunks past the retention. */
    async finishForecastRun(a: { runId: string; status: 'succeeded'; summary: Record<string, unknown> } | { runId: string; status: 'failed'; error: string }): Promise<{ prunedRuns: number; droppedChunks: number }> {
      await store.finishForecastRun(db, a.runId, a.status === 'succeeded' ? { status: 'succeeded', summary: a.summary } : { status: 'failed', error: a.error });
      if (a.status === 'failed') {
        logger.warn({ runId: a.runId, error: a.error }, 'forecast run failed');
        return { prunedRuns: 0, droppedChunks: 0 };
      }
      const { run, params } = await runOf(a.runId);
      const pruned = await store.pruneForecasts(db, new Date(run.generatedAt.getTime() - params.retainDays * DAY_MS));
      logger.info({ runId: a.runId, ...a.summary, prunedRuns: pruned.runs, droppedChunks: pruned.chunks }, 'forecast run finished');
      return { prunedRuns: pruned.runs, droppedChunks: pruned.chunks };
    },
  };
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
