// The API's input guard as a pure function, without any service: every string and object key
// of a parsed body (and every query and path parameter) is checked for NUL, C0 controls other
// than tab/newline/return, lone surrogates, prototype-polluting keys and excessive nesting, and
// the first offence is named by its field path. Property-based (fast-check) against an
// independent oracle, plus planted offences whose path must come back exactly.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  MAX_JSON_DEPTH,
  findUnsafeInput,
  findUnsafeParams,
  findUnsafeQuery,
  formatFieldPath,
  matchPathTemplate,
  textProblem,
} from '../../../api/input-guard';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Segment = string | number;

/** Oracle, written differently from the guard: a code-unit loop and encodeURIComponent, which throws on a lone surrogate. */
function oracleIsSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** Any UTF-16 code unit, lone surrogates and controls included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileString = fc.string({
  unit: fc.oneof(
    anyUnit,
    fc.constantFrom('\u0000', '\u0001', '\u001f', '\ud800', '\udfff', '\t', '\n', '\r', 'a', '😀'),
  ),
  maxLength: 40,
});
/** Well-formed text that the guard must let through: all of Unicode (astral included), minus C0 controls other than \t\n\r. */
const safeString = fc.string({ unit: 'binary', maxLength: 30 }).filter(oracleIsSafe);
const safeKey = safeString.filter((k) => k !== '__proto__' && k !== 'constructor');
const badText = fc.constantFrom(
  'a\u0000b',
  '\u0000',
  'x\u0007',
  '\u001b[31m',
  '\ud800',
  'ok\udfff',
  '\udc00\ud800',
  'tab\tthen\u000b',
);

const safeJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    safeString,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(safeKey, tie('v'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).v;

function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

/** `leaf` placed at `path` inside a fresh tree (objects for string segments, arrays for numbers). */
function plant(path: readonly Segment[], leaf: Json, sibling: Json): Json {
  let v: Json = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i]!;
    if (typeof seg === 'number') {
      const arr: Json[] = Array.from({ length: seg }, () => sibling);
      arr.push(v);
      v = arr;
    } else {
      // Built with JSON.parse so that a key named __proto__ would be an own property, as in a parsed body.
      v = JSON.parse(`{"zz-sibling":${JSON.stringify(sibling)},${JSON.stringify(seg)}:${JSON.stringify(v)}}`) as Json;
    }
  }
  return v;
}

const pathArb = fc.array(
  fc.oneof(
    safeKey.filter((k) => k !== 'zz-sibling'),
    fc.nat({ max: 3 }),
  ),
  { maxLength: 6 },
);

