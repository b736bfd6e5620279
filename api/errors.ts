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

/** Render a zod error as a list of `path: message` items a client can act on. */
export function zodIssues(err: ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
}

/** The one error middleware: known errors keep their status; anything else is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    if (err instanceof ZodError) {
      const issues = zodIssues(err);
      res.status(400).json({ error: { code: 'FC_VALIDATION', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), details: issues } });
      return;
    }
    // body-parser marks its own errors (malformed JSON, too large, bad charset) with a status.
    const e = err as { status?: number; type?: string; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const code = e.type === 'entity.parse.failed' ? 'FC_MALFORMED_JSON' : e.type === 'entity.too.large' ? 'FC_BODY_TOO_LARGE' : 'FC_BAD_REQUEST';
      const message = e.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (e.message ?? 'bad request');
      res.status(e.status).json({ error: { code, message } });
      return;
    }
    logger.error({ err: (err as Error)?.message, stack: (err as Error)?.stack, method: req.method, path: req.route?.path ?? req.path }, 'unhandled API error');
    res.status(500).json({ error: { code: 'FC_INTERNAL', message: 'internal error' } });
  };
}
