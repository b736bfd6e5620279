// Ownership, not only roles: an integrator reaches only the orders it placed (and their returns,
// substitutions and alert impacts) and the webhook subscriptions it made; a courier only the
// fulfilments assigned to it. Anything else answers exactly as an order, fulfilment or
// subscription that does not exist would (404), never a 403 that confirms it is there. Ops see all.
import { expect } from 'chai';
import { issueToken } from '../../api/auth';
import type { Role } from '../../api/auth';
import type { Db } from '../../db/pool';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { orderWorkflowId } from '../../workflows/order.contract';
import { intakeBody, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { req, seedPickerWorld, waitForRow } from './picker-support';
import type { Answer, PickerWorld } from './picker-support';

describe('Ownership of orders, deliveries and subscriptions (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  let world: PickerWorld;
  const who = {
    erpA: uniqueId('erp-a'),
    erpB: uniqueId('erp-b'),
    courierA: uniqueId('courier-a'),
    courierB: uniqueId('courier-b'),
    ops: uniqueId('ops'),
  };
  const tokens = {} as Record<keyof typeof who, string>;
  const roleOf: Record<keyof typeof who, Role> = {
    erpA: 'integrator',
    erpB: 'integrator',
    courierA: 'courier',
    courierB: 'courier',
    ops: 'ops',
  };

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    world = await seedPickerWorld(db);
    for (const k of Object.keys(who) as (keyof typeof who)[])
      tokens[k] = await issueToken(stack.config.auth.tokenSecret, { sub: who[k], role: roleOf[k] });
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  const call = (method: string, path: string, token: string, body?: unknown, key?: string): Promise<Answer> =>
    req(`${stack.url}${path}`, method, token, body, key);
  /** Place an order at N0 as `token`, and wait until its fulfilment is open. */
  const place = async (token: string) => {
    const orderId = uniqueId('own');
    const body = intakeBody({
      orderId,
      location: world.city.nodes[0]!.location,
      lines: [{ lineId: 'l1', sku: world.sku('RICE'), qty: 1 }],
    });
    const placed = await call('POST', '/v1/orders', token, body);
    expect(placed.status, JSON.stringify(placed.body)).to.equal(202);
    const fulfilmentId = `${orderWorkflowId(orderId)}-f1`;
    await waitForRow(db, fulfilmentId, () => true);
    return { orderId, fulfilmentId, body };
  };
  const expectNotFound = (what: string, res: Answer) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(404);
    expect(res.body.error.code, what).to.equal('FC_NOT_FOUND');
  };

  it('records who placed an order at intake', async () => {
    const { orderId } = await place(tokens.erpA);
    const rows = await db.query<{ placed_by: string | null }>('SELECT placed_by FROM orders WHERE order_id = $1', [
      orderId,
    ]);
    expect(rows).to.deep.equal([{ placed_by: who.erpA }]);
  });

  it("answers 404 to an integrator for another integrator's order, on every order route, as for an order that does not exist", async () => {
    const { orderId, body } = await place(tokens.erpA);
    const unknown = uniqueId('never-placed');
    const routes = (id: string): [string, string, unknown?, string?][] => [
      ['GET', `/v1/orders/${id}`],
      ['POST', `/v1/orders/${id}/cancel`, { reason: 'not mine' }],
      [
        'POST',
        `/v1/orders/${id}/returns`,
        {
          returnId: 'r1',
          lines: [{ lineId: 'l1', qty: 1, reason: 'quality', condition: 'unknown', customerChoice: 'refund' }],
        },
      ],
      ['GET', `/v1/orders/${id}/returns`],
      ['PUT', `/v1/orders/${id}/substitution-policy`, { default: 'refund' }],
      ['GET', `/v1/orders/${id}/substitutions`],
      ['POST', `/v1/orders/${id}/substitutions/l1/decision`, { accept: true }, uniqueId('k')],
    ];
    for (const [method, path, payload, key] of routes(orderId)) {
      const theirs = await call(method, path, tokens.erpB, payload, key);
      expectNotFound(`${method} ${path} as another integrator`, theirs);
      const none = await call(method, path.replace(orderId, unknown), tokens.erpB, payload, key);
      expectNotFound(`${method} ${path} of an unknown order`, none);
      // Nothing tells the two apart but the id in the message.
      expect(theirs.body.error.message.replace(orderId, 'X'), `${method} ${path}`).to.equal(
        none.body.error.message.replace(unknown, 'X'),
      );
    }
    // The order is untouched: not cancelled, no policy stored.
    const row = (await db.query<{ status: string }>('SELECT status FROM orders WHERE order_id = $1', [orderId]))[0]!;
    expect(row.status).to.not.equal('cancelled');
    expect(await db.query('SELECT 1 FROM substitution_policies WHERE order_id = $1', [orderId])).to.have.length(0);
    // Its owner and ops read it.
    expect((await call('GET', `/v1/orders/${orderId}`, tokens.erpA)).status).to.equal(200);
    expect((await call('GET', `/v1/orders/${orderId}`, tokens.ops)).status).to.equal(200);
    expect((await call('GET', `/v1/orders/${orderId}/substitutions`, tokens.erpA)).status).to.equal(200);
    // Submitting the same order id again: the owner gets its duplicate answer, another integrator
    // only that the id is taken (nothing of the order itself).
    const again = await call('POST', '/v1/orders', tokens.erpA, body);
    expect(again.status).to.equal(200);
    expect(again.body.duplicate).to.equal(true);
    const taken = await call('POST', '/v1/orders', tokens.erpB, body);
    expect(taken.status, JSON.stringify(taken.body)).to.equal(409);
    expect(taken.body.error.code).to.equal('FC_ORDER_ID_TAKEN');
    expect(JSON.stringify(taken.body)).to.not.match(/status|received|allocated|fields/);
  });

  it('binds a courier to the fulfilments assigned to it: another courier gets 404, as for one that does not exist', async () => {
    const { orderId, fulfilmentId } = await place(tokens.erpA);
    await driveFulfilment(stack.client, fulfilmentId, { until: 'packed' });
    const events = `/v1/orders/${orderId}/courier-events`;
    const unknown = `${orderWorkflowId(orderId)}-f9`;
    const rejected = (fid: string) => ({
      type: 'rejected',
      fulfilmentId: fid,
      lines: [{ lineId: 'l1', qty: 1, condition: 'sellable', customerChoice: 'refund' }],
    });

    // Nobody's yet: a courier can neither deliver nor reject it, only take it (as itself).
    expectNotFound(
      'deliver an unassigned fulfilment',
      await call('POST', events, tokens.courierB, { type: 'delivered', fulfilmentId }),
    );
    expectNotFound(
      'deliver an unknown fulfilment',
      await call('POST', events, tokens.courierB, { type: 'delivered', fulfilmentId: unknown }),
    );
    const asOther = await call('POST', events, tokens.courierB, {
      type: 'dispatched',
      fulfilmentId,
      courierId: who.courierA,
    });
    expect(asOther.status, 'a courier dispatches only as itself').to.equal(400);
    expect(JSON.stringify(asOther.body.error.details)).to.include('courierId');

    const taken = await call('POST', events, tokens.courierA, {
      type: 'dispatched',
      fulfilmentId,
      courierId: who.courierA,
    });
    expect(taken.status, JSON.stringify(taken.body)).to.equal(200);
    expect(taken.body.state).to.equal('dispatched');
    await waitForRow(db, fulfilmentId, (r) => r.view.courierId === who.courierA);

    // Courier A's now: courier B gets what an unknown fulfilment gets.
    for (const [what, body] of [
      ['dispatch', { type: 'dispatched', fulfilmentId, courierId: who.courierB }],
      ['deliver', { type: 'delivered', fulfilmentId }],
      ['reject', rejected(fulfilmentId)],
    ] as const) {
      const theirs = await call('POST', events, tokens.courierB, body);
      expectNotFound(`${what} as another courier`, theirs);
      const none = await call('POST', events, tokens.courierB, { ...body, fulfilmentId: unknown });
      expectNotFound(`${what} an unknown fulfilment`, none);
      expect(theirs.body.error.message.replace(fulfilmentId, 'X')).to.equal(
        none.body.error.message.replace(unknown, 'X'),
      );
    }
    const delivered = await call('POST', events, tokens.courierA, { type: 'delivered', fulfilmentId });
    expect(delivered.status, JSON.stringify(delivered.body)).to.equal(200);
    expect(delivered.body.state).to.equal('delivered');
  });

  it('lets a courier deliver what a picker handed over to it, and ops act on any fulfilment', async () => {
    const mine = await place(tokens.erpA);
    await driveFulfilment(stack.client, mine.fulfilmentId, { until: 'dispatched', courierId: who.courierA });
    await waitForRow(db, mine.fulfilmentId, (r) => r.view.courierId === who.courierA);
    expectNotFound(
      'deliver as another courier',
      await call('POST', `/v1/orders/${mine.orderId}/courier-events`, tokens.courierB, {
        type: 'delivered',
        fulfilmentId: mine.fulfilmentId,
      }),
    );
    expect(
      (
        await call('POST', `/v1/orders/${mine.orderId}/courier-events`, tokens.courierA, {
          type: 'delivered',
          fulfilmentId: mine.fulfilmentId,
        })
      ).status,
    ).to.equal(200);

    const other = await place(tokens.erpB);
    await driveFulfilment(stack.client, other.fulfilmentId, { until: 'dispatched', courierId: who.courierB });
    const byOps = await call('POST', `/v1/orders/${other.orderId}/courier-events`, tokens.ops, {
      type: 'delivered',
      fulfilmentId: other.fulfilmentId,
    });
    expect(byOps.status, JSON.stringify(byOps.body)).to.equal(200);
  });

  it("answers 404 to an integrator for another integrator's subscription; the list holds only its own", async () => {
    const made = await call('POST', '/v1/webhooks/subscriptions', tokens.erpA, {
      url: 'http://127.0.0.1:9/own',
      nodeIds: [uniqueId('own-node')],
    });
    expect(made.status).to.equal(201);
    const id = made.body.id as string;
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/webhooks/subscriptions/${id}`],
      ['DELETE', `/v1/webhooks/subscriptions/${id}`],
      ['POST', `/v1/webhooks/subscriptions/${id}/enable`],
    ] as const) {
      const theirs = await call(method, path, tokens.erpB);
      expectNotFound(`${method} ${path}`, theirs);
      const none = await call(method, path.replace(id, unknown), tokens.erpB);
      expect(theirs.body.error.message.replace(id, 'X')).to.equal(none.body.error.message.replace(unknown, 'X'));
    }
    const listB = await call('GET', '/v1/webhooks/subscriptions', tokens.erpB);
    expect((listB.body.subscriptions as { id: string }[]).map((s) => s.id)).to.not.include(id);
    expect((await call('GET', `/v1/webhooks/subscriptions/${id}`, tokens.erpA)).status).to.equal(200);
    expect((await call('GET', `/v1/webhooks/subscriptions/${id}`, tokens.ops)).status).to.equal(200);
    const stored = await db.query<{ created_by: string }>(
      'SELECT created_by FROM webhook_subscriptions WHERE id = $1',
      [id],
    );
    expect(stored).to.deep.equal([{ created_by: who.erpA }]);
  });

  it("shows an integrator only its own orders among an alert's impacts; ops see all", async () => {
    const a = await place(tokens.erpA);
    const b = await place(tokens.erpB);
    const alertId = (
      await db.query<{ id: string }>(
        `INSERT INTO alerts (source_id, kind, rule, sensor_id, asset_id, node_id, profile_id, title, status, severity, severity_since, opened_at, window_start, window_end, resolved_at)
       VALUES ($1, 'excursion', 'own', 's', 'a', $2, 'chilled', 'ownership', 'resolved', 'warning', now(), now(), now(), now(), now()) RETURNING id`,
        [uniqueId('own-src'), world.n0],
      )
    )[0]!.id;
    await db.query(
      `INSERT INTO alert_impacts (alert_id, kind, ref_id, reason, detail, lot_ids) VALUES ($1, 'order', $2, 'holds_lot', 'x', $4), ($1, 'order', $3, 'holds_lot', 'x', $4), ($1, 'lot', $5, 'quarantined', 'x', '{}')`,
      [alertId, a.orderId, b.orderId, [world.lot('RICE-A')], world.lot('RICE-A')],
    );
    const orders = async (token: string) => {
      const res = await call('GET', `/v1/alerts/${alertId}`, token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return (res.body.impacts.orders as { orderId: string }[]).map((o) => o.orderId).sort();
    };
    expect(await orders(tokens.erpA)).to.deep.equal([a.orderId]);
    expect(await orders(tokens.erpB)).to.deep.equal([b.orderId]);
    expect(await orders(tokens.ops)).to.deep.equal([a.orderId, b.orderId].sort());
  });
});
