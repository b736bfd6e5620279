// `npm run ingest`: the MQTT ingester on its own. Scale out by running more instances with
// distinct INGEST_CLIENT_ID values: the broker's shared subscription splits the load.
import { createServer } from 'node:http';
import { config } from '../config';
import { timescaleProbe } from '../db/extensions';
import { createDb } from '../db/pool';
import { checkHealth } from '../platform/health';
import { createLogger } from '../platform/logger';
import { onShutdown } from '../platform/shutdown';
import { startIngester } from './ingester';
import { startAlertingAlongside } from '../coldchain';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger(cfg.logLevel).child({ component: 'ingest' });
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: cfg.db.poolMax,
    logger,
    applicationName: 'freshchain-ingest',
  });
  const ingester = await startIngester(cfg, { db, logger });
  // The alert evaluator rides along, its metrics on the same endpoint (ALERTS_EVALUATOR=off to run it elsewhere).
  const alerting = await startAlertingAlongside(cfg, {
    db,
    logger,
    metricsRegistry: ingester.metrics.registry,
    role: 'ingest',
  });
  // Prometheus scrape endpoint of this process, and its health: 503 when ingest is stuck (a
  // message unacknowledged too long), whatever the connections say.
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const mqtt = ingester.clients[0];
      checkHealth({
        timescaleVersion: timescaleProbe(db),
        progress: [ingester.progress, ...(alerting ? [alerting.progress] : [])],
        ...(mqtt ? { mqtt } : {}),
      }).then(
        (h) =>
          res
            .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: h.ok ? 'ok' : 'degraded', ...h })),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    ingester.metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': ingester.metrics.registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  }).listen(cfg.ingest.metricsPort, '0.0.0.0');
  onShutdown(logger, async () => {
    server.close();
    await alerting?.stop();
    await ingester.stop();
    await db.close();
  });
}

main().catch((err: unknown) => {
  console.error(`ingest: ${(err as Error).message}`);
  process.exit(1);
});
