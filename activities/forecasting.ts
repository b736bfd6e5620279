// Forecast run activities: pick the series, forecast them chunk by chunk with the pure engine
// (forecasting/), then derive replenishment, markdown and slot-capacity suggestions per node
// (forecasting/planning). Thin: load, call the pure code, write. Every activity is idempotent:
// a retry rewrites exactly what the failed attempt wrote.
import { ApplicationFailure, asyncLocalStorage, heartbeat } from '@temporalio/activity';
import * as store from '../db/forecasts';
import type { Db } from '../db/pool';
import { forecastBatch } from '../forecasting';
import type { BatchSeries } from '../forecasting';
import { IncompleteForecastError, planNodes } from '../forecasting/planning/node';
import { floorToLocalHour, forecastRunParamsSchema } from '../domain/forecasting/run-params';
import type { ForecastRunInput, ForecastRunParams } from '../domain/forecasting/run-params';
import type { Logger } from '../platform/logger';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Stored with every forecast, so a changed model is visible in the data. */
export const FORECAST_MODEL_VERSION = 'seasonal-pooled-hourly/1';

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
      const { series, total } = await store.selectSeriesCandidates(db, {
        from: new Date(historyFrom),
        to: new Date(origin),
        nodeIds: params.nodeIds ?? null,
        limit: params.maxSeries,
      });
      // Category-major order: a chunk then holds whole categories, which the model pools.
      const ordered = [...series].sort(
        (x, y) => cmp(x.category, y.category) || cmp(x.nodeId, y.nodeId) || cmp(x.sku, y.sku),
      );
      await store.createForecastRun(db, {
        runId: a.runId,
        origin: new Date(origin),
        historyFrom: new Date(historyFrom),
        horizonH: params.horizonDays * 24,
        params,
        modelVersion: FORECAST_MODEL_VERSION,
        series: ordered,
        seriesDropped: total - series.length,
      });
      const perNode = new Map<string, number>();
      for (const s of ordered) perNode.set(s.nodeId, (perNode.get(s.nodeId) ?? 0) + 1);
      logger.info(
        {
          runId: a.runId,
          origin: new Date(origin).toISOString(),
          series: ordered.length,
          dropped: total - series.length,
        },
        'forecast run started',
      );
      return {
        runId: a.runId,
        origin,
        seriesCount: ordered.length,
        seriesDropped: total - series.length,
        seriesPerChunk: params.seriesPerChunk,
        nodes: [...perNode].sort((x, y) => cmp(x[0], y[0])).map(([nodeId, n]) => ({ nodeId, series: n })),
      };
    },

    /** Load the history of series [fromIdx, toIdx), forecast them with the engine, store the forecasts. */
    async forecastRunChunk(a: {
      runId: string;
      fromIdx: number;
      toIdx: number;
    }): Promise<{ series: number; points: number }> {
      const { run, params } = await runOf(a.runId);
      const keys = await store.loadRunSeries(db, a.runId, a.fromIdx, a.toIdx);
      if (!keys.length) return { series: 0, points: 0 };
      const steps = Math.round((run.origin.getTime() - run.historyFrom.getTime()) / HOUR_MS);
      const values = new Map(keys.map((k) => [k.idx, new Float64Array(steps)]));
      for (const d of await store.loadSeriesDemand(db, {
        runId: a.runId,
        fromIdx: a.fromIdx,
        toIdx: a.toIdx,
        historyFrom: run.historyFrom,
        origin: run.origin,
      })) {
        const v = values.get(d.idx);
        if (v && d.hour >= 0 && d.hour < steps) v[d.hour] = (v[d.hour] ?? 0) + d.units;
      }
      beat({ phase: 'loaded', fromIdx: a.fromIdx });
      // The engine works on wall-clock time encoded as UTC (forecasting/time.ts).
      const offset = params.utcOffsetMinutes * MINUTE_MS;
      const batch: BatchSeries[] = keys.map((k) => ({
        id: `${k.nodeId}|${k.sku}`,
        group: k.category,
        start: run.historyFrom.getTime() + offset,
        values: values.get(k.idx) as Float64Array,
      }));
      const forecasts = forecastBatch(batch, { freq: 'hour', holidays: params.holidays, horizon: run.horizonH });
      beat({ phase: 'forecast', fromIdx: a.fromIdx });
      const rows: store.ForecastRow[] = [];
      keys.forEach((k, i) => {
        (forecasts[i] ?? []).forEach((p, step) => {
          const slotStart = p.ts - offset;
          if (slotStart !== run.origin.getTime() + step * HOUR_MS)
            throw new Error(`forecast of ${k.nodeId}/${k.sku} is off the run's slot grid at step ${step}`);
          rows.push({
            nodeId: k.nodeId,
            sku: k.sku,
            slotStart,
            horizonH: step + 1,
            mean: p.mean,
            p10: p.p10,
            p50: p.p50,
            p90: p.p90,
          });
        });
      });
      await store.writeForecasts(
        db,
        { runId: a.runId, modelVersion: run.modelVersion, generatedAt: run.generatedAt },
        rows,
        () => beat({ phase: 'writing', fromIdx: a.fromIdx }),
      );
      return { series: keys.length, points: rows.length };
    },

    /** Replenishment, markdown and slot-capacity suggestions for some nodes of a run. */
    async planForecastNodes(a: {
      runId: string;
      nodeIds: string[];
    }): Promise<{ replenishment: number; orders: number; markdowns: number; slots: number }> {
      const { run, params } = await runOf(a.runId);
      const [forecasts, ctx] = await Promise.all([
        store.loadRunForecasts(db, run, a.nodeIds),
        store.loadPlanningContext(db, run, a.nodeIds),
      ]);
      beat({ phase: 'loaded' });
      const all = planOrFail({
        runId: a.runId,
        origin: run.origin.getTime(),
        horizon: run.horizonH,
        params,
        forecasts,
        ctx,
      });
      beat({ phase: 'planned' });
      await store.savePlanning(db, a.runId, a.nodeIds, all);
      return {
        replenishment: all.replenishment.length,
        orders: all.replenishment.filter((r) => r.orderQuantity > 0).length,
        markdowns: all.markdowns.length,
        slots: all.slots.length,
      };
    },

    /** Close the run; after a success, prune runs and forecast chunks past the retention. */
    async finishForecastRun(
      a:
        | { runId: string; status: 'succeeded'; summary: Record<string, unknown> }
        | { runId: string; status: 'failed'; error: string },
    ): Promise<{ prunedRuns: number; droppedChunks: number }> {
      await store.finishForecastRun(
        db,
        a.runId,
        a.status === 'succeeded' ? { status: 'succeeded', summary: a.summary } : { status: 'failed', error: a.error },
      );
      if (a.status === 'failed') {
        logger.warn({ runId: a.runId, error: a.error }, 'forecast run failed');
        return { prunedRuns: 0, droppedChunks: 0 };
      }
      const { run, params } = await runOf(a.runId);
      const pruned = await store.pruneForecasts(db, new Date(run.generatedAt.getTime() - params.retainDays * DAY_MS));
      logger.info(
        { runId: a.runId, ...a.summary, prunedRuns: pruned.runs, droppedChunks: pruned.chunks },
        'forecast run finished',
      );
      return { prunedRuns: pruned.runs, droppedChunks: pruned.chunks };
    },
  };
}

/** Plan the nodes; a gap in the forecasts fails the run at once (retrying reads the same gap). */
function planOrFail(input: Parameters<typeof planNodes>[0]): ReturnType<typeof planNodes> {
  try {
    return planNodes(input);
  } catch (err) {
    if (err instanceof IncompleteForecastError)
      throw ApplicationFailure.nonRetryable(err.message, 'IncompleteForecast');
    throw err;
  }
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
