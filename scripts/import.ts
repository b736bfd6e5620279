// `npm run import -- --dir DIR [--dry-run]`: load a grocer's network from nodes.csv, skus.csv,
// bins.csv, assets.csv and sensors.csv, its stock from lots.csv (through receiving, as a receipt
// per node, supplier and time) and past sales from sales.csv (docs/network.md). Every row is validated by the same
// schemas as the API and every reference checked (against the files and the database) first;
// any problem is reported as file:line:column: reason and nothing is written. Otherwise each
// file is written in one transaction (all or nothing) through the API's audited upserts, so a
// re-run changes nothing.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from '../config';
import { createDb } from '../db/pool';
import type { Db } from '../db/pool';
import * as md from '../db/masterdata';
import type { UpsertResult } from '../db/masterdata';
import * as receiving from '../db/receiving';
import {
  decodeUtf8,
  IMPORT_FILES,
  lotReceipts,
  parseFile,
  referencedIds,
  referenceProblems,
} from '../domain/masterdata/csv';
import type { FileKind, ImportProblem, ParsedRows } from '../domain/masterdata/csv';

/** What one file did (or, in a dry run, holds). */
export interface FileSummary {
  file: string;
  rows: number;
  created: number;
  changed: number;
  unchanged: number;
  refused?: number;
}
export interface ImportReport {
  dryRun: boolean;
  problems: ImportProblem[];
  files: FileSummary[];
}

const fileName = (kind: FileKind) => `${kind}.csv`;

/** Read and validate every file of `dir` that exists (at least one must). */
async function validate(
  db: Db,
  dir: string,
): Promise<{ rows: ParsedRows; present: FileKind[]; problems: ImportProblem[]; lotsDigest: string }> {
  const rows: ParsedRows = { nodes: [], skus: [], bins: [], assets: [], sensors: [], lots: [], sales: [] };
  let lotsDigest = '';
  const problems: ImportProblem[] = [];
  const present = IMPORT_FILES.filter((k) => existsSync(join(dir, fileName(k))));
  if (present.length === 0)
    problems.push({
      file: dir,
      line: 0,
      column: '(dir)',
      reason: `none of ${IMPORT_FILES.map(fileName).join(', ')} found`,
    });
  for (const kind of present) {
    const bytes = readFileSync(join(dir, fileName(kind)));
    if (kind === 'lots') lotsDigest = createHash('sha256').update(bytes).digest('hex');
    const decoded = decodeUtf8(fileName(kind), bytes);
    if ('problem' in decoded) {
      problems.push(decoded.problem);
      continue;
    }
    const parsed = parseFile(kind, fileName(kind), decoded.text);
    (rows[kind] as unknown[]) = parsed.rows;
    problems.push(...parsed.problems);
  }
  const ids = referencedIds(rows);
  const [nodeZones, assets, customBands, skuZones, binZones] = await Promise.all([
    md.nodeZones(db, ids.nodes),
    md.existingIds(db, 'asset', ids.assets),
    md.customBands(db, ids.bands),
    receiving.skuZones(db, ids.skus),
    receiving.binZones(db, ids.bins),
  ]);
  problems.push(...referenceProblems(rows, { nodeZones, assets, customBands, skuZones, binZones }, fileName));
  problems.sort(
    (a, b) =>
      IMPORT_FILES.indexOf(a.file.replace(/\.csv$/, '') as FileKind) -
        IMPORT_FILES.indexOf(b.file.replace(/\.csv$/, '') as FileKind) || a.line - b.line,
  );
  return { rows, present, problems, lotsDigest };
}

