// Property tests of the import's CSV row validation: hostile cells (NUL, lone surrogates, huge
// numbers, exponents), hostile headers (__proto__), invalid UTF-8 and ragged rows are reported
// with file, line and column and never become a row; valid rows always parse.
import { expect } from 'chai';
import fc from 'fast-check';
import { CODE_TABLES } from '../../../domain/masterdata/codes';
import { decodeUtf8, openingHoursCell, parseFile, referenceProblems } from '../../../domain/masterdata/csv';

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;
const binsCsv = (rows: string[][]) => ['node_id,bin,zone,pick_sequence', ...rows.map((r) => r.map(csvCell).join(','))].join('\n');
const hostileText = fc.oneof(fc.string().map((s) => `${s}\u0000`), fc.string().map((s) => `\uD800${s}`), fc.constantFrom(' ', '__proto__'));
const hostileNumber = fc.constantFrom('1e9', '0x10', '99999999999999999999999999999', 'Infinity', 'NaN', '-0.5', '1,5');
const hostileCell = fc.integer({ min: 0, max: 3 }).chain((col) => fc.tuple(fc.constant(col), col === 3 ? fc.oneof(hostileText, hostileNumber) : hostileText));

describe('import CSV validation (properties)', () => {
  it('valid bin rows always parse, with their line numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('n1', 'n2'), fc.constantFrom(...CODE_TABLES.zones), fc.nat(1_000_000)), { minLength: 1, maxLength: 20 }), (rows) => {
        const cells = rows.map(([n, z, seq], i) => [n, `B-${i}`, z, String(seq)]);
        const { rows: parsed, problems } = parseFile('bins', 'bins.csv', binsCsv(cells));
        expect(problems).to.deep.equal([]);
        expect(parsed.map((r) => r.line)).to.deep.equal(cells.map((_, i) => i + 2));
      }),
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
        const { rows, problems } = parseFile('bins', 'bins.csv', `node_id,bin,zone,pick_sequence,${extra}\nn1,A,chilled,1,x\n`);
        expect(rows).to.deep.equal([]);
        expect(problems.some((p) => p.line === 1)).to.equal(true);
      }),
    );
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('invalid UTF-8 is reported on its line, never replaced', () => {
    const bytes = Buffer.concat([Buffer.from('node_id,bin,zone,pick_sequence\nn1,A,chilled,1\nn1,'), Buffer.from([0xc3, 0x28]), Buffer.from(',chilled,2\n')]);
    expect(decodeUtf8('bins.csv', bytes)).to.deep.equal({ problem: { file: 'bins.csv', line: 3, column: '(line)', reason: 'not valid UTF-8' } });
  });

  it('ragged rows, repeated keys and broken quoting are reported', () => {
    const r = parseFile('bins', 'bins.csv', 'node_id,bin,zone,pick_sequence\nn1,A,chilled\nn1,B,chilled,1\nn1,B,chilled,2\n');
    expect(r.problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(['2:(row)', '4:node_id+bin']);
    expect(parseFile('bins', 'bins.csv', 'node_id,bin,zone,pick_sequence\n"n1,A,chilled,1\n').problems[0]!.column).to.equal('(file)');
  });

  it('opening hours: ranges and * expand to days; anything else is refused by the node schema', () => {
    expect(openingHoursCell('mon-tue=07:00-22:00')).to.deep.equal({ mon: [{ open: '07:00', close: '22:00' }], tue: [{ open: '07:00', close: '22:00' }] });
    expect(Object.keys(openingHoursCell('*=08:00-20:00') as object)).to.have.length(7);
    const n = parseFile('nodes', 'nodes.csv', 'node_id,kind,name,lat,lng,service_radius_km,zones,opening_hours\nn1,front,N,31,121,3,chilled,fri-mon=07:00-22:00\n');
    expect(n.problems.map((p) => p.column)).to.deep.equal(['opening_hours']);
  });

  it('references: what the files define counts, the database fills in the rest', () => {
    const bins = parseFile('bins', 'bins.csv', 'node_id,bin,zone,pick_sequence\nn-db,A,frozen,1\nn-new,A,chilled,1\n').rows;
    const problems = referenceProblems({ nodes: [], skus: [], bins, assets: [], sensors: [] }, { nodeZones: new Map([['n-db', ['chilled']]]), assets: new Set(), customBands: new Set() }, (k) => `${k}.csv`);
    expect(problems.map((p) => `${p.line}:${p.column}`)).to.deep.equal(['2:zone', '3:node_id']);
  });
});
