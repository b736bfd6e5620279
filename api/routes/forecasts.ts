// Forecasting API: each node's latest forecasts, replenishment and markdown suggestions and
// expected orders per slot; ops can start a run now. Ops and integrators read.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { forecastRunParamsSchema } from '../../domain/forecasting/run-params';
import type { Config } from '../../config';
import {
  latestMarkdowns,
  latestReplenishment,
  latestRunForNode,
  loadForecastRun,
  loadForecasts,
  loadSlotCapacity,
} from '../../db/forecasts';
import type { ForecastRunRecord, StoredForecast } from '../../db/forecasts';
import { missingNodeIds } from '../../db/nodes';
import type { Db } from '../../db/pool';
import { FORECAST_RUN_WORKFLOW_TYPE } from '../../workflows/forecasting.contract';
import type { ForecastRunWorkflow } from '../../workflows/forecasting.contract';
import { requireRole } from '../auth';
import { ApiError, validationError } from '../errors';
import type { ApiOperation } from '../operation';
import { jsonResponse as json } from '../operation';
import { ID_PATTERN, ID_RULE } from '../../domain/ids';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Most forecast rows one GET answers with (a node's whole week is ~170 per SKU). */
const MAX_FORECAST_ROWS = 50_000;

const required = (what: string) => ({
  error: (iss: { input: unknown }) => (iss.input === undefined ? 'required' : `must be ${what}`),
});
const id = z.string(required('a single id')).regex(ID_PATTERN, `must be ${ID_RULE}`);
const instant = z.iso.datetime({
  offset: true,
  ...required('an ISO 8601 date-time with offset, e.g. 2025-03-03T08:00:00+08:00'),
});

/** Query of GET /v1/forecasts. */
export const forecastQuery = z
  .object({ nodeId: id, sku: id.optional(), from: instant.optional(), to: instant.optional() })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    path: ['to'],
    message: 'must be after from',
  });

/** Query of GET /v1/replenishment and GET /v1/markdowns: one node, or every node's latest run. */
export const nodeQuery = z.object({ nodeId: id.optional() }).strict();

/** Query of GET /v1/wave-capacity: a node and a local calendar date. */
export const waveCapacityQuery = z.object({ nodeId: id, date: z.iso.date(required('a date YYYY-MM-DD')) }).strict();

/** A run id in a path. */
const runIdParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'must be a run id');

/** What the forecasting routes need; without Temporal, runs cannot be started here. */
export interface ForecastsRouterDeps {
  config: Config;
  db: Db;
  temporal?: Client;
}

/**
 * Validate query parameters or a body; 400 naming each bad parameter. An unknown parameter is
 * named as itself (zod would report it at the root).
 */
function parse<T extends z.ZodType>(schema: T, input: unknown, where: 'query parameter' | 'field'): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: k, message: `unknown ${where}` }))
      : [{ path: i.path.length ? i.path.join('.') : '(body)', message: i.message }],
  );
  throw new ApiError('FC_VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function runView(run: ForecastRunRecord) {
  return {
    runId: run.runId,
    status: run.status,
    origin: run.origin.toISOString(),
    horizonHours: run.horizonH,
    historyFrom: run.historyFrom.toISOString(),
    modelVersion: run.modelVersion,
    nodeIds: run.nodeIds,
    series: run.series,
    seriesDropped: run.seriesDropped,
    generatedAt: run.generatedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    summary: run.summary,
    error: run.error,
  };
}

async function latestRun(db: Db, nodeId: string): Promise<ForecastRunRecord> {
  const run = await latestRunForNode(db, nodeId);
  if (!run) throw new ApiError('FC_NOT_FOUND', `no finished forecast run covers node ${nodeId}`);
  return run;
}

function groupBySku(rows: readonly StoredForecast[]) {
  const series: {
    sku: string;
    points: { slotStart: string; horizonHours: number; mean: number; p10: number; p50: number; p90: number }[];
  }[] = [];
  for (const r of rows) {
    let last = series[series.length - 1];
    if (!last || last.sku !== r.sku) {
      last = { sku: r.sku, points: [] };
      series.push(last);
    }
    last.points.push({
      slotStart: r.slotStart.toISOString(),
      horizonHours: r.horizonH,
      mean: r.mean,
      p10: r.p10,
      p50: r.p50,
      p90: r.p90,
    });
  }
  return series;
}

