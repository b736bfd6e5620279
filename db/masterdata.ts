// SQL of the master data resources (nodes, SKUs, bins, assets, sensors) and their audit.
//
// Every write is an idempotent upsert in the caller's transaction: the record is locked by an
// advisory lock on its key (so two concurrent first writes cannot both insert), compared with
// what is stored, and only a real change bumps its version and writes an audit row (who, when,
// before, after). References to other records are checked here, where the rows are, and come
// back as problems naming the field; nothing is written then.
import { rowsOf } from './pool';
import type { Queryable } from './pool';
import { isBuiltInBand } from '../domain/masterdata/codes';
import type {
  AssetBody,
  BinBody,
  Entity,
  NodeBody,
  ReferenceProblem,
  SensorBody,
  SkuBody,
} from '../domain/masterdata/schemas';
import { sameRecord } from '../domain/masterdata/schemas';

export interface NodeView extends NodeBody {
  nodeId: string;
  version: number;
}
export interface SkuView extends SkuBody {
  sku: string;
  version: number;
}
export interface BinView extends BinBody {
  nodeId: string;
  bin: string;
  version: number;
}
export interface AssetView extends AssetBody {
  assetId: string;
  version: number;
}
export interface SensorView extends SensorBody {
  sensorId: string;
  nodeId: string;
  version: number;
}

/** What an upsert did: created (201), changed (200, new version), unchanged (200, same version), or refused. */
export type UpsertResult<V> =
  { outcome: 'created' | 'changed' | 'unchanged'; record: V } | { outcome: 'refused'; problems: ReferenceProblem[] };

/** Who makes a change (the token subject, or `import:<file>` for the bulk import). */
export type Actor = string;

// ---- reads ---------------------------------------------------------------------------------

const NODE_SELECT = `SELECT id AS "nodeId", kind, name, json_build_object('lat', lat, 'lng', lng) AS location, service_radius_km AS "serviceRadiusKm",
  zones, COALESCE(attributes->'slotCapacity', '{}'::jsonb) AS "slotCapacity", opening_hours AS "openingHours", version FROM nodes`;
const SKU_SELECT = `SELECT sku, name, category, gtin, zone, band, shelf_life_days_at_ref AS "shelfLifeDays", min_shelf_life_days AS "minShelfLifeDays",
  perishable, unit_price_cents AS "unitPriceCents", version FROM skus`;
const BIN_SELECT = `SELECT node_id AS "nodeId", bin, zone, pick_sequence AS "pickSequence", version FROM bins`;
const ASSET_SELECT = `SELECT id AS "assetId", node_id AS "nodeId", kind, band, version FROM assets`;
const SENSOR_SELECT = `SELECT id AS "sensorId", asset_id AS "assetId", node_id AS "nodeId", active, version FROM sensors`;

async function one<V>(q: Queryable, sql: string, params: unknown[]): Promise<V | null> {
  const { rows } = await q.query(sql, params);
  return (rows[0] as V | undefined) ?? null;
}

export const readNode = (q: Queryable, nodeId: string) => one<NodeView>(q, `${NODE_SELECT} WHERE id = $1`, [nodeId]);
export const readSku = (q: Queryable, sku: string) => one<SkuView>(q, `${SKU_SELECT} WHERE sku = $1`, [sku]);
export const readBin = (q: Queryable, nodeId: string, bin: string) =>
  one<BinView>(q, `${BIN_SELECT} WHERE node_id = $1 AND bin = $2`, [nodeId, bin]);
export const readAsset = (q: Queryable, assetId: string) =>
  one<AssetView>(q, `${ASSET_SELECT} WHERE id = $1`, [assetId]);
export const readSensor = (q: Queryable, sensorId: string) =>
  one<SensorView>(q, `${SENSOR_SELECT} WHERE id = $1`, [sensorId]);

/** A page of records in id order, after `after` (exclusive). */
export interface Page {
  after: string;
  limit: number;
}

async function page<V>(
  q: Queryable,
  select: string,
  key: string,
  p: Page,
  where = '',
  params: unknown[] = [],
): Promise<V[]> {
  const n = params.length;
  const { rows } = await q.query(
    `${select} WHERE ${where}${where ? ' AND ' : ''}${key} > $${n + 1} ORDER BY ${key} LIMIT $${n + 2}`,
    [...params, p.after, p.limit],
  );
  return rows as V[];
}

