// The API's OpenAPI 3.1 description, generated from the zod schemas that validate requests
// (zod 4's z.toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12), so the document
// cannot drift from what the code accepts. Routers describe their operations as ApiOperation
// lists next to their schemas; `apiRegistry()` gathers every list into one registry, and a test
// checks that each route mounted on the app is in it. Served at /openapi.json, with a small
// page at /docs that lists the operations (no CDN: it works offline).
import { join } from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';
import type { Role } from './auth';
import { ROLES } from './auth';
import { MAX_BODY } from './boundary';
import { orderIntakeSchema, posSalesSchema, returnRequestSchema } from './routes/orders';
import { ackBody, alertListQuery, assignBody, commentBody, resolveBody, windowQuery } from './routes/alerts';
import { replayBody, subscriptionBody } from './routes/webhooks';
import { forecastQuery, nodeQuery, waveCapacityQuery } from './routes/forecasts';
import { kpiOperations } from './routes/kpis';
import { customerOperations } from './routes/customers';
import { masterDataOperations } from './routes/masterdata';
import { receiptOperations } from './routes/receipts';
import { transferOperations } from './routes/transfers';
import { pickerOperations } from './routes/picker';
import { forecastRunParamsSchema } from '../activities/forecasting';

/** One response of an operation. */
export interface ApiResponseSpec { description: string; schema?: z.ZodType }

/** One HTTP operation, described by the schemas its handler validates with. */
export interface ApiOperation {
  /** Stable operationId. */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path, e.g. /v1/orders/:orderId. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Roles a bearer token must hold; 'public' needs no token. */
  auth: readonly Role[] | 'public';
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Body fields the handler fills in when absent (documented as optional with this default). */
  bodyDefaults?: Record<string, unknown>;
  /** Takes an Idempotency-Key header (or `idempotencyKey` in the body); required. */
  idempotencyKey?: boolean;
  responses: Record<number, ApiResponseSpec>;
}

type Json = Record<string, unknown>;

/** JSON Schema (2020-12) of a zod schema, as OpenAPI 3.1 embeds it. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

/** Express path → OpenAPI path (`:id` → `{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const errorSchema = z.object({
  error: z.object({ code: z.string().describe('Stable code, e.g. FC_VALIDATION, FC_INVALID_TRANSITION'), message: z.string(), details: z.unknown().optional() }),
});

/** The operations of the whole API, checked for duplicates; the document is generated from them. */
export class ApiRegistry {
  private readonly ops = new Map<string, ApiOperation>();

  /** Register operations; a method and path registered twice is a programming error. */
  add(...ops: readonly ApiOperation[]): this {
    for (const op of ops) {
      const key = `${op.method.toUpperCase()} ${openApiPath(op.path)}`;
      if (this.ops.has(key)) throw new Error(`operation ${key} registered twice`);
      if ([...this.ops.values()].some((o) => o.id === op.id)) throw new Error(`operationId ${op.id} registered twice`);
      this.ops.set(key, op);
    }
    return this;
  }

  /** Registered operations, as `METHOD /openapi/{path}` keys. */
  keys(): string[] {
    return [...this.ops.keys()];
  }

  operations(): ApiOperation[] {
    return [...this.ops.values()];
  }

  /** The OpenAPI 3.1 document. */
  document(): Json {
    const paths: Record<string, Json> = {};
    for (const op of this.ops.values()) {
      const path = openApiPath(op.path);
      paths[path] = { ...(paths[path] ?? {}), [op.method]: operationObject(op) };
    }
    const tags = [...new Set(this.operations().map((o) => o.tag))].sort().map((name) => ({ name, description: TAGS[name] ?? name }));
    return {
      openapi: '3.1.0',
      info: {
        title: 'freshchain API',
        version: '1.0.0',
        description: 'Fresh-grocery logistics: order intake and status, stock, picking (the picker phone page uses /picker/v1), substitutions, cold-chain alerts and webhooks. '
          + 'Bearer tokens (HS256 JWT) carry a role (ops, picker, courier, integrator); picker tokens are bound to one node. Errors are {"error": {"code", "message", "details"}}.',
      },
      servers: [{ url: '/' }],
      tags,
      paths,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        schemas: { Error: jsonSchemaOf(errorSchema, 'output') },
      },
    };
  }
}