/** GET /forecasts, /replenishment, /markdowns, /wave-capacity; POST /forecasts/runs. */
export function forecastsRouter(deps: ForecastsRouterDeps): Router {
  const r = Router();
  const { db } = deps;
  const read = requireRole('ops', 'integrator');

  r.get('/forecasts', read, async (req, res) => {
    const q = parse(forecastQuery, req.query, 'query parameter');
    const run = await latestRun(db, q.nodeId);
    const end = run.origin.getTime() + run.horizonH * HOUR_MS;
    const from = new Date(Math.max(run.origin.getTime(), q.from ? Date.parse(q.from) : 0));
    const to = new Date(Math.min(end, q.to ? Date.parse(q.to) : end));
    const rows = await loadForecasts(db, {
      runId: run.runId,
      nodeId: q.nodeId,
      ...(q.sku ? { sku: q.sku } : {}),
      from,
      to,
      limit: MAX_FORECAST_ROWS + 1,
    });
    res.json({
      run: runView(run),
      nodeId: q.nodeId,
      from: from.toISOString(),
      to: to.toISOString(),
      truncated: rows.length > MAX_FORECAST_ROWS,
      series: groupBySku(rows.slice(0, MAX_FORECAST_ROWS)),
    });
  });

  r.get('/forecasts/runs/:runId', read, async (req, res) => {
    const runId = runIdParam.parse(req.params.runId);
    const run = await loadForecastRun(db, runId);
    if (!run) throw new ApiError('FC_NOT_FOUND', `forecast run ${runId} not found`);
    res.json(runView(run));
  });

  r.post('/forecasts/runs', requireRole('ops'), async (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ApiError('FC_VALIDATION', '(body): must be a JSON object');
    const input = parse(forecastRunParamsSchema, { horizonDays: 7, ...body }, 'field');
    // A run over nodes that do not exist would "succeed" with nothing in it: refuse it here.
    const missing = new Set(await missingNodeIds(db, input.nodeIds ?? []));
    if (missing.size > 0)
      throw validationError(
        (input.nodeIds ?? []).flatMap((id, i) =>
          missing.has(id) ? [{ path: `nodeIds.${i}`, message: `no such node: ${id}` }] : [],
        ),
      );
    if (!deps.temporal) throw new ApiError('FC_UNAVAILABLE', 'forecast runs cannot be started: no Temporal connection');
    const runId = `forecast-run-${randomUUID()}`;
    const handle = await deps.temporal.workflow.start<ForecastRunWorkflow>(FORECAST_RUN_WORKFLOW_TYPE, {
      workflowId: runId,
      taskQueue: deps.config.temporal.taskQueues.forecasting,
      args: [input],
      workflowExecutionTimeout: '6 hours',
      staticSummary: `Forecast run: ${input.horizonDays} days${input.nodeIds ? `, ${input.nodeIds.length} nodes` : ''}`,
    });
    res.status(202).json({ runId, workflowId: runId, firstExecutionRunId: handle.firstExecutionRunId, input });
  });

  r.get('/replenishment', read, async (req, res) => {
    const q = parse(nodeQuery, req.query, 'query parameter');
    const rows = await latestReplenishment(db, q.nodeId);
    res.json({
      suggestions: rows.map((s) => ({
        runId: s.runId,
        generatedAt: s.generatedAt.toISOString(),
        nodeId: s.nodeId,
        sku: s.sku,
        orderQuantity: s.orderQuantity,
        orderUpTo: s.orderUpTo,
        inventoryPosition: s.inventoryPosition,
        onHand: s.onHand,
        expiryCap: s.expiryCap,
        limitedByExpiry: s.limitedByExpiry,
        leadTimeHours: s.leadTimeH,
        reviewHours: s.reviewH,
        shelfLifeHours: s.shelfLifeH,
        capHoursCovered: s.capHoursCovered,
      })),
    });
  });

  r.get('/markdowns', read, async (req, res) => {
    const q = parse(nodeQuery, req.query, 'query parameter');
    const rows = await latestMarkdowns(db, q.nodeId);
    res.json({
      suggestions: rows.map((m) => ({
        runId: m.runId,
        generatedAt: m.generatedAt.toISOString(),
        nodeId: m.nodeId,
        sku: m.sku,
        lotId: m.lotId,
        quantity: m.quantity,
        expiresOn: m.expiresOn,
        sellBy: m.sellBy.toISOString(),
        expectedSold: m.expectedSold,
        atRisk: m.atRisk,
        atRiskShare: m.atRiskShare,
        suggestedDiscount: m.suggestedDiscount,
      })),
    });
  });

  r.get('/wave-capacity', read, async (req, res) => {
    const q = parse(waveCapacityQuery, req.query, 'query parameter');
    const run = await latestRun(db, q.nodeId);
    // The date is a local calendar day of the network the run was made for.
    const offsetMinutes = typeof run.params.utcOffsetMinutes === 'number' ? run.params.utcOffsetMinutes : 0;
    const from = new Date(Date.parse(`${q.date}T00:00:00Z`) - offsetMinutes * 60_000);
    const rows = await loadSlotCapacity(db, {
      runId: run.runId,
      nodeId: q.nodeId,
      from,
      to: new Date(from.getTime() + DAY_MS),
    });
    res.json({
      run: runView(run),
      nodeId: q.nodeId,
      date: q.date,
      utcOffsetMinutes: offsetMinutes,
      slots: rows.map((s) => ({
        slotStart: s.slotStart.toISOString(),
        expectedOrders: s.expectedOrders,
        p90Orders: s.p90Orders,
        unitsPerOrder: s.unitsPerOrder,
      })),
    });
  });

  return r;
}

