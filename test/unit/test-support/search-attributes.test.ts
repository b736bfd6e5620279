import { expect } from 'chai';
import fc from 'fast-check';
import { temporal } from '@temporalio/proto';
import { declaredSearchAttributes } from '../../support/provision';
import { ALL_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';

const TYPES = ['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];

describe('search attributes a suite namespace registers (test/support/provision)', () => {
  it('are the ones the workflows declare, read from the file the shared stack registers', () => {
    expect(Object.keys(declaredSearchAttributes()).sort()).to.deep.equal(
      ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort(),
    );
  });

  it('reads NAME=Type lines, skipping blanks and comments', () => {
    const parsed = declaredSearchAttributes('# c\n\nOrderId=Keyword\n  SlaDeadline=Datetime  \n');
    expect(parsed).to.deep.equal({
      OrderId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      SlaDeadline: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    });
  });

  it('refuses an inherited key as a type, a name that is not one, and a second =', () => {
    for (const line of [
      'A=__proto__',
      'A=constructor',
      '__proto__=Keyword',
      '1A=Bool',
      'A=Keyword=x',
      'A=keyword',
      'A\u0000=Bool',
    ]) {
      expect(() => declaredSearchAttributes(line), line).to.throw(/as NAME=Type/);
    }
  });

  it('refuses any other line, naming it, and never takes an inherited key for a type', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        'A=__proto__',
        'A=constructor',
        'A=toString',
        '=Keyword',
        'A',
        'A=keyword',
        'A=Keyword=x',
        'A\u0000=Bool',
      ),
    );
    fc.assert(
      fc.property(hostile, (line) => {
        let parsed: Record<string, unknown>;
        try {
          parsed = declaredSearchAttributes(line);
        } catch (err) {
          expect((err as Error).message).to.match(/cannot read '.*' as NAME=Type$/s);
          return;
        }
        // Accepted: only blanks, comments and well-formed NAME=Type lines of a known type.
        const lines = line
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'));
        for (const l of lines) {
          const [name, type] = l.split('=');
          expect(name, l).to.match(/^[A-Za-z][A-Za-z0-9_]*$/);
          expect(TYPES, l).to.include(type);
          expect(Object.hasOwn(parsed, name!), l).to.equal(true);
        }
        expect(Object.getPrototypeOf(parsed)).to.equal(Object.prototype);
      }),
    );
  });
});