export const listNodes = (q: Queryable, p: Page) => page<NodeView>(q, NODE_SELECT, 'id', p);
export const listSkus = (q: Queryable, p: Page) => page<SkuView>(q, SKU_SELECT, 'sku', p);
export const listBins = (q: Queryable, nodeId: string, p: Page) =>
  page<BinView>(q, BIN_SELECT, 'bin', p, 'node_id = $1', [nodeId]);
export const listAssets = (q: Queryable, p: Page) => page<AssetView>(q, ASSET_SELECT, 'id', p);
export const listSensors = (q: Queryable, p: Page) => page<SensorView>(q, SENSOR_SELECT, 'id', p);

// ---- the audited upsert ----------------------------------------------------------------------

interface UpsertSpec<V extends { version: number }> {
  entity: Entity;
  id: string;
  actor: Actor;
  read: () => Promise<V | null>;
  /** The record as it will be, without its version. */
  next: Omit<V, 'version'>;
  /** Reference problems, checked after the lock so they see committed neighbours. */
  check: () => Promise<ReferenceProblem[]>;
  write: (version: number) => Promise<void>;
}

async function upsertAudited<V extends { version: number }>(c: Queryable, s: UpsertSpec<V>): Promise<UpsertResult<V>> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`masterdata:${s.entity}:${s.id}`]);
  const before = await s.read();
  if (before) {
    const { version: _v, ...data } = before;
    if (sameRecord(data, s.next)) return { outcome: 'unchanged', record: before };
  }
  const problems = await s.check();
  if (problems.length) return { outcome: 'refused', problems };
  const version = before ? before.version + 1 : 1;
  await s.write(version);
  const after = { ...s.next, version } as unknown as V;
  await c.query(
    'INSERT INTO master_data_audit (entity, entity_id, version, actor, before, after) VALUES ($1, $2, $3, $4, $5, $6)',
    [s.entity, s.id, version, s.actor, before === null ? null : JSON.stringify(before), JSON.stringify(after)],
  );
  return { outcome: before ? 'changed' : 'created', record: after };
}

/** Whether a band names a rule profile: a built-in one or a custom one stored in alert_rule_profiles. */
async function bandKnown(q: Queryable, band: string): Promise<boolean> {
  if (isBuiltInBand(band)) return true;
  return (await q.query('SELECT 1 FROM alert_rule_profiles WHERE id = $1', [band])).rowCount === 1;
}

const problem = (path: string, message: string): ReferenceProblem => ({ path, message });

// ---- per entity -------------------------------------------------------------------------------

/** Create or update a node; its slot capacity lives in attributes, where allocation reads it. */
export function putNode(c: Queryable, nodeId: string, body: NodeBody, actor: Actor): Promise<UpsertResult<NodeView>> {
  return upsertAudited<NodeView>(c, {
    entity: 'node',
    id: nodeId,
    actor,
    read: () => readNode(c, nodeId),
    next: { nodeId, ...body },
    check: async () => {
      const { rows } = await c.query<{ zone: string; bins: string[] }>(
        `SELECT zone, array_agg(bin ORDER BY bin) AS bins FROM bins WHERE node_id = $1 AND NOT (zone = ANY($2::text[])) GROUP BY zone`,
        [nodeId, body.zones],
      );
      return rows.map((r) => problem('zones', `must hold ${r.zone}: bins ${r.bins.slice(0, 5).join(', ')} are in it`));
    },
    write: async (version) => {
      await c.query(
        `INSERT INTO nodes (id, kind, name, lat, lng, service_radius_km, zones, attributes, opening_hours, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, jsonb_build_object('slotCapacity', $8::jsonb), $9, $10)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, lat = EXCLUDED.lat, lng = EXCLUDED.lng,
           service_radius_km = EXCLUDED.service_radius_km, zones = EXCLUDED.zones, attributes = nodes.attributes || EXCLUDED.attributes,
           opening_hours = EXCLUDED.opening_hours, version = EXCLUDED.version`,
        [
          nodeId,
          body.kind,
          body.name,
          body.location.lat,
          body.location.lng,
          body.serviceRadiusKm,
          body.zones,
          JSON.stringify(body.slotCapacity),
          JSON.stringify(body.openingHours),
          version,
        ],
      );
    },
  });
}

