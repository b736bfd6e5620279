// Stock truth on the real stack: a count below reserved is applied and re-allocates the order
// (its events show it); a POS batch lowers available-to-promise at once and is idempotent.
import { expect } from 'chai';
import { relayStockShortfalls } from '../../activities/stock-shortfalls';
import type { Db } from '../../db/pool';
import { applyStockAdjustment } from '../../db/stock';
import { startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { orderWorkflowId } from '../../workflows/order.contract';
import { placeOrder, req, seedPickerWorld, waitForRow } from './picker-support';

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Stock truth (integration)', function () {
  this.timeout(90_000);
  let db: Db;
  let stack: OrderStack;
  let integrator: string;

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    integrator = await stack.token('integrator');
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  /** A shelf count of a lot, through the API. */
  const countLot = (lotId: string, qty: number) =>
    req(`${stack.url}/v1/stock/adjustments`, 'POST', integrator, {
      adjustmentId: uniqueId('cnt'),
      lotId,
      kind: 'count',
      qty,
    });

  it('a count below reserved is applied; the missing units are re-allocated to another node, in the order events', async () => {
    const w = await seedPickerWorld(db);
    const o = await placeOrder(stack, db, integrator, w, [{ lineId: 'l1', sku: 'MILK', qty: 3 }]);
    const count = await countLot(w.lot('MILK-A'), 1);
    expect(count.status, JSON.stringify(count.body)).to.equal(201);
    expect(count.body).to.deep.include({ applied: true, onHand: 1, reserved: 1 });
    const events = await until(async () => {
      const rows = await db.query<{
        type: string;
        node_id: string | null;
        data: { fulfilments?: { nodeId: string }[] };
      }>('SELECT type, node_id, data FROM order_events WHERE order_id = $1 ORDER BY at, event_key', [o.orderId]);
      return rows.some((r) => r.type === 'allocated' && r.data.fulfilments?.some((f) => f.nodeId === w.n1))
        ? rows
        : undefined;
    });
    const types = events.map((e) => e.type);
    expect(types).to.include.members(['stock_shortfall', 'stock_shortfall_reallocated']);
    const held = await db.query<{ node_id: string; qty: number }>(
      "SELECT node_id, qty FROM stock_reservations WHERE order_id = $1 AND status = 'held' ORDER BY node_id",
      [o.orderId],
    );
    expect(held).to.deep.equal([
      { node_id: w.n0, qty: 1 },
      { node_id: w.n1, qty: 2 },
    ]);
  });

  it("a count that leaves a line unservable substitutes it by the customer's 'specific' policy, not a refund", async () => {
    const w = await seedPickerWorld(db);
    // TEA is held at N0 only; the customer named RICE as the substitute for l1.
    const o = await placeOrder(stack, db, integrator, w, [{ lineId: 'l1', sku: 'TEA', qty: 2 }]);
    const policy = await req(`${stack.url}/v1/orders/${o.orderId}/substitution-policy`, 'PUT', integrator, {
      lines: [{ lineId: 'l1', policy: 'specific', sku: w.sku('RICE') }],
    });
    expect(policy.status, JSON.stringify(policy.body)).to.equal(200);
    const count = await countLot(w.lot('TEA-A'), 0);
    expect(count.status, JSON.stringify(count.body)).to.equal(201);
    type Event = { type: string; data: { lineId?: string; sku?: string; qty?: number; decidedBy?: string } };
    const settled = (rows: Event[]) =>
      rows.some((r) => r.type === 'substitution_accepted' || r.type === 'lines_unfulfilled') ? rows : undefined;
    const events = await until(async () =>
      settled(
        await db.query<Event>('SELECT type, data FROM order_events WHERE order_id = $1 ORDER BY at, event_key', [
          o.orderId,
        ]),
      ),
    );
    const types = events.map((e) => e.type);
    expect(types).to.not.include('lines_unfulfilled');
    const accepted = events.find((e) => e.type === 'substitution_accepted');
    expect(accepted?.data).to.deep.include({ lineId: 'l1-x1', sku: w.sku('RICE'), qty: 2, decidedBy: 'policy' });
    const held = await until(async () => {
      const rows = await db.query<{ lot_id: string; qty: number }>(
        "SELECT lot_id, qty FROM stock_reservations WHERE order_id = $1 AND status = 'held' ORDER BY lot_id",
        [o.orderId],
      );
      return rows.length ? rows : undefined;
    });
    expect(held).to.deep.equal([{ lot_id: w.lot('RICE-A'), qty: 2 }]);
    await waitForRow(db, `${orderWorkflowId(o.orderId)}-f2`, () => true);
    const credits = await db.query('SELECT line_id FROM order_credits WHERE order_id = $1', [o.orderId]);
    expect(credits).to.deep.equal([]);
  });

  it('a fact committed without its signal (a crash) is delivered by the relay, and the order re-allocates', async () => {
    const w = await seedPickerWorld(db);
    const o = await placeOrder(stack, db, integrator, w, [{ lineId: 'l1', sku: 'MILK', qty: 3 }]);
    // The route's transaction alone: the process dies before it signals anybody.
    const adjustmentId = uniqueId('cnt');
    const fact = await applyStockAdjustment(db, { adjustmentId, lotId: w.lot('MILK-A'), kind: 'count', qty: 1 });
    expect(fact).to.deep.include({ applied: true });
    const unsent = await db.query<{ signalled_at: Date | null }>(
      'SELECT signalled_at FROM stock_shortfalls WHERE adjustment_id = $1',
      [adjustmentId],
    );
    expect(unsent.map((r) => r.signalled_at)).to.deep.equal([null]);
    const relayed = await relayStockShortfalls(db, stack.client, { olderThan: new Date(Date.now() + 60_000) });
    expect(relayed.signalled).to.be.greaterThanOrEqual(1);
    await until(async () => {
      const rows = await db.query<{ data: { fulfilments?: { nodeId: string }[] } }>(
        "SELECT data FROM order_events WHERE order_id = $1 AND type = 'allocated'",
        [o.orderId],
      );
      return rows.some((r) => r.data.fulfilments?.some((f) => f.nodeId === w.n1)) ? true : undefined;
    });
    const sent = await db.query<{ signal_result: string }>(
      'SELECT signal_result FROM stock_shortfalls WHERE adjustment_id = $1 AND signalled_at IS NOT NULL',
      [adjustmentId],
    );
    expect(sent.map((r) => r.signal_result)).to.deep.equal(['signalled']);
    // Delivered once: a second pass finds nothing, and a repeated signal re-allocates nothing more.
    const again = await relayStockShortfalls(db, stack.client, { olderThan: new Date(Date.now() + 60_000) });
    expect(again.signalled).to.equal(0);
  });

  it('a POS batch lowers available-to-promise at once (FEFO) and a repeat changes nothing', async () => {
    const w = await seedPickerWorld(db);
    const body = {
      sales: [
        { saleId: uniqueId('pos'), nodeId: w.n0, sku: w.sku('RICE'), qty: 4, soldAt: new Date().toISOString() },
        { saleId: uniqueId('pos'), nodeId: w.n0, sku: w.sku('TEA'), qty: 1, soldAt: new Date().toISOString() },
      ],
    };
    const first = await req(`${stack.url}/v1/stock/sales`, 'POST', integrator, body);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const atp = async () =>
      db.query<{ lot_id: string; atp: number }>(
        'SELECT lot_id, on_hand - reserved AS atp FROM lots WHERE lot_id = ANY($1) ORDER BY lot_id',
        [[w.lot('RICE-A'), w.lot('TEA-A')]],
      );
    expect(await atp()).to.deep.equal([
      { lot_id: w.lot('RICE-A'), atp: 16 },
      { lot_id: w.lot('TEA-A'), atp: 2 },
    ]);
    const again = await req(`${stack.url}/v1/stock/sales`, 'POST', integrator, body);
    expect(again.status).to.equal(200);
    expect((again.body as { sales: { replayed: boolean }[] }).sales.every((s) => s.replayed)).to.equal(true);
    expect(await atp()).to.deep.equal([
      { lot_id: w.lot('RICE-A'), atp: 16 },
      { lot_id: w.lot('TEA-A'), atp: 2 },
    ]);
    const demand = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM demand_lines WHERE node_id = $1 AND order_id LIKE $2',
      [w.n0, 'pos:%'],
    );
    expect(Number(demand[0]!.n)).to.be.greaterThanOrEqual(2);
  });

  it('a bad sales body is a 400 naming the field', async () => {
    const bad = await req(`${stack.url}/v1/stock/sales`, 'POST', integrator, {
      sales: [{ saleId: 'x', nodeId: 'n', sku: 's', qty: 0, soldAt: new Date().toISOString() }],
    });
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.contain('qty');
  });
});
