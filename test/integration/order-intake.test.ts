// Order intake under hostile and repeated input (issue 12, items 3, 4, 7 and the duplicate
// event on a retried local activity), against the real stack: the orders table is the record,
// so a finished order posted again is answered, not started again; dates and text are refused
// at the boundary with the field named; workflow histories hold no exact coordinates; and a
// workflow that got an impossible date anyway does not wedge.
import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { Db } from '../../db/pool';
import { createOrderActivities } from '../../activities/orders';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderInput, OrderView } from '../../domain/orders';
import type { orderWorkflow } from '../../workflows/order';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';
import { call, cityToday, historyText, intakeBody, seedNetwork, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';

const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * 86_400_000).toISOString().slice(0, 10);

describe('Order intake (integration)', function () {
  this.timeout(120_000);
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

  /** One front warehouse with rice, and an intake body for `qty` of it at a door with many decimals. */
  async function riceNetwork(rice = 10) {
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
      const sku: Sku = {
        sku: `${p}RICE`,
        name: 'RICE',
        category: 'rice',
        zone: 'ambient',
        minShelfLifeDays: 1,
        perishable: false,
        unitPriceCents: 2000,
      };
      const lot: StockLot = {
        nodeId: n.id,
        sku: sku.sku,
        lotId: `${p}RICE-L1`,
        expiresOn: inDays(5),
        available: rice,
        bin: 'A-01-1',
      };
      return { nodes: [n], skus: [sku], lots: [lot] };
    });
    const p = city.nodes[0]!.id.replace(/N0$/, '');
    // A door ~100 m from the node, its coordinates with every digit a double has.
    const door = { lat: city.centre.lat + 0.000912345678, lng: city.centre.lng + 0.000587654321 };
    return { city, p, door, rice: `${p}RICE` };
  }
  const order = (
    orderId: string,
    door: { lat: number; lng: number },
    sku: string,
    qty = 1,
    extra: Record<string, unknown> = {},
  ) => intakeBody({ orderId, location: door, lines: [{ lineId: 'l1', sku, qty }] }, extra);
  const post = (body: unknown) => call(`${stack.url}/v1/orders`, 'POST', integrator, body);
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
    expect(ok, `order ${orderId} reached the expected state (last: ${JSON.stringify(last?.status)})`).to.equal(true);
    return last!;
  };

  describe('idempotency for the whole life of an order (item 3)', () => {
    it('answers a delivered order posted again with the order, starts nothing, and refuses another body with that id', async () => {
      const { door, rice } = await riceNetwork();
      const orderId = uniqueId('o');
      const body = order(orderId, door, rice, 2);
      const first = await post(body);
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      const v = await waitFor(orderId, (x) => x.status === 'allocated');
      await driveFulfilment(stack.client, v.fulfilments[0]!.fulfilmentId);
      const handle = stack.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
      expect((await handle.result()).status).to.equal('delivered');
      const lotBefore = (
        await db.query<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM lots WHERE sku = $1', [
          rice,
        ])
      )[0];

      // The same body, keys in another order: the order as it stands.
      const again = await post(Object.fromEntries(Object.entries(body).reverse()));
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      expect(again.body).to.include({ orderId, duplicate: true, status: 'delivered' });
      const desc = await handle.describe();
      expect(desc.runId, 'no second run').to.equal(first.body.runId);
      expect(desc.status.name).to.equal('COMPLETED');
      expect(
        (await db.query('SELECT on_hand, reserved FROM lots WHERE sku = $1', [rice]))[0],
        'no stock re-allocated',
      ).to.deep.equal(lotBefore);
      expect((await call(`${stack.url}/v1/orders/${orderId}`, 'GET', integrator)).body.status).to.equal('delivered');

      // Another body with the same id: 409 naming what differs.
      const other = await post(order(orderId, door, rice, 3));
      expect(other.status, JSON.stringify(other.body)).to.equal(409);
      expect(other.body.error.code).to.equal('FC_ORDER_CONFLICT');
      expect(other.body.error.details.fields).to.deep.equal(['lines']);
      expect(other.body.error.message).to.match(/lines/);
      expect((await handle.describe()).runId).to.equal(first.body.runId);
    });

    it('answers a rejected order posted again with the order, and starts nothing', async () => {
      const { door, p } = await riceNetwork();
      const orderId = uniqueId('o');
      const body = order(orderId, door, `${p}NOPE`);
      const first = await post(body);
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      const handle = stack.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
      expect((await handle.result()).status).to.equal('rejected');
      const again = await post(body);
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      expect(again.body).to.include({ duplicate: true, status: 'rejected' });
      expect((await handle.describe()).runId).to.equal(first.body.runId);
    });

    it('answers concurrent identical posts with one start and duplicates', async () => {
      const { door, rice } = await riceNetwork();
      const orderId = uniqueId('o');
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(order(orderId, door, rice))));
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 202]);
      expect(answers.filter((a) => a.body.duplicate === false)).to.have.length(1);
    });
  });

  describe('dates and text at the boundary (items 4 and 7)', () => {
    it('refuses placedAt in year 9999 and slots in the past or years ahead with 400 naming the field', async () => {
      const { door, rice } = await riceNetwork();
      const now = Date.now();
      const cases: [Record<string, unknown>, string][] = [
        [{ placedAt: '9999-12-31T23:59:59Z' }, 'placedAt'],
        [
          {
            slot: {
              kind: 'scheduled',
              start: new Date(now - 86_400_000).toISOString(),
              end: new Date(now - 82_800_000).toISOString(),
            },
          },
          'slot.start',
        ],
        [
          {
            slot: {
              kind: 'scheduled',
              start: new Date(now + 5 * 365 * 86_400_000).toISOString(),
              end: new Date(now + 5 * 365 * 86_400_000 + 3_600_000).toISOString(),
            },
          },
          'slot.start',
        ],
      ];
      for (const [extra, field] of cases) {
        const orderId = uniqueId('o');
        const res = await post(order(orderId, door, rice, 1, extra));
        expect(res.status, JSON.stringify(res.body)).to.equal(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include(field);
        expect(
          (await db.query('SELECT 1 FROM orders WHERE order_id = $1', [orderId])).length,
          'nothing recorded',
        ).to.equal(0);
      }
    });

    it('refuses a customer name with a NUL byte with 400 naming the field, and stores nothing', async () => {
      const { door, rice } = await riceNetwork();
      const orderId = uniqueId('o');
      const body = order(orderId, door, rice);
      const res = await post({ ...body, customer: { ...body.customer, name: 'Li\u0000Wei' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['customer.name']);
      expect((await db.query('SELECT 1 FROM customers WHERE customer_id = $1', [body.customer.id])).length).to.equal(0);
    });

    it('keeps a workflow that got a far-future date anyway (not through intake) moving', async () => {
      const { door, rice } = await riceNetwork();
      const orderId = uniqueId('o');
      const placedAt = Date.parse('9999-12-31T23:59:59Z');
      const input: OrderInput = {
        orderId,
        customerId: `cust-${orderId}`,
        addressKey: 'k'.repeat(32),
        location: door,
        slot: { kind: 'instant', start: placedAt, end: placedAt + 30 * 60_000 },
        lines: [{ lineId: 'l1', sku: rice, qty: 1 }],
        placedAt,
      };
      await stack.client.workflow.start('orderWorkflow', {
        workflowId: orderWorkflowId(orderId),
        taskQueue: stack.config.temporal.taskQueues.orders,
        args: [input],
      });
      const v = await waitFor(orderId, (x) => x.status !== 'received');
      expect(v.status).to.be.oneOf(['allocated', 'rejected']);
      const handle = stack.client.workflow.getHandle(orderWorkflowId(orderId));
      const desc = await handle.describe();
      expect(
        (desc.searchAttributes.SlaDeadline as Date[] | undefined)?.[0]?.toISOString(),
        'clamped to what the server stores',
      ).to.equal('9999-12-31T23:59:59.999Z');
      // An allocated one would wait for its courier until year 10000.
      if (desc.status.name === 'RUNNING') await handle.terminate('test done');
    });
  });

  describe('privacy and authorisation (item 7)', () => {
    it('keeps the exact delivery coordinates out of the order and fulfilment histories', async () => {
      const { door, rice } = await riceNetwork();
      const orderId = uniqueId('o');
      expect((await post(order(orderId, door, rice))).status).to.equal(202);
      const v = await waitFor(orderId, (x) => x.status === 'allocated');
      const ids = [orderWorkflowId(orderId), ...v.fulfilments.map((f) => f.fulfilmentId)];
      for (const id of ids) {
        const text = historyText(await stack.client.workflow.getHandle(id).fetchHistory());
        expect(text, `history of ${id}`).to.include(orderId);
        expect(text, `history of ${id}`).not.to.include(String(door.lat));
        expect(text, `history of ${id}`).not.to.include(String(door.lng));
      }
      // The allocation still used the door: it is recorded where it belongs.
      expect(
        (await db.query<{ lat: number; lng: number }>('SELECT lat, lng FROM orders WHERE order_id = $1', [orderId]))[0],
      ).to.deep.equal(door);
      await driveFulfilment(stack.client, v.fulfilments[0]!.fulfilmentId);
    });

    it('answers 404 to a substitution policy for an unknown order, and stores nothing', async () => {
      const orderId = uniqueId('nobody');
      const res = await call(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', integrator, {
        default: 'refund',
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(404);
      expect(res.body.error.code).to.equal('FC_NOT_FOUND');
      expect((await db.query('SELECT 1 FROM substitution_policies WHERE order_id = $1', [orderId])).length).to.equal(0);
    });
  });

  it('writes an order event once when its local activity is retried (leftover)', async () => {
    const acts = createOrderActivities({ db, logger: testLogger });
    const orderId = uniqueId('o');
    const at = Date.now() - 1234;
    const e = { orderId, key: `${orderId}:sla_escalated`, type: 'sla_escalated', data: { n: 1 }, at };
    await acts.appendOrderEvent(e);
    await new Promise((r) => setTimeout(r, 5));
    await acts.appendOrderEvent(e); // the retry: same input, later
    const rows = await db.query<{ at: Date }>('SELECT at FROM order_events WHERE order_id = $1', [orderId]);
    expect(rows.map((r) => r.at.getTime())).to.deep.equal([at]);
  });
});