/** Create or update a SKU; its band must name a rule profile and its GTIN no other SKU. */
export function putSku(c: Queryable, sku: string, body: SkuBody, actor: Actor): Promise<UpsertResult<SkuView>> {
  return upsertAudited<SkuView>(c, {
    entity: 'sku',
    id: sku,
    actor,
    read: () => readSku(c, sku),
    next: { sku, ...body },
    check: async () => {
      const out: ReferenceProblem[] = [];
      if (!(await bandKnown(c, body.band)))
        out.push(problem('band', `unknown band ${body.band} (no such rule profile)`));
      if (body.gtin !== null) {
        const other = await one<{ sku: string }>(c, 'SELECT sku FROM skus WHERE gtin = $1 AND sku <> $2', [
          body.gtin,
          sku,
        ]);
        if (other) out.push(problem('gtin', `already names SKU ${other.sku}`));
      }
      return out;
    },
    write: async (version) => {
      await c.query(
        `INSERT INTO skus (sku, name, category, gtin, zone, band, shelf_life_days_at_ref, min_shelf_life_days, perishable, unit_price_cents, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, gtin = EXCLUDED.gtin, zone = EXCLUDED.zone,
           band = EXCLUDED.band, shelf_life_days_at_ref = EXCLUDED.shelf_life_days_at_ref, min_shelf_life_days = EXCLUDED.min_shelf_life_days,
           perishable = EXCLUDED.perishable, unit_price_cents = EXCLUDED.unit_price_cents, version = EXCLUDED.version`,
        [
          sku,
          body.name,
          body.category,
          body.gtin,
          body.zone,
          body.band,
          body.shelfLifeDays,
          body.minShelfLifeDays,
          body.perishable,
          body.unitPriceCents,
          version,
        ],
      );
    },
  });
}

/** Create or update a bin of a node; its zone must be one the node holds. */
export function putBin(
  c: Queryable,
  nodeId: string,
  bin: string,
  body: BinBody,
  actor: Actor,
): Promise<UpsertResult<BinView>> {
  return upsertAudited<BinView>(c, {
    entity: 'bin',
    id: `${nodeId}/${bin}`,
    actor,
    read: () => readBin(c, nodeId, bin),
    next: { nodeId, bin, ...body },
    check: async () => {
      const node = await one<{ zones: string[] }>(c, 'SELECT zones FROM nodes WHERE id = $1 FOR SHARE', [nodeId]);
      if (!node) return [problem('nodeId', `unknown node ${nodeId}`)];
      return node.zones.includes(body.zone)
        ? []
        : [problem('zone', `node ${nodeId} does not hold ${body.zone} (it holds ${node.zones.join(', ')})`)];
    },
    write: async (version) => {
      await c.query(
        `INSERT INTO bins (node_id, bin, zone, pick_sequence, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (node_id, bin) DO UPDATE SET zone = EXCLUDED.zone, pick_sequence = EXCLUDED.pick_sequence, version = EXCLUDED.version`,
        [nodeId, bin, body.zone, body.pickSequence, version],
      );
    },
  });
}

/** Create or update an asset; its sensors move with it when it moves to another node. */
export function putAsset(
  c: Queryable,
  assetId: string,
  body: AssetBody,
  actor: Actor,
): Promise<UpsertResult<AssetView>> {
  return upsertAudited<AssetView>(c, {
    entity: 'asset',
    id: assetId,
    actor,
    read: () => readAsset(c, assetId),
    next: { assetId, ...body },
    check: async () => {
      const out: ReferenceProblem[] = [];
      if (!(await one(c, 'SELECT 1 FROM nodes WHERE id = $1 FOR SHARE', [body.nodeId])))
        out.push(problem('nodeId', `unknown node ${body.nodeId}`));
      if (!(await bandKnown(c, body.band)))
        out.push(problem('band', `unknown band ${body.band} (no such rule profile)`));
      return out;
    },
    write: async (version) => {
      await c.query(
        `INSERT INTO assets (id, node_id, kind, band, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET node_id = EXCLUDED.node_id, kind = EXCLUDED.kind, band = EXCLUDED.band, version = EXCLUDED.version`,
        [assetId, body.nodeId, body.kind, body.band, version],
      );
      await c.query('UPDATE sensors SET node_id = $2 WHERE asset_id = $1 AND node_id <> $2', [assetId, body.nodeId]);
    },
  });
}

