// The bulk import on the real stack (issue 14): the documented example set passes a dry run;
// a good set (unique ids) loads, and a re-run changes nothing; a bad set reports every bad row
// with file, line and column and writes nothing, dry run or not; a dry run never writes.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Db } from '../../db/pool';
import { runImport } from '../../scripts/import';
import { requireDb, uniqueId } from '../support/stack';

const EXAMPLE = join(__dirname, '../../docs/example-network');

/** The example set with every id made unique (prefix `ex-` → `<tag>-`, GTINs dropped: they are unique per SKU). */
function uniqueExample(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-import-'));
  for (const f of readdirSync(EXAMPLE)) {
    let text = readFileSync(join(EXAMPLE, f), 'utf8').replace(/\bex-/g, `${tag}-`);
    if (f === 'skus.csv') text = text.replace(/,69\d{11},/g, ',,');
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('Master data import (integration)', function () {
  this.timeout(30_000);
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });
  const count = async (table: string, col: string, prefix: string) =>
    Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${col} LIKE $1`, [`${prefix}-%`]))[0]!.n,
    );

  it('accepts the documented example set in a dry run', async () => {
    const report = await runImport(db, { dir: EXAMPLE, dryRun: true, actor: 'test' });
    expect(report.problems).to.deep.equal([]);
    expect(report.files.map((f) => f.file)).to.deep.equal([
      'nodes.csv',
      'skus.csv',
      'bins.csv',
      'assets.csv',
      'sensors.csv',
      'lots.csv',
      'sales.csv',
    ]);
  });

  it('a dry run writes nothing; a real run loads every file; a re-run changes nothing', async () => {
    const tag = uniqueId('imp');
    const dir = uniqueExample(tag);
    await runImport(db, { dir, dryRun: true, actor: 'test' });
    expect(await count('nodes', 'id', tag)).to.equal(0);
    const first = await runImport(db, { dir, dryRun: false, actor: 'import:test' });
    expect(first.problems).to.deep.equal([]);
    expect(first.files.map((f) => [f.file, f.created])).to.deep.equal([
      ['nodes.csv', 2],
      ['skus.csv', 8],
      ['bins.csv', 7],
      ['assets.csv', 5],
      ['sensors.csv', 6],
      ['lots.csv', 8],
      ['sales.csv', 4],
    ]);
    expect(await count('sensors', 'id', tag)).to.equal(6);
    const audit = await db.query<{ actor: string }>(
      `SELECT actor FROM master_data_audit WHERE entity = 'node' AND entity_id LIKE $1`,
      [`${tag}-%`],
    );
    expect(audit.map((a) => a.actor)).to.deep.equal(['import:test', 'import:test']);
    const again = await runImport(db, { dir, dryRun: false, actor: 'import:test' });
    expect(again.files.every((f) => f.created === 0 && f.changed === 0 && f.unchanged === f.rows)).to.equal(true);
  });

  it('reports every bad row (file, line, column, reason) and writes nothing, even the good files', async () => {
    const tag = uniqueId('imb');
    const dir = uniqueExample(tag);
    const nodes = readFileSync(join(dir, 'nodes.csv'), 'utf8');
    writeFileSync(join(dir, 'nodes.csv'), `${nodes}${tag}-bad,warehouse,Bad,91,121,3,chilled,,\n`);
    writeFileSync(
      join(dir, 'bins.csv'),
      `node_id,bin,zone,pick_sequence\n${tag}-store-xuhui,F-01-1,frozen,1\n${tag}-nowhere,A-01-1,ambient,1\n${tag}-front-jingan,A-01-1,ambient,1e9\n`,
    );
    writeFileSync(
      join(dir, 'sensors.csv'),
      `sensor_id,asset_id,active\n${tag}-s1,${tag}-no-asset,true\n${tag}-s2,${tag}-van-01,maybe\n`,
    );
    for (const dryRun of [true, false]) {
      const report = await runImport(db, { dir, dryRun, actor: 'test' });
      const found = report.problems.map((p) => `${p.file}:${p.line}:${p.column}`);
      expect(found).to.include.members([
        'nodes.csv:4:kind',
        'nodes.csv:4:lat',
        'bins.csv:2:zone',
        'bins.csv:3:node_id',
        'bins.csv:4:pick_sequence',
        'sensors.csv:2:asset_id',
        'sensors.csv:3:active',
      ]);
      expect(await count('nodes', 'id', tag)).to.equal(0);
      expect(await count('skus', 'sku', tag)).to.equal(0);
    }
  });

  it('refuses a header with unknown, repeated or missing columns (a __proto__ header included)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-import-'));
    writeFileSync(join(dir, 'assets.csv'), 'asset_id,__proto__,kind,kind\nx,y,fridge,fridge\n');
    const report = await runImport(db, { dir, dryRun: false, actor: 'test' });
    expect(report.problems.map((p) => `${p.line}:${p.column}`)).to.include.members([
      '1:__proto__',
      '1:kind',
      '1:node_id',
      '1:band',
    ]);
  });
});
