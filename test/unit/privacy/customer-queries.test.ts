// The personal-data routes' validators under hostile input: a reason must be clean text of
// 3-500 characters, ids the shared id pattern, access-log filters bounded; anything else is
// refused with the field named, never thrown past the validator.
import { expect } from 'chai';
import fc from 'fast-check';
import { accessLogQuery, customerParams, reasonQuery } from '../../../api/routes/customers';

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 600 }),
  fc.constantFrom(
    '',
    'ab',
    'a\u0000bc',
    '\uD800abc',
    'abc\uDFFF',
    'x'.repeat(501),
    '__proto__',
    'constructor',
    '1e400',
    '-1',
    '0x10',
    '../etc',
  ),
);

describe('personal-data route validators', () => {
  it('a reason is accepted exactly when it is 3-500 characters of clean text (property)', () => {
    fc.assert(
      fc.property(hostile, (reason) => {
        const r = reasonQuery.safeParse({ reason });
        const clean =
          !/\p{Cc}/u.test(reason) &&
          !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(reason);
        const chars = [...reason].length; // zod counts code points
        expect(r.success, JSON.stringify(reason)).to.equal(clean && chars >= 3 && chars <= 500);
        if (!r.success) expect(r.error.issues[0]!.path).to.deep.equal(['reason']);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a missing reason and unknown or prototype keys, naming them', () => {
    expect(reasonQuery.safeParse({}).error?.issues[0]?.path).to.deep.equal(['reason']);
    expect(reasonQuery.safeParse({ reason: 'fine reason', extra: '1' }).success).to.equal(false);
    expect(reasonQuery.safeParse(JSON.parse('{"reason":"fine reason","__proto__":{"x":1}}')).success).to.equal(false);
    expect(reasonQuery.safeParse({ reason: ['a', 'b', 'c'] }).error?.issues[0]?.path).to.deep.equal(['reason']);
  });

  it('a customer id is the shared id pattern, nothing else (property)', () => {
    fc.assert(
      fc.property(hostile, (customerId) => {
        expect(customerParams.safeParse({ customerId }).success).to.equal(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(customerId),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('access-log filters: bounded limit, real instants, entry ids, each refusal naming its field', () => {
    expect(accessLogQuery.parse({})).to.deep.equal({ limit: 100 });
    const bad: [Record<string, unknown>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: '1e400' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ from: '99999-01-01T00:00:00Z' }, 'from'],
      [{ to: '3000-01-01T00:00:00Z' }, 'to'],
      [{ from: '2026-13-01T00:00:00Z' }, 'from'],
      [{ before: '0' }, 'before'],
      [{ before: '99999999999999999999' }, 'before'],
      [{ before: '1 OR 1=1' }, 'before'],
      [{ customerId: '../x' }, 'customerId'],
      [{ actor: '' }, 'actor'],
      [{ actor: 'x'.repeat(201) }, 'actor'],
      [{ nope: '1' }, ''],
    ];
    for (const [q, field] of bad) {
      const r = accessLogQuery.safeParse(q);
      expect(r.success, JSON.stringify(q)).to.equal(false);
      if (field)
        expect(
          r.error!.issues.map((i) => i.path.join('.')),
          JSON.stringify(q),
        ).to.include(field);
    }
    fc.assert(
      fc.property(fc.record({ limit: hostile, before: hostile, from: hostile }, { requiredKeys: [] }), (q) => {
        const r = accessLogQuery.safeParse(q);
        if (r.success) {
          expect(r.data.limit).to.be.within(1, 1000);
          if (r.data.before !== undefined) expect(BigInt(r.data.before) < 2n ** 63n).to.equal(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
