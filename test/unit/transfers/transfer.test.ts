// Transfers (issue 14): the request bodies (properties with hostile inputs), the state machine
// (cancel only before shipping), the pick check against the plan, and the receipt a transfer's
// arrival makes.
import { expect } from 'chai';
import fc from 'fast-check';
import { receiptBody } from '../../../domain/receiving/receipt';
import type { LotFacts, TransferStatus } from '../../../domain/transfers/transfer';
import {
  pickedBody,
  pickProblems,
  transferBody,
  transferReceipt,
  transition,
} from '../../../domain/transfers/transfer';

const good = { transferId: 'T-1', fromNodeId: 'DC-1', toNodeId: 'F-1', lines: [{ sku: 'MILK-1', quantity: 10 }] };
const paths = (input: unknown): string[] => {
  const r = transferBody.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};
const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);

describe('transfers: request body', () => {
  it('accepts explicit lines, or a suggestion (destination defaulting to its node)', () => {
    expect(paths(good)).to.deep.equal([]);
    expect(
      paths({
        transferId: 'T-2',
        fromNodeId: 'DC-1',
        fromSuggestion: { runId: 'run-1', nodeId: 'F-1', sku: 'MILK-1' },
      }),
    ).to.deep.equal([]);
  });

  it('names the field of each problem', () => {
    expect(paths({ ...good, fromSuggestion: { runId: 'r', nodeId: 'F-1', sku: 'S' } })).to.deep.equal(['lines']);
    expect(paths({ ...good, lines: undefined })).to.deep.equal(['lines']);
    expect(paths({ ...good, toNodeId: undefined })).to.deep.equal(['toNodeId']);
    expect(paths({ ...good, toNodeId: 'DC-1' })).to.deep.equal(['toNodeId']);
    expect(
      paths({
        transferId: 'T',
        fromNodeId: 'DC-1',
        toNodeId: 'X',
        fromSuggestion: { runId: 'r', nodeId: 'F-1', sku: 'S' },
      }),
    ).to.deep.equal(['toNodeId']);
    expect(
      paths({
        ...good,
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      }),
    ).to.deep.equal(['lines.1.sku']);
    expect(new Set(paths({ ...good, lines: [{ sku: 'A', quantity: 1e308 }] }))).to.deep.equal(
      new Set(['lines.0.quantity']),
    );
    expect(paths({ ...good, extra: 1 })).to.deep.equal(['']);
  });

  it('hostile strings in any id never pass: NUL, lone surrogates, invalid UTF-8 replacement, over-long ids, empty', () => {
    const hostile = fc.oneof(
      fc.string().map((s) => `${s}\u0000`),
      fc.string().map((s) => `\uD800${s}`),
      fc.string().map((s) => `\uFFFD${s}`),
      fc.constant('x'.repeat(65)),
      fc.constant(''),
      fc.constant('__proto__'),
    );
    const field = fc.constantFrom('transferId', 'fromNodeId', 'toNodeId', 'lines.0.sku', 'lines.0.bin');
    fc.assert(
      fc.property(field, hostile, (f, v) => {
        const body = structuredClone(good) as Record<string, unknown> & { lines: Record<string, unknown>[] };
        if (f.startsWith('lines.0.')) body.lines[0]![f.slice(8)] = v;
        else body[f] = v;
        expect(paths(body)).to.include(f);
      }),
    );
    expect(paths(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(good).slice(1)}`))).to.deep.equal(['']);
  });

  it('deeply nested or random JSON never throws, it is refused', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (v) => {
        expect(transferBody.safeParse(v).success).to.equal(false);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (v) => {
        expect(pickedBody.safeParse(v).success).to.equal(false);
      }),
    );
  });

  it('any valid plan parses to itself', () => {
    const line = fc.record({ sku: id, quantity: fc.integer({ min: 1, max: 1_000_000 }) });
    fc.assert(
      fc.property(
        id,
        id,
        id,
        fc.uniqueArray(line, { minLength: 1, maxLength: 20, selector: (l) => l.sku }),
        (t, from, to, lines) => {
          fc.pre(from !== to);
          const body = { transferId: t, fromNodeId: from, toNodeId: to, lines };
          expect(transferBody.parse(body)).to.deep.equal(body);
        },
      ),
    );
  });
});

describe('transfers: state machine', () => {
  it('cancels only before shipping, and every action has exactly one status it may start from except cancel', () => {
    expect(transition('planned', 'cancel')).to.deep.equal({ ok: true, to: 'cancelled' });
    expect(transition('picked', 'cancel')).to.deep.equal({ ok: true, to: 'cancelled' });
    expect(transition('shipped', 'cancel').ok).to.equal(false);
    expect(transition('done', 'received').ok).to.equal(false);
    const path = ['picked', 'shipped', 'received'] as const;
    let s: TransferStatus = 'planned';
    for (const a of path) {
      const t = transition(s, a);
      expect(t.ok).to.equal(true);
      if (t.ok) s = t.to;
    }
    expect(s).to.equal('done');
    for (const st of ['done', 'cancelled'] as const)
      for (const a of ['picked', 'shipped', 'received', 'cancel'] as const)
        expect(transition(st, a).ok).to.equal(false);
  });
});

describe('transfers: picks against the plan', () => {
  const lot = (lotId: string, over: Partial<LotFacts> = {}): [string, LotFacts] => [
    lotId,
    { lotId, nodeId: 'DC-1', sku: 'MILK-1', status: 'available', available: 8, ...over },
  ];
  const lots = new Map([
    lot('L1'),
    lot('L2'),
    lot('L3', { nodeId: 'F-9' }),
    lot('L4', { sku: 'EGG' }),
    lot('L5', { status: 'quarantined' }),
  ]);
  const plan = [{ sku: 'MILK-1', quantity: 10 }];

  it('accepts picks summing to the plan across lots', () => {
    expect(
      pickProblems(
        'DC-1',
        plan,
        [
          { lotId: 'L1', qty: 6 },
          { lotId: 'L2', qty: 4 },
        ],
        lots,
      ),
    ).to.deep.equal([]);
  });

  it('names the pick of each problem', () => {
    expect(pickProblems('DC-1', plan, [{ lotId: 'NO', qty: 1 }], lots).map((p) => p.path)).to.deep.equal([
      'picks.0.lotId',
    ]);
    expect(pickProblems('DC-1', plan, [{ lotId: 'L3', qty: 1 }], lots)[0]!.message).to.match(/not the source/);
    expect(pickProblems('DC-1', plan, [{ lotId: 'L4', qty: 1 }], lots)[0]!.message).to.match(/does not move/);
    expect(pickProblems('DC-1', plan, [{ lotId: 'L5', qty: 1 }], lots)[0]!.message).to.match(/quarantined/);
    expect(pickProblems('DC-1', plan, [{ lotId: 'L1', qty: 9 }], lots).map((p) => p.path)).to.deep.equal([
      'picks.0.qty',
    ]);
    expect(pickProblems('DC-1', plan, [{ lotId: 'L1', qty: 3 }], lots).map((p) => p.message)).to.deep.equal([
      '3 units of MILK-1 picked, the transfer plans 10',
    ]);
  });

  it('never accepts picks whose total differs from the plan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (a, b) => {
        const problems = pickProblems(
          'DC-1',
          plan,
          [
            { lotId: 'L1', qty: a },
            { lotId: 'L2', qty: b },
          ],
          lots,
        );
        expect(problems.length === 0).to.equal(a + b === 10);
      }),
    );
  });
});

describe('transfers: the arrival receipt', () => {
  it('is a valid transfer receipt with one line per source lot, decided by the van', () => {
    const r = transferReceipt(
      { transferId: 'T-1', fromNodeId: 'DC-1', toNodeId: 'F-1', vanAssetId: 'VAN-1' },
      [{ lotId: 'L1', sku: 'MILK-1', qty: 6, lotCode: 'M-1', expiresOn: '2026-03-10', destBin: 'C-1' }],
      '2026-03-01T08:00:00.000Z',
    );
    expect(receiptBody.parse(r)).to.deep.equal(r);
    expect(r).to.deep.include({
      receiptId: 'transfer-T-1',
      kind: 'transfer',
      nodeId: 'F-1',
      sourceNodeId: 'DC-1',
      vanAssetId: 'VAN-1',
    });
  });
});
