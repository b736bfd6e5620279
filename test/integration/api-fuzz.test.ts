// Bad input everywhere gets a clear 4xx, never a 500. Request bodies are generated from the
// API's own JSON Schemas (api/openapi.ts: the very zod schemas the routes validate with) by a
// seeded generator: valid-looking bodies, bodies with one field broken (wrong type, missing,
// out of range, huge, unicode, unknown keys, __proto__), junk trees, malformed JSON, deep
// nesting, oversized bodies, wrong content types and encodings. Path parameters mix real ids
// (a small world with open fulfilments) with junk. Every POST and PUT route the app mounts is
// hit, with a token that may call it; queries of the GET routes get junk too. Loopback only.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import { apiRegistry } from '../../api/openapi';
import type { Db } from '../../db/pool';
import { orderWorkflowId } from '../../workflows/order.contract';
import { intakeBody, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { seededRandom } from '../unit/coldchain/helpers';
import { req, seedPickerWorld, waitForRow } from './picker-support';
import type { PickerWorld } from './picker-support';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;

interface LayerLike {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

function mountedRoutes(stack: readonly LayerLike[], prefix = ''): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = (prefix + layer.route.path).replace(/(.)\/$/, '$1');
      for (const m of Object.keys(layer.route.methods).filter((x) => x !== '_all'))
        out.push({ method: m.toUpperCase(), path });
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...mountedRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

const ID_RE = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0041\u0042',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '💥🔥',
  '\ud83d',
  'é',
  'ǅ',
  '../../etc/passwd',
  '%00',
  '%',
  '<script>alert(1)</script>',
  "'; DROP TABLE orders; --",
  '${jndi:ldap://x}',
  '{{7*7}}',
  'null',
  'true',
  '0',
  '-1',
  '1e999',
  'NaN',
  '\\',
  '"',
  '\n\r\t',
  'a'.repeat(300),
  'ا'.repeat(70),
  'order--f1',
  '__proto__',
  'constructor',
];

/** A seeded generator of values for JSON Schemas (draft 2020-12 as zod emits them). */
function makeGen(seed: number, pools: Record<string, string[]>) {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number) => rand() < p;
  const alnum = (n: number) =>
    Array.from({ length: n }, () => pick([...'abcdefghijklmnopqrstuvwxyz0123456789'])).join('');

  const junk = (depth = 0): Json => {
    const r = rand();
    if (depth > 4 || r < 0.45)
      return pick<Json>([
        null,
        true,
        false,
        0,
        -1,
        1.5,
        1e308,
        -1e308,
        2 ** 53 + 1,
        pick(NASTY_STRINGS),
        alnum(1 + int(12)),
      ]);
    if (r < 0.7) return Array.from({ length: int(5) }, () => junk(depth + 1));
    return Object.fromEntries(
      Array.from({ length: int(5) }, () => [
        pick(['a', 'id', 'type', 'lines', 'qty', 'sku', '', '💥', alnum(4)]),
        junk(depth + 1),
      ]),
    );
  };

  const stringFor = (s: Schema, key: string): string => {
    const pattern = typeof s.pattern === 'string' ? s.pattern : undefined;
    if (pools[key] && chance(0.7)) return pick(pools[key]!);
    if (s.format === 'date-time') return new Date(Date.now() + (int(200) - 100) * 3_600_000).toISOString();
    if (s.format === 'date') return new Date(Date.now() - int(30) * 86_400_000).toISOString().slice(0, 10);
    if (s.format === 'uri')
      return `http://127.0.0.1:9/${chance(0.15) ? pick(['a\u0000b', '\ud800', '💥', '%00', 'a b']) : alnum(6)}`;
    // Free text within its length limits, but with the characters that trip storage: NUL,
    // lone surrogates, bidi overrides, astral planes.
    if (!pattern && chance(0.15)) {
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      return pick(['a\u0000b', '\ud800', '\udfff\ud800', '\u202eabc', '💥', 'é\u0301', '\u0000']).padEnd(min, 'x');
    }
    if (pattern === ID_RE) return alnum(1 + int(20));
    if (pattern?.startsWith('^whsec_')) return `whsec_${randomBytes(32).toString('base64')}`;
    if (pattern?.startsWith('^[0-9a-f]{8}')) return randomUUID();
    if (pattern?.includes('0-9 ()-')) return `+86 1${int(10)}${int(10)} ${1000 + int(9000)} ${1000 + int(9000)}`;
    if (pattern?.startsWith('^[A-Za-z0-9._:-]')) return `k-${alnum(12)}`;
    const min = typeof s.minLength === 'number' ? s.minLength : 1;
    const max = typeof s.maxLength === 'number' ? Math.min(s.maxLength, min + 40) : min + 20;
    return alnum(min + int(Math.max(1, max - min + 1)));
  };

  /** A value the schema accepts (as far as patterns allow), drawing ids from the pools by key. */
  const valid = (s: Schema | undefined, key = '', depth = 0): Json => {
    if (!s || depth > 8) return junk(depth);
    if ('const' in s) return s.const as Json;
    if (Array.isArray(s.enum)) return pick(s.enum as Json[]);
    const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (branches?.length) return valid(pick(branches), key, depth + 1);
    const type = Array.isArray(s.type) ? pick(s.type as string[]) : s.type;
    switch (type) {
      case 'object': {
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const required = new Set((s.required ?? []) as string[]);
        const out: Record<string, Json> = {};
        for (const [k, p] of Object.entries(props)) if (required.has(k) || chance(0.6)) out[k] = valid(p, k, depth + 1);
        return out;
      }
      case 'array': {
        const min = typeof s.minItems === 'number' ? s.minItems : 0;
        const max = typeof s.maxItems === 'number' ? Math.min(s.maxItems, min + 3) : min + 3;
        return Array.from({ length: min + int(max - min + 1) }, () => valid(s.items as Schema, key, depth + 1));
      }
      case 'string':
        return stringFor(s, key);
      case 'integer':
      case 'number': {
        const lo = typeof s.minimum === 'number' ? s.minimum : -1000;
        const hi = typeof s.maximum === 'number' ? s.maximum : 1000;
        const v = lo + rand() * (Math.min(hi, lo + 2000) - lo);
        return type === 'integer' ? Math.min(hi, Math.max(lo, Math.round(v))) : v;
      }
      case 'boolean':
        return chance(0.5);
      case 'null':
        return null;
      default:
        return junk(depth);
    }
  };

  /** The same value with one thing broken somewhere inside it. */
  const mutate = (v: Json, depth = 0): Json => {
    const isObj = v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObj && Object.keys(v).length && chance(0.75)) {
      const o = { ...(v as Record<string, Json>) };
      const k = pick(Object.keys(o));
      const r = rand();
      if (r < 0.2) delete o[k];
      else if (r < 0.3) o[pick(['unknownKey', 'admin', 'role', '💥', alnum(5)])] = junk();
      else o[k] = mutate(o[k] as Json, depth + 1);
      return o;
    }
    if (Array.isArray(v) && v.length && chance(0.6)) {
      const a = [...v];
      const i = int(a.length);
      if (chance(0.3)) a.splice(i, 1);
      else a[i] = mutate(a[i] as Json, depth + 1);
      return chance(0.1) ? Array.from({ length: 150 }, () => a[0] ?? null) : a;
    }
    return pick<() => Json>([
      () => junk(depth),
      () => null,
      () => (typeof v === 'string' ? Number(v.length) : String(v)),
      () => pick(NASTY_STRINGS),
      () => 'x'.repeat(1000 + int(20_000)),
      () => pick([-1, 0, 1e308, -1e308, 0.5, 2 ** 31, 2 ** 53 + 1, 1e-300]),
      () => [v],
      () => ({ value: v }),
    ])();
  };

  return { rand, int, pick, chance, alnum, junk, valid, mutate };
}

