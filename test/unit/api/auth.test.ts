// Bearer tokens: claims parsed strictly (property-based, hostile inputs), an expiry and an issuer
// required, and key rotation: a token signed with the previous secret is accepted while that
// secret is configured, and refused once it is removed.
import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type { Server } from 'node:http';
import { buildApp } from '../../../api/app';
import { authenticate, issueToken, MAX_TOKEN_LIFETIME_S, parseClaims, ROLES } from '../../../api/auth';
import type { Principal } from '../../../api/auth';
import { ConfigError, loadConfig } from '../../../config';
import { createLogger } from '../../../platform/logger';

const CURRENT = 'current-secret-current-secret-current-secret';
const PREVIOUS = 'previous-secret-previous-secret-previous-secret';
const NOW = 1_800_000_000; // seconds
const enc = (s: string) => new TextEncoder().encode(s);

/** Run the middleware on a bare request; the principal it attached, or the error it passed on. */
async function run(
  keys: Parameters<typeof authenticate>[0],
  authorization: string | undefined,
): Promise<{ principal?: Principal; status?: number; message?: string }> {
  const req = { headers: authorization === undefined ? {} : { authorization } } as unknown as Request;
  const err = await new Promise<unknown>((resolve) => {
    void authenticate(keys)(req, {} as Response, resolve as NextFunction);
  });
  if (err) {
    const e = err as { status?: number; message?: string };
    return { status: e.status ?? 0, message: e.message ?? '' };
  }
  return { principal: req.principal! };
}

/** A token signed by hand, so claims issueToken would never leave out can be left out. */
function sign(
  claims: Record<string, unknown>,
  opts: { key?: string; exp?: number | null; iss?: string | null; sub?: string | null } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (opts.sub !== null) jwt = jwt.setSubject(opts.sub ?? 'someone');
  if (opts.iss !== null) jwt = jwt.setIssuer(opts.iss ?? 'freshchain');
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600);
  return jwt.sign(enc(opts.key ?? CURRENT));
}

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const principalArb: fc.Arbitrary<Principal> = fc.oneof(
  fc.record({ sub: id, role: fc.constantFrom('ops', 'courier', 'integrator' as const) }),
  fc.record({ sub: id, role: fc.constant('picker' as const), nodeId: id }),
);
const validPayload = (p: Principal, exp = NOW + 3600) => ({ ...p, iss: 'freshchain', iat: NOW, exp });

// Strings a token's subject must never carry: it is stored (orders.placed_by, webhook owners) and logged.
const hostileText = fc.oneof(
  fc.constantFrom(
    '',
    'a\u0000b',
    '\u0000',
    'x\ud800',
    '\udc00y',
    'a\u001b[2Jb',
    'line\nbreak',
    '\u007f',
    'x'.repeat(129),
  ),
  fc
    .tuple(fc.string(), fc.constantFrom('\u0000', '\ud800', '\udfff', '\u0007', '\u0085'), fc.string())
    .map(([a, b, c]) => a + b + c),
);

