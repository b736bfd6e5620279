// Property tests of the import's CSV row validation: hostile cells (NUL, lone surrogates, huge
// numbers, exponents), hostile headers (__proto__), invalid UTF-8 and ragged rows are reported
// with file, line and column and never become a row; valid rows always parse.
import { expect } from 'chai';
import fc from 'fast-check';
import { CODE_TABLES } from '../../../domain/masterdata/codes';
import {
  decodeUtf8,
  lotReceipts,
  openingHoursCell,
  parseFile,
  referenceProblems,
} from '../../../domain/masterdata/csv';

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;
const binsCsv = (rows: string[][]) =>
  ['node_id,bin,zone,pick_sequence', ...rows.map((r) => r.map(csvCell).join(','))].join('\n');
const hostileText = fc.oneof(
  fc.string().map((s) => `${s}\u0000`),
  fc.string().map((s) => `\uD800${s}`),
  fc.constantFrom(' ', '__proto__'),
);
const hostileNumber = fc.constantFrom('1e9', '0x10', '99999999999999999999999999999', 'Infinity', 'NaN', '-0.5', '1,5');
const hostileCell = fc
  .integer({ min: 0, max: 3 })
  .chain((col) => fc.tuple(fc.constant(col), col === 3 ? fc.oneof(hostileText, hostileNumber) : hostileText));

