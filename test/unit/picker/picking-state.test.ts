import { expect } from 'chai';
import type { Tote } from '../../../domain/orders/types';
import {
  checkClaim,
  checkConfirm,
  checkDecision,
  checkShort,
  checkStage,
  checkSubstitute,
  claimZones,
  confirmPick,
  decideSubstitute,
  derivedLineId,
  initialPickState,
  isResolved,
  nothingToDeliver,
  packBlocker,
  PickRefusal,
  pickStatus,
  proposeSubstitute,
  removeLines,
  shortLine,
  skipLine,
  stage,
  startLine,
  toteLabel,
  totesOf,
  totesToStage,
} from '../../../domain/orders/picking';
import type { PickState } from '../../../domain/orders/picking';

const FID = 'order-o1-f2';
const TOTES: Tote[] = [
  {
    zone: 'frozen',
    lines: [
      { lineId: 'l4', sku: 'PEAS', qty: 1, lots: [{ lotId: 'P1', qty: 1, expiresOn: '2025-04-01', bin: 'F-01-1' }] },
    ],
  },
  {
    zone: 'chilled',
    lines: [
      {
        lineId: 'l2',
        sku: 'MILK',
        qty: 3,
        lots: [
          { lotId: 'M2', qty: 1, expiresOn: '2025-03-22', bin: 'C-09-1' },
          { lotId: 'M1', qty: 2, expiresOn: '2025-03-20', bin: 'C-02-1' },
        ],
      },
    ],
  },
  {
    zone: 'ambient',
    lines: [
      { lineId: 'l1', sku: 'RICE', qty: 1, lots: [{ lotId: 'R1', qty: 1, expiresOn: '2026-01-01', bin: 'A-10-1' }] },
      { lineId: 'l3', sku: 'TEA', qty: 2, lots: [{ lotId: 'T1', qty: 2, expiresOn: '2026-01-01', bin: 'A-9-1' }] },
    ],
  },
];

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(PickRefusal);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

/** A state where picker p holds every zone. */
function claimed(): PickState {
  const s = initialPickState(FID, TOTES);
  return claimZones(s, 'p', checkClaim(s, 'allocated', 'p', null), 'w1');
}

