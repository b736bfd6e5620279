import { expect } from 'chai';
import type { Db } from '../../db/pool';
import {
  actionResponse,
  claimResponse,
  substitutionsResponse,
  taskSchema,
  tasksResponse,
  wavesResponse,
} from '../../api/routes/picker';
import type { Node, StockLot } from '../../domain/orders';
import { pickEverything } from '../../demo/sim/drive-fulfilment';
import { confirmPickUpdate, packedUpdate, startPickingUpdate } from '../../workflows/fulfilment.contract';
import { coldChainQuarantineSignal, orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderView } from '../../domain/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { cityToday, intakeBody, seedNetwork, startOrderStack, TEST_COURIER_ID } from '../support/orders';
import type { JsonBody, OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';
import { placeOrder, req, seedPickerWorld, waitForRow } from './picker-support';
import type { Answer } from './picker-support';

describe('Picker API (integration)', function () {
  this.timeout(90_000);
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

  /** A picker of a node: calls /picker/v1 with its token and a fresh key unless one is given. */
  async function picker(nodeId: string) {
    const token = await stack.token('picker', nodeId);
    const send = (method: string, path: string, body?: unknown, key: string | null = uniqueId('k')) =>
      req(`${stack.url}/picker/v1${path}`, method, token, body, key ?? undefined);
    return {
      token,
      get: (path: string) => send('GET', path, undefined, null),
      post: (path: string, body?: unknown, key: string | null = uniqueId('k')) => send('POST', path, body, key),
      waves: async () => wavesResponse.parse((await send('GET', `/nodes/${nodeId}/waves`, undefined, null)).body),
      tasks: async () => tasksResponse.parse((await send('GET', `/nodes/${nodeId}/tasks`, undefined, null)).body),
      /** Claim every open wave holding this fulfilment. */
      claimAll: async (fulfilmentId: string) => {
        const waves = wavesResponse
          .parse((await send('GET', `/nodes/${nodeId}/waves`, undefined, null)).body)
          .waves.filter((w) => w.fulfilments.some((f) => f.fulfilmentId === fulfilmentId));
        for (const w of waves) {
          const res = await send('POST', `/nodes/${nodeId}/claims`, { waveId: w.waveId });
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          claimResponse.parse(res.body);
        }
        return waves;
      },
      /** Start and confirm every open lot of a fulfilment's lines, in pick-path order. */
      pickAll: async (fulfilmentId: string, except: string[] = []) => {
        const path = tasksResponse
          .parse((await send('GET', `/nodes/${nodeId}/tasks`, undefined, null)).body)
          .pickPath.filter((s) => s.fulfilmentId === fulfilmentId && !except.includes(s.lineId));
        for (const s of path) {
          const base = `/fulfilments/${fulfilmentId}/lines/${s.lineId}`;
          expect((await send('POST', `${base}/start`, {})).status).to.equal(200);
          const res = await send('POST', `${base}/confirm`, { sku: s.sku, lotId: s.lotId, qty: s.qty });
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
        }
        return path;
      },
    };
  }
  const ok = (res: Answer) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return actionResponse.parse(res.body);
  };
  const refused = (res: Answer, pattern: RegExp) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(409);
    expect(res.body.error.message).to.match(pattern);
  };
  const lotRow = async (lotId: string) =>
    (
      await db.query<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM lots WHERE lot_id = $1', [
        lotId,
      ])
    )[0]!;
  const orderView = (orderId: string) =>
    stack.client.workflow.getHandle(orderWorkflowId(orderId)).query(orderStatusQuery);
  const waitForOrder = async (orderId: string, pred: (v: OrderView) => boolean) => {
    let last: OrderView | undefined;
    const done = await eventually(
      async () => {
        last = await orderView(orderId).catch(() => undefined);
        return !!last && pred(last);
      },
      20_000,
      100,
    );
    expect(
      done,
      `order ${orderId}: ${JSON.stringify(last?.fulfilments.map((f) => [f.fulfilmentId, f.state]))}`,
    ).to.equal(true);
    return last!;
  };

  it('takes an order from allocated to handed over: waves by zone, pick path by zone then bin, masked customer', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'PEAS', qty: 1 },
      { lineId: 'l2', sku: 'MILK', qty: 2 },
      { lineId: 'l3', sku: 'RICE', qty: 1 },
      { lineId: 'l4', sku: 'TEA', qty: 1 },
    ]);

    const waves = (await pk.waves()).waves;
    expect(
      waves.map((x) => x.zone),
      'ambient first, chilled next, frozen last',
    ).to.deep.equal(['ambient', 'chilled', 'frozen']);
    expect(
      waves[0]!.tasks.map((t) => t.bin),
      'bin order inside a wave',
    ).to.deep.equal(['A-02-2', 'A-05-1']);
    expect(
      waves.every((x) => x.fulfilments[0]!.fulfilmentId === fulfilmentId && x.fulfilments[0]!.orderId === orderId),
    ).to.equal(true);

    await pk.claimAll(fulfilmentId);
    expect((await pk.waves()).waves, 'claimed zones leave the open plan').to.have.length(0);
    const tasks = await pk.tasks();
    expect(tasks.pickPath.map((s) => `${s.zone}:${s.bin}`)).to.deep.equal([
      'ambient:A-02-2',
      'ambient:A-05-1',
      'chilled:C-03-1',
      'frozen:F-01-1',
    ]);
    const task = tasks.tasks[0]!;
    expect(task).to.include({ orderNumber: orderId, state: 'picking', pickStatus: 'picking' });
    expect(task.customer).to.deep.equal({ name: 'L**', phone: '*******5678' });
    expect(task.zones.map((z) => z.toteLabel)).to.deep.equal([`${orderId}-f1-A`, `${orderId}-f1-C`, `${orderId}-f1-F`]);
    expect(task.lines.find((l) => l.lineId === 'l2')).to.include({ name: 'Fresh milk 1 L', zone: 'chilled', qty: 2 });
    expect(JSON.stringify(tasks)).not.to.match(/Li Wei|138|Test Road/);

    await pk.pickAll(fulfilmentId);
    const picked = taskSchema.parse((await pk.get(`/fulfilments/${fulfilmentId}`)).body);
    expect(picked).to.include({ pickStatus: 'picked', stageBlocker: null });
    expect(picked.totesToStage).to.have.length(3);

    const staged = ok(
      await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-01', toteLabels: picked.totesToStage }),
    );
    expect(staged.task).to.include({ state: 'packed', pickStatus: 'staged' });
    expect(staged.task.staging).to.include({ location: 'S-01' });
    const handed = ok(await pk.post(`/fulfilments/${fulfilmentId}/hand-over`, { courierId: TEST_COURIER_ID }));
    expect(handed.task).to.include({ state: 'dispatched', courierId: TEST_COURIER_ID, pickStatus: 'handed_over' });
    expect(await lotRow(w.lot('MILK-A')), 'stock leaves on hand-over').to.include({ on_hand: 3, reserved: 0 });
    expect((await pk.tasks()).tasks, 'handed-over work leaves the list').to.have.length(0);

    const delivered = await req(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
      type: 'delivered',
      fulfilmentId,
    });
    expect(delivered.body.state).to.equal('delivered');
    expect((await stack.client.workflow.getHandle(orderWorkflowId(orderId)).result()).status).to.equal('delivered');
    const types = (
      await db.query<{ type: string }>('SELECT type FROM order_events WHERE order_id = $1', [orderId])
    ).map((r) => r.type);
    for (const t of ['picking', 'line_picked', 'packed', 'dispatched', 'delivered']) expect(types).to.include(t);
  });

  it('keeps pickers to their node (403) and to their totes, and needs the picker role', async () => {
    const w = await seedPickerWorld(db);
    const a = await picker(w.n0);
    const b = await picker(w.n0);
    const other = await picker(w.n1);
    const { fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'RICE', qty: 1 },
      { lineId: 'l2', sku: 'MILK', qty: 1 },
    ]);

    expect((await other.get(`/nodes/${w.n0}/waves`)).status).to.equal(403);
    expect((await other.get(`/nodes/${w.n0}/tasks`)).status).to.equal(403);
    expect((await other.get(`/fulfilments/${fulfilmentId}`)).status).to.equal(403);
    const foreign = await other.post(`/fulfilments/${fulfilmentId}/lines/l1/start`, {});
    expect(foreign.status).to.equal(403);
    expect(foreign.body.error.message).to.match(/another node/);
    expect((await other.post(`/nodes/${w.n0}/claims`, { waveId: 'x' })).status).to.equal(403);
    expect((await other.waves()).waves, "another node's waves hold none of this work").to.have.length(0);
    expect((await req(`${stack.url}/picker/v1/nodes/${w.n0}/waves`, 'GET', await stack.token('ops'))).status).to.equal(
      403,
    );
    expect((await req(`${stack.url}/picker/v1/nodes/${w.n0}/waves`, 'GET', undefined)).status).to.equal(401);

    const [ambient, chilled] = (await a.waves()).waves;
    ok1(await a.post(`/nodes/${w.n0}/claims`, { waveId: ambient!.waveId }));
    ok1(await b.post(`/nodes/${w.n0}/claims`, { waveId: chilled!.waveId }));
    refused(
      await b.post(`/fulfilments/${fulfilmentId}/lines/l1/start`, {}),
      /ambient tote, which another picker holds/,
    );
    const again = await b.post(`/nodes/${w.n0}/claims`, { waveId: ambient!.waveId });
    expect(again.status, 'a claimed wave is gone from the open plan').to.equal(409);
    expect((await a.tasks()).pickPath.map((s) => s.lineId)).to.deep.equal(['l1']);
    expect((await b.tasks()).pickPath.map((s) => s.lineId)).to.deep.equal(['l2']);
    function ok1(res: Answer) {
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
  });

  it('refuses invalid transitions and bad scans with 409 and a message', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'MILK', qty: 2 },
      { lineId: 'l2', sku: 'RICE', qty: 1 },
    ]);
    const line = (id: string, action: string) => `/fulfilments/${fulfilmentId}/lines/${id}/${action}`;

    refused(
      await pk.post(line('l1', 'confirm'), { sku: w.sku('MILK'), lotId: w.lot('MILK-A'), qty: 1 }),
      /cannot confirm a pick on a fulfilment that is allocated: claim its wave first/,
    );
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/hand-over`, { courierId: 'c1' }),
      /cannot hand over a fulfilment that is allocated/,
    );
    await pk.claimAll(fulfilmentId);
    refused(
      await pk.post(line('l1', 'confirm'), { sku: w.sku('OAT'), lotId: w.lot('MILK-A'), qty: 1 }),
      new RegExp(`scanned SKU ${w.sku('OAT')}, but line l1 is ${w.sku('MILK')}`),
    );
    refused(
      await pk.post(line('l1', 'confirm'), { sku: w.sku('MILK'), lotId: w.lot('MILK-B'), qty: 1 }),
      new RegExp(`lot ${w.lot('MILK-B')} is not on this pick: take ${w.lot('MILK-A')} at C-03-1`),
    );
    refused(
      await pk.post(line('l1', 'confirm'), { sku: w.sku('MILK'), lotId: w.lot('MILK-A'), qty: 3 }),
      /only 2 more of lot .* to pick for line l1, not 3/,
    );
    refused(await pk.post(line('l9', 'start'), {}), /no line l9 on this fulfilment/);
    ok(await pk.post(line('l1', 'confirm'), { sku: w.sku('MILK'), lotId: w.lot('MILK-A'), qty: 2 }));
    refused(await pk.post(line('l1', 'short'), { reason: 'damaged' }), /line l1 is already picked/);
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-1', toteLabels: ['x'] }),
      /cannot stage: 1 line\(s\) not picked yet \(l2\)/,
    );
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/hand-over`, { courierId: 'c1' }),
      /cannot hand over a fulfilment that is picking/,
    );
    const pack = await stack.client.workflow
      .getHandle(fulfilmentId)
      .executeUpdate(packedUpdate)
      .then(
        () => 'packed',
        (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
      );
    expect(pack, 'the courier-side pack is held to the same rule').to.match(
      /cannot pack: 1 line\(s\) not picked yet \(l2\)/,
    );
    ok(await pk.post(line('l2', 'confirm'), { sku: w.sku('RICE'), lotId: w.lot('RICE-A'), qty: 1 }));
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/stage`, {
        location: 'S-1',
        toteLabels: [`${fulfilmentId.replace(/^order-/, '')}-A`],
      }),
      /scan every tote: .*-C not scanned/,
    );
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-1', toteLabels: ['stray-tote'] }),
      /tote stray-tote is not part of this fulfilment/,
    );

    const noKey = await pk.post(line('l1', 'skip'), {}, null);
    expect(noKey.status).to.equal(400);
    expect(noKey.body.error.code).to.equal('FC_IDEMPOTENCY_KEY_REQUIRED');
    const badBody = await pk.post(line('l1', 'confirm'), { sku: '', lotId: w.lot('MILK-A'), qty: 0 });
    expect(badBody.status).to.equal(400);
    expect(badBody.body.error.message).to.match(/sku/).and.match(/qty/);
  });

  it('answers a repeated idempotency key with the first result and never picks twice', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { fulfilmentId } = await placeOrder(stack, db, integrator, w, [{ lineId: 'l1', sku: 'MILK', qty: 3 }]);
    const claimKey = uniqueId('claim');
    const [wave] = (await pk.waves()).waves;
    const claim1 = await pk.post(`/nodes/${w.n0}/claims`, { waveId: wave!.waveId }, claimKey);
    const claim2 = await pk.post(`/nodes/${w.n0}/claims`, { waveId: wave!.waveId }, claimKey);
    expect(claim2.status, 'a retried claim finds its wave and answers again').to.equal(200);
    expect(claim2.headers.get('idempotent-replayed')).to.equal('true');
    expect(claim2.body.claimed).to.deep.equal(claim1.body.claimed.map((c: JsonBody) => ({ ...c, replayed: true })));

    const confirm = `/fulfilments/${fulfilmentId}/lines/l1/confirm`;
    const body = { sku: w.sku('MILK'), lotId: w.lot('MILK-A'), qty: 1 };
    const key = uniqueId('scan');
    const first = ok(await pk.post(confirm, body, key));
    const second = await pk.post(confirm, body, key);
    expect(second.headers.get('idempotent-replayed')).to.equal('true');
    expect(ok(second)).to.deep.equal({ ...first, result: { ...first.result, replayed: true } });
    // A phone that fires the same scan three times at once: one pick.
    const burstKey = uniqueId('scan');
    const burst = await Promise.all([1, 2, 3].map(() => pk.post(confirm, { ...body, idempotencyKey: burstKey }, null)));
    expect(
      burst.map((r) => r.status),
      JSON.stringify(burst.map((r) => r.body)),
    ).to.deep.equal([200, 200, 200]);
    expect(burst.filter((r) => r.body.result.replayed === false)).to.have.length(1);
    const line = taskSchema.parse((await pk.get(`/fulfilments/${fulfilmentId}`)).body).lines[0]!;
    expect(line).to.include({ picked: 2, status: 'in_progress' });
    // The same key for another request is a client bug, refused.
    refused(
      await pk.post(confirm, { ...body, qty: 2 }, key),
      /idempotency key .* was already used for a different confirm request/,
    );
    const mismatch = await req(
      `${stack.url}/picker/v1${confirm}`,
      'POST',
      pk.token,
      { ...body, idempotencyKey: 'one' },
      'two',
    );
    expect(mismatch.status).to.equal(400);
  });

  it('re-allocates a short pick from another node, and refunds what nobody has', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'MILK', qty: 3 },
      { lineId: 'l2', sku: 'TEA', qty: 3 },
    ]);
    await pk.claimAll(fulfilmentId);
    ok(
      await pk.post(`/fulfilments/${fulfilmentId}/lines/l1/confirm`, {
        sku: w.sku('MILK'),
        lotId: w.lot('MILK-A'),
        qty: 1,
      }),
    );
    const short = ok(await pk.post(`/fulfilments/${fulfilmentId}/lines/l1/short`, { reason: 'not_found' }));
    expect(short.result.outcome).to.equal('short 2 of 3: re-allocating as line l1-r1');
    expect(short.task.lines.find((l) => l.lineId === 'l1')!.short).to.include({
      missing: 2,
      reason: 'not_found',
      resolution: 'reallocated',
      reallocatedAs: 'l1-r1',
    });
    // Not found: the bin has nothing left to promise; the order's hold on the missing units is gone.
    expect(await lotRow(w.lot('MILK-A'))).to.deep.equal({ on_hand: 1, reserved: 1 });
    const count = await db.query<{ kind: string; delta: number }>(
      'SELECT kind, delta FROM stock_adjustments WHERE lot_id = $1',
      [w.lot('MILK-A')],
    );
    expect(count).to.deep.equal([{ kind: 'count', delta: -4 }]);

    const moved = await waitForOrder(orderId, (v) => v.fulfilments.length === 2);
    expect(moved.fulfilments[1]).to.include({ nodeId: w.n1 });
    expect(moved.fulfilments[1]!.lineIds).to.deep.equal(['l1-r1']);
    expect(moved.fulfilments[1]!.lotIds).to.deep.equal([w.lot('MILK-B')]);
    expect((await lotRow(w.lot('MILK-B'))).reserved).to.equal(2);
    const n1 = await picker(w.n1);
    await waitForRow(db, `${orderWorkflowId(orderId)}-f2`, () => true);
    expect((await n1.waves()).waves.flatMap((x) => x.tasks.map((t) => `${t.lineId}:${t.qty}`))).to.deep.equal([
      'l1-r1:2',
    ]);
    expect((await pk.waves()).waves, 'the other node’s part is not shown here').to.have.length(0);

    // Tea: nobody else has it, so re-allocation finds nothing and the customer is refunded.
    ok(await pk.post(`/fulfilments/${fulfilmentId}/lines/l2/short`, { reason: 'damaged' }));
    await waitForOrder(orderId, (v) => v.unfulfilled.some((u) => u.lineId === 'l2-r1'));
    let credits: { line_id: string; reason: string; credit_cents: number }[] = [];
    await eventually(
      async () =>
        (credits = await db.query('SELECT line_id, reason, credit_cents FROM order_credits WHERE order_id = $1', [
          orderId,
        ])).length > 0,
      10_000,
      100,
    );
    expect(credits).to.deep.equal([{ line_id: 'l2-r1', reason: 'unfulfilled', credit_cents: 1500 }]);
    expect(await lotRow(w.lot('TEA-A')), 'damaged units are written off, the rest stays').to.deep.equal({
      on_hand: 0,
      reserved: 0,
    });

    const task = taskSchema.parse((await pk.get(`/fulfilments/${fulfilmentId}`)).body);
    expect(task.totesToStage).to.deep.equal([`${orderId}-f1-C`]);
    ok(await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-2', toteLabels: task.totesToStage }));
    ok(await pk.post(`/fulfilments/${fulfilmentId}/hand-over`, { courierId: 'c9' }));
    expect(await lotRow(w.lot('MILK-A')), 'the one milk found leaves with the courier').to.deep.equal({
      on_hand: 0,
      reserved: 0,
    });
  });

  it("follows the customer's substitution policy: accepted substitutes are allocated, refused ones refunded", async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'MILK', qty: 2 },
      { lineId: 'l2', sku: 'RICE', qty: 1 },
      { lineId: 'l3', sku: 'TEA', qty: 1 },
    ]);
    const policy = await req(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', integrator, {
      lines: [
        { lineId: 'l2', policy: 'refund' },
        { lineId: 'l3', policy: 'specific', sku: w.sku('OAT') },
      ],
    });
    expect(policy.status, JSON.stringify(policy.body)).to.equal(200);
    const badPolicy = await req(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', integrator, {
      lines: [{ lineId: 'l3', policy: 'specific' }],
    });
    expect(badPolicy.status).to.equal(400);
    await pk.claimAll(fulfilmentId);
    const line = (id: string, action: string) => `/fulfilments/${fulfilmentId}/lines/${id}/${action}`;

    // Refund policy: refused at once, credited.
    const l2 = ok(await pk.post(line('l2', 'substitute'), { reason: 'not_found', sku: w.sku('TEA'), qty: 1 }));
    expect(l2.result.outcome).to.match(
      /substitute refused by the customer's policy: 1 × .*RICE refunded \(2000 cents\)/,
    );
    // Specific policy: only that item.
    refused(
      await pk.post(line('l3', 'substitute'), { reason: 'not_found', sku: w.sku('RICE'), qty: 1 }),
      new RegExp(`the customer accepts only ${w.sku('OAT')} as a substitute for line l3`),
    );
    ok(await pk.post(line('l3', 'confirm'), { sku: w.sku('TEA'), lotId: w.lot('TEA-A'), qty: 1 }));

    // Best match (default): pending until the customer answers; staging waits for it.
    const l1 = ok(await pk.post(line('l1', 'substitute'), { reason: 'damaged', sku: w.sku('OAT'), qty: 2 }));
    expect(l1.task.lines.find((l) => l.lineId === 'l1')!.short!.substitution).to.include({
      status: 'pending',
      policy: 'best_match',
      sku: w.sku('OAT'),
    });
    refused(
      await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-3', toteLabels: [`${orderId}-f1-A`] }),
      /waiting for the customer to decide the substitute for l1/,
    );
    const listed = substitutionsResponse.parse(
      (await req(`${stack.url}/v1/orders/${orderId}/substitutions`, 'GET', integrator)).body,
    );
    expect(listed.proposals.map((p) => [p.lineId, p.substitute.status]).sort()).to.deep.equal([
      ['l1', 'pending'],
      ['l2', 'refused'],
    ]);

    const key = uniqueId('decide');
    const accept = await req(
      `${stack.url}/v1/orders/${orderId}/substitutions/l1/decision`,
      'POST',
      integrator,
      { accept: true },
      key,
    );
    expect(accept.status, JSON.stringify(accept.body)).to.equal(200);
    expect(accept.body.proposal).to.include({ status: 'accepted', decidedBy: 'customer' });
    const replay = await req(
      `${stack.url}/v1/orders/${orderId}/substitutions/l1/decision`,
      'POST',
      integrator,
      { accept: true },
      key,
    );
    expect(replay.body.result).to.deep.equal({ ...accept.body.result, replayed: true });
    const flip = await req(
      `${stack.url}/v1/orders/${orderId}/substitutions/l1/decision`,
      'POST',
      integrator,
      { accept: false },
      uniqueId('decide'),
    );
    expect(flip.status).to.equal(409);
    expect(flip.body.error.message).to.match(/the substitute for line l1 was already accepted/);

    const subbed = await waitForOrder(orderId, (v) => v.fulfilments.length === 2);
    expect(subbed.fulfilments[1]).to.include({ nodeId: w.n0 });
    expect(subbed.fulfilments[1]!.lineIds).to.deep.equal(['l1-s1']);
    await waitForRow(db, `${orderWorkflowId(orderId)}-f2`, () => true);
    expect(
      (await pk.waves()).waves.flatMap((x) => x.tasks.map((t) => `${t.lineId}:${t.sku}:${t.qty}`)),
      'the substitute is new work at the node',
    ).to.deep.equal([`l1-s1:${w.sku('OAT')}:2`]);
    const credits = await db.query<{ line_id: string; reason: string; credit_cents: number }>(
      'SELECT line_id, reason, credit_cents FROM order_credits WHERE order_id = $1',
      [orderId],
    );
    expect(credits).to.deep.equal([{ line_id: 'l2', reason: 'substitution_refused', credit_cents: 2000 }]);
    ok(await pk.post(`/fulfilments/${fulfilmentId}/stage`, { location: 'S-3', toteLabels: [`${orderId}-f1-A`] }));
  });

  it('lets a best-match substitute stand when the customer does not answer in time', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'MILK', qty: 1 },
      { lineId: 'l2', sku: 'RICE', qty: 1 },
    ]);
    expect(
      (
        await req(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', integrator, {
          decisionWindowSeconds: 1,
        })
      ).status,
    ).to.equal(200);
    await pk.claimAll(fulfilmentId);
    const proposed = ok(
      await pk.post(`/fulfilments/${fulfilmentId}/lines/l1/substitute`, {
        reason: 'not_found',
        sku: w.sku('OAT'),
        qty: 1,
      }),
    );
    expect(proposed.result.outcome).to.match(/waiting for the customer \(your best match stands after 1 s\)/);
    const decided = await waitForRow(db, fulfilmentId, (r) =>
      r.view.lines.some((l) => l.short?.substitution?.status === 'accepted'),
    );
    expect(decided.view.lines.find((l) => l.lineId === 'l1')!.short!.substitution).to.include({
      decidedBy: 'timeout',
      status: 'accepted',
    });
    const subbed = await waitForOrder(orderId, (v) => v.fulfilments.length === 2);
    expect(subbed.fulfilments[1]!.lineIds).to.deep.equal(['l1-s1']);
    const late = await req(
      `${stack.url}/v1/orders/${orderId}/substitutions/l1/decision`,
      'POST',
      integrator,
      { accept: false },
      uniqueId('decide'),
    );
    expect(late.status).to.equal(409);
    expect(late.body.error.message).to.match(/already accepted \(no answer in time\)/);
  });

  it('refunds a best-match substitute the customer refuses', async () => {
    const w = await seedPickerWorld(db);
    const pk = await picker(w.n0);
    const { orderId, fulfilmentId } = await placeOrder(stack, db, integrator, w, [
      { lineId: 'l1', sku: 'MILK', qty: 2 },
    ]);
    await pk.claimAll(fulfilmentId);
    ok(
      await pk.post(`/fulfilments/${fulfilmentId}/lines/l1/substitute`, {
        reason: 'expired',
        sku: w.sku('OAT'),
        qty: 2,
      }),
    );
    const refuse = await req(
      `${stack.url}/v1/orders/${orderId}/substitutions/l1/decision`,
      'POST',
      integrator,
      { accept: false },
      uniqueId('decide'),
    );
    expect(refuse.status, JSON.stringify(refuse.body)).to.equal(200);
    expect(refuse.body.proposal).to.include({ status: 'refused', decidedBy: 'customer', creditCents: 1600 });
    expect(refuse.body.result.outcome).to.match(/substitute refused: 2 × .*MILK refunded \(1600 cents\)/);
    const credits = await db.query<{ line_id: string; reason: string; credit_cents: number }>(
      'SELECT line_id, reason, credit_cents FROM order_credits WHERE order_id = $1',
      [orderId],
    );
    expect(credits).to.deep.equal([{ line_id: 'l1', reason: 'substitution_refused', credit_cents: 1600 }]);
    // Nothing was picked and nothing is owed: this node's part ends, and so does the order.
    expect((await waitForRow(db, fulfilmentId, (r) => r.state === 'cancelled')).state).to.equal('cancelled');
    expect((await stack.client.workflow.getHandle(orderWorkflowId(orderId)).result()).status).to.equal('cancelled');
    expect((await orderView(orderId).catch(() => undefined))?.fulfilments.length ?? 1).to.equal(1);
  });
  it("a quarantine during picking writes off the quarantined units already in the tote, releases only the hit line's holds, and re-allocates the line", async () => {
    // N0 holds milk in lots A (2, expiring first) and B (3); N1 has plenty. l1 takes A 2 + B 1, l2 takes B 2.
    let prefix = '';
    const city = await seedNetwork(db, (c, p) => {
      prefix = p;
      const node = (i: number): Node => ({
        id: `${p}N${i}`,
        kind: 'front',
        name: `Node ${i}`,
        location: { lat: c.lat + i * 0.005, lng: c.lng },
        serviceRadiusKm: 3,
        zones: ['ambient', 'chilled', 'frozen'],
        pickMinutesPerOrder: 3,
        packMinutes: 1,
        travelKmPerHour: 20,
        slotCapacity: { '*': 1000 },
      });
      const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * 86_400_000).toISOString().slice(0, 10);
      const lot = (nodeId: string, n: string, qty: number, days: number, bin: string): StockLot => ({
        nodeId,
        sku: `${p}MILK`,
        lotId: `${p}MILK-${n}`,
        expiresOn: inDays(days),
        available: qty,
        bin,
      });
      const [n0, n1] = [node(0), node(1)];
      return {
        nodes: [n0, n1],
        skus: [
          {
            sku: `${p}MILK`,
            name: 'Fresh milk 1 L',
            category: 'dairy',
            zone: 'chilled',
            minShelfLifeDays: 1,
            perishable: true,
            unitPriceCents: 800,
          },
        ],
        lots: [lot(n0.id, 'A', 2, 3, 'C-01-1'), lot(n0.id, 'B', 3, 5, 'C-02-1'), lot(n1.id, 'C', 10, 5, 'C-01-1')],
      };
    });
    const milk = (n: string) => `${prefix}MILK-${n}`;
    const orderId = uniqueId('o');
    const placed = await req(
      `${stack.url}/v1/orders`,
      'POST',
      integrator,
      intakeBody({
        orderId,
        location: city.nodes[0]!.location,
        lines: [
          { lineId: 'l1', sku: `${prefix}MILK`, qty: 3 },
          { lineId: 'l2', sku: `${prefix}MILK`, qty: 2 },
        ],
      }),
    );
    expect(placed.status, JSON.stringify(placed.body)).to.equal(202);
    const allocated = await waitForOrder(orderId, (v) => v.status === 'allocated');
    expect(allocated.fulfilments[0]!.lotIds.sort()).to.deep.equal([milk('A'), milk('B')]);
    const fid = allocated.fulfilments[0]!.fulfilmentId;
    const f1 = stack.client.workflow.getHandle(fid);
    await f1.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'p' }] });
    for (const [lotId, qty] of [
      [milk('A'), 2],
      [milk('B'), 1],
    ] as const) {
      await f1.executeUpdate(confirmPickUpdate, {
        args: [{ pickerId: 'p', idempotencyKey: uniqueId('k'), lineId: 'l1', sku: `${prefix}MILK`, lotId, qty }],
      });
    }

    const alertId = uniqueId('alert');
    await db.query("UPDATE lots SET status = 'quarantined' WHERE lot_id = $1", [milk('A')]);
    await stack.client.workflow
      .getHandle(orderWorkflowId(orderId))
      .signal(coldChainQuarantineSignal, { alertId, lotIds: [milk('A')], reason: 'hard limit' });
    const moved = await waitForOrder(orderId, (v) => v.fulfilments.length === 2);

    // The two units of A in the tote are quarantined goods out of their bin: written off, not back on the shelf.
    expect(await lotRow(milk('A'))).to.deep.equal({ on_hand: 0, reserved: 0 });
    const adjustments = await db.query<{ lot_id: string; kind: string; delta: number }>(
      'SELECT lot_id, kind, delta FROM stock_adjustments WHERE adjustment_id LIKE $1',
      [`${fid}:quarantine:%`],
    );
    expect(adjustments).to.deep.equal([{ lot_id: milk('A'), kind: 'write_off', delta: -2 }]);
    // l1's unit of B goes back on its shelf; l2 keeps its hold of 2.
    expect(await lotRow(milk('B')), "only the hit line's share of B is released").to.deep.equal({
      on_hand: 3,
      reserved: 2,
    });
    const events = await db.query<{ data: { lineIds: string[]; writtenOff: unknown; putBack: unknown } }>(
      "SELECT data FROM order_events WHERE order_id = $1 AND type = 'lines_quarantined'",
      [orderId],
    );
    expect(events.map((e) => [e.data.lineIds, e.data.writtenOff, e.data.putBack])).to.deep.equal([
      [['l1'], [{ lotId: milk('A'), qty: 2 }], [{ lotId: milk('B'), qty: 1 }]],
    ]);
    // N0 has nothing left to promise (A quarantined, B held by l2): the line goes to N1, in full.
    expect(moved.fulfilments[1]).to.include({ nodeId: city.nodes[1]!.id });
    expect(moved.fulfilments[1]!.lineIds).to.deep.equal(['l1']);

    // l2 is still picked from B and leaves with the courier: B's stock stays right.
    await pickEverything(f1, 'p');
    await f1.executeUpdate(packedUpdate);
    expect(
      (
        await req(`${stack.url}/v1/orders/${orderId}/courier-events`, 'POST', courier, {
          type: 'dispatched',
          fulfilmentId: fid,
          courierId: TEST_COURIER_ID,
        })
      ).status,
    ).to.equal(200);
    expect(await lotRow(milk('B'))).to.deep.equal({ on_hand: 1, reserved: 0 });
  });
});
