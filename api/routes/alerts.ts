// Alerts API: list and filter, one alert with its audit trail, comments, impacts and the cold
// chain figures of its window; acknowledge, resolve, comment, assign. Also the cold-chain
// figures of an asset over a window. Ops change alerts; ops and integrators read (an integrator
// sees, among an alert's impacts, only the orders it placed).
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../../domain/ids';
import type { Config } from '../../config';
import { alertHistory, alertImpacts, getAlert, listAlerts } from '../../db/alerts';
import type { AlertRecord } from '../../db/alerts';
import { ordersPlacedBy } from '../../db/orders';
import type { Db } from '../../db/pool';
import type { AlertAction, EscalationTable } from '../../domain/coldchain/alerts';
import {
  DEFAULT_ESCALATION,
  OutboxDispatcher,
  ProfileCache,
  actOnAlert,
  alertView,
  assetColdChainReport,
  emptyOutbox,
  mergeOutbox,
  sensorWindowFigures,
} from '../../coldchain';
import type { Logger } from '../../platform/logger';
import { requireRole, seesAll } from '../auth';
import { ApiError } from '../errors';
import type { ErrorCode } from '../error-codes';
import type { ApiOperation } from '../operation';
import { jsonResponse as json } from '../operation';

/** What the alert routes need. */
export interface AlertsRouterDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Without it, webhooks of people's actions are started by the evaluators' outbox sweep. */
  temporal?: Client;
  escalation?: EscalationTable;
}

const entityId = idSchema();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoTime = z.iso.datetime({ offset: true });

// A list filter accepts `a,b` and repeated parameters alike.
const csvOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v.flatMap((x) => String(x).split(',')) : typeof v === 'string' ? v.split(',') : v),
    z.array(item).min(1),
  );

/** Query of GET /v1/alerts. */
export const alertListQuery = z
  .object({
    status: csvOf(z.enum(['open', 'acknowledged', 'resolved'])).optional(),
    severity: csvOf(z.enum(['warning', 'critical'])).optional(),
    kind: csvOf(z.enum(['excursion', 'hard_limit', 'rate_of_change', 'offline'])).optional(),
    node: entityId.optional(),
    sensor: entityId.optional(),
    asset: entityId.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    path: ['to'],
    message: 'must be after from',
  });

// Text is stored in PostgreSQL, whose text type cannot hold NUL: refused here, not at the INSERT.
const noNul = (s: string) => !s.includes('\u0000');
const comment = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(4000)
  .refine(noNul, 'must not contain NUL characters');
/** Bodies of the alert actions. */
export const ackBody = z.object({ comment: comment.optional() }).strict();
export const resolveBody = ackBody;
export const commentBody = z.object({ text: comment }).strict();
export const assignBody = z
  .object({
    assignee: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200)
      .refine(noNul, 'must not contain NUL characters')
      .nullable(),
  })
  .strict();

const MAX_WINDOW_MS = 31 * 86_400_000;
/** Query of GET /v1/assets/:id/cold-chain (default: the last 24 h). */
export const windowQuery = z
  .object({ from: isoTime.optional(), to: isoTime.optional() })
  .strict()
  .transform((q, ctx) => {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 86_400_000;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    if (to - from > MAX_WINDOW_MS)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'window must not exceed 31 days' });
    return { from, to };
  });

function actor(req: Request): string {
  return req.principal!.sub;
}

function alertIdOf(req: Request): string {
  const id = String(req.params.id);
  if (!UUID.test(id)) throw new ApiError('FC_NOT_FOUND', `no alert ${id}`);
  return id;
}

/** An alert's impacts as this caller may see them: everything for ops; lots and the orders it placed for anyone else. */
async function impactsFor<T extends { kind: string; refId: string }>(req: Request, db: Db, impacts: T[]): Promise<T[]> {
  const p = req.principal!;
  if (seesAll(p)) return impacts;
  const mine = await ordersPlacedBy(
    db,
    impacts.filter((i) => i.kind === 'order').map((i) => i.refId),
    p.sub,
  );
  // Transfers are the grocer's own stock moves: ops only.
  return impacts.filter((i) => i.kind === 'lot' || (i.kind === 'order' && mine.has(i.refId)));
}

/** Routes under /v1/alerts. */
/** The API's code for each reason an alert action is refused. */
const ALERT_REFUSAL_CODES: Record<'not_found' | 'invalid_transition' | 'invalid_action', ErrorCode> = {
  not_found: 'FC_NOT_FOUND',
  invalid_transition: 'FC_INVALID_TRANSITION',
  invalid_action: 'FC_INVALID_ACTION',
};