describe('API input guard (pure)', () => {
  it('textProblem agrees with an independent oracle on any UTF-16 string', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        expect(textProblem(s) === null, JSON.stringify(s)).to.equal(oracleIsSafe(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('lets every well-formed string through, astral planes, bidi marks, tab, newline and return included', () => {
    fc.assert(
      fc.property(safeString, (s) => {
        expect(textProblem(s)).to.equal(null);
      }),
      { numRuns: 1000 },
    );
    for (const s of ['', 'é\u0301', '𝔘𝔫𝔦', '💥🔥', '\u202eabc', 'a\tb\nc\r', 'ا'.repeat(70), 'x'.repeat(256 * 1024)])
      expect(textProblem(s), JSON.stringify(s)).to.equal(null);
  });

  it('names what is wrong: NUL, a control character by code point, a lone surrogate', () => {
    expect(textProblem('a\u0000b')).to.match(/NUL/);
    expect(textProblem('a\u001bb')).to.match(/U\+001B/);
    expect(textProblem('\ud83d')).to.match(/lone surrogate/);
    expect(textProblem('\ude00x')).to.match(/lone surrogate/);
  });

  it('accepts any safe JSON tree within the depth limit, and refuses it beyond', () => {
    fc.assert(
      fc.property(safeJson, (v) => {
        const found = findUnsafeInput(v);
        if (depthOf(v) <= MAX_JSON_DEPTH) expect(found, JSON.stringify(v)).to.equal(null);
        else expect(found?.message).to.match(/nested/);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a bad string planted anywhere and names exactly its path', () => {
    fc.assert(
      fc.property(pathArb, badText, safeString, (path, bad, sibling) => {
        const found = findUnsafeInput(plant(path, bad, sibling));
        expect(found, JSON.stringify(path)).to.not.equal(null);
        expect(found!.path).to.deep.equal(path);
        expect(found!.message).to.match(/NUL|control character|lone surrogate/);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a bad object key planted anywhere and names the object holding it', () => {
    fc.assert(
      fc.property(pathArb, badText, safeString, (path, bad, sibling) => {
        const found = findUnsafeInput(plant([...path, bad], 'value', sibling));
        expect(found, JSON.stringify(path)).to.not.equal(null);
        expect(found!.path).to.deep.equal(path);
        expect(found!.message).to.match(/^a key .*(NUL|control character|lone surrogate)/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses __proto__ and constructor keys at any depth, naming them', () => {
    fc.assert(
      fc.property(pathArb, fc.constantFrom('__proto__', 'constructor'), safeJson, (path, key, value) => {
        const tree = plant([...path, key], value, null);
        const found = findUnsafeInput(tree);
        expect(found!.path).to.deep.equal([...path, key]);
        expect(found!.message).to.match(/not allowed/);
      }),
      { numRuns: 500 },
    );
    expect(findUnsafeInput(JSON.parse('{"a":{"__proto__":{"admin":true}}}'))).to.deep.equal({
      path: ['a', '__proto__'],
      message: 'key not allowed',
    });
  });

  it('survives hostile shapes without recursion: 100,000-deep arrays and objects, 200,000-wide arrays, 256 KiB strings', () => {
    const deepArray = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(findUnsafeInput(deepArray)?.message).to.match(/nested deeper than 32/);
    expect(findUnsafeInput(deepArray)?.path).to.have.length(MAX_JSON_DEPTH);
    const deepObject = JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`) as unknown;
    expect(findUnsafeInput(deepObject)?.message).to.match(/nested/);
    expect(findUnsafeInput(Array.from({ length: 200_000 }, (_, i) => i))).to.equal(null);
    expect(findUnsafeInput({ note: 'x'.repeat(256 * 1024) })).to.equal(null);
    expect(findUnsafeInput({ note: `${'x'.repeat(256 * 1024)}\u0000` })).to.deep.include({ path: ['note'] });
  });

  it('never throws, whatever fast-check’s JSON and object generators produce', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        findUnsafeInput(v);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withObjectString: true,
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
          withBoxedValues: true,
        }),
        (v) => {
          findUnsafeInput(v);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('formats a path the way validation errors do, and keeps a long or strange key short', () => {
    expect(formatFieldPath(['customer', 'name'])).to.equal('customer.name');
    expect(formatFieldPath(['lines', 0, 'sku'])).to.equal('lines.0.sku');
    expect(formatFieldPath([])).to.equal('(body)');
    const long = formatFieldPath(['k'.repeat(10_000)]);
    expect(long.length).to.be.below(100);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 5000 }), fc.nat()), { maxLength: MAX_JSON_DEPTH }),
        (path) => {
          expect(formatFieldPath(path).length).to.be.below(MAX_JSON_DEPTH * 80 + 20);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('checks query parameters (values and names, arrays too) and names them query.<name>', () => {
    expect(findUnsafeQuery({ nodeId: 'n1', from: ['a', 'b'] })).to.equal(null);
    expect(findUnsafeQuery({ nodeId: 'n\u00001' })).to.deep.equal({
      path: ['query', 'nodeId'],
      message: 'contains a NUL character (U+0000)',
    });
    expect(findUnsafeQuery({ from: ['a', 'b\u0001'] })?.path).to.deep.equal(['query', 'from', 1]);
    expect(findUnsafeQuery({ 'no\u0000de': 'x' })?.path).to.deep.equal(['query']);
    fc.assert(
      fc.property(
        fc.dictionary(safeKey, fc.oneof(safeString, fc.array(safeString, { maxLength: 3 })), { noNullPrototype: true }),
        (q) => {
          expect(findUnsafeQuery(q)).to.equal(null);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches a request path against route templates and checks its decoded parameters by name', () => {
    expect(matchPathTemplate('/v1/orders/:orderId', '/v1/orders/o-1')).to.deep.equal({ orderId: 'o-1' });
    expect(matchPathTemplate('/v1/orders/:orderId', '/v1/orders/o-1/cancel')).to.equal(null);
    expect(matchPathTemplate('/v1/orders/:orderId/cancel', '/v1/orders/o-1/cancel/')).to.deep.equal({ orderId: 'o-1' });
    expect(matchPathTemplate('/v1/orders', '/v1/ORDERS')).to.deep.equal({});
    const templates = [
      '/v1/orders/:orderId',
      '/v1/orders/:orderId/substitutions/:lineId/decision',
      '/picker/v1/nodes/:nodeId/waves',
    ];
    expect(findUnsafeParams(templates, '/v1/orders/a%00b')).to.deep.equal({
      path: ['orderId'],
      message: 'contains a NUL character (U+0000)',
    });
    expect(findUnsafeParams(templates, '/v1/orders/o-1/substitutions/l%01/decision')?.path).to.deep.equal(['lineId']);
    expect(findUnsafeParams(templates, '/v1/orders/o-1')).to.equal(null);
    // A path no template matches is still checked, segment by segment.
    expect(findUnsafeParams(templates, '/v1/nowhere/%00')?.path).to.deep.equal(['path']);
    // Not valid percent-encoding: left to the router, which answers 400 itself.
    expect(findUnsafeParams(templates, '/v1/orders/%E0%A4%A')).to.equal(null);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => s.length > 0),
        (s) => {
          const found = findUnsafeParams(templates, `/v1/orders/${encodeURIComponent(s)}`);
          expect(found === null).to.equal(oracleIsSafe(s));
        },
      ),
      { numRuns: 500 },
    );
  });
});
