// Each router owns its operations, and a documented request body is the very zod schema the
// route validates with (rendered by z.toJSONSchema), not a copy restated for the docs.
import { expect } from 'chai';
import { z } from 'zod';
import { apiRegistry } from '../../../api/openapi';
import type { ApiOperation } from '../../../api/operation';
import * as orders from '../../../api/routes/orders';
import * as alerts from '../../../api/routes/alerts';
import * as webhooks from '../../../api/routes/webhooks';
import * as codec from '../../../api/routes/codec';

type Json = Record<string, unknown>;
const doc = apiRegistry().document() as {
  paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Json } } } }>>;
};
const openApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const documentedBody = (op: ApiOperation) =>
  doc.paths[openApiPath(op.path)]?.[op.method]?.requestBody?.content['application/json'].schema;

/** What z.toJSONSchema says of the schema, as the document embeds it (no $schema; handler defaults optional). */
function expectedBody(op: ApiOperation): Json {
  const { $schema: _drop, ...schema } = z.toJSONSchema(op.body!, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  const defaults = op.bodyDefaults ?? {};
  if (!Object.keys(defaults).length) return schema;
  const props = { ...(schema.properties as Record<string, Json>) };
  for (const [k, v] of Object.entries(defaults)) props[k] = { ...props[k], default: v };
  return {
    ...schema,
    properties: props,
    required: ((schema.required ?? []) as string[]).filter((k) => !(k in defaults)),
  };
}

describe('OpenAPI request bodies are the validating schemas', () => {
  const withBody = apiRegistry()
    .operations()
    .filter((op) => op.body);

  it('documents a body for every operation that takes one (and there are many)', () => {
    expect(withBody.length).to.be.greaterThan(30);
    for (const op of withBody) expect(documentedBody(op), op.id).to.be.an('object');
  });

  it('renders each documented body as z.toJSONSchema of the operation schema', () => {
    const differ = withBody
      .filter((op) => JSON.stringify(documentedBody(op)) !== JSON.stringify(expectedBody(op)))
      .map((op) => op.id);
    expect(differ).to.deep.equal([]);
  });

  it('takes each body schema of the former central list from the router that parses with it', () => {
    const exported = (m: object) => new Set(Object.values(m).filter((v) => v instanceof z.ZodType));
    const routers: [readonly ApiOperation[], Set<unknown>][] = [
      [orders.orderOperations, exported(orders)],
      [alerts.alertOperations, exported(alerts)],
      [webhooks.webhookOperations, exported(webhooks)],
    ];
    const foreign = routers.flatMap(([ops, schemas]) =>
      ops.filter((op) => op.body && !schemas.has(op.body)).map((op) => op.id),
    );
    expect(foreign).to.deep.equal([]);
    expect(codec.codecOperations.map((op) => op.id)).to.deep.equal(['codecEncode', 'codecDecode']);
  });

  it('refuses unknown fields in every documented body (strict objects all the way down)', () => {
    const loose: string[] = [];
    const walk = (s: unknown, where: string): void => {
      if (!s || typeof s !== 'object') return;
      const o = s as Json;
      if (o.type === 'object' && o.properties && o.additionalProperties !== false) loose.push(where);
      for (const [k, v] of Object.entries(o)) {
        if (k === 'properties') for (const [p, ps] of Object.entries(v as Json)) walk(ps, `${where}.${p}`);
        else if (typeof v === 'object') walk(v, where);
      }
    };
    for (const op of withBody) walk(documentedBody(op), op.id);
    expect(loose).to.deep.equal([]);
  });
});
