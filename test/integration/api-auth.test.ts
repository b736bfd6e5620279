// Authorisation, route by route, against the API as it is served: every route the Express app
// registers must have a row in the matrix below (a new route without one fails), no token or a
// bad token (forged, expired, without `exp` or `iss`) is a 401, and each role is refused (403) exactly where the matrix says
// (ownership within a role: test/integration/ownership.test.ts). Then
// personal data: pickers and couriers never see a customer's name, phone or address, and the
// logs of the API and worker never carry them, even for requests that fail validation.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { Express } from 'express';
import { SignJWT } from 'jose';
import type { Role } from '../../api/auth';
import { ROLES } from '../../api/auth';
import { startApi } from '../../api/server';
import type { ApiHandle } from '../../api/server';
import { loadConfig } from '../../config';
import type { Db } from '../../db/pool';
import { createLogger } from '../../platform/logger';
import { connectTemporal } from '../../platform/temporal';
import type { TemporalHandle } from '../../platform/temporal';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import { startWorker } from '../../workflows/worker';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import type { WorkerHandle } from '../../workflows/worker';
import { intakeBody, startOrderStack, TEST_COURIER_ID } from '../support/orders';
import type { JsonBody, OrderStack } from '../support/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { eventually } from '../support/telemetry';
import { req, seedPickerWorld, waitForRow } from './picker-support';
import type { Answer } from './picker-support';

type Access = readonly Role[] | 'public';
const ANY: readonly Role[] = ROLES;
const OPS: readonly Role[] = ['ops'];
const READ: readonly Role[] = ['ops', 'integrator'];
const PICKER: readonly Role[] = ['picker'];

/** Who may call each route (OpenAPI-style paths). One row per route: a route without a row fails. */
const MATRIX: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /v1/whoami': ANY,
  'POST /v1/orders': READ,
  'GET /v1/orders/{orderId}': READ,
  'POST /v1/orders/{orderId}/cancel': READ,
  'POST /v1/orders/{orderId}/courier-events': ['courier', 'ops'],
  'POST /v1/orders/{orderId}/returns': READ,
  'GET /v1/orders/{orderId}/returns': READ,
  'POST /v1/stock/adjustments': READ,
  'POST /v1/stock/sales': READ,
  'PUT /v1/orders/{orderId}/substitution-policy': READ,
  'GET /v1/orders/{orderId}/substitutions': READ,
  'POST /v1/orders/{orderId}/substitutions/{lineId}/decision': READ,
  'GET /v1/forecasts': READ,
  'GET /v1/forecasts/runs/{runId}': READ,
  'POST /v1/forecasts/runs': OPS,
  'GET /v1/replenishment': READ,
  'GET /v1/markdowns': READ,
  'GET /v1/wave-capacity': READ,
  'GET /v1/alerts': READ,
  'GET /v1/alerts/{id}': READ,
  'POST /v1/alerts/{id}/acknowledge': OPS,
  'POST /v1/alerts/{id}/resolve': OPS,
  'POST /v1/alerts/{id}/comments': OPS,
  'POST /v1/alerts/{id}/assign': OPS,
  'GET /v1/assets/{id}/cold-chain': READ,
  'POST /v1/webhooks/subscriptions': READ,
  'GET /v1/webhooks/subscriptions': READ,
  'GET /v1/webhooks/subscriptions/{id}': READ,
  'DELETE /v1/webhooks/subscriptions/{id}': READ,
  'POST /v1/webhooks/subscriptions/{id}/enable': READ,
  'GET /v1/webhooks/events/{id}': READ,
  'POST /v1/webhooks/events/{id}/replay': READ,
  'GET /v1/customers/{customerId}': OPS,
  'GET /v1/customers/{customerId}/export': OPS,
  'DELETE /v1/customers/{customerId}': OPS,
  'GET /v1/pii-access-log': OPS,
  'GET /v1/master-data/codes': READ,
  'PUT /v1/nodes/{nodeId}': OPS,
  'GET /v1/nodes': READ,
  'GET /v1/nodes/{nodeId}': READ,
  'PUT /v1/nodes/{nodeId}/bins/{bin}': OPS,
  'GET /v1/nodes/{nodeId}/bins': OPS,
  'GET /v1/nodes/{nodeId}/bins/{bin}': OPS,
  'PUT /v1/skus/{sku}': OPS,
  'GET /v1/skus': READ,
  'GET /v1/skus/{sku}': READ,
  'PUT /v1/assets/{assetId}': OPS,
  'GET /v1/assets': OPS,
  'GET /v1/assets/{assetId}': OPS,
  'PUT /v1/sensors/{sensorId}': OPS,
  'GET /v1/sensors': OPS,
  'GET /v1/sensors/{sensorId}': OPS,
  'GET /v1/master-data/audit': OPS,
  'POST /v1/receipts': READ,
  'GET /v1/lots/{lotId}/trace': OPS,
  'POST /v1/transfers': OPS,
  'GET /v1/transfers/{id}': OPS,
  'POST /v1/transfers/{id}/picked': OPS,
  'POST /v1/transfers/{id}/shipped': OPS,
  'POST /v1/transfers/{id}/received': OPS,
  'POST /v1/transfers/{id}/cancel': OPS,
  'GET /v1/kpis': OPS,
  'GET /v1/kpis/export.csv': OPS,
  'POST /codec/encode': OPS,
  'POST /codec/decode': OPS,
  'GET /picker/v1/me': PICKER,
  'GET /picker/v1/nodes/{nodeId}/waves': PICKER,
  'POST /picker/v1/nodes/{nodeId}/claims': PICKER,
  'GET /picker/v1/nodes/{nodeId}/tasks': PICKER,
  'GET /picker/v1/fulfilments/{fulfilmentId}': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/start': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/confirm': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/short': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/skip': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/lines/{lineId}/substitute': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/stage': PICKER,
  'POST /picker/v1/fulfilments/{fulfilmentId}/hand-over': PICKER,
};

