// Sensor registry: which sensor sits in which asset, at which node, guarding which band.
//
// Plain data so it can be loaded from the database or a config file and handed to pure
// functions; the ingester uses `resolveReading` to dead-letter readings from sensors it does
// not know, or that claim a different asset or node than the registry says.
import { z } from 'zod';
import { ID_PATTERN } from './topics';
import type { DeadLetter, Reading } from './telemetry';

/** Kind of temperature-controlled asset a sensor is mounted in. */
export type AssetKind = 'fridge' | 'freezer' | 'cold_room' | 'van';

/** Kind of site or fleet an asset belongs to. */
export type NodeKind = 'front_warehouse' | 'store_warehouse' | 'distribution_centre' | 'fleet';

/** A physical site (or van fleet) that owns assets. */
export interface NodeRecord {
  nodeId: string;
  name: string;
  kind: NodeKind;
  /** IANA zone, for reports in local time. */
  timeZone: string;
}

/** A fridge, freezer, cold room or van compartment; `profileId` names its band / rule profile. */
export interface AssetRecord {
  assetId: string;
  nodeId: string;
  kind: AssetKind;
  profileId: string;
  label: string;
}

/** A sensor and the asset it measures. Inactive sensors are known but their readings refused. */
export interface SensorRecord {
  sensorId: string;
  assetId: string;
  active: boolean;
}

/** The registry, keyed by id for O(1) lookups. */
export interface SensorRegistry {
  nodes: Record<string, NodeRecord>;
  assets: Record<string, AssetRecord>;
  sensors: Record<string, SensorRecord>;
}

/** Everything known about one sensor. */
export interface ResolvedSensor {
  sensor: SensorRecord;
  asset: AssetRecord;
  node: NodeRecord;
  profileId: string;
}

const id = z.string().regex(ID_PATTERN);

/** Zod schema for a node record. */
export const NodeRecordSchema = z.object({
  nodeId: id,
  name: z.string().min(1),
  kind: z.enum(['front_warehouse', 'store_warehouse', 'distribution_centre', 'fleet']),
  timeZone: z.string().min(1),
});

/** Zod schema for an asset record. */
export const AssetRecordSchema = z.object({
  assetId: id,
  nodeId: id,
  kind: z.enum(['fridge', 'freezer', 'cold_room', 'van']),
  profileId: z.string().min(1),
  label: z.string(),
});

/** Zod schema for a sensor record. */
export const SensorRecordSchema = z.object({ sensorId: id, assetId: id, active: z.boolean() });

/** Result of building a registry: the registry, or every problem found. */
export type BuildRegistryResult = { ok: true; registry: SensorRegistry } | { ok: false; errors: string[] };

/**
 * Builds a registry from lists, checking shapes, duplicate ids, dangling references and (when
 * `knownProfileIds` is given) that every asset's profile exists.
 */
export function buildRegistry(
  input: { nodes: unknown[]; assets: unknown[]; sensors: unknown[] },
  knownProfileIds?: readonly string[],
): BuildRegistryResult {
  const errors: string[] = [];
  const registry: SensorRegistry = { nodes: {}, assets: {}, sensors: {} };
  collect(input.nodes, NodeRecordSchema, 'node', (n) => n.nodeId, registry.nodes, errors);
  collect(input.assets, AssetRecordSchema, 'asset', (a) => a.assetId, registry.assets, errors);
  collect(input.sensors, SensorRecordSchema, 'sensor', (s) => s.sensorId, registry.sensors, errors);
  for (const a of Object.values(registry.assets)) {
    if (!registry.nodes[a.nodeId]) errors.push(`asset ${a.assetId}: unknown node ${a.nodeId}`);
    if (knownProfileIds && !knownProfileIds.includes(a.profileId))
      errors.push(`asset ${a.assetId}: unknown profile ${a.profileId}`);
  }
  for (const s of Object.values(registry.sensors)) {
    if (!registry.assets[s.assetId]) errors.push(`sensor ${s.sensorId}: unknown asset ${s.assetId}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, registry };
}

function collect<T>(
  items: unknown[],
  schema: z.ZodType<T>,
  what: string,
  keyOf: (t: T) => string,
  into: Record<string, T>,
  errors: string[],
): void {
  items.forEach((item, i) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      errors.push(`${what} #${i}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return;
    }
    const key = keyOf(parsed.data);
    if (Object.prototype.hasOwnProperty.call(into, key)) errors.push(`${what} ${key}: duplicate id`);
    else into[key] = parsed.data;
  });
}

/** Looks a sensor up with its asset and node; null when any link is missing. */
export function resolveSensor(registry: SensorRegistry, sensorId: string): ResolvedSensor | null {
  const sensor = own(registry.sensors, sensorId);
  const asset = sensor ? own(registry.assets, sensor.assetId) : undefined;
  const node = asset ? own(registry.nodes, asset.nodeId) : undefined;
  if (!sensor || !asset || !node) return null;
  return { sensor, asset, node, profileId: asset.profileId };
}

/**
 * Checks a parsed reading against the registry: unknown or inactive sensors, and readings whose
 * topic/batch asset or node disagrees with the registry, become 'unknown_sensor' dead letters
 * (a mis-configured device must not write into another asset's history).
 */
export function resolveReading(
  registry: SensorRegistry,
  reading: Reading,
  topic: string,
): { ok: true; resolved: ResolvedSensor } | { ok: false; deadLetter: DeadLetter } {
  const dead = (detail: string) => ({
    ok: false as const,
    deadLetter: { reason: 'unknown_sensor' as const, detail, topic, sensorId: reading.sensorId },
  });
  const resolved = resolveSensor(registry, reading.sensorId);
  if (!resolved) return dead(`sensor ${reading.sensorId} is not registered`);
  if (!resolved.sensor.active) return dead(`sensor ${reading.sensorId} is inactive`);
  const mismatch = placementMismatch(reading, { assetId: resolved.asset.assetId, nodeId: resolved.node.nodeId });
  return mismatch ? dead(mismatch) : { ok: true, resolved };
}

/**
 * Why a reading cannot be where its topic (or batch item) puts it, or null when the asset and
 * node it names are the ones the sensor is registered to.
 */
export function placementMismatch(
  reading: Pick<Reading, 'sensorId' | 'assetId' | 'nodeId'>,
  registered: { assetId: string; nodeId: string },
): string | null {
  if (registered.assetId !== reading.assetId)
    return `sensor ${reading.sensorId} belongs to asset ${registered.assetId}, reading says ${reading.assetId}`;
  if (registered.nodeId !== reading.nodeId)
    return `sensor ${reading.sensorId} belongs to node ${registered.nodeId}, reading says ${reading.nodeId}`;
  return null;
}

// Records are plain objects keyed by outside-controlled ids: never follow the prototype chain
// (an id like "constructor" must not resolve to Object.prototype.constructor).
function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}
