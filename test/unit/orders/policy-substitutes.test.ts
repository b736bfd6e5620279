import { expect } from 'chai';
import fc from 'fast-check';
import { policySubstitutes, sourceLineId } from '../../../domain/orders/policy-substitutes';
import type { LinePolicy } from '../../../domain/orders/policy-substitutes';
import type { UnfulfilledLine } from '../../../domain/orders/types';

const unserved = (lineId: string, sku: string, qty: number): UnfulfilledLine => ({
  lineId,
  sku,
  qty,
  code: 'insufficient_stock',
  text: 'no node holds it',
  byNode: [],
});

// Hostile ids: NUL bytes, lone surrogates, prototype keys, dashes.
const hostileId = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', '\u0000', '\ud800', '-', 'l1-', '-x1'),
);
const policy: fc.Arbitrary<LinePolicy> = fc.record({
  policy: fc.constantFrom('best_match' as const, 'specific' as const, 'refund' as const),
  sku: fc.option(hostileId, { nil: null }),
});

describe('sourceLineId', () => {
  it('maps cut, short-pick and substitute ids back to the order line, longest match first', () => {
    const ids = ['l1', 'l10', 'l1-x1'];
    expect(sourceLineId('l1', ids)).to.equal('l1');
    expect(sourceLineId('l1-r2', ids)).to.equal('l1');
    expect(sourceLineId('l10-x1-s2', ids)).to.equal('l10');
    expect(sourceLineId('l1-x1-x2', ids)).to.equal('l1-x1');
    expect(sourceLineId('l100', ids)).to.equal('l100');
    expect(sourceLineId('__proto__-x1', ['__proto__'])).to.equal('__proto__');
  });

  it('always returns an order line that prefixes the id at a dash, or the id itself', () => {
    fc.assert(
      fc.property(hostileId, fc.array(hostileId, { maxLength: 8 }), (id, ids) => {
        const src = sourceLineId(id, ids);
        if (src === id) return;
        expect(ids).to.include(src);
        expect(id.startsWith(`${src}-`)).to.equal(true);
      }),
    );
  });
});

describe('policySubstitutes', () => {
  it("substitutes only 'specific' policies naming another SKU, for the same quantity, under a new line id", () => {
    const lines = [unserved('l1-x1', 'TEA', 2), unserved('l2', 'MILK', 1), unserved('l3', 'OAT', 4)];
    const out = policySubstitutes(
      lines,
      [
        { policy: 'specific', sku: 'RICE' },
        { policy: 'best_match', sku: null },
        { policy: 'specific', sku: 'OAT' },
      ],
      7,
    );
    expect(out).to.deep.equal([{ line: lines[0], substitute: { lineId: 'l1-x1-p7', sku: 'RICE', qty: 2 } }]);
    expect(policySubstitutes(lines, [{ policy: 'refund', sku: 'RICE' }], 7)).to.deep.equal([]);
    expect(policySubstitutes(lines, [], 7)).to.deep.equal([]);
  });

  it('never invents a substitute: each names its own line, another SKU, the same qty, a fresh id', () => {
    const line = fc
      .tuple(hostileId, hostileId, fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER)))
      .map(([id, sku, qty]) => unserved(id, sku, qty));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 10 }),
        fc.array(policy, { maxLength: 12 }),
        fc.nat(),
        (lines, policies, seq) => {
          for (const { line: l, substitute: s } of policySubstitutes(lines, policies, seq)) {
            const p = policies[lines.indexOf(l)]!;
            expect(p.policy).to.equal('specific');
            expect(s.sku).to.equal(p.sku).and.not.equal(l.sku);
            expect(s.qty).to.equal(l.qty).and.be.greaterThan(0);
            expect(s.lineId).to.equal(`${l.lineId}-p${seq}`);
          }
        },
      ),
    );
  });
});
