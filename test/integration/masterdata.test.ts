// Master data resources on the real stack (issue 14): each resource's good PUT (201), idempotent
// repeat (200 unchanged), change (200, new version), bad body (400 naming the field), unknown
// reference (422 naming the field), the audit rows, paging, roles, and the live effect on
// allocation (a new node is read at once).
import type { Server } from 'node:http';
import { expect } from 'chai';
import { buildApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import { loadAllocationInputs } from '../../db/orders';
import { timescaleProbe } from '../../db/extensions';
import type { Db } from '../../db/pool';
import { requireDb, testConfig, testLogger, uniqueId } from '../support/stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('Master data API (integration)', function () {
  this.timeout(30_000);
  let db: Db;
  let server: Server;
  let url: string;
  let ops: string;
  let integrator: string;
  const nodeId = uniqueId('mdn');
  const lat = 30 + Math.random();
  const lng = 100 + Math.random();
  const node = {
    kind: 'front',
    name: 'Test dark store',
    location: { lat, lng },
    serviceRadiusKm: 3,
    zones: ['ambient', 'chilled'],
    slotCapacity: { instant: 40 },
    openingHours: { mon: [{ open: '07:00', close: '22:00' }] },
  };

  async function call(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }
  const detailsPaths = (b: Json): string[] => (b.error?.details ?? []).map((d: { path: string }) => d.path);

  before(async () => {
    db = await requireDb();
    const app = buildApp({
      config: testConfig,
      logger: testLogger,
      health: { timescaleVersion: timescaleProbe(db) },
      db,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    ops = await issueToken(testConfig.auth.tokenSecret, { sub: 'ops-md', role: 'ops' });
    integrator = await issueToken(testConfig.auth.tokenSecret, { sub: 'erp-md', role: 'integrator' });
  });
  after(async () => {
    server?.close();
    await db?.close();
  });

  it('nodes: 201 created, 200 unchanged on repeat, 200 with a new version on change, audited with who/before/after', async () => {
    const created = await call('PUT', `/v1/nodes/${nodeId}`, ops, node);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body.record).to.include({ nodeId, version: 1 });
    const again = await call('PUT', `/v1/nodes/${nodeId}`, ops, node);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.include({ outcome: 'unchanged' });
    expect(again.body.record.version).to.equal(1);
    const changed = await call('PUT', `/v1/nodes/${nodeId}`, ops, { ...node, zones: ['ambient', 'chilled', 'frozen'] });
    expect(changed.status).to.equal(200);
    expect(changed.body).to.deep.include({ outcome: 'changed' });
    expect(changed.body.record.version).to.equal(2);
    const read = await call('GET', `/v1/nodes/${nodeId}`, integrator);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.include({
      zones: ['ambient', 'chilled', 'frozen'],
      slotCapacity: { instant: 40 },
      version: 2,
    });
    const audit = await call('GET', `/v1/master-data/audit?entity=node&id=${nodeId}`, ops);
    expect(audit.status).to.equal(200);
    expect(audit.body.entries).to.have.length(2);
    expect(audit.body.entries[0]).to.include({ actor: 'ops-md', version: 2 });
    expect(audit.body.entries[0].before.zones).to.deep.equal(['ambient', 'chilled']);
    expect(audit.body.entries[1].before).to.equal(null);
  });

  it('a new node is allocatable at once: allocation reads it with its slot capacity', async () => {
    const inputs = await loadAllocationInputs(db, { location: { lat, lng }, lines: [] }, 'instant');
    const found = inputs.nodes.find((n) => n.id === nodeId);
    expect(found?.slotCapacity).to.deep.equal({ instant: 40 });
  });

  it('nodes: a bad body is a 400 naming the field; integrators cannot write', async () => {
    const bad = await call('PUT', `/v1/nodes/${uniqueId('mdn')}`, ops, {
      ...node,
      kind: 'warehouse',
      location: { lat: 91, lng },
    });
    expect(bad.status).to.equal(400);
    expect(detailsPaths(bad.body)).to.include.members(['kind', 'location.lat']);
    expect((await call('PUT', `/v1/nodes/${uniqueId('mdn')}`, integrator, node)).status).to.equal(403);
    expect((await call('GET', `/v1/nodes/${uniqueId('mdn')}`, ops)).status).to.equal(404);
  });

  it('skus: upsert, idempotent repeat, unknown band is a 422 naming band, bad GTIN a 400 naming gtin', async () => {
    const sku = uniqueId('mdsku');
    const body = {
      name: 'Bok Choy 500g',
      category: 'leafy_greens',
      gtin: null,
      zone: 'chilled',
      band: 'leafy',
      shelfLifeDays: 5,
      minShelfLifeDays: 1,
      perishable: true,
      unitPriceCents: 590,
    };
    expect((await call('PUT', `/v1/skus/${sku}`, ops, body)).status).to.equal(201);
    expect((await call('PUT', `/v1/skus/${sku}`, ops, body)).body.outcome).to.equal('unchanged');
    const unknownBand = await call('PUT', `/v1/skus/${sku}`, ops, { ...body, band: 'tropical' });
    expect(unknownBand.status).to.equal(422);
    expect(detailsPaths(unknownBand.body)).to.deep.equal(['band']);
    const badGtin = await call('PUT', `/v1/skus/${sku}`, ops, { ...body, gtin: '4006381333932' });
    expect(badGtin.status).to.equal(400);
    expect(detailsPaths(badGtin.body)).to.deep.equal(['gtin']);
    const read = await call('GET', `/v1/skus/${sku}`, integrator);
    expect(read.body).to.include({ band: 'leafy', version: 1 });
    const audit = await call('GET', `/v1/master-data/audit?entity=sku&id=${sku}`, ops);
    expect(audit.body.entries).to.have.length(1);
  });

  it('bins: a bin in a zone the node does not hold is a 422 naming zone; unknown node a 422 naming nodeId', async () => {
    expect(
      (await call('PUT', `/v1/nodes/${nodeId}/bins/A-01-1`, ops, { zone: 'chilled', pickSequence: 10 })).status,
    ).to.equal(201);
    expect(
      (await call('PUT', `/v1/nodes/${nodeId}/bins/A-01-1`, ops, { zone: 'chilled', pickSequence: 10 })).body.outcome,
    ).to.equal('unchanged');
    const dropped = await call('PUT', `/v1/nodes/${nodeId}`, ops, { ...node, zones: ['ambient'] });
    expect(dropped.status).to.equal(422);
    expect(detailsPaths(dropped.body)).to.deep.equal(['zones']);
    const other = uniqueId('mdn');
    await call('PUT', `/v1/nodes/${other}`, ops, { ...node, zones: ['ambient'] });
    const wrongZone = await call('PUT', `/v1/nodes/${other}/bins/F-01-1`, ops, { zone: 'frozen', pickSequence: 1 });
    expect(wrongZone.status).to.equal(422);
    expect(detailsPaths(wrongZone.body)).to.deep.equal(['zone']);
    const noNode = await call('PUT', `/v1/nodes/${uniqueId('mdn')}/bins/F-01-1`, ops, {
      zone: 'frozen',
      pickSequence: 1,
    });
    expect(noNode.status).to.equal(422);
    expect(detailsPaths(noNode.body)).to.deep.equal(['nodeId']);
    const list = await call('GET', `/v1/nodes/${nodeId}/bins`, ops);
    expect(list.body.records.map((b: { bin: string }) => b.bin)).to.deep.equal(['A-01-1']);
    const audit = await call('GET', `/v1/master-data/audit?entity=bin&id=${nodeId}/A-01-1`, ops);
    expect(audit.body.entries).to.have.length(1);
  });

  it('assets and sensors: unknown node/band/asset are 422s naming the field; sensor takes the asset node; deactivation audited', async () => {
    const assetId = uniqueId('mda');
    const sensorId = uniqueId('mds');
    const noNode = await call('PUT', `/v1/assets/${assetId}`, ops, {
      nodeId: uniqueId('nope'),
      kind: 'fridge',
      band: 'nope-band',
    });
    expect(noNode.status).to.equal(422);
    expect(detailsPaths(noNode.body)).to.deep.equal(['nodeId', 'band']);
    expect(
      (await call('PUT', `/v1/assets/${assetId}`, ops, { nodeId, kind: 'fridge', band: 'chilled' })).status,
    ).to.equal(201);
    const noAsset = await call('PUT', `/v1/sensors/${sensorId}`, ops, { assetId: uniqueId('nope'), active: true });
    expect(noAsset.status).to.equal(422);
    expect(detailsPaths(noAsset.body)).to.deep.equal(['assetId']);
    const created = await call('PUT', `/v1/sensors/${sensorId}`, ops, { assetId, active: true });
    expect(created.status).to.equal(201);
    expect(created.body.record).to.include({ nodeId, active: true });
    expect((await call('PUT', `/v1/sensors/${sensorId}`, ops, { assetId })).body.outcome).to.equal('unchanged');
    const off = await call('PUT', `/v1/sensors/${sensorId}`, ops, { assetId, active: false });
    expect(off.body).to.deep.include({ outcome: 'changed' });
    const audit = await call('GET', `/v1/master-data/audit?entity=sensor&id=${sensorId}`, ops);
    expect(audit.body.entries.map((e: { after: { active: boolean } }) => e.after.active)).to.deep.equal([false, true]);
    const band = await call('PUT', `/v1/assets/${assetId}`, ops, { nodeId, kind: 'fridge', band: 'leafy' });
    expect(band.body.record).to.include({ band: 'leafy', version: 2 });
    expect((await call('GET', `/v1/assets/${assetId}`, integrator)).status).to.equal(403);
  });

  it('lists page in id order with after/limit', async () => {
    const prefix = uniqueId('mdp');
    for (const i of [1, 2, 3]) await call('PUT', `/v1/nodes/${prefix}-${i}`, ops, node);
    const first = await call('GET', `/v1/nodes?after=${prefix}&limit=2`, ops);
    expect(first.body.records.map((n: { nodeId: string }) => n.nodeId)).to.deep.equal([`${prefix}-1`, `${prefix}-2`]);
    expect(first.body.next).to.equal(`${prefix}-2`);
    const second = await call('GET', `/v1/nodes?after=${first.body.next}&limit=1`, ops);
    expect(second.body.records[0].nodeId).to.equal(`${prefix}-3`);
    expect((await call('GET', '/v1/nodes?limit=0', ops)).status).to.equal(400);
  });
});
