// KPI report for ops: per node and local day, the figures db/kpis.ts computes from the order
// event stream, cycle counts and alerts (definitions: docs/kpis.md). The same rows as JSON or
// as a CSV with a header row, one column per figure, ready for a spreadsheet or a plot.
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../../domain/ids';
import { KPI_COLUMNS, KpiQueryError, kpisByNodeDay, nodeExists } from '../../db/kpis';
import type { KpiRow } from '../../db/kpis';
import type { Db } from '../../db/pool';
import { requireRole } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';

/** Longest window one request may ask for, in days (the answer is dense: nodes × days rows). */
export const MAX_KPI_DAYS = 93;

const id = idSchema();
const day = z.iso
  .date({ error: 'must be a date YYYY-MM-DD' })
  .refine((d) => d >= '1970-01-01' && d <= '2999-12-31', 'must be a date between 1970-01-01 and 2999-12-31');

/** True when the runtime knows the IANA time zone (the database is asked too, and may still refuse). */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Query of GET /v1/kpis and /v1/kpis/export.csv. */
export const kpiQuerySchema = z
  .object({
    from: day.describe('First local day (inclusive)'),
    to: day.describe('Last local day (inclusive)'),
    nodeId: id.optional().describe('One node; every node with activity in the window when absent'),
    tz: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as UTC or Asia/Shanghai')
      .default('UTC')
      .describe('Time zone of the day boundaries (default UTC)'),
  })
  .strict()
  .superRefine((q, ctx) => {
    const span = (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1;
    if (span < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    else if (span > MAX_KPI_DAYS)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `window must not exceed ${MAX_KPI_DAYS} days (asked for ${span})`,
      });
  });

const rate = z.number().nullable();
// Counts and unit sums are bigint in SQL (no int4 overflow past 2^31 units); exact up to 2^53 - 1.
const count = z
  .number()
  .int()
  .min(0)
  .describe('A count or sum of units; exact up to 2^53 - 1 (bigint in the database)');
/** One row: a node on one local day. */
export const kpiRowSchema = z.object({
  nodeId: z.string(),
  day: z.string(),
  ordersDelivered: count,
  ordersSlaBreached: count,
  slaAttainment: rate,
  linesOrdered: count,
  linesStockout: count,
  stockoutRate: rate,
  counts: count,
  countsAccurate: count,
  countAccuracy: rate,
  unitsCountError: count,
  unitsCounted: count,
  unitAccuracy: rate,
  fulfilmentsPacked: count,
  linesPicked: count,
  pickerHours: z.number(),
  linesPerPickerHour: rate,
  linesHandled: count,
  substitutionsProposed: count,
  substitutionsAccepted: count,
  substitutionsRefused: count,
  substitutionRate: rate,
  substitutionAcceptance: rate,
  doorArrivals: count,
  rejectionsFull: count,
  rejectionsPartial: count,
  rejectionRate: rate,
  coldChainExcursions: count,
  coldChainMinutesOutOfBand: z.number(),
});
/** Answer of GET /v1/kpis. */
export const kpiResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  tz: z.string(),
  nodeId: z.string().nullable(),
  rows: z.array(kpiRowSchema),
});

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV: a header row of column names, then one line per row; empty cell = no value. */
export function kpiCsv(rows: readonly KpiRow[]): string {
  const lines = [KPI_COLUMNS.join(',')];
  for (const r of rows) lines.push(KPI_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Routes under /v1/kpis (ops only). */
export function kpisRouter(deps: { db: Db }): Router {
  const r = Router();
  const ops = requireRole('ops');

  const report = async (req: Request) => {
    const q = kpiQuerySchema.parse(req.query);
    if (q.nodeId && !(await nodeExists(deps.db, q.nodeId)))
      throw new ApiError('FC_NOT_FOUND', `node ${q.nodeId} not found`);
    try {
      return {
        q,
        rows: await kpisByNodeDay(deps.db, {
          from: q.from,
          to: q.to,
          tz: q.tz,
          ...(q.nodeId ? { nodeId: q.nodeId } : {}),
        }),
      };
    } catch (err) {
      if (err instanceof KpiQueryError) throw new ApiError('FC_VALIDATION', `tz: ${err.message}`);
      throw err;
    }
  };

  r.get('/', ops, async (req, res) => {
    const { q, rows } = await report(req);
    res.json({ from: q.from, to: q.to, tz: q.tz, nodeId: q.nodeId ?? null, rows });
  });

  r.get('/export.csv', ops, async (req, res) => {
    const { q, rows } = await report(req);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="kpis-${q.nodeId ? `${q.nodeId}-` : ''}${q.from}-${q.to}.csv"`,
    );
    res.send(kpiCsv(rows));
  });

  return r;
}

/** The KPI operations, registered in the API description (api/openapi.ts). */
export const kpiOperations: readonly ApiOperation[] = [
  {
    id: 'kpis',
    method: 'get',
    path: '/v1/kpis',
    tag: 'kpis',
    summary:
      'KPIs per node and local day (SLA, stockouts, inventory accuracy, picking, substitutions, rejections, cold chain)',
    description: `Definitions in docs/kpis.md. Days from..to inclusive in tz, at most ${MAX_KPI_DAYS}; one row per node with activity and day (dense: quiet days have zero counts and null rates).`,
    auth: ['ops'],
    query: kpiQuerySchema,
    responses: { 200: { description: 'Rows', schema: kpiResponseSchema }, 404: { description: 'Unknown node' } },
  },
  {
    id: 'kpisCsv',
    method: 'get',
    path: '/v1/kpis/export.csv',
    tag: 'kpis',
    summary: 'The same rows as CSV (header row; empty cell = no value)',
    auth: ['ops'],
    query: kpiQuerySchema,
    responses: { 200: { description: 'text/csv' }, 404: { description: 'Unknown node' } },
  },
];
