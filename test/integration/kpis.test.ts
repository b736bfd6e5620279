// KPIs from the event stream: a synthetic day with known answers written straight into the
// tables (deterministic, including events just outside the day and rows that must not count),
// then real orders driven through the workflows, so the report is proven against what the
// workflows actually write. The API's JSON and CSV must agree, and bad queries get 400s.
import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { Db } from '../../db/pool';
import { KPI_COLUMNS, daysBetween, kpisByNodeDay, withRates } from '../../db/kpis';
import type { KpiCounts, KpiRow } from '../../db/kpis';
import { proposeSubstitutionUpdate, startPickingUpdate } from '../../workflows/fulfilment.contract';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderView } from '../../domain/orders';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { call, cityToday, intakeBody, seedNetwork, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';

// ---- A synthetic day -------------------------------------------------------------------------

const D = '2025-03-10';
const TZ = 'Asia/Shanghai';
/** An instant given as local time in Shanghai (UTC+8) on D + `day`. */
const local = (day: number, h: number, m = 0, s = 0) => new Date(Date.UTC(2025, 2, 10 + day, h - 8, m, s));
const plus = (t: Date, minutes: number) => new Date(t.getTime() + minutes * 60_000);

interface Ev {
  orderId: string;
  at: Date;
  key: string;
  type: string;
  nodeId: string | null;
  data: unknown;
}

async function insertEvents(db: Db, events: readonly Ev[]): Promise<void> {
  await db.query(
    `INSERT INTO order_events (order_id, at, event_key, type, node_id, data)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
    [
      events.map((e) => e.orderId),
      events.map((e) => e.at),
      events.map((e) => e.key),
      events.map((e) => e.type),
      events.map((e) => e.nodeId),
      events.map((e) => JSON.stringify(e.data)),
    ],
  );
}

interface SynthOrder {
  orderId: string;
  nodeId: string;
  start: Date;
  lines: number;
  /** Lines nobody could serve: line number and the allocator's byNode verdicts. */
  unfulfilled?: { line: number; byNode: { nodeId: string; code: string }[]; code?: string }[];
  picker: string;
  pickMinutes: number;
  /** A second picker claims another zone this many minutes after picking starts. */
  claim?: { picker: string; afterMinutes: number };
  shorts?: number[];
  substitutions?: { line: number; accepted: boolean }[];
  breached?: boolean;
  door: 'delivered' | 'partial' | 'full';
}

/** The events an order's life writes, shaped as the workflows write them (see workflows/order.ts, fulfilment.ts). */
function orderEvents(o: SynthOrder): Ev[] {
  const ev = (at: Date, key: string, type: string, nodeId: string | null, data: unknown = {}): Ev => ({
    orderId: o.orderId,
    at,
    key,
    type,
    nodeId,
    data,
  });
  const fid = `${orderWorkflowId(o.orderId)}-f1`;
  const fev = (at: Date, key: string, type: string, data: Record<string, unknown> = {}) =>
    ev(at, `${fid}:${key}`, type, o.nodeId, { fulfilmentId: fid, ...data });
  const lineIds = Array.from({ length: o.lines }, (_, i) => `l${i + 1}`);
  const unfulfilled = new Map((o.unfulfilled ?? []).map((u) => [`l${u.line}`, u]));
  const allocated = lineIds.filter((l) => !unfulfilled.has(l));
  const out: Ev[] = [
    ev(o.start, `${o.orderId}:received`, 'received', null),
    ev(plus(o.start, 0.02), `${o.orderId}:alloc:1`, 'allocated', null, {
      orderId: o.orderId,
      fulfilments: allocated.length
        ? [
            {
              nodeId: o.nodeId,
              nodeKind: 'front',
              totes: [
                {
                  zone: 'ambient',
                  lines: allocated.map((lineId) => ({
                    lineId,
                    sku: 'SKU',
                    qty: 1,
                    lots: [{ lotId: 'LOT', qty: 1, expiresOn: '2025-03-15' }],
                  })),
                },
              ],
              etaMs: 0,
              pickDeadlineMs: 0,
              distanceKm: 1,
            },
          ]
        : [],
      unfulfilled: [...unfulfilled].map(([lineId, u]) => ({
        lineId,
        sku: 'SKU',
        qty: 1,
        code: u.code ?? 'insufficient_stock',
        text: 'short',
        byNode: u.byNode.map((b) => ({ ...b, text: b.code })),
      })),
      explanation: { candidates: [], chosenNodeIds: [o.nodeId], strategy: 'single', summary: '' },
    }),
  ];
  if (unfulfilled.size)
    out.push(
      ev(plus(o.start, 0.03), `${o.orderId}:unfulfilled:1`, 'lines_unfulfilled', null, {
        reason: 'initial',
        lines: [...unfulfilled].map(([lineId, u]) => ({ lineId, code: u.code ?? 'insufficient_stock' })),
      }),
    );
  if (!allocated.length) {
    out.push(
      ev(plus(o.start, 0.04), `${o.orderId}:rejected`, 'rejected', null, { reason: 'no node can serve any line' }),
    );
    return out;
  }
  const pickStart = plus(o.start, 2);
  const packed = plus(pickStart, o.pickMinutes);
  out.push(
    fev(plus(o.start, 0.05), 'allocated', 'allocated', {
      totes: [{ zone: 'ambient', lines: allocated.length }],
      deliveryId: `dlv-${o.orderId}`,
    }),
  );
  out.push(fev(pickStart, 'picking', 'picking', { pickerId: o.picker }));
  if (o.claim)
    out.push(
      fev(plus(pickStart, o.claim.afterMinutes), 'claim:chilled', 'pick_claimed', {
        pickerId: o.claim.picker,
        zones: ['chilled'],
        waveId: 'w1',
      }),
    );
  allocated.forEach((lineId, i) => {
    const at = plus(pickStart, (o.pickMinutes * (i + 1)) / (allocated.length + 1));
    const sub = o.substitutions?.find((s) => `l${s.line}` === lineId);
    if (o.shorts?.some((n) => `l${n}` === lineId))
      out.push(
        fev(at, `short:${lineId}`, 'short_picked', {
          lineId,
          reason: 'not_found',
          picked: 0,
          missing: 1,
          reallocatedAs: `${lineId}-r1`,
          pickerId: o.picker,
        }),
      );
    else if (sub) {
      out.push(
        fev(at, `substitute:${lineId}`, 'substitution_proposed', {
          lineId,
          reason: 'not_found',
          missing: 1,
          sku: 'SUB',
          qty: 1,
          policy: 'best_match',
          status: 'pending',
        }),
      );
      out.push(
        fev(plus(at, 0.5), `substitution:${lineId}`, sub.accepted ? 'substitution_accepted' : 'substitution_refused', {
          lineId,
          sku: 'SUB',
          decidedBy: 'customer',
        }),
      );
    } else out.push(fev(at, `picked:${lineId}`, 'line_picked', { lineId, qty: 1 }));
  });
  out.push(fev(packed, 'packed', 'packed', { pickerId: o.picker, location: 'S-01', toteLabels: ['x-A'] }));
  out.push(fev(plus(packed, 5), 'dispatched', 'dispatched', { courierId: 'c1' }));
  if (o.breached)
    out.push(
      ev(plus(packed, 19), `${o.orderId}:sla_breached`, 'sla_breached', null, {
        breachAtMs: plus(packed, 19).getTime(),
        status: 'dispatched',
      }),
    );
  const doorAt = plus(packed, 20);
  if (o.door === 'full')
    out.push(fev(doorAt, 'rejected', 'rejected', { rejection: 'full', creditCents: 100, lines: [] }));
  else
    out.push(
      fev(
        doorAt,
        'delivered',
        'delivered',
        o.door === 'partial' ? { rejection: 'partial', creditCents: 50, lines: [] } : {},
      ),
    );
  out.push(
    ev(plus(doorAt, 0.02), `${o.orderId}:final`, o.door === 'full' ? 'order_rejected' : 'order_delivered', null, {
      fulfilments: [{ id: fid, state: o.door === 'full' ? 'rejected' : 'delivered' }],
    }),
  );
  return out;
}

/** What the synthetic day must come to, per node, in Shanghai days. */
function expectedCounts(n0: string, n1: string): Record<string, Partial<KpiCounts>> {
  return {
    [`${n0}|${D}`]: {
      ordersDelivered: 20,
      ordersSlaBreached: 2,
      linesOrdered: 50,
      linesStockout: 3,
      counts: 4,
      countsAccurate: 3,
      unitsCountError: 2,
      unitsCounted: 25,
      fulfilmentsPacked: 21,
      linesPicked: 43,
      pickerHours: 125 / 60,
      linesHandled: 47,
      substitutionsProposed: 2,
      substitutionsAccepted: 1,
      substitutionsRefused: 1,
      doorArrivals: 21,
      rejectionsFull: 1,
      rejectionsPartial: 1,
      coldChainExcursions: 2,
      coldChainMinutesOutOfBand: 65,
    },
    [`${n1}|${D}`]: {
      ordersDelivered: 4,
      ordersSlaBreached: 0,
      linesOrdered: 9,
      linesStockout: 1,
      counts: 0,
      fulfilmentsPacked: 4,
      linesPicked: 8,
      pickerHours: 16 / 60,
      linesHandled: 8,
      substitutionsProposed: 0,
      doorArrivals: 4,
      rejectionsFull: 0,
      rejectionsPartial: 0,
      coldChainExcursions: 1,
      coldChainMinutesOutOfBand: 60,
    },
  };
}

function parseCsv(text: string): string[][] {
  // The report's cells never hold commas or quotes (ids are [A-Za-z0-9._-]), so a split is enough;
  // a quoted cell would show up as a mismatch below.
  return text
    .split('\r\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(','));
}

describe('KPIs from the event stream (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  let ops: string;

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    ops = await stack.token('ops');
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  describe('a synthetic day with known answers', () => {
    let n0 = '';
    let n1 = '';
    const now = local(1, 3).getTime(); // D+1 03:00 local: the open excursion runs until then

    before(async () => {
      let p = '';
      await seedNetwork(db, (c, prefix) => {
        p = prefix;
        const node = (i: number): Node => ({
          id: `${prefix}N${i}`,
          kind: 'front',
          name: `KPI ${i}`,
          location: { lat: c.lat + i * 0.005, lng: c.lng },
          serviceRadiusKm: 3,
          zones: ['ambient', 'chilled', 'frozen'],
          pickMinutesPerOrder: 3,
          packMinutes: 1,
          travelKmPerHour: 20,
          slotCapacity: { '*': 1000 },
        });
        const sku: Sku = {
          sku: `${prefix}RICE`,
          name: 'Rice',
          category: 'rice',
          zone: 'ambient',
          minShelfLifeDays: 1,
          perishable: false,
          unitPriceCents: 100,
        };
        const lot = (i: number): StockLot => ({
          nodeId: `${prefix}N0`,
          sku: sku.sku,
          lotId: `${prefix}CNT-${i}`,
          expiresOn: '2030-01-01',
          available: 10,
          bin: 'A-01-1',
        });
        return { nodes: [node(0), node(1)], skus: [sku], lots: [1, 2, 3, 4, 5].map(lot) };
      });
      n0 = `${p}N0`;
      n1 = `${p}N1`;
      const o = (i: number) => `${p}o${i}`;

      // N0: 21 orders; 0-19 delivered (6 and 16 after an SLA breach, 4 partly rejected), 20 fully
      // rejected at the door (and breached: not a delivered order, so not in SLA attainment).
      // Lines: 0-7 have 3, 8-20 have 2 (50); 3 nobody had stock for, first candidate N0.
      // Picker P1 picks 0-9 one after another (6 min each: 60 min); P2 picks 10-19 two at a
      // time (10 min per pair: 50 min); P3 picks 20 (12 min) and claims a zone of order 0 three
      // minutes in (3 min): 125 picker-minutes for 43 lines picked in full (2 shorts, 2 substitutes).
      const lack = (first: string, second: string) => [
        { nodeId: first, code: 'insufficient_stock' },
        { nodeId: second, code: 'insufficient_stock' },
      ];
      const orders: SynthOrder[] = [];
      for (let i = 0; i <= 20; i++) {
        const pair = i >= 10 && i <= 19;
        orders.push({
          orderId: o(i),
          nodeId: n0,
          lines: i <= 7 ? 3 : 2,
          start: i <= 9 ? local(0, 9, i * 30) : pair ? local(0, 14, Math.floor((i - 10) / 2) * 30) : local(0, 19),
          picker: i <= 9 ? 'P1' : pair ? 'P2' : 'P3',
          pickMinutes: i <= 9 ? 6 : pair ? 10 : 12,
          ...(i === 0 ? { claim: { picker: 'P3', afterMinutes: 3 } } : {}),
          ...(i === 1 || i === 5
            ? { unfulfilled: [{ line: 3, byNode: lack(n0, n1) }] }
            : i === 9
              ? { unfulfilled: [{ line: 2, byNode: lack(n0, n1) }] }
              : {}),
          ...(i === 2 || i === 12 ? { shorts: [1] } : {}),
          ...(i === 3
            ? { substitutions: [{ line: 2, accepted: true }] }
            : i === 13
              ? { substitutions: [{ line: 2, accepted: false }] }
              : {}),
          breached: i === 6 || i === 16 || i === 20,
          door: i === 20 ? 'full' : i === 4 ? 'partial' : 'delivered',
        });
      }
      // N1: four 2-line orders by P4, 4 min each; one order whose only line N1 lacked (no node
      // could serve it: an order-level 'rejected', not a door rejection).
      for (let k = 0; k < 4; k++)
        orders.push({
          orderId: `${p}m${k}`,
          nodeId: n1,
          lines: 2,
          start: local(0, 10 + k),
          picker: 'P4',
          pickMinutes: 4,
          door: 'delivered',
        });
      orders.push({
        orderId: `${p}m4`,
        nodeId: n1,
        lines: 1,
        start: local(0, 16),
        picker: 'P4',
        pickMinutes: 1,
        door: 'delivered',
        unfulfilled: [{ line: 1, byNode: lack(n1, n0) }],
      });
      const events = orders.flatMap(orderEvents);
      // Noise that must not count on D (Shanghai): a re-allocation that found no stock, a line
      // unserved for another reason, and an order delivered half an hour after midnight.
      events.push(
        {
          orderId: o(1),
          at: local(0, 15),
          key: `${o(1)}:alloc:2`,
          type: 'allocated',
          nodeId: null,
          data: {
            fulfilments: [],
            unfulfilled: [{ lineId: 'l1-r1', code: 'insufficient_stock', byNode: lack(n0, n1) }],
          },
        },
        {
          orderId: `${p}far`,
          at: local(0, 12),
          key: `${p}far:alloc:1`,
          type: 'allocated',
          nodeId: null,
          data: {
            fulfilments: [],
            unfulfilled: [{ lineId: 'l1', code: 'out_of_radius', byNode: [{ nodeId: n0, code: 'out_of_radius' }] }],
          },
        },
        {
          orderId: `${p}late`,
          at: local(1, 0, 10),
          key: `order-${p}late-f1:dispatched`,
          type: 'dispatched',
          nodeId: n0,
          data: { fulfilmentId: `order-${p}late-f1` },
        },
        {
          orderId: `${p}late`,
          at: local(1, 0, 30),
          key: `order-${p}late-f1:delivered`,
          type: 'delivered',
          nodeId: n0,
          data: { fulfilmentId: `order-${p}late-f1` },
        },
      );
      await insertEvents(db, events);

      // Cycle counts at N0: 4 on D, one of them off by 2; a short pick's count, a receipt and a
      // count the next morning do not count.
      const adj = (id: string, lot: number, kind: string, counted: number | null, before: number, at: Date) =>
        [`${p}${id}`, `${p}CNT-${lot}`, kind, counted === null ? 0 : counted - before, counted, before, at] as const;
      const adjustments = [
        adj('c1', 1, 'count', 10, 10, local(0, 11, 0)),
        adj('c2', 2, 'count', 5, 5, local(0, 11, 1)),
        adj('c3', 3, 'count', 8, 10, local(0, 11, 2)),
        adj('c4', 4, 'count', 0, 0, local(0, 11, 3)),
        adj(`order-x-f1:l1:short:${p}CNT-5`, 5, 'count', 2, 10, local(0, 12)),
        adj('r1', 5, 'receipt', null, 10, local(0, 12, 5)),
        adj('c5', 5, 'count', 1, 9, local(1, 9)),
      ];
      await db.query(
        `INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, counted, system_before, at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::timestamptz[])`,
        [0, 1, 2, 3, 4, 5, 6].map((i) => adjustments.map((a) => a[i])),
      );

      // Alerts: at N0 two sensors of one fridge overlap (10:00-10:30, 10:20-10:50: 50 min once),
      // a freezer excursion spans midnight (23:40 D-1 to 00:15: 15 min on D); offline and
      // hard-limit alerts are not excursions. At N1 an excursion opened at 23:00 is still open.
      const alert = (
        id: string,
        kind: string,
        node: string,
        asset: string,
        sensor: string,
        start: Date,
        end: Date | null,
      ) => [`${p}${id}`, kind, node, `${p}${asset}`, `${p}${sensor}`, start, end] as const;
      const alerts = [
        alert('a1', 'excursion', n0, 'A1', 's1', local(0, 10), local(0, 10, 30)),
        alert('a2', 'excursion', n0, 'A1', 's2', local(0, 10, 20), local(0, 10, 50)),
        alert('a3', 'excursion', n0, 'A2', 's3', local(-1, 23, 40), local(0, 0, 15)),
        alert('a4', 'offline', n0, 'A1', 's1', local(0, 12), local(0, 14)),
        alert('a5', 'hard_limit', n0, 'A1', 's1', local(0, 10, 5), local(0, 10, 10)),
        alert('b1', 'excursion', n1, 'B1', 's9', local(0, 23), null),
      ];
      await db.query(
        `INSERT INTO alerts (source_id, kind, rule, sensor_id, asset_id, node_id, profile_id, title, status, severity, severity_since, opened_at, window_start, window_end)
         SELECT t.id, t.kind, 'test', t.sensor, t.asset, t.node, 'chilled', 'kpi test', CASE WHEN t.e IS NULL THEN 'open' ELSE 'resolved' END, 'warning', t.s, t.s, t.s, t.e
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[]) AS t(id, kind, node, asset, sensor, s, e)`,
        [0, 1, 2, 3, 4, 5, 6].map((i) => alerts.map((a) => a[i])),
      );
    });

    const cells = (rows: KpiRow[]) =>
      new Map(rows.filter((r) => r.nodeId === n0 || r.nodeId === n1).map((r) => [`${r.nodeId}|${r.day}`, r]));

    it('computes every KPI of the day as known, per node', async () => {
      const rows = cells(await kpisByNodeDay(db, { from: D, to: D, tz: TZ, now }));
      expect([...rows.keys()].sort()).to.deep.equal([`${n0}|${D}`, `${n1}|${D}`]);
      for (const [key, want] of Object.entries(expectedCounts(n0, n1))) {
        const got = rows.get(key)!;
        for (const [k, v] of Object.entries(want))
          expect(got[k as keyof KpiRow], `${key} ${k}`).to.be.closeTo(v as number, 1e-9);
      }
      const a = rows.get(`${n0}|${D}`)!;
      expect(a.slaAttainment).to.equal(0.9);
      expect(a.stockoutRate).to.equal(0.06);
      expect(a.countAccuracy).to.equal(0.75);
      expect(a.unitAccuracy).to.be.closeTo(0.92, 1e-12);
      expect(a.linesPerPickerHour).to.be.closeTo(43 / (125 / 60), 1e-9);
      expect(a.substitutionRate).to.be.closeTo(2 / 47, 1e-12);
      expect(a.substitutionAcceptance).to.equal(0.5);
      expect(a.rejectionRate).to.be.closeTo(2 / 21, 1e-12);
      const b = rows.get(`${n1}|${D}`)!;
      expect(b).to.include({
        slaAttainment: 1,
        countAccuracy: null,
        unitAccuracy: null,
        substitutionRate: 0,
        substitutionAcceptance: null,
        rejectionRate: 0,
      });
      expect(b.stockoutRate).to.be.closeTo(1 / 9, 1e-12);
      expect(b.linesPerPickerHour).to.be.closeTo(30, 1e-9);
    });

    it('is dense over the window, splits excursions at midnight and honours the time zone', async () => {
      const rows = cells(await kpisByNodeDay(db, { from: '2025-03-09', to: '2025-03-11', tz: TZ, now }));
      expect([...rows.keys()].sort()).to.deep.equal(
        [n0, n1].flatMap((n) => ['2025-03-09', '2025-03-10', '2025-03-11'].map((d) => `${n}|${d}`)),
      );
      expect(rows.get(`${n0}|2025-03-09`)).to.include({
        coldChainExcursions: 1,
        coldChainMinutesOutOfBand: 20,
        ordersDelivered: 0,
        slaAttainment: null,
      });
      expect(rows.get(`${n0}|2025-03-11`)).to.include({ ordersDelivered: 1, counts: 1, countsAccurate: 0 });
      expect(rows.get(`${n1}|2025-03-11`)!.coldChainMinutesOutOfBand).to.be.closeTo(180, 1e-9);
      // The same day in UTC: the order delivered at 00:30 Shanghai (16:30 UTC) belongs to D, the
      // freezer excursion (15:40-16:15 UTC on D-1) does not, the open one runs 15:00-19:00 UTC.
      const utc = cells(await kpisByNodeDay(db, { from: D, to: D, tz: 'UTC', now }));
      expect(utc.get(`${n0}|${D}`)).to.include({ ordersDelivered: 21, coldChainMinutesOutOfBand: 50 });
      expect(utc.get(`${n1}|${D}`)!.coldChainMinutesOutOfBand).to.be.closeTo(240, 1e-9);
      // One node asked for: only its rows.
      const one = await kpisByNodeDay(db, { from: D, to: D, tz: TZ, nodeId: n1, now });
      expect(one.map((r) => r.nodeId)).to.deep.equal([n1]);
    });

    it('serves the same rows as JSON and as CSV, to ops only, with precise 400s', async () => {
      const q = `from=${D}&to=${D}&tz=${encodeURIComponent(TZ)}&nodeId=${n0}`;
      const json = await call(`${stack.url}/v1/kpis?${q}`, 'GET', ops);
      expect(json.status, JSON.stringify(json.body)).to.equal(200);
      expect(json.body).to.include({ from: D, to: D, tz: TZ, nodeId: n0 });
      const rows = json.body.rows as KpiRow[];
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        nodeId: n0,
        day: D,
        ordersDelivered: 20,
        slaAttainment: 0.9,
        linesStockout: 3,
        countAccuracy: 0.75,
        coldChainMinutesOutOfBand: 65,
      });
      expect(Object.keys(rows[0]!)).to.deep.equal([...KPI_COLUMNS]);

      const res = await fetch(
        `${stack.url}/v1/kpis/export.csv?from=2025-03-09&to=2025-03-11&tz=${encodeURIComponent(TZ)}&nodeId=${n0}`,
        { headers: { authorization: `Bearer ${ops}` } },
      );
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/csv/);
      const [header, ...lines] = parseCsv(await res.text());
      expect(header).to.deep.equal([...KPI_COLUMNS]);
      const wide = await call(
        `${stack.url}/v1/kpis?from=2025-03-09&to=2025-03-11&tz=${encodeURIComponent(TZ)}&nodeId=${n0}`,
        'GET',
        ops,
      );
      const wideRows = wide.body.rows as KpiRow[];
      expect(lines).to.have.length(wideRows.length).and.to.have.length(3);
      lines.forEach((cellsOfLine, i) => {
        const row = wideRows[i]!;
        KPI_COLUMNS.forEach((c, j) => {
          const v = row[c];
          const cell = cellsOfLine[j];
          if (v === null) expect(cell, c).to.equal('');
          else if (typeof v === 'number') expect(Number(cell), c).to.equal(v);
          else expect(cell, c).to.equal(v);
        });
      });

      for (const role of ['integrator', 'courier'] as const)
        expect((await call(`${stack.url}/v1/kpis?${q}`, 'GET', await stack.token(role))).status, role).to.equal(403);
      expect(
        (await call(`${stack.url}/v1/kpis/export.csv?${q}`, 'GET', await stack.token('picker', n0))).status,
      ).to.equal(403);
      expect((await call(`${stack.url}/v1/kpis?${q}`, 'GET', undefined)).status).to.equal(401);

      const bad = async (query: string, status: number, message: RegExp) => {
        const r = await call(`${stack.url}/v1/kpis?${query}`, 'GET', ops);
        expect(r.status, `${query}: ${JSON.stringify(r.body)}`).to.equal(status);
        expect(r.body.error.message, query).to.match(message);
        const c = await call(`${stack.url}/v1/kpis/export.csv?${query}`, 'GET', ops);
        expect(c.status, `csv ${query}`).to.equal(status);
      };
      await bad('to=2025-03-10', 400, /^from: /);
      await bad('from=2025-03-10', 400, /^to: /);
      await bad('from=2025-02-30&to=2025-03-01', 400, /from: must be a date YYYY-MM-DD/);
      await bad('from=2025-03-10T00:00:00Z&to=2025-03-11', 400, /from: must be a date YYYY-MM-DD/);
      await bad('from=0000-01-01&to=0000-01-02', 400, /from: must be a date between/);
      await bad('from=2025-03-10&to=2025-03-09', 400, /to: must not be before from/);
      await bad('from=2025-01-01&to=2025-12-31', 400, /to: window must not exceed 93 days \(asked for 365\)/);
      await bad('from=2025-03-10&to=2025-03-10&tz=Mars/Olympus', 400, /tz: must be an IANA time zone/);
      await bad('from=2025-03-10&to=2025-03-10&nodeId=a%20b', 400, /nodeId: must be 1-64 letters/);
      await bad('from=2025-03-10&to=2025-03-10&node=x', 400, /Unrecognized key.*node/);
      await bad('from=2025-03-10&from=2025-03-11&to=2025-03-12', 400, /^from: /);
      await bad(`from=2025-03-10&to=2025-03-10&nodeId=${uniqueId('nowhere')}`, 404, /node .* not found/);
    });
  });

  describe('figures past 2^31', () => {
    // Cycle counts whose unit sums pass 2^31 (and one whose counted - system_before alone does):
    // the report must answer them exactly, not fail with "integer out of range". The rows live
    // in this test's own node and are deleted afterwards, so no other report ever sees them.
    const MAX_INT4 = 2_147_483_647;
    const day = '2025-04-02';
    let nodeId = '';
    let adjustmentIds: string[] = [];

    before(async () => {
      let p = '';
      await seedNetwork(db, (c, prefix) => {
        p = prefix;
        const node: Node = {
          id: `${prefix}BIG`,
          kind: 'front',
          name: 'KPI big',
          location: c,
          serviceRadiusKm: 3,
          zones: ['ambient'],
          pickMinutesPerOrder: 3,
          packMinutes: 1,
          travelKmPerHour: 20,
          slotCapacity: { '*': 1000 },
        };
        const sku: Sku = {
          sku: `${prefix}SALT`,
          name: 'Salt',
          category: 'rice',
          zone: 'ambient',
          minShelfLifeDays: 1,
          perishable: false,
          unitPriceCents: 100,
        };
        return {
          nodes: [node],
          skus: [sku],
          lots: [
            {
              nodeId: node.id,
              sku: sku.sku,
              lotId: `${prefix}BIG-1`,
              expiresOn: '2030-01-01',
              available: 10,
              bin: 'A-01-1',
            },
          ],
        };
      });
      nodeId = `${p}BIG`;
      // [counted, system_before]: one right at the int4 maximum, one off by all of it, one
      // whose difference (2^31) does not fit an int4 on its own.
      const counts: [number, number][] = [
        [MAX_INT4, MAX_INT4],
        [MAX_INT4, 0],
        [MAX_INT4, -1],
      ];
      adjustmentIds = counts.map((_, i) => `${p}big${i}`);
      await db.query(
        `INSERT INTO stock_adjustments (adjustment_id, lot_id, kind, delta, counted, system_before, at)
         SELECT t.id, $2, 'count', 0, t.counted, t.before, $3 FROM unnest($1::text[], $4::int[], $5::int[]) AS t(id, counted, before)`,
        [adjustmentIds, `${p}BIG-1`, new Date(`${day}T12:00:00Z`), counts.map((c) => c[0]), counts.map((c) => c[1])],
      );
    });
    after(async () => {
      await db?.query('DELETE FROM stock_adjustments WHERE adjustment_id = ANY($1::text[])', [adjustmentIds]);
    });

    it('answers 200 with exact unit sums, as JSON and as CSV', async () => {
      const q = `from=${day}&to=${day}&nodeId=${nodeId}`;
      const res = await call(`${stack.url}/v1/kpis?${q}`, 'GET', ops);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const [row] = res.body.rows as KpiRow[];
      const unitsCountError = MAX_INT4 + (MAX_INT4 + 1); // 0 + 2^31 - 1 + 2^31
      const unitsCounted = 3 * MAX_INT4;
      expect(row).to.include({ counts: 3, countsAccurate: 1, unitsCountError, unitsCounted });
      expect(row!.unitAccuracy).to.be.closeTo(1 - unitsCountError / unitsCounted, 1e-12);
      const csv = await fetch(`${stack.url}/v1/kpis/export.csv?${q}`, { headers: { authorization: `Bearer ${ops}` } });
      expect(csv.status).to.equal(200);
      const [header, line] = parseCsv(await csv.text());
      expect(line![header!.indexOf('unitsCounted')]).to.equal(String(unitsCounted));
      expect(line![header!.indexOf('unitsCountError')]).to.equal(String(unitsCountError));
    });
  });

  describe('real orders through the workflows', () => {
    it('reads what the workflows write: deliveries, stockouts, picking, substitutions, door rejections, counts', async () => {
      let p = '';
      const city = await seedNetwork(db, (c, prefix) => {
        p = prefix;
        const n: Node = {
          id: `${prefix}N0`,
          kind: 'front',
          name: 'KPI real',
          location: c,
          serviceRadiusKm: 3,
          zones: ['ambient', 'chilled', 'frozen'],
          pickMinutesPerOrder: 3,
          packMinutes: 1,
          travelKmPerHour: 20,
          slotCapacity: { '*': 1000 },
        };
        const sku = (id: string, zone: Sku['zone']): Sku => ({
          sku: `${prefix}${id}`,
          name: id,
          category: zone === 'ambient' ? 'rice' : 'dairy',
          zone,
          minShelfLifeDays: 1,
          perishable: zone !== 'ambient',
          unitPriceCents: 300,
        });
        const lot = (id: string, qty: number): StockLot => ({
          nodeId: n.id,
          sku: `${prefix}${id}`,
          lotId: `${prefix}${id}-L1`,
          expiresOn: new Date(Date.parse(cityToday()) + 5 * 86_400_000).toISOString().slice(0, 10),
          available: qty,
          bin: 'A-01-1',
        });
        return {
          nodes: [n],
          skus: [sku('MILK', 'chilled'), sku('RICE', 'ambient'), sku('TEA', 'ambient'), sku('OAT', 'chilled')],
          lots: [lot('MILK', 20), lot('RICE', 3), lot('TEA', 10), lot('OAT', 5)],
        };
      });
      const nodeId = city.nodes[0]!.id;
      const integrator = await stack.token('integrator');
      const courier = await stack.token('courier');
      const view = (orderId: string) =>
        stack.client.workflow.getHandle(orderWorkflowId(orderId)).query(orderStatusQuery);
      const place = async (
        lines: { lineId: string; sku: string; qty: number }[],
        before?: (orderId: string) => Promise<void>,
      ) => {
        const orderId = uniqueId('kpi');
        const res = await call(
          `${stack.url}/v1/orders`,
          'POST',
          integrator,
          intakeBody({ orderId, location: city.centre, lines: lines.map((l) => ({ ...l, sku: `${p}${l.sku}` })) }),
        );
        expect(res.status, JSON.stringify(res.body)).to.equal(202);
        // After intake (a policy for an unknown order is a 404), before anything is picked.
        await before?.(orderId);
        let last: OrderView | undefined;
        const ok = await eventually(
          async () => {
            last = await view(orderId).catch(() => undefined);
            return last?.status === 'allocated';
          },
          30_000,
          100,
        );
        expect(ok, `order ${orderId} allocated (last ${last?.status})`).to.equal(true);
        return { orderId, fulfilmentId: `${orderWorkflowId(orderId)}-f1`, view: last! };
      };

      // A: two lines, delivered. B: one line more than the node has (insufficient_stock), the
      // other delivered. C: rejected in full at the door. D: a substitute refused by policy, the
      // other line delivered.
      const a = await place([
        { lineId: 'l1', sku: 'MILK', qty: 2 },
        { lineId: 'l2', sku: 'RICE', qty: 1 },
      ]);
      await driveFulfilment(stack.client, a.fulfilmentId);
      const b = await place([
        { lineId: 'l1', sku: 'MILK', qty: 1 },
        { lineId: 'l2', sku: 'RICE', qty: 50 },
      ]);
      expect(b.view.unfulfilled.map((u) => [u.lineId, u.code])).to.deep.equal([['l2', 'insufficient_stock']]);
      await driveFulfilment(stack.client, b.fulfilmentId);
      const c = await place([{ lineId: 'l1', sku: 'TEA', qty: 1 }]);
      await driveFulfilment(stack.client, c.fulfilmentId, { until: 'dispatched' });
      const rejected = await call(`${stack.url}/v1/orders/${c.orderId}/courier-events`, 'POST', courier, {
        type: 'rejected',
        fulfilmentId: c.fulfilmentId,
        lines: [{ lineId: 'l1', qty: 1, condition: 'sellable', customerChoice: 'refund' }],
      });
      expect(rejected.body.state, JSON.stringify(rejected.body)).to.equal('rejected');
      const d = await place(
        [
          { lineId: 'l1', sku: 'OAT', qty: 1 },
          { lineId: 'l2', sku: 'MILK', qty: 1 },
        ],
        async (orderId) => {
          expect(
            (
              await call(`${stack.url}/v1/orders/${orderId}/substitution-policy`, 'PUT', integrator, {
                default: 'refund',
              })
            ).status,
          ).to.equal(200);
        },
      );
      const dh = stack.client.workflow.getHandle(d.fulfilmentId);
      await dh.executeUpdate(startPickingUpdate, { args: [{ pickerId: 'sim-picker' }] });
      const sub = await dh.executeUpdate(proposeSubstitutionUpdate, {
        args: [
          {
            pickerId: 'sim-picker',
            idempotencyKey: uniqueId('k'),
            lineId: 'l1',
            reason: 'not_found',
            sku: `${p}MILK`,
            qty: 1,
          },
        ],
      });
      expect(sub.outcome).to.match(/refused/);
      await driveFulfilment(stack.client, d.fulfilmentId);
      // Every update above returned after its event was appended: the stream is complete for the KPIs.

      // Two cycle counts through the API: one right (10 of 10), one off by 3.
      for (const [id, qty] of [
        ['c1', 10],
        ['c2', 7],
      ] as const) {
        const r = await call(`${stack.url}/v1/stock/adjustments`, 'POST', integrator, {
          adjustmentId: `${p}${id}`,
          lotId: `${p}TEA-L1`,
          kind: 'count',
          qty,
        });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
      }

      // Around today (UTC), in case the run crosses midnight: sum the node's days.
      const today = new Date().toISOString().slice(0, 10);
      const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const res = await call(`${stack.url}/v1/kpis?from=${from}&to=${to}&nodeId=${nodeId}`, 'GET', ops);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const rows = res.body.rows as KpiRow[];
      expect(rows.map((r) => r.day)).to.deep.equal(daysBetween(from, to));
      const sum = (k: keyof KpiCounts) => rows.reduce((s, r) => s + (r[k] as number), 0);
      const total = withRates(
        Object.fromEntries(
          KPI_COLUMNS.map((k) => [k, k === 'nodeId' ? nodeId : k === 'day' ? today : sum(k as keyof KpiCounts)]),
        ) as unknown as KpiCounts,
      );
      expect(total).to.include({
        ordersDelivered: 3,
        ordersSlaBreached: 0,
        slaAttainment: 1,
        linesOrdered: 7,
        linesStockout: 1,
        counts: 2,
        countsAccurate: 1,
        unitsCountError: 3,
        unitsCounted: 20,
        countAccuracy: 0.5,
        unitAccuracy: 0.85,
        fulfilmentsPacked: 4,
        linesPicked: 5,
        linesHandled: 6,
        substitutionsProposed: 1,
        substitutionsAccepted: 0,
        substitutionsRefused: 1,
        substitutionAcceptance: 0,
        doorArrivals: 4,
        rejectionsFull: 1,
        rejectionsPartial: 0,
        rejectionRate: 0.25,
        coldChainExcursions: 0,
        coldChainMinutesOutOfBand: 0,
      });
      expect(total.stockoutRate).to.be.closeTo(1 / 7, 1e-12);
      expect(total.substitutionRate).to.be.closeTo(1 / 6, 1e-12);

      // Picker time: one picker, fulfilments one after another, so the union is the plain sum
      // of picking → packed per fulfilment, as the workflows stamped them.
      const spans = await db.query<{ seconds: number }>(
        `SELECT extract(epoch FROM k.at - s.at)::float8 AS seconds FROM order_events k JOIN order_events s ON s.order_id = k.order_id AND s.event_key = (k.data ->> 'fulfilmentId') || ':picking'
          WHERE k.type = 'packed' AND k.node_id = $1`,
        [nodeId],
      );
      expect(spans).to.have.length(4);
      const hours = spans.reduce((s, x) => s + x.seconds, 0) / 3600;
      expect(total.pickerHours).to.be.closeTo(hours, 1e-9);
      expect(total.pickerHours).to.be.greaterThan(0);
      expect(total.linesPerPickerHour).to.be.closeTo(5 / hours, 1e-6);
    });
  });
});