const noRun = { description: 'No run for the node' };
const readers = ['ops', 'integrator'] as const;

/** The forecasting operations, registered in the API description (api/openapi.ts). */
export const forecastOperations: readonly ApiOperation[] = [
  {
    id: 'getForecasts',
    method: 'get',
    path: '/v1/forecasts',
    tag: 'forecasting',
    summary: "A node's latest forecasts per SKU and slot (p10/p50/p90)",
    auth: readers,
    query: forecastQuery,
    responses: { 200: json('Forecasts'), 404: noRun },
  },
  {
    id: 'getForecastRun',
    method: 'get',
    path: '/v1/forecasts/runs/:runId',
    tag: 'forecasting',
    summary: 'One forecast run',
    auth: readers,
    params: z.object({ runId: runIdParam }).strict(),
    responses: { 200: json('Run'), 404: { description: 'Unknown run' } },
  },
  {
    id: 'startForecastRun',
    method: 'post',
    path: '/v1/forecasts/runs',
    tag: 'forecasting',
    summary: 'Start a forecast run now',
    auth: ['ops'],
    body: forecastRunParamsSchema,
    bodyDefaults: { horizonDays: 7 },
    responses: { 202: json('Started'), 503: { description: 'FC_UNAVAILABLE: no Temporal connection' } },
  },
  {
    id: 'getReplenishment',
    method: 'get',
    path: '/v1/replenishment',
    tag: 'forecasting',
    summary: 'Latest replenishment suggestions (one node or all)',
    auth: readers,
    query: nodeQuery,
    responses: { 200: json('Suggestions') },
  },
  {
    id: 'getMarkdowns',
    method: 'get',
    path: '/v1/markdowns',
    tag: 'forecasting',
    summary: 'Latest markdown suggestions for lots at risk of expiring',
    auth: readers,
    query: nodeQuery,
    responses: { 200: json('Suggestions') },
  },
  {
    id: 'getWaveCapacity',
    method: 'get',
    path: '/v1/wave-capacity',
    tag: 'forecasting',
    summary: 'Expected orders per slot of a local day (for wave planning)',
    auth: readers,
    query: waveCapacityQuery,
    responses: { 200: json('Slots'), 404: noRun },
  },
];
