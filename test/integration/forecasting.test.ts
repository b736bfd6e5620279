import { expect } from 'chai';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { City } from '../../demo';
import { mulberry32 } from '../../demo';
import type { Rng } from '../../demo';
import { insertLots, upsertSkus } from '../../db/orders';
import type { Db } from '../../db/pool';
import { createForecastingActivities } from '../../activities/forecasting';
import { ensureForecastSchedule } from '../../workflows/worker-schedules';
import { forecastRunWorkflow } from '../../workflows/forecasting';
import type { ForecastRunSummary } from '../../workflows/forecasting.contract';
import { requireDb, requireTemporal, testLogger, uniqueId } from '../support/stack';
import { call, cityToday, seedTestCity, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const OFFSET = 8 * HOUR; // the network's clock: UTC+8, the run's default
const HORIZON_DAYS = 4;
const HISTORY_DAYS = 56;

const localHour = (ms: number) => new Date(ms + OFFSET).getUTCHours();
const floorLocalHour = (ms: number) => Math.floor((ms + OFFSET) / HOUR) * HOUR - OFFSET;
const inDays = (n: number) => new Date(Date.parse(cityToday()) + n * DAY).toISOString().slice(0, 10);

function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

interface HistoryOrder {
  orderId: string;
  nodeId: string;
  sku: string;
  zone: string;
  qty: number;
  slotStart: number;
}

/** Eight weeks of hourly demand as allocated orders (one order per node × SKU × hour with demand). */
function synthesiseHistory(
  prefix: string,
  demand: { nodeId: string; sku: string; zone: string; rate: (localHour: number) => number }[],
  end: number,
): HistoryOrder[] {
  const rng = mulberry32(20_250_303);
  const orders: HistoryOrder[] = [];
  for (let t = end - HISTORY_DAYS * DAY; t < end; t += HOUR) {
    for (const d of demand) {
      const qty = poisson(rng, d.rate(localHour(t)));
      if (qty > 0)
        orders.push({
          orderId: `${prefix}o${orders.length}`,
          nodeId: d.nodeId,
          sku: d.sku,
          zone: d.zone,
          qty,
          slotStart: t + 10 * 60_000,
        });
    }
  }
  return orders;
}

async function insertHistory(
  db: Db,
  orders: readonly HistoryOrder[],
  location: { lat: number; lng: number },
): Promise<void> {
  await db.query(
    `INSERT INTO orders (order_id, customer_id, address_key, lat, lng, slot_kind, slot_start, slot_end, lines, status, placed_at)
     SELECT id, 'cust-' || id, 'ak-' || id, $2, $3, 'instant', to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0 + 1800), l, 'delivered', to_timestamp(ms / 1000.0)
       FROM unnest($1::text[], $4::float8[], $5::jsonb[]) AS t(id, ms, l)`,
    [
      orders.map((o) => o.orderId),
      location.lat,
      location.lng,
      orders.map((o) => o.slotStart),
      orders.map((o) => JSON.stringify([{ lineId: 'l1', sku: o.sku, qty: o.qty }])),
    ],
  );
  // The order-level allocation event, shaped like the Allocation the allocator stores.
  await db.query(
    `INSERT INTO order_events (order_id, at, event_key, type, node_id, data)
     SELECT id, to_timestamp(ms / 1000.0), id || ':alloc:1', 'allocated', NULL, d
       FROM unnest($1::text[], $2::float8[], $3::jsonb[]) AS t(id, ms, d)`,
    [
      orders.map((o) => o.orderId),
      orders.map((o) => o.slotStart),
      orders.map((o) =>
        JSON.stringify({
          orderId: o.orderId,
          unfulfilled: [],
          fulfilments: [
            {
              nodeId: o.nodeId,
              nodeKind: 'front',
              totes: [{ zone: o.zone, lines: [{ lineId: 'l1', sku: o.sku, qty: o.qty, lots: [] }] }],
            },
          ],
        }),
      ),
    ],
  );
}

interface ForecastDbRow {
  slot_start: Date;
  horizon_h: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}

describe('Demand forecasting in the system (integration)', function () {
  this.timeout(90_000);
  let db: Db;
  let stack: OrderStack;
  let city: City;
  let history: HistoryOrder[];
  let ops: string;
  let integrator: string;
  let runId: string;
  let summary: ForecastRunSummary;
  let origin: number;
  const ids = { F1: '', F2: '', S1: '', FAST: '', SLOW: '', PLAIN: '', fastLot: '', slowLot: '' };
  const schedules: string[] = [];

  const forecastsOf = (nodeId: string, sku: string) =>
    db.query<ForecastDbRow>(
      'SELECT slot_start, horizon_h, mean, p10, p50, p90 FROM forecasts WHERE run_id = $1 AND node_id = $2 AND sku = $3 ORDER BY slot_start',
      [runId, nodeId, sku],
    );

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    city = await seedTestCity(db, { front: 2, store: 1, skus: 8 });
    const front = city.nodes.filter((n) => n.kind === 'front');
    const p = front[0]!.id.replace(/F-001$/, '');
    Object.assign(ids, {
      F1: front[0]!.id,
      F2: front[1]!.id,
      S1: city.nodes.find((n) => n.kind === 'store')!.id,
      FAST: `${p}FAST`,
      SLOW: `${p}SLOW`,
      PLAIN: `${p}PLAIN`,
      fastLot: `${p}FAST-L1`,
      slowLot: `${p}SLOW-L1`,
    });
    // FAST: a chilled SKU that keeps one sellable day after delivery (2 days of life, 1 needed at the door).
    await upsertSkus(db, [
      {
        sku: ids.FAST,
        name: 'Fresh Milk 1L',
        category: 'dairy',
        zone: 'chilled',
        minShelfLifeDays: 1,
        perishable: true,
        unitPriceCents: 1290,
        band: 'chilled',
        shelfLifeDaysAtRef: 2,
      },
      {
        sku: ids.SLOW,
        name: 'Brown Rice 5kg',
        category: 'rice',
        zone: 'ambient',
        minShelfLifeDays: 1,
        perishable: false,
        unitPriceCents: 5990,
        band: 'ambient',
        shelfLifeDaysAtRef: 365,
      },
      {
        sku: ids.PLAIN,
        name: 'Tomatoes 500g',
        category: 'vegetables',
        zone: 'chilled',
        minShelfLifeDays: 1,
        perishable: true,
        unitPriceCents: 590,
        band: 'chilled',
        shelfLifeDaysAtRef: 10,
      },
    ]);
    await insertLots(db, [
      { lotId: ids.fastLot, nodeId: ids.F1, sku: ids.FAST, expiresOn: inDays(3), onHand: 5 },
      // 300 bags that must go within about two days, of a SKU that sells about one a day.
      { lotId: ids.slowLot, nodeId: ids.F1, sku: ids.SLOW, expiresOn: inDays(2), onHand: 300 },
    ]);
    const daytime = (h: number) => h >= 8 && h <= 21;
    history = synthesiseHistory(
      `${p}h-`,
      [
        { nodeId: ids.F1, sku: ids.FAST, zone: 'chilled', rate: (h) => (daytime(h) ? 4 : 0) },
        { nodeId: ids.F1, sku: ids.SLOW, zone: 'ambient', rate: () => 0.05 },
        { nodeId: ids.F2, sku: ids.PLAIN, zone: 'chilled', rate: (h) => (daytime(h) ? 2 : 0.1) },
      ],
      floorLocalHour(Date.now()),
    );
    await insertHistory(db, history, city.centre);
    stack = await startOrderStack(db);
    ops = await stack.token('ops');
    integrator = await stack.token('integrator');

    // Small chunks so the run goes through several forecasting and planning calls.
    const started = await call(`${stack.url}/v1/forecasts/runs`, 'POST', ops, {
      horizonDays: HORIZON_DAYS,
      nodeIds: [ids.F1, ids.F2, ids.S1],
      seriesPerChunk: 4,
    });
    expect(started.status, JSON.stringify(started.body)).to.equal(202);
    runId = started.body.runId;
    summary = await stack.client.workflow.getHandle<typeof forecastRunWorkflow>(runId).result();
    const run = (
      await db.query<{ origin: Date; status: string }>('SELECT origin, status FROM forecast_runs WHERE run_id = $1', [
        runId,
      ])
    )[0]!;
    expect(run.status).to.equal('succeeded');
    origin = run.origin.getTime();
  });
  after(async () => {
    for (const id of schedules)
      await stack?.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await stack?.stop();
    await db?.close();
  });

  it('forecasts every series of the run for horizon × 24 hourly slots, non-negative and ordered', async () => {
    expect(origin % HOUR).to.equal(0);
    expect(Math.abs(origin - floorLocalHour(Date.now()))).to.be.at.most(HOUR);
    const series = await db.query<{ node_id: string; sku: string; n: number }>(
      'SELECT node_id, sku, count(*)::int AS n FROM forecasts WHERE run_id = $1 AND slot_start >= $2 GROUP BY 1, 2',
      [runId, new Date(origin)],
    );
    expect(summary.series).to.equal(series.length);
    expect(summary.points).to.equal(series.length * HORIZON_DAYS * 24);
    // Every pair with demand or stock at the three nodes, and nothing from elsewhere.
    const keys = series.map((s) => `${s.node_id}|${s.sku}`);
    for (const k of [`${ids.F1}|${ids.FAST}`, `${ids.F1}|${ids.SLOW}`, `${ids.F2}|${ids.PLAIN}`])
      expect(keys).to.include(k);
    expect(series.every((s) => [ids.F1, ids.F2, ids.S1].includes(s.node_id))).to.equal(true);
    for (const s of series) expect(s.n, `${s.node_id}/${s.sku}`).to.equal(HORIZON_DAYS * 24);

    for (const [node, sku] of [
      [ids.F1, ids.FAST],
      [ids.F1, ids.SLOW],
      [ids.F2, ids.PLAIN],
    ] as const) {
      const rows = await forecastsOf(node, sku);
      rows.forEach((r, k) => {
        expect(r.slot_start.getTime()).to.equal(origin + k * HOUR);
        expect(r.horizon_h).to.equal(k + 1);
        expect(r.p10).to.be.at.least(0);
        expect(r.p10).to.be.at.most(r.p50);
        expect(r.p50).to.be.at.most(r.p90);
        expect(r.mean).to.be.at.least(0);
      });
    }
  });

  it('learns the daily shape in local time: the daytime seller is forecast by day, not at night', async () => {
    const rows = await forecastsOf(ids.F1, ids.FAST);
    const mean = (pred: (h: number) => boolean) => {
      const xs = rows.filter((r) => pred(localHour(r.slot_start.getTime()))).map((r) => r.mean);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean((h) => h >= 10 && h <= 19)).to.be.within(2.5, 6); // truth 4
    expect(mean((h) => h >= 0 && h <= 5)).to.be.below(0.5); // truth 0
    // The edges of the selling day sit on the right local hours (an hour off would swap these).
    expect(mean((h) => h === 7 || h === 22)).to.be.below(0.8);
    expect(mean((h) => h === 8 || h === 21)).to.be.above(2);
  });

  it('caps a replenishment order at what sells before a delivered unit expires', async () => {
    const rows = await forecastsOf(ids.F1, ids.FAST);
    const s = (
      await db.query<{
        order_quantity: number;
        order_up_to: number;
        expiry_cap: number;
        limited_by_expiry: boolean;
        inventory_position: number;
        on_hand: number;
        shelf_life_h: number;
        lead_time_h: number;
      }>('SELECT * FROM replenishment_suggestions WHERE run_id = $1 AND node_id = $2 AND sku = $3', [
        runId,
        ids.F1,
        ids.FAST,
      ])
    )[0]!;
    expect(s).to.include({ lead_time_h: 24, shelf_life_h: 24, on_hand: 5, inventory_position: 5 });
    // What sells in the one sellable day after arrival (p50), less older stock still left then.
    const p50 = (from: number, to: number) => rows.slice(from, to).reduce((a, r) => a + r.p50, 0);
    const cap = p50(24, 48) - Math.max(0, 5 - p50(0, 24));
    expect(s.expiry_cap).to.be.closeTo(cap, 1e-6);
    expect(s.order_up_to - s.inventory_position, 'the uncapped order would be larger').to.be.above(cap);
    expect(s.limited_by_expiry).to.equal(true);
    expect(s.order_quantity).to.be.at.most(cap);
    expect(s.order_quantity).to.equal(Math.floor(cap));
    expect(s.order_quantity).to.be.above(10);
    // Only front warehouses get order suggestions.
    const store = await db.query('SELECT 1 FROM replenishment_suggestions WHERE run_id = $1 AND node_id = $2', [
      runId,
      ids.S1,
    ]);
    expect(store).to.have.length(0);
  });

  it('suggests a markdown for a lot near expiry that will not sell, and none for one that will', async () => {
    const rows = await db.query<{
      lot_id: string;
      quantity: number;
      at_risk: number;
      expected_sold: number;
      suggested_discount: number;
      sell_by: Date;
    }>(
      'SELECT lot_id, quantity, at_risk, expected_sold, suggested_discount, sell_by FROM markdown_suggestions WHERE run_id = $1 AND node_id = $2',
      [runId, ids.F1],
    );
    const slow = rows.find((r) => r.lot_id === ids.slowLot);
    expect(slow, 'markdown for the slow lot').to.not.equal(undefined);
    expect(slow!.quantity).to.equal(300);
    expect(slow!.at_risk).to.be.above(280);
    expect(slow!.expected_sold).to.be.below(20);
    expect(slow!.suggested_discount).to.equal(0.5);
    // Sellable while a day of life remains: until the start of its expiry day, local time.
    expect(slow!.sell_by.getTime()).to.equal(Date.parse(`${inDays(2)}T00:00:00Z`) - OFFSET);
    expect(rows.map((r) => r.lot_id)).to.not.include(ids.fastLot);
  });

  it('turns SKU forecasts into expected orders per slot with the node’s units per order', async () => {
    const inWindow = history.filter(
      (o) => o.nodeId === ids.F1 && o.slotStart >= origin - HISTORY_DAYS * DAY && o.slotStart < origin,
    );
    const unitsPerOrder = inWindow.reduce((a, o) => a + o.qty, 0) / inWindow.length;
    const slots = await db.query<{
      slot_start: Date;
      expected_orders: number;
      p90_orders: number;
      units_per_order: number;
    }>(
      'SELECT slot_start, expected_orders, p90_orders, units_per_order FROM slot_capacity_forecasts WHERE run_id = $1 AND node_id = $2 ORDER BY slot_start',
      [runId, ids.F1],
    );
    expect(slots).to.have.length(HORIZON_DAYS * 24);
    const units = await db.query<{ slot_start: Date; units: number }>(
      'SELECT slot_start, sum(mean)::float8 AS units FROM forecasts WHERE run_id = $1 AND node_id = $2 GROUP BY 1 ORDER BY 1',
      [runId, ids.F1],
    );
    slots.forEach((s, k) => {
      expect(s.units_per_order).to.be.closeTo(unitsPerOrder, 1e-9);
      expect(s.slot_start.getTime()).to.equal(units[k]!.slot_start.getTime());
      expect(s.expected_orders).to.be.closeTo(units[k]!.units / unitsPerOrder, 1e-9);
      expect(s.p90_orders).to.be.at.least(s.expected_orders - 1e-12);
    });
  });

  it('serves the latest run through the API to ops and integrators only, validating queries', async () => {
    const url = `${stack.url}/v1`;
    const fc = await call(`${url}/forecasts?nodeId=${ids.F1}&sku=${ids.FAST}`, 'GET', integrator);
    expect(fc.status, JSON.stringify(fc.body)).to.equal(200);
    expect(fc.body.run.runId).to.equal(runId);
    expect(fc.body.series).to.have.length(1);
    expect(fc.body.series[0].points).to.have.length(HORIZON_DAYS * 24);
    expect(Date.parse(fc.body.series[0].points[0].slotStart)).to.equal(origin);
    const window = await call(
      `${url}/forecasts?nodeId=${ids.F1}&from=${encodeURIComponent(new Date(origin + DAY).toISOString())}&to=${encodeURIComponent(new Date(origin + DAY + 6 * HOUR).toISOString())}`,
      'GET',
      ops,
    );
    expect(window.status).to.equal(200);
    expect(window.body.series.map((s: { sku: string }) => s.sku)).to.include.members([ids.FAST, ids.SLOW]);
    for (const s of window.body.series) expect(s.points).to.have.length(6);

    expect((await call(`${url}/forecasts?nodeId=${ids.F1}`, 'GET', undefined)).status).to.equal(401);
    const picker = await stack.token('picker', ids.F1);
    for (const path of [
      `forecasts?nodeId=${ids.F1}`,
      `replenishment?nodeId=${ids.F1}`,
      `markdowns?nodeId=${ids.F1}`,
      `wave-capacity?nodeId=${ids.F1}&date=${cityToday()}`,
    ]) {
      expect((await call(`${url}/${path}`, 'GET', picker)).status, path).to.equal(403);
    }
    expect((await call(`${url}/forecasts/runs`, 'POST', picker, { horizonDays: 1 })).status).to.equal(403);
    expect((await call(`${url}/forecasts/runs`, 'POST', integrator, { horizonDays: 1 })).status).to.equal(403);

    const bad = async (path: string, pattern: RegExp, method = 'GET', body?: unknown) => {
      const r = await call(`${url}/${path}`, method, ops, body);
      expect(r.status, path).to.equal(400);
      expect(r.body.error.message, path).to.match(pattern);
    };
    await bad(`forecasts?sku=${ids.FAST}`, /^nodeId: required$/);
    await bad(`forecasts?nodeId=${ids.F1}&from=yesterday`, /^from: must be an ISO 8601 date-time/);
    await bad(
      `forecasts?nodeId=${ids.F1}&from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z`,
      /^to: must be after from$/,
    );
    await bad(`forecasts?nodeId=${ids.F1}&limit=5`, /^limit: unknown query parameter$/);
    await bad(`forecasts?nodeId=${ids.F1}&nodeId=${ids.F2}`, /^nodeId: must be a single id$/);
    await bad(`wave-capacity?nodeId=${ids.F1}&date=2025-02-30`, /^date: /);
    await bad('forecasts/runs', /^horizonDays: /, 'POST', { horizonDays: 0 });
    await bad(
      'forecasts/runs',
      /^reviewHours: leadTimeHours \+ reviewHours \(200\) must fit in the horizon \(48 h\)$/,
      'POST',
      { horizonDays: 2, leadTimeHours: 100, reviewHours: 100 },
    );
    expect((await call(`${url}/forecasts?nodeId=${uniqueId('nowhere')}`, 'GET', ops)).status).to.equal(404);

    const repl = await call(`${url}/replenishment?nodeId=${ids.F1}`, 'GET', integrator);
    expect(repl.status).to.equal(200);
    const fast = repl.body.suggestions.find((s: { sku: string }) => s.sku === ids.FAST);
    expect(fast).to.include({ runId, nodeId: ids.F1, limitedByExpiry: true, onHand: 5, shelfLifeHours: 24 });
    expect(fast.orderQuantity).to.be.at.most(fast.expiryCap);

    const md = await call(`${url}/markdowns?nodeId=${ids.F1}`, 'GET', ops);
    expect(md.status).to.equal(200);
    expect(md.body.suggestions.map((s: { lotId: string }) => s.lotId))
      .to.include(ids.slowLot)
      .and.not.include(ids.fastLot);

    const tomorrow = new Date(origin + OFFSET + DAY).toISOString().slice(0, 10);
    const wave = await call(`${url}/wave-capacity?nodeId=${ids.F1}&date=${tomorrow}`, 'GET', integrator);
    expect(wave.status).to.equal(200);
    expect(wave.body.slots).to.have.length(24);
    expect(Date.parse(wave.body.slots[0].slotStart)).to.equal(Date.parse(`${tomorrow}T00:00:00Z`) - OFFSET);
    const daytime = wave.body.slots
      .slice(10, 20)
      .reduce((a: number, s: { expectedOrders: number }) => a + s.expectedOrders, 0);
    const night = wave.body.slots
      .slice(0, 6)
      .reduce((a: number, s: { expectedOrders: number }) => a + s.expectedOrders, 0);
    expect(daytime).to.be.above(10 * night);
  });

  it('refuses a run for node ids that are not ids, or name no node, with a 400 naming the field', async () => {
    const start = (body: unknown) => call(`${stack.url}/v1/forecasts/runs`, 'POST', ops, body);
    for (const [nodeIds, field, message] of [
      [['../x'], 'nodeIds.0', /must be a node id/],
      [[ids.F1, 'a/b'], 'nodeIds.1', /must be a node id/],
      [['%2e%2e'], 'nodeIds.0', /must be a node id/],
      [[ids.F1, uniqueId('no-such-node')], 'nodeIds.1', /no such node/],
    ] as const) {
      const r = await start({ horizonDays: 2, nodeIds });
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(r.body.error.code).to.equal('FC_VALIDATION');
      expect(r.body.error.message)
        .to.match(new RegExp(`^${field.replace('.', '\\.')}: `))
        .and.match(message);
      expect(r.body.error.details[0].path).to.equal(field);
    }
  });

  it('rewrites a chunk idempotently when its activity runs again', async () => {
    const before = await forecastsOf(ids.F1, ids.FAST);
    const count = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM forecasts WHERE run_id = $1', [runId]))[0]!.n;
    const total = await count();
    const acts = createForecastingActivities({ db, logger: testLogger });
    await acts.forecastRunChunk({ runId, fromIdx: 0, toIdx: summary.series });
    expect(await count()).to.equal(total);
    const after = await forecastsOf(ids.F1, ids.FAST);
    after.forEach((r, k) => expect(r.p50).to.be.closeTo(before[k]!.p50, 1e-9));
  });

  it('fails a run with bad input at once, without retrying', async () => {
    const t0 = Date.now();
    const err = await stack.client.workflow
      .execute(forecastRunWorkflow, {
        workflowId: uniqueId('forecast-bad'),
        taskQueue: stack.config.temporal.taskQueues.forecasting,
        args: [{ horizonDays: 0 }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause;
    expect(cause).to.be.instanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).to.equal('InvalidForecastRunInput');
    expect((cause as ApplicationFailure).message).to.match(/horizonDays/);
    expect(Date.now() - t0).to.be.below(10_000);
  });

  it('creates the daily schedule idempotently and updates it in place', async () => {
    const scheduleId = uniqueId('forecast-daily-test');
    schedules.push(scheduleId);
    const first = await ensureForecastSchedule(stack.client, stack.config, {
      scheduleId,
      cron: '0 2 * * *',
      horizonDays: 7,
    });
    expect(first).to.deep.equal({ scheduleId, created: true });
    const handle = stack.client.schedule.getHandle(scheduleId);
    let desc = await handle.describe();
    expect(desc.action.type).to.equal('startWorkflow');
    expect(desc.action.workflowType).to.equal('forecastRunWorkflow');
    expect(desc.action.taskQueue).to.equal(stack.config.temporal.taskQueues.forecasting);
    expect((desc.action.args?.[0] as { horizonDays: number }).horizonDays).to.equal(7);
    expect(desc.policies.overlap).to.equal('SKIP');
    expect(desc.spec.timezone).to.equal('Asia/Shanghai');
    expect(desc.spec.calendars).to.have.length(1);

    const again = await ensureForecastSchedule(stack.client, stack.config, {
      scheduleId,
      every: '12 hours',
      horizonDays: 3,
      input: { maxSeries: 100 },
    });
    expect(again).to.deep.equal({ scheduleId, created: false });
    desc = await handle.describe();
    expect(desc.action.args?.[0]).to.include({ horizonDays: 3, maxSeries: 100 });
    expect(desc.spec.intervals?.[0]?.every).to.equal(12 * HOUR);
    expect(desc.spec.calendars ?? []).to.have.length(0);
    expect(desc.policies.overlap).to.equal('SKIP');
  });
});
