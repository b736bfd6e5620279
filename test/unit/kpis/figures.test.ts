// Figures of the KPI report as node-postgres hands them over: bigint and numeric columns arrive
// as decimal strings, float8 as numbers. Parsing must be exact for every safe integer and refuse
// anything that is not a finite number rather than put NaN into a report.
import { expect } from 'chai';
import fc from 'fast-check';
import { figureFromDb } from '../../../db/kpis';

describe('KPI figures from the database', () => {
  it('reads bigint strings exactly up to 2^53 - 1, far past the int4 range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }), (n) => {
        expect(figureFromDb('units', n.toString())).to.equal(Number(n));
      }),
    );
    expect(figureFromDb('units', '6442450941')).to.equal(3 * 2_147_483_647);
  });

  it('reads numeric strings and float8 numbers as they are', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(figureFromDb('hours', x)).to.equal(x);
        expect(figureFromDb('hours', String(x))).to.equal(x);
      }),
    );
  });

  it('refuses what is not a finite number, naming the figure', () => {
    const hostile = fc.oneof(
      fc.constantFrom<unknown>(
        null,
        undefined,
        '',
        ' 1',
        '0x10',
        '1_000',
        'NaN',
        'Infinity',
        '1e400',
        'abc',
        '\u0000',
        {},
        [],
        true,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ),
      fc.string().filter((s) => !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) || !Number.isFinite(Number(s))),
    );
    fc.assert(
      fc.property(hostile, (v) => {
        expect(() => figureFromDb('unitsCounted', v)).to.throw(/unitsCounted/);
      }),
    );
  });
});
