// Import bench (issue 14): a grocer's network of --skus SKUs × --nodes nodes (nodes.csv, skus.csv
// and a bin per SKU per node in bins.csv) loaded by `npm run import`'s code (parse, validate,
// audited batched upserts), then re-run (every row unchanged), against a plain COPY of the same
// three files into unconstrained tables, measured in the same run. Prints one JSON line. The
// bench's records are removed afterwards unless --keep.
//   npm run bench:import -- [--skus 10000] [--nodes 50] [--bins-per-node 10000] [--keep]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { copyCsvReference, deleteBenchNetwork } from '../db/import-bench';
import { createDb } from '../db/pool';
import { columnsOf } from '../domain/masterdata/csv';
import { runImport } from '../scripts/import';
import { loadAverage1m, machineInfo } from './lib/machine';

const ZONES = [
  { zone: 'ambient', band: 'ambient', category: 'pantry', prefix: 'A' },
  { zone: 'chilled', band: 'chilled', category: 'dairy', prefix: 'C' },
  { zone: 'frozen', band: 'frozen', category: 'ice_cream', prefix: 'F' },
] as const;

function options(argv: string[]): { skus: number; nodes: number; binsPerNode: number; keep: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      skus: { type: 'string', default: '10000' },
      nodes: { type: 'string', default: '50' },
      'bins-per-node': { type: 'string', default: '10000' },
      keep: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${name} must be an integer in 1..${max}, got ${v}`);
    return n;
  };
  return {
    skus: int('skus', values.skus, 1_000_000),
    nodes: int('nodes', values.nodes, 10_000),
    binsPerNode: int('bins-per-node', values['bins-per-node'], 1_000_000),
    keep: values.keep,
  };
}

/** The three files of a synthetic network; returns their row counts. */
function writeNetwork(
  dir: string,
  prefix: string,
  o: { skus: number; nodes: number; binsPerNode: number },
): { nodes: number; skus: number; bins: number } {
  const nodeIds = Array.from({ length: o.nodes }, (_, i) => `${prefix}n${i}`);
  const nodes = nodeIds.map(
    (id, i) =>
      `${id},front,Bench node ${i},${(30 + i / 100).toFixed(4)},${(120 + i / 100).toFixed(4)},3,ambient;chilled;frozen,instant=40,*=07:00-23:00`,
  );
  writeFileSync(
    join(dir, 'nodes.csv'),
    `node_id,kind,name,lat,lng,service_radius_km,zones,slot_capacity,opening_hours\n${nodes.join('\n')}\n`,
  );
  const skus = Array.from({ length: o.skus }, (_, i) => {
    const z = ZONES[i % 3]!;
    return `${prefix}s${i},Bench item ${i},${z.category},${z.zone},${z.band},30,3,true,${100 + (i % 5000)}`;
  });
  writeFileSync(
    join(dir, 'skus.csv'),
    `sku,name,category,zone,band,shelf_life_days,min_shelf_life_days,perishable,unit_price_cents\n${skus.join('\n')}\n`,
  );
  const bins: string[] = [];
  for (const id of nodeIds)
    for (let b = 0; b < o.binsPerNode; b++) bins.push(`${id},${ZONES[b % 3]!.prefix}-${b},${ZONES[b % 3]!.zone},${b}`);
  writeFileSync(join(dir, 'bins.csv'), `node_id,bin,zone,pick_sequence\n${bins.join('\n')}\n`);
  return { nodes: nodes.length, skus: skus.length, bins: bins.length };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const cfg = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const db = createDb({
    connectionString: cfg.db.connectionString,
    max: 4,
    applicationName: 'freshchain-bench-import',
  });
  const prefix = `bench-imp-${Date.now().toString(36)}-`;
  const dir = mkdtempSync(join(tmpdir(), 'fc-bench-import-'));
  try {
    const rows = writeNetwork(dir, prefix, o);
    const loadAvgBefore = loadAverage1m();
    const seconds = async (fn: () => Promise<unknown>) => {
      const t = process.hrtime.bigint();
      await fn();
      return Math.round(Number(process.hrtime.bigint() - t) / 1e6) / 1000;
    };
    const check = (r: Awaited<ReturnType<typeof runImport>>) => {
      if (r.problems.length)
        throw new Error(
          `import problems: ${r.problems
            .slice(0, 3)
            .map((p) => `${p.file}:${p.line}:${p.column}: ${p.reason}`)
            .join('; ')}`,
        );
      return r;
    };
    let firstFiles: unknown;
    const importS = await seconds(async () => {
      firstFiles = check(await runImport(db, { dir, dryRun: false, actor: 'bench' })).files;
    });
    let rerunFiles: unknown;
    const rerunS = await seconds(async () => {
      rerunFiles = check(await runImport(db, { dir, dryRun: false, actor: 'bench' })).files;
    });
    const files = (['nodes', 'skus', 'bins'] as const).map((k) => ({
      path: join(dir, `${k}.csv`),
      columns: k === 'nodes' ? [...columnsOf(k).required, ...columnsOf(k).optional] : columnsOf(k).required,
    }));
    let copied = 0;
    const copyS = await seconds(async () => {
      copied = await copyCsvReference(db, files);
    });
    console.log(
      JSON.stringify({
        bench: 'import',
        ...rows,
        total_rows: rows.nodes + rows.skus + rows.bins,
        import_s: importS,
        rerun_unchanged_s: rerunS,
        copy_reference_s: copyS,
        copy_rows: copied,
        import_vs_copy: Math.round((importS / copyS) * 10) / 10,
        first: firstFiles,
        rerun: rerunFiles,
        ...machineInfo(),
        load_avg_1m_before: loadAvgBefore,
        load_avg_1m_after: loadAverage1m(),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (!o.keep) await deleteBenchNetwork(db, prefix);
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:import: ${(err as Error).message}`);
  process.exit(1);
});