const TAGS: Record<string, string> = {
  meta: 'Health, identity and this description',
  orders: 'Order intake, status, cancellation and courier events',
  stock: 'Stock adjustments from the outside world',
  picker: "Picker tasks: one node per token; actions are idempotent (Idempotency-Key) and refused with 409 when the fulfilment's state does not allow them",
  substitutions: "The customer's side of substitutions",
  forecasting: 'Demand forecasts, replenishment and markdown suggestions, wave capacity',
  kpis: 'KPIs from the order event stream',
  alerts: 'Cold-chain alerts',
  webhooks: 'Signed webhooks (Standard Webhooks)',
  privacy: "Customers' personal data: unmasked reads (logged), erasure, the access log",
};

function parametersOf(op: ApiOperation): Json[] {
  const out: Json[] = [];
  const pathSchema = op.params ? jsonSchemaOf(op.params, 'input') : undefined;
  const pathProps = (pathSchema?.properties ?? {}) as Record<string, Json>;
  for (const name of [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string)) {
    out.push({ name, in: 'path', required: true, schema: pathProps[name] ?? { type: 'string' } });
  }
  if (op.query) {
    const q = jsonSchemaOf(op.query, 'input');
    const required = new Set((q.required ?? []) as string[]);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, Json>)) {
      out.push({ name, in: 'query', required: required.has(name), schema, ...(schema.type === 'array' ? { style: 'form', explode: false } : {}) });
    }
  }
  if (op.idempotencyKey) {
    out.push({
      name: 'Idempotency-Key', in: 'header', required: false,
      description: 'Required here or as idempotencyKey in the body. Retrying with the same key returns the first answer (header Idempotent-Replayed: true) and does nothing again.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    });
  }
  return out;
}

function bodySchema(op: ApiOperation): Json {
  const schema = jsonSchemaOf(op.body!, 'input');
  const defaults = Object.entries(op.bodyDefaults ?? {});
  if (!defaults.length) return schema;
  const props = { ...(schema.properties as Record<string, Json>) };
  for (const [k, v] of defaults) props[k] = { ...props[k], default: v };
  return { ...schema, properties: props, required: ((schema.required ?? []) as string[]).filter((k) => !(k in op.bodyDefaults!)) };
}

function operationObject(op: ApiOperation): Json {
  const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const isError = Number(status) >= 400;
    responses[status] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: jsonSchemaOf(r.schema, 'output') } } } : isError ? errorRef : {}) };
  }
  // Answers every operation can give besides its own: the input guard's 400 (any query or path
  // parameter, any body; api/boundary.ts), 401/403 from the token, 404 for an unknown id in the
  // path, 413 for a body over the limit (read only after the token is checked).
  const protectedOp = op.auth !== 'public';
  const readsBody = Boolean(op.body) || ['post', 'put', 'patch'].includes(op.method);
  if (op.body || op.query || op.params || protectedOp) responses['400'] ??= { description: 'Invalid request: the message and details name each bad field (`customer.name`, `query.nodeId`, `orderId`)', ...errorRef };
  if (op.auth !== 'public') {
    responses['401'] ??= { description: 'Missing, invalid or expired token (checked before the body is read)', ...errorRef };
    responses['403'] ??= { description: `Needs role ${op.auth.join(' or ')}`, ...errorRef };
  }
  if (op.path.includes(':')) responses['404'] ??= { description: 'Not found: no such resource, or not one this caller may see', ...errorRef };
  if (readsBody) responses['413'] ??= { description: `Request body larger than ${MAX_BODY}`, ...errorRef };
  return {
    operationId: op.id,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.auth === 'public' ? { security: [] } : { security: [{ bearerAuth: [] }], 'x-roles': [...op.auth] }),
    parameters: parametersOf(op),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: bodySchema(op) } } } } : {}),
    responses,
  };
}

// ---- Operations of routers that do not describe themselves yet ----------------------------------
// They use each router's exported schemas. A few bodies are not exported by their routers
// (routes/orders.ts: cancel, courier events, stock adjustments; routes/codec.ts: payloads); they
// are restated here until those files export them, or describe themselves like routes/kpis.ts.

const anyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const json = (description: string) => ({ description, schema: z.record(z.string(), z.unknown()) });
const courierEventDoc = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dispatched'), fulfilmentId: z.string().min(1), courierId: anyId }),
  z.object({ type: z.literal('delivered'), fulfilmentId: z.string().min(1) }),
  z.object({
    type: z.literal('rejected'), fulfilmentId: z.string().min(1),
    lines: z.array(z.object({ lineId: anyId, qty: z.number().int().min(1), condition: z.enum(['sellable', 'damaged', 'unknown']), customerChoice: z.enum(['refund', 'replacement']) })).min(1),
  }),
]);
const adjustmentDoc = z.object({ adjustmentId: anyId, lotId: anyId, kind: z.enum(['receipt', 'count', 'sale']), qty: z.number().int().min(0).max(1_000_000) });
const orderParams = z.object({ orderId: anyId });
const idParam = z.object({ id: z.string() });

