import express from 'express';
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { HealthDeps } from '../platform/health';
import { checkHealth } from '../platform/health';
import type { Logger } from '../platform/logger';
import { authenticate, requireRole } from './auth';
import { errorHandler, notFound } from './errors';
import { ordersRouter } from './routes/orders';
import { forecastsRouter } from './routes/forecasts';
import { alertsRouter, assetColdChainRouter } from './routes/alerts';
import { webhooksRouter } from './routes/webhooks';
import { kpisRouter } from './routes/kpis';
import { customersRouter } from './routes/customers';
import { masterDataRouter } from './routes/masterdata';
import { receiptsRouter } from './routes/receipts';
import { transfersRouter } from './routes/transfers';
import { pickerPage, pickerRouter, substitutionsRouter } from './routes/picker';
import { apiDocsRouter, apiRegistry } from './openapi';
import { jsonBody, paramGuard } from './boundary';
import { createApiMetrics } from './metrics';
import { requestLog } from './request-log';
import { codecRouter } from './routes/codec';
import type { PayloadCodec } from '@temporalio/common';
import { Registry } from 'prom-client';

/** What the API needs; tests pass real services. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  health: HealthDeps;
  /** Absent only in tests that exercise health alone. */
  db?: Db;
  temporal?: Client;
  /** Other registries of this process served on /metrics too (the in-process ingester's). */
  metricsRegistries?: Registry[];
  /** The payload codec, when encryption is on: served to the Web UI at /codec. */
  codec?: PayloadCodec;
}

/** Build the Express app without listening (tests drive it on an ephemeral port). */
export function buildApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const metrics = createApiMetrics();
  app.use(metrics.middleware, requestLog(deps.logger));
  // No body parser here: protected routes authenticate first and parse their body after
  // (api/boundary.ts), so an unknown caller gets its 401 without the server reading a byte.
  const registry = apiRegistry();
  const inputChecks = [paramGuard(registry.operations().map((op) => op.path)), ...jsonBody()];

  // Prometheus scrape target, unauthenticated like /healthz: counts and timings only. In a
  // cluster it is reached on the pod network, not through the public ingress.
  const scraped = Registry.merge([metrics.registry, ...(deps.metricsRegistries ?? [])]);
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', scraped.contentType);
    res.send(await scraped.metrics());
  });
  app.use(
    '/codec',
    codecRouter({
      codec: deps.codec,
      tokenKeys: deps.config.auth,
      uiOrigin: new URL(deps.config.temporal.uiUrl).origin,
      afterAuth: inputChecks,
    }),
  );

  // Unauthenticated by design: load balancers and orchestrators probe it. It names
  // dependencies and their state, nothing about data.
  app.get('/healthz', async (_req, res) => {
    const health = await checkHealth(deps.health);
    res.status(health.ok ? 200 : 503).json({ status: health.ok ? 'ok' : 'degraded', ...health });
  });
  app.use(apiDocsRouter(registry));

  const v1 = express.Router();
  v1.use(authenticate(deps.config.auth), ...inputChecks);
  v1.get('/whoami', requireRole('ops', 'picker', 'courier', 'integrator'), (req, res) => {
    res.json({ principal: req.principal });
  });
  if (deps.db && deps.temporal) v1.use(ordersRouter({ config: deps.config, db: deps.db, temporal: deps.temporal }));
  if (deps.db && deps.temporal)
    v1.use(substitutionsRouter({ config: deps.config, db: deps.db, temporal: deps.temporal }));
  if (deps.db) v1.use(forecastsRouter({ config: deps.config, db: deps.db, temporal: deps.temporal }));
  if (deps.db) {
    const alerting = { config: deps.config, logger: deps.logger, db: deps.db, temporal: deps.temporal };
    v1.use('/alerts', alertsRouter(alerting));
    v1.use('/assets', assetColdChainRouter(alerting));
    v1.use('/webhooks', webhooksRouter(alerting));
  }
  if (deps.db) v1.use('/kpis', kpisRouter({ db: deps.db }));
  if (deps.db) v1.use(customersRouter({ config: deps.config, db: deps.db }));
  if (deps.db) v1.use(masterDataRouter({ db: deps.db }));
  if (deps.db) v1.use(receiptsRouter({ db: deps.db }));
  if (deps.db && deps.temporal) v1.use(transfersRouter({ config: deps.config, db: deps.db, temporal: deps.temporal }));
  app.use('/v1', v1);
  if (deps.db && deps.temporal)
    app.use(
      '/picker/v1',
      authenticate(deps.config.auth),
      ...inputChecks,
      pickerRouter({ config: deps.config, db: deps.db, temporal: deps.temporal }),
    );
  app.use('/picker', pickerPage());

  app.use((_req, _res, next) => next(notFound()));
  app.use(errorHandler(deps.logger));
  return app;
}
