import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../platform/logger';

/** An error the API answers with: a stable code, an HTTP status and a message for the caller. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** 404 for any path no route matched. */
export const notFound = (): ApiError => new ApiError(404, 'FC_NOT_FOUND', 'no such route');

/** One thing wrong with a request, named by its field path (`customer.name`, `lines.0.qty`, `query.nodeId`). */
export interface ValidationIssue { path: string; message: string }

/** Render a zod error as a list of `path: message` items a client can act on. */
export function zodIssues(err: ZodError): ValidationIssue[] {
  return err.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
}

/** 400 FC_VALIDATION listing each issue as `path: message`, the one shape of every validation failure. */
export function validationError(issues: readonly ValidationIssue[]): ApiError {
  return new ApiError(400, 'FC_VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/** The error a body parser's `verify` hook throws for bytes that are not UTF-8 (answered as malformed JSON). */
export class InvalidUtf8Error extends Error {
  readonly status = 400;
  readonly type = 'entity.encoding.invalid';
  constructor() {
    super('request body is not valid UTF-8');
  }
}

/** The one error middleware: known errors keep their status; anything else is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    if (err instanceof ZodError) {
      const v = validationError(zodIssues(err));
      res.status(v.status).json({ error: { code: v.code, message: v.message, details: v.details } });
      return;
    }
    // body-parser marks its own errors (malformed JSON, too large, bad charset) with a status.
    const e = err as { status?: number; type?: string; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const malformed = e.type === 'entity.parse.failed' || e.type === 'entity.encoding.invalid';
      const code = malformed ? 'FC_MALFORMED_JSON' : e.type === 'entity.too.large' ? 'FC_BODY_TOO_LARGE' : 'FC_BAD_REQUEST';
      const message = e.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (e.message ?? 'bad request');
      res.status(e.status).json({ error: { code, message } });
      return;
    }
    logger.error({ err: (err as Error)?.message, stack: (err as Error)?.stack, method: req.method, path: req.route?.path ?? req.path }, 'unhandled API error');
    res.status(500).json({ error: { code: 'FC_INTERNAL', message: 'internal error' } });
  };
}
