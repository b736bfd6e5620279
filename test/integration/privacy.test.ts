// Personal data lifecycle (issue 18), against the real stack: erasure on request destroys the
// customer's data key and record and clears every door of theirs, so nothing of the erased
// values is left in any table (walked through information_schema) or in the order's workflow
// histories, while the order itself stays; retention does the same on a short setting; the
// lineage map lists every column that carries a personal value; every unmasked read is logged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Node, Sku, StockLot } from '../../domain/orders';
import type { Db } from '../../db/pool';
import { createMaintenanceActivities } from '../../activities/maintenance';
import { issueToken } from '../../api/auth';
import { customerEnvelope, openPii, sealPii } from '../../platform/pii';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/order.contract';
import type { OrderView } from '../../domain/orders';
import type { orderWorkflow } from '../../workflows/order';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { call, cityToday, historyText, seedNetwork, startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { eventually } from '../support/telemetry';
import { driveFulfilment } from '../../demo/sim/drive-fulfilment';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { MaintenanceActivities } from '../../activities/maintenance';
import { maintenanceWorkflow } from '../../workflows/maintenance';
import { workflowBundle } from '../../workflows/worker';

interface Lineage {
  stores: { table: string; column: string; fields: string[] }[];
  pseudonymousIds: { table: string; column: string }[];
  notPersonal: { table: string; column: string }[];
}
const lineage = JSON.parse(readFileSync(join(__dirname, '../../docs/privacy-lineage.json'), 'utf8')) as Lineage;
const listed = (l: readonly { table: string; column: string }[]) => new Set(l.map((x) => `${x.table}.${x.column}`));

/** Column names that suggest personal data: each must be in the lineage map, one way or the other. */
const PERSONAL_LOOKING =
  /(^|_)(name|phone|mobile|address|email|lat|lng|lon|location|customer|contact|person|birth|courier|door|recipient)(_|$)|pii|cipher|fingerprint|address/i;

interface Column {
  table: string;
  column: string;
  type: string;
}

async function columns(db: Db): Promise<Column[]> {
  return (
    await db.query<{ table_name: string; column_name: string; data_type: string; udt_name: string }>(
      `SELECT c.table_name, c.column_name, c.data_type, c.udt_name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2`,
    )
  ).map((r) => ({
    table: r.table_name,
    column: r.column_name,
    type: r.data_type === 'ARRAY' ? `${r.udt_name}` : r.data_type,
  }));
}

/**
 * Every column of every table holding any of the values: text, json, arrays and bytea searched
 * for the strings (bytea as UTF-8 bytes), double precision columns for the numbers.
 */
async function whereFound(db: Db, strings: readonly string[], numbers: readonly number[]): Promise<string[]> {
  const byTable = new Map<string, Column[]>();
  for (const c of await columns(db)) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  const found: string[] = [];
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  for (const [table, cols] of byTable) {
    const tests = cols.flatMap((c) => {
      const col = q(c.column);
      if (c.type === 'bytea')
        return [
          {
            c,
            sql: `bool_or(${strings.map((_, i) => `position(convert_to($${i + 1}::text, 'UTF8') in ${col}) > 0`).join(' OR ')})`,
          },
        ];
      if (['text', 'character varying', 'character', 'jsonb', 'json'].includes(c.type) || c.type.startsWith('_')) {
        return [{ c, sql: `bool_or(${strings.map((_, i) => `strpos(${col}::text, $${i + 1}) > 0`).join(' OR ')})` }];
      }
      if (c.type === 'double precision' && numbers.length)
        return [{ c, sql: `bool_or(${col} = ANY($${strings.length + 1}::float8[]))` }];
      return [];
    });
    if (!tests.length) continue;
    const usesNumbers = tests.some((t) => t.c.type === 'double precision');
    const row = (
      await db.query<Record<string, boolean | null>>(
        `SELECT ${tests.map((t, i) => `${t.sql} AS h${i}`).join(', ')} FROM ${q(table)}`,
        [...strings, ...(usesNumbers ? [[...numbers]] : [])],
      )
    )[0]!;
    tests.forEach((t, i) => {
      if (row[`h${i}`]) found.push(`${table}.${t.c.column}`);
    });
  }
  return found.sort();
}

describe('Personal data lifecycle (integration)', function () {
  this.timeout(180_000);
  let db: Db;
  let stack: OrderStack;
  let integrator: string;
  let ops: string;
  let opsSub: string;

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    integrator = await stack.token('integrator');
    opsSub = uniqueId('ops-privacy');
    ops = await issueToken(stack.config.auth.tokenSecret, { sub: opsSub, role: 'ops' });
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  /** A front warehouse with rice near a random spot, and a customer with values found nowhere else. */
  async function customerWithOrder() {
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
        expiresOn: new Date(Date.parse(cityToday()) + 5 * 86_400_000).toISOString().slice(0, 10),
        available: 10,
        bin: 'A-01-1',
      };
      return { nodes: [n], skus: [sku], lots: [lot] };
    });
    const tag = uniqueId('p').replace(/[^A-Za-z0-9]/g, '');
    const digits = String(Math.floor(1e7 + Math.random() * 9e7));
    const person = {
      id: uniqueId('cust'),
      name: `Privacy Person ${tag}`,
      phone: `+86 139 ${digits}`,
      address: `Flat ${tag}, 7 Erasure Lane`,
    };
    const door = {
      lat: city.centre.lat + 0.000912345678 + Math.random() * 1e-6,
      lng: city.centre.lng + 0.000587654321 + Math.random() * 1e-6,
    };
    const orderId = uniqueId('o');
    const body = {
      orderId,
      customer: person,
      location: door,
      slot: { kind: 'instant' },
      lines: [{ lineId: 'l1', sku: city.skus[0]!.sku, qty: 1 }],
    };
    const res = await call(`${stack.url}/v1/orders`, 'POST', integrator, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    return { person, door, orderId, strings: [person.name, person.phone, person.address, `139${digits}`, tag] };
  }

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

  /** Place an order and deliver it; the workflow ids of the order and its fulfilments. */
  async function deliveredOrder() {
    const c = await customerWithOrder();
    const v = await waitFor(c.orderId, (x) => x.status === 'allocated');
    for (const f of v.fulfilments) await driveFulfilment(stack.client, f.fulfilmentId);
    expect(
      (await stack.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(c.orderId)).result()).status,
    ).to.equal('delivered');
    return { ...c, workflowIds: [orderWorkflowId(c.orderId), ...v.fulfilments.map((f) => f.fulfilmentId)] };
  }
  const api = (method: string, path: string, token = ops) => call(`${stack.url}${path}`, method, token);
  const enc = encodeURIComponent;

  describe('erasure on request', () => {
    it('leaves nothing of the erased values in any table or workflow history, and the order works on its pseudonymous id', async () => {
      const c = await deliveredOrder();
      const addressKey = (
        await db.query<{ address_key: string }>('SELECT address_key FROM orders WHERE order_id = $1', [c.orderId])
      )[0]!.address_key;

      // Before: the lineage map lists every column that holds one of the values.
      const before = await whereFound(db, [...c.strings, addressKey], [c.door.lat, c.door.lng]);
      const mapped = listed(lineage.stores);
      expect(
        before.filter((col) => !mapped.has(col)),
        'columns holding personal values that docs/privacy-lineage.json does not list',
      ).to.deep.equal([]);
      expect(before).to.include.members(['orders.lat', 'orders.lng', 'orders.address_key']);

      // A copy of the sealed record, as a backup or a replica would hold it.
      const copy = (
        await db.query<{ pii_ciphertext: Buffer }>('SELECT pii_ciphertext FROM customers WHERE customer_id = $1', [
          c.person.id,
        ])
      )[0]!.pii_ciphertext;
      const wrapped = (
        await db.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM customer_keys WHERE customer_id = $1', [
          c.person.id,
        ])
      )[0]!.wrapped_key;
      expect(openPii(customerEnvelope(copy, wrapped), stack.config.pii.key)).to.deep.include({ name: c.person.name });

      const erased = await api('DELETE', `/v1/customers/${c.person.id}?reason=${enc('ticket DSR-1: erasure request')}`);
      expect(erased.status, JSON.stringify(erased.body)).to.equal(200);
      expect(erased.body).to.include({ customerId: c.person.id, ordersErased: 1, alreadyErased: false });

      // After: in no column of any table, and the old copy opens with nothing the database holds.
      expect(await whereFound(db, [...c.strings, addressKey], [c.door.lat, c.door.lng])).to.deep.equal([]);
      expect((await db.query('SELECT 1 FROM customer_keys WHERE customer_id = $1', [c.person.id])).length).to.equal(0);
      expect(() => customerEnvelope(copy, null)).to.throw(/destroyed/);
      expect(() => openPii(copy, stack.config.pii.key)).to.throw();
      // The histories never held them (name, phone, address, coordinates), nor an unkeyed hash
      // of the address, which anyone could confirm a guess against.
      const guessable = createHash('sha256')
        .update(c.person.address.trim().toLowerCase().replace(/\s+/g, ' '))
        .digest('hex')
        .slice(0, 32);
      for (const id of c.workflowIds) {
        const text = historyText(await stack.client.workflow.getHandle(id).fetchHistory());
        expect(text, id).to.include(c.orderId);
        for (const s of [...c.strings, String(c.door.lat), String(c.door.lng), guessable])
          expect(text, `${id} holds ${s}`).not.to.include(s);
      }

      // The order stays, on the pseudonymous customer id, with its events for KPIs.
      const order = await api('GET', `/v1/orders/${c.orderId}`);
      expect(order.status, JSON.stringify(order.body)).to.equal(200);
      expect(order.body.status).to.equal('delivered');
      expect(
        (await db.query<{ customer_id: string }>('SELECT customer_id FROM orders WHERE order_id = $1', [c.orderId]))[0]!
          .customer_id,
      ).to.equal(c.person.id);
      expect(
        (await db.query("SELECT 1 FROM order_events WHERE order_id = $1 AND type = 'delivered'", [c.orderId])).length,
      ).to.be.greaterThan(0);

      // Again: the same answer, nothing more; the record is gone for ops too.
      const again = await api('DELETE', `/v1/customers/${c.person.id}?reason=${enc('ticket DSR-1 again')}`);
      expect(again.status).to.equal(200);
      expect(again.body).to.include({ alreadyErased: true, erasedAt: erased.body.erasedAt });
      const view = await api('GET', `/v1/customers/${c.person.id}?reason=${enc('checking the erasure')}`);
      expect(view.status).to.equal(410);
      expect(view.body.error.code).to.equal('FC_ERASED');
    });

    it('refuses while an order is on its way (409 naming it) and answers 404 for an unknown customer', async () => {
      const c = await customerWithOrder();
      await waitFor(c.orderId, (x) => x.status === 'allocated');
      const res = await api('DELETE', `/v1/customers/${c.person.id}?reason=${enc('too early')}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(409);
      expect(res.body.error.code).to.equal('FC_ACTIVE_ORDERS');
      expect(res.body.error.message).to.include(c.orderId);
      expect(
        (await db.query('SELECT 1 FROM customer_keys WHERE customer_id = $1', [c.person.id])).length,
        'nothing erased',
      ).to.equal(1);
      expect(
        (await api('DELETE', `/v1/customers/${uniqueId('nobody')}?reason=${enc('no such customer')}`)).status,
      ).to.equal(404);
      await stack.client.workflow.getHandle(orderWorkflowId(c.orderId)).terminate('test done');
    });

    it('erases a record sealed under the master key before per-customer keys existed', async () => {
      const customerId = uniqueId('legacy');
      await db.query('INSERT INTO customers (customer_id, pii_ciphertext) VALUES ($1, $2)', [
        customerId,
        sealPii({ name: 'Old Record', phone: '1', address: 'x' }, stack.config.pii.key),
      ]);
      const view = await api('GET', `/v1/customers/${customerId}?reason=${enc('legacy check')}`);
      expect(view.status, JSON.stringify(view.body)).to.equal(200);
      expect(view.body.name).to.equal('Old Record');
      expect((await api('DELETE', `/v1/customers/${customerId}?reason=${enc('legacy erasure')}`)).status).to.equal(200);
      expect(
        (
          await db.query<{ pii_ciphertext: Buffer | null }>(
            'SELECT pii_ciphertext FROM customers WHERE customer_id = $1',
            [customerId],
          )
        )[0]!.pii_ciphertext,
      ).to.equal(null);
    });

    it('refuses a missing or unclean reason, and other roles, naming the field', async () => {
      const c = await customerWithOrder();
      for (const [method, path] of [
        ['DELETE', `/v1/customers/${c.person.id}`],
        ['GET', `/v1/customers/${c.person.id}`],
        ['GET', `/v1/customers/${c.person.id}/export`],
      ] as const) {
        const none = await api(method, path);
        expect(none.status, `${method} ${path}`).to.equal(400);
        expect(JSON.stringify(none.body)).to.include('reason');
        expect((await api(method, `${path}?reason=${enc('ab')}`)).status, 'too short').to.equal(400);
        expect((await api(method, `${path}?reason=${enc('ok\u0000reason')}`)).status, 'NUL').to.equal(400);
        expect(
          (await api(method, `${path}?reason=${enc('a valid reason')}`, integrator)).status,
          'integrator',
        ).to.equal(403);
      }
      expect((await api('GET', `/v1/customers/${enc('../x')}?reason=${enc('a valid reason')}`)).status).to.equal(400);
      expect(
        (await db.query('SELECT 1 FROM pii_access_log WHERE customer_id = $1', [c.person.id])).length,
        'a refused request reads and logs nothing',
      ).to.equal(0);
      await stack.client.workflow.getHandle(orderWorkflowId(c.orderId)).terminate('test done');
    });
  });

  describe('access log', () => {
    it('records every unmasked read and export with who, when and why, and ops can query it', async () => {
      const c = await customerWithOrder();
      const t0 = Date.now();
      const view = await api('GET', `/v1/customers/${c.person.id}?reason=${enc('ticket 42: wrong door')}`);
      expect(view.status, JSON.stringify(view.body)).to.equal(200);
      expect(view.body).to.include({ name: c.person.name, phone: c.person.phone, address: c.person.address });
      expect(view.body.orders[0]).to.deep.include({ orderId: c.orderId, location: c.door });
      const exp = await fetch(
        `${stack.url}/v1/customers/${c.person.id}/export?reason=${enc('data portability request')}`,
        { headers: { authorization: `Bearer ${ops}` } },
      );
      expect(exp.status).to.equal(200);
      expect(exp.headers.get('content-disposition')).to.match(/attachment/);
      expect(((await exp.json()) as { name: string }).name).to.equal(c.person.name);

      const log = await api('GET', `/v1/pii-access-log?customerId=${c.person.id}`);
      expect(log.status, JSON.stringify(log.body)).to.equal(200);
      const entries = log.body.entries as { actor: string; role: string; action: string; reason: string; at: string }[];
      expect(entries.map((e) => [e.action, e.actor, e.role, e.reason])).to.deep.equal([
        ['export', opsSub, 'ops', 'data portability request'],
        ['view', opsSub, 'ops', 'ticket 42: wrong door'],
      ]);
      for (const e of entries) expect(Date.parse(e.at)).to.be.within(t0 - 5000, Date.now() + 5000);
      const byActor = await api('GET', `/v1/pii-access-log?actor=${enc(opsSub)}&limit=1`);
      expect(byActor.body.entries).to.have.length(1);
      expect(byActor.body.next).to.be.a('string');
      const page2 = await api('GET', `/v1/pii-access-log?actor=${enc(opsSub)}&limit=1&before=${byActor.body.next}`);
      expect(page2.body.entries[0].action).to.equal('view');
      expect((await api('GET', '/v1/pii-access-log', integrator)).status).to.equal(403);
      expect((await api('GET', '/v1/pii-access-log?limit=0')).status).to.equal(400);
      expect((await api('GET', '/v1/pii-access-log?from=99999-01-01T00:00:00Z')).status).to.equal(400);
      await stack.client.workflow.getHandle(orderWorkflowId(c.orderId)).terminate('test done');
    });
  });

  describe('retention', () => {
    it('the maintenance activity erases personal data of orders finished longer ago than PII_RETENTION_DAYS, and keeps recent ones', async () => {
      const c = await deliveredOrder();
      const keep = createMaintenanceActivities({ db, piiRetentionDays: 1 });
      const short = createMaintenanceActivities({ db, piiRetentionDays: 0.00002 }); // 1.7 s
      await keep.erasePersonalDataPastRetention();
      expect(
        (await db.query<{ lat: number | null }>('SELECT lat FROM orders WHERE order_id = $1', [c.orderId]))[0]!.lat,
        'kept within a day',
      ).to.equal(c.door.lat);
      expect((await db.query('SELECT 1 FROM customer_keys WHERE customer_id = $1', [c.person.id])).length).to.equal(1);

      await new Promise((r) => setTimeout(r, 2000));
      // The shared database may hold many finished orders: passes run until this one is reached.
      for (let pass = 0; pass < 50; pass++) {
        const n = await short.erasePersonalDataPastRetention();
        if (n.orders === 0 && n.customers === 0) break;
      }
      const row = (
        await db.query<{ lat: number | null; lng: number | null; address_key: string; pii_erased_at: Date | null }>(
          'SELECT lat, lng, address_key, pii_erased_at FROM orders WHERE order_id = $1',
          [c.orderId],
        )
      )[0]!;
      expect(row).to.deep.include({ lat: null, lng: null, address_key: 'erased' });
      expect(row.pii_erased_at).to.be.instanceOf(Date);
      const customer = (
        await db.query<{ pii_ciphertext: Buffer | null; erased_reason: string }>(
          'SELECT pii_ciphertext, erased_reason FROM customers WHERE customer_id = $1',
          [c.person.id],
        )
      )[0]!;
      expect(customer).to.deep.equal({ pii_ciphertext: null, erased_reason: 'retention' });
      expect(await whereFound(db, c.strings, [c.door.lat, c.door.lng])).to.deep.equal([]);
      const log = await api('GET', `/v1/pii-access-log?customerId=${c.person.id}`);
      expect(log.body.entries.map((e: { action: string; actor: string }) => [e.action, e.actor])).to.deep.equal([
        ['erase', 'system:retention'],
      ]);
    });
  });

  describe('retention on the maintenance schedule', () => {
    it('every maintenance pass runs the retention activity and reports what it erased', async () => {
      const env = await TestWorkflowEnvironment.createFromExistingServer({
        address: stack.config.temporal.address,
        namespace: stack.config.temporal.namespace,
      });
      try {
        const calls: string[] = [];
        const activities: MaintenanceActivities = {
          releaseExpiredReservations: async () => (calls.push('releaseExpiredReservations'), 0),
          relayStockShortfalls: async () => (calls.push('relayStockShortfalls'), { signalled: 0, failed: 0 }),
          erasePersonalDataPastRetention: async () => (
            calls.push('erasePersonalDataPastRetention'),
            { orders: 3, customers: 1 }
          ),
          telemetryMaintenance: async () =>
            (calls.push('telemetryMaintenance'), {}) as Awaited<
              ReturnType<MaintenanceActivities['telemetryMaintenance']>
            >,
        };
        const taskQueue = uniqueId('tq-maintenance');
        const worker = await Worker.create({
          connection: env.nativeConnection,
          namespace: env.namespace,
          taskQueue,
          workflowBundle: await workflowBundle(),
          activities,
        });
        const result = await worker.runUntil(
          env.client.workflow.execute(maintenanceWorkflow, { taskQueue, workflowId: uniqueId('maintenance-test') }),
        );
        expect(result.personalData).to.deep.equal({ orders: 3, customers: 1 });
        expect(calls).to.deep.equal([
          'releaseExpiredReservations',
          'erasePersonalDataPastRetention',
          'relayStockShortfalls',
          'telemetryMaintenance',
        ]);
      } finally {
        await env.teardown();
      }
    });
  });

  describe('lineage map', () => {
    it('lists every column whose name looks personal, and every column it lists exists', async () => {
      const cols = await columns(db);
      const known = new Set([
        ...listed(lineage.stores),
        ...listed(lineage.pseudonymousIds),
        ...listed(lineage.notPersonal),
      ]);
      const unlisted = (all: readonly Column[]) =>
        all
          .map((c) => `${c.table}.${c.column}`)
          .filter((n) => PERSONAL_LOOKING.test(n.split('.')[1]!) && !known.has(n));
      expect(
        unlisted(cols),
        'add them to docs/privacy-lineage.json (stores, pseudonymousIds or notPersonal)',
      ).to.deep.equal([]);
      // A new column nobody mapped is caught (added in a transaction that is rolled back).
      const withNew = await db
        .transaction(async (tx) => {
          await tx.query('ALTER TABLE orders ADD COLUMN recipient_phone text');
          const res = await tx.query<{ column_name: string }>(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders'",
          );
          throw Object.assign(new Error('rollback'), {
            columns: res.rows.map((r) => ({ table: 'orders', column: r.column_name, type: 'text' })),
          });
        })
        .catch((err: { columns?: Column[] }) => err.columns ?? []);
      expect(unlisted(withNew)).to.deep.equal(['orders.recipient_phone']);
      const existing = new Set(cols.map((c) => `${c.table}.${c.column}`));
      expect(
        [...known].filter((n) => !existing.has(n)),
        'listed in the map but not in the database',
      ).to.deep.equal([]);
    });
  });
});
