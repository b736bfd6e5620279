// Transfers on the real stack (issue 14): a transfer planned from explicit lines is picked at
// the source (ATP there drops, the destination's does not move: the units are in transit),
// shipped in a van whose readings are in band and received through goods receiving (new lots
// at the destination, ATP up); a chilled line shipped in a warm van is refused at receipt and
// written off; a cancel before shipping puts the units back; idempotency (200 same body, 409
// naming fields); bad input (400/422 naming the field); a replenishment suggestion as a transfer
// (its order quantity; the source must hold the SKU).
import { expect } from 'chai';
import { loadAllocationInputs } from '../../db/orders';
import type { Db } from '../../db/pool';
import { availableToPromise } from '../../db/transfers';
import type { JsonBody, OrderStack } from '../support/orders';
import { startOrderStack } from '../support/orders';
import { seedTransferWorld } from '../support/transfers';
import type { TransferWorld } from '../support/transfers';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';

describe('Transfers (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  let stack: OrderStack;
  let w: TransferWorld;
  let dc: string, front: string, milk: string, rice: string;
  let api: TransferWorld['api'], ok: TransferWorld['ok'], stockDc: TransferWorld['stockDc'];
  const coldVan = uniqueId('trvanc');
  const warmVan = uniqueId('trvanw');
  const paths = (b: JsonBody): string[] => (b.error?.details ?? []).map((d: { path: string }) => d.path);
  const plan = (transferId: string) => ({
    transferId,
    fromNodeId: dc,
    toNodeId: front,
    lines: [
      { sku: milk, quantity: 10 },
      { sku: rice, quantity: 5 },
    ],
  });

  before(async () => {
    db = await requireDb();
    await requireTemporal();
    stack = await startOrderStack(db);
    w = await seedTransferWorld(stack, await stack.token('ops'), 'tr');
    ({ dc, front, milk, rice, api, ok, stockDc } = w);
    const now = Date.now();
    for (const [van, temps] of [
      [coldVan, [3, 3.5, 4]],
      [warmVan, [4, 9.5, 8]],
    ] as const) {
      const sensor = await w.van(van);
      for (const [i, t] of temps.entries())
        await db.query('INSERT INTO sensor_readings (sensor_id, ts, temp_c) VALUES ($1, $2, $3)', [
          sensor,
          new Date(now - (40 - i * 15) * 60_000),
          t,
        ]);
    }
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  it('runs end to end: picked units leave ATP at the source without reaching the destination, and arrive as new lots when received', async () => {
    const { milkLot, riceLot } = await stockDc(30, 20);
    const id = uniqueId('TR');
    const planned = await api('POST', '/v1/transfers', plan(id));
    expect(planned.status, JSON.stringify(planned.body)).to.equal(201);
    expect(planned.body).to.deep.include({ status: 'planned', fromNodeId: dc, toNodeId: front });
    expect(planned.body.lines.map((l: JsonBody) => l.bin)).to.deep.equal(['C-1', 'A-1']);

    const picked = await ok('POST', `/v1/transfers/${id}/picked`, {
      picks: [
        { lotId: milkLot, qty: 10 },
        { lotId: riceLot, qty: 5 },
      ],
    });
    expect(picked.status).to.equal('picked');
    expect(picked.picks.map((p: JsonBody) => p.status)).to.deep.equal(['in_transit', 'in_transit']);
    // Stock leaving the source is an adjustment, from where to where (inventory accuracy and the audit see it).
    const moves = async (lotIds: string[]) =>
      db.query<{ lot_id: string; kind: string; delta: number; source_node_id: string; dest_node_id: string }>(
        `SELECT lot_id, kind, delta, source_node_id, dest_node_id FROM stock_adjustments
          WHERE lot_id = ANY($1::text[]) AND kind IN ('transfer', 'receipt') AND adjustment_id LIKE 'transfer%' ORDER BY lot_id`,
        [lotIds],
      );
    expect(await moves([milkLot, riceLot])).to.deep.equal([
      { lot_id: milkLot, kind: 'transfer', delta: -10, source_node_id: dc, dest_node_id: front },
      { lot_id: riceLot, kind: 'transfer', delta: -5, source_node_id: dc, dest_node_id: front },
    ]);
    expect(await availableToPromise(db, dc, milk)).to.equal(20);
    expect(await availableToPromise(db, dc, rice)).to.equal(15);
    expect(await availableToPromise(db, front, milk)).to.equal(0);
    // The allocator sees the source lot with what is left, and nothing in transit anywhere.
    const alloc = await loadAllocationInputs(
      db,
      { location: { lat: 31, lng: 121 }, lines: [{ lineId: 'l1', sku: milk, qty: 1 }] },
      'instant',
    );
    expect(alloc.lots.map((l) => [l.lotId, l.nodeId, l.available])).to.deep.equal([[milkLot, dc, 20]]);

    expect((await ok('POST', `/v1/transfers/${id}/shipped`, { vanAssetId: coldVan })).status).to.equal('shipped');
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    expect(done.status).to.equal('done');
    expect(done.picks.map((p: JsonBody) => p.status)).to.deep.equal(['received', 'received']);
    expect(done.events.map((e: JsonBody) => e.type)).to.deep.equal([
      'planned',
      'picked',
      'shipped',
      'received',
      'done',
    ]);
    const milkLine = done.events[3].detail.lines.find((l: JsonBody) => l.sku === milk);
    expect(milkLine.temperature).to.deep.include({ source: 'van', assetId: coldVan, minC: 3, maxC: 4 });
    expect(await availableToPromise(db, front, milk)).to.equal(10);
    expect(await availableToPromise(db, front, rice)).to.equal(5);
    expect(await availableToPromise(db, dc, milk)).to.equal(20);
    const lots = await db.query<{ node_id: string; receipt_id: string }>(
      'SELECT node_id, receipt_id FROM lots WHERE lot_id = ANY($1::text[])',
      [done.picks.map((p: JsonBody) => p.destLotId)],
    );
    expect(lots.map((l) => l.node_id)).to.deep.equal([front, front]);
    // Arriving at the destination likewise: the new lots' receipt adjustments name where they came from.
    const arrived = await db.query<{ kind: string; delta: number; source_node_id: string; dest_node_id: string }>(
      `SELECT kind, delta, source_node_id, dest_node_id FROM stock_adjustments
        WHERE lot_id = ANY($1::text[]) AND kind = 'receipt' ORDER BY delta DESC`,
      [done.picks.map((p: JsonBody) => p.destLotId)],
    );
    expect(arrived).to.deep.equal([
      { kind: 'receipt', delta: 10, source_node_id: dc, dest_node_id: front },
      { kind: 'receipt', delta: 5, source_node_id: dc, dest_node_id: front },
    ]);
    const wf = await stack.client.workflow.getHandle(`transfer-${id}`).result();
    expect(wf).to.equal('done');
    // A step the status no longer allows.
    const again = await api('POST', `/v1/transfers/${id}/cancel`, {});
    expect(again.status).to.equal(409);
  });

  it('refuses a chilled line at receipt when the van ran out of band, and writes it off; the ambient line is received', async () => {
    const { milkLot, riceLot } = await stockDc(10, 5);
    const id = uniqueId('TRW');
    await ok('POST', '/v1/transfers', plan(id));
    await ok('POST', `/v1/transfers/${id}/picked`, {
      picks: [
        { lotId: milkLot, qty: 10 },
        { lotId: riceLot, qty: 5 },
      ],
    });
    await ok('POST', `/v1/transfers/${id}/shipped`, { vanAssetId: warmVan });
    const before = await availableToPromise(db, front, milk);
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    expect(milkPick).to.deep.include({ status: 'written_off', destLotId: null });
    expect(milkPick.reason).to.match(/van maximum 9\.5 °C is above the chilled band/);
    expect(done.picks.find((p: JsonBody) => p.sku === rice).status).to.equal('received');
    expect(await availableToPromise(db, front, milk)).to.equal(before);
    const writeOff = await db.query<{ delta: number }>(
      "SELECT delta FROM stock_adjustments WHERE lot_id = $1 AND kind = 'write_off'",
      [milkLot],
    );
    expect(writeOff.map((w) => w.delta)).to.deep.equal([-10]);
    const lot = await db.query<{ on_hand: number }>('SELECT on_hand FROM lots WHERE lot_id = $1', [milkLot]);
    expect(lot[0]!.on_hand).to.equal(0);
  });

  it('puts picked units back on their source lots when cancelled before shipping', async () => {
    const { milkLot, riceLot } = await stockDc(12, 6);
    const id = uniqueId('TRC');
    await ok('POST', '/v1/transfers', plan(id));
    await ok('POST', `/v1/transfers/${id}/picked`, {
      picks: [
        { lotId: milkLot, qty: 10 },
        { lotId: riceLot, qty: 5 },
      ],
    });
    const onHand = async () =>
      (await db.query<{ on_hand: number }>('SELECT on_hand FROM lots WHERE lot_id = $1', [milkLot]))[0]!.on_hand;
    expect(await onHand()).to.equal(2);
    const cancelled = await ok('POST', `/v1/transfers/${id}/cancel`, { reason: 'van broke down' });
    expect(cancelled.status).to.equal('cancelled');
    expect(cancelled.picks.map((p: JsonBody) => p.status)).to.deep.equal(['released', 'released']);
    const back = await db.query<{ lot_id: string; delta: number }>(
      "SELECT lot_id, delta FROM stock_adjustments WHERE adjustment_id LIKE $1 AND kind = 'transfer' ORDER BY lot_id, delta",
      [`transfer:${id}:%`],
    );
    expect(back).to.deep.equal([
      { lot_id: milkLot, delta: -10 },
      { lot_id: milkLot, delta: 10 },
      { lot_id: riceLot, delta: -5 },
      { lot_id: riceLot, delta: 5 },
    ]);
    expect(await onHand()).to.equal(12);
    expect(await stack.client.workflow.getHandle(`transfer-${id}`).result()).to.equal('cancelled');
    expect((await api('POST', `/v1/transfers/${id}/shipped`, { vanAssetId: coldVan })).status).to.equal(409);
  });

  it('turns a replenishment suggestion into a transfer of its order quantity; the source must hold the SKU', async () => {
    await stockDc(20, 1);
    const runId = uniqueId('trrun');
    await db.query(
      "INSERT INTO forecast_runs (run_id, status, origin, history_from, horizon_h, params, model_version) VALUES ($1, 'succeeded', now(), now() - interval '28 days', 24, '{}', 'test')",
      [runId],
    );
    const suggest = (sku: string, q: number) =>
      db.query(
        `INSERT INTO replenishment_suggestions (run_id, node_id, sku, order_quantity, order_up_to, inventory_position, on_hand, expiry_cap, limited_by_expiry, lead_time_h, review_h, shelf_life_h, cap_hours_covered)
       VALUES ($1, $2, $3, $4, 20, 0, 0, 100, false, 12, 24, 336, 24)`,
        [runId, front, sku, q],
      );
    await suggest(milk, 7);
    const r = await api('POST', '/v1/transfers', {
      transferId: uniqueId('TRS'),
      fromNodeId: dc,
      fromSuggestion: { runId, nodeId: front, sku: milk },
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body).to.deep.include({ toNodeId: front, status: 'planned' });
    expect(r.body.lines.map((l: JsonBody) => [l.sku, l.quantity])).to.deep.equal([[milk, 7]]);
    expect(r.body.events[0].detail.fromSuggestion).to.deep.equal({ runId, nodeId: front, sku: milk });
    const missing = await api('POST', '/v1/transfers', {
      transferId: uniqueId('TRS'),
      fromNodeId: dc,
      fromSuggestion: { runId, nodeId: front, sku: rice },
    });
    expect(missing.status).to.equal(422);
    expect(paths(missing.body)).to.deep.equal(['fromSuggestion']);
    const emptyStore = uniqueId('trempty');
    await ok('PUT', `/v1/nodes/${emptyStore}`, {
      kind: 'store',
      name: 'Empty store',
      location: { lat: 31, lng: 121 },
      serviceRadiusKm: 3,
      zones: ['ambient', 'chilled'],
    });
    const notHeld = await api('POST', '/v1/transfers', {
      transferId: uniqueId('TRS'),
      fromNodeId: emptyStore,
      fromSuggestion: { runId, nodeId: front, sku: milk },
    });
    expect(notHeld.status).to.equal(422);
    expect(paths(notHeld.body)).to.deep.equal(['fromSuggestion.sku']);
  });

  it('is idempotent by transfer id: the same body 200, a different one 409 naming the fields', async () => {
    await stockDc(5, 5);
    const id = uniqueId('TRI');
    expect((await api('POST', '/v1/transfers', plan(id))).status).to.equal(201);
    const same = await api('POST', '/v1/transfers', plan(id));
    expect(same.status).to.equal(200);
    expect(same.body.events).to.have.length(1);
    const other = await api('POST', '/v1/transfers', { ...plan(id), lines: [{ sku: milk, quantity: 11 }] });
    expect(other.status).to.equal(409);
    expect(paths(other.body)).to.deep.equal(['lines']);
  });

  it('answers bad input with a 4xx naming the field, and moves nothing', async () => {
    const { milkLot } = await stockDc(5, 5);
    expect(
      paths(
        (await api('POST', '/v1/transfers', { ...plan(uniqueId('TRB')), lines: [{ sku: milk, quantity: 0 }] })).body,
      ),
    ).to.deep.equal(['lines.0.quantity']);
    expect(paths((await api('POST', '/v1/transfers', { ...plan(uniqueId('TRB')), toNodeId: dc })).body)).to.include(
      'toNodeId',
    );
    const unknownSku = await api('POST', '/v1/transfers', {
      ...plan(uniqueId('TRB')),
      lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }],
    });
    expect(unknownSku.status).to.equal(422);
    expect(paths(unknownSku.body)).to.deep.equal(['lines.0.sku']);
    const toStore = await api('POST', '/v1/transfers', { ...plan(uniqueId('TRB')), fromNodeId: front, toNodeId: dc });
    expect(toStore.status).to.equal(422);
    expect(paths(toStore.body)).to.include('toNodeId');

    const id = uniqueId('TRB');
    await ok('POST', '/v1/transfers', plan(id));
    const before = await availableToPromise(db, dc, milk);
    const tooMany = await api('POST', `/v1/transfers/${id}/picked`, { picks: [{ lotId: milkLot, qty: 6 }] });
    expect(tooMany.status, JSON.stringify(tooMany.body)).to.equal(422);
    expect(paths(tooMany.body)).to.deep.equal(['picks.0.qty']);
    const short = await api('POST', `/v1/transfers/${id}/picked`, { picks: [{ lotId: milkLot, qty: 3 }] });
    expect(short.status).to.equal(422);
    expect(paths(short.body)).to.deep.equal(['picks', 'picks']);
    expect(await availableToPromise(db, dc, milk)).to.equal(before);
    expect(
      (await api('POST', `/v1/transfers/${id}/picked`, { picks: [{ lotId: milkLot, qty: 'x' }] })).status,
    ).to.equal(400);
    expect((await api('POST', `/v1/transfers/${id}/shipped`, { vanAssetId: coldVan })).status).to.equal(409);
    expect((await api('GET', `/v1/transfers/${id}`)).body.status).to.equal('planned');
    expect((await api('GET', `/v1/transfers/${uniqueId('nope')}`)).status).to.equal(404);
  });
});