describe('picking state (pure)', () => {
  it('starts every line pending, in pick-path order (zone, then bin), with one tote label per zone', () => {
    const s = initialPickState(FID, TOTES);
    expect(s.lines.map((l) => l.lineId)).to.deep.equal(['l3', 'l1', 'l2', 'l4']);
    expect(s.zones.map((z) => z.toteLabel)).to.deep.equal(['o1-f2-A', 'o1-f2-C', 'o1-f2-F']);
    expect(toteLabel('order-x-f1', 'frozen')).to.equal('x-f1-F');
    expect(
      s.lines.find((l) => l.lineId === 'l2')!.lots.map((x) => x.lotId),
      'lots by bin',
    ).to.deep.equal(['M1', 'M2']);
    expect(pickStatus('allocated', s)).to.equal('pending');
  });

  it('claims zones once: repeated claims are no-ops, another picker is refused', () => {
    const s = initialPickState(FID, TOTES);
    expect(checkClaim(s, 'allocated', 'p', ['chilled'])).to.deep.equal(['chilled']);
    const one = claimZones(s, 'p', ['chilled'], 'w-c');
    expect(checkClaim(one, 'picking', 'p', ['chilled'])).to.deep.equal([]);
    expect(refusal(() => checkClaim(one, 'picking', 'q', ['chilled']))).to.equal(
      'the chilled tote is already being picked by another picker',
    );
    expect(checkClaim(one, 'picking', 'q', ['ambient'])).to.deep.equal(['ambient']);
    expect(refusal(() => checkClaim(one, 'picking', 'q', null))).to.match(/chilled tote is already being picked/);
    expect(refusal(() => checkClaim(s, 'packed', 'p', null))).to.equal(
      'cannot start picking a fulfilment that is packed',
    );
    expect(refusal(() => checkClaim(initialPickState(FID, [TOTES[0]!]), 'allocated', 'p', ['ambient']))).to.equal(
      'this fulfilment has no ambient tote',
    );
  });

  it('keeps a picker to the lines of their zones', () => {
    const s = claimZones(initialPickState(FID, TOTES), 'p', ['ambient'], null);
    expect(
      refusal(() => checkConfirm(s, 'picking', { pickerId: 'p', lineId: 'l2', sku: 'MILK', lotId: 'M1', qty: 1 })),
    ).to.match(/line l2 is in the chilled tote, which nobody has claimed yet/);
    expect(
      refusal(() =>
        checkConfirm(claimZones(s, 'q', ['chilled'], null), 'picking', {
          pickerId: 'p',
          lineId: 'l2',
          sku: 'MILK',
          lotId: 'M1',
          qty: 1,
        }),
      ),
    ).to.match(/another picker holds/);
    expect(
      refusal(() => checkConfirm(s, 'allocated', { pickerId: 'p', lineId: 'l1', sku: 'RICE', lotId: 'R1', qty: 1 })),
    ).to.match(/that is allocated: claim its wave first/);
  });

  it('checks scans: SKU, an allocated lot (FEFO), never more than is left', () => {
    let s = claimed();
    const scan = (over: object) => ({ pickerId: 'p', lineId: 'l2', sku: 'MILK', lotId: 'M1', qty: 1, ...over });
    expect(refusal(() => checkConfirm(s, 'picking', scan({ sku: 'OAT' })))).to.equal(
      'scanned SKU OAT, but line l2 is MILK',
    );
    expect(refusal(() => checkConfirm(s, 'picking', scan({ lotId: 'M9' })))).to.equal(
      'lot M9 is not on this pick: take M1 at C-02-1 or M2 at C-09-1',
    );
    expect(refusal(() => checkConfirm(s, 'picking', scan({ qty: 3 })))).to.equal(
      'only 2 more of lot M1 to pick for line l2, not 3',
    );
    expect(refusal(() => checkConfirm(s, 'picking', scan({ qty: 0 })))).to.match(/at least 1/);
    s = confirmPick(s, { lineId: 'l2', lotId: 'M1', qty: 2 });
    expect(s.lines.find((l) => l.lineId === 'l2')).to.include({ picked: 2, status: 'in_progress' });
    expect(refusal(() => checkConfirm(s, 'picking', scan({})))).to.equal(
      'lot M1 is already picked in full for line l2',
    );
    s = confirmPick(s, { lineId: 'l2', lotId: 'M2', qty: 1 });
    expect(s.lines.find((l) => l.lineId === 'l2')).to.include({ picked: 3, status: 'picked' });
    expect(refusal(() => checkShort(s, 'picking', { pickerId: 'p', lineId: 'l2', reason: 'damaged' }))).to.equal(
      'line l2 is already picked',
    );
  });

  it('moves a skipped line behind the others of its zone, and starting is idempotent', () => {
    let s = skipLine(claimed(), 'l3');
    expect(s.lines.map((l) => l.lineId)).to.deep.equal(['l1', 'l3', 'l2', 'l4']);
    s = startLine(startLine(s, 'l1'), 'l1');
    expect(s.lines.find((l) => l.lineId === 'l1')!.status).to.equal('in_progress');
  });

  it('shorts a line: confirmed units stay, the rest is re-allocated as a derived line', () => {
    let s = confirmPick(claimed(), { lineId: 'l2', lotId: 'M1', qty: 1 });
    const r = shortLine(s, 'l2', 'not_found', FID);
    expect(r.missing).to.equal(2);
    expect(r.shortfalls).to.deep.equal([
      { lotId: 'M1', qty: 1 },
      { lotId: 'M2', qty: 1 },
    ]);
    expect(r.reallocatedAs).to.equal('l2-r2');
    s = r.state;
    const line = s.lines.find((l) => l.lineId === 'l2')!;
    expect(line.short).to.include({ missing: 2, resolution: 'reallocated', reason: 'not_found' });
    expect(isResolved(line)).to.equal(true);
    // Only what was confirmed leaves with the order.
    const chilled = totesOf(TOTES, s).find((t) => t.zone === 'chilled')!;
    expect(chilled.lines[0]).to.deep.include({
      qty: 1,
      lots: [{ lotId: 'M1', qty: 1, expiresOn: '2025-03-20', bin: 'C-02-1' }],
    });
    expect(derivedLineId('l7', 'order-x-f12', 's')).to.equal('l7-s12');
  });

  it('applies the substitution policy: refund refuses, specific accepts only its item, best match waits', () => {
    const s = claimed();
    const a = { lineId: 'l1', reason: 'not_found' as const, sku: 'BROWN-RICE', qty: 1 };
    expect(refusal(() => checkSubstitute(s, 'picking', { ...a, pickerId: 'p', sku: 'RICE' }))).to.match(
      /a substitute must be another item/,
    );
    expect(proposeSubstitute(s, a, { policy: 'refund', sku: null }, FID, 99).status).to.equal('refused');
    expect(refusal(() => proposeSubstitute(s, a, { policy: 'specific', sku: 'RED-RICE' }, FID, 99))).to.match(
      /accepts only RED-RICE/,
    );
    const specific = proposeSubstitute(s, a, { policy: 'specific', sku: 'BROWN-RICE' }, FID, 99);
    expect(specific.status).to.equal('accepted');
    expect(specific.state.lines.find((l) => l.lineId === 'l1')!.short!.substitution).to.include({
      decidedBy: 'policy',
      newLineId: 'l1-s2',
      decideByMs: null,
    });
    const pending = proposeSubstitute(s, a, { policy: 'best_match', sku: null }, FID, 12345);
    const line = pending.state.lines.find((l) => l.lineId === 'l1')!;
    expect(line.short).to.include({ resolution: 'substitution_pending' });
    expect(line.short!.substitution).to.include({ status: 'pending', decideByMs: 12345 });
    expect(isResolved(line)).to.equal(false);
    expect(packBlocker(pending.state)).to.match(/waiting for the customer to decide the substitute for l1/);
  });

  it('decides a pending substitute once; repeating the same decision is harmless, the opposite is refused', () => {
    const pending = proposeSubstitute(
      claimed(),
      { lineId: 'l1', reason: 'damaged', sku: 'X', qty: 1 },
      { policy: 'best_match', sku: null },
      FID,
      1,
    ).state;
    expect(refusal(() => checkDecision(pending, 'picking', 'l3', true))).to.equal(
      'no substitute was proposed for line l3',
    );
    expect(checkDecision(pending, 'picking', 'l1', false)).to.equal('apply');
    const refused = decideSubstitute(pending, 'l1', false, 'customer');
    expect(refused.lines.find((l) => l.lineId === 'l1')!.short).to.include({ resolution: 'refunded' });
    expect(checkDecision(refused, 'packed', 'l1', false)).to.equal('same');
    expect(refusal(() => checkDecision(refused, 'picking', 'l1', true))).to.equal(
      'the substitute for line l1 was already refused',
    );
    const timedOut = decideSubstitute(pending, 'l1', true, 'timeout');
    expect(refusal(() => checkDecision(timedOut, 'picking', 'l1', false))).to.equal(
      'the substitute for line l1 was already accepted (no answer in time)',
    );
  });

  it('stages only when every line is resolved and every tote with goods is scanned', () => {
    let s = claimed();
    const stageArgs = (labels: string[]) => ({ pickerId: 'p', toteLabels: labels, location: 'S-1' });
    expect(refusal(() => checkStage(s, 'picking', stageArgs([])))).to.match(
      /cannot stage: 4 line\(s\) not picked yet \(l3, l1, l2, l4\)/,
    );
    for (const [lineId, lotId, qty] of [
      ['l3', 'T1', 2],
      ['l1', 'R1', 1],
      ['l2', 'M1', 2],
      ['l2', 'M2', 1],
    ] as const)
      s = confirmPick(s, { lineId, lotId, qty });
    s = shortLine(s, 'l4', 'damaged', FID).state;
    expect(pickStatus('picking', s)).to.equal('picked');
    expect(totesToStage(s), 'the frozen tote is empty: nothing to stage').to.deep.equal(['o1-f2-A', 'o1-f2-C']);
    expect(refusal(() => checkStage(s, 'picking', stageArgs(['o1-f2-A'])))).to.equal(
      'scan every tote: o1-f2-C not scanned',
    );
    expect(refusal(() => checkStage(s, 'picking', stageArgs(['o1-f2-A', 'o1-f2-C', 'o1-f2-F'])))).to.match(
      /tote o1-f2-F is not part of this fulfilment/,
    );
    expect(refusal(() => checkStage(s, 'picking', { ...stageArgs(['o1-f2-A', 'o1-f2-C']), pickerId: 'q' }))).to.match(
      /not yours/,
    );
    expect(refusal(() => checkStage(s, 'packed', stageArgs(['o1-f2-A', 'o1-f2-C'])))).to.equal(
      'cannot stage a fulfilment that is packed',
    );
    checkStage(s, 'picking', stageArgs(['o1-f2-C', 'o1-f2-A']));
    expect(stage(s, ['o1-f2-C', 'o1-f2-A', 'o1-f2-A'], ' S-1 ', 5).staging).to.deep.equal({
      location: 'S-1',
      toteLabels: ['o1-f2-A', 'o1-f2-C'],
      at: 5,
    });
    expect(totesOf(TOTES, s).map((t) => t.zone)).to.deep.equal(['chilled', 'ambient']);
  });

  it('knows when nothing is left to deliver, and drops quarantined lines with their zones', () => {
    let s = claimZones(initialPickState(FID, [TOTES[0]!]), 'p', ['frozen'], null);
    expect(nothingToDeliver(s)).to.equal(false);
    s = shortLine(s, 'l4', 'expired', FID).state;
    expect(nothingToDeliver(s)).to.equal(true);
    const left = removeLines(claimed(), new Set(['l4']));
    expect(left.zones.map((z) => z.zone)).to.deep.equal(['ambient', 'chilled']);
    expect(totesOf(TOTES, left).flatMap((t) => t.lines.map((l) => l.lineId))).to.deep.equal(['l2', 'l1', 'l3']);
  });
});
