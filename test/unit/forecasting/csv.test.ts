import { expect } from 'chai';
import { parseCsv } from '../../../forecasting/csv';

describe('CSV parser', () => {
  it('handles quoted fields with commas, escaped quotes and CRLF', () => {
    const rows = parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\r\n2,,3\r\n');
    expect(rows).to.deep.equal([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', '', '3'],
    ]);
  });

  it('keeps a last line without newline and newlines inside quotes', () => {
    expect(parseCsv('a\n"1\n2"')).to.deep.equal([['a'], ['1\n2']]);
  });

  it('fails on an unterminated quote', () => {
    expect(() => parseCsv('a\n"oops')).to.throw(/quoted field/);
  });
});