/** Create or update a sensor; it sits on a known asset, at that asset's node. */
export async function putSensor(
  c: Queryable,
  sensorId: string,
  body: SensorBody,
  actor: Actor,
): Promise<UpsertResult<SensorView>> {
  const asset = await one<{ node_id: string }>(c, 'SELECT node_id FROM assets WHERE id = $1 FOR SHARE', [body.assetId]);
  return upsertAudited<SensorView>(c, {
    entity: 'sensor',
    id: sensorId,
    actor,
    read: () => readSensor(c, sensorId),
    next: { sensorId, assetId: body.assetId, nodeId: asset?.node_id ?? '', active: body.active },
    check: async () => (asset ? [] : [problem('assetId', `unknown asset ${body.assetId}`)]),
    write: async (version) => {
      await c.query(
        `INSERT INTO sensors (id, asset_id, node_id, active, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET asset_id = EXCLUDED.asset_id, node_id = EXCLUDED.node_id, active = EXCLUDED.active, version = EXCLUDED.version`,
        [sensorId, body.assetId, asset!.node_id, body.active, version],
      );
    },
  });
}

// ---- audit ------------------------------------------------------------------------------------

export interface AuditEntry {
  id: string;
  entity: Entity;
  entityId: string;
  version: number;
  actor: string;
  at: Date;
  before: unknown;
  after: unknown;
}

