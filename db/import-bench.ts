// SQL of the import bench (bench/import.ts): the raw reference load (a plain COPY of the same
// CSV files into unconstrained staging tables) and the removal of the bench's network.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from './pool';
import type { Queryable } from './pool';

/** COPY each CSV file (header row skipped) into a temporary all-text table of its columns; returns rows loaded. */
export async function copyCsvReference(
  db: Queryable,
  files: readonly { path: string; columns: readonly string[] }[],
): Promise<number> {
  return inTransaction(db, async (c) => {
    let rows = 0;
    for (const [i, f] of files.entries()) {
      const table = `bench_import_copy_${i}`;
      await c.query(
        `CREATE TEMP TABLE ${table} (${f.columns.map((col) => `"${col}" text`).join(', ')}) ON COMMIT DROP`,
      );
      const stream = c.query(copyFrom(`COPY ${table} FROM STDIN WITH (FORMAT csv, HEADER true)`));
      await pipeline(createReadStream(f.path), stream);
      rows += Number(stream.rowCount ?? 0);
    }
    return rows;
  });
}

/** Remove the bench's nodes, SKUs and bins (ids starting with `prefix`) and their audit rows. */
export async function deleteBenchNetwork(db: Queryable, prefix: string): Promise<void> {
  const like = `${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  await inTransaction(db, async (c) => {
    await c.query('DELETE FROM bins WHERE node_id LIKE $1', [like]);
    await c.query('DELETE FROM skus WHERE sku LIKE $1', [like]);
    await c.query('DELETE FROM nodes WHERE id LIKE $1', [like]);
    await c.query(`DELETE FROM master_data_audit WHERE entity IN ('node', 'sku', 'bin') AND entity_id LIKE $1`, [like]);
  });
}
