import { expect } from 'chai';
import { timescaleProbe } from '../../db/extensions';
import type { Db } from '../../db/pool';
import { createDb } from '../../db/pool';
import { startApi } from '../../api/server';
import type { ApiHandle } from '../../api/server';
import { buildApp } from '../../api/app';
import { connectTemporal } from '../../platform/temporal';
import type { TemporalHandle } from '../../platform/temporal';
import { requireDb, requireTemporal, testConfig, testLogger } from '../support/stack';

describe('API /healthz (integration)', function () {
  this.timeout(30_000);
  let db: Db;
  let temporal: TemporalHandle;
  let api: ApiHandle;

  before(async () => {
    db = await requireDb();
    await requireTemporal();
    temporal = await connectTemporal(testConfig.temporal);
    api = await startApi(testConfig, { db, temporal, logger: testLogger }, 0);
  });
  after(async () => {
    await api?.stop();
    await temporal?.connection.close();
    await db?.close();
  });

  it('is green with every dependency named', async () => {
    const res = await fetch(`http://127.0.0.1:${api.port}/healthz`);
    const body = (await res.json()) as { ok: boolean; checks: Record<string, { ok: boolean; detail: string }> };
    expect(res.status).to.equal(200);
    expect(Object.keys(body.checks).sort()).to.deep.equal(['mqtt', 'temporal', 'timescaledb']);
    expect(body.checks.timescaledb!.detail).to.match(/^timescaledb 2\./);
  });

  it('answers 503 naming the dependency that is down', async () => {
    const deadDb = createDb({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none', max: 1 });
    const app = buildApp({
      config: testConfig,
      logger: testLogger,
      health: {
        timescaleVersion: timescaleProbe(deadDb),
        temporal: { handle: temporal, namespace: testConfig.temporal.namespace },
      },
    });
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
      expect(res.status).to.equal(503);
      expect(body.checks.timescaledb!.ok).to.equal(false);
      expect(body.checks.temporal!.ok).to.equal(true);
    } finally {
      server.close();
      await deadDb.close();
    }
  });

  it('refuses /v1 routes without a token', async () => {
    const res = await fetch(`http://127.0.0.1:${api.port}/v1/whoami`);
    expect(res.status).to.equal(401);
  });
});
