import { createHash, createHmac } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { fulfilmentIdSchema, idSchema } from '../../domain/ids';
import type { Config } from '../../config';
import { instantSlot, intakeDateIssues } from '../../domain/orders';
import { claimOrder, loadOrder, loadOrderEvents, markOrderStarted } from '../../db/orders';
import type { IntakeRecord } from '../../db/orders';
import { applyStockAdjustment, recordPosSales } from '../../db/stock';
import type { ShortfallCut } from '../../db/stock';
import { deliverShortfalls } from '../../activities/stock-shortfalls';
import { listCustomerReturns } from '../../db/returns';
import type { Db } from '../../db/pool';
import { customerPiiSealer } from '../../platform/pii';
import {
  deliveredUpdate,
  dispatchedUpdate,
  fulfilmentStatusQuery,
  rejectedAtDoorUpdate,
} from '../../workflows/fulfilment.contract';
import {
  cancelOrderUpdate,
  ORDER_WORKFLOW_TYPE,
  orderStatusQuery,
  orderWorkflowId,
} from '../../workflows/order.contract';
import type { OrderWorkflow } from '../../workflows/order.contract';
import { CUSTOMER_RETURN_WORKFLOW_TYPE, returnWorkflowId } from '../../workflows/returns.contract';
import type { CustomerReturnWorkflow } from '../../workflows/returns.contract';
import type { CustomerReturnInput, CustomerReturnOutcome, OrderInput } from '../../domain/orders';
import { ORDER_ID } from '../../workflows/search-attributes';
import { requireRole, seesAll } from '../auth';
import { assertCourierMayAct, assertOrderReachable, orderNotFound } from '../ownership';
import { ApiError, rethrowConflict } from '../errors';
import { cleanText } from '../text';
import { fromTemporal } from '../temporal-errors';
import type { ApiOperation } from '../operation';
import { jsonResponse as json } from '../operation';

const id = idSchema();
// How long POST /returns waits for the settlement before answering 202 (no worker, a slow database).
const RETURN_ANSWER_WAIT_MS = 8_000;

function uniqueLineIds(lines: readonly { lineId: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (seen.has(l.lineId))
      ctx.addIssue({ code: 'custom', path: ['lines', i, 'lineId'], message: `duplicate lineId ${l.lineId}` });
    seen.add(l.lineId);
  });
}

const isoInstant = z.iso.datetime({ offset: true });

/**
 * POST /v1/orders body. Personal data (customer) is encrypted at rest and never enters the
 * workflow. Every object is strict (an unknown key is refused, not dropped), every free-text
 * field clean (`cleanText`), and every date inside the intake window around the server clock
 * (`intakeDateIssues`): a date nobody could mean is a 400 naming the field, not a workflow
 * that fails later.
 */
