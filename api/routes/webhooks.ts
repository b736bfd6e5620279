// Webhooks API: subscriptions (create, list, get, delete, re-enable), an event with its delivery
// log, and manual replay. Ops see everything; an integrator sees only the subscriptions it
// created, and an event only if it was made for one of them (its filters matched when the event
// was published), with the deliveries to those. An event is replayed only to subscriptions it
// was made for, whoever asks; anything else is a 404, as if it did not exist.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../../domain/ids';
import type { ApiOperation } from '../operation';
import { jsonResponse as json } from '../operation';
import type { Config } from '../../config';
import type { Db } from '../../db/pool';
import {
  createReplayDeliveries,
  createSubscription,
  deleteSubscription,
  enableSubscription,
  eventDeliveries,
  eventSubscriptionIds,
  getEvent,
  getSubscription,
  listSubscriptions,
} from '../../db/webhooks';
import type { SubscriptionRecord } from '../../db/webhooks';
import { WEBHOOK_EVENT_TYPES } from '../../domain/coldchain/webhookPolicy';
import { OutboxDispatcher } from '../../coldchain';
import type { Logger } from '../../platform/logger';
import { requireRole } from '../auth';
import { ApiError } from '../errors';

/** What the webhook routes need. */
export interface WebhooksRouterDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** Without it, deliveries are started by the evaluators' outbox sweep. */
  temporal?: Client;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** A new `whsec_` secret: 32 random bytes, base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

// Text is stored in PostgreSQL, whose text type cannot hold NUL: refused here, not at the INSERT.
const noNul = (s: string) => !s.includes('\u0000');

/** POST /v1/webhooks/subscriptions body. */
export const subscriptionBody = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2000)
      .refine(noNul, 'must not contain NUL characters'),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
    /** Only events of these nodes (sites, fleets); all nodes when absent. */
    nodeIds: z.array(idSchema('a node id')).min(1).max(1000).optional(),
    secret: z
      .string()
      .regex(SECRET, 'must be whsec_ followed by base64')
      .refine((s) => {
        const n = Buffer.from(s.slice('whsec_'.length), 'base64').length;
        return n >= 24 && n <= 64;
      }, 'must decode to 24-64 bytes')
      .optional(),
    description: z.string().max(500).refine(noNul, 'must not contain NUL characters').optional(),
  })
  .strict();

/** POST /v1/webhooks/events/:id/replay body. */
export const replayBody = z
  .object({ subscriptionId: z.string().regex(UUID, 'must be a subscription id').optional() })
  .strict();

function view(s: SubscriptionRecord) {
  const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
  return {
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes,
    nodeIds: s.nodeIds,
    description: s.description,
    createdBy: s.createdBy,
    createdAt: iso(s.createdAt),
    disabled: s.disabledAt !== null,
    disabledAt: iso(s.disabledAt),
    disabledReason: s.disabledReason,
    health: {
      failingSince: iso(s.health.failingSince),
      exhaustedMessages: s.health.exhaustedMessages,
      lastSuccessAt: iso(s.health.lastSuccessAt),
    },
  };
}

