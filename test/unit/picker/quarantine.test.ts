// A cold-chain quarantine reaching a fulfilment that is being picked: units of a quarantined lot
// already in the tote are written off (they left their bin and are quarantined goods themselves),
// never released as if still on the shelf; what is still on the shelf is released; only the
// lines that touch the lot are affected, by exactly their share of each hold.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Tote } from '../../../domain/orders/types';
import {
  checkClaim,
  claimZones,
  confirmPick,
  initialPickState,
  quarantineLines,
  shortLine,
  totesOf,
} from '../../../domain/orders/picking';
import type { PickState } from '../../../domain/orders/picking';

const FID = 'order-o1-f1';
const TOTES: Tote[] = [
  {
    zone: 'chilled',
    lines: [
      {
        lineId: 'l2',
        sku: 'MILK',
        qty: 3,
        lots: [
          { lotId: 'M1', qty: 2, expiresOn: '2025-03-20', bin: 'C-02-1' },
          { lotId: 'M2', qty: 1, expiresOn: '2025-03-22', bin: 'C-09-1' },
        ],
      },
      { lineId: 'l5', sku: 'MILK', qty: 2, lots: [{ lotId: 'M2', qty: 2, expiresOn: '2025-03-22', bin: 'C-09-1' }] },
    ],
  },
  {
    zone: 'ambient',
    lines: [
      { lineId: 'l1', sku: 'RICE', qty: 1, lots: [{ lotId: 'R1', qty: 1, expiresOn: '2026-01-01', bin: 'A-10-1' }] },
    ],
  },
];

function claimed(): PickState {
  const s = initialPickState(FID, TOTES);
  return claimZones(s, 'p', checkClaim(s, 'allocated', 'p', null), 'w1');
}
const pickOf = (s: PickState, lineId: string, lotId: string, qty: number) => confirmPick(s, { lineId, lotId, qty });

