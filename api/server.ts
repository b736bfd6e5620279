import type { Server } from 'node:http';
import type { Config } from '../config';
import { timescaleProbe } from '../db/extensions';
import type { Db } from '../db/pool';
import { connectMqtt } from '../platform/mqtt';
import type { Logger } from '../platform/logger';
import type { TemporalHandle } from '../platform/temporal';
import type { Registry } from 'prom-client';
import type { ProgressProbe } from '../platform/health';
import { EncryptionCodec } from '../platform/codec';
import { buildApp } from './app';

/** A listening API: `stop()` closes the socket and its own broker connection. */
export interface ApiHandle {
  server: Server;
  port: number;
  stop(): Promise<void>;
}

/** Start the API on cfg.port with real dependencies. */
export async function startApi(
  cfg: Config,
  deps: {
    db: Db;
    temporal: TemporalHandle;
    logger: Logger;
    metricsRegistries?: Registry[];
    /** In-process components /healthz reports on (e.g. the ingester). */ progress?: ProgressProbe[];
  },
  port = cfg.port,
): Promise<ApiHandle> {
  const mqtt = await connectMqtt(cfg.mqtt.url, {
    username: cfg.mqtt.ops.username,
    password: cfg.mqtt.ops.password,
    clientId: `fc-api-${process.pid}-${Date.now()}`,
  });
  const app = buildApp({
    config: cfg,
    logger: deps.logger,
    db: deps.db,
    temporal: deps.temporal.client,
    ...(deps.metricsRegistries ? { metricsRegistries: deps.metricsRegistries } : {}),
    ...(cfg.temporal.payloadKey ? { codec: EncryptionCodec.fromBase64(cfg.temporal.payloadKey) } : {}),
    health: {
      timescaleVersion: timescaleProbe(deps.db),
      temporal: { handle: deps.temporal, namespace: cfg.temporal.namespace },
      mqtt,
      ...(deps.progress ? { progress: deps.progress } : {}),
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  deps.logger.info({ port: actualPort }, 'API listening');
  return {
    server,
    port: actualPort,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mqtt.endAsync();
    },
  };
}
