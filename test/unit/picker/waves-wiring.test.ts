// The picker API's wave wiring: open fulfilments (as their workflows publish them) → the
// domain's wave plan. Zone order, limits, claimed zones and other nodes.
import { expect } from 'chai';
import type { Tote, Zone } from '../../../domain/orders/types';
import { DEFAULT_WAVE_LIMITS, openTotes, planNodeWaves, waveLimitsOf } from '../../../api/routes/picker-waves';
import { claimZones, confirmPick, initialPickState } from '../../../domain/orders/picking';
import type { PickState } from '../../../domain/orders/picking';
import type { PickView } from '../../../domain/orders';

const NOW = Date.UTC(2025, 2, 3, 2, 0);
const MIN = 60_000;

function tote(zone: Zone, order: string, bins: string[]): Tote {
  return {
    zone,
    lines: bins.map((bin, i) => ({
      lineId: `${zone[0]}${i}`,
      sku: `${zone}-${order}-${i}`,
      qty: 1,
      lots: [{ lotId: `${order}-${zone}-${i}`, qty: 1, expiresOn: '2025-03-20', bin }],
    })),
  };
}

function view(
  n: number,
  deadlineMs: number,
  totes: Tote[],
  opts: { nodeId?: string; state?: PickView['state']; edit?: (s: PickState) => PickState } = {},
): PickView {
  const fulfilmentId = `order-o${n}-f1`;
  const s = (opts.edit ?? ((x) => x))(initialPickState(fulfilmentId, totes));
  return {
    fulfilmentId,
    orderId: `o${n}`,
    nodeId: opts.nodeId ?? 'F1',
    nodeKind: 'front',
    state: opts.state ?? 'allocated',
    slot: { kind: 'instant', start: NOW, end: NOW + 30 * MIN },
    pickDeadlineMs: deadlineMs,
    allocatedAt: NOW,
    zones: [...s.zones],
    lines: [...s.lines],
    staging: null,
    courierId: null,
    version: 1,
  };
}

describe('picker wave wiring', () => {
  it('plans ambient, chilled, frozen for one deadline, each wave on one zone with a bin-ordered path', () => {
    const v = view(1, NOW + 20 * MIN, [
      tote('frozen', '1', ['F-01-1']),
      tote('chilled', '1', ['C-02-1']),
      tote('ambient', '1', ['A-10-1', 'A-9-1']),
    ]);
    const waves = planNodeWaves('F1', [v], NOW, DEFAULT_WAVE_LIMITS);
    expect(waves.map((w) => w.zone)).to.deep.equal(['ambient', 'chilled', 'frozen']);
    expect(waves[0]!.tasks.map((t) => t.bin)).to.deep.equal(['A-9-1', 'A-10-1']);
    expect(
      waves.every((w) => w.orderIds.length === 1 && w.orderIds[0] === 'order-o1-f1'),
      'fulfilments stand in for orders',
    ).to.equal(true);
  });

  it('respects max orders and max lines per wave', () => {
    const views = [1, 2, 3, 4, 5].map((n) =>
      view(n, NOW + 20 * MIN, [tote('chilled', String(n), ['C-01-1', 'C-02-1'])]),
    );
    const byOrders = planNodeWaves('F1', views, NOW, { ...DEFAULT_WAVE_LIMITS, maxOrdersPerWave: 2 });
    expect(byOrders.map((w) => w.orderIds.length)).to.deep.equal([2, 2, 1]);
    const byLines = planNodeWaves('F1', views, NOW, { ...DEFAULT_WAVE_LIMITS, maxLinesPerWave: 5 });
    expect(byLines.map((w) => w.lineCount)).to.deep.equal([4, 4, 2]);
    expect(byLines.every((w) => w.lineCount <= 5)).to.equal(true);
  });

  it('puts the least SLA slack first across deadline groups', () => {
    const late = view(1, NOW + 90 * MIN, [tote('ambient', '1', ['A-01-1'])]);
    const soon = view(2, NOW + 20 * MIN, [tote('frozen', '2', ['F-01-1'])]);
    expect(planNodeWaves('F1', [late, soon], NOW, DEFAULT_WAVE_LIMITS).map((w) => w.orderIds[0])).to.deep.equal([
      'order-o2-f1',
      'order-o1-f1',
    ]);
  });

  it('leaves out claimed zones, finished or other-node work, and what is already picked', () => {
    const both = [tote('ambient', '1', ['A-01-1', 'A-02-1']), tote('chilled', '1', ['C-01-1'])];
    const claimedAmbient = view(1, NOW + 20 * MIN, both, {
      state: 'picking',
      edit: (s) => claimZones(s, 'p', ['ambient'], 'w'),
    });
    expect(openTotes(claimedAmbient).map((t) => t.zone)).to.deep.equal(['chilled']);
    const partly = view(2, NOW + 20 * MIN, both, {
      state: 'picking',
      edit: (s) => confirmPick(s, { lineId: 'a0', lotId: '1-ambient-0', qty: 1 }),
    });
    expect(
      openTotes(partly)
        .find((t) => t.zone === 'ambient')!
        .lines.map((l) => l.lineId),
    ).to.deep.equal(['a1']);
    const packed = view(3, NOW + 20 * MIN, both, { state: 'packed' });
    const elsewhere = view(4, NOW + 20 * MIN, both, { nodeId: 'F2' });
    const waves = planNodeWaves('F1', [claimedAmbient, partly, packed, elsewhere], NOW, DEFAULT_WAVE_LIMITS);
    expect(waves.flatMap((w) => w.orderIds.map((o) => `${w.zone}:${o}`)).sort()).to.deep.equal([
      'ambient:order-o2-f1',
      'chilled:order-o1-f1',
      'chilled:order-o2-f1',
    ]);
  });

  it('re-plans from the open set: an arrival joins, a departure leaves, ids stay stable', () => {
    const a = view(1, NOW + 20 * MIN, [tote('chilled', '1', ['C-01-1'])]);
    const b = view(2, NOW + 21 * MIN, [tote('chilled', '2', ['C-02-1'])]);
    const first = planNodeWaves('F1', [a], NOW, DEFAULT_WAVE_LIMITS);
    const grown = planNodeWaves('F1', [a, b], NOW, DEFAULT_WAVE_LIMITS);
    expect(grown[0]!.waveId).to.equal(first[0]!.waveId);
    expect(grown[0]!.orderIds).to.deep.equal(['order-o1-f1', 'order-o2-f1']);
    expect(planNodeWaves('F1', [b], NOW, DEFAULT_WAVE_LIMITS)[0]!.orderIds).to.deep.equal(['order-o2-f1']);
  });

  it("takes a node's own limits and ignores malformed ones", () => {
    expect(waveLimitsOf({ maxOrdersPerWave: 3 })).to.deep.equal({ ...DEFAULT_WAVE_LIMITS, maxOrdersPerWave: 3 });
    expect(waveLimitsOf({ maxOrdersPerWave: 0 })).to.deep.equal(DEFAULT_WAVE_LIMITS);
    expect(waveLimitsOf(undefined)).to.deep.equal(DEFAULT_WAVE_LIMITS);
  });
});