describe('API tokens (auth)', () => {
  describe('parseClaims', () => {
    it('accepts every well-formed principal and gives it back unchanged', () => {
      fc.assert(
        fc.property(principalArb, (p) => {
          const r = parseClaims(validPayload(p), NOW);
          expect(r.ok, JSON.stringify(r)).to.equal(true);
          if (r.ok) expect(r.principal).to.deep.equal(p);
        }),
      );
    });

    it('never throws on any JSON-like value (prototype keys, deep nesting, huge numbers) and never accepts one without its claims', () => {
      const anyJson = fc.oneof(
        fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 6 }),
        fc.jsonValue({ depthSize: 'large' }),
        fc.dictionary(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'sub', 'role', 'exp', 'iss', 'nodeId'),
          fc.anything(),
        ),
      );
      fc.assert(
        fc.property(anyJson, (v) => {
          const r = parseClaims(v, NOW);
          if (!r.ok) {
            expect(r.problem).to.be.a('string').and.not.equal('');
            return;
          }
          // Only a payload that really has every claim gets through.
          const o = v as Record<string, unknown>;
          expect(o.iss).to.equal('freshchain');
          expect(Number.isSafeInteger(o.exp)).to.equal(true);
          expect(ROLES).to.include(r.principal.role);
        }),
        { numRuns: 2000 },
      );
    });

    it('refuses a payload without exp, without iss, with another issuer, or without sub', () => {
      fc.assert(
        fc.property(principalArb, fc.constantFrom('exp', 'iss', 'sub'), (p, drop) => {
          const payload: Record<string, unknown> = validPayload(p);
          delete payload[drop];
          const r = parseClaims(payload, NOW);
          expect(r.ok).to.equal(false);
          if (!r.ok) expect(r.problem).to.include(drop);
        }),
      );
      expect(parseClaims({ ...validPayload({ sub: 'a', role: 'ops' }), iss: 'someone-else' }, NOW).ok).to.equal(false);
    });

    it('refuses an exp that is not a whole number of seconds, or lies beyond the longest lifetime a token may have', () => {
      const badExp = fc.oneof(
        fc.constantFrom(
          1.5,
          -1,
          0,
          Number.MAX_VALUE,
          1e300,
          Number.MAX_SAFE_INTEGER + 2,
          '1800003600',
          null,
          true,
          [],
          {},
        ),
        fc.integer({ min: NOW + MAX_TOKEN_LIFETIME_S + 61, max: Number.MAX_SAFE_INTEGER }),
      );
      fc.assert(
        fc.property(principalArb, badExp, (p, exp) => {
          const r = parseClaims({ ...validPayload(p), exp }, NOW);
          expect(r.ok, `exp ${String(exp)}`).to.equal(false);
          if (!r.ok) expect(r.problem).to.include('exp');
        }),
      );
    });

    it('refuses a subject or node id with NUL, control characters, lone surrogates, or too long', () => {
      fc.assert(
        fc.property(principalArb, hostileText, fc.boolean(), (p, bad, inNode) => {
          const payload = inNode
            ? { ...validPayload(p), role: 'picker', nodeId: bad }
            : { ...validPayload(p), sub: bad };
          const r = parseClaims(payload, NOW);
          expect(r.ok).to.equal(false);
          if (!r.ok) expect(r.problem).to.include(inNode ? 'nodeId' : 'sub');
        }),
      );
    });

    it('refuses an unknown role and a picker without a node', () => {
      fc.assert(
        fc.property(
          fc.string().filter((s) => !(ROLES as readonly string[]).includes(s)),
          (role) => {
            expect(parseClaims({ ...validPayload({ sub: 'x', role: 'ops' }), role }, NOW).ok).to.equal(false);
          },
        ),
      );
      const r = parseClaims({ sub: 'p', role: 'picker', iss: 'freshchain', exp: NOW + 60 }, NOW);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.problem).to.include('nodeId');
    });
  });

  describe('authenticate', () => {
    it('accepts what issueToken issues, for any principal', async () => {
      await fc.assert(
        fc.asyncProperty(principalArb, async (p) => {
          const r = await run(CURRENT, `Bearer ${await issueToken(CURRENT, p)}`);
          expect(r.principal).to.deep.equal(p);
        }),
        { numRuns: 50 },
      );
    });

    it('refuses a token without an expiry, and one without an issuer (401)', async () => {
      const noExp = await run(CURRENT, `Bearer ${await sign({ role: 'ops' }, { exp: null })}`);
      expect(noExp.status).to.equal(401);
      expect(noExp.message).to.match(/exp/);
      const noIss = await run(CURRENT, `Bearer ${await sign({ role: 'ops' }, { iss: null })}`);
      expect(noIss.status).to.equal(401);
      expect(noIss.message).to.match(/iss/);
      const noSub = await run(CURRENT, `Bearer ${await sign({ role: 'ops' }, { sub: null })}`);
      expect(noSub.status).to.equal(401);
    });

    it('refuses a token valid for longer than a token may live', async () => {
      const far = await run(
        CURRENT,
        `Bearer ${await sign({ role: 'ops' }, { exp: Math.floor(Date.now() / 1000) + MAX_TOKEN_LIFETIME_S + 3600 })}`,
      );
      expect(far.status).to.equal(401);
      expect(far.message).to.match(/exp/);
      expect(() => issueToken(CURRENT, { sub: 'a', role: 'ops' }, '1000d')).to.throw(/lifetime/);
    });

    it('accepts a token signed with the previous secret while it is configured, and refuses it once removed', async () => {
      const old = await issueToken(PREVIOUS, { sub: 'erp-1', role: 'integrator' });
      const during = await run({ tokenSecret: CURRENT, previousTokenSecret: PREVIOUS }, `Bearer ${old}`);
      expect(during.principal).to.deep.equal({ sub: 'erp-1', role: 'integrator' });
      const after = await run({ tokenSecret: CURRENT }, `Bearer ${old}`);
      expect(after.status).to.equal(401);
      // Tokens of the current secret work throughout; a third secret never does.
      const fresh = await issueToken(CURRENT, { sub: 'erp-1', role: 'integrator' });
      expect(
        (await run({ tokenSecret: CURRENT, previousTokenSecret: PREVIOUS }, `Bearer ${fresh}`)).principal,
      ).to.deep.equal({ sub: 'erp-1', role: 'integrator' });
      expect((await run({ tokenSecret: CURRENT }, `Bearer ${fresh}`)).principal).to.deep.equal({
        sub: 'erp-1',
        role: 'integrator',
      });
      const stranger = await issueToken('a-third-secret-a-third-secret-a-third-secret', { sub: 'x', role: 'ops' });
      expect(
        (await run({ tokenSecret: CURRENT, previousTokenSecret: PREVIOUS }, `Bearer ${stranger}`)).status,
      ).to.equal(401);
    });

    it('does not fall back to the previous secret for a token that is expired', async () => {
      const expired = await sign({ role: 'ops' }, { key: PREVIOUS, exp: Math.floor(Date.now() / 1000) - 60 });
      expect((await run({ tokenSecret: CURRENT, previousTokenSecret: PREVIOUS }, `Bearer ${expired}`)).status).to.equal(
        401,
      );
    });
  });

  describe('the app during a rotation (/v1 and /codec)', () => {
    const serve = async (env: Record<string, string>) => {
      const config = loadConfig({
        ...process.env,
        FRESHCHAIN_PROFILE: 'test',
        LOG_LEVEL: 'silent',
        API_TOKEN_SECRET: CURRENT,
        ...env,
      });
      const server: Server = buildApp({ config, logger: createLogger('silent'), health: {} }).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const status = async (path: string, token: string) =>
        (
          await fetch(`${base}${path}`, {
            method: path.startsWith('/codec') ? 'POST' : 'GET',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: path.startsWith('/codec') ? '{"payloads":[]}' : undefined,
          })
        ).status;
      return { status, close: () => server.close() };
    };

    it('accepts tokens of the previous secret on /v1 and /codec while API_TOKEN_SECRET_PREVIOUS is set, and refuses them after', async () => {
      const old = await issueToken(PREVIOUS, { sub: 'ops-1', role: 'ops' });
      const fresh = await issueToken(CURRENT, { sub: 'ops-1', role: 'ops' });
      const during = await serve({ API_TOKEN_SECRET_PREVIOUS: PREVIOUS });
      try {
        // /codec without a codec answers 404 (encryption off) to an authorised caller, 401 otherwise.
        expect([await during.status('/v1/whoami', old), await during.status('/codec/decode', old)]).to.deep.equal([
          200, 404,
        ]);
        expect([await during.status('/v1/whoami', fresh), await during.status('/codec/decode', fresh)]).to.deep.equal([
          200, 404,
        ]);
      } finally {
        during.close();
      }
      const after = await serve({});
      try {
        expect([await after.status('/v1/whoami', old), await after.status('/codec/decode', old)]).to.deep.equal([
          401, 401,
        ]);
        expect([await after.status('/v1/whoami', fresh), await after.status('/codec/decode', fresh)]).to.deep.equal([
          200, 404,
        ]);
      } finally {
        after.close();
      }
    });
  });

  describe('configuration', () => {
    it('reads API_TOKEN_SECRET_PREVIOUS, at least 32 characters, and never the development secret in production', () => {
      expect(loadConfig({}).auth.previousTokenSecret).to.equal(undefined);
      expect(loadConfig({ API_TOKEN_SECRET_PREVIOUS: PREVIOUS }).auth.previousTokenSecret).to.equal(PREVIOUS);
      expect(() => loadConfig({ API_TOKEN_SECRET_PREVIOUS: 'short' })).to.throw(
        ConfigError,
        /API_TOKEN_SECRET_PREVIOUS/,
      );
      const production = {
        FRESHCHAIN_PROFILE: 'production',
        DATABASE_URL: 'postgres://u:p@db/x',
        MQTT_PASSWORD: 'm',
        MQTT_DEVICE_PASSWORD: 'd',
        MQTT_OPS_PASSWORD: 'o',
        API_TOKEN_SECRET: 'x'.repeat(40),
        PII_ENCRYPTION_KEY: 'k',
        PAYLOAD_CODEC_KEY: 'k',
      };
      expect(loadConfig({ ...production, API_TOKEN_SECRET_PREVIOUS: PREVIOUS }).auth.previousTokenSecret).to.equal(
        PREVIOUS,
      );
      expect(() =>
        loadConfig({ ...production, API_TOKEN_SECRET_PREVIOUS: 'freshchain-dev-token-secret-change-me-0123456789' }),
      ).to.throw(ConfigError, /API_TOKEN_SECRET_PREVIOUS/);
    });
  });
});
