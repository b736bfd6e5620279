// The demo city's import files (issue 14): what the demo writes is what the import reads back
// (any cell text survives the CSV quoting), every file passes the import's own validation, and
// every delivered lot keeps at least the SKU's minimum remaining shelf life, so receiving
// refuses none of them.
import { expect } from 'chai';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { isoDateToEpochDay } from '../../domain/orders';
import { generateCity } from '../../demo';
import { IMPORT_FILES, parseFile, referenceProblems } from '../../domain/masterdata/csv';
import type { FileKind, ParsedRows } from '../../domain/masterdata/csv';
import { cityCsvFiles, dailyDelivery, probeTempFor, toCsv } from '../../demo/network';
import { prefixCity } from '../../demo/seed';

describe('Demo city as import files', () => {
  it('round-trips any cell text through the CSV it writes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ unit: 'binary' }), fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }))),
          { minLength: 1, maxLength: 8 },
        ),
        (cells) => {
          const text = toCsv(
            ['a', 'b'],
            cells.map(([a, b]) => ({ a, b })),
          );
          const back = parse(text, { relax_column_count: false }) as string[][];
          expect(back).to.deep.equal([['a', 'b'], ...cells.map(([a, b]) => [a, String(b)])]);
        },
      ),
    );
  });

  it('writes files the import accepts, for any day and city size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: isoDateToEpochDay('2000-01-01'), max: isoDateToEpochDay('2099-06-01') }),
        (seed, epochDay) => {
          const day = new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
          const city = prefixCity(
            generateCity(seed, { frontWarehouses: 2, storeWarehouses: 1, skus: 25, baseDate: day }),
            'demo-',
          );
          const files = cityCsvFiles(city, day);
          const rows = {} as ParsedRows;
          for (const kind of IMPORT_FILES.filter((k): k is Exclude<FileKind, 'sales'> => k !== 'sales')) {
            const parsed = parseFile(kind, `${kind}.csv`, files[`${kind}.csv`]!);
            expect(parsed.problems, `${kind}.csv`).to.deep.equal([]);
            (rows[kind] as unknown) = parsed.rows;
          }
          rows.sales = [];
          const none = {
            nodeZones: new Map(),
            assets: new Set<string>(),
            customBands: new Set<string>(),
            skuZones: new Map(),
            binZones: new Map(),
          };
          expect(referenceProblems(rows, none, (k) => `${k}.csv`)).to.deep.equal([]);
          expect(rows.lots).to.have.length(city.lots.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('delivers every lot with at least the minimum remaining shelf life plus a day', () => {
    const day = '2026-12-05';
    const city = generateCity(2026, { frontWarehouses: 6, storeWarehouses: 2, skus: 120, baseDate: day });
    const min = new Map(city.skus.map((s) => [s.sku, s.minShelfLifeDays]));
    for (const l of dailyDelivery(city, day))
      expect(isoDateToEpochDay(l.expiresOn) - isoDateToEpochDay(day)).to.be.at.least(min.get(l.sku)! + 1);
  });

  it('takes a probe reading inside each built-in band', () => {
    expect(probeTempFor('frozen')).to.be.at.most(-18);
    expect(probeTempFor('chilled')).to.be.within(0, 4);
    expect(probeTempFor('leafy')).to.be.within(0, 2);
    expect(probeTempFor('no-such-band')).to.equal(undefined);
  });
});
