// The API's boundary, over HTTP but without any service (routers get stand-ins they never reach):
// a caller without a valid token is turned away before its body is read (401, not 413), and
// every body, query and path parameter is checked for NUL, control characters, lone
// surrogates, prototype keys and deep nesting before any route sees it (400 naming the field).
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { expect } from 'chai';
import { buildApp } from '../../../api/app';
import { issueToken } from '../../../api/auth';
import { loadConfig } from '../../../config';
import type { Db } from '../../../db/pool';
import { createLogger } from '../../../platform/logger';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: { path: string; message: string }[] } } & Record<
    string,
    unknown
  >;
}

describe('API boundary: authentication before bodies, hostile strings refused (no services)', () => {
  const config = loadConfig({ ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'silent' });
  let server: Server;
  let base: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    // Stand-ins: a request that reaches a route handler fails there (500), so a 4xx proves the boundary answered.
    const app = buildApp({
      config,
      logger: createLogger('silent'),
      health: { db: {} as Db },
      db: {} as Db,
      temporal: {} as Client,
    } as Parameters<typeof buildApp>[0]);
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    tokens.ops = await issueToken(config.auth.tokenSecret, { sub: 'ops-1', role: 'ops' });
    tokens.integrator = await issueToken(config.auth.tokenSecret, { sub: 'erp-1', role: 'integrator' });
    tokens.picker = await issueToken(config.auth.tokenSecret, { sub: 'p-1', role: 'picker', nodeId: 'n1' });
  });
  after(() => server?.close());

  async function send(
    method: string,
    path: string,
    opts: { token?: string; body?: string | Uint8Array; contentType?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: opts.body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  const big = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });

  it('answers 401, not 413, to a 300 KB body without a valid token, on every protected prefix', async () => {
    for (const path of [
      '/v1/orders',
      '/v1/webhooks/subscriptions',
      '/v1/nowhere',
      '/picker/v1/nodes/n1/claims',
      '/codec/decode',
    ]) {
      for (const token of [undefined, 'not.a.jwt']) {
        const res = await send('POST', path, { body: big, ...(token ? { token } : {}) });
        expect(res.status, `${path} ${token ?? 'no token'}: ${JSON.stringify(res.body)}`).to.equal(401);
        expect(res.body.error?.code).to.equal('FC_UNAUTHENTICATED');
      }
    }
  });

  it('answers 413 to the same body once the caller is authenticated', async () => {
    for (const [path, token] of [
      ['/v1/orders', tokens.integrator],
      ['/picker/v1/nodes/n1/claims', tokens.picker],
      ['/codec/decode', tokens.ops],
    ] as const) {
      const res = await send('POST', path, { body: big, token });
      expect(res.status, path).to.equal(413);
      expect(res.body.error?.code).to.equal('FC_BODY_TOO_LARGE');
    }
  });

  it('refuses a NUL, a control character or a lone surrogate in any body string with a 400 naming the field', async () => {
    const order = (name: string) =>
      JSON.stringify({
        orderId: 'o-1',
        customer: { id: 'c-1', name, phone: '+86 139 0000 0000', address: 'x' },
        lines: [{ lineId: 'l1', sku: 'RICE', qty: 1 }],
      });
    const cases: [string, string, string][] = [
      ['NUL in the name', order('Li\u0000Lei'), 'customer.name'],
      ['escape in the name', order('Li\u001b[31mLei'), 'customer.name'],
      ['lone surrogate in the name', order('Li\ud800'), 'customer.name'],
      [
        'NUL as a JSON escape in a line',
        '{"orderId":"o-1","lines":[{"lineId":"l1","sku":"RI\\u0000CE"}]}',
        'lines.0.sku',
      ],
      ['lone low surrogate as a JSON escape', '{"note":"\\udc00"}', 'note'],
    ];
    for (const [what, body, field] of cases) {
      const res = await send('POST', '/v1/orders', { token: tokens.integrator, body });
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error?.code, what).to.equal('FC_VALIDATION');
      expect(res.body.error?.message, what).to.match(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
      expect(res.body.error?.details?.[0]?.path, what).to.equal(field);
    }
  });

  it('refuses __proto__ and constructor keys, keys with NUL, and deep nesting, on every route', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['/v1/orders', '{"orderId":"o-1","__proto__":{"admin":true}}', '__proto__', /key not allowed/],
      [
        '/v1/webhooks/subscriptions',
        '{"url":"http://127.0.0.1:9/x","constructor":{"prototype":{"x":1}}}',
        'constructor',
        /key not allowed/,
      ],
      ['/v1/alerts/a1/comments', '{"text":"ok","meta":{"a\\u0000b":1}}', 'meta', /a key contains a NUL/],
      ['/v1/orders', `${'['.repeat(5000)}${']'.repeat(5000)}`, '0.0.0', /nested deeper than 32/],
      ['/v1/forecasts/runs', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, 'a.a.a', /nested deeper than 32/],
    ];
    for (const [path, body, field, message] of cases) {
      const res = await send('POST', path, { token: tokens.ops, body });
      expect(res.status, `${path} ${body.slice(0, 60)}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error?.details?.[0]?.path).to.satisfy((p: string) => p.startsWith(field));
      expect(res.body.error?.message).to.match(message);
    }
  });

  it('refuses a body that is not valid UTF-8 instead of storing replacement characters', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"orderId":"o-1","customer":{"name":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);
    const res = await send('POST', '/v1/orders', { token: tokens.integrator, body: bytes });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.error?.code).to.equal('FC_MALFORMED_JSON');
    expect(res.body.error?.message).to.match(/UTF-8/);
  });

  it('refuses NUL and control characters in query and path parameters, naming them', async () => {
    const q = await send('GET', '/v1/forecasts?nodeId=n%001', { token: tokens.ops });
    expect(q.status, JSON.stringify(q.body)).to.equal(400);
    expect(q.body.error?.message).to.match(/^query\.nodeId: contains a NUL character/);
    const arr = await send('GET', '/v1/alerts?status=open&status=%1b', { token: tokens.ops });
    expect(arr.status, JSON.stringify(arr.body)).to.equal(400);
    expect(arr.body.error?.message).to.match(/^query\.status\.1: contains a control character \(U\+001B\)/);
    const p = await send('GET', '/v1/orders/a%00b', { token: tokens.ops });
    expect(p.status, JSON.stringify(p.body)).to.equal(400);
    expect(p.body.error?.message).to.match(/^orderId: contains a NUL character/);
    const picker = await send('GET', '/picker/v1/nodes/n%071/tasks', { token: tokens.picker });
    expect(picker.status, JSON.stringify(picker.body)).to.equal(400);
    expect(picker.body.error?.message).to.match(/^nodeId: contains a control character \(U\+0007\)/);
    // Still 401 first without a token: nothing is said about input to an unknown caller.
    expect((await send('GET', '/v1/orders/a%00b')).status).to.equal(401);
  });

  it('lets ordinary requests through untouched', async () => {
    const who = await send('GET', '/v1/whoami?x=%C3%A9%F0%9F%92%A5', { token: tokens.ops });
    expect(who.status).to.equal(200);
    expect(who.body.principal).to.deep.include({ sub: 'ops-1', role: 'ops' });
    expect((await send('GET', '/openapi.json?x=%00')).status, 'open routes take no input').to.equal(200);
  });
});
