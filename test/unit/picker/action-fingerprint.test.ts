// The fingerprint that tells a retried picker request (same idempotency key, same request) from
// a key reused for another request. Properties over hostile JSON: NUL bytes, lone surrogates,
// huge numbers, `__proto__` keys, deep nesting.
import { expect } from 'chai';
import fc from 'fast-check';
import { actionFingerprint } from '../../../domain/orders/picking';

const hostileString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '__proto__', 'constructor', '\u202e'),
);
const key = fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'lineId', 'qty'));
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 1e308, 2 ** 53 + 2),
);
/** A request as JSON.parse makes it: `__proto__` an own key, not the prototype. */
const request = fc
  .dictionary(key, value, { maxKeys: 6 })
  .map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>);

function shuffled(o: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    `{${Object.keys(o)
      .reverse()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`)
      .join(',')}}`,
  ) as Record<string, unknown>;
}

describe('actionFingerprint', () => {
  it('ignores the idempotency key and the order of fields', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('claim', 'confirm', 'short'),
        request,
        hostileString,
        hostileString,
        (action, a, k1, k2) => {
          const first = actionFingerprint(action, { ...a, idempotencyKey: k1 });
          expect(actionFingerprint(action, shuffled({ ...a, idempotencyKey: k2 }))).to.equal(first);
        },
      ),
    );
  });

  it('tells apart requests that differ in any other field, or in the action', () => {
    fc.assert(
      fc.property(request, key, value, value, (a, k, v1, v2) => {
        fc.pre(k !== 'idempotencyKey' && JSON.stringify(v1) !== JSON.stringify(v2));
        const one = JSON.parse(JSON.stringify({ ...a, [k]: v1 })) as Record<string, unknown>;
        const other = JSON.parse(JSON.stringify({ ...a, [k]: v2 })) as Record<string, unknown>;
        expect(actionFingerprint('confirm', one)).to.not.equal(actionFingerprint('confirm', other));
        expect(actionFingerprint('confirm', one)).to.not.equal(actionFingerprint('short', one));
      }),
    );
  });

  it('keeps a `__proto__` field as data and survives deep nesting', () => {
    const a = JSON.parse('{"__proto__":{"polluted":1},"lineId":"l1","idempotencyKey":"k"}') as object;
    expect(actionFingerprint('skip', a)).to.equal('["skip",[["__proto__",{"polluted":1}],["lineId","l1"]]]');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 500; i++) deep = { d: deep };
    expect(actionFingerprint('stage', { deep })).to.have.length.greaterThan(2500);
  });
});
