// The API's OpenAPI 3.1 description, generated from the zod schemas that validate requests
// (zod 4's z.toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12), so the document
// cannot drift from what the code accepts. Routers describe their operations as ApiOperation
// lists next to their schemas; `apiRegistry()` gathers every list into one registry, and a test
// checks that each route mounted on the app is in it. Served at /openapi.json, with a small
// page at /docs that lists the operations (no CDN: it works offline).
import { join } from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';
import { ROLES } from './auth';
import { MAX_BODY } from './boundary';
import type { ApiOperation } from './operation';
import { jsonResponse as json } from './operation';
import { ERROR_CODE_LIST, ERROR_CODES } from './error-codes';
import { orderOperations } from './routes/orders';
import { alertOperations } from './routes/alerts';
import { webhookOperations } from './routes/webhooks';
import { forecastOperations } from './routes/forecasts';
import { codecOperations } from './routes/codec';
import { kpiOperations } from './routes/kpis';
import { customerOperations } from './routes/customers';
import { masterDataOperations } from './routes/masterdata';
import { receiptOperations } from './routes/receipts';
import { transferOperations } from './routes/transfers';
import { pickerOperations } from './routes/picker';

export type { ApiOperation, ApiResponseSpec } from './operation';

type Json = Record<string, unknown>;

/** JSON Schema (2020-12) of a zod schema, as OpenAPI 3.1 embeds it. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  return rest;
}

/** Express path → OpenAPI path (`:id` → `{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const errorCodeList = ERROR_CODE_LIST.map((c) => `${c} (${ERROR_CODES[c].status}): ${ERROR_CODES[c].meaning}`).join(
  '; ',
);
const errorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODE_LIST).describe(`Stable code from the catalogue (docs/errors.md): ${errorCodeList}`),
    message: z.string(),
    details: z.unknown().optional(),
  }),
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
    const tags = [...new Set(this.operations().map((o) => o.tag))]
      .sort()
      .map((name) => ({ name, description: TAGS[name] ?? name }));
    return {
      openapi: '3.1.0',
      info: {
        title: 'freshchain API',
        version: '1.0.0',
        description:
          'Fresh-grocery logistics: order intake and status, stock, picking (the picker phone page uses /picker/v1), substitutions, cold-chain alerts and webhooks. ' +
          'Bearer tokens (HS256 JWT) carry a role (ops, picker, courier, integrator); picker tokens are bound to one node. Errors are {"error": {"code", "message", "details"}}.',
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
  picker:
    "Picker tasks: one node per token; actions are idempotent (Idempotency-Key) and refused with 409 when the fulfilment's state does not allow them",
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
      out.push({
        name,
        in: 'query',
        required: required.has(name),
        schema,
        ...(schema.type === 'array' ? { style: 'form', explode: false } : {}),
      });
    }
  }
  if (op.idempotencyKey) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Required here or as idempotencyKey in the body. Retrying with the same key returns the first answer (header Idempotent-Replayed: true) and does nothing again.',
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
  return {
    ...schema,
    properties: props,
    required: ((schema.required ?? []) as string[]).filter((k) => !(k in op.bodyDefaults!)),
  };
}

function operationObject(op: ApiOperation): Json {
  const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const isError = Number(status) >= 400;
    responses[status] = {
      description: r.description,
      ...(r.schema
        ? { content: { 'application/json': { schema: jsonSchemaOf(r.schema, 'output') } } }
        : isError
          ? errorRef
          : {}),
    };
  }
  // Answers every operation can give besides its own: the input guard's 400 (any query or path
  // parameter, any body; api/boundary.ts), 401/403 from the token, 404 for an unknown id in the
  // path, 413 for a body over the limit (read only after the token is checked).
  const protectedOp = op.auth !== 'public';
  const readsBody = Boolean(op.body) || ['post', 'put', 'patch'].includes(op.method);
  if (op.body || op.query || op.params || protectedOp)
    responses['400'] ??= {
      description:
        'Invalid request: the message and details name each bad field (`customer.name`, `query.nodeId`, `orderId`)',
      ...errorRef,
    };
  if (op.auth !== 'public') {
    responses['401'] ??= {
      description: 'Missing, invalid or expired token (checked before the body is read)',
      ...errorRef,
    };
    responses['403'] ??= { description: `Needs role ${op.auth.join(' or ')}`, ...errorRef };
  }
  if (op.path.includes(':'))
    responses['404'] ??= { description: 'Not found: no such resource, or not one this caller may see', ...errorRef };
  if (readsBody) responses['413'] ??= { description: `Request body larger than ${MAX_BODY}`, ...errorRef };
  return {
    operationId: op.id,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.auth === 'public' ? { security: [] } : { security: [{ bearerAuth: [] }], 'x-roles': [...op.auth] }),
    parameters: parametersOf(op),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: bodySchema(op) } } } }
      : {}),
    responses,
  };
}

// ---- The app's own operations (app.ts); every router describes its own beside its schemas ----

const coreOperations: readonly ApiOperation[] = [
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    tag: 'meta',
    summary: 'Prometheus metrics (text exposition format)',
    auth: 'public',
    responses: { 200: { description: 'text/plain' } },
  },
  {
    id: 'health',
    method: 'get',
    path: '/healthz',
    tag: 'meta',
    summary: 'Health of the API and its dependencies (503 when one is down)',
    auth: 'public',
    responses: { 200: json('Healthy'), 503: json('Degraded: names the dependency') },
  },
  {
    id: 'openApi',
    method: 'get',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This description',
    auth: 'public',
    responses: { 200: json('OpenAPI 3.1 document') },
  },
  {
    id: 'docs',
    method: 'get',
    path: '/docs',
    tag: 'meta',
    summary: 'A page listing these operations',
    auth: 'public',
    responses: { 200: { description: 'HTML' } },
  },
  {
    id: 'whoami',
    method: 'get',
    path: '/v1/whoami',
    tag: 'meta',
    summary: 'The caller as the token says',
    auth: [...ROLES],
    responses: {
      200: {
        description: 'Principal',
        schema: z.object({
          principal: z.object({ sub: z.string(), role: z.enum(ROLES), nodeId: z.string().optional() }),
        }),
      },
    },
  },
];

/** Every operation of the API in one registry. A router that adds routes adds its list here. */
export function apiRegistry(): ApiRegistry {
  return new ApiRegistry().add(
    ...coreOperations,
    ...codecOperations,
    ...orderOperations,
    ...alertOperations,
    ...webhookOperations,
    ...forecastOperations,
    ...kpiOperations,
    ...pickerOperations,
    ...customerOperations,
    ...masterDataOperations,
    ...receiptOperations,
    ...transferOperations,
  );
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
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    );
  };
  r.get('/docs', (_req, res) => {
    headers(res);
    res.sendFile(join(dir, 'index.html'));
  });
  r.use('/docs', express.static(dir, { index: false, setHeaders: headers }));
  return r;
}