interface LayerLike {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/** Every `METHOD /path` the app routes, walking nested routers (Express 5 / router 2 layers). */
function mountedRoutes(stack: readonly LayerLike[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = (prefix + layer.route.path).replace(/(.)\/$/, '$1');
      for (const m of Object.keys(layer.route.methods).filter((x) => x !== '_all'))
        out.push(`${m.toUpperCase()} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...mountedRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return [...new Set(out)].sort();
}

/** The Express app behind a listening API. */
function appOf(api: ApiHandle): Express {
  return api.server.listeners('request')[0] as unknown as Express;
}

/** Personal data of one made-up customer, and the fragments that must never leak. */
const PII = { name: 'Qiao Fenglan', phone: '+86 139 8765 4321', address: 'Flat 12, 400 Privacy Avenue, Jing-an' };
const LEAKS = ['Qiao', 'Fenglan', '139 8765', '13987654321', '8765 4321', 'Privacy Avenue', 'Flat 12', 'Jing-an'];
function leaksIn(text: string): string[] {
  const lower = text.toLowerCase();
  return LEAKS.filter((s) => lower.includes(s.toLowerCase()));
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('API authorisation and personal data (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  const tokens = {} as Record<Role, string>;
  const pickerNode = uniqueId('authnode');

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    for (const role of ROLES) tokens[role] = await stack.token(role, role === 'picker' ? pickerNode : undefined);
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  /** A request for a route with harmless stand-ins for its path parameters and, for writes, a body no schema accepts. */
  async function probe(
    route: string,
    authorization: string | undefined,
  ): Promise<{ status: number; body: JsonBody; text: string }> {
    const [method, template] = route.split(' ') as [string, string];
    const values: Record<string, string> = {
      orderId: 'auth-probe-order',
      id: randomUUID(),
      runId: 'forecast-run-none',
      nodeId: pickerNode,
      fulfilmentId: 'order-auth-probe-f1',
      lineId: 'l1',
    };
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
    const write = method !== 'GET';
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(write ? { 'content-type': 'application/json' } : {}),
      },
      // Unknown key: strict schemas refuse it, so an allowed caller gets a 400/404, never a side effect.
      ...(write ? { body: JSON.stringify({ __authProbe: true }) } : {}),
    });
    const text = await res.text();
    let body: JsonBody;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text };
  }

  it('has a row for every route the app serves, and no row for a route it does not', () => {
    const mounted = mountedRoutes((appOf(stack.api) as unknown as { router: { stack: LayerLike[] } }).router.stack);
    expect(mounted.length).to.be.greaterThan(40);
    const missing = mounted.filter((r) => !(r in MATRIX));
    const stale = Object.keys(MATRIX).filter((r) => !mounted.includes(r));
    expect(missing, 'routes without a row in MATRIX (add one: who may call it?)').to.deep.equal([]);
    expect(stale, 'rows for routes that are not mounted').to.deep.equal([]);
  });

  it('answers 401 without a token and 403 for every role the route does not allow', async () => {
    const failures: string[] = [];
    for (const [route, access] of Object.entries(MATRIX)) {
      const anonymous = await probe(route, undefined);
      if (access === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403)
          failures.push(`${route}: public, got ${anonymous.status} without a token`);
        continue;
      }
      if (anonymous.status !== 401 || anonymous.body?.error?.code !== 'FC_UNAUTHENTICATED')
        failures.push(`${route}: no token → ${anonymous.status} ${anonymous.text.slice(0, 120)}`);
      for (const role of ROLES) {
        const res = await probe(route, `Bearer ${tokens[role]}`);
        const allowed = access.includes(role);
        if (allowed && (res.status === 401 || res.status === 403 || res.status >= 500))
          failures.push(`${route}: ${role} is allowed, got ${res.status} ${res.text.slice(0, 160)}`);
        if (!allowed && (res.status !== 403 || res.body?.error?.code !== 'FC_FORBIDDEN'))
          failures.push(`${route}: ${role} is not allowed, got ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('turns a 300 KB body away with 401 before reading it when the token is missing or bad, and with 413 only for a caller it knows', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
    const failures: string[] = [];
    for (const [route, access] of Object.entries(MATRIX)) {
      const [method, template] = route.split(' ') as [string, string];
      if (access === 'public' || !['POST', 'PUT', 'PATCH'].includes(method)) continue;
      const path = template.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === 'nodeId' ? pickerNode : name === 'id' ? randomUUID() : 'big-body-probe',
      );
      const send = async (authorization?: string) => {
        const res = await fetch(`${stack.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: big,
        });
        const body = (await res.json().catch(() => undefined)) as JsonBody;
        return { status: res.status as number, code: body?.error?.code as string | undefined };
      };
      for (const [what, authorization] of [
        ['no token', undefined],
        ['garbage token', 'Bearer not.a.jwt'],
      ] as const) {
        const r = await send(authorization);
        if (r.status !== 401 || r.code !== 'FC_UNAUTHENTICATED')
          failures.push(`${route} ${what}: ${r.status} ${r.code}`);
      }
      const r = await send(`Bearer ${tokens[access[0]!]}`);
      if (r.status !== 413 || r.code !== 'FC_BODY_TOO_LARGE')
        failures.push(`${route} as ${access[0]}: ${r.status} ${r.code}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('answers 401 to tampered, expired, forged and malformed tokens on every protected route', async () => {
    const secret = new TextEncoder().encode(stack.config.auth.tokenSecret);
    const sign = (
      claims: Record<string, unknown>,
      opts: { exp?: number | string | null; iss?: string | null; key?: Uint8Array } = {},
    ) => {
      let jwt = new SignJWT({ sub: 'mallory', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
      if (opts.iss !== null) jwt = jwt.setIssuer(opts.iss ?? 'freshchain');
      if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? '1h');
      return jwt.sign(opts.key ?? secret);
    };
    // An integrator's token whose payload now says ops, signature unchanged.
    const [head, payload, signature] = tokens.integrator.split('.') as [string, string, string];
    const escalated = `${head}.${b64url(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ops' }))}.${signature}`;
    const bad: Record<string, string> = {
      'tampered payload': `Bearer ${escalated}`,
      'tampered signature': `Bearer ${head}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`,
      expired: `Bearer ${await sign({ role: 'ops' }, { exp: Math.floor(Date.now() / 1000) - 60 })}`,
      'wrong key': `Bearer ${await sign({ role: 'ops' }, { key: new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret') })}`,
      'wrong issuer': `Bearer ${await sign({ role: 'ops' }, { iss: 'someone-else' })}`,
      'no expiry': `Bearer ${await sign({ role: 'ops' }, { exp: null })}`,
      'no issuer': `Bearer ${await sign({ role: 'ops' }, { iss: null })}`,
      'expiry a century away': `Bearer ${await sign({ role: 'ops' }, { exp: Math.floor(Date.now() / 1000) + 100 * 365 * 86_400 })}`,
      'NUL in the subject': `Bearer ${await sign({ role: 'ops', sub: 'mal\u0000lory' })}`,
      'alg none': `Bearer ${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: 'mallory', role: 'ops', iss: 'freshchain', exp: Math.floor(Date.now() / 1000) + 3600 }))}.`,
      'unknown role': `Bearer ${await sign({ role: 'admin' })}`,
      'not a bearer': `Basic ${Buffer.from('ops:ops').toString('base64')}`,
      garbage: 'Bearer not.a.jwt',
    };
    const failures: string[] = [];
    for (const [route, access] of Object.entries(MATRIX)) {
      if (access === 'public') continue;
      for (const [what, authorization] of Object.entries(bad)) {
        const res = await probe(route, authorization);
        if (res.status !== 401) failures.push(`${route}: ${what} → ${res.status}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('never shows pickers or couriers the customer’s name, phone or address', async () => {
    const w = await seedPickerWorld(db);
    const orderId = uniqueId('pii');
    const placed = await req(
      `${stack.url}/v1/orders`,
      'POST',
      tokens.integrator,
      intakeBody(
        {
          orderId,
          location: w.city.nodes[0]!.location,
          lines: [
            { lineId: 'l1', sku: w.sku('MILK'), qty: 1 },
            { lineId: 'l2', sku: w.sku('RICE'), qty: 1 },
          ],
        },
        { customer: { id: `cust-${orderId}`, ...PII } },
      ),
    );
    expect(placed.status, JSON.stringify(placed.body)).to.equal(202);
    const fulfilmentId = `${orderWorkflowId(orderId)}-f1`;
    await waitForRow(db, fulfilmentId, () => true);

    const picker = await stack.token('picker', w.n0);
    const seen: { what: string; res: Answer }[] = [];
    const send = async (what: string, method: string, url: string, token: string, body?: unknown, key?: string) => {
      const res = await req(`${stack.url}${url}`, method, token, body, key);
      seen.push({ what, res });
      return res;
    };
    const pk = (what: string, method: string, path: string, body?: unknown) =>
      send(what, method, `/picker/v1${path}`, picker, body, method === 'POST' ? uniqueId('k') : undefined);

    await pk('me', 'GET', '/me');
    const waves = await pk('waves', 'GET', `/nodes/${w.n0}/waves`);
    for (const wave of (waves.body.waves as { waveId: string; fulfilments: { fulfilmentId: string }[] }[]).filter((x) =>
      x.fulfilments.some((f) => f.fulfilmentId === fulfilmentId),
    )) {
      expect((await pk('claim', 'POST', `/nodes/${w.n0}/claims`, { waveId: wave.waveId })).status).to.equal(200);
    }
    const tasks = await pk('tasks', 'GET', `/nodes/${w.n0}/tasks`);
    const task = (tasks.body.tasks as JsonBody[]).find((t) => t.fulfilmentId === fulfilmentId);
    // The masked hand-over check is there (so this test did look at customer data), nothing more.
    expect(task.customer).to.deep.equal({ name: 'Q**', phone: '*******4321' });
    for (const step of tasks.body.pickPath as {
      fulfilmentId: string;
      lineId: string;
      sku: string;
      lotId: string;
      qty: number;
    }[]) {
      if (step.fulfilmentId !== fulfilmentId) continue;
      await pk('start', 'POST', `/fulfilments/${fulfilmentId}/lines/${step.lineId}/start`, {});
      expect(
        (
          await pk('confirm', 'POST', `/fulfilments/${fulfilmentId}/lines/${step.lineId}/confirm`, {
            sku: step.sku,
            lotId: step.lotId,
            qty: step.qty,
          })
        ).status,
      ).to.equal(200);
    }
    const picked = await pk('task', 'GET', `/fulfilments/${fulfilmentId}`);
    await pk('refused skip', 'POST', `/fulfilments/${fulfilmentId}/lines/l1/skip`, {});
    expect(
      (
        await pk('stage', 'POST', `/fulfilments/${fulfilmentId}/stage`, {
          location: 'S-01',
          toteLabels: picked.body.totesToStage,
        })
      ).status,
    ).to.equal(200);
    // Handed over to the courier whose token delivers it below (a courier reaches only its own deliveries).
    expect(
      (await pk('hand over', 'POST', `/fulfilments/${fulfilmentId}/hand-over`, { courierId: TEST_COURIER_ID })).status,
    ).to.equal(200);
    await pk('after hand-over', 'GET', `/fulfilments/${fulfilmentId}`);
    await send('picker reads the order', 'GET', `/v1/orders/${orderId}`, picker);

    const courier = tokens.courier;
    await send('courier whoami', 'GET', '/v1/whoami', courier);
    await send('courier reads the order', 'GET', `/v1/orders/${orderId}`, courier);
    await send('courier reads substitutions', 'GET', `/v1/orders/${orderId}/substitutions`, courier);
    await send('courier dispatches again', 'POST', `/v1/orders/${orderId}/courier-events`, courier, {
      type: 'dispatched',
      fulfilmentId,
      courierId: TEST_COURIER_ID,
    });
    const delivered = await send('courier delivers', 'POST', `/v1/orders/${orderId}/courier-events`, courier, {
      type: 'delivered',
      fulfilmentId,
    });
    expect(delivered.body.state).to.equal('delivered');
    await send('courier delivers twice', 'POST', `/v1/orders/${orderId}/courier-events`, courier, {
      type: 'delivered',
      fulfilmentId,
    });

    expect(seen.length).to.be.greaterThan(14);
    const leaks = seen.flatMap(({ what, res }) =>
      leaksIn(JSON.stringify(res.body ?? null)).map((s) => `${what}: ${s}`),
    );
    expect(leaks).to.deep.equal([]);
    // Ops may read the order; even there the stored order holds no personal data.
    const asOps = await req(`${stack.url}/v1/orders/${orderId}`, 'GET', tokens.ops);
    expect(asOps.status).to.equal(200);
    expect(leaksIn(JSON.stringify(asOps.body))).to.deep.equal([]);
  });

  it('keeps personal data out of the logs of the API and the worker, for good and bad requests', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('trace', sink);
    const config = loadConfig({
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'trace',
      TEMPORAL_TASK_QUEUE: uniqueId('tq-pii'),
    });
    let worker: WorkerHandle | undefined;
    let temporal: TemporalHandle | undefined;
    let api: ApiHandle | undefined;
    try {
      worker = await startWorker(config, { db, logger });
      temporal = await connectTemporal(config.temporal);
      api = await startApi(config, { db, temporal, logger }, 0);
      const url = `http://127.0.0.1:${api.port}`;
      const w = await seedPickerWorld(db);
      const orderId = uniqueId('pii-log');
      const body = intakeBody(
        { orderId, location: w.city.nodes[0]!.location, lines: [{ lineId: 'l1', sku: w.sku('RICE'), qty: 1 }] },
        { customer: { id: `cust-${orderId}`, ...PII } },
      );
      const statuses: number[] = [];
      const post = async (
        payload: string,
        contentType = 'application/json',
        path = '/v1/orders',
        token = tokens.integrator,
      ) => {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
          body: payload,
        });
        statuses.push(res.status);
        await res.text();
      };
      await post(JSON.stringify(body));
      await post(JSON.stringify(body)); // duplicate
      await post(
        JSON.stringify({
          ...body,
          orderId: `${orderId}-x`,
          customer: { ...body.customer, phone: `call ${PII.name} at ${PII.address}` },
        }),
      );
      await post(
        JSON.stringify({
          ...body,
          orderId: `${orderId}-y`,
          note: `deliver to ${PII.address}`,
          customer: { ...body.customer, email: PII.name },
        }),
      );
      await post(
        `{"orderId": "${orderId}-z", "customer": {"name": "${PII.name}", "phone": "${PII.phone}", "address": "${PII.address}"`,
      );
      await post(
        `name=${encodeURIComponent(PII.name)}&address=${encodeURIComponent(PII.address)}`,
        'application/x-www-form-urlencoded',
      );
      expect(statuses).to.deep.equal([202, 200, 400, 400, 400, 400]);
      // Let the workflow and its activities run (and log).
      const handle = temporal.client.workflow.getHandle(orderWorkflowId(orderId));
      const allocated = await eventually(
        async () => (await handle.query(orderStatusQuery).catch(() => undefined))?.status === 'allocated',
        20_000,
        100,
      );
      expect(allocated).to.equal(true);
      const read = await fetch(
        `${url}/v1/orders/${orderId}?name=${encodeURIComponent(PII.name)}&phone=${encodeURIComponent(PII.phone)}`,
        { headers: { authorization: `Bearer ${tokens.ops}`, 'x-customer': PII.name } },
      );
      expect(read.status).to.equal(200);
      await read.text();
      // Requests that fail validation with personal data in them, then the order's whole life
      // through the worker (picking, packing, dispatch, delivery all log).
      await post(
        JSON.stringify({ reason: `customer ${PII.name} (${PII.phone}) moved to ${PII.address}. `.repeat(20) }),
        'application/json',
        `/v1/orders/${orderId}/cancel`,
      );
      await post(
        JSON.stringify({ type: 'dispatched', fulfilmentId: `${orderWorkflowId(orderId)}-f1`, courierId: PII.name }),
        'application/json',
        `/v1/orders/${orderId}/courier-events`,
        tokens.courier,
      );
      expect(statuses.slice(-2)).to.deep.equal([400, 400]);
      await driveFulfilment(temporal.client, `${orderWorkflowId(orderId)}-f1`);
      const types = (
        await db.query<{ type: string }>('SELECT type FROM order_events WHERE order_id = $1', [orderId])
      ).map((r) => r.type);
      expect(types).to.include.members([
        'received',
        'allocated',
        'picking',
        'line_picked',
        'packed',
        'dispatched',
        'delivered',
      ]);
    } finally {
      await api?.stop();
      await worker?.stop();
      await temporal?.connection.close();
    }
    const text = lines.join('');
    // The capture works: request lines of the intake, good and bad, are in it.
    const requests = lines
      .map((l) => JSON.parse(l) as { msg?: string; route?: string; status?: number })
      .filter((l) => l.msg === 'request');
    expect(requests.filter((r) => r.route === '/v1/orders').map((r) => r.status)).to.include.members([202, 200]);
    expect(requests.filter((r) => r.status === 400)).to.have.length.of.at.least(6);
    expect(lines.length).to.be.greaterThan(8);
    expect(leaksIn(text)).to.deep.equal([]);
  });
});