export const orderIntakeSchema = z
  .object({
    orderId: id,
    customer: z
      .object({
        id,
        name: cleanText(1, 200),
        phone: z.string().regex(/^\+?[0-9 ()-]{6,20}$/, 'must be a phone number'),
        address: cleanText(3, 500),
      })
      .strict(),
    location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).strict(),
    slot: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('instant') }).strict(),
      z.object({ kind: z.literal('scheduled'), start: isoInstant, end: isoInstant }).strict(),
    ]),
    lines: z
      .array(z.object({ lineId: id, sku: id, qty: z.number().int().min(1).max(999) }).strict())
      .min(1)
      .max(100),
    placedAt: isoInstant.optional(),
    options: z
      .object({ mergeWindowMs: z.number().int().min(0).max(86_400_000).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    uniqueLineIds(o.lines, ctx);
    const dates = {
      ...(o.placedAt !== undefined ? { placedAt: Date.parse(o.placedAt) } : {}),
      slot:
        o.slot.kind === 'scheduled'
          ? { kind: 'scheduled' as const, start: Date.parse(o.slot.start), end: Date.parse(o.slot.end) }
          : o.slot,
    };
    for (const issue of intakeDateIssues(dates, Date.now()))
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

/** POST /v1/orders/{orderId}/returns body: a return after delivery, idempotent by returnId. */
export const returnRequestSchema = z
  .object({
    returnId: id,
    lines: z
      .array(
        z
          .object({
            lineId: id,
            qty: z.number().int().min(1).max(999),
            reason: z.enum(['quality', 'damaged', 'wrong_item', 'changed_mind']),
            // As checked when the goods come back; 'unknown' when they do not (sour milk poured away).
            condition: z.enum(['sellable', 'damaged', 'unknown']),
            customerChoice: z.enum(['refund', 'replacement']),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict()
  .superRefine((o, ctx) => uniqueLineIds(o.lines, ctx));

/** Build the return workflow's input (pure): the replacement's order id and the request's fingerprint are fixed here, once. */
export function toReturnInput(
  orderId: string,
  body: z.infer<typeof returnRequestSchema>,
  now: number,
): CustomerReturnInput {
  const plain = `${orderId}-R-${body.returnId}`;
  // Order ids are at most 64 characters; a long pair keeps a readable head and a hash of both.
  const replacementOrderId =
    plain.length <= 64
      ? plain
      : `${orderId.slice(0, 45)}-R-${createHash('sha256').update(`${orderId}/${body.returnId}`).digest('hex').slice(0, 16)}`;
  const canonical = [...body.lines]
    .sort((a, b) => (a.lineId < b.lineId ? -1 : 1))
    .map((l) => [l.lineId, l.qty, l.reason, l.condition, l.customerChoice]);
  const fingerprint = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
  return { orderId, returnId: body.returnId, requestedAt: now, lines: body.lines, replacementOrderId, fingerprint };
}

// A fulfilment's workflow id: checked here so that no string Temporal cannot take as a workflow
// id (a lone surrogate, thousands of characters) gets that far.
const fulfilmentId = fulfilmentIdSchema();

/** POST /v1/orders/{orderId}/cancel body. */
export const cancelBodySchema = z.object({ reason: cleanText(1, 500) }).strict();

const rejectedLine = z
  .object({
    lineId: id,
    qty: z.number().int().min(1),
    condition: z.enum(['sellable', 'damaged', 'unknown']),
    customerChoice: z.enum(['refund', 'replacement']),
  })
  .strict();

/** POST /v1/orders/{orderId}/courier-events body: dispatched, delivered or rejected at the door. */
export const courierEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dispatched'), fulfilmentId, courierId: id }).strict(),
  z.object({ type: z.literal('delivered'), fulfilmentId }).strict(),
  z.object({ type: z.literal('rejected'), fulfilmentId, lines: z.array(rejectedLine).min(1) }).strict(),
]);

/** POST /v1/stock/adjustments body: a receipt, count or sale on one lot. */
export const adjustmentSchema = z
  .object({
    adjustmentId: id,
    lotId: id,
    kind: z.enum(['receipt', 'count', 'sale']),
    qty: z.number().int().min(0).max(1_000_000),
  })
  .strict();

/** The order's id in a path. */
const orderParams = z.object({ orderId: id }).strict();

// POS sales are dated within the intake window's reach: a century back or a day ahead is nobody's till.
const SALE_PAST_MS = 400 * 86_400_000;
const SALE_FUTURE_MS = 86_400_000;

/** POST /v1/stock/sales body: a batch of till lines, each idempotent by saleId for its whole life. */
export const posSalesSchema = z
  .object({
    sales: z
      .array(
        z
          .object({
            saleId: id,
            nodeId: id,
            sku: id,
            qty: z.number().int().min(1).max(100_000),
            soldAt: isoInstant.refine((v) => {
              const t = Date.parse(v);
              return t >= Date.now() - SALE_PAST_MS && t <= Date.now() + SALE_FUTURE_MS;
            }, 'must be within the last 400 days and not more than a day ahead'),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict()
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.sales.forEach((l, i) => {
      if (seen.has(l.saleId))
        ctx.addIssue({ code: 'custom', path: ['sales', i, 'saleId'], message: `duplicate saleId ${l.saleId}` });
      seen.add(l.saleId);
    });
  });

/**
 * The door's key: equal for the same address however it is spaced or cased, so orders to one
 * door merge. Keyed (HMAC with the personal-data key): it goes into workflow histories, and a
 * plain hash of an address is confirmed by hashing a guess, which street addresses invite.
 */
export function addressKey(address: string, key: string): string {
  return createHmac('sha256', key)
    .update(`address\u0000${address.trim().toLowerCase().replace(/\s+/g, ' ')}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Build the workflow input from a validated intake body (pure, so it is tested alone). No
 * coordinates: histories keep inputs for as long as they are retained, so the exact door stays
 * in the orders row and the allocation activity reads it there by order id.
 */
export function toOrderInput(body: z.infer<typeof orderIntakeSchema>, now: number, key: string): OrderInput {
  const placedAt = body.placedAt ? Date.parse(body.placedAt) : now;
  const slot =
    body.slot.kind === 'instant'
      ? instantSlot(placedAt)
      : { kind: 'scheduled' as const, start: Date.parse(body.slot.start), end: Date.parse(body.slot.end) };
  return {
    orderId: body.orderId,
    customerId: body.customer.id,
    addressKey: addressKey(body.customer.address, key),
    slot,
    lines: body.lines,
    placedAt,
    ...(body.options ? { options: body.options } : {}),
  };
}

/** The request fields an order's fingerprint covers, one hash each (a 409 names the ones that differ). */
export type IntakeField = 'customer' | 'location' | 'slot' | 'lines' | 'placedAt' | 'options';

/** Lines as a set: the same lines in another order are the same order. */
const canonicalLines = (lines: readonly { lineId: string; sku: string; qty: number }[]) =>
  [...lines]
    .sort((a, b) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0))
    .map((l) => [l.lineId, l.sku, l.qty]);
const canonicalText = (s: string) => s.normalize('NFC').trim().replace(/\s+/g, ' ');

/**
 * The intake request's fingerprint (pure): per field, a keyed hash of its normalised value, so
 * equal bodies match however they are spelled (key order, line order, date offsets, spacing),
 * and the stored hashes reveal nothing of the customer's personal data without the key.
 */
export function intakeFingerprint(body: z.infer<typeof orderIntakeSchema>, key: string): Record<IntakeField, string> {
  const normalised: Record<IntakeField, unknown> = {
    customer: [
      body.customer.id,
      canonicalText(body.customer.name),
      body.customer.phone.replace(/[^0-9+]/g, ''),
      canonicalText(body.customer.address).toLowerCase(),
    ],
    location: [body.location.lat, body.location.lng],
    slot:
      body.slot.kind === 'instant'
        ? ['instant']
        : ['scheduled', Date.parse(body.slot.start), Date.parse(body.slot.end)],
    lines: canonicalLines(body.lines),
    placedAt: body.placedAt === undefined ? null : Date.parse(body.placedAt),
    options: [body.options?.mergeWindowMs ?? null],
  };
  const hash = (field: string, value: unknown) =>
    createHmac('sha256', key)
      .update(`${field}\u0000${JSON.stringify(value)}`)
      .digest('hex')
      .slice(0, 32);
  return Object.fromEntries(Object.entries(normalised).map(([f, v]) => [f, hash(f, v)])) as Record<IntakeField, string>;
}

/** Fields whose hashes differ between two fingerprints, sorted. */
export function fingerprintDifferences(
  stored: Readonly<Record<string, string>>,
  request: Readonly<Record<string, string>>,
): string[] {
  return [...new Set([...Object.keys(stored), ...Object.keys(request)])].filter((f) => stored[f] !== request[f]).sort();
}

/** An order recorded before intake kept fingerprints: compared on what its row holds. */
export function recordDifferences(
  stored: Pick<IntakeRecord, 'customerId' | 'lines' | 'location' | 'slot'>,
  body: z.infer<typeof orderIntakeSchema>,
): string[] {
  const differ: string[] = [];
  if (stored.customerId !== body.customer.id) differ.push('customer');
  if (JSON.stringify(canonicalLines(stored.lines)) !== JSON.stringify(canonicalLines(body.lines))) differ.push('lines');
  if (stored.location.lat !== body.location.lat || stored.location.lng !== body.location.lng) differ.push('location');
  if (
    stored.slot.kind !== body.slot.kind ||
    (body.slot.kind === 'scheduled' &&
      (stored.slot.start !== Date.parse(body.slot.start) || stored.slot.end !== Date.parse(body.slot.end)))
  )
    differ.push('slot');
  return differ;
}

/** A finished fulfilment takes no more events: 409 naming the state it ended in. */
async function refuseIfClosed(handle: WorkflowHandle, action: string): Promise<void> {
  const desc = await handle.describe().catch(() => undefined);
  if (!desc || desc.status.name === 'RUNNING') return;
  const detail = await handle.query(fulfilmentStatusQuery).catch(() => undefined);
  throw new ApiError(
    'FC_INVALID_TRANSITION',
    `cannot ${action} a fulfilment that is ${detail?.state ?? desc.status.name.toLowerCase()} (it has finished)`,
  );
}

/** Order intake, status, cancellation and courier events. */
export function ordersRouter(deps: { config: Config; db: Db; temporal: Client }): Router {
  const r = Router();
  const { temporal, db, config } = deps;
  /** The order's row, or 404: also when it is not the caller's (an integrator reaches only the orders it placed). */
  const existingOrder = async (req: Request, orderId: string) => {
    await assertOrderReachable(db, req.principal!, orderId);
    const row = await loadOrder(db, orderId);
    if (!row) throw orderNotFound(orderId);
    return row;
  };

  /**
   * Start an order's workflow, at most once per order id for ever: a closed run is never
   * followed by another (REJECT_DUPLICATE), a running one is not joined (FAIL). The run id, or
   * undefined when a run exists already.
   */
  const startOrder = async (input: OrderInput, lines: number, slotKind: string): Promise<string | undefined> => {
    try {
      const handle = await temporal.workflow.start<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(input.orderId),
        taskQueue: config.temporal.taskQueues.orders,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        staticSummary: `Order ${input.orderId}: ${lines} lines, ${slotKind}`,
      });
      return handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw err;
    }
  };

  // Idempotent by order id for the order's whole life, the orders row being the record: the
  // same body again answers with the order as it stands (200, duplicate), another body with
  // that id is a 409 naming the fields that differ, and nothing is started twice.
  r.post('/orders', requireRole('integrator', 'ops'), async (req, res) => {
    const body = orderIntakeSchema.parse(req.body);
    const { orderId } = body;
    const workflowId = orderWorkflowId(orderId);
    const fresh = toOrderInput(body, Date.now(), config.pii.key);
    const claim = await claimOrder(db, {
      order: { ...fresh, location: body.location },
      fingerprint: intakeFingerprint(body, config.pii.key),
      placedBy: req.principal!.sub,
      customer: customerPiiSealer(
        { name: body.customer.name, phone: body.customer.phone, address: body.customer.address },
        config.pii.key,
      ),
    });
    if (!claim.created) {
      const { existing } = claim;
      // Another principal's order: only that the id is taken, nothing of the order itself.
      if (!seesAll(req.principal!) && existing.placedBy !== req.principal!.sub) {
        throw new ApiError('FC_ORDER_ID_TAKEN', `order id ${orderId} is taken: choose another`);
      }
      const differ = existing.fingerprint
        ? fingerprintDifferences(existing.fingerprint, intakeFingerprint(body, config.pii.key))
        : recordDifferences(existing, body);
      if (differ.length) {
        throw new ApiError(
          'FC_ORDER_CONFLICT',
          `order ${orderId} was submitted before with a different ${differ.join(', ')}`,
          { fields: differ },
        );
      }
      // Started before, or moved on since: answer with the order as it stands.
      if (existing.startedRunId || existing.status !== 'received') {
        res.status(200).json({ orderId, workflowId, status: existing.status, duplicate: true });
        return;
      }
      // Recorded but perhaps never started (the first request failed in between): start it now,
      // with the instant it was placed at then.
    }
    const input = claim.created ? fresh : toOrderInput(body, claim.existing.placedAt, config.pii.key);
    const runId = await startOrder(input, body.lines.length, body.slot.kind);
    if (runId) await markOrderStarted(db, orderId, runId);
    if (claim.created && runId) {
      res.status(202).json({ orderId, workflowId, runId, duplicate: false });
      return;
    }
    res
      .status(200)
      .json({ orderId, workflowId, status: claim.created ? 'received' : claim.existing.status, duplicate: true });
  });

  r.get('/orders/:orderId', requireRole('ops', 'integrator'), async (req, res) => {
    const orderId = id.parse(req.params.orderId);
    const row = await existingOrder(req, orderId);
    // A query needs a worker; without one answer from the database instead of hanging.
    const view = await Promise.race([
      temporal.workflow
        .getHandle(orderWorkflowId(orderId))
        .query(orderStatusQuery)
        .catch(() => undefined),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref()),
    ]);
    res.json({ orderId, status: view?.status ?? row.status, view, events: await loadOrderEvents(db, orderId) });
  });

  r.post('/orders/:orderId/cancel', requireRole('integrator', 'ops'), async (req, res) => {
    const orderId = id.parse(req.params.orderId);
    const { reason } = cancelBodySchema.parse(req.body ?? {});
    await assertOrderReachable(db, req.principal!, orderId);
    try {
      const result = await temporal.workflow
        .getHandle(orderWorkflowId(orderId))
        .executeUpdate(cancelOrderUpdate, { args: [{ reason }] });
      res.json(result);
    } catch (err) {
      fromTemporal(err, `order ${orderId}`);
    }
  });

  r.post('/orders/:orderId/courier-events', requireRole('courier', 'ops'), async (req, res) => {
    const orderId = id.parse(req.params.orderId);
    const ev = courierEventSchema.parse(req.body);
    if (!ev.fulfilmentId.startsWith(`${orderWorkflowId(orderId)}-f`))
      throw new ApiError('FC_NOT_FOUND', `fulfilment ${ev.fulfilmentId} is not part of order ${orderId}`);
    // A courier acts only on the fulfilments assigned to it.
    await assertCourierMayAct(db, req.principal!, orderId, ev.fulfilmentId, ev);
    const handle = temporal.workflow.getHandle(ev.fulfilmentId);
    try {
      const detail =
        ev.type === 'dispatched'
          ? await handle.executeUpdate(dispatchedUpdate, { args: [{ courierId: ev.courierId }] })
          : ev.type === 'delivered'
            ? await handle.executeUpdate(deliveredUpdate)
            : await handle.executeUpdate(rejectedAtDoorUpdate, { args: [{ lines: ev.lines }] });
      res.json({ fulfilmentId: detail.fulfilmentId, state: detail.state, inspectAtDoor: detail.inspectAtDoor });
    } catch (err) {
      await refuseIfClosed(
        handle,
        `${ev.type === 'rejected' ? 'record a door rejection on' : ev.type === 'delivered' ? 'deliver' : 'dispatch'}`,
      );
      fromTemporal(err, `fulfilment ${ev.fulfilmentId}`);
    }
  });

  r.post('/orders/:orderId/returns', requireRole('integrator', 'ops'), async (req, res) => {
    const orderId = id.parse(req.params.orderId);
    const body = returnRequestSchema.parse(req.body);
    await existingOrder(req, orderId);
    const input = toReturnInput(orderId, body, Date.now());
    const workflowId = returnWorkflowId(orderId, body.returnId);
    let duplicate = false;
    const handle = await temporal.workflow
      .start<CustomerReturnWorkflow>(CUSTOMER_RETURN_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: config.temporal.taskQueues.orders,
        args: [input],
        // A refused return failed: the same return id may come again, corrected.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        searchAttributes: { [ORDER_ID.name]: [orderId] },
        staticSummary: `Return ${body.returnId} of order ${orderId}: ${body.lines.length} lines`,
      })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        duplicate = true;
        return temporal.workflow.getHandle<CustomerReturnWorkflow>(workflowId);
      });
    const answer = await Promise.race([
      handle.result().then(
        (outcome): { outcome: CustomerReturnOutcome } | { err: unknown } => ({ outcome }),
        (err: unknown) => ({ err }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), RETURN_ANSWER_WAIT_MS).unref()),
    ]);
    if (!answer) {
      res.status(202).json({ orderId, returnId: body.returnId, workflowId, status: 'processing' });
      return;
    }
    if ('err' in answer) {
      const cause = answer.err instanceof WorkflowFailedError ? answer.err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'ReturnRefused')
        throw new ApiError('FC_RETURN_REFUSED', cause.message);
      throw answer.err;
    }
    if (answer.outcome.fingerprint !== input.fingerprint)
      throw new ApiError('FC_RETURN_REFUSED', `return ${body.returnId} of order ${orderId} was made with other lines`);
    const { fingerprint: _fingerprint, ...outcome } = answer.outcome;
    res.status(duplicate ? 200 : 201).json({ ...outcome, workflowId, duplicate });
  });

  r.get('/orders/:orderId/returns', requireRole('ops', 'integrator'), async (req, res) => {
    const orderId = id.parse(req.params.orderId);
    await existingOrder(req, orderId);
    res.json({ orderId, returns: await listCustomerReturns(db, orderId) });
  });

  /**
   * Tell each fulfilment that lost held units to a count or sale to re-allocate them. The cuts were
   * committed with the fact as the outbox (stock_shortfalls): what this does not deliver (a crash,
   * Temporal unreachable) the maintenance schedule's relay does, so the answer never waits on it.
   */
  const signalShortfalls = async (req: Request, cuts: readonly ShortfallCut[]): Promise<void> => {
    await deliverShortfalls(db, temporal, cuts, req.log);
  };

  r.post('/stock/adjustments', requireRole('ops', 'integrator'), async (req, res) => {
    const adj = adjustmentSchema.parse(req.body);
    const result = await applyStockAdjustment(db, adj).catch(rethrowConflict('out_of_range', 'FC_STOCK'));
    if ('error' in result) throw new ApiError('FC_NOT_FOUND', result.error);
    await signalShortfalls(req, result.cuts);
    res.status(result.applied ? 201 : 200).json(result);
  });

  r.post('/stock/sales', requireRole('ops', 'integrator'), async (req, res) => {
    const body = posSalesSchema.parse(req.body);
    const results = await recordPosSales(
      db,
      body.sales.map((s) => ({ ...s, soldAt: new Date(s.soldAt) })),
    );
    await signalShortfalls(
      req,
      results.flatMap((x) => x.cuts),
    );
    res.status(results.some((x) => !x.replayed) ? 201 : 200).json({ sales: results });
  });

  return r;
}

const stockAnswer = (applied: boolean) =>
  z.object({ applied: z.literal(applied), onHand: z.number(), reserved: z.number() });

/** The order, return and stock operations, registered in the API description (api/openapi.ts). */
export const orderOperations: readonly ApiOperation[] = [
  {
    id: 'createOrder',
    method: 'post',
    path: '/v1/orders',
    tag: 'orders',
    summary: 'Submit an order (idempotent by orderId)',
    auth: ['integrator', 'ops'],
    body: orderIntakeSchema,
    responses: {
      202: {
        description: 'Started',
        schema: z.object({
          orderId: z.string(),
          workflowId: z.string(),
          runId: z.string(),
          duplicate: z.literal(false),
        }),
      },
      200: {
        description: 'Submitted before with the same body: the order as it stands',
        schema: z.object({
          orderId: z.string(),
          workflowId: z.string(),
          status: z.string(),
          duplicate: z.literal(true),
        }),
      },
      409: {
        description:
          'FC_ORDER_CONFLICT: submitted before with a different body (error.details.fields names what differs); FC_ORDER_ID_TAKEN',
      },
    },
  },
  {
    id: 'getOrder',
    method: 'get',
    path: '/v1/orders/:orderId',
    tag: 'orders',
    summary: 'Order status, workflow view and event stream',
    auth: ['ops', 'integrator'],
    params: orderParams,
    responses: { 200: json('Order'), 404: { description: 'Unknown order' } },
  },
  {
    id: 'cancelOrder',
    method: 'post',
    path: '/v1/orders/:orderId/cancel',
    tag: 'orders',
    summary: 'Cancel (before picking) or return (after)',
    auth: ['integrator', 'ops'],
    params: orderParams,
    body: cancelBodySchema,
    responses: { 200: json('Outcome'), 409: { description: 'FC_INVALID_TRANSITION: not allowed in this state' } },
  },
  {
    id: 'courierEvent',
    method: 'post',
    path: '/v1/orders/:orderId/courier-events',
    tag: 'orders',
    summary: 'Dispatched, delivered or rejected at the door',
    auth: ['courier', 'ops'],
    params: orderParams,
    body: courierEventSchema,
    responses: {
      200: {
        description: 'New state',
        schema: z.object({ fulfilmentId: z.string(), state: z.string(), inspectAtDoor: z.boolean() }),
      },
      404: { description: 'Unknown fulfilment' },
      409: { description: 'FC_INVALID_TRANSITION' },
    },
  },
  {
    id: 'createReturn',
    method: 'post',
    path: '/v1/orders/:orderId/returns',
    tag: 'orders',
    summary: 'Return after delivery: refund or replacement per line (idempotent by returnId)',
    auth: ['integrator', 'ops'],
    params: orderParams,
    body: returnRequestSchema,
    responses: {
      201: json('Settled: credits, restock or write-off per line, the replacement order'),
      200: json('Settled before under this returnId'),
      202: json('Still settling'),
      404: { description: 'Unknown order' },
      409: {
        description: 'FC_RETURN_REFUSED: names the rule (window, quantity, fresh goods without a quality problem)',
      },
    },
  },
  {
    id: 'listReturns',
    method: 'get',
    path: '/v1/orders/:orderId/returns',
    tag: 'orders',
    summary: 'Returns after delivery of an order',
    auth: ['ops', 'integrator'],
    params: orderParams,
    responses: { 200: json('Returns'), 404: { description: 'Unknown order' } },
  },
  {
    id: 'stockAdjustment',
    method: 'post',
    path: '/v1/stock/adjustments',
    tag: 'stock',
    summary: 'Receipt, count or sale against a lot (idempotent by adjustmentId)',
    auth: ['ops', 'integrator'],
    body: adjustmentSchema,
    responses: {
      201: { description: 'Applied', schema: stockAnswer(true) },
      200: { description: 'Already applied', schema: stockAnswer(false) },
      404: { description: 'Unknown lot' },
      409: { description: 'FC_STOCK: on hand would pass the largest quantity a lot can hold' },
    },
  },
  {
    id: 'stockSales',
    method: 'post',
    path: '/v1/stock/sales',
    tag: 'stock',
    summary: 'POS sales in a batch, each idempotent by saleId; applied always, a shortfall comes out of reservations',
    auth: ['ops', 'integrator'],
    body: posSalesSchema,
    responses: {
      201: json('Applied (per sale: replayed or not, the reservations cut)'),
      200: json('Every sale applied before'),
    },
  },
];