/** Routes under /v1/webhooks. */
export function webhooksRouter(deps: WebhooksRouterDeps): Router {
  const router = Router();
  router.use(requireRole('ops', 'integrator'));
  const dispatcher = new OutboxDispatcher({
    db: deps.db,
    logger: deps.logger,
    temporal: deps.temporal,
    taskQueue: deps.config.temporal.taskQueues.coldchain,
  });
  const isOps = (req: Request) => req.principal!.role === 'ops';
  // The subscriptions this caller may see: all for ops, its own for an integrator.
  const ownerFilter = (req: Request) => (isOps(req) ? undefined : req.principal!.sub);

  const subscriptionOf = async (req: Request, id = String(req.params.id)): Promise<SubscriptionRecord> => {
    const sub = UUID.test(id) ? await getSubscription(deps.db, id) : null;
    if (!sub || sub.deletedAt !== null || (!isOps(req) && sub.createdBy !== req.principal!.sub))
      throw new ApiError('FC_NOT_FOUND', `no subscription ${id}`);
    return sub;
  };

  router.post('/subscriptions', async (req, res) => {
    const body = subscriptionBody.parse(req.body ?? {});
    const secret = body.secret ?? generateSecret();
    const sub = await createSubscription(deps.db, {
      url: body.url,
      eventTypes: body.eventTypes ?? [...WEBHOOK_EVENT_TYPES],
      nodeIds: body.nodeIds ?? null,
      secret,
      description: body.description ?? '',
      createdBy: req.principal!.sub,
    });
    // The secret is shown this once; it is never returned again.
    res.status(201).json({ ...view(sub), secret });
  });

  router.get('/subscriptions', async (req, res) => {
    res.json({ subscriptions: (await listSubscriptions(deps.db, ownerFilter(req))).map(view) });
  });

  router.get('/subscriptions/:id', async (req, res) => {
    res.json(view(await subscriptionOf(req)));
  });

  router.delete('/subscriptions/:id', async (req, res) => {
    const sub = await subscriptionOf(req);
    await deleteSubscription(deps.db, sub.id);
    res.status(204).end();
  });

  router.post('/subscriptions/:id/enable', async (req, res) => {
    const sub = await subscriptionOf(req);
    res.json(view((await enableSubscription(deps.db, sub.id))!));
  });

  /**
   * The event and the subscriptions it was made for that this caller may act on (all of them
   * for ops, its own for an integrator); 404 when there are none for an integrator.
   */
  const eventOf = async (req: Request) => {
    const id = String(req.params.id);
    const event = noNul(id) ? await getEvent(deps.db, id) : null;
    const madeFor = event ? await eventSubscriptionIds(deps.db, event.id, ownerFilter(req)) : [];
    if (!event || (!isOps(req) && madeFor.length === 0)) throw new ApiError('FC_NOT_FOUND', `no event ${id}`);
    return { event, madeFor };
  };

  router.get('/events/:id', async (req, res) => {
    const { event, madeFor } = await eventOf(req);
    const deliveries = await eventDeliveries(deps.db, event.id, isOps(req) ? undefined : madeFor);
    const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
    res.json({
      event: {
        id: event.id,
        type: event.type,
        occurredAt: iso(event.occurredAt),
        payload: JSON.parse(event.body) as unknown,
      },
      deliveries: deliveries.map((d) => ({
        ...d,
        createdAt: iso(d.createdAt),
        workflowStartedAt: iso(d.workflowStartedAt),
        completedAt: iso(d.completedAt),
        attempts: d.attempts.map((a) => ({ ...a, at: iso(a.at) })),
      })),
    });
  });

  // A new delivery workflow (new workflow id) with the same event, so the same webhook-id:
  // receivers that processed the original deduplicate it.
  router.post('/events/:id/replay', async (req, res) => {
    const body = replayBody.parse(req.body ?? {});
    const { event, madeFor } = await eventOf(req);
    let targets: string[] = madeFor;
    if (body.subscriptionId) {
      const sub = await subscriptionOf(req, body.subscriptionId);
      if (!madeFor.includes(sub.id))
        throw new ApiError('FC_NOT_FOUND', `event ${event.id} was not published to subscription ${sub.id}`);
      if (sub.disabledAt !== null)
        throw new ApiError('FC_SUBSCRIPTION_DISABLED', `subscription ${sub.id} is disabled; enable it first`);
      targets = [sub.id];
    }
    const deliveries = await createReplayDeliveries(deps.db, event.id, targets);
    await dispatcher.startDeliveries(deliveries);
    res.status(202).json({
      eventId: event.id,
      deliveries: deliveries.map((d) => ({ id: d.id, subscriptionId: d.subscriptionId, workflowId: d.workflowId })),
    });
  });

  return router;
}

const idParams = z.object({ id: z.string() }).strict();
const roles = ['ops', 'integrator'] as const;
const unknownSubscription = { description: 'Unknown subscription' };

/** The webhook operations, registered in the API description (api/openapi.ts). */
export const webhookOperations: readonly ApiOperation[] = [
  {
    id: 'createSubscription',
    method: 'post',
    path: '/v1/webhooks/subscriptions',
    tag: 'webhooks',
    summary: 'Subscribe (the secret is shown once)',
    auth: roles,
    body: subscriptionBody,
    responses: { 201: json('Subscription with its secret') },
  },
  {
    id: 'listSubscriptions',
    method: 'get',
    path: '/v1/webhooks/subscriptions',
    tag: 'webhooks',
    summary: 'Subscriptions (integrators: their own)',
    auth: roles,
    responses: { 200: json('Subscriptions') },
  },
  {
    id: 'getSubscription',
    method: 'get',
    path: '/v1/webhooks/subscriptions/:id',
    tag: 'webhooks',
    summary: 'One subscription',
    auth: roles,
    params: idParams,
    responses: { 200: json('Subscription'), 404: unknownSubscription },
  },
  {
    id: 'deleteSubscription',
    method: 'delete',
    path: '/v1/webhooks/subscriptions/:id',
    tag: 'webhooks',
    summary: 'Delete',
    auth: roles,
    params: idParams,
    responses: { 204: { description: 'Deleted' }, 404: unknownSubscription },
  },
  {
    id: 'enableSubscription',
    method: 'post',
    path: '/v1/webhooks/subscriptions/:id/enable',
    tag: 'webhooks',
    summary: 'Re-enable a disabled subscription',
    auth: roles,
    params: idParams,
    responses: { 200: json('Subscription') },
  },
  {
    id: 'getWebhookEvent',
    method: 'get',
    path: '/v1/webhooks/events/:id',
    tag: 'webhooks',
    summary: 'An event with its delivery log',
    auth: roles,
    params: idParams,
    responses: {
      200: json('Event'),
      404: { description: 'Unknown event, or (integrators) one made for none of your subscriptions' },
    },
  },
  {
    id: 'replayWebhookEvent',
    method: 'post',
    path: '/v1/webhooks/events/:id/replay',
    tag: 'webhooks',
    summary: 'Deliver an event again (same webhook-id), only to subscriptions it was made for',
    auth: roles,
    params: idParams,
    body: replayBody,
    responses: {
      202: json('Deliveries started'),
      404: { description: 'Unknown event or subscription, or the event was not made for that subscription' },
      409: { description: 'FC_SUBSCRIPTION_DISABLED' },
    },
  },
];
