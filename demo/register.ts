// The simulator's nodes, assets and sensors enter master data the way a grocer's do: through the
// functions behind PUT /v1/nodes, /v1/assets and /v1/sensors (validated bodies, reference
// checks, versions and audit), not by writing the tables. Nodes and sensors that already exist are
// left as master data has them (an operator may have renamed a node or deactivated a sensor);
// assets take the simulator's band, as registering did before.
import type { Actor, UpsertResult } from '../db/masterdata';
import { putAsset, putNode, putSensor, readNode, readSensor } from '../db/masterdata';
import type { Db } from '../db/pool';
import { assetBody, nodeBody, sensorBody } from '../domain/masterdata/schemas';
import type { SimNetwork } from './simulator';

/** How many records registration created, changed or left as they were. */
export interface RegisterSummary {
  created: number;
  changed: number;
  unchanged: number;
}

/** A registration master data refused (an unknown band, say), naming the record and field. */
export class RegistrationRefused extends Error {
  constructor(entity: string, id: string, problems: readonly { path: string; message: string }[]) {
    super(`${entity} ${id} refused: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'RegistrationRefused';
  }
}

function count<V>(summary: RegisterSummary, entity: string, id: string, result: UpsertResult<V>): void {
  if (result.outcome === 'refused') throw new RegistrationRefused(entity, id, result.problems);
  summary[result.outcome]++;
}

/** Register a simulated network through master data, in one transaction; idempotent. */
export async function registerSimNetwork(
  db: Db,
  network: SimNetwork,
  actor: Actor = 'simulator',
): Promise<RegisterSummary> {
  return db.transaction(async (c) => {
    const summary: RegisterSummary = { created: 0, changed: 0, unchanged: 0 };
    for (const n of network.nodes) {
      if (await readNode(c, n.id)) {
        summary.unchanged++;
        continue;
      }
      const body = nodeBody.parse({
        kind: n.kind,
        name: n.name,
        location: { lat: n.lat, lng: n.lng },
        serviceRadiusKm: n.radiusKm,
        zones: n.zones,
      });
      count(summary, 'node', n.id, await putNode(c, n.id, body, actor));
    }
    for (const a of network.assets) {
      const body = assetBody.parse({ nodeId: a.nodeId, kind: a.kind, band: a.band });
      count(summary, 'asset', a.id, await putAsset(c, a.id, body, actor));
    }
    for (const s of network.sensors) {
      if (await readSensor(c, s.id)) {
        summary.unchanged++;
        continue;
      }
      count(summary, 'sensor', s.id, await putSensor(c, s.id, sensorBody.parse({ assetId: s.assetId }), actor));
    }
    return summary;
  });
}