export function alertsRouter(deps: AlertsRouterDeps): Router {
  const router = Router();
  const profiles = new ProfileCache(deps.db, deps.logger);
  const table = deps.escalation ?? DEFAULT_ESCALATION;
  const dispatcher = new OutboxDispatcher({
    db: deps.db,
    logger: deps.logger,
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueues.coldchain,
  });
  const read = requireRole('ops', 'integrator');
  const write = requireRole('ops');

  router.get('/', read, async (req, res) => {
    const q = alertListQuery.parse(req.query);
    const alerts = await listAlerts(deps.db, {
      status: q.status,
      severity: q.severity,
      kind: q.kind,
      nodeId: q.node,
      sensorId: q.sensor,
      assetId: q.asset,
      from: q.from ? Date.parse(q.from) : undefined,
      to: q.to ? Date.parse(q.to) : undefined,
      limit: q.limit,
      offset: q.offset,
    });
    res.json({ alerts: alerts.map(alertView), limit: q.limit, offset: q.offset });
  });

  router.get('/:id', read, async (req, res) => {
    const id = alertIdOf(req);
    const alert = await getAlert(deps.db, id);
    if (!alert) throw new ApiError('FC_NOT_FOUND', `no alert ${id}`);
    const [history, allImpacts] = await Promise.all([alertHistory(deps.db, id), alertImpacts(deps.db, id)]);
    // Alerts are about nodes and assets, which every reader may see; the orders they touched
    // are shown to an integrator only when it placed them.
    const impacts = await impactsFor(req, deps.db, allImpacts);
    await profiles.refreshIfStale();
    const profile = await profiles.resolve(alert.profileId);
    const now = Date.now();
    const to = Math.max(alert.windowStart, alert.windowEnd ?? alert.resolvedAt ?? now);
    const figures = await sensorWindowFigures(
      deps.db,
      alert.sensorId,
      profile?.band ?? null,
      alert.windowStart,
      to,
      (profile?.offlineTimeoutSec ?? 600) * 1000,
      now,
    );
    const iso = (n: number) => new Date(n).toISOString();
    res.json({
      alert: alertView(alert),
      audit: history.audit.map((a) => ({ ...a, at: iso(a.at) })),
      comments: history.comments.map((m) => ({ ...m, at: iso(m.at) })),
      impacts: {
        lots: impacts
          .filter((i) => i.kind === 'lot')
          .map((i) => ({ lotId: i.refId, reason: i.reason, detail: i.detail, at: iso(i.createdAt) })),
        orders: impacts
          .filter((i) => i.kind === 'order')
          .map((i) => ({
            orderId: i.refId,
            lotIds: i.lotIds,
            reason: i.reason,
            at: iso(i.createdAt),
            signalledAt: i.signalledAt === null ? null : iso(i.signalledAt),
            signalResult: i.signalResult,
          })),
        transfers: impacts
          .filter((i) => i.kind === 'transfer')
          .map((i) => ({
            transferId: i.refId,
            lotIds: i.lotIds,
            reason: i.reason,
            detail: i.detail,
            at: iso(i.createdAt),
          })),
      },
      coldChain: { from: iso(alert.windowStart), to: iso(Math.min(to, now)), band: profile?.band ?? null, ...figures },
    });
  });

  // Runs actions in one transaction; the first refusal rolls everything back.
  const act = async (req: Request, actions: AlertAction[]) => {
    const id = alertIdOf(req);
    const now = Date.now();
    const outbox = emptyOutbox();
    const alert = await deps.db.transaction(async (c) => {
      let last: AlertRecord | null = null;
      for (const action of actions) {
        const r = await actOnAlert(c, id, action, actor(req), now, table);
        if (!r.ok) {
          throw new ApiError(ALERT_REFUSAL_CODES[r.error.code], r.error.message);
        }
        mergeOutbox(outbox, r.outbox);
        last = r.alert;
      }
      return last!;
    });
    dispatcher.dispatchLater(outbox);
    return alert;
  };

  router.post('/:id/acknowledge', write, async (req, res) => {
    const body = ackBody.parse(req.body ?? {});
    const actions: AlertAction[] = [{ type: 'acknowledge' }];
    if (body.comment) actions.push({ type: 'comment', text: body.comment });
    res.json({ alert: alertView(await act(req, actions)) });
  });

  router.post('/:id/resolve', write, async (req, res) => {
    const body = resolveBody.parse(req.body ?? {});
    const actions: AlertAction[] = [{ type: 'resolve' }];
    if (body.comment) actions.push({ type: 'comment', text: body.comment });
    res.json({ alert: alertView(await act(req, actions)) });
  });

  router.post('/:id/comments', write, async (req, res) => {
    const body = commentBody.parse(req.body ?? {});
    res.status(201).json({ alert: alertView(await act(req, [{ type: 'comment', text: body.text }])) });
  });

  router.post('/:id/assign', write, async (req, res) => {
    const body = assignBody.parse(req.body ?? {});
    const action: AlertAction =
      body.assignee === null ? { type: 'unassign' } : { type: 'assign', assignee: body.assignee };
    res.json({ alert: alertView(await act(req, [action])) });
  });

  return router;
}

