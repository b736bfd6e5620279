import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { Db } from '../../db/pool';
import {
  commitReservations,
  releaseExpiredReservations,
  releaseReservations,
  reserveAllocation,
} from '../../db/orders';
import { recordShortPick } from '../../db/picking';
import {
  confirmPickUpdate,
  fulfilmentStatusQuery,
  packedUpdate,
  startPickingUpdate,
} from '../../workflows/fulfilment.contract';
import { coldChainQuarantineSignal, orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import { returnWorkflowId } from '../../workflows/returns.contract';
import type { OrderView } from '../../domain/orders';
import type { orderWorkflow } from '../../workflows/order';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import {
  call,
  cityToday,
  historyText,
  intakeBody,
  seedNetwork,
  startOrderStack,
  TEST_COURIER_ID,
} from '../support/orders';
import type { OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';
import { driveFulfilment, pickEverything } from '../../demo/sim/drive-fulfilment';

const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * 86_400_000).toISOString().slice(0, 10);

function node(prefix: string, centre: { lat: number; lng: number }, i: number, over: Partial<Node> = {}): Node {
  return {
    id: `${prefix}N${i}`,
    kind: 'front',
    name: `Node ${i}`,
    location: { lat: centre.lat + i * 0.005, lng: centre.lng },
    serviceRadiusKm: 3,
    zones: ['ambient', 'chilled', 'frozen'],
    pickMinutesPerOrder: 3,
    packMinutes: 1,
    travelKmPerHour: 20,
    slotCapacity: { '*': 1000 },
    ...over,
  };
}
function sku(prefix: string, id: string, zone: Sku['zone'], perishable: boolean, price = 500): Sku {
  return {
    sku: `${prefix}${id}`,
    name: id,
    category: zone === 'ambient' ? 'rice' : 'dairy',
    zone,
    minShelfLifeDays: 1,
    perishable,
    unitPriceCents: price,
  };
}
function lot(prefix: string, nodeId: string, skuId: string, n: string, qty: number, days = 5): StockLot {
  return {
    nodeId,
    sku: `${prefix}${skuId}`,
    lotId: `${prefix}${skuId}-${n}`,
    expiresOn: inDays(days),
    available: qty,
    bin: 'A-01-1',
  };
}

describe('Order workflows (integration)', function () {
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

  /** A network with one front warehouse stocking milk (chilled, perishable) and rice (ambient). */
  async function simpleNetwork(milk = 10, rice = 10) {
    return seedNetwork(db, (c, p) => {
      const n = node(p, c, 0);
      return {
        nodes: [n],
        skus: [sku(p, 'MILK', 'chilled', true, 800), sku(p, 'RICE', 'ambient', false, 2000)],
        lots: [lot(p, n.id, 'MILK', 'L1', milk), lot(p, n.id, 'RICE', 'L1', rice)],
      };
    });
  }
  const lotRow = async (lotId: string) =>
    (
      await db.query<{ on_hand: number; reserved: number; status: string }>(
        'SELECT on_hand, reserved, status FROM lots WHERE lot_id = $1',
        [lotId],
      )
    )[0]!;
  const view = (orderId: string) => stack.client.workflow.getHandle(orderWorkflowId(orderId)).query(orderStatusQuery);
  const waitFor = async (orderId: string, pred: (v: OrderView) => boolean) => {
    let last: OrderView | undefined;
    const ok = await eventually(
      async () => {
        last = await view(orderId).catch(() => undefined);
        return !!last && pred(last);
      },
      30_000,
      100,
    );
    expect(ok, `order ${orderId} reached the expected state (last: ${JSON.stringify(last?.status)})`).to.equal(true);
    return last!;
  };

  /** Intake through the API, then pick everything, pack and dispatch its (single) fulfilment. */
  const placeAndDispatch = async (
    orderId: string,
    location: { lat: number; lng: number },
    lines: { lineId: string; sku: string; qty: number }[],
  ) => {
    await call(`${stack.url}/v1/orders`, 'POST', integrator, intakeBody({ orderId, location, lines }));
    const v = await waitFor(orderId, (x) => x.status === 'allocated');
    const fid = v.fulfilments[0]!.fulfilmentId;
    const child = stack.client.workflow.getHandle(fid);
    await child.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'p' }] });
    await pickEverything(child, 'p');
    await child.executeUpdate(packedUpdate);
    await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'dispatched',
      fulfilmentId: fid,
      courierId: TEST_COURIER_ID,
    });
    return { fid, child };
  };

  it('takes an order from intake to delivered, idempotently, with stock leaving on dispatch', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const body = intakeBody({
      orderId,
      location: city.centre,
      lines: [
        { lineId: 'l1', sku: `${p}MILK`, qty: 2 },
        { lineId: 'l2', sku: `${p}RICE`, qty: 1 },
      ],
    });
    const first = await call(`${stack.url}/v1/orders`, 'POST', integrator, body);
    expect(first.status).to.equal(202);
    const again = await call(`${stack.url}/v1/orders`, 'POST', integrator, body);
    expect(again.status).to.equal(200);
    expect(again.body.duplicate).to.equal(true);

    const allocated = await waitFor(orderId, (v) => v.status === 'allocated');
    expect(allocated.fulfilments).to.have.length(1);
    const f = allocated.fulfilments[0]!;
    expect(f.zones.sort()).to.deep.equal(['ambient', 'chilled']);
    expect((await lotRow(`${p}MILK-L1`)).reserved).to.equal(2);

    const child = stack.client.workflow.getHandle(f.fulfilmentId);
    await child.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'picker-1' }] });
    await pickEverything(child, 'picker-1');
    await child.executeUpdate(packedUpdate);
    const dispatched = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'dispatched',
      fulfilmentId: f.fulfilmentId,
      courierId: TEST_COURIER_ID,
    });
    expect(dispatched.status).to.equal(200);
    expect(await lotRow(`${p}MILK-L1`)).to.include({ on_hand: 8, reserved: 0 });
    const delivered = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'delivered',
      fulfilmentId: f.fulfilmentId,
    });
    expect(delivered.body.state).to.equal('delivered');

    const result = await stack.client.workflow.getHandle(orderWorkflowId(orderId)).result();
    expect(result.status).to.equal('delivered');
    const types = (
      await db.query<{ type: string }>('SELECT type FROM order_events WHERE order_id = $1 ORDER BY at', [orderId])
    ).map((r) => r.type);
    for (const t of ['received', 'allocated', 'picking', 'packed', 'dispatched', 'delivered', 'order_delivered'])
      expect(types).to.include(t);
    const status = await call(`${stack.url}/v1/orders/${orderId}`, 'GET', integrator);
    expect(status.body.status).to.equal('delivered');
    expect(JSON.stringify(status.body)).not.to.include('Li Wei');
  });

  it('splits an order over two nodes and reports it allocated only once both fulfilments are listed', async () => {
    const city = await seedNetwork(db, (c, p) => {
      const n0 = node(p, c, 0);
      const n1 = node(p, c, 1);
      return {
        nodes: [n0, n1],
        skus: [sku(p, 'MILK', 'chilled', true), sku(p, 'RICE', 'ambient', false)],
        lots: [lot(p, n0.id, 'MILK', 'A', 5), lot(p, n1.id, 'RICE', 'B', 5)],
      };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const handle = stack.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
    expect(
      (
        await call(
          `${stack.url}/v1/orders`,
          'POST',
          integrator,
          intakeBody({
            orderId,
            location: city.nodes[0]!.location,
            lines: [
              { lineId: 'l1', sku: `${p}MILK`, qty: 1 },
              { lineId: 'l2', sku: `${p}RICE`, qty: 1 },
            ],
          }),
        )
      ).status,
    ).to.equal(202);
    // Watch the allocation as closely as queries allow: the fulfilments start one after another.
    const seen: OrderView[] = [];
    await eventually(
      async () => {
        const v = await handle.query(orderStatusQuery).catch(() => undefined);
        if (v) seen.push(v);
        return !!v && v.status !== 'received';
      },
      30_000,
      2,
    );
    const allocated = seen.filter((v) => v.status !== 'received');
    expect(allocated.length).to.be.greaterThan(0);
    for (const v of allocated)
      expect(v.fulfilments.map((f) => f.nodeId).sort(), `view at status ${v.status}`).to.deep.equal([
        `${p}N0`,
        `${p}N1`,
      ]);
    for (const f of allocated[0]!.fulfilments) await driveFulfilment(stack.client, f.fulfilmentId);
    const outcome = await handle.result();
    expect(outcome.status).to.equal('delivered');
    expect(outcome.fulfilments.map((f) => f.state)).to.deep.equal(['delivered', 'delivered']);
  });

  it('finds orders in visibility by the custom search attributes, without personal data', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({ orderId, location: city.centre, lines: [{ lineId: 'l1', sku: `${p}MILK`, qty: 1 }] }),
    );
    await waitFor(orderId, (v) => v.status === 'allocated');
    let found: string[] = [];
    await eventually(
      async () => {
        found = [];
        for await (const wf of stack.client.workflow.list({
          query: `OrderId = '${orderId}' AND OrderStatus = 'allocated' AND NodeKind = 'front' AND TemperatureZones = 'chilled'`,
        }))
          found.push(wf.workflowId);
        return found.length >= 2;
      },
      15_000,
      250,
    );
    expect(found.sort()).to.deep.equal([orderWorkflowId(orderId), `${orderWorkflowId(orderId)}-f1`].sort());
    const desc = await stack.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    const visible = JSON.stringify({ sa: desc.searchAttributes, memo: desc.memo });
    expect(visible).not.to.match(/Li Wei|138|Test Road/);
  });

  it('refuses invalid transitions with 409 and a message, and bad bodies with 400', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({ orderId, location: city.centre, lines: [{ lineId: 'l1', sku: `${p}RICE`, qty: 1 }] }),
    );
    const v = await waitFor(orderId, (x) => x.status === 'allocated');
    // As ops: to a courier, a fulfilment not assigned to it is a 404.
    const res = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', await stack.token('ops'), {
      type: 'delivered',
      fulfilmentId: v.fulfilments[0]!.fulfilmentId,
    });
    expect(res.status).to.equal(409);
    expect(res.body.error.message).to.match(/cannot deliver a fulfilment that is allocated/);
    const bad = await call(`${stack.url}/v1/orders`, 'POST', integrator, {
      orderId: 'x',
      lines: [{ lineId: 'a', sku: 's', qty: 0 }],
      customer: {},
      location: { lat: 200, lng: 0 },
      slot: { kind: 'instant' },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message)
      .to.match(/lines\.0\.qty/)
      .and.match(/location\.lat/)
      .and.match(/customer\.name/);
    const noAuth = await call(`${stack.url}/v1/orders`, 'POST', undefined, {});
    expect(noAuth.status).to.equal(401);
    const wrongRole = await call(
      `${stack.url}/v1/orders`,
      'POST',
      courier,
      intakeBody({ orderId: uniqueId('o'), location: city.centre, lines: [{ lineId: 'l1', sku: `${p}RICE`, qty: 1 }] }),
    );
    expect(wrongRole.status).to.equal(403);
  });

  it('releases reservations on cancellation before picking, and makes a return of it after', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const a = uniqueId('o');
    const b = uniqueId('o');
    for (const id of [a, b])
      await call(
        `${stack.url}/v1/orders`,
        'POST',
        integrator,
        intakeBody({ orderId: id, location: city.centre, lines: [{ lineId: 'l1', sku: `${p}MILK`, qty: 3 }] }),
      );
    await waitFor(a, (v) => v.status === 'allocated');
    const vb = await waitFor(b, (v) => v.status === 'allocated');
    expect((await lotRow(`${p}MILK-L1`)).reserved).to.equal(6);
    const cancelA = await call(`${stack.url}/v1/orders/${a}/cancel`, 'POST', integrator, {
      reason: 'customer changed mind',
    });
    expect(cancelA.body.outcome).to.equal('cancelled');
    expect((await lotRow(`${p}MILK-L1`)).reserved).to.equal(3);
    await stack.client.workflow
      .getHandle(vb.fulfilments[0]!.fulfilmentId)
      .executeUpdate(startPickingUpdate, { args: [{ pickerId: 'p' }] });
    const cancelB = await call(`${stack.url}/v1/orders/${b}/cancel`, 'POST', integrator, { reason: 'too late' });
    expect(cancelB.body.outcome).to.equal('returned');
    // Picking had begun but nothing was taken off the shelf: nothing is written off.
    expect(await lotRow(`${p}MILK-L1`)).to.include({ reserved: 0, on_hand: 10 });
    expect((await stack.client.workflow.getHandle(orderWorkflowId(a)).result()).status).to.equal('cancelled');
    expect((await stack.client.workflow.getHandle(orderWorkflowId(b)).result()).status).to.equal('returned');
  });

  it('a cancel during picking returns what was picked (perishables written off) and releases what is still on the shelf', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({
        orderId,
        location: city.centre,
        lines: [
          { lineId: 'l1', sku: `${p}MILK`, qty: 2 },
          { lineId: 'l2', sku: `${p}RICE`, qty: 3 },
        ],
      }),
    );
    const v = await waitFor(orderId, (x) => x.status === 'allocated');
    const child = stack.client.workflow.getHandle(v.fulfilments[0]!.fulfilmentId);
    await child.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'p' }] });
    await child.executeUpdate(confirmPickUpdate, {
      args: [
        { pickerId: 'p', idempotencyKey: uniqueId('k'), lineId: 'l1', sku: `${p}MILK`, lotId: `${p}MILK-L1`, qty: 2 },
      ],
    });
    const cancel = await call(`${stack.url}/v1/orders/${orderId}/cancel`, 'POST', integrator, {
      reason: 'customer left',
    });
    expect(cancel.body.outcome).to.equal('returned');
    expect(await lotRow(`${p}MILK-L1`), 'the picked milk left the cold chain: written off').to.include({
      on_hand: 8,
      reserved: 0,
    });
    expect(await lotRow(`${p}RICE-L1`), 'the rice never left its shelf').to.include({ on_hand: 10, reserved: 0 });
    const credits = await db.query<{ line_id: string; credit_cents: number }>(
      "SELECT line_id, credit_cents FROM order_credits WHERE order_id = $1 AND reason = 'cancel_after_pick' ORDER BY line_id",
      [orderId],
    );
    expect(credits, 'the customer gets every line back').to.deep.equal([
      { line_id: 'l1', credit_cents: 1600 },
      { line_id: 'l2', credit_cents: 6000 },
    ]);
    const adjustments = await db.query<{ lot_id: string; kind: string; delta: number }>(
      'SELECT lot_id, kind, delta FROM stock_adjustments WHERE adjustment_id LIKE $1 ORDER BY lot_id',
      [`${orderId}:%`],
    );
    expect(adjustments).to.deep.equal([{ lot_id: `${p}MILK-L1`, kind: 'write_off', delta: -2 }]);
    const rows = await db.query<{ lot_id: string; status: string; qty: number }>(
      'SELECT lot_id, status, qty FROM stock_reservations WHERE order_id = $1 ORDER BY lot_id',
      [orderId],
    );
    expect(rows).to.deep.equal([
      { lot_id: `${p}MILK-L1`, status: 'committed', qty: 2 },
      { lot_id: `${p}RICE-L1`, status: 'released', qty: 3 },
    ]);
    const returned = await db.query<{ data: { restocked: string[]; writtenOff: string[] } }>(
      "SELECT data FROM order_events WHERE order_id = $1 AND type = 'returned'",
      [orderId],
    );
    expect(returned.map((r) => [r.data.restocked, r.data.writtenOff])).to.deep.equal([[[], ['l1']]]);
  });

  it('settles a partial door rejection: perishables written off, sellable ambient restocked, credits recorded', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const { fid } = await placeAndDispatch(orderId, city.centre, [
      { lineId: 'l1', sku: `${p}MILK`, qty: 2 },
      { lineId: 'l2', sku: `${p}RICE`, qty: 2 },
      { lineId: 'l3', sku: `${p}RICE`, qty: 1 },
    ]);
    const riceBefore = await lotRow(`${p}RICE-L1`);
    const rej = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'rejected',
      fulfilmentId: fid,
      lines: [
        { lineId: 'l1', qty: 2, condition: 'sellable', customerChoice: 'refund' },
        { lineId: 'l2', qty: 2, condition: 'sellable', customerChoice: 'refund' },
      ],
    });
    expect(rej.status).to.equal(200);
    expect(rej.body.state).to.equal('delivered'); // partial: l3 was accepted
    expect((await lotRow(`${p}MILK-L1`)).on_hand, 'perishable milk is not restocked').to.equal(8);
    expect((await lotRow(`${p}RICE-L1`)).on_hand, 'sellable rice goes back').to.equal(riceBefore.on_hand + 2);
    const credits = await db.query<{ line_id: string; credit_cents: number }>(
      'SELECT line_id, credit_cents FROM order_credits WHERE order_id = $1 ORDER BY line_id',
      [orderId],
    );
    expect(credits).to.deep.equal([
      { line_id: 'l1', credit_cents: 1600 },
      { line_id: 'l2', credit_cents: 4000 },
    ]);
    const writeOffs = await db.query<{ delta: number }>(
      "SELECT delta FROM stock_adjustments WHERE adjustment_id LIKE $1 AND kind = 'write_off'",
      [`${orderId}:%`],
    );
    expect(writeOffs.map((w) => w.delta)).to.deep.equal([-2]);
    const over = await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'rejected',
      fulfilmentId: fid,
      lines: [{ lineId: 'l3', qty: 1, condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(over.status).to.equal(409);
  });

  /** One order's reservations of one lot of milk (5 on hand) at one node, straight on the database. */
  async function milkLotOfOneOrder() {
    const city = await seedNetwork(db, (c, p) => {
      const n = node(p, c, 0);
      return { nodes: [n], skus: [sku(p, 'MILK', 'chilled', true)], lots: [lot(p, n.id, 'MILK', 'A', 5)] };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const nodeId = city.nodes[0]!.id;
    const lotId = `${p}MILK-A`;
    const allocationKey = (seq: number) => `${orderId}:alloc:${seq}`;
    const reserve = (qty: number, seq: number) =>
      reserveAllocation(db, {
        orderId,
        allocationKey: allocationKey(seq),
        allocation: { orderId, fulfilments: [], unfulfilled: [], explanation: {} } as never,
        requests: [{ lotId, nodeId, sku: `${p}MILK`, qty }],
        slotKey: 'k',
        capacities: new Map(),
        newNodeIds: [],
        expiresAt: new Date(Date.now() + 60_000),
        at: new Date(),
      });
    const balance = async () => {
      const held = await db.query<{ q: string | null }>(
        "SELECT sum(qty) AS q FROM stock_reservations WHERE lot_id = $1 AND status = 'held'",
        [lotId],
      );
      const row = await lotRow(lotId);
      return { onHand: row.on_hand, reserved: row.reserved, held: Number(held[0]!.q ?? 0) };
    };
    return { orderId, nodeId, lotId, allocationKey, reserve, balance };
  }

  it("keeps a lot's reserved count equal to its held reservations when an order reserves a lot again after releasing it", async () => {
    const { orderId, lotId, reserve, balance: lotBalance } = await milkLotOfOneOrder();
    const balance = async () => {
      const { reserved, held } = await lotBalance();
      return { reserved, held };
    };
    expect((await reserve(2, 1)).ok).to.equal(true);
    expect(await releaseReservations(db, orderId, [lotId])).to.deep.equal([{ lotId, qty: 2 }]);
    expect((await reserve(1, 2)).ok, 'the same order takes the lot again (a re-allocation)').to.equal(true);
    expect(await balance()).to.deep.equal({ reserved: 1, held: 1 });
    expect((await reserve(1, 3)).ok).to.equal(true);
    expect(await balance()).to.deep.equal({ reserved: 2, held: 2 });
    // The expiry sweep gives back exactly what is held (it failed on the old imbalance: reserved < 0).
    expect((await releaseExpiredReservations(db, new Date(Date.now() + 120_000))).released).to.be.at.least(1);
    expect(await balance()).to.deep.equal({ reserved: 0, held: 0 });

    // A lot already out of balance (left by the old bug) is reported, not a reason to stop the sweep.
    expect((await reserve(2, 4)).ok).to.equal(true);
    await db.query('UPDATE lots SET reserved = 1 WHERE lot_id = $1', [lotId]);
    const swept = await releaseExpiredReservations(db, new Date(Date.now() + 120_000));
    expect(swept.unbalancedLots).to.include(lotId);
    expect(await balance()).to.deep.equal({ reserved: 0, held: 0 });
  });

  it('keeps two fulfilments of one order at one node apart: each dispatch, cancel and short pick touches its own holds', async () => {
    const { orderId, nodeId, lotId, allocationKey, reserve, balance } = await milkLotOfOneOrder();
    // The first allocation holds 2; a re-allocation (a short pick elsewhere, a replacement) lands on the same lot for 1 more.
    expect((await reserve(2, 1)).ok).to.equal(true);
    expect((await reserve(1, 2)).ok).to.equal(true);
    expect(await balance()).to.deep.equal({ onHand: 5, reserved: 3, held: 3 });

    // The first fulfilment dispatches: only its 2 units leave the shelf.
    expect(await commitReservations(db, orderId, nodeId, allocationKey(1))).to.equal(1);
    expect(await balance(), 'the second fulfilment still holds its unit').to.deep.equal({
      onHand: 3,
      reserved: 1,
      held: 1,
    });

    // The second one's short pick releases its own hold, not a committed one.
    await recordShortPick(db, {
      orderId,
      fulfilmentId: `${orderId}-f2`,
      allocationKey: allocationKey(2),
      lineId: 'l1',
      reason: 'damaged',
      lots: [{ lotId, qty: 1 }],
    });
    expect(await balance()).to.deep.equal({ onHand: 2, reserved: 0, held: 0 });

    // A third allocation is cancelled: its release leaves the committed rows alone.
    expect((await reserve(1, 3)).ok).to.equal(true);
    expect(await releaseReservations(db, orderId, [lotId], allocationKey(3))).to.deep.equal([{ lotId, qty: 1 }]);
    expect(
      await releaseReservations(db, orderId, [lotId], allocationKey(1)),
      'committed stock is not released',
    ).to.deep.equal([]);
    expect(await balance()).to.deep.equal({ onHand: 2, reserved: 0, held: 0 });
  });

  it('never oversells: concurrent orders on the last units reserve exactly what exists', async () => {
    const city = await simpleNetwork(5, 0);
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const ids = Array.from({ length: 12 }, () => uniqueId('o'));
    await Promise.all(
      ids.map((id) =>
        call(
          `${stack.url}/v1/orders`,
          'POST',
          integrator,
          intakeBody({ orderId: id, location: city.centre, lines: [{ lineId: 'l1', sku: `${p}MILK`, qty: 1 }] }),
        ),
      ),
    );
    const views = await Promise.all(
      ids.map((id) => waitFor(id, (v) => v.status === 'allocated' || v.status === 'rejected')),
    );
    expect(views.filter((v) => v.status === 'allocated')).to.have.length(5);
    expect(
      views.filter((v) => v.status === 'rejected').every((v) => v.unfulfilled[0]?.code === 'insufficient_stock'),
    ).to.equal(true);
    expect(await lotRow(`${p}MILK-L1`)).to.include({ on_hand: 5, reserved: 5 });
    const held = await db.query<{ n: string }>(
      "SELECT sum(qty) AS n FROM stock_reservations WHERE lot_id = $1 AND status = 'held'",
      [`${p}MILK-L1`],
    );
    expect(Number(held[0]!.n)).to.equal(5);
  });

  it('re-allocates an undispatched order when its lot is quarantined, and completes from another lot', async () => {
    const city = await seedNetwork(db, (c, p) => {
      const n0 = node(p, c, 0);
      const n1 = node(p, c, 1);
      return {
        nodes: [n0, n1],
        skus: [sku(p, 'FISH', 'chilled', true)],
        lots: [lot(p, n0.id, 'FISH', 'A', 3, 2), lot(p, n1.id, 'FISH', 'B', 3, 4)],
      };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({ orderId, location: city.nodes[0]!.location, lines: [{ lineId: 'l1', sku: `${p}FISH`, qty: 2 }] }),
    );
    const v = await waitFor(orderId, (x) => x.status === 'allocated');
    expect(v.fulfilments[0]!.lotIds).to.deep.equal([`${p}FISH-A`]);
    await db.query("UPDATE lots SET status = 'quarantined' WHERE lot_id = $1", [`${p}FISH-A`]);
    await stack.client.workflow
      .getHandle(orderWorkflowId(orderId))
      .signal(coldChainQuarantineSignal, { alertId: uniqueId('alert'), lotIds: [`${p}FISH-A`], reason: 'hard limit' });
    const moved = await waitFor(
      orderId,
      (x) =>
        x.fulfilments.length === 2 &&
        x.fulfilments[1]!.state === 'allocated' &&
        x.fulfilments[0]!.state === 'cancelled',
    );
    expect(moved.fulfilments[1]!.lotIds).to.deep.equal([`${p}FISH-B`]);
    expect((await lotRow(`${p}FISH-A`)).reserved).to.equal(0);
    const f2 = stack.client.workflow.getHandle(moved.fulfilments[1]!.fulfilmentId);
    await f2.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'p' }] });
    await pickEverything(f2, 'p');
    await f2.executeUpdate(packedUpdate);
    await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'dispatched',
      fulfilmentId: moved.fulfilments[1]!.fulfilmentId,
      courierId: TEST_COURIER_ID,
    });
    await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'delivered',
      fulfilmentId: moved.fulfilments[1]!.fulfilmentId,
    });
    expect((await stack.client.workflow.getHandle(orderWorkflowId(orderId)).result()).status).to.equal('delivered');
  });

  it('takes returns after delivery: refund or replacement per line, perishables written off, ambient restocked, each unit once', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    // A door with every digit a double has, so its coordinates cannot appear in a history by chance.
    const door = { lat: city.centre.lat + 0.000912345678, lng: city.centre.lng + 0.000587654321 };
    const { fid } = await placeAndDispatch(orderId, door, [
      { lineId: 'l1', sku: `${p}MILK`, qty: 2 },
      { lineId: 'l2', sku: `${p}RICE`, qty: 3 },
    ]);
    const returns = `${stack.url}/v1/orders/${orderId}/returns`;
    const early = await call(returns, 'POST', integrator, {
      returnId: 'r0',
      lines: [{ lineId: 'l1', qty: 1, reason: 'quality', condition: 'unknown', customerChoice: 'refund' }],
    });
    expect(early.status, 'nothing delivered yet').to.equal(409);
    expect(early.body.error.message).to.match(/nothing delivered/);
    expect(
      (
        await call(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
          type: 'delivered',
          fulfilmentId: fid,
        })
      ).status,
    ).to.equal(200);
    const milkBefore = await lotRow(`${p}MILK-L1`);
    const riceBefore = await lotRow(`${p}RICE-L1`);

    const sour = {
      returnId: 'r1',
      lines: [
        { lineId: 'l1', qty: 1, reason: 'quality', condition: 'unknown', customerChoice: 'refund' },
        { lineId: 'l2', qty: 2, reason: 'changed_mind', condition: 'sellable', customerChoice: 'refund' },
      ],
    };
    const first = await call(returns, 'POST', integrator, sour);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({ creditCents: 800 + 2 * 2000, replacementOrderId: null, duplicate: false });
    expect(first.body.lines.map((l: { lineId: string; restock: boolean }) => [l.lineId, l.restock])).to.deep.equal([
      ['l1', false],
      ['l2', true],
    ]);
    expect((await lotRow(`${p}MILK-L1`)).on_hand, 'sour milk never goes back on the shelf').to.equal(
      milkBefore.on_hand,
    );
    expect((await lotRow(`${p}RICE-L1`)).on_hand, 'unopened rice does').to.equal(riceBefore.on_hand + 2);
    const again = await call(returns, 'POST', integrator, sour);
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ creditCents: first.body.creditCents, duplicate: true });
    expect((await lotRow(`${p}RICE-L1`)).on_hand, 'a repeated request restocks nothing more').to.equal(
      riceBefore.on_hand + 2,
    );
    const credits = await db.query<{ line_id: string; credit_cents: number }>(
      "SELECT line_id, credit_cents FROM order_credits WHERE order_id = $1 AND reason = 'return:r1' ORDER BY line_id",
      [orderId],
    );
    expect(credits).to.deep.equal([
      { line_id: 'l1', credit_cents: 800 },
      { line_id: 'l2', credit_cents: 4000 },
    ]);
    const writeOffs = await db.query<{ delta: number }>(
      "SELECT delta FROM stock_adjustments WHERE adjustment_id = $1 AND kind = 'write_off'",
      [`${orderId}:l1:return:r1:${p}MILK-L1`],
    );
    expect(writeOffs.map((w) => w.delta)).to.deep.equal([-1]);

    const reused = await call(returns, 'POST', integrator, { ...sour, lines: [sour.lines[0]] });
    expect(reused.status, 'a return id names one request').to.equal(409);
    const over = await call(returns, 'POST', integrator, {
      returnId: 'r2',
      lines: [{ lineId: 'l2', qty: 2, reason: 'damaged', condition: 'damaged', customerChoice: 'refund' }],
    });
    expect(over.status).to.equal(409);
    expect(over.body.error.message).to.equal('line l2: cannot return 2; 1 returnable (3 delivered, 2 returned before)');
    const fresh = await call(returns, 'POST', integrator, {
      returnId: 'r3',
      lines: [{ lineId: 'l1', qty: 1, reason: 'changed_mind', condition: 'sellable', customerChoice: 'refund' }],
    });
    expect(fresh.status).to.equal(409);
    expect(fresh.body.error.message).to.match(/fresh goods are returned only for a quality problem/);
    const bad = await call(returns, 'POST', integrator, {
      returnId: 'r4',
      lines: [{ lineId: 'l1', qty: 1, reason: 'smells', condition: 'unknown', customerChoice: 'refund' }],
    });
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.match(/reason/);

    // The last bottle was sour too, and the customer wants another one: a replacement order to the same door.
    const replace = await call(returns, 'POST', integrator, {
      returnId: 'r3',
      lines: [{ lineId: 'l1', qty: 1, reason: 'quality', condition: 'unknown', customerChoice: 'replacement' }],
    });
    expect(replace.status, 'a refused return id can be used again, corrected').to.equal(201);
    expect(replace.body).to.include({ creditCents: 0, replacementOrderId: `${orderId}-R-r3` });
    const replacement = await waitFor(`${orderId}-R-r3`, (v) => v.status === 'allocated');
    expect(replacement.fulfilments[0]!.nodeId).to.equal(city.nodes[0]!.id);
    expect((await lotRow(`${p}MILK-L1`)).reserved, 'the replacement holds one bottle').to.equal(1);
    // The replacement went to the same door, and no history of the return or the replacement holds it.
    const doorOf = async (id: string) =>
      (await db.query<{ lat: number; lng: number }>('SELECT lat, lng FROM orders WHERE order_id = $1', [id]))[0];
    expect(await doorOf(`${orderId}-R-r3`)).to.deep.equal(await doorOf(orderId));
    for (const id of [
      returnWorkflowId(orderId, 'r3'),
      orderWorkflowId(`${orderId}-R-r3`),
      ...replacement.fulfilments.map((f) => f.fulfilmentId),
    ]) {
      const text = historyText(await stack.client.workflow.getHandle(id).fetchHistory());
      expect(text, `history of ${id}`).to.include(orderId);
      expect(text, `history of ${id}`).not.to.include(String(door.lat));
      expect(text, `history of ${id}`).not.to.include(String(door.lng));
    }

    const listed = await call(returns, 'GET', integrator);
    expect(listed.status).to.equal(200);
    expect(
      listed.body.returns.map((r: { returnId: string; creditCents: number }) => [r.returnId, r.creditCents]).sort(),
    ).to.deep.equal([
      ['r1', 4800],
      ['r3', 0],
    ]);
    const picker = await stack.token('picker', city.nodes[0]!.id);
    expect((await call(returns, 'POST', picker, sour)).status, 'pickers take no returns').to.equal(403);
  });

  it('flags a dispatched order at cold-chain risk and asks for inspection at the door', async () => {
    const city = await simpleNetwork();
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const { child } = await placeAndDispatch(orderId, city.centre, [{ lineId: 'l1', sku: `${p}MILK`, qty: 1 }]);
    await stack.client.workflow.getHandle(orderWorkflowId(orderId)).signal(coldChainQuarantineSignal, {
      alertId: uniqueId('alert'),
      lotIds: [`${p}MILK-L1`],
      reason: 'van excursion',
    });
    await waitFor(orderId, (x) => x.coldChainRisk);
    const detail = await child.query(fulfilmentStatusQuery);
    expect(detail).to.include({ coldChainRisk: true, inspectAtDoor: true, state: 'dispatched' });
    const desc = await child.describe();
    expect(desc.searchAttributes.ColdChainRisk).to.deep.equal([true]);
  });

  it('escalates at 80% of the promise and records the breach', async () => {
    // A node that picks, packs and travels instantly, so a 3-second slot is feasible at intake.
    const city = await seedNetwork(db, (c, p) => {
      const n = node(p, c, 0, { pickMinutesPerOrder: 0, packMinutes: 0, travelKmPerHour: 1e9 });
      return { nodes: [n], skus: [sku(p, 'RICE', 'ambient', false)], lots: [lot(p, n.id, 'RICE', 'L1', 5)] };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    const orderId = uniqueId('o');
    const now = Date.now();
    await call(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody(
        { orderId, location: city.centre, lines: [{ lineId: 'l1', sku: `${p}RICE`, qty: 1 }] },
        {
          slot: { kind: 'scheduled', start: new Date(now).toISOString(), end: new Date(now + 3000).toISOString() },
        },
      ),
    );
    const v = await waitFor(orderId, (x) => x.sla.breached);
    expect(v.sla.escalated).to.equal(true);
    const events = await db.query<{ type: string; at: Date }>(
      "SELECT type, at FROM order_events WHERE order_id = $1 AND type LIKE 'sla_%' ORDER BY at",
      [orderId],
    );
    expect(events.map((e) => e.type)).to.deep.equal(['sla_escalated', 'sla_breached']);
    expect(events[0]!.at.getTime()).to.be.at.least(now + 2400 - 50);
  });
});