/** Write one file's rows in one transaction; a refused row (a reference gone meanwhile) rolls the file back. */
async function writeFile(db: Db, kind: FileKind, rows: ParsedRows, actor: string): Promise<FileSummary> {
  const summary: FileSummary = { file: fileName(kind), rows: 0, created: 0, changed: 0, unchanged: 0 };
  await db.transaction(async (c) => {
    const each = async <R extends { line: number }>(
      list: readonly R[],
      put: (r: R) => Promise<UpsertResult<unknown>>,
    ) => {
      for (const r of list) {
        const result = await put(r);
        if (result.outcome === 'refused')
          throw new Error(
            `${fileName(kind)}:${r.line}: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          );
        summary.rows++;
        summary[result.outcome]++;
      }
    };
    if (kind === 'nodes') await each(rows.nodes, (r) => md.putNode(c, r.nodeId, r.body, actor));
    // SKUs and bins come by the ten thousand: written in batches (one statement per step each).
    const batched = async <R extends { line: number }>(
      list: readonly R[],
      put: (batch: readonly R[]) => Promise<md.BatchResult>,
    ) => {
      for (let i = 0; i < list.length; i += IMPORT_BATCH) {
        const batch = list.slice(i, i + IMPORT_BATCH);
        const result = await put(batch);
        const refused = result.refused[0];
        if (refused)
          throw new Error(
            `${fileName(kind)}:${batch[refused.index]!.line}: ${refused.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          );
        summary.rows += batch.length;
        summary.created += result.created;
        summary.changed += result.changed;
        summary.unchanged += result.unchanged;
      }
    };
    if (kind === 'skus') await batched(rows.skus, (b) => md.putSkus(c, b, actor));
    if (kind === 'bins') await batched(rows.bins, (b) => md.putBins(c, b, actor));
    if (kind === 'assets') await each(rows.assets, (r) => md.putAsset(c, r.assetId, r.body, actor));
    if (kind === 'sensors') await each(rows.sensors, (r) => md.putSensor(c, r.sensorId, r.body, actor));
  });
  return summary;
}

/** lots.csv through the receiving path, a receipt per node, supplier and time, all in one transaction. */
async function receiveLots(db: Db, rows: ParsedRows['lots'], digest: string, actor: string): Promise<FileSummary> {
  const summary: FileSummary = {
    file: fileName('lots'),
    rows: rows.length,
    created: 0,
    changed: 0,
    unchanged: 0,
    refused: 0,
  };
  await db.transaction(async (c) => {
    for (const g of lotReceipts(rows, digest)) {
      const body = {
        receiptId: g.receiptId,
        kind: 'supplier' as const,
        nodeId: g.nodeId,
        supplierId: g.supplierId,
        receivedAt: g.receivedAt,
        lines: g.rows.map((r) => r.body.line),
      };
      const result = await receiving.receive(c, body, actor);
      const where = (path: string) => g.rows[Number(/^lines\.(\d+)/.exec(path)?.[1] ?? 0)]!.line;
      if (result.outcome === 'refused')
        throw new Error(
          result.problems.map((p) => `${fileName('lots')}:${where(p.path)}: ${p.path}: ${p.message}`).join('; '),
        );
      if (result.outcome === 'conflict')
        throw new Error(
          `${fileName('lots')}: receipt ${g.receiptId} was received with a different ${result.fields.join(', ')}`,
        );
      for (const l of result.receipt.lines) {
        if (result.outcome === 'unchanged') summary.unchanged++;
        else if (l.status === 'accepted') summary.created++;
        else summary.refused!++;
      }
    }
  });
  return summary;
}

/** sales.csv into the past-sales table, in batches, in one transaction; a line id stored with other content rolls it back. */
async function importSalesFile(db: Db, rows: ParsedRows['sales']): Promise<FileSummary> {
  const summary: FileSummary = { file: fileName('sales'), rows: rows.length, created: 0, changed: 0, unchanged: 0 };
  await db.transaction(async (c) => {
    for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
      const batch = rows.slice(i, i + IMPORT_BATCH);
      const r = await receiving.importSales(
        c,
        batch.map((s) => ({ lineId: s.lineId, ...s.body })),
      );
      if (r.conflicts.length)
        throw new Error(
          `${fileName('sales')}: line ids already imported with other content: ${r.conflicts.slice(0, 10).join(', ')}`,
        );
      summary.created += r.created;
      summary.unchanged += r.unchanged;
    }
  });
  return summary;
}

/** Rows per statement of a batched write. */
const IMPORT_BATCH = 5000;

/** Validate `dir`, and unless it is a dry run or something is wrong, load it file by file. */
export async function runImport(db: Db, opts: { dir: string; dryRun: boolean; actor: string }): Promise<ImportReport> {
  const { rows, present, problems, lotsDigest } = await validate(db, opts.dir);
  if (opts.dryRun || problems.length) {
    return {
      dryRun: opts.dryRun,
      problems,
      files: present.map((k) => ({ file: fileName(k), rows: rows[k].length, created: 0, changed: 0, unchanged: 0 })),
    };
  }
  const files: FileSummary[] = [];
  for (const kind of present) {
    if (kind === 'lots') files.push(await receiveLots(db, rows.lots, lotsDigest, opts.actor));
    else if (kind === 'sales') files.push(await importSalesFile(db, rows.sales));
    else files.push(await writeFile(db, kind, rows, opts.actor));
  }
  return { dryRun: false, problems: [], files };
}

function parseArgs(argv: readonly string[]): { dir: string; dryRun: boolean } {
  let dir: string | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dry-run') dryRun = true;
    else if (argv[i] === '--dir' && argv[i + 1] !== undefined) dir = argv[++i];
    else throw new Error(`unexpected argument ${argv[i]}; usage: --dir DIR [--dry-run]`);
  }
  if (!dir) throw new Error('--dir DIR is required');
  return { dir, dryRun };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = config();
  const db = createDb({ connectionString: cfg.db.connectionString, max: 2, applicationName: 'freshchain-import' });
  try {
    const report = await runImport(db, { ...args, actor: `import:${process.env.USER ?? 'cli'}` });
    for (const p of report.problems) console.error(`${p.file}:${p.line}:${p.column}: ${p.reason}`);
    for (const f of report.files) console.log(JSON.stringify({ dryRun: report.dryRun, ...f }));
    if (report.problems.length) {
      console.error(`import: ${report.problems.length} problem(s); nothing written`);
      process.exitCode = 1;
    }
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`import: ${(err as Error).message}`);
    process.exit(2);
  });
}
