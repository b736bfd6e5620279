// SQL about the network's nodes that several API areas share.
import { rowsOf } from './pool';
import type { Queryable } from './pool';

/** The ids among `ids` that name no node, in the order given. */
export async function missingNodeIds(db: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = new Set(
    (await rowsOf<{ id: string }>(db, 'SELECT id FROM nodes WHERE id = ANY($1::text[])', [[...ids]])).map((r) => r.id),
  );
  return ids.filter((id) => !known.has(id));
}