/** Routes under /v1/assets: the cold-chain figures of an asset over a window. */
export function assetColdChainRouter(deps: Pick<AlertsRouterDeps, 'db' | 'logger'>): Router {
  const router = Router();
  const profiles = new ProfileCache(deps.db, deps.logger);
  router.get('/:id/cold-chain', requireRole('ops', 'integrator'), async (req, res) => {
    const assetId = String(req.params.id);
    if (!entityId.safeParse(assetId).success) throw new ApiError('FC_NOT_FOUND', `no asset ${assetId}`);
    const window = windowQuery.parse(req.query);
    await profiles.refreshIfStale();
    const report = await assetColdChainReport(deps.db, (id) => profiles.resolve(id), assetId, window);
    if (!report) throw new ApiError('FC_NOT_FOUND', `no asset ${assetId}`);
    res.json(report);
  });
  return router;
}

// Alert ids are UUIDs (an id of another form is a 404, as an unknown alert); asset ids the one id pattern.
const alertParams = z.object({ id: z.string() }).strict();
const assetParams = z.object({ id: entityId }).strict();
const alertAnswer = json('Alert');

/** The alert and asset cold-chain operations, registered in the API description (api/openapi.ts). */
export const alertOperations: readonly ApiOperation[] = [
  {
    id: 'listAlerts',
    method: 'get',
    path: '/v1/alerts',
    tag: 'alerts',
    summary: 'List and filter alerts',
    auth: ['ops', 'integrator'],
    query: alertListQuery,
    responses: { 200: json('Alerts') },
  },
  {
    id: 'getAlert',
    method: 'get',
    path: '/v1/alerts/:id',
    tag: 'alerts',
    summary: 'One alert with audit trail, comments, impacts and cold-chain figures',
    auth: ['ops', 'integrator'],
    params: alertParams,
    responses: { 200: alertAnswer, 404: { description: 'Unknown alert' } },
  },
  {
    id: 'acknowledgeAlert',
    method: 'post',
    path: '/v1/alerts/:id/acknowledge',
    tag: 'alerts',
    summary: 'Acknowledge',
    auth: ['ops'],
    params: alertParams,
    body: ackBody,
    responses: { 200: alertAnswer, 409: { description: 'FC_INVALID_TRANSITION' } },
  },
  {
    id: 'resolveAlert',
    method: 'post',
    path: '/v1/alerts/:id/resolve',
    tag: 'alerts',
    summary: 'Resolve',
    auth: ['ops'],
    params: alertParams,
    body: resolveBody,
    responses: { 200: alertAnswer, 409: { description: 'FC_INVALID_TRANSITION' } },
  },
  {
    id: 'commentAlert',
    method: 'post',
    path: '/v1/alerts/:id/comments',
    tag: 'alerts',
    summary: 'Comment',
    auth: ['ops'],
    params: alertParams,
    body: commentBody,
    responses: { 201: alertAnswer },
  },
  {
    id: 'assignAlert',
    method: 'post',
    path: '/v1/alerts/:id/assign',
    tag: 'alerts',
    summary: 'Assign or unassign (null)',
    auth: ['ops'],
    params: alertParams,
    body: assignBody,
    responses: { 200: alertAnswer },
  },
  {
    id: 'assetColdChain',
    method: 'get',
    path: '/v1/assets/:id/cold-chain',
    tag: 'alerts',
    summary: 'Cold-chain figures of an asset over a window (default 24 h)',
    auth: ['ops', 'integrator'],
    params: assetParams,
    query: windowQuery,
    responses: { 200: json('Report'), 404: { description: 'Unknown asset' } },
  },
];