const payloadsDoc = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })).max(10_000) });

const coreOperations: readonly ApiOperation[] = [
  { id: 'metrics', method: 'get', path: '/metrics', tag: 'meta', summary: 'Prometheus metrics (text exposition format)', auth: 'public', responses: { 200: { description: 'text/plain' } } },
  { id: 'codecEncode', method: 'post', path: '/codec/encode', tag: 'meta', summary: "Temporal remote codec: encode payloads (the Web UI's codec server)", auth: ['ops'], body: payloadsDoc, responses: { 200: { description: 'Encoded', schema: payloadsDoc }, 404: { description: 'Payload encryption is off' }, 422: { description: 'Cannot encode' } } },
  { id: 'codecDecode', method: 'post', path: '/codec/decode', tag: 'meta', summary: 'Temporal remote codec: decode payloads for the Web UI (ops only)', auth: ['ops'], body: payloadsDoc, responses: { 200: { description: 'Decoded', schema: payloadsDoc }, 404: { description: 'Payload encryption is off' }, 422: { description: 'Cannot decode' } } },
  { id: 'health', method: 'get', path: '/healthz', tag: 'meta', summary: 'Health of the API and its dependencies (503 when one is down)', auth: 'public', responses: { 200: json('Healthy'), 503: json('Degraded: names the dependency') } },
  { id: 'openApi', method: 'get', path: '/openapi.json', tag: 'meta', summary: 'This description', auth: 'public', responses: { 200: json('OpenAPI 3.1 document') } },
  { id: 'whoami', method: 'get', path: '/v1/whoami', tag: 'meta', summary: 'The caller as the token says', auth: [...ROLES], responses: { 200: { description: 'Principal', schema: z.object({ principal: z.object({ sub: z.string(), role: z.enum(ROLES), nodeId: z.string().optional() }) }) } } },
];

const orderOperations: readonly ApiOperation[] = [
  {
    id: 'createOrder', method: 'post', path: '/v1/orders', tag: 'orders', summary: 'Submit an order (idempotent by orderId)', auth: ['integrator', 'ops'], body: orderIntakeSchema,
    responses: {
      202: { description: 'Started', schema: z.object({ orderId: z.string(), workflowId: z.string(), runId: z.string(), duplicate: z.literal(false) }) },
      200: { description: 'Submitted before with the same body: the order as it stands', schema: z.object({ orderId: z.string(), workflowId: z.string(), status: z.string(), duplicate: z.literal(true) }) },
      409: { description: 'Submitted before with a different body (error.details.fields names what differs)' },
    },
  },
  { id: 'getOrder', method: 'get', path: '/v1/orders/:orderId', tag: 'orders', summary: 'Order status, workflow view and event stream', auth: ['ops', 'integrator'], params: orderParams, responses: { 200: json('Order'), 404: { description: 'Unknown order' } } },
  {
    id: 'cancelOrder', method: 'post', path: '/v1/orders/:orderId/cancel', tag: 'orders', summary: 'Cancel (before picking) or return (after)', auth: ['integrator', 'ops'], params: orderParams,
    body: z.object({ reason: z.string().min(1).max(500) }), responses: { 200: json('Outcome'), 409: { description: 'Not allowed in this state' } },
  },
  {
    id: 'courierEvent', method: 'post', path: '/v1/orders/:orderId/courier-events', tag: 'orders', summary: 'Dispatched, delivered or rejected at the door', auth: ['courier', 'ops'], params: orderParams,
    body: courierEventDoc, responses: { 200: { description: 'New state', schema: z.object({ fulfilmentId: z.string(), state: z.string(), inspectAtDoor: z.boolean() }) }, 404: { description: 'Unknown fulfilment' }, 409: { description: 'Invalid transition' } },
  },
  {
    id: 'createReturn', method: 'post', path: '/v1/orders/:orderId/returns', tag: 'orders', summary: 'Return after delivery: refund or replacement per line (idempotent by returnId)', auth: ['integrator', 'ops'], params: orderParams,
    body: returnRequestSchema,
    responses: { 201: json('Settled: credits, restock or write-off per line, the replacement order'), 200: json('Settled before under this returnId'), 202: json('Still settling'), 404: { description: 'Unknown order' }, 409: { description: 'Refused: names the rule (window, quantity, fresh goods without a quality problem)' } },
  },
  { id: 'listReturns', method: 'get', path: '/v1/orders/:orderId/returns', tag: 'orders', summary: 'Returns after delivery of an order', auth: ['ops', 'integrator'], params: orderParams, responses: { 200: json('Returns'), 404: { description: 'Unknown order' } } },
  {
    id: 'stockAdjustment', method: 'post', path: '/v1/stock/adjustments', tag: 'stock', summary: 'Receipt, count or sale against a lot (idempotent by adjustmentId)', auth: ['ops', 'integrator'], body: adjustmentDoc,
    responses: { 201: { description: 'Applied', schema: z.object({ applied: z.literal(true), onHand: z.number(), reserved: z.number() }) }, 200: { description: 'Already applied', schema: z.object({ applied: z.literal(false), onHand: z.number(), reserved: z.number() }) }, 404: { description: 'Unknown lot' } },
  },
  {
    id: 'stockSales', method: 'post', path: '/v1/stock/sales', tag: 'stock', summary: 'POS sales in a batch, each idempotent by saleId; applied always, a shortfall comes out of reservations', auth: ['ops', 'integrator'], body: posSalesSchema,
    responses: { 201: json('Applied (per sale: replayed or not, the reservations cut)'), 200: json('Every sale applied before') },
  },
];