/** Audit entries, newest first; `entity`/`id` narrow them, `beforeId` pages on. */
export async function listAudit(
  db: Queryable,
  f: { entity?: Entity; id?: string; beforeId?: string; limit: number },
): Promise<AuditEntry[]> {
  return rowsOf<AuditEntry>(
    db,
    `SELECT id::text, entity, entity_id AS "entityId", version, actor, at, before, after FROM master_data_audit
      WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR entity_id = $2) AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [f.entity ?? null, f.id ?? null, f.beforeId ?? null, f.limit],
  );
}

// ---- the import's reads -------------------------------------------------------------------------

/** Which of these ids exist, per referenced table (a dry run checks references without writing). */
export async function existingIds(db: Queryable, kind: 'node' | 'asset', ids: readonly string[]): Promise<Set<string>> {
  const table = kind === 'node' ? 'nodes' : 'assets';
  const rows = await rowsOf<{ id: string }>(db, `SELECT id FROM ${table} WHERE id = ANY($1::text[])`, [[...ids]]);
  return new Set(rows.map((r) => r.id));
}

/** The zones each of these nodes holds. */
export async function nodeZones(db: Queryable, nodeIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await rowsOf<{ id: string; zones: string[] }>(
    db,
    'SELECT id, zones FROM nodes WHERE id = ANY($1::text[])',
    [[...nodeIds]],
  );
  return new Map(rows.map((r) => [r.id, r.zones]));
}

/** The custom bands (rule profiles) among these ids. */
export async function customBands(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const rows = await rowsOf<{ id: string }>(db, 'SELECT id FROM alert_rule_profiles WHERE id = ANY($1::text[])', [
    [...ids],
  ]);
  return new Set(rows.map((r) => r.id));
}

// ---- batched upserts (the bulk import) -----------------------------------------------------------
//
// The same audited upsert as above, set-based: the batch's records are read in one query,
// compared in memory, reference-checked in one query, and the changed ones written and audited
// in one statement each. No lock per record (half a million advisory locks in one transaction
// exhaust the lock table): the write is optimistic instead — a row is written only if its stored
// version is still the one read (absent for a new one), and a batch that finds a record changed
// meanwhile fails (the import's file rolls back; run it again).

/** What a batch did, per outcome; `refused` lists each refused record's problems. */
export interface BatchResult {
  created: number;
  changed: number;
  unchanged: number;
  refused: { index: number; problems: ReferenceProblem[] }[];
}

interface BatchSpec<V extends { version: number }> {
  entity: Entity;
  ids: readonly string[];
  next: readonly Omit<V, 'version'>[];
  readMany: () => Promise<Map<string, V>>;
  checkMany: (indexes: readonly number[]) => Promise<Map<number, ReferenceProblem[]>>;
  /** Writes the rows whose stored version is still version - 1 (none: new); returns how many it wrote. */
  writeMany: (indexes: readonly number[], versions: readonly number[]) => Promise<number>;
}

/** A batch found records changed by someone else between its read and its write. */
export class ConcurrentChangeError extends Error {
  constructor(entity: Entity, count: number) {
    super(`${count} ${entity} record(s) changed while the batch was written; nothing written, run it again`);
  }
}

async function upsertBatchAudited<V extends { version: number }>(
  c: Queryable,
  actor: Actor,
  s: BatchSpec<V>,
): Promise<BatchResult> {
  const before = await s.readMany();
  const result: BatchResult = { created: 0, changed: 0, unchanged: 0, refused: [] };
  const touched: number[] = [];
  s.ids.forEach((id, i) => {
    const old = before.get(id);
    if (old) {
      const { version: _v, ...data } = old;
      if (sameRecord(data, s.next[i])) {
        result.unchanged++;
        return;
      }
    }
    touched.push(i);
  });
  const problems = touched.length ? await s.checkMany(touched) : new Map<number, ReferenceProblem[]>();
  for (const [index, p] of problems) result.refused.push({ index, problems: p });
  if (result.refused.length) return result;
  const versions = touched.map((i) => (before.get(s.ids[i]!)?.version ?? 0) + 1);
  if (!touched.length) return result;
  const written = await s.writeMany(touched, versions);
  if (written !== touched.length) throw new ConcurrentChangeError(s.entity, touched.length - written);
  await c.query(
    `INSERT INTO master_data_audit (entity, entity_id, version, actor, before, after)
     SELECT $1, id, version, $2, before, after FROM unnest($3::text[], $4::integer[], $5::jsonb[], $6::jsonb[]) AS t(id, version, before, after)`,
    [
      s.entity,
      actor,
      touched.map((i) => s.ids[i]),
      versions,
      touched.map((i) => {
        const b = before.get(s.ids[i]!);
        return b ? JSON.stringify(b) : null;
      }),
      touched.map((i, k) => JSON.stringify({ ...s.next[i], version: versions[k] })),
    ],
  );
  for (const i of touched) result[before.has(s.ids[i]!) ? 'changed' : 'created']++;
  return result;
}

/** Create or update many SKUs at once (see putSku). */
export async function putSkus(
  c: Queryable,
  rows: readonly { sku: string; body: SkuBody }[],
  actor: Actor,
): Promise<BatchResult> {
  const ids = rows.map((r) => r.sku);
  return upsertBatchAudited<SkuView>(c, actor, {
    entity: 'sku',
    ids,
    next: rows.map((r) => ({ sku: r.sku, ...r.body })),
    readMany: async () =>
      new Map((await c.query<SkuView>(`${SKU_SELECT} WHERE sku = ANY($1::text[])`, [ids])).rows.map((v) => [v.sku, v])),
    checkMany: async (indexes) => {
      const out = new Map<number, ReferenceProblem[]>();
      const add = (i: number, p: ReferenceProblem) => out.set(i, [...(out.get(i) ?? []), p]);
      const bands = [...new Set(indexes.map((i) => rows[i]!.body.band))].filter((b) => !isBuiltInBand(b));
      const known = new Set(
        (
          await c.query<{ id: string }>('SELECT id FROM alert_rule_profiles WHERE id = ANY($1::text[])', [bands])
        ).rows.map((r) => r.id),
      );
      const gtins = indexes.map((i) => rows[i]!.body.gtin).filter((g): g is string => g !== null);
      const owners = new Map(
        (
          await c.query<{ gtin: string; sku: string }>('SELECT gtin, sku FROM skus WHERE gtin = ANY($1::text[])', [
            gtins,
          ])
        ).rows.map((r) => [r.gtin, r.sku]),
      );
      // A GTIN names one SKU: not another stored SKU (unless that one is in this batch, whose
      // own row says what its GTIN becomes), and not two SKUs of the batch.
      const idSet = new Set(ids);
      const inBatch = new Map<string, string>();
      for (const i of indexes) {
        const { sku, body } = rows[i]!;
        if (!isBuiltInBand(body.band) && !known.has(body.band))
          add(i, problem('band', `unknown band ${body.band} (no such rule profile)`));
        if (body.gtin === null) continue;
        const stored = owners.get(body.gtin);
        const other =
          inBatch.get(body.gtin) ?? (stored !== undefined && stored !== sku && !idSet.has(stored) ? stored : undefined);
        if (other !== undefined && other !== sku) add(i, problem('gtin', `already names SKU ${other}`));
        inBatch.set(body.gtin, sku);
      }
      return out;
    },
    writeMany: async (indexes, versions) => {
      const col = <T>(f: (b: SkuBody) => T) => indexes.map((i) => f(rows[i]!.body));
      const r = await c.query(
        `INSERT INTO skus (sku, name, category, gtin, zone, band, shelf_life_days_at_ref, min_shelf_life_days, perishable, unit_price_cents, version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::integer[], $9::boolean[], $10::integer[], $11::integer[])
         ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, gtin = EXCLUDED.gtin, zone = EXCLUDED.zone,
           band = EXCLUDED.band, shelf_life_days_at_ref = EXCLUDED.shelf_life_days_at_ref, min_shelf_life_days = EXCLUDED.min_shelf_life_days,
           perishable = EXCLUDED.perishable, unit_price_cents = EXCLUDED.unit_price_cents, version = EXCLUDED.version
         WHERE skus.version = EXCLUDED.version - 1`,
        [
          indexes.map((i) => rows[i]!.sku),
          col((b) => b.name),
          col((b) => b.category),
          col((b) => b.gtin),
          col((b) => b.zone),
          col((b) => b.band),
          col((b) => b.shelfLifeDays),
          col((b) => b.minShelfLifeDays),
          col((b) => b.perishable),
          col((b) => b.unitPriceCents),
          versions,
        ],
      );
      return r.rowCount ?? 0;
    },
  });
}

/** Create or update many bins at once (see putBin). */
export async function putBins(
  c: Queryable,
  rows: readonly { nodeId: string; bin: string; body: BinBody }[],
  actor: Actor,
): Promise<BatchResult> {
  const ids = rows.map((r) => `${r.nodeId}/${r.bin}`);
  return upsertBatchAudited<BinView>(c, actor, {
    entity: 'bin',
    ids,
    next: rows.map((r) => ({ nodeId: r.nodeId, bin: r.bin, ...r.body })),
    readMany: async () => {
      const { rows: found } = await c.query<BinView>(
        `${BIN_SELECT} JOIN unnest($1::text[], $2::text[]) AS k(n, b) ON node_id = k.n AND bin = k.b`,
        [rows.map((r) => r.nodeId), rows.map((r) => r.bin)],
      );
      return new Map(found.map((v) => [`${v.nodeId}/${v.bin}`, v]));
    },
    checkMany: async (indexes) => {
      const nodeIds = [...new Set(indexes.map((i) => rows[i]!.nodeId))];
      const zones = new Map(
        (
          await c.query<{ id: string; zones: string[] }>(
            'SELECT id, zones FROM nodes WHERE id = ANY($1::text[]) FOR SHARE',
            [nodeIds],
          )
        ).rows.map((n) => [n.id, n.zones]),
      );
      const out = new Map<number, ReferenceProblem[]>();
      for (const i of indexes) {
        const { nodeId, body } = rows[i]!;
        const held = zones.get(nodeId);
        if (!held) out.set(i, [problem('nodeId', `unknown node ${nodeId}`)]);
        else if (!held.includes(body.zone))
          out.set(i, [problem('zone', `node ${nodeId} does not hold ${body.zone} (it holds ${held.join(', ')})`)]);
      }
      return out;
    },
    writeMany: async (indexes, versions) => {
      const r = await c.query(
        `INSERT INTO bins (node_id, bin, zone, pick_sequence, version) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::integer[])
         ON CONFLICT (node_id, bin) DO UPDATE SET zone = EXCLUDED.zone, pick_sequence = EXCLUDED.pick_sequence, version = EXCLUDED.version
         WHERE bins.version = EXCLUDED.version - 1`,
        [
          indexes.map((i) => rows[i]!.nodeId),
          indexes.map((i) => rows[i]!.bin),
          indexes.map((i) => rows[i]!.body.zone),
          indexes.map((i) => rows[i]!.body.pickSequence),
          versions,
        ],
      );
      return r.rowCount ?? 0;
    },
  });
}
