import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../platform/logger';

declare module 'express-serve-static-core' {
  interface Request {
    /** Per-request logger carrying the correlation ids. */
    log?: Logger;
  }
}

/**
 * One structured line per request with a correlation id (X-Request-Id, echoed back) and the
 * order id when the path names one, so a request can be followed into its workflow's logs.
 * Only method, matched route, status and timing are logged: never bodies, query strings or
 * headers, which is where personal data and tokens travel.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    req.log = logger.child({ requestId });
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const orderId = typeof req.params?.orderId === 'string' ? req.params.orderId : undefined;
      const route = req.route?.path ? `${req.baseUrl}${req.route.path as string}` : undefined;
      req.log?.info(
        {
          method: req.method,
          route,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ...(orderId ? { orderId, workflowId: `order-${orderId}` } : {}),
          role: req.principal?.role,
        },
        'request',
      );
    });
    next();
  };
}
