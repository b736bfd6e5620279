import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { DbConflict } from '../db/errors';
import type { DbConflictKind } from '../db/errors';
import type { Logger } from '../platform/logger';
import type { ErrorCode } from './error-codes';
import { ERROR_CODES } from './error-codes';

/** An error the API answers with: a code of the catalogue (api/error-codes.ts), its HTTP status and a message. */
export class ApiError extends Error {
  /** The status the catalogue gives the code. */
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }
}

/** 404 for any path no route matched. */
export const notFound = (): ApiError => new ApiError('FC_NOT_FOUND', 'no such route');

/**
 * A `.catch` handler for a db/ call: a DbConflict of the given kind becomes the API error of
 * `code` with the db function's message; anything else propagates.
 */
export function rethrowConflict(kind: DbConflictKind, code: ErrorCode): (err: unknown) => never {
  return (err) => {
    if (err instanceof DbConflict && err.conflict === kind) throw new ApiError(code, err.message);
    throw err;
  };
}

/** One thing wrong with a request, named by its field path (`customer.name`, `lines.0.qty`, `query.nodeId`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Render a zod error as a list of `path: message` items a client can act on. */
export function zodIssues(err: ZodError): ValidationIssue[] {
  return err.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
}

/** 400 FC_VALIDATION listing each issue as `path: message`, the one shape of every validation failure. */
export function validationError(issues: readonly ValidationIssue[]): ApiError {
  return new ApiError('FC_VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/** The error a body parser's `verify` hook throws for bytes that are not UTF-8 (answered as malformed JSON). */
export class InvalidUtf8Error extends Error {
  readonly status = 400;
  readonly type = 'entity.encoding.invalid';
  constructor() {
    super('request body is not valid UTF-8');
  }
}

/** body-parser marks its own errors (malformed JSON, too large, bad charset) with a 4xx status and a type. */
function bodyParserError(err: unknown): ApiError | undefined {
  const e = err as { status?: unknown; type?: string; message?: string } | undefined;
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (e.type === 'entity.parse.failed') return new ApiError('FC_MALFORMED_JSON', 'request body is not valid JSON');
  if (e.type === 'entity.encoding.invalid') return new ApiError('FC_MALFORMED_JSON', e.message ?? 'bad request');
  if (e.type === 'entity.too.large') return new ApiError('FC_BODY_TOO_LARGE', e.message ?? 'request body too large');
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
    return new ApiError('FC_UNSUPPORTED_ENCODING', e.message ?? 'unsupported encoding');
  }
  return new ApiError('FC_BAD_REQUEST', e.message ?? 'bad request');
}

/** The one error middleware: known errors keep their status; anything else is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known =
      err instanceof ApiError ? err : err instanceof ZodError ? validationError(zodIssues(err)) : bodyParserError(err);
    if (known) {
      res.status(known.status).json({ error: { code: known.code, message: known.message, details: known.details } });
      return;
    }
    const e = err as Error | undefined;
    const where = { method: req.method, path: req.route?.path ?? req.path };
    logger.error({ err: e?.message, stack: e?.stack, ...where }, 'unhandled API error');
    const internal = new ApiError('FC_INTERNAL', 'internal error');
    res.status(internal.status).json({ error: { code: internal.code, message: internal.message } });
  };
}
