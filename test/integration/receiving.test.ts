// Goods receiving on the real stack (issue 14): a receipt's accepted lines become new lots
// available at once; an out-of-band chilled line (probe) and a frozen line whose van ran warm in
// the hour before (readings in TimescaleDB) are refused with the reason and never enter stock;
// the receiving event and the lot trace (supplier → receipt → orders); idempotency (200 same,
// 409 naming the fields); bad input (400/422 naming the field, nothing written).
import type { Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import { timescaleProbe } from '../../db/extensions';
import type { Db } from '../../db/pool';
import { runImport } from '../../scripts/import';
import { putBins, putSkus } from '../../db/masterdata';
import { requireDb, testConfig, testLogger, uniqueId } from '../support/stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('Goods receiving (integration)', function () {
  this.timeout(30_000);
  let db: Db;
  let server: Server;
  let url: string;
  let ops: string;
  let integrator: string;
  const nodeId = uniqueId('rcn');
  const van = uniqueId('rcvan');
  const sensor = uniqueId('rcsen');
  const milk = uniqueId('MILK');
  const peas = uniqueId('PEAS');
  const rice = uniqueId('RICE');
  const receivedAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

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
  const put = async (path: string, body: unknown) => {
    const r = await call('PUT', path, ops, body);
    expect(r.status, `${path} ${JSON.stringify(r.body)}`).to.be.oneOf([200, 201]);
  };
  const expiry = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const receipt = (receiptId: string, extra: Record<string, unknown> = {}) => ({
    receiptId,
    kind: 'supplier',
    nodeId,
    supplierId: 'SUP-FARM-1',
    receivedAt,
    vanAssetId: van,
    lines: [
      { sku: milk, quantity: 24, lotCode: 'MILK-L1', expiresOn: expiry(10), bin: 'C-1', probeTempC: 3.1 },
      { sku: milk, quantity: 12, lotCode: 'MILK-L2', expiresOn: expiry(10), bin: 'C-1', probeTempC: 9.4 },
      { sku: peas, quantity: 30, lotCode: 'PEAS-L1', producedOn: expiry(-1), bin: 'F-1' },
      { sku: rice, quantity: 50, lotCode: 'RICE-L1', expiresOn: expiry(300), bin: 'A-1' },
    ],
    ...extra,
  });
  const lotsOf = (receiptId: string) =>
    db.query<{ lot_id: string; on_hand: number; reserved: number; status: string }>(
      'SELECT lot_id, on_hand, reserved, status FROM lots WHERE receipt_id = $1 ORDER BY lot_id',
      [receiptId],
    );

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
    ops = await issueToken(testConfig.auth.tokenSecret, { sub: 'ops-rc', role: 'ops' });
    integrator = await issueToken(testConfig.auth.tokenSecret, { sub: 'erp-rc', role: 'integrator' });
    await put(`/v1/nodes/${nodeId}`, {
      kind: 'front',
      name: 'Receiving test',
      location: { lat: 31, lng: 121 },
      serviceRadiusKm: 3,
      zones: ['ambient', 'chilled', 'frozen'],
    });
    for (const [bin, zone] of [
      ['C-1', 'chilled'],
      ['F-1', 'frozen'],
      ['A-1', 'ambient'],
    ])
      await put(`/v1/nodes/${nodeId}/bins/${bin}`, { zone, pickSequence: 1 });
    const sku = (zone: string, band: string, shelfLifeDays: number) => ({
      name: 'Test item',
      category: 'dairy',
      zone,
      band,
      shelfLifeDays,
      minShelfLifeDays: 2,
      perishable: true,
      unitPriceCents: 199,
    });
    await put(`/v1/skus/${milk}`, sku('chilled', 'chilled', 14));
    await put(`/v1/skus/${peas}`, { ...sku('frozen', 'frozen', 365), category: 'frozen_dumplings' });
    await put(`/v1/skus/${rice}`, { ...sku('ambient', 'ambient', 720), category: 'pantry' });
    await put(`/v1/assets/${van}`, { nodeId, kind: 'van', band: 'frozen' });
    await put(`/v1/sensors/${sensor}`, { assetId: van });
    // The van ran at -20 °C but rose to -12 °C twenty minutes before unloading.
    const at = Date.parse(receivedAt);
    for (const [minutesBefore, temp] of [
      [50, -20],
      [35, -19],
      [20, -12],
      [5, -18.5],
    ] as const) {
      await db.query('INSERT INTO sensor_readings (sensor_id, ts, temp_c) VALUES ($1, $2, $3)', [
        sensor,
        new Date(at - minutesBefore * 60_000),
        temp,
      ]);
    }
  });
  after(async () => {
    server?.close();
    await db?.close();
  });

  it('accepts in-band lines as new lots available at once; refuses the warm chilled line and the frozen line of a warm van, with reasons', async () => {
    const id = uniqueId('RC');
    const r = await call('POST', '/v1/receipts', ops, receipt(id));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const lines = r.body.lines as Json[];
    expect(lines.map((l) => l.status)).to.deep.equal(['accepted', 'refused', 'refused', 'accepted']);
    expect(lines[1].reason).to.match(/probe 9\.4 °C is above the chilled band/);
    expect(lines[2].reason).to.match(/van maximum -12 °C is above the frozen band/);
    expect(lines[2].temperature).to.deep.include({ source: 'van', assetId: van, minC: -20, maxC: -12, readings: 4 });
    expect(lines[1].lotId).to.equal(null);
    const lots = await lotsOf(id);
    expect(lots.map((l) => [l.lot_id, l.on_hand, l.reserved, l.status])).to.deep.equal([
      [lines[0].lotId, 24, 0, 'available'],
      [lines[3].lotId, 50, 0, 'available'],
    ]);
    const stored = await db.query<{ status: string; reason: string | null }>(
      'SELECT status, reason FROM receipt_lines WHERE receipt_id = $1 ORDER BY line_no',
      [id],
    );
    expect(stored.map((s) => s.status)).to.deep.equal(['accepted', 'refused', 'refused', 'accepted']);
    expect(stored[1]!.reason).to.match(/above the chilled band/);
  });

  it('a frozen line with an in-band probe reading is accepted whatever the van did; expiry from production date + shelf life', async () => {
    const id = uniqueId('RC');
    const body = receipt(id);
    body.lines = [
      { sku: peas, quantity: 30, lotCode: 'PEAS-L2', producedOn: '2026-01-01', bin: 'F-1', probeTempC: -21 },
    ] as never;
    body.receivedAt = '2026-01-05T08:00:00Z';
    const r = await call('POST', '/v1/receipts', integrator, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.lines[0]).to.include({ status: 'accepted', expiresOn: '2027-01-01' });
  });

  it('is idempotent by receipt id: the same body answers 200 with the stored receipt; a different body 409 naming the fields', async () => {
    const id = uniqueId('RC');
    const first = await call('POST', '/v1/receipts', ops, receipt(id));
    expect(first.status).to.equal(201);
    const again = await call('POST', '/v1/receipts', ops, receipt(id));
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    const changed = receipt(id, { supplierId: 'SUP-OTHER' });
    changed.lines[0] = { ...changed.lines[0]!, quantity: 25 };
    const conflict = await call('POST', '/v1/receipts', ops, changed);
    expect(conflict.status).to.equal(409);
    expect(detailsPaths(conflict.body)).to.deep.equal(['supplierId', 'lines.0.quantity']);
    expect((await lotsOf(id)).map((l) => l.on_hand)).to.deep.equal([24, 50]);
  });

  it('unknown SKU, bin, node or van is a 422 naming the field and writes nothing; a chilled line with no temperature too', async () => {
    const id = uniqueId('RC');
    const bad = receipt(id);
    bad.lines[0] = { ...bad.lines[0]!, sku: 'NO-SUCH-SKU' };
    bad.lines[3] = { ...bad.lines[3]!, bin: 'NO-BIN' };
    const r = await call('POST', '/v1/receipts', ops, bad);
    expect(r.status).to.equal(422);
    expect(detailsPaths(r.body)).to.deep.equal(['lines.0.sku', 'lines.3.bin']);
    expect(await lotsOf(id)).to.deep.equal([]);
    expect(await db.query('SELECT 1 FROM receipts WHERE receipt_id = $1', [id])).to.deep.equal([]);
    expect(
      detailsPaths((await call('POST', '/v1/receipts', ops, receipt(id, { nodeId: 'no-such-node' }))).body),
    ).to.deep.equal(['nodeId']);
    expect(
      detailsPaths((await call('POST', '/v1/receipts', ops, receipt(id, { vanAssetId: 'no-such-van' }))).body),
    ).to.deep.equal(['vanAssetId']);
    const noTemp = receipt(id, { vanAssetId: undefined });
    const r2 = await call('POST', '/v1/receipts', ops, noTemp);
    expect(r2.status).to.equal(422);
    expect(detailsPaths(r2.body)).to.deep.equal(['lines.2.probeTempC']);
    expect(await db.query('SELECT 1 FROM receipts WHERE receipt_id = $1', [id])).to.deep.equal([]);
  });

  it('a bad body is a 400 naming the field; pickers and couriers may not receive', async () => {
    const r = await call('POST', '/v1/receipts', ops, receipt(uniqueId('RC'), { receivedAt: 'yesterday' }));
    expect(r.status).to.equal(400);
    expect(detailsPaths(r.body)).to.include('receivedAt');
    const picker = await issueToken(testConfig.auth.tokenSecret, { sub: 'p-rc', role: 'picker', nodeId });
    expect((await call('POST', '/v1/receipts', picker, receipt(uniqueId('RC')))).status).to.equal(403);
  });

  it('traces a lot from supplier through its receipt to the orders that took it', async () => {
    const id = uniqueId('RC');
    const r = await call('POST', '/v1/receipts', ops, receipt(id));
    const lotId = r.body.lines[0].lotId as string;
    const orderId = uniqueId('ord-rc');
    // An order's hold on the lot, as reserveAllocation records it.
    await db.query(
      `INSERT INTO stock_reservations (order_id, allocation_key, lot_id, node_id, sku, qty, status, expires_at) VALUES ($1, 'a1', $2, $3, $4, 2, 'committed', now() + interval '1 hour')`,
      [orderId, lotId, nodeId, milk],
    );
    const t = await call('GET', `/v1/lots/${encodeURIComponent(lotId)}/trace`, ops);
    expect(t.status, JSON.stringify(t.body)).to.equal(200);
    expect(t.body.lot).to.include({ lotId, lotCode: 'MILK-L1', sku: milk, nodeId });
    expect(t.body.receipt).to.include({ receiptId: id, supplierId: 'SUP-FARM-1', nodeId, receivedAt });
    expect(t.body.events).to.have.length(1);
    expect(t.body.events[0]).to.include({
      cte: 'receiving',
      lotCode: 'MILK-L1',
      sku: milk,
      quantity: 24,
      nodeId,
      supplierId: 'SUP-FARM-1',
      receiptId: id,
      at: receivedAt,
    });
    expect(t.body.orders).to.deep.equal([
      { orderId, nodeId, sku: milk, qty: 2, status: 'committed', at: t.body.orders[0].at },
    ]);
    expect((await call('GET', '/v1/lots/no-such-lot/trace', ops)).status).to.equal(404);
    expect((await call('GET', `/v1/lots/${encodeURIComponent(lotId)}/trace`, integrator)).status).to.equal(403);
  });

  it('npm run import: lots.csv goes through receiving (a receipt per node, supplier and time; out-of-band line refused), sales.csv into past sales; a re-run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-lots-'));
    writeFileSync(
      join(dir, 'lots.csv'),
      [
        'node_id,supplier_id,received_at,sku,quantity,lot_code,bin,expires_on,produced_on,probe_temp_c',
        `${nodeId},SUP-A,${receivedAt},${milk},10,IMP-M1,C-1,${expiry(9)},,2.0`,
        `${nodeId},SUP-A,${receivedAt},${milk},5,IMP-M2,C-1,${expiry(9)},,7.5`,
        `${nodeId},SUP-B,${receivedAt},${rice},8,IMP-R1,A-1,${expiry(200)},,`,
      ].join('\n'),
    );
    const line = uniqueId('pos');
    writeFileSync(
      join(dir, 'sales.csv'),
      `line_id,node_id,sku,sold_at,quantity\n${line}-1,${nodeId},${milk},2026-03-01T09:00:00Z,2\n${line}-2,${nodeId},${rice},2026-03-01,1\n`,
    );
    const first = await runImport(db, { dir, dryRun: false, actor: 'import:test' });
    expect(first.problems).to.deep.equal([]);
    expect(first.files).to.deep.equal([
      { file: 'lots.csv', rows: 3, created: 2, changed: 0, unchanged: 0, refused: 1 },
      { file: 'sales.csv', rows: 2, created: 2, changed: 0, unchanged: 0 },
    ]);
    const lots = await db.query<{ lot_code: string; on_hand: number; supplier_id: string }>(
      `SELECT l.lot_code, l.on_hand, r.supplier_id FROM lots l JOIN receipts r USING (receipt_id) WHERE l.lot_code LIKE 'IMP-%' AND l.node_id = $1 ORDER BY l.lot_code`,
      [nodeId],
    );
    expect(lots).to.deep.equal([
      { lot_code: 'IMP-M1', on_hand: 10, supplier_id: 'SUP-A' },
      { lot_code: 'IMP-R1', on_hand: 8, supplier_id: 'SUP-B' },
    ]);
    const again = await runImport(db, { dir, dryRun: false, actor: 'import:test' });
    expect(again.files).to.deep.equal([
      { file: 'lots.csv', rows: 3, created: 0, changed: 0, unchanged: 3, refused: 0 },
      { file: 'sales.csv', rows: 2, created: 0, changed: 0, unchanged: 2 },
    ]);
    expect(await db.query(`SELECT 1 FROM lots WHERE lot_code LIKE 'IMP-%' AND node_id = $1`, [nodeId])).to.have.length(
      2,
    );
    const sales = await db.query<{ quantity: number }>(
      'SELECT quantity FROM imported_sales WHERE line_id LIKE $1 ORDER BY line_id',
      [`${line}-%`],
    );
    expect(sales.map((x) => x.quantity)).to.deep.equal([2, 1]);
    // Past sales are demand history: the forecaster's demand lines hold them, once each.
    const demand = await db.query<{ sku: string; qty: number }>(
      'SELECT sku, qty FROM demand_lines WHERE order_id LIKE $1 ORDER BY order_id',
      [`sale:${line}-%`],
    );
    expect(demand).to.deep.equal([
      { sku: milk, qty: 2 },
      { sku: rice, qty: 1 },
    ]);
    // The same sale line id with another quantity: refused, nothing replaced.
    writeFileSync(
      join(dir, 'sales.csv'),
      `line_id,node_id,sku,sold_at,quantity\n${line}-1,${nodeId},${milk},2026-03-01T09:00:00Z,3\n`,
    );
    await runImport(db, { dir, dryRun: false, actor: 'import:test' }).then(
      () => expect.fail('a changed sale line was accepted'),
      (err: Error) => expect(err.message).to.match(/already imported with other content/),
    );
    expect(
      (
        await db.query<{ quantity: number }>('SELECT quantity FROM imported_sales WHERE line_id = $1', [`${line}-1`])
      )[0]!.quantity,
    ).to.equal(2);
  });

  it('batched master data upserts (the import): created, unchanged, changed with version and audit; an unknown node or GTIN clash refused by index', async () => {
    const bins = [
      { nodeId, bin: 'BATCH-1', body: { zone: 'chilled' as const, pickSequence: 5 } },
      { nodeId, bin: 'BATCH-2', body: { zone: 'ambient' as const, pickSequence: 6 } },
    ];
    expect(await db.transaction((c) => putBins(c, bins, 'import:test'))).to.deep.equal({
      created: 2,
      changed: 0,
      unchanged: 0,
      refused: [],
    });
    const moved = [bins[0]!, { ...bins[1]!, body: { zone: 'ambient' as const, pickSequence: 7 } }];
    expect(await db.transaction((c) => putBins(c, moved, 'import:test'))).to.deep.equal({
      created: 0,
      changed: 1,
      unchanged: 1,
      refused: [],
    });
    const audit = await db.query<{ version: number; before: Json; after: Json }>(
      `SELECT version, before, after FROM master_data_audit WHERE entity = 'bin' AND entity_id = $1 ORDER BY id`,
      [`${nodeId}/BATCH-2`],
    );
    expect(audit.map((a) => [a.version, a.before?.pickSequence ?? null, a.after.pickSequence])).to.deep.equal([
      [1, null, 6],
      [2, 6, 7],
    ]);
    const bad = await db.transaction((c) =>
      putBins(
        c,
        [...bins, { nodeId: 'no-such-node', bin: 'X', body: { zone: 'ambient' as const, pickSequence: 1 } }],
        'import:test',
      ),
    );
    expect(bad.refused).to.deep.equal([
      { index: 2, problems: [{ path: 'nodeId', message: 'unknown node no-such-node' }] },
    ]);
    const gtin = '4006381333931';
    const sku = (id: string) => ({
      sku: id,
      body: {
        name: 'Batch',
        category: 'pantry',
        gtin,
        zone: 'ambient' as const,
        band: 'ambient',
        shelfLifeDays: 10,
        minShelfLifeDays: 1,
        perishable: false,
        unitPriceCents: 1,
      },
    });
    const clash = await db.transaction((c) => putSkus(c, [sku(uniqueId('BS')), sku(uniqueId('BS'))], 'import:test'));
    expect(clash.refused.map((r) => [r.index, r.problems[0]!.path])).to.deep.equal([[1, 'gtin']]);
  });
});
