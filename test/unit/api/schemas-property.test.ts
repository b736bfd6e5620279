// Properties of the validators this layer owns, on hostile input: the one id pattern, the
// fulfilment id, the strict request bodies (an unknown key, `__proto__` included, is refused
// and named), the error-code catalogue and the typed database conflicts.
import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../../api/errors';
import { ERROR_CODE_LIST, ERROR_CODES, isErrorCode } from '../../../api/error-codes';
import { codecOperations } from '../../../api/routes/codec';
import { adjustmentSchema, cancelBodySchema, courierEventSchema } from '../../../api/routes/orders';
import { conflictsAsTyped, DbConflict } from '../../../db/errors';
import { FULFILMENT_ID_PATTERN, fulfilmentIdSchema, ID_PATTERN, idSchema } from '../../../domain/ids';

const hostile = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string(),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'a\udfffb',
    '__proto__',
    'constructor',
    '',
    ' ',
    'a'.repeat(65),
    'a/b',
    'a:b',
  ),
  fc.string({ minLength: 60, maxLength: 70, unit: fc.constantFrom('a', '.', '-', '_', '\u0000') }),
);
const validId = fc.stringMatching(ID_PATTERN);

describe('API validators (properties)', () => {
  it('accepts an id exactly when it matches the one id pattern, and never NUL, a lone surrogate or 65 characters', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, validId), (s) => {
        const ok = idSchema().safeParse(s).success;
        expect(ok).to.equal(ID_PATTERN.test(s));
        if (s.includes('\u0000') || /[\ud800-\udfff]/.test(s) || s.length > 64) expect(ok).to.equal(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the kind of id in a refusal when asked to', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const r = idSchema('a node id').safeParse(s);
        if (!r.success) expect(r.error.issues[0]!.message).to.match(/^must be a node id: 1-64 letters/);
      }),
    );
  });

  it('accepts order-<id>-f<n> as a fulfilment id, and nothing hostile', () => {
    fc.assert(
      fc.property(validId, fc.integer({ min: 0, max: 9999 }), (id, n) => {
        expect(fulfilmentIdSchema().safeParse(`order-${id}-f${n}`).success).to.equal(true);
      }),
    );
    fc.assert(
      fc.property(hostile, (s) => {
        expect(fulfilmentIdSchema().safeParse(s).success).to.equal(FULFILMENT_ID_PATTERN.test(s));
        expect(fulfilmentIdSchema().safeParse(`order-x-f1${s}`).success).to.equal(
          FULFILMENT_ID_PATTERN.test(`order-x-f1${s}`),
        );
      }),
    );
  });

  it('refuses an unknown key in a strict body, __proto__ included, and names it', () => {
    const valid: [string, unknown][] = [
      ['cancel', { reason: 'customer asked' }],
      ['adjustment', { adjustmentId: 'a1', lotId: 'l1', kind: 'count', qty: 3 }],
      ['courier', { type: 'delivered', fulfilmentId: 'order-o1-f1' }],
      ['codec', { payloads: [] }],
    ];
    const schemas = {
      cancel: cancelBodySchema,
      adjustment: adjustmentSchema,
      courier: courierEventSchema,
      codec: codecOperations[0]!.body!,
    } as const;
    for (const [name, body] of valid)
      expect(schemas[name as keyof typeof schemas].safeParse(body).success, name).to.equal(true);
    const extraKey = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.constantFrom('__proto__', 'constructor', 'toString', 'a\u0000'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), extraKey, fc.jsonValue(), ([name, body], key, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(body, key));
        // JSON.parse makes __proto__ an own key, as the body parser does.
        const text = `{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(body).slice(1)}`;
        const sent = JSON.parse(text) as unknown;
        const r = schemas[name as keyof typeof schemas].safeParse(sent);
        expect(r.success, `${name} with ${JSON.stringify(key)}`).to.equal(false);
        const named = r.error!.issues.some((i) => i.code === 'unrecognized_keys' && i.keys.includes(key));
        expect(named, JSON.stringify(r.error!.issues)).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a stock quantity that is not a whole number within 0..1,000,000', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e308, -0, 2 ** 53 + 1, Number.NaN)), (qty) => {
        const ok = adjustmentSchema.safeParse({ adjustmentId: 'a1', lotId: 'l1', kind: 'receipt', qty }).success;
        expect(ok).to.equal(Number.isInteger(qty) && qty >= 0 && qty <= 1_000_000);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives every catalogue code its one status, and knows no other code', () => {
    for (const code of ERROR_CODE_LIST) expect(new ApiError(code, 'm').status).to.equal(ERROR_CODES[code].status);
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(isErrorCode(s)).to.equal((ERROR_CODE_LIST as string[]).includes(s));
      }),
    );
    expect(isErrorCode('__proto__')).to.equal(false);
    expect(isErrorCode('toString')).to.equal(false);
  });

  it('turns only the listed SQLSTATEs into typed conflicts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[0-9A-Z]{5}$/), async (state) => {
        const err = Object.assign(new Error('pg'), { code: state });
        const out = await conflictsAsTyped(() => Promise.reject(err), { concurrent_write: 'raced' }).catch(
          (e: unknown) => e,
        );
        if (state === '23505') expect(out).to.be.instanceOf(DbConflict);
        else expect(out).to.equal(err);
      }),
      { numRuns: 500 },
    );
  });
});