describe('quarantine during picking (quarantineLines)', () => {
  it("writes off the quarantined units already in the tote and releases the rest of the line, leaving other lines' holds alone", () => {
    let s = pickOf(claimed(), 'l2', 'M1', 2);
    s = pickOf(s, 'l2', 'M2', 1);
    const q = quarantineLines(totesOf(TOTES, s), s, new Set(['M1']));
    expect(q.lines).to.deep.equal([{ lineId: 'l2', sku: 'MILK', qty: 3 }]);
    expect(q.writeOff, 'both picked units of M1 are quarantined goods').to.deep.equal([{ lotId: 'M1', qty: 2 }]);
    expect(q.release, 'l2 gives back its unit of M2 (put back on the shelf); l5 keeps its 2').to.deep.equal([
      { lotId: 'M2', qty: 1 },
    ]);
    expect(q.putBack).to.deep.equal([{ lotId: 'M2', qty: 1 }]);
  });

  it('releases what is still on the shelf, and writes off only what was picked', () => {
    const s = pickOf(claimed(), 'l2', 'M1', 1);
    const q = quarantineLines(totesOf(TOTES, s), s, new Set(['M1']));
    expect(q.writeOff).to.deep.equal([{ lotId: 'M1', qty: 1 }]);
    expect(q.release).to.deep.equal([
      { lotId: 'M1', qty: 1 },
      { lotId: 'M2', qty: 1 },
    ]);
    expect(q.putBack).to.deep.equal([]);
  });

  it('hits every line of a quarantined lot; before picking everything is released', () => {
    const s = claimed();
    const q = quarantineLines(totesOf(TOTES, s), s, new Set(['M2']));
    expect(q.lines.map((l) => l.lineId)).to.deep.equal(['l2', 'l5']);
    expect(q.writeOff).to.deep.equal([]);
    expect(q.release).to.deep.equal([
      { lotId: 'M1', qty: 2 },
      { lotId: 'M2', qty: 3 },
    ]);
  });

  it('takes a short line as it stands: what the short pick released is not released again', () => {
    let s = pickOf(claimed(), 'l2', 'M1', 1);
    s = shortLine(s, 'l2', 'not_found', FID).state;
    const q = quarantineLines(totesOf(TOTES, s), s, new Set(['M1']));
    expect(q.lines).to.deep.equal([{ lineId: 'l2', sku: 'MILK', qty: 1 }]);
    expect(q.writeOff).to.deep.equal([{ lotId: 'M1', qty: 1 }]);
    expect(q.release).to.deep.equal([]);
  });

  it('touches nothing when no line holds a quarantined lot', () => {
    const s = claimed();
    expect(quarantineLines(totesOf(TOTES, s), s, new Set(['X', '__proto__']))).to.deep.equal({
      lines: [],
      writeOff: [],
      release: [],
      putBack: [],
    });
  });

  // Random allocations (lines over a few shared lots), random picks, random quarantined lots.
  const lotIds = ['A', 'B', 'C', '__proto__'];
  const world = fc
    .array(
      fc.uniqueArray(fc.record({ lotId: fc.constantFrom(...lotIds), qty: fc.integer({ min: 1, max: 9 }) }), {
        selector: (l) => l.lotId,
        minLength: 1,
        maxLength: 3,
      }),
      { minLength: 1, maxLength: 4 },
    )
    .chain((lines) =>
      fc.record({
        lines: fc.constant(lines),
        picks: fc.tuple(...lines.map((l) => fc.tuple(...l.map((x) => fc.nat({ max: x.qty }))))),
        hit: fc.subarray(lotIds),
      }),
    );

  it('property: every held unit of a hit line is written off (picked, quarantined lot) or released, exactly once; other lines are untouched', () => {
    fc.assert(
      fc.property(world, ({ lines, picks, hit }) => {
        const totes: Tote[] = [
          {
            zone: 'chilled',
            lines: lines.map((lots, i) => ({
              lineId: `l${i}`,
              sku: 'S',
              qty: lots.reduce((n, x) => n + x.qty, 0),
              lots: lots.map((x) => ({ ...x, expiresOn: '2030-01-01' })),
            })),
          },
        ];
        let s = initialPickState(FID, totes);
        lines.forEach((lots, i) =>
          lots.forEach((x, j) => {
            const n = picks[i]![j]!;
            if (n > 0) s = confirmPick(s, { lineId: `l${i}`, lotId: x.lotId, qty: n });
          }),
        );
        const quarantined = new Set(hit);
        const q = quarantineLines(totesOf(totes, s), s, quarantined);
        const hitLines = lines
          .map((lots, i) => ({ lots, i }))
          .filter(({ lots }) => lots.some((x) => quarantined.has(x.lotId)));
        expect(q.lines.map((l) => l.lineId)).to.deep.equal(hitLines.map(({ i }) => `l${i}`));
        for (const lotId of lotIds) {
          const held = hitLines.reduce((n, { lots }) => n + (lots.find((x) => x.lotId === lotId)?.qty ?? 0), 0);
          const pickedHere = hitLines.reduce(
            (n, { lots, i }) => n + (picks[i]![lots.findIndex((x) => x.lotId === lotId)] ?? 0),
            0,
          );
          const w = q.writeOff.find((x) => x.lotId === lotId)?.qty ?? 0;
          const r = q.release.find((x) => x.lotId === lotId)?.qty ?? 0;
          expect(w + r, `lot ${lotId}: all of the hit lines' hold, no more`).to.equal(held);
          expect(w, `lot ${lotId}: written off = picked of a quarantined lot`).to.equal(
            quarantined.has(lotId) ? pickedHere : 0,
          );
          expect(q.putBack.find((x) => x.lotId === lotId)?.qty ?? 0).to.equal(quarantined.has(lotId) ? 0 : pickedHere);
        }
        for (const list of [q.writeOff, q.release, q.putBack]) for (const x of list) expect(x.qty).to.be.greaterThan(0);
      }),
    );
  });
});