type Gen = ReturnType<typeof makeGen>;

interface Target {
  method: string;
  path: string;
  schema?: Schema;
  token: 'ops' | 'picker' | 'courier';
}
interface Sent {
  target: Target;
  url: string;
  contentType: string | null;
  encoding?: string;
  body: string | Uint8Array | undefined;
  note: string;
}

/** decodeURIComponent, or the text as it is when it is not valid percent-encoding. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) is sent as raw junk percent-escapes. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%BD';
  }
}

describe('API fuzz: bad input gets a clear 4xx, never a 5xx (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  let world: PickerWorld;
  const tokens: Record<string, string> = {};
  const real = { orderIds: [] as string[], fulfilmentIds: [] as string[], alertId: '' };
  const fuzzNode = uniqueId('fuzznode');

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    world = await seedPickerWorld(db);
    tokens.ops = await stack.token('ops');
    tokens.courier = await stack.token('courier');
    tokens.picker = await stack.token('picker', world.n0);
    const integrator = await stack.token('integrator');
    // Two real orders with open fulfilments at N0, so picker and courier bodies reach the workflows.
    for (let i = 0; i < 2; i++) {
      const orderId = uniqueId('fz');
      const res = await req(
        `${stack.url}/v1/orders`,
        'POST',
        integrator,
        intakeBody({
          orderId,
          location: world.city.nodes[0]!.location,
          lines: [
            { lineId: 'l1', sku: world.sku('RICE'), qty: 1 },
            { lineId: 'l2', sku: world.sku('MILK'), qty: 1 },
          ],
        }),
      );
      expect(res.status).to.equal(202);
      real.orderIds.push(orderId);
      real.fulfilmentIds.push(`${orderWorkflowId(orderId)}-f1`);
      await waitForRow(db, `${orderWorkflowId(orderId)}-f1`, () => true);
    }
    // The first one is being picked by this picker (its waves claimed).
    const waves = (await req(`${stack.url}/picker/v1/nodes/${world.n0}/waves`, 'GET', tokens.picker)).body.waves as {
      waveId: string;
      fulfilments: { fulfilmentId: string }[];
    }[];
    for (const w of waves.filter((x) => x.fulfilments.some((f) => f.fulfilmentId === real.fulfilmentIds[0]))) {
      expect(
        (
          await req(
            `${stack.url}/picker/v1/nodes/${world.n0}/claims`,
            'POST',
            tokens.picker,
            { waveId: w.waveId },
            uniqueId('k'),
          )
        ).status,
      ).to.equal(200);
    }
    // A resolved alert of a node nobody watches: comments on it are stored, every other action is
    // refused (409), and none of them publishes a webhook.
    real.alertId = (
      await db.query<{ id: string }>(
        `INSERT INTO alerts (source_id, kind, rule, sensor_id, asset_id, node_id, profile_id, title, status, severity, severity_since, opened_at, window_start, window_end, resolved_at)
       VALUES ($1, 'excursion', 'fuzz', 's', 'a', $2, 'chilled', 'fuzz', 'resolved', 'warning', now(), now(), now(), now(), now()) RETURNING id`,
        [uniqueId('fuzz-src'), fuzzNode],
      )
    )[0]!.id;
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  it('answers with a 4xx what the fuzz found answered with a 500 (regressions)', async () => {
    const ops = tokens.ops!;
    const cases: [string, string, string, unknown, number][] = [
      // NUL reached PostgreSQL text columns.
      [
        'subscription description with NUL',
        'POST',
        '/v1/webhooks/subscriptions',
        { url: 'http://127.0.0.1:9/x', nodeIds: [fuzzNode], description: 'a\u0000b' },
        400,
      ],
      [
        'subscription URL with NUL',
        'POST',
        '/v1/webhooks/subscriptions',
        { url: 'http://127.0.0.1:9/a\u0000b', nodeIds: [fuzzNode] },
        400,
      ],
      ['alert comment with NUL', 'POST', `/v1/alerts/${real.alertId}/comments`, { text: 'a\u0000b' }, 400],
      ['alert assignee with NUL', 'POST', `/v1/alerts/${real.alertId}/assign`, { assignee: 'a\u0000b' }, 400],
      // Since the input guard: a NUL in a path parameter is a 400 naming it, before any route.
      ['webhook event id with NUL', 'GET', '/v1/webhooks/events/a%00b', undefined, 400],
      ['replay of an event id with NUL', 'POST', '/v1/webhooks/events/%00/replay', {}, 400],
      // A lone surrogate (or a huge number) in a fulfilment id reached Temporal as a workflow id.
      [
        'fulfilment id with a lone surrogate',
        'POST',
        `/v1/orders/${real.orderIds[1]}/courier-events`,
        { type: 'delivered', fulfilmentId: `${orderWorkflowId(real.orderIds[1]!)}-f\ud800` },
        400,
      ],
      [
        'fulfilment id of 1,100 digits',
        'POST',
        `/v1/orders/${real.orderIds[1]}/courier-events`,
        { type: 'delivered', fulfilmentId: `${orderWorkflowId(real.orderIds[1]!)}-f${'1'.repeat(1100)}` },
        400,
      ],
    ];
    for (const [what, method, path, body, status] of cases) {
      const res = await req(
        `${stack.url}${path}`,
        method,
        method === 'POST' && path.endsWith('/courier-events') ? tokens.courier : ops,
        body,
      );
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(status);
      expect(res.body.error.message, what).to.be.a('string').and.not.equal('internal error');
    }
    // A receipt that would take a lot past the largest quantity it can hold (PostgreSQL integer).
    await db.query('UPDATE lots SET on_hand = 2147483000 WHERE lot_id = $1', [world.lot('TEA-A')]);
    const receipt = await req(`${stack.url}/v1/stock/adjustments`, 'POST', ops, {
      adjustmentId: uniqueId('adj'),
      lotId: world.lot('TEA-A'),
      kind: 'receipt',
      qty: 1_000_000,
    });
    expect(receipt.status, JSON.stringify(receipt.body)).to.equal(409);
    expect(receipt.body.error.message).to.match(/largest quantity/);
    // Concurrent replacements of one order's substitution policy: each one stands or gets a 409.
    const orderId = uniqueId('race');
    const placed = await req(
      `${stack.url}/v1/orders`,
      'POST',
      ops,
      intakeBody({
        orderId,
        location: world.city.nodes[0]!.location,
        lines: [{ lineId: 'l1', sku: world.sku('RICE'), qty: 1 }],
      }),
    );
    expect(placed.status, 'a policy is only for an order that exists').to.equal(202);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        req(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', ops, {
          default: i % 2 ? 'refund' : 'best_match',
        }),
      ),
    );
    expect(
      answers.map((a) => a.status).filter((s) => s !== 200 && s !== 409),
      JSON.stringify(answers.map((a) => a.body)),
    ).to.deep.equal([]);
    expect(answers.some((a) => a.status === 200)).to.equal(true);
  });

  it('refuses a hostile corpus in order intake with a 4xx naming the field, and stores nothing of it', async () => {
    const integrator = await stack.token('integrator');
    /** The raw JSON text of a valid order whose string at `name` is replaced by raw JSON `value`. */
    const order = (orderId: string, patch: (body: Record<string, unknown>) => void = () => undefined) => {
      const body = intakeBody({
        orderId,
        location: world.city.nodes[0]!.location,
        lines: [{ lineId: 'l1', sku: world.sku('RICE'), qty: 1 }],
      }) as Record<string, unknown>;
      patch(body);
      return body;
    };
    const customer = (b: Record<string, unknown>) => b.customer as Record<string, unknown>;
    /** `field`: the path the error names (`deep.0.0` and deeper for nesting, hence startsWith for that one). */
    type Case = {
      what: string;
      text: (orderId: string) => string | Uint8Array;
      status: number;
      code: string;
      field?: string;
      message?: RegExp;
    };
    const corpus: Case[] = [
      {
        what: 'NUL in the customer name',
        text: (id) => JSON.stringify(order(id, (b) => (customer(b).name = 'Li\u0000Wei'))),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.name',
        message: /NUL/,
      },
      {
        what: 'NUL as \\u0000 escape in the address',
        text: (id) => JSON.stringify(order(id)).replace('88 Test Road', '88 Test\\u0000Road'),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.address',
        message: /NUL/,
      },
      {
        what: 'lone high surrogate in the name',
        text: (id) => JSON.stringify(order(id, (b) => (customer(b).name = 'Li\ud800Wei'))),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.name',
        message: /lone surrogate/,
      },
      {
        what: 'lone low surrogate in a line id',
        text: (id) => JSON.stringify(order(id)).replace('"l1"', '"l\\udc001"'),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'lines.0.lineId',
        message: /lone surrogate/,
      },
      {
        what: 'terminal escape in the phone',
        text: (id) => JSON.stringify(order(id, (b) => (customer(b).phone = '\u001b[2J+86 138 0000 5678'))),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.phone',
        message: /U\+001B/,
      },
      {
        what: '__proto__ at the top',
        text: (id) => `{"__proto__":{"admin":true},${JSON.stringify(order(id)).slice(1)}`,
        status: 400,
        code: 'FC_VALIDATION',
        field: '__proto__',
        message: /key not allowed/,
      },
      {
        what: 'constructor in the customer',
        text: (id) =>
          JSON.stringify(order(id)).replace('"customer":{', '"customer":{"constructor":{"prototype":{"x":1}},'),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.constructor',
      },
      {
        what: 'a key with NUL in the customer',
        text: (id) => JSON.stringify(order(id)).replace('"customer":{', '"customer":{"na\\u0000me":"x",'),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer',
        message: /a key contains a NUL/,
      },
      {
        what: '5,000-deep nesting',
        text: (id) =>
          JSON.stringify(order(id)).replace('"slot":', `"deep":${'['.repeat(5000)}${']'.repeat(5000)},"slot":`),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'deep.0.0',
        message: /nested deeper/,
      },
      {
        what: 'a 200 KiB name',
        text: (id) => JSON.stringify(order(id, (b) => (customer(b).name = 'W'.repeat(200 * 1024)))),
        status: 400,
        code: 'FC_VALIDATION',
        field: 'customer.name',
      },
      {
        what: 'a 256 KiB name',
        text: (id) => JSON.stringify(order(id, (b) => (customer(b).name = 'W'.repeat(256 * 1024)))),
        status: 413,
        code: 'FC_BODY_TOO_LARGE',
      },
      {
        what: 'invalid UTF-8 in the name',
        text: (id) =>
          Buffer.from(
            JSON.stringify(order(id, (b) => (customer(b).name = 'Li@@Wei'))).replace('@@', '\u0000\u0000'),
            'utf8',
          ).map((c) => (c === 0 ? 0xff : c)),
        status: 400,
        code: 'FC_MALFORMED_JSON',
        message: /UTF-8/,
      },
    ];
    const ids: string[] = [];
    const failures: string[] = [];
    for (const c of corpus) {
      const orderId = uniqueId('hostile');
      ids.push(orderId);
      const res = await fetch(`${stack.url}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${integrator}`, 'content-type': 'application/json' },
        body: c.text(orderId),
      });
      const body = (await res.json()) as { error?: { code: string; message: string; details?: { path: string }[] } };
      const problems = [
        res.status !== c.status && `status ${res.status}`,
        body.error?.code !== c.code && `code ${body.error?.code}`,
        c.field &&
          !(
            body.error?.details?.[0]?.path === c.field ||
            (c.field === 'deep.0.0' && body.error?.details?.[0]?.path.startsWith(c.field))
          ) &&
          `field ${body.error?.details?.[0]?.path}`,
        c.field && !body.error?.message.startsWith(`${c.field}`) && 'message does not start with the field',
        c.message && !c.message.test(body.error?.message ?? '') && 'message',
      ].filter(Boolean);
      if (problems.length) failures.push(`${c.what}: ${problems.join(', ')} — ${JSON.stringify(body).slice(0, 300)}`);
    }
    // Hostile path and query parameters on the order's read routes.
    for (const [path, field] of [
      [`/v1/orders/${ids[0]}%00`, 'orderId'],
      [`/v1/orders/${ids[0]}/returns?x=%07`, 'query.x'],
      [`/v1/orders/${ids[0]}/substitutions?__proto__=1`, 'query.__proto__'],
    ] as const) {
      const res = await req(`${stack.url}${path}`, 'GET', tokens.ops);
      if (res.status !== 400 || res.body?.error?.details?.[0]?.path !== field)
        failures.push(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(failures).to.deep.equal([]);

    // The same order without the hostile part is accepted: what was refused was only the hostility.
    const control = uniqueId('hostile-control');
    expect((await req(`${stack.url}/v1/orders`, 'POST', integrator, order(control))).status).to.equal(202);
    // Nothing of the refused ones reached the database or Temporal.
    expect(await db.query('SELECT order_id FROM orders WHERE order_id = ANY($1)', [ids])).to.deep.equal([]);
    expect(
      await db.query('SELECT customer_id FROM customers WHERE customer_id = ANY($1)', [ids.map((id) => `cust-${id}`)]),
    ).to.deep.equal([]);
    for (const id of ids) {
      const described = await stack.client.workflow
        .getHandle(orderWorkflowId(id))
        .describe()
        .then(
          () => 'started',
          (e: Error) => e.name,
        );
      expect(described, id).to.equal('WorkflowNotFoundError');
    }
  });

  it('answers thousands of generated requests on every POST/PUT route with 2xx/4xx and a JSON error body', async () => {
    const started = Date.now();
    const app = stack.api.server.listeners('request')[0] as unknown as Express;
    const routes = mountedRoutes((app as unknown as { router: { stack: LayerLike[] } }).router.stack);
    const doc = apiRegistry().document() as {
      paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Schema } } } }>>;
    };
    const openApi = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const targets: Target[] = routes
      .filter((r) => r.method === 'POST' || r.method === 'PUT')
      .map((r) => ({
        ...r,
        schema: doc.paths[openApi(r.path)]?.[r.method.toLowerCase()]?.requestBody?.content['application/json'].schema,
        token: r.path.startsWith('/picker/v1') ? 'picker' : r.path.endsWith('/courier-events') ? 'courier' : 'ops',
      }));
    expect(targets.length, 'POST/PUT routes found').to.be.greaterThan(20);

    // Fresh per run: an order a valid-looking body creates must have this run's worker behind it.
    const unknownOrder = uniqueId('nx');
    const pools: Record<string, string[]> = {
      orderId: [...real.orderIds, unknownOrder],
      fulfilmentId: [...real.fulfilmentIds, `${orderWorkflowId(unknownOrder)}-f1`],
      lineId: ['l1', 'l2', 'l1-r1'],
      sku: [world.sku('RICE'), world.sku('MILK'), world.sku('TEA'), world.sku('OAT')],
      lotId: [world.lot('RICE-A'), world.lot('MILK-A'), world.lot('TEA-A'), 'nx-lot'],
      nodeIds: [fuzzNode],
      nodeId: [world.n0, world.n1],
      waveId: ['nx-wave', `${world.n0}:ambient:1`],
      courierId: ['courier-1'],
      toteLabels: real.fulfilmentIds.flatMap((f) => [`${f.replace(/^order-/, '')}-A`, `${f.replace(/^order-/, '')}-C`]),
    };
    const gen: Gen = makeGen(20250310, pools);
    const pathValue = (name: string, route: string, chosen: Record<string, string>): string => {
      const value = pathValueOf(name, route);
      chosen[name] = value;
      return value;
    };
    const pathValueOf = (name: string, route: string): string => {
      if (gen.chance(0.15)) return gen.chance(0.2) ? '%E0%A4%A' : encode(gen.pick(NASTY_STRINGS)) || 'x';
      switch (name) {
        // Cancelling a real order is a workflow concern, not input validation: ids that do not exist.
        case 'orderId':
          return route.endsWith('/cancel') ? `nx-${gen.alnum(8)}` : gen.pick(pools.orderId!);
        case 'fulfilmentId':
          return gen.pick(pools.fulfilmentId!);
        case 'lineId':
          return gen.pick(pools.lineId!);
        case 'nodeId':
          return gen.pick(pools.nodeId!);
        case 'id':
          return route.startsWith('/v1/alerts') && gen.chance(0.5)
            ? real.alertId
            : gen.chance(0.7)
              ? randomUUID()
              : gen.alnum(10);
        default:
          return gen.alnum(8);
      }
    };

    /** One request for a target: a body of a random kind, with the guards the shared world needs. */
    const build = (t: Target): Sent => {
      const chosen: Record<string, string> = {};
      const url = `${stack.url}${t.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => pathValue(name, t.path, chosen))}`;
      const r = gen.rand();
      let value: Json | undefined;
      let note: string;
      let text: string | Uint8Array | undefined;
      let contentType: string | null = 'application/json';
      if (r < 0.4) [value, note] = [gen.valid(t.schema), 'valid-looking'];
      else if (r < 0.72) [value, note] = [gen.mutate(gen.valid(t.schema)), 'one fault'];
      else if (r < 0.8) [value, note] = [gen.junk(), 'junk tree'];
      else if (r < 0.85)
        [text, note] = [
          gen.pick([
            '{',
            '{"a":',
            '[1,2',
            '{"a":1,}',
            "{'a':1}",
            'undefined',
            'NaN',
            '{"a":1}{"b":2}',
            '\u0000',
            '{"a":"\\x"}',
            '"unterminated',
          ]),
          'malformed JSON',
        ];
      else if (r < 0.88) {
        const depth = gen.pick([500, 5_000, 60_000]);
        [text, note] = [
          gen.chance(0.5)
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(Math.min(depth, 40_000))}1${'}'.repeat(Math.min(depth, 40_000))}`,
          `nested ${depth}`,
        ];
      } else if (r < 0.9) [text, note] = [JSON.stringify({ pad: 'x'.repeat(300 * 1024) }), 'too large'];
      else if (r < 0.93)
        [text, note] = [
          `{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(gen.valid(t.schema)).slice(1)}`,
          '__proto__ keys',
        ];
      else {
        value = gen.valid(t.schema);
        [contentType, note] = gen.pick<[string | null, string]>([
          ['text/plain', 'text/plain'],
          ['application/x-www-form-urlencoded', 'form'],
          [null, 'no content type'],
          ['multipart/form-data; boundary=x', 'multipart'],
          ['application/json; charset=utf-16', 'utf-16 charset'],
          ['application/json; charset=latin1', 'latin1 charset'],
          ['application/xml', 'xml'],
        ]);
      }
      // Guards for a shared database: no forecast run over every node (its schema is strict, so an
      // unknown key makes any object invalid; an absent body would default to a valid run), and
      // webhook subscriptions only to a closed loopback port, for a node nobody has.
      if (t.path === '/v1/forecasts/runs') {
        if (value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value))
          value = { ...value, __fuzz: true };
        if (contentType !== 'application/json' || (value === undefined && text === undefined))
          [contentType, text, value, note] = ['application/json', '{"horizonDays":', undefined, 'malformed JSON'];
      }
      if (
        t.path === '/v1/webhooks/subscriptions' &&
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value)
      ) {
        value = {
          ...value,
          nodeIds: [fuzzNode],
          ...(typeof value.url === 'string' ? { url: `http://127.0.0.1:9/${gen.alnum(6)}` } : {}),
        };
      }
      // A fulfilment id of the path's order with a strange number: it passes the prefix check and
      // reaches Temporal as a workflow id.
      if (
        t.path.endsWith('/courier-events') &&
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        gen.chance(0.3)
      ) {
        value = {
          ...value,
          fulfilmentId: `order-${decode(chosen.orderId ?? 'x')}-f${gen.pick(['1', '99999', '1'.repeat(1100), '\ud800', '\u0000', '💥', ' ', '-1', '1/../2'])}`,
        };
      }
      if (text === undefined && value !== undefined)
        text =
          contentType === 'application/x-www-form-urlencoded'
            ? `data=${encodeURIComponent(JSON.stringify(value))}`
            : JSON.stringify(value);
      if (contentType === null && typeof text === 'string') text = Buffer.from(text);
      const encoding =
        t.path !== '/v1/forecasts/runs' && gen.chance(0.03)
          ? gen.pick(['gzip', 'br', 'deflate', 'compress'])
          : undefined;
      return {
        target: t,
        url,
        contentType,
        body: text,
        note: encoding ? `${note}, ${encoding} header on plain bytes` : note,
        ...(encoding ? { encoding } : {}),
      };
    };

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const perRoute = new Map<string, Map<number, number>>();
    const createdSubscriptions: string[] = [];
    const send = async (s: Sent) => {
      const headers: Record<string, string> = { authorization: `Bearer ${tokens[s.target.token]}` };
      if (s.contentType) headers['content-type'] = s.contentType;
      if (s.encoding) headers['content-encoding'] = s.encoding;
      if (s.target.token === 'picker' || s.target.path.endsWith('/decision'))
        headers['idempotency-key'] = gen.chance(0.1)
          ? gen.pick(NASTY_STRINGS.filter((x) => /^[\x20-\x7e]*$/.test(x))) || 'k'
          : uniqueId('k');
      let status = 0;
      let text = '';
      let type = '';
      try {
        const res = await fetch(s.url, {
          method: s.target.method,
          headers,
          body: s.body,
          signal: AbortSignal.timeout(20_000),
        });
        status = res.status;
        type = res.headers.get('content-type') ?? '';
        text = await res.text();
      } catch (err) {
        failures.push(`${s.target.method} ${s.url} [${s.note}]: no answer (${(err as Error).message})`);
        return;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const key = `${s.target.method} ${s.target.path}`;
      const mine = perRoute.get(key) ?? new Map<number, number>();
      mine.set(status, (mine.get(status) ?? 0) + 1);
      perRoute.set(key, mine);
      const what = () =>
        `${s.target.method} ${s.url} [${s.note}] ${typeof s.body === 'string' ? s.body.slice(0, 200) : `${s.body?.length ?? 0} bytes`} → ${status} ${text.slice(0, 300)}`;
      if (status >= 500) failures.push(what());
      else if (status >= 400) {
        let body: { error?: { code?: unknown; message?: unknown } } | undefined;
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          body = undefined;
        }
        if (
          !/^application\/json/.test(type) ||
          typeof body?.error?.code !== 'string' ||
          typeof body.error.message !== 'string' ||
          !body.error.message
        )
          failures.push(`not a JSON error: ${what()}`);
      } else if (status !== 204 && text && !/^text\/csv/.test(type)) {
        try {
          const body = JSON.parse(text) as { id?: string };
          if (s.target.path === '/v1/webhooks/subscriptions' && status === 201 && body.id)
            createdSubscriptions.push(body.id);
        } catch {
          failures.push(`2xx without JSON: ${what()}`);
        }
      }
    };

    // Every route gets its share; 12 requests in flight at a time.
    const PER_ROUTE = Math.ceil(3200 / targets.length);
    const queue: (() => Promise<void>)[] = [];
    for (let i = 0; i < PER_ROUTE; i++) {
      for (const t of targets) {
        const s = build(t);
        queue.push(() => send(s));
      }
    }

    // And junk in the queries of the GET routes that take one.
    const queryRoutes = routes.filter((r) => r.method === 'GET' && !r.path.includes(':') && r.path.startsWith('/v1/'));
    const queryKeys = [
      'from',
      'to',
      'nodeId',
      'tz',
      'limit',
      'offset',
      'status',
      'severity',
      'kind',
      'node',
      'sku',
      'date',
      'x',
    ];
    for (let i = 0; i < 40; i++) {
      for (const r of queryRoutes) {
        const parts = Array.from({ length: gen.int(5) }, () => {
          const k = gen.pick(queryKeys);
          const v = gen.pick<() => string>([
            () => gen.pick(NASTY_STRINGS),
            () => world.n0,
            () => fuzzNode,
            () => new Date(Date.now() - gen.int(90) * 86_400_000).toISOString().slice(0, 10),
            () => new Date().toISOString(),
            () => gen.pick(['UTC', 'Asia/Shanghai', 'Etc/GMT+14', 'EST5EDT', 'Mars/Olympus', 'utc']),
            () => String(gen.int(1000) - 10),
            () => 'open,resolved,bogus',
          ])();
          return `${encode(k)}${gen.chance(0.1) ? '[]' : ''}=${gen.chance(0.05) ? '%E0%A4%A' : encode(v)}`;
        });
        // Half the time the rest of a plausible query, so the junk meets the later checks too.
        const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
        if (gen.chance(0.5))
          parts.push(
            ...(r.path.startsWith('/v1/kpis')
              ? [`from=${day(-gen.int(5))}`, `to=${day(gen.int(3) - 1)}`]
              : [`nodeId=${world.n0}`, `date=${day(0)}`]),
          );
        // One node by default: a report over every node is a load test, not a fuzz.
        if (r.path.startsWith('/v1/kpis') && !parts.some((p) => p.startsWith('nodeId=')))
          parts.push(`nodeId=${gen.pick([world.n0, fuzzNode])}`);
        const t: Target = { method: 'GET', path: r.path, token: 'ops' };
        queue.push(() =>
          send({
            target: t,
            url: `${stack.url}${r.path}?${parts.join('&')}`,
            contentType: null,
            body: undefined,
            note: 'query junk',
          }),
        );
      }
    }

    // And strange path parameters on the routes that read one (GET, DELETE).
    for (let i = 0; i < 20; i++) {
      for (const r of routes.filter((x) => (x.method === 'GET' || x.method === 'DELETE') && x.path.includes(':'))) {
        const t: Target = { method: r.method, path: r.path, token: r.path.startsWith('/picker/v1') ? 'picker' : 'ops' };
        const url = `${stack.url}${r.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => pathValue(name, r.path, {}))}`;
        queue.push(() => send({ target: t, url, contentType: null, body: undefined, note: 'path junk' }));
      }
    }

    for (let i = queue.length - 1; i > 0; i--) {
      const j = gen.int(i + 1);
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < queue.length) await queue[next++]!();
      }),
    );

    for (const id of createdSubscriptions)
      await req(`${stack.url}/v1/webhooks/subscriptions/${id}`, 'DELETE', tokens.ops);
    const summary = JSON.stringify({
      requests: queue.length,
      seconds: (Date.now() - started) / 1000,
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    });
    expect(failures, `${failures.length} bad answers; ${summary}`).to.deep.equal([]);
    expect(queue.length).to.be.greaterThan(3000);
    // The generator got past validation often enough to mean something, and every route saw it.
    const bodyRoutes = new Set(targets.map((t) => `${t.method} ${t.path}`));
    for (const [route, seen] of perRoute)
      if (bodyRoutes.has(route))
        expect(
          [...seen.keys()].some((s) => s === 400 || s === 413 || s === 415),
          `${route}: ${JSON.stringify([...seen])}`,
        ).to.equal(true);
    expect([...perRoute.keys()].filter((k) => bodyRoutes.has(k)).length).to.equal(targets.length);
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok, summary).to.be.greaterThan(100);
    for (const s of [400, 404, 413]) expect(statuses.get(s) ?? 0, `${s} seen; ${summary}`).to.be.greaterThan(0);
  });
});
