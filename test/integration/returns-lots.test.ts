// Returns after delivery book stock per lot actually picked: a line picked from two lots gives its
// returned units back to (or writes them off against) those lots, never more to a lot than it gave,
// so on-hand stock and lot → order traceability stay right across several returns and a door rejection.
import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { Db } from '../../db/pool';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderView } from '../../domain/orders';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { call, cityToday, intakeBody, seedNetwork, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';

const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * 86_400_000).toISOString().slice(0, 10);

describe('Returns after delivery, per lot (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  let integrator: string;
  let courier: string;

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    integrator = await stack.token('integrator');
    courier = await stack.token('courier');
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  /**
   * One front warehouse; rice (ambient) in lots A (2 units, expiring first) and B (5), milk
   * (chilled, perishable) in lots A (1) and B (5). Bins run against expiry order on purpose.
   */
  async function twoLotNetwork() {
    const city = await seedNetwork(db, (c, p) => {
      const n: Node = {
        id: `${p}N0`,
        kind: 'front',
        name: 'Node 0',
        location: c,
        serviceRadiusKm: 3,
        zones: ['ambient', 'chilled', 'frozen'],
        pickMinutesPerOrder: 3,
        packMinutes: 1,
        travelKmPerHour: 20,
        slotCapacity: { '*': 1000 },
      };
      const sku = (id: string, zone: Sku['zone'], perishable: boolean, price: number): Sku => ({
        sku: `${p}${id}`,
        name: id,
        category: zone === 'ambient' ? 'rice' : 'dairy',
        zone,
        minShelfLifeDays: 1,
        perishable,
        unitPriceCents: price,
      });
      const lot = (id: string, n2: string, qty: number, days: number, bin: string): StockLot => ({
        nodeId: n.id,
        sku: `${p}${id}`,
        lotId: `${p}${id}-${n2}`,
        expiresOn: inDays(days),
        available: qty,
        bin,
      });
      return {
        nodes: [n],
        skus: [sku('RICE', 'ambient', false, 2000), sku('MILK', 'chilled', true, 800)],
        lots: [
          lot('RICE', 'A', 2, 3, 'A-09-1'),
          lot('RICE', 'B', 5, 6, 'A-01-1'),
          lot('MILK', 'A', 1, 2, 'C-09-1'),
          lot('MILK', 'B', 5, 4, 'C-01-1'),
        ],
      };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    return { city, lot: (id: string) => `${p}${id}`, sku: (id: string) => `${p}${id}` };
  }

  const onHand = async (lotId: string) =>
    (await db.query<{ on_hand: number }>('SELECT on_hand FROM lots WHERE lot_id = $1', [lotId]))[0]!.on_hand;
  const waitFor = async (orderId: string, pred: (v: OrderView) => boolean) => {
    let last: OrderView | undefined;
    const ok = await eventually(
      async () => {
        last = await stack.client.workflow
          .getHandle(orderWorkflowId(orderId))
          .query(orderStatusQuery)
          .catch(() => undefined);
        return !!last && pred(last);
      },
      30_000,
      100,
    );
    expect(ok, `order ${orderId} (last: ${JSON.stringify(last?.status)})`).to.equal(true);
    return last!;
  };
  /** Place rice ×4 (A 2 + B 2) and milk ×3 (A 1 + B 2), pick everything and dispatch. */
  async function placeAndDispatch(w: Awaited<ReturnType<typeof twoLotNetwork>>) {
    const orderId = uniqueId('o');
    const placed = await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({
        orderId,
        location: w.city.centre,
        lines: [
          { lineId: 'l1', sku: w.sku('RICE'), qty: 4 },
          { lineId: 'l2', sku: w.sku('MILK'), qty: 3 },
        ],
      }),
    );
    expect(placed.status, JSON.stringify(placed.body)).to.equal(202);
    const v = await waitFor(orderId, (x) => x.status === 'allocated');
    expect(v.fulfilments[0]!.lotIds.sort()).to.deep.equal([
      w.lot('MILK-A'),
      w.lot('MILK-B'),
      w.lot('RICE-A'),
      w.lot('RICE-B'),
    ]);
    const fid = v.fulfilments[0]!.fulfilmentId;
    await driveFulfilment(stack.client, fid, { until: 'dispatched' });
    return { orderId, fid };
  }
  const returnLots = (orderId: string) =>
    db.query<{ return_id: string; line_id: string; lot_id: string; qty: number }>(
      'SELECT return_id, line_id, lot_id, qty FROM order_return_lots WHERE order_id = $1 ORDER BY return_id, line_id, lot_id',
      [orderId],
    );

  it('splits a return of a line picked from two lots by the lots picked, across several returns', async () => {
    const w = await twoLotNetwork();
    const { orderId, fid } = await placeAndDispatch(w);
    expect(
      (
        await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
          type: 'delivered',
          fulfilmentId: fid,
        })
      ).status,
    ).to.equal(200);
    expect(
      [await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))],
      'rice left the shelf: A 2, B 2',
    ).to.deep.equal([0, 3]);
    const returns = `${stack.url}/v1/orders/${orderId}/returns`;

    const r1 = await call(returns, 'POST', integrator, {
      returnId: 'r1',
      lines: [
        { lineId: 'l1', qty: 3, reason: 'changed_mind', condition: 'sellable', customerChoice: 'refund' },
        { lineId: 'l2', qty: 3, reason: 'quality', condition: 'unknown', customerChoice: 'refund' },
      ],
    });
    expect(r1.status, JSON.stringify(r1.body)).to.equal(201);
    // Freshest first: both units of B, then one of A; no lot gets back more than it gave.
    expect([await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))], 'rice restocked per lot').to.deep.equal([
      1, 5,
    ]);
    const writeOffs = await db.query<{ lot_id: string; delta: number }>(
      "SELECT lot_id, delta FROM stock_adjustments WHERE adjustment_id LIKE $1 AND kind = 'write_off' ORDER BY lot_id",
      [`${orderId}:l2:return:r1%`],
    );
    expect(writeOffs, 'sour milk written off against both lots it came from').to.deep.equal([
      { lot_id: w.lot('MILK-A'), delta: -1 },
      { lot_id: w.lot('MILK-B'), delta: -2 },
    ]);
    expect(await returnLots(orderId), 'traceability: which lots each returned line came from').to.deep.equal([
      { return_id: 'r1', line_id: 'l1', lot_id: w.lot('RICE-A'), qty: 1 },
      { return_id: 'r1', line_id: 'l1', lot_id: w.lot('RICE-B'), qty: 2 },
      { return_id: 'r1', line_id: 'l2', lot_id: w.lot('MILK-A'), qty: 1 },
      { return_id: 'r1', line_id: 'l2', lot_id: w.lot('MILK-B'), qty: 2 },
    ]);

    // The last unit the customer holds is of lot A: the second return books it there.
    const r2 = await call(returns, 'POST', integrator, {
      returnId: 'r2',
      lines: [{ lineId: 'l1', qty: 1, reason: 'damaged', condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(r2.status, JSON.stringify(r2.body)).to.equal(201);
    expect(
      [await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))],
      'every lot back to what it held',
    ).to.deep.equal([2, 5]);
    const again = await call(returns, 'POST', integrator, {
      returnId: 'r2',
      lines: [{ lineId: 'l1', qty: 1, reason: 'damaged', condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(again.status).to.equal(200);
    expect(
      [await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))],
      'a repeated request books nothing more',
    ).to.deep.equal([2, 5]);
    expect((await returnLots(orderId)).filter((r) => r.return_id === 'r2')).to.deep.equal([
      { return_id: 'r2', line_id: 'l1', lot_id: w.lot('RICE-A'), qty: 1 },
    ]);
  });

  it('leaves out what the door rejection gave back, per lot, before booking a later return', async () => {
    const w = await twoLotNetwork();
    const { orderId, fid } = await placeAndDispatch(w);
    // One bag refused at the door: the fulfilment books it on lot B (its freshest).
    const rej = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'rejected',
      fulfilmentId: fid,
      lines: [{ lineId: 'l1', qty: 1, condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(rej.status, JSON.stringify(rej.body)).to.equal(200);
    expect(rej.body.state).to.equal('delivered');
    expect([await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))]).to.deep.equal([0, 4]);
    const r1 = await call(`${stack.url}/v1/orders/${orderId}/returns`, 'POST', integrator, {
      returnId: 'r1',
      lines: [{ lineId: 'l1', qty: 3, reason: 'changed_mind', condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(r1.status, JSON.stringify(r1.body)).to.equal(201);
    expect(
      [await onHand(w.lot('RICE-A')), await onHand(w.lot('RICE-B'))],
      'the customer held A 2 and B 1',
    ).to.deep.equal([2, 5]);
  });
});