const alertOperations: readonly ApiOperation[] = [
  { id: 'listAlerts', method: 'get', path: '/v1/alerts', tag: 'alerts', summary: 'List and filter alerts', auth: ['ops', 'integrator'], query: alertListQuery, responses: { 200: json('Alerts') } },
  { id: 'getAlert', method: 'get', path: '/v1/alerts/:id', tag: 'alerts', summary: 'One alert with audit trail, comments, impacts and cold-chain figures', auth: ['ops', 'integrator'], params: idParam, responses: { 200: json('Alert'), 404: { description: 'Unknown alert' } } },
  { id: 'acknowledgeAlert', method: 'post', path: '/v1/alerts/:id/acknowledge', tag: 'alerts', summary: 'Acknowledge', auth: ['ops'], params: idParam, body: ackBody, responses: { 200: json('Alert'), 409: { description: 'Invalid transition' } } },
  { id: 'resolveAlert', method: 'post', path: '/v1/alerts/:id/resolve', tag: 'alerts', summary: 'Resolve', auth: ['ops'], params: idParam, body: resolveBody, responses: { 200: json('Alert'), 409: { description: 'Invalid transition' } } },
  { id: 'commentAlert', method: 'post', path: '/v1/alerts/:id/comments', tag: 'alerts', summary: 'Comment', auth: ['ops'], params: idParam, body: commentBody, responses: { 201: json('Alert') } },
  { id: 'assignAlert', method: 'post', path: '/v1/alerts/:id/assign', tag: 'alerts', summary: 'Assign or unassign (null)', auth: ['ops'], params: idParam, body: assignBody, responses: { 200: json('Alert') } },
  { id: 'assetColdChain', method: 'get', path: '/v1/assets/:id/cold-chain', tag: 'alerts', summary: 'Cold-chain figures of an asset over a window (default 24 h)', auth: ['ops', 'integrator'], params: idParam, query: windowQuery, responses: { 200: json('Report'), 404: { description: 'Unknown asset' } } },
];

