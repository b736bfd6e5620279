// Property tests of the master data schemas: valid records pass and round-trip; hostile values
// (NUL, lone surrogates, huge numbers, unknown codes, __proto__ keys) are refused with the field named.
import { expect } from 'chai';
import fc from 'fast-check';
import { CODE_TABLES } from '../../../domain/masterdata/codes';
import { hasLoneSurrogate } from '../../../domain/text';
import {
  assetBody,
  binBody,
  canonicalJson,
  gtinCheckDigitOk,
  masterId,
  nodeBody,
  sameRecord,
  sensorBody,
  skuBody,
} from '../../../domain/masterdata/schemas';

const safeText = fc
  .string({ minLength: 1, maxLength: 50 })
  .filter((s) => s.trim().length > 0 && !/\p{Cc}/u.test(s) && !hasLoneSurrogate(s));
const goodNode = fc.record({
  kind: fc.constantFrom(...CODE_TABLES.nodeKinds),
  name: safeText,
  location: fc.record({
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lng: fc.double({ min: -180, max: 180, noNaN: true }),
  }),
  serviceRadiusKm: fc.double({ min: 0.1, max: 500, noNaN: true }),
  zones: fc.uniqueArray(fc.constantFrom(...CODE_TABLES.zones), { minLength: 1 }),
});
const goodSku = fc
  .record({
    name: safeText,
    category: fc.constantFrom(...CODE_TABLES.categories),
    zone: fc.constantFrom(...CODE_TABLES.zones),
    band: fc.constantFrom(...CODE_TABLES.bands),
    shelfLifeDays: fc.integer({ min: 1, max: 3650 }),
    minShelfLifeDays: fc.integer({ min: 0, max: 3650 }),
    perishable: fc.boolean(),
    unitPriceCents: fc.integer({ min: 0, max: 100_000_000 }),
  })
  .map((s) => ({ ...s, minShelfLifeDays: Math.min(s.minShelfLifeDays, s.shelfLifeDays) }));
const hostileText = fc.oneof(
  fc.string().map((s) => `${s}\u0000`),
  fc.string().map((s) => `a\uD800${s}`),
  fc.string().map((s) => `${s}\uDC00`),
  fc.constant('\u0007bell'),
);
const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => [
  ...new Set((r.error?.issues ?? []).map((i) => i.path.map(String).join('.'))),
];

describe('master data schemas (properties)', () => {
  it('accept every valid node and SKU (trimmed, defaults filled in)', () => {
    fc.assert(
      fc.property(goodNode, (n) => {
        expect(nodeBody.safeParse(n).success).to.equal(true);
      }),
    );
    fc.assert(
      fc.property(goodSku, (s) => {
        expect(skuBody.safeParse({ ...s, gtin: null }).success).to.equal(true);
      }),
    );
  });

  it('refuse hostile names with the field named', () => {
    fc.assert(
      fc.property(goodNode, hostileText, (n, name) => {
        expect(paths(nodeBody.safeParse({ ...n, name }))).to.deep.equal(['name']);
      }),
    );
    fc.assert(
      fc.property(goodSku, hostileText, (s, name) => {
        expect(paths(skuBody.safeParse({ ...s, gtin: null, name }))).to.deep.equal(['name']);
      }),
    );
  });

  it('refuse huge or non-finite numbers and codes outside the code tables', () => {
    const huge = fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.constant(Number.NaN),
      fc.constant(1e308),
      fc.constant(Number.MAX_SAFE_INTEGER + 2),
    );
    fc.assert(
      fc.property(goodSku, huge, (s, n) => {
        expect(paths(skuBody.safeParse({ ...s, gtin: null, unitPriceCents: n }))).to.deep.equal(['unitPriceCents']);
      }),
    );
    fc.assert(
      fc.property(goodNode, huge, (n, r) => {
        expect(paths(nodeBody.safeParse({ ...n, serviceRadiusKm: r }))).to.deep.equal(['serviceRadiusKm']);
      }),
    );
    const notZone = fc.string().filter((z) => !(CODE_TABLES.zones as readonly string[]).includes(z));
    fc.assert(
      fc.property(notZone, fc.nat(1000), (zone, seq) => {
        expect(paths(binBody.safeParse({ zone, pickSequence: seq }))).to.deep.equal(['zone']);
      }),
    );
    fc.assert(
      fc.property(
        fc.string().filter((k) => !(CODE_TABLES.assetKinds as readonly string[]).includes(k)),
        (kind) => {
          expect(paths(assetBody.safeParse({ nodeId: 'n1', kind, band: 'chilled' }))).to.deep.equal(['kind']);
        },
      ),
    );
  });

  it('refuse unknown keys, __proto__ included (strict objects)', () => {
    const withProto = JSON.parse('{"assetId":"a1","active":true,"__proto__":{"admin":true}}') as unknown;
    expect(sensorBody.safeParse(withProto).success).to.equal(false);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((k) => !['zone', 'pickSequence'].includes(k)),
        (k) => {
          expect(binBody.safeParse({ zone: 'chilled', pickSequence: 1, [k]: 1 }).success).to.equal(false);
        },
      ),
    );
  });

  it('ids: only safe characters, 1-64 long', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (masterId.safeParse(s).success) expect(s).to.match(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
      }),
    );
    for (const bad of ['', 'a/b', 'a\u0000', '__proto__', 'x'.repeat(65), '\uD800'])
      expect(masterId.safeParse(bad).success, bad).to.equal(false);
  });

  it('GTIN check digits: a valid GTIN-13 passes, every single-digit change of its check digit fails', () => {
    expect(gtinCheckDigitOk('4006381333931')).to.equal(true);
    for (let d = 0; d <= 9; d++) if (d !== 1) expect(gtinCheckDigitOk(`400638133393${d}`)).to.equal(false);
  });

  it('sameRecord ignores key order, not values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(sameRecord(o, reversed)).to.equal(true);
        expect(canonicalJson(o)).to.equal(canonicalJson(reversed));
      }),
    );
  });
});
