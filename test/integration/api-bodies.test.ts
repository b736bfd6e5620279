// Every request body the OpenAPI document describes is validated by that very schema: on a
// running app, an unknown field and a field of the wrong type in each documented body get a
// 400 FC_VALIDATION naming the field. Path parameters are real (an order with an open
// fulfilment, an alert, the picker's node), so each request reaches its body's validation.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { apiRegistry } from '../../api/openapi';
import type { ApiOperation } from '../../api/operation';
import type { Db } from '../../db/pool';
import { startOrderStack } from '../support/orders';
import type { OrderStack } from '../support/orders';
import { requireDb, requireTemporal, uniqueId } from '../support/stack';
import { placeOrder, req, seedPickerWorld } from './picker-support';
import type { PickerWorld } from './picker-support';

type Schema = Record<string, unknown>;
const UNKNOWN = 'zzNotAField';

/** The variant a body's discriminator selects (the first), as the properties zod needs to pick it. */
function discriminated(schema: Schema): { props: Record<string, Schema>; fixed: Record<string, unknown> } {
  const variant = ((schema.oneOf ?? schema.anyOf) as Schema[] | undefined)?.[0] ?? schema;
  const props = (variant.properties ?? {}) as Record<string, Schema>;
  const fixed = Object.fromEntries(
    Object.entries(props)
      .filter(([, p]) => 'const' in p)
      .map(([k, p]) => [k, p.const]),
  );
  return { props, fixed };
}

/** A value of the wrong JSON type for a property, or undefined when the property takes anything. */
function wrongValue(p: Schema): unknown {
  const types = new Set<string>();
  const collect = (s: Schema) => {
    if (typeof s.type === 'string') types.add(s.type);
    if (Array.isArray(s.type)) for (const t of s.type) types.add(String(t));
    if (s.enum || 'const' in s) types.add('enum');
    for (const sub of [...((s.anyOf as Schema[]) ?? []), ...((s.oneOf as Schema[]) ?? [])]) collect(sub);
  };
  collect(p);
  if (!types.size) return undefined;
  return types.has('object') ? (types.has('number') || types.has('integer') ? undefined : 12345) : { wrong: true };
}

describe('API: every documented body is the validating schema (integration)', function () {
  this.timeout(120_000);
  let db: Db;
  let stack: OrderStack;
  let world: PickerWorld;
  const tokens: Record<string, string> = {};
  const params: Record<string, string> = {};

  before(async () => {
    await requireTemporal();
    db = await requireDb();
    stack = await startOrderStack(db);
    world = await seedPickerWorld(db);
    for (const role of ['ops', 'integrator', 'courier'] as const) tokens[role] = await stack.token(role);
    tokens.picker = await stack.token('picker', world.n0);
    const placed = await placeOrder(stack, db, tokens.ops!, world, [{ lineId: 'l1', sku: 'RICE', qty: 1 }]);
    params.orderId = placed.orderId;
    params.fulfilmentId = placed.fulfilmentId;
    params.lineId = 'l1';
    params.nodeId = world.n0;
    params.sku = world.sku('RICE');
    params.bin = 'A-01';
    params.assetId = uniqueId('asset');
    params.sensorId = uniqueId('sensor');
    params.id = randomUUID();
  });
  after(async () => {
    await stack?.stop();
    await db?.close();
  });

  const url = (op: ApiOperation) =>
    `${stack.url}${op.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? name))}`;
  const tokenFor = (op: ApiOperation) =>
    tokens[op.auth === 'public' ? 'ops' : op.auth.includes('ops') ? 'ops' : op.auth[0]!];
  const send = (op: ApiOperation, body: unknown) =>
    req(url(op), op.method.toUpperCase(), tokenFor(op), body, uniqueId('k'));
  const bodies = () => {
    const doc = apiRegistry().document() as {
      paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Schema } } } }>>;
    };
    return apiRegistry()
      .operations()
      .filter((op) => op.body)
      .map((op) => ({
        op,
        schema:
          doc.paths[op.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]![op.method]!.requestBody!.content['application/json']
            .schema,
      }));
  };

  it('refuses an unknown field in each documented body with a 400 naming it', async () => {
    const failures: string[] = [];
    for (const { op, schema } of bodies()) {
      const res = await send(op, { ...discriminated(schema).fixed, [UNKNOWN]: 1 });
      const message = String(res.body?.error?.message ?? '');
      if (res.status !== 400 || res.body.error.code !== 'FC_VALIDATION' || !message.includes(UNKNOWN)) {
        failures.push(`${op.method.toUpperCase()} ${op.path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('refuses a field of the wrong type in each documented body with a 400 naming it', async () => {
    const failures: string[] = [];
    let tried = 0;
    for (const { op, schema } of bodies()) {
      const { props, fixed } = discriminated(schema);
      for (const [name, p] of Object.entries(props)) {
        const wrong = wrongValue(p);
        if (name in fixed || wrong === undefined) continue;
        tried += 1;
        const res = await send(op, { ...fixed, [name]: wrong });
        const paths = ((res.body?.error?.details ?? []) as { path: string }[]).map((d) => d.path);
        if (
          res.status !== 400 ||
          res.body.error.code !== 'FC_VALIDATION' ||
          !paths.some((x) => x === name || x.startsWith(`${name}.`))
        ) {
          failures.push(
            `${op.method.toUpperCase()} ${op.path} ${name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
          );
        }
      }
    }
    expect(tried).to.be.greaterThan(60);
    expect(failures).to.deep.equal([]);
  });
});
