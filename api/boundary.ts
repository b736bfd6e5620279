// Middleware at the API's edge, mounted after authentication so that an unknown caller costs
// no body read: the JSON body parser (strict UTF-8, size-limited) and the input guard that
// refuses unsafe text, keys and nesting in bodies, query strings and path parameters before
// any route sees them (api/input-guard.ts says what is unsafe and why).
import { TextDecoder } from 'node:util';
import express from 'express';
import type { RequestHandler } from 'express';
import { InvalidUtf8Error, validationError } from './errors';
import type { UnsafeInput } from './input-guard';
import { findUnsafeInput, findUnsafeParams, findUnsafeQuery, formatFieldPath } from './input-guard';

/** Largest JSON body any route takes. */
export const MAX_BODY = '256kb';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// Without this, invalid bytes would become U+FFFD and be stored as if the caller had sent them.
function requireUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8' && encoding !== 'utf8') return;
  try {
    strictUtf8.decode(buf);
  } catch {
    throw new InvalidUtf8Error();
  }
}

const refuse = (found: UnsafeInput) => validationError([{ path: formatFieldPath(found.path), message: found.message }]);

/** Parse a JSON body, then refuse it (400 naming the field) if any string, key or nesting in it is unsafe. */
export function jsonBody(): RequestHandler[] {
  const guard: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    const found = body === undefined ? null : findUnsafeInput(body);
    next(found ? refuse(found) : undefined);
  };
  return [express.json({ limit: MAX_BODY, verify: requireUtf8 }), guard];
}

/**
 * Refuse unsafe query parameters (named `query.<name>`) and path parameters (named after the
 * route template that matches, from `templates`: Express-style paths of every operation).
 */
export function paramGuard(templates: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const found =
      findUnsafeQuery(req.query as Record<string, unknown>) ?? findUnsafeParams(templates, `${req.baseUrl}${req.path}`);
    next(found ? refuse(found) : undefined);
  };
}
