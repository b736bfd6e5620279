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
import { minutesAgo, seedTransferWorld } from '../support/transfers';
import type { TransferWorld } from '../support/transfers';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';

describe("goods in transit exposed by their van's alerts (integration)", function () {
  this.timeout(90_000);
  let db: Db;
  let stack: OrderStack;
  let w: TransferWorld;
  let dc: string, front: string, milk: string, rice: string;
  let ok: TransferWorld['ok'], van: TransferWorld['van'];
  let engine: AlertEngine;

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

  /** In band from 170 minutes ago; 9 °C from 150 to 110 minutes ago (an excursion); in band to `untilMin` ago. */
  const warmStretch = (now: number, untilMin: number): [number, number][] => [
    ...minutesAgo(now, 170, 150, 5, 3.5),
    ...minutesAgo(now, 150, 110, 1, 9),
    ...minutesAgo(now, 110, untilMin, 5, 3.5),
  ];

  /** A transfer of 10 milk and 5 rice from the DC, picked and shipped in the van `leftMinAgo` minutes ago. */
  const shipped = async (vanId: string, leftMinAgo: number): Promise<{ id: string; milkLot: string }> => {
    const { milkLot, riceLot } = await w.stockDc(10, 5);
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
    // A long trip: the van left leftMinAgo minutes ago.
    await db.query(
      "UPDATE transfer_events SET at = now() - make_interval(mins => $2) WHERE transfer_id = $1 AND type = 'shipped'",
      [id, leftMinAgo],
    );
    return { id, milkLot };
  };

  before(async () => {
    db = await requireDb();
    await requireTemporal();
    stack = await startOrderStack(db);
    w = await seedTransferWorld(stack, await stack.token('ops'), 'tx');
    ({ dc, front, milk, rice, ok, van } = w);
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
    await drive(vanId, sensor, warmStretch(now, 4));

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

  /** Readings of a van over the last hour, in band, stored only (what receiving looks back on). */
  const lastHourInBand = async (sensorId: string): Promise<void> => {
    for (const [ts, tempC] of minutesAgo(Date.now(), 55, 4, 10, 3))
      await db.query('INSERT INTO sensor_readings (sensor_id, ts, temp_c) VALUES ($1, $2, $3)', [
        sensorId,
        new Date(ts),
        tempC,
      ]);
  };
  const exposedEvents = async (id: string): Promise<JsonBody[]> =>
    (await ok('GET', `/v1/transfers/${id}`)).events.filter((e: JsonBody) => e.type === 'exposed');

  it('an excursion opened before loading and still open exposes the chilled picks at shipping', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const now = Date.now();
    await drive(vanId, sensor, minutesAgo(now, 40, 0, 1, 9));
    const { id, milkLot } = await shipped(vanId, 0);
    const exposed = await exposedEvents(id);
    expect(exposed.map((e) => e.detail.lotIds)).to.deep.equal([[milkLot]]);
    const impacts = await alertImpacts(db.pool, exposed[0].detail.alertId);
    expect(impacts.map((i) => [i.kind, i.refId])).to.deep.include(['transfer', id]);
  });

  it('an alert for a stretch entirely before loading, processed during the trip, exposes nothing', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const { id } = await shipped(vanId, 60);
    const now = Date.now();
    // 9 °C from 150 to 110 minutes ago: over before the van was loaded 60 minutes ago.
    await drive(vanId, sensor, warmStretch(now, 4));
    const alerts = await db.query<{ id: string }>("SELECT id FROM alerts WHERE asset_id = $1 AND kind = 'excursion'", [
      vanId,
    ]);
    expect(alerts.length, 'the van had an excursion').to.be.greaterThanOrEqual(1);
    expect(await exposedEvents(id)).to.deep.equal([]);
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    const lot = await db.query<{ status: string }>('SELECT status FROM lots WHERE lot_id = $1', [milkPick.destLotId]);
    expect(lot[0]!.status).to.equal('available');
  });

  it('a stretch in the trip whose readings come after the receipt exposes picks, quarantines lots', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const { id, milkLot } = await shipped(vanId, 180);
    await lastHourInBand(sensor);
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    const ricePick = done.picks.find((p: JsonBody) => p.sku === rice);
    const status = async (lotId: string) =>
      (await db.query<{ status: string }>('SELECT status FROM lots WHERE lot_id = $1', [lotId]))[0]!.status;
    expect(await status(milkPick.destLotId)).to.equal('available');
    // The gateway flushes the trip's buffer late: 9 °C from 150 to 110 minutes ago.
    const now = Date.now();
    await drive(vanId, sensor, warmStretch(now, 60));
    const exposed = await exposedEvents(id);
    expect(exposed.map((e) => e.detail.lotIds)).to.deep.equal([[milkLot]]);
    expect(await status(milkPick.destLotId)).to.equal('quarantined');
    expect(await status(ricePick.destLotId)).to.equal('available');
    const impacts = await alertImpacts(db.pool, exposed[0].detail.alertId);
    expect(impacts.map((i) => [i.kind, i.refId])).to.deep.include.members([
      ['transfer', id],
      ['lot', milkPick.destLotId],
    ]);
  });

  it('a van that stays in band exposes nothing: its goods arrive available', async () => {
    const vanId = uniqueId('txvan');
    const sensor = await van(vanId);
    const { id } = await shipped(vanId, 120);
    const now = Date.now();
    await drive(vanId, sensor, minutesAgo(now, 115, 4, 5, 3));
    const done = await ok('POST', `/v1/transfers/${id}/received`, {});
    expect(done.events.map((e: JsonBody) => e.type)).to.not.include('exposed');
    const milkPick = done.picks.find((p: JsonBody) => p.sku === milk);
    const lot = await db.query<{ status: string }>('SELECT status FROM lots WHERE lot_id = $1', [milkPick.destLotId]);
    expect(lot[0]!.status).to.equal('available');
  });
});
