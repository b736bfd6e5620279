import type { RequestHandler } from 'express';
import { errors as joseErrors, SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { idSchema } from '../domain/ids';
import { ApiError } from './errors';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text';

/** Who may call what: ops run the system, pickers work one node, couriers deliver, integrators feed orders and subscribe to events. */
export const ROLES = ['ops', 'picker', 'courier', 'integrator'] as const;
export type Role = (typeof ROLES)[number];

const ISSUER = 'freshchain';
/**
 * The longest a token may be valid: a token without an expiry is refused, and one that
 * expires in the year 30000 is no better, so an `exp` further out than this is refused too.
 */
export const MAX_TOKEN_LIFETIME_S = 90 * 86_400;
// Clock skew between the issuing host and this one.
const CLOCK_TOLERANCE_S = 60;

// The subject is stored (orders.placed_by, webhook_subscriptions.created_by) and compared for
// ownership: clean text, bounded, so it can never fail an INSERT or smuggle a control character.
const subject = z.string().min(1).max(128).refine(isCleanText, CLEAN_TEXT_MESSAGE);
const nodeIdClaim = idSchema('a node id');

const principalSchema = z
  .object({ sub: subject, role: z.enum(ROLES), nodeId: nodeIdClaim.optional() })
  .refine((p) => p.role !== 'picker' || p.nodeId !== undefined, {
    path: ['nodeId'],
    message: 'a picker token must name its node',
  });

/** The authenticated caller, attached to the request by `authenticate`. */
export type Principal = { sub: string; role: Role; nodeId?: string };

const claimsSchema = z.object({
  iss: z.literal(ISSUER, `must be ${ISSUER}`),
  exp: z.number().int().positive().refine(Number.isSafeInteger, 'must be a whole number of seconds'),
});

/**
 * Check a verified token's payload (pure): issuer, expiry within the allowed lifetime, a clean
 * subject, a known role, a node for pickers. Never throws; the problem names the claim.
 */
export function parseClaims(
  payload: unknown,
  nowSeconds: number,
): { ok: true; principal: Principal } | { ok: false; problem: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { ok: false, problem: 'claims must be an object' };
  const own = (key: string): unknown =>
    Object.prototype.hasOwnProperty.call(payload, key) ? (payload as Record<string, unknown>)[key] : undefined;
  const fields = { iss: own('iss'), exp: own('exp'), sub: own('sub'), role: own('role'), nodeId: own('nodeId') };
  const problems: string[] = [];
  const claims = claimsSchema.safeParse(fields);
  if (!claims.success) problems.push(...claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  else if (claims.data.exp > nowSeconds + MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S)
    problems.push(`exp: further than ${MAX_TOKEN_LIFETIME_S / 86_400} days away`);
  const principal = principalSchema.safeParse(fields);
  if (!principal.success)
    problems.push(...principal.error.issues.map((i) => `${i.path.join('.') || 'claims'}: ${i.message}`));
  if (problems.length || !principal.success) return { ok: false, problem: problems.join('; ') };
  const p = principal.data;
  return { ok: true, principal: { sub: p.sub, role: p.role, ...(p.nodeId !== undefined ? { nodeId: p.nodeId } : {}) } };
}

const TTL = /^(\d{1,6})([smhd])$/;
const UNIT_S = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Issue a signed bearer token (HS256) with an issuer and an expiry. Pickers must be bound to a node. */
export function issueToken(secret: string, principal: Principal, ttl = '12h'): Promise<string> {
  const match = TTL.exec(ttl);
  if (!match) throw new Error(`ttl ${ttl}: must be a number and s, m, h or d (e.g. 12h)`);
  const seconds = Number(match[1]) * UNIT_S[match[2] as keyof typeof UNIT_S];
  if (seconds < 1 || seconds > MAX_TOKEN_LIFETIME_S)
    throw new Error(`ttl ${ttl}: a token's lifetime must be between 1 s and ${MAX_TOKEN_LIFETIME_S / 86_400} days`);
  const parsed = principalSchema.safeParse(principal);
  if (!parsed.success)
    throw new Error(
      `cannot issue this token: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const p = parsed.data;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: p.role, ...(p.nodeId ? { nodeId: p.nodeId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .sign(new TextEncoder().encode(secret));
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * The secrets tokens are verified with. New tokens are signed with `tokenSecret`; during a key
 * rotation `previousTokenSecret` still verifies the tokens issued before (and signs nothing).
 */
export interface TokenKeys {
  readonly tokenSecret: string;
  readonly previousTokenSecret?: string;
}

const unauthenticated = (message: string) => new ApiError('FC_UNAUTHENTICATED', message);

/**
 * Verify a bearer token against the current secret, then the previous one: only a signature
 * mismatch moves on to the next secret (an expired token stays refused). The principal, or a 401.
 */
export async function verifyToken(token: string, keys: TokenKeys): Promise<Principal> {
  const secrets = [keys.tokenSecret, ...(keys.previousTokenSecret ? [keys.previousTokenSecret] : [])];
  for (const [i, secret] of secrets.entries()) {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
        issuer: ISSUER,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iss', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const claims = parseClaims(payload, Math.floor(Date.now() / 1000));
      if (!claims.ok) throw unauthenticated(`token claims are invalid (${claims.problem})`);
      return claims.principal;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof joseErrors.JWSSignatureVerificationFailed && i < secrets.length - 1) continue;
      if (err instanceof joseErrors.JWTClaimValidationFailed)
        throw unauthenticated(`token is invalid (${err.claim}: ${err.reason === 'missing' ? 'missing' : err.message})`);
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('token has expired');
      throw unauthenticated('token is invalid or expired');
    }
  }
  throw unauthenticated('token is invalid or expired');
}

/** Verify the bearer token; 401 without a valid one. */
export function authenticate(keys: string | TokenKeys): RequestHandler {
  const k: TokenKeys = typeof keys === 'string' ? { tokenSecret: keys } : keys;
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(unauthenticated('missing bearer token (Authorization: Bearer <token>)'));
    try {
      req.principal = await verifyToken(match[1], k);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** 403 unless the caller holds one of the roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const p = req.principal;
    if (!p) return next(new ApiError('FC_UNAUTHENTICATED', 'not authenticated'));
    if (!roles.includes(p.role))
      return next(new ApiError('FC_FORBIDDEN', `role ${p.role} may not do this (needs ${roles.join(' or ')})`));
    next();
  };
}

/** True when the caller sees everything (ops); everyone else sees only what is theirs. */
export function seesAll(p: Principal): boolean {
  return p.role === 'ops';
}