const webhookOperations: readonly ApiOperation[] = [
  { id: 'createSubscription', method: 'post', path: '/v1/webhooks/subscriptions', tag: 'webhooks', summary: 'Subscribe (the secret is shown once)', auth: ['ops', 'integrator'], body: subscriptionBody, responses: { 201: json('Subscription with its secret') } },
  { id: 'listSubscriptions', method: 'get', path: '/v1/webhooks/subscriptions', tag: 'webhooks', summary: 'Subscriptions (integrators: their own)', auth: ['ops', 'integrator'], responses: { 200: json('Subscriptions') } },
  { id: 'getSubscription', method: 'get', path: '/v1/webhooks/subscriptions/:id', tag: 'webhooks', summary: 'One subscription', auth: ['ops', 'integrator'], params: idParam, responses: { 200: json('Subscription'), 404: { description: 'Unknown subscription' } } },
  { id: 'deleteSubscription', method: 'delete', path: '/v1/webhooks/subscriptions/:id', tag: 'webhooks', summary: 'Delete', auth: ['ops', 'integrator'], params: idParam, responses: { 204: { description: 'Deleted' }, 404: { description: 'Unknown subscription' } } },
  { id: 'enableSubscription', method: 'post', path: '/v1/webhooks/subscriptions/:id/enable', tag: 'webhooks', summary: 'Re-enable a disabled subscription', auth: ['ops', 'integrator'], params: idParam, responses: { 200: json('Subscription') } },
  { id: 'getWebhookEvent', method: 'get', path: '/v1/webhooks/events/:id', tag: 'webhooks', summary: 'An event with its delivery log', auth: ['ops', 'integrator'], params: idParam, responses: { 200: json('Event'), 404: { description: 'Unknown event, or (integrators) one made for none of your subscriptions' } } },
  { id: 'replayWebhookEvent', method: 'post', path: '/v1/webhooks/events/:id/replay', tag: 'webhooks', summary: 'Deliver an event again (same webhook-id), only to subscriptions it was made for', auth: ['ops', 'integrator'], params: idParam, body: replayBody, responses: { 202: json('Deliveries started'), 404: { description: 'Unknown event or subscription, or the event was not made for that subscription' }, 409: { description: 'Subscription disabled' } } },
];

const forecastOperations: readonly ApiOperation[] = [
  { id: 'getForecasts', method: 'get', path: '/v1/forecasts', tag: 'forecasting', summary: "A node's latest forecasts per SKU and slot (p10/p50/p90)", auth: ['ops', 'integrator'], query: forecastQuery, responses: { 200: json('Forecasts'), 404: { description: 'No run for the node' } } },
  { id: 'getForecastRun', method: 'get', path: '/v1/forecasts/runs/:runId', tag: 'forecasting', summary: 'One forecast run', auth: ['ops', 'integrator'], params: z.object({ runId: z.string() }), responses: { 200: json('Run'), 404: { description: 'Unknown run' } } },
  { id: 'startForecastRun', method: 'post', path: '/v1/forecasts/runs', tag: 'forecasting', summary: 'Start a forecast run now', auth: ['ops'], body: forecastRunParamsSchema, bodyDefaults: { horizonDays: 7 }, responses: { 202: json('Started'), 503: { description: 'No Temporal connection' } } },
  { id: 'getReplenishment', method: 'get', path: '/v1/replenishment', tag: 'forecasting', summary: 'Latest replenishment suggestions (one node or all)', auth: ['ops', 'integrator'], query: nodeQuery, responses: { 200: json('Suggestions') } },
  { id: 'getMarkdowns', method: 'get', path: '/v1/markdowns', tag: 'forecasting', summary: 'Latest markdown suggestions for lots at risk of expiring', auth: ['ops', 'integrator'], query: nodeQuery, responses: { 200: json('Suggestions') } },
  { id: 'getWaveCapacity', method: 'get', path: '/v1/wave-capacity', tag: 'forecasting', summary: 'Expected orders per slot of a local day (for wave planning)', auth: ['ops', 'integrator'], query: waveCapacityQuery, responses: { 200: json('Slots'), 404: { description: 'No run for the node' } } },
];

/** Every operation of the API in one registry. A router that adds routes adds its list here. */
export function apiRegistry(): ApiRegistry {
  return new ApiRegistry().add(...coreOperations, ...orderOperations, ...alertOperations, ...webhookOperations, ...forecastOperations, ...kpiOperations, ...pickerOperations, ...customerOperations, ...masterDataOperations, ...receiptOperations, ...transferOperations, {
    id: 'docs', method: 'get', path: '/docs', tag: 'meta', summary: 'A page listing these operations', auth: 'public', responses: { 200: { description: 'HTML' } },
  });
}

/** GET /openapi.json and the /docs page (unauthenticated: the description holds no data). */
export function apiDocsRouter(registry: ApiRegistry = apiRegistry()): Router {
  const r = Router();
  let doc: Json | undefined;
  r.get('/openapi.json', (_req, res) => {
    doc ??= registry.document();
    res.json(doc);
  });
  const dir = join(__dirname, 'public', 'docs');
  const headers = (res: express.Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
  };
  r.get('/docs', (_req, res) => {
    headers(res);
    res.sendFile(join(dir, 'index.html'));
  });
  r.use('/docs', express.static(dir, { index: false, setHeaders: headers }));
  return r;
}
