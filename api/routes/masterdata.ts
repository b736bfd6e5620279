// Master data resources (issue 14): nodes, SKUs, bins, assets and sensors a grocer brings, with
// idempotent upserts (same body: 200 unchanged; new: 201; changed: 200 with the new version),
// paged lists, referential integrity as a 422 naming the field, and the audit of every change.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { PoolClient } from 'pg';
import type { Db } from '../../db/pool';
import * as md from '../../db/masterdata';
import type { UpsertResult } from '../../db/masterdata';
import { CODE_TABLES } from '../../domain/masterdata/codes';
import { assetBody, binBody, ENTITIES, masterId, nodeBody, sensorBody, skuBody } from '../../domain/masterdata/schemas';
import { requireRole } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';

export const nodeParams = z.object({ nodeId: masterId }).strict();
export const skuParams = z.object({ sku: masterId }).strict();
export const binParams = z.object({ nodeId: masterId, bin: masterId }).strict();
export const assetParams = z.object({ assetId: masterId }).strict();
export const sensorParams = z.object({ sensorId: masterId }).strict();
/** ?after=&limit= of every list: ids after `after` in id order. */
export const pageQuery = z
  .object({
    after: masterId.optional().describe('Page on: records with ids after this one'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export const auditQuery = z
  .object({
    entity: z.enum(ENTITIES).optional(),
    id: z
      .string()
      .min(1)
      .max(130)
      .regex(/^[A-Za-z0-9._/-]+$/, 'must be a record id (a bin: nodeId/bin)')
      .optional()
      .describe('The record (a bin: nodeId/bin)'),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,17}$/, 'must be an entry id')
      .optional()
      .describe('Page on: entries older than this id'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

function answer<V>(res: Response, result: UpsertResult<V>): void {
  if (result.outcome === 'refused') {
    throw new ApiError(
      'FC_UNKNOWN_REFERENCE',
      result.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      result.problems,
    );
  }
  res.status(result.outcome === 'created' ? 201 : 200).json({ outcome: result.outcome, record: result.record });
}

function found<V>(record: V | null, what: string): V {
  if (!record) throw new ApiError('FC_NOT_FOUND', `${what} not found`);
  return record;
}

function listed<V extends object>(res: Response, records: V[], limit: number, key: (v: V) => string): void {
  res.json({ records, next: records.length === limit ? key(records[records.length - 1]!) : null });
}

/** Routes under /v1 for master data (ops; integrators may read nodes and SKUs). */
export function masterDataRouter(deps: { db: Db }): Router {
  const r = Router();
  const ops = requireRole('ops');
  const readers = requireRole('ops', 'integrator');
  const actor = (req: Request) => req.principal!.sub;
  const tx = <T>(fn: (c: PoolClient) => Promise<T>) => deps.db.transaction(fn);
  const page = (req: Request) => {
    const q = pageQuery.parse(req.query);
    return { after: q.after ?? '', limit: q.limit };
  };

  r.get('/master-data/codes', readers, (_req, res) => {
    res.json(CODE_TABLES);
  });

  r.put('/nodes/:nodeId', ops, async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    const body = nodeBody.parse(req.body);
    answer(res, await tx((c) => md.putNode(c, nodeId, body, actor(req))));
  });
  r.get('/nodes', readers, async (req, res) => {
    const p = page(req);
    listed(res, await md.listNodes(deps.db, p), p.limit, (v) => v.nodeId);
  });
  r.get('/nodes/:nodeId', readers, async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    res.json(found(await md.readNode(deps.db, nodeId), `node ${nodeId}`));
  });

  r.put('/nodes/:nodeId/bins/:bin', ops, async (req, res) => {
    const { nodeId, bin } = binParams.parse(req.params);
    const body = binBody.parse(req.body);
    answer(res, await tx((c) => md.putBin(c, nodeId, bin, body, actor(req))));
  });
  r.get('/nodes/:nodeId/bins', ops, async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    const p = page(req);
    listed(res, await md.listBins(deps.db, nodeId, p), p.limit, (v) => v.bin);
  });
  r.get('/nodes/:nodeId/bins/:bin', ops, async (req, res) => {
    const { nodeId, bin } = binParams.parse(req.params);
    res.json(found(await md.readBin(deps.db, nodeId, bin), `bin ${bin} of node ${nodeId}`));
  });

  r.put('/skus/:sku', ops, async (req, res) => {
    const { sku } = skuParams.parse(req.params);
    const body = skuBody.parse(req.body);
    answer(res, await tx((c) => md.putSku(c, sku, body, actor(req))));
  });
  r.get('/skus', readers, async (req, res) => {
    const p = page(req);
    listed(res, await md.listSkus(deps.db, p), p.limit, (v) => v.sku);
  });
  r.get('/skus/:sku', readers, async (req, res) => {
    const { sku } = skuParams.parse(req.params);
    res.json(found(await md.readSku(deps.db, sku), `SKU ${sku}`));
  });

  r.put('/assets/:assetId', ops, async (req, res) => {
    const { assetId } = assetParams.parse(req.params);
    const body = assetBody.parse(req.body);
    answer(res, await tx((c) => md.putAsset(c, assetId, body, actor(req))));
  });
  r.get('/assets', ops, async (req, res) => {
    const p = page(req);
    listed(res, await md.listAssets(deps.db, p), p.limit, (v) => v.assetId);
  });
  r.get('/assets/:assetId', ops, async (req, res) => {
    const { assetId } = assetParams.parse(req.params);
    res.json(found(await md.readAsset(deps.db, assetId), `asset ${assetId}`));
  });

  r.put('/sensors/:sensorId', ops, async (req, res) => {
    const { sensorId } = sensorParams.parse(req.params);
    const body = sensorBody.parse(req.body);
    answer(res, await tx((c) => md.putSensor(c, sensorId, body, actor(req))));
  });
  r.get('/sensors', ops, async (req, res) => {
    const p = page(req);
    listed(res, await md.listSensors(deps.db, p), p.limit, (v) => v.sensorId);
  });
  r.get('/sensors/:sensorId', ops, async (req, res) => {
    const { sensorId } = sensorParams.parse(req.params);
    res.json(found(await md.readSensor(deps.db, sensorId), `sensor ${sensorId}`));
  });

  r.get('/master-data/audit', ops, async (req, res) => {
    const q = auditQuery.parse(req.query);
    const entries = await md.listAudit(deps.db, {
      limit: q.limit,
      ...(q.entity ? { entity: q.entity } : {}),
      ...(q.id ? { id: q.id } : {}),
      ...(q.before ? { beforeId: q.before } : {}),
    });
    res.json({
      entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
      next: entries.length === q.limit ? entries[entries.length - 1]!.id : null,
    });
  });

  return r;
}

// ---- API description ------------------------------------------------------------------------------

const upserted = (schema: z.ZodType) =>
  z.object({ outcome: z.enum(['created', 'changed', 'unchanged']), record: schema });
const listOf = (schema: z.ZodType) => z.object({ records: z.array(schema), next: z.string().nullable() });
const withVersion = <T extends z.ZodObject>(o: T, id: Record<string, z.ZodType>) =>
  o.extend({ ...id, version: z.number().int() });
const views = {
  node: withVersion(z.object({ ...nodeBody.shape }), { nodeId: z.string() }),
  sku: z.object({
    sku: z.string(),
    name: z.string(),
    category: z.string(),
    gtin: z.string().nullable(),
    zone: z.string(),
    band: z.string(),
    shelfLifeDays: z.number(),
    minShelfLifeDays: z.number(),
    perishable: z.boolean(),
    unitPriceCents: z.number(),
    version: z.number().int(),
  }),
  bin: withVersion(binBody, { nodeId: z.string(), bin: z.string() }),
  asset: withVersion(assetBody, { assetId: z.string() }),
  sensor: withVersion(sensorBody, { sensorId: z.string(), nodeId: z.string() }),
};
const putResponses = (view: z.ZodType) => ({
  200: { description: 'Unchanged (same version) or changed (new version)', schema: upserted(view) },
  201: { description: 'Created', schema: upserted(view) },
  400: { description: 'Invalid body or path (the field is named)' },
  422: { description: 'A referenced record or code does not exist (the field is named)' },
});

interface Resource {
  name: string;
  path: string;
  item: string;
  params: z.ZodObject;
  body: z.ZodType;
  view: z.ZodType;
  readRoles: ApiOperation['auth'];
  listPath: string;
  listParams?: z.ZodObject;
}
const RESOURCES: readonly Resource[] = [
  {
    name: 'Node',
    path: '/v1/nodes/:nodeId',
    item: 'a node',
    params: nodeParams,
    body: nodeBody,
    view: views.node,
    readRoles: ['ops', 'integrator'],
    listPath: '/v1/nodes',
  },
  {
    name: 'Sku',
    path: '/v1/skus/:sku',
    item: 'a SKU',
    params: skuParams,
    body: skuBody,
    view: views.sku,
    readRoles: ['ops', 'integrator'],
    listPath: '/v1/skus',
  },
  {
    name: 'Bin',
    path: '/v1/nodes/:nodeId/bins/:bin',
    item: 'a bin of a node',
    params: binParams,
    body: binBody,
    view: views.bin,
    readRoles: ['ops'],
    listPath: '/v1/nodes/:nodeId/bins',
    listParams: nodeParams,
  },
  {
    name: 'Asset',
    path: '/v1/assets/:assetId',
    item: 'a cold-chain asset',
    params: assetParams,
    body: assetBody,
    view: views.asset,
    readRoles: ['ops'],
    listPath: '/v1/assets',
  },
  {
    name: 'Sensor',
    path: '/v1/sensors/:sensorId',
    item: 'a sensor',
    params: sensorParams,
    body: sensorBody,
    view: views.sensor,
    readRoles: ['ops'],
    listPath: '/v1/sensors',
  },
];

/** The master data operations, registered in the API description (api/openapi.ts). */
export const masterDataOperations: readonly ApiOperation[] = [
  ...RESOURCES.flatMap((res): ApiOperation[] => [
    {
      id: `put${res.name}`,
      method: 'put',
      path: res.path,
      tag: 'master data',
      summary: `Create or update ${res.item} (idempotent, audited)`,
      auth: ['ops'],
      params: res.params,
      body: res.body,
      responses: putResponses(res.view),
    },
    {
      id: `get${res.name}`,
      method: 'get',
      path: res.path,
      tag: 'master data',
      summary: `Read ${res.item}`,
      auth: res.readRoles,
      params: res.params,
      responses: { 200: { description: 'The record', schema: res.view }, 404: { description: 'Unknown' } },
    },
    {
      id: `list${res.name}s`,
      method: 'get',
      path: res.listPath,
      tag: 'master data',
      summary: `List ${res.item.replace(/^an? /, '')} records in id order, paged`,
      auth: res.readRoles,
      ...(res.listParams ? { params: res.listParams } : {}),
      query: pageQuery,
      responses: { 200: { description: 'A page, and the id to page on from', schema: listOf(res.view) } },
    },
  ]),
  {
    id: 'masterDataCodes',
    method: 'get',
    path: '/v1/master-data/codes',
    tag: 'master data',
    summary: 'The governed code tables: zones, bands, categories, node kinds, asset kinds',
    auth: ['ops', 'integrator'],
    responses: { 200: { description: 'Code tables' } },
  },
  {
    id: 'masterDataAudit',
    method: 'get',
    path: '/v1/master-data/audit',
    tag: 'master data',
    summary: 'Who changed which master data record when, before and after (newest first)',
    auth: ['ops'],
    query: auditQuery,
    responses: { 200: { description: 'Entries, and the id to page on from' } },
  },
];