describe('import CSV validation (properties)', () => {
  it('valid bin rows always parse, with their line numbers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('n1', 'n2'), fc.constantFrom(...CODE_TABLES.zones), fc.nat(1_000_000)), {
          minLength: 1,
          maxLength: 20,
        }),
        (rows) => {
          const cells = rows.map(([n, z, seq], i) => [n, `B-${i}`, z, String(seq)]);
          const { rows: parsed, problems } = parseFile('bins', 'bins.csv', binsCsv(cells));
          expect(problems).to.deep.equal([]);
          expect(parsed.map((r) => r.line)).to.deep.equal(cells.map((_, i) => i + 2));
        },
      ),
    );
  });

  it('a hostile cell in any column is reported on its line and column, and the row is dropped', () => {
    fc.assert(
      fc.property(hostileCell, ([col, bad]) => {
        const row = ['n1', 'A-01-1', 'chilled', '5'];
        row[col] = bad;
        const { rows, problems } = parseFile('bins', 'bins.csv', binsCsv([row]));
        expect(rows).to.deep.equal([]);
        expect(problems.length).to.be.greaterThan(0);
        expect(problems[0]!.line).to.equal(2);
        expect(problems.map((p) => p.column)).to.include(['node_id', 'bin', 'zone', 'pick_sequence'][col]);
      }),
    );
  });

  it('headers: __proto__, unknown or repeated columns are refused on line 1 and no row is read', () => {
    fc.assert(
      fc.property(fc.constantFrom('__proto__', 'constructor', 'prototype', 'zone ', 'toString'), (extra) => {
        const { rows, problems } = parseFile(
          'bins',
          'bins.csv',
          `node_id,bin,zone,pick_sequence,${extra}\nn1,A,chilled,1,x\n`,
        );
        expect(rows).to.deep.equal([]);
        expect(problems.some((p) => p.line === 1)).to.equal(true);
      }),
    );
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('invalid UTF-8 is reported on its line, never replaced', () => {
    const bytes = Buffer.concat([
      Buffer.from('node_id,bin,zone,pick_sequence\nn1,A,chilled,1\nn1,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(',chilled,2\n'),
    ]);
    expect(decodeUtf8('bins.csv', bytes)).to.deep.equal({
      problem: { file: 'bins.csv', line: 3, column: '(line)', reason: 'not valid UTF-8' },
    });
  });

  it('ragged rows, repeated keys and broken quoting are reported', () => {
    const r = parseFile(
      'bins',
      'bins.csv',
      'node_id,bin,zone,pick_sequence\nn1,A,chilled\nn1,B,chilled,1\nn1,B,chilled,2\n',
    );
    expect(r.problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(['2:(row)', '4:node_id+bin']);
    expect(
      parseFile('bins', 'bins.csv', 'node_id,bin,zone,pick_sequence\n"n1,A,chilled,1\n').problems[0]!.column,
    ).to.equal('(file)');
  });

  it('opening hours: ranges and * expand to days; anything else is refused by the node schema', () => {
    expect(openingHoursCell('mon-tue=07:00-22:00')).to.deep.equal({
      mon: [{ open: '07:00', close: '22:00' }],
      tue: [{ open: '07:00', close: '22:00' }],
    });
    expect(Object.keys(openingHoursCell('*=08:00-20:00') as object)).to.have.length(7);
    const n = parseFile(
      'nodes',
      'nodes.csv',
      'node_id,kind,name,lat,lng,service_radius_km,zones,opening_hours\nn1,front,N,31,121,3,chilled,fri-mon=07:00-22:00\n',
    );
    expect(n.problems.map((p) => p.column)).to.deep.equal(['opening_hours']);
  });

  it('references: what the files define counts, the database fills in the rest', () => {
    const bins = parseFile(
      'bins',
      'bins.csv',
      'node_id,bin,zone,pick_sequence\nn-db,A,frozen,1\nn-new,A,chilled,1\n',
    ).rows;
    const problems = referenceProblems(
      { nodes: [], skus: [], bins, assets: [], sensors: [], lots: [], sales: [] },
      {
        nodeZones: new Map([['n-db', ['chilled']]]),
        assets: new Set(),
        customBands: new Set(),
        skuZones: new Map(),
        binZones: new Map(),
      },
      (k) => `${k}.csv`,
    );
    expect(problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(['2:zone', '3:node_id']);
  });

  const LOTS_HEADER = 'node_id,supplier_id,received_at,sku,quantity,lot_code,bin,expires_on,produced_on,probe_temp_c';
  const lotsCsv = (rows: string[][]) => [LOTS_HEADER, ...rows.map((r) => r.map(csvCell).join(','))].join('\n');
  const lot = ['n1', 'sup-1', '2026-03-01T08:00:00Z', 'MILK', '12', 'L-1', 'C-1', '2026-03-10', '', '3.5'];

  it('lots.csv: a good row parses into a receipt line; hostile cells are reported by column and never become a row', () => {
    const ok = parseFile('lots', 'lots.csv', lotsCsv([lot]));
    expect(ok.problems).to.deep.equal([]);
    expect(ok.rows[0]!.body).to.deep.include({ nodeId: 'n1', supplierId: 'sup-1' });
    expect(ok.rows[0]!.body.line).to.deep.include({ sku: 'MILK', quantity: 12, lotCode: 'L-1', probeTempC: 3.5 });
    const columns = [3, 4, 5, 7, 9, 2];
    // Ids get hostile text; the lot code (free text: a lone surrogate reaches it as U+FFFD, as
    // from any file on disk) NUL or too long; numbers, dates and times hostile numbers and far or impossible dates.
    const lotCode = fc.oneof(
      fc.string().map((x) => `${x}\u0000`),
      fc.constant('L'.repeat(65)),
    );
    fc.assert(
      fc.property(
        fc
          .constantFrom(...columns)
          .chain((col) =>
            fc.tuple(
              fc.constant(col),
              col === 5
                ? lotCode
                : col === 3
                  ? hostileText
                  : col === 9
                    ? fc.constantFrom('1e9', '0x10', 'Infinity', 'NaN', '1,5', '99999', '-273.2')
                    : fc.oneof(hostileText, hostileNumber, fc.constantFrom('9999-01-01', '2026-02-30', '1e400')),
            ),
          ),
        ([col, v]) => {
          const row = [...lot];
          row[col] = v;
          const { rows, problems } = parseFile('lots', 'lots.csv', lotsCsv([row]));
          expect(rows).to.deep.equal([]);
          expect(problems.map((p) => p.column)).to.include(LOTS_HEADER.split(',')[col]);
        },
      ),
    );
    const both = parseFile('lots', 'lots.csv', lotsCsv([[...lot.slice(0, 8), '2026-03-01', '3']]));
    expect(both.problems.map((p) => p.column)).to.deep.equal(['expires_on']);
  });

  it('lots.csv references: unknown node, SKU and bin, a bin in another zone, a chilled line with no temperature', () => {
    const { rows } = parseFile(
      'lots',
      'lots.csv',
      lotsCsv([
        lot,
        ['n9', ...lot.slice(1, 3), 'NOPE', '1', 'L-2', 'X-9', '2026-03-10', '', ''],
        [...lot.slice(0, 5), 'L-3', 'A-1', '2026-03-10', '', ''],
      ]),
    );
    const db = {
      nodeZones: new Map([['n1', ['chilled', 'ambient']]]),
      assets: new Set<string>(),
      customBands: new Set<string>(),
      skuZones: new Map([['MILK', 'chilled']]),
      binZones: new Map([
        ['n1/C-1', 'chilled'],
        ['n1/A-1', 'ambient'],
      ]),
    };
    const problems = referenceProblems(
      { nodes: [], skus: [], bins: [], assets: [], sensors: [], lots: rows, sales: [] },
      db,
      (k) => `${k}.csv`,
    );
    expect(problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal([
      '3:node_id',
      '3:sku',
      '3:bin',
      '4:bin',
      '4:probe_temp_c',
    ]);
  });

  it('lots.csv: a receipt per node, supplier and time, with ids from the file digest (a re-run repeats them)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('n1', 'n2'), fc.constantFrom('s1', 's2')), { minLength: 1, maxLength: 30 }),
        (keys) => {
          const { rows } = parseFile(
            'lots',
            'lots.csv',
            lotsCsv(keys.map(([n, sup], i) => [n, sup, lot[2]!, 'MILK', '1', `L-${i}`, 'C-1', '2026-03-10', '', '3'])),
          );
          const receipts = lotReceipts(rows, 'ab'.repeat(32));
          expect(receipts).to.have.length(new Set(keys.map((k) => k.join())).size);
          expect(receipts.flatMap((r) => r.rows)).to.have.length(keys.length);
          for (const r of receipts)
            expect(r.rows.every((x) => x.body.nodeId === r.nodeId && x.body.supplierId === r.supplierId)).to.equal(
              true,
            );
          expect(lotReceipts(rows, 'ab'.repeat(32))).to.deep.equal(receipts);
        },
      ),
    );
  });

  it('sales.csv: a date alone is the start of the day; line ids repeat nowhere; hostile quantities are refused', () => {
    const { rows, problems } = parseFile(
      'sales',
      'sales.csv',
      'line_id,node_id,sku,sold_at,quantity\npos-1,n1,MILK,2026-03-01,3\npos-2,n1,MILK,2026-03-01T10:15:00+08:00,1\npos-1,n1,MILK,2026-03-02,3\npos-3,n1,MILK,2026-03-01,1e9\n',
    );
    expect(rows.map((r) => [r.lineId, r.body.soldAt, r.body.quantity])).to.deep.equal([
      ['pos-1', '2026-03-01T00:00:00Z', 3],
      ['pos-2', '2026-03-01T10:15:00+08:00', 1],
    ]);
    expect(problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(['4:line_id', '5:quantity']);
  });
});
