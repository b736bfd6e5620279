// Goods in transit are tied to their van's cold chain during the trip (issue 14): an excursion
// alert on the van's sensor while a transfer is shipped marks its chilled in-transit lots exposed,
// and the receipt quarantines the lots they become, even when the van's last hour before the
// receipt was in band (the check receiving does on its own). Ambient goods are not exposed;
// a van that stays in band exposes nothing.
import { expect } from 'chai';
import { AlertEngine } from '../../coldchain/engine';
import { createAlertMetrics } from '../../coldchain/metrics';
import { ProfileCache } from '../../coldchain/profiles';
import { alertImpacts } from '../../db/alerts';
import type { Db } from '../../db/pool';
import { availableToPromise } from '../../db/transfers';
import type { Reading } from '../../domain/coldchain/telemetry';
import { call, startOrderStack } from '../support/orders';
import type { JsonBody, OrderStack } from '../support/orders';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';

const MIN = 60_000;

describe("goods in transit exposed by their van's alerts (integration)", function () {
  this.timeout(90_000);
  let db: Db;
  let stack: OrderStack;
  let ops: string;
  let engine: AlertEngine;
  const dc = uniqueId('txdc');
  const front = uniqueId('txfr');
  const milk = uniqueId('TXMILK');
  const rice = uniqueId('TXRICE');
  const expiry = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const api = (method: string, path: string, body?: unknown) => call(`${stack.url}${path}`, method, ops, body);
  const ok = async (method: string, path: string, body?: unknown): Promise<JsonBody> => {
    const r = await api(method, path, body);
    expect(r.status, `${method} ${path} ${JSON.stringify(r.body)}`).to.be.oneOf([200, 201]);
    return r.body;
  };

  /** A van with a sensor at the DC; returns the sensor id. */
  const van = async (id: string): Promise<string> => {
    await ok('PUT', `/v1/assets/${id}`, { nodeId: dc, kind: 'van', band: 'chilled' });
    await ok('PUT', `/v1/sensors/${id}-s`, { assetId: id });
    return `${id}-s`;
  };

  /** The van's readings, as the evaluator gets them from the broker, and stored for receiving's look-back. */
  const drive = async (vanId: string, sensorId: string, points: readonly [number, number][]): Promise<void> => {
    const readings: Reading[] = points.map(([ts, tempC]) => ({
      sensorId,
      assetId: vanId,
      nodeId: dc,
      ts,
      tempC,
      humidityPct: null,
      doorOpen: null,
      batteryPct: null,
      defrost: null,
      seq: null,
    }));
    for (const r of readings) {
      await db.query('INSERT INTO sensor_readings (sensor_id, ts, temp_c) VALUES ($1, $2, $3)', [
        sensorId,
        new Date(r.ts),
        r.tempC,
      ]);
    }
    await engine.processReadings(readings, Date.now());
  };

  /** A transfer of 10 milk and 5 rice from the DC, picked and shipped in the van `minutesAgo` minutes ago. */
  const shipped = async (vanId: string, minutesAgo: number): Promise<{ id: string; milkLot: string }> => {
    const receipt = await ok('POST', '/v1/receipts', {
      receiptId: uniqueId('txrc'),
      kind: 'supplier',
      nodeId: dc,
      supplierId: 'SUP-1',
      receivedAt: new Date().toISOString(),
      lines: [
        { sku: milk, quantity: 10, lotCode: 'M-1', expiresOn: expiry(10), bin: 'C-1', probeTempC: 3 },
        { sku: rice, quantity: 5, lotCode: 'R-1', expiresOn: expiry(300), bin: 'A-1' },
      ],
    });
    const [milkLot, riceLot] = [receipt.lines[0].lotId as string, receipt.lines[1].lotId as string];
    const id = uniqueId('TX');
    await ok('POST', '/v1/transfers', {
      transferId: id,
      fromNodeId: dc,
      toNodeId: front,
      lines: [
        { sku: milk, quantity: 10 },
        { sku: rice, quantity: 5 },
      ],
    });
    await ok('POST', `/v1/transfers/${id}/picked`, {
      picks: [
        { lotId: milkLot, qty: 10 },
        { lotId: riceLot, qty: 5 },
      ],
    });
    await ok('POST', `/v1/transfers/${id}/shipped`, { vanAssetId: vanId });
    // A long trip: the van left minutesAgo minutes ago.
    await db.query(
      "UPDATE transfer_events SET at = now() - make_interval(mins => $2) WHERE transfer_id = $1 AND type = 'shipped'",
      [id, minutesAgo],
    );
    return { id, milkLot };
  };

  before(async () => {
    db = await requireDb();
    await requireTemporal();
    stack = await startOrderStack(db);
    ops = await stack.token('ops');
    const zones = ['ambient', 'chilled', 'frozen'];
    await ok('PUT', `/v1/nodes/${dc}`, {
      kind: 'store',
      name: 'Transit DC',
      location: { lat: 31, lng: 121 },
      serviceRadiusKm: 3,
      zones,
    });
    await ok('PUT', `/v1/nodes/${front}`, {
      kind: 'front',
      name: 'Transit front',
      location: { lat: 31.01, lng: 121.01 },
      serviceRadiusKm: 3,
      zones,
    });
    for (const node of [dc, front]) {
      for (const [bin, zone] of [
        ['C-1', 'chilled'],
        ['A-1', 'ambient'],
      ])
        await ok('PUT', `/v1/nodes/${node}/bins/${bin}`, { zone, pickSequence: 1 });
    }
    const sku = (zone: string, band: string, category: string) => ({
      name: 'Transit item',
      category,
      zone,
      band,
      shelfLifeDays: 14,
      minShelfLifeDays: 2,
      perishable: zone !== 'ambient',
      unitPriceCents: 199,
    });
    await ok('PUT', `/v1/skus/${milk}`, sku('chilled', 'chilled', 'dairy'));
    await ok('PUT', `/v1/skus/${rice}`, sku('ambient', 'ambient', 'pantry'));
    engine = new AlertEngine(
      { db, logger: testLogger, profiles: new ProfileCache(db, testLogger), metrics: createAlertMetrics() },
      { nodeId: dc },
    );
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  it('an excursion during the trip exposes the chilled lots in transit; the receipt quarantines them though the last hour was in band', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const { id, milkLot } = await shipped(vanId, 180);
    const now = Date.now();
    // 9 °C from 150 to 110 minutes ago (an excursion: above 5 °C for 15 minutes), then back in band.
    const trip: [number, number][] = [];
    for (let m = 170; m > 150; m -= 5) trip.push([now - m * MIN, 3.5]);
    for (let m = 150; m > 110; m -= 1) trip.push([now - m * MIN, 9]);
    for (let m = 110; m >= 5; m -= 5) trip.push([now - m * MIN, 3.5]);
    await drive(vanId, sensor, trip);

    const during = await ok('GET', `/v1/transfers/${id}`);
    expect(during.status).to.equal('shipped');
    const exposedEvent = during.events.find((e: JsonBody) => e.type === 'exposed');
    expect(exposedEvent, JSON.stringify(during.events)).to.not.equal(undefined);
    expect(exposedEvent.detail).to.deep.include({ vanAssetId: vanId, lotIds: [milkLot] });
    const alertId = exposedEvent.detail.alertId as string;
    const impacts = await alertImpacts(db.pool, alertId);
    expect(impacts.map((i) => [i.kind, i.refId, i.lotIds])).to.deep.include(['transfer', id, [milkLot]]);
    // Ops see the transfer among the alert's impacts; an integrator (who placed no transfer) does not.
    const shown = await ok('GET', `/v1/alerts/${alertId}`);
    expect(shown.impacts.transfers.map((t: JsonBody) => [t.transferId, t.lotIds])).to.deep.equal([[id, [milkLot]]]);
    const integrator = await stack.token('integrator');
    const seen = await call(`${stack.url}/v1/alerts/${alertId}`, 'GET', integrator);
    expect(seen.body.impacts.transfers).to.deep.equal([]);

    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    const ricePick = done.picks.find((p: JsonBody) => p.sku === rice);
    // Receiving's own look-back (the last hour, in band) accepts the line: the trip's alert is what quarantines it.
    const milkLine = done.events
      .find((e: JsonBody) => e.type === 'received')
      .detail.lines.find((l: JsonBody) => l.sku === milk);
    expect(milkLine).to.deep.include({ status: 'accepted' });
    expect(milkPick.status).to.equal('received');
    expect(milkPick.reason).to.include('exposed in transit').and.include(alertId);
    const lots = await db.query<{ lot_id: string; status: string; status_reason: string | null }>(
      'SELECT lot_id, status, status_reason FROM lots WHERE lot_id = ANY($1::text[]) ORDER BY lot_id',
      [[milkPick.destLotId, ricePick.destLotId]],
    );
    const byId = new Map(lots.map((l) => [l.lot_id, l]));
    expect(byId.get(milkPick.destLotId)).to.deep.include({ status: 'quarantined' });
    expect(byId.get(milkPick.destLotId)!.status_reason).to.include(alertId);
    expect(byId.get(ricePick.destLotId)).to.deep.include({ status: 'available' });
    expect(await availableToPromise(db, front, milk)).to.equal(0);
    expect(await availableToPromise(db, front, rice)).to.be.at.least(5);
  });

  it('a van that stays in band exposes nothing: its goods arrive available', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const { id } = await shipped(vanId, 120);
    const now = Date.now();
    const trip: [number, number][] = [];
    for (let m = 115; m >= 5; m -= 5) trip.push([now - m * MIN, 3]);
    await drive(vanId, sensor, trip);
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    expect(done.events.map((e: JsonBody) => e.type)).to.not.include('exposed');
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    const lot = await db.query<{ status: string }>('SELECT status FROM lots WHERE lot_id = $1', [milkPick.destLotId]);
    expect(lot[0]!.status).to.equal('available');
  });
});
