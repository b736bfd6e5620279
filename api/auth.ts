import type { RequestHandler } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { ApiError } from './errors';

/** Who may call what: ops run the system, pickers work one node, couriers deliver, integrators feed orders and subscribe to events. */
export const ROLES = ['ops', 'picker', 'courier', 'integrator'] as const;
export type Role = (typeof ROLES)[number];

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  nodeId: z.string().min(1).optional(),
});

/** The authenticated caller, attached to the request by `authenticate`. */
export type Principal = z.infer<typeof claimsSchema>;

const ISSUER = 'freshchain';

/** Issue a signed bearer token (HS256). Pickers must be bound to a node. */
export async function issueToken(secret: string, principal: Principal, ttl = '12h'): Promise<string> {
  const p = claimsSchema.parse(principal);
  if (p.role === 'picker' && !p.nodeId) throw new Error('a picker token must name its node');
  return new SignJWT({ role: p.role, ...(p.nodeId ? { nodeId: p.nodeId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Verify the bearer token; 401 without a valid one. */
export function authenticate(secret: string): RequestHandler {
  const key = new TextEncoder().encode(secret);
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new ApiError(401, 'FC_UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)'));
    try {
      const { payload } = await jwtVerify(match[1], key, { issuer: ISSUER, algorithms: ['HS256'] });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) return next(new ApiError(401, 'FC_UNAUTHENTICATED', 'token claims are invalid'));
      req.principal = claims.data;
      next();
    } catch {
      next(new ApiError(401, 'FC_UNAUTHENTICATED', 'token is invalid or expired'));
    }
  };
}

/** 403 unless the caller holds one of the roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const p = req.principal;
    if (!p) return next(new ApiError(401, 'FC_UNAUTHENTICATED', 'not authenticated'));
    if (!roles.includes(p.role)) return next(new ApiError(403, 'FC_FORBIDDEN', `role ${p.role} may not do this (needs ${roles.join(' or ')})`));
    next();
  };
}
