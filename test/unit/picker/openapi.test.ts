// The API description covers every mounted route and is generated from the request schemas.
import type { Client } from '@temporalio/client';
import { expect } from 'chai';
import type { Request } from 'express';
import { buildApp } from '../../../api/app';
import type { ApiError } from '../../../api/errors';
import { apiRegistry, jsonSchemaOf, openApiPath } from '../../../api/openapi';
import { confirmBody, idempotencyKeyOf, policyBody } from '../../../api/routes/picker';
import { orderIntakeSchema } from '../../../api/routes/orders';
import { loadConfig } from '../../../config';
import type { Db } from '../../../db/pool';
import { createLogger } from '../../../platform/logger';

interface LayerLike {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/** Every METHOD /path the app routes, walking nested routers (Express 5 / router 2 layers). */
function mountedRoutes(stack: LayerLike[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = (prefix + layer.route.path).replace(/(.)\/$/, '$1'); // a router's '/' is its mount path
      for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
        out.push(`${method.toUpperCase()} ${openApiPath(path)}`);
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...mountedRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

describe('OpenAPI description', () => {
  const config = loadConfig({ ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'silent' });
  // Routers only close over their dependencies when built, so stand-ins do for listing routes.
  const app = buildApp({
    config,
    logger: createLogger('silent'),
    health: { db: {} as Db },
    db: {} as Db,
    temporal: {} as Client,
  } as Parameters<typeof buildApp>[0]);
  const registry = apiRegistry();
  const doc = registry.document() as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          parameters: { name: string; in: string }[];
          security: unknown[];
          requestBody?: { content: { 'application/json': { schema: unknown } } };
        }
      >
    >;
  };

  it('documents every route mounted on the app, and nothing that is not mounted', () => {
    const mounted = [
      ...new Set(mountedRoutes((app as unknown as { router: { stack: LayerLike[] } }).router.stack)),
    ].sort();
    expect(mounted.length).to.be.greaterThan(30);
    expect(mounted).to.include.members([
      'POST /v1/orders',
      'GET /picker/v1/nodes/{nodeId}/waves',
      'GET /v1/alerts',
      'POST /v1/webhooks/subscriptions',
      'GET /openapi.json',
    ]);
    expect(mounted, 'every mounted route is described').to.deep.equal([...registry.keys()].sort());
  });

  it('is OpenAPI 3.1 with unique operation ids, declared path parameters and security on protected routes', () => {
    expect(doc.openapi).to.equal('3.1.0');
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        ids.push(op.operationId);
        const declared = op.parameters
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort();
        expect(declared, `${method} ${path}`).to.deep.equal([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
        if (path.startsWith('/v1/') || path.startsWith('/picker/v1/'))
          expect(op.security, `${method} ${path}`).to.deep.equal([{ bearerAuth: [] }]);
      }
    }
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('takes request bodies from the very schemas that validate them', () => {
    const body = (path: string, method: string) =>
      doc.paths[path]![method]!.requestBody!.content['application/json'].schema;
    expect(body('/picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/confirm', 'post')).to.deep.equal(
      jsonSchemaOf(confirmBody, 'input'),
    );
    expect(body('/v1/orders', 'post')).to.deep.equal(jsonSchemaOf(orderIntakeSchema, 'input'));
    expect(body('/v1/orders/{orderId}/substitution-policy', 'put')).to.deep.equal(jsonSchemaOf(policyBody, 'input'));
    const confirm = body('/picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/confirm', 'post') as {
      required: string[];
      additionalProperties: boolean;
    };
    expect(confirm.required.sort()).to.deep.equal(['lotId', 'qty', 'sku']);
    expect(confirm.additionalProperties).to.equal(false);
    const params = doc.paths['/picker/v1/fulfilments/{fulfilmentId}/stage']!.post!.parameters.map(
      (p) => `${p.in}:${p.name}`,
    );
    expect(params).to.deep.equal(['path:fulfilmentId', 'header:Idempotency-Key']);
  });

  it('refuses to register the same operation twice', () => {
    const [op] = registry.operations();
    expect(() => apiRegistry().add(op!)).to.throw(/registered twice/);
  });
});

describe('idempotency key of a request', () => {
  const request = (header?: string) =>
    ({ get: (name: string) => (name.toLowerCase() === 'idempotency-key' ? header : undefined) }) as unknown as Request;
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as ApiError).code;
    }
    return 'none';
  };

  it('comes from the header or the body, and they must agree', () => {
    expect(idempotencyKeyOf(request('k-1'), {})).to.equal('k-1');
    expect(idempotencyKeyOf(request(), { idempotencyKey: 'k-2' })).to.equal('k-2');
    expect(idempotencyKeyOf(request('k-3'), { idempotencyKey: 'k-3' })).to.equal('k-3');
    expect(code(() => idempotencyKeyOf(request('k-3'), { idempotencyKey: 'k-4' }))).to.equal('FC_VALIDATION');
    expect(code(() => idempotencyKeyOf(request(), {}))).to.equal('FC_IDEMPOTENCY_KEY_REQUIRED');
    expect(code(() => idempotencyKeyOf(request('has space'), {}))).to.equal('FC_VALIDATION');
  });
});
