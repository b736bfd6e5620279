import { expect } from 'chai';
import { compareBins, parseBin } from '../../../domain/orders/bins';
import type { PlacedFulfilment, Tote, Zone } from '../../../domain/orders/types';
import {
  claimWave,
  comparePickTasks,
  planWaves,
  replanWaves,
  type PickTask,
  type WaveLimits,
} from '../../../domain/orders/waves';
import { instant, MIN, NOW } from './fixtures';

const LIMITS: WaveLimits = {
  maxOrdersPerWave: 10,
  maxLinesPerWave: 100,
  pickersOnShift: 1,
  deadlineBucketMs: 15 * MIN,
  secondsPerPick: 20,
  waveSetupSeconds: 60,
};

/** A fulfilment at F1 with one tote per zone; each line one lot in the given bin. */
function job(
  orderId: string,
  deadlineMs: number,
  totes: Partial<Record<Zone, string[]>>,
  nodeId = 'F1',
): PlacedFulfilment {
  const built: Tote[] = Object.entries(totes).map(([zone, bins]) => ({
    zone: zone as Zone,
    lines: (bins ?? []).map((bin, i) => ({
      lineId: `${zone}-${i}`,
      sku: `${zone}-sku-${bin}`,
      qty: 1,
      lots: [{ lotId: `lot-${bin}`, qty: 1, expiresOn: '2025-03-20', bin }],
    })),
  }));
  return {
    orderId,
    addressKey: `ak_${orderId}`,
    slot: instant(),
    allocatedAt: NOW,
    fulfilment: {
      nodeId,
      nodeKind: 'front',
      totes: built,
      etaMs: NOW + 15 * MIN,
      pickDeadlineMs: deadlineMs,
      distanceKm: 1,
    },
  };
}

function bins(n: number, aisle = 'K'): string[] {
  return Array.from({ length: n }, (_, i) => `${aisle}-${String(i + 1).padStart(2, '0')}-1`);
}

describe('bins', () => {
  it('parses aisle-bay-level and rejects other shapes', () => {
    expect(parseBin('a-03-2')).to.deep.equal({ aisle: 'A', bay: 3, level: 2 });
    expect(parseBin('A3-2')).to.equal(null);
  });

  it('orders by aisle, then bay and level as numbers, odd bins after valid ones, none last', () => {
    const sorted = ['B-01-1', undefined, 'A-10-2', 'zz top', 'A-9-1', 'AA-01-1', 'A-09-3', 'Z-01-1'].sort(compareBins);
    expect(sorted).to.deep.equal(['A-9-1', 'A-09-3', 'A-10-2', 'B-01-1', 'Z-01-1', 'AA-01-1', 'zz top', undefined]);
  });

  it('orders pick tasks by zone sequence before bin', () => {
    const t = (zone: Zone, bin: string): PickTask => ({
      orderId: 'O',
      lineId: bin,
      sku: bin,
      zone,
      lotId: bin,
      qty: 1,
      bin,
    });
    const tasks = [t('frozen', 'A-01-1'), t('chilled', 'A-01-1'), t('ambient', 'Z-20-4'), t('ambient', 'A-02-1')];
    expect(tasks.sort(comparePickTasks).map((x) => `${x.zone}:${x.bin}`)).to.deep.equal([
      'ambient:A-02-1',
      'ambient:Z-20-4',
      'chilled:A-01-1',
      'frozen:A-01-1',
    ]);
  });
});

describe('planWaves', () => {
  it('splits by zone and runs ambient, then chilled, then frozen for the same deadline', () => {
    const plan = planWaves(
      'F1',
      [job('O-1', NOW + 20 * MIN, { frozen: ['X-01-1'], chilled: ['K-01-1'], ambient: ['A-01-1'] })],
      NOW,
      LIMITS,
    );
    expect(plan.waves.map((w) => w.zone)).to.deep.equal(['ambient', 'chilled', 'frozen']);
    for (const w of plan.waves) expect(new Set(w.tasks.map((t) => t.zone))).to.deep.equal(new Set([w.zone]));
  });

  it('keeps waves within max orders', () => {
    const jobs = ['O-1', 'O-2', 'O-3', 'O-4', 'O-5'].map((id) => job(id, NOW + 20 * MIN, { chilled: ['K-01-1'] }));
    const plan = planWaves('F1', jobs, NOW, { ...LIMITS, maxOrdersPerWave: 2 });
    expect(plan.waves.map((w) => w.orderIds)).to.deep.equal([['O-1', 'O-2'], ['O-3', 'O-4'], ['O-5']]);
  });

  it('keeps waves within max lines and flags a single tote that alone exceeds it', () => {
    const jobs = [
      job('O-1', NOW + 20 * MIN, { chilled: bins(3) }),
      job('O-2', NOW + 20 * MIN, { chilled: bins(3) }),
      job('O-3', NOW + 20 * MIN, { chilled: bins(8) }),
    ];
    const plan = planWaves('F1', jobs, NOW, { ...LIMITS, maxLinesPerWave: 5 });
    // Same deadline and zone, so the wave with the least slack (the big one) goes first.
    expect(plan.waves.map((w) => [w.orderIds, w.lineCount, w.oversize])).to.deep.equal([
      [['O-3'], 8, true],
      [['O-1'], 3, false],
      [['O-2'], 3, false],
    ]);
  });

  it('groups deadlines by bucket: same bucket together, next bucket apart', () => {
    const bucket = 15 * MIN;
    const t0 = Math.floor(NOW / bucket) * bucket + bucket; // start of the next bucket
    const jobs = [
      job('O-1', t0 + MIN, { chilled: ['K-01-1'] }),
      job('O-2', t0 + 12 * MIN, { chilled: ['K-02-1'] }),
      job('O-3', t0 + 16 * MIN, { chilled: ['K-03-1'] }),
    ];
    const plan = planWaves('F1', jobs, NOW, LIMITS);
    expect(plan.waves.map((w) => w.orderIds)).to.deep.equal([['O-1', 'O-2'], ['O-3']]);
    expect(plan.waves[0]?.deadlineMs).to.equal(t0 + MIN);
  });

  it('orders the pick path by bin within a wave, across orders', () => {
    const jobs = [
      job('O-1', NOW + 20 * MIN, { ambient: ['B-01-1', 'A-10-2'] }),
      job('O-2', NOW + 20 * MIN, { ambient: ['A-9-1', 'A-09-3'] }),
    ];
    const plan = planWaves('F1', jobs, NOW, LIMITS);
    expect(plan.waves[0]?.tasks.map((t) => t.bin)).to.deep.equal(['A-9-1', 'A-09-3', 'A-10-2', 'B-01-1']);
  });

  it('computes slack as deadline − now − estimated pick time', () => {
    const plan = planWaves('F1', [job('O-1', NOW + 30 * MIN, { chilled: bins(4) })], NOW, LIMITS);
    const w = plan.waves[0];
    expect(w?.estimatedPickMs).to.equal((60 + 4 * 20) * 1000);
    expect(w?.slackMs).to.equal(30 * MIN - 140_000);
  });

  it('puts the least slack first, even when its deadline is later', () => {
    // BIG: deadline +50 min, 80 picks (27.7 min) → slack 22.3 min. SMALL: +30 min, 1 pick → 28.7 min.
    const jobs = [
      job('SMALL', NOW + 30 * MIN, { chilled: ['K-01-1'] }),
      job('BIG', NOW + 50 * MIN, { chilled: bins(80) }),
    ];
    const plan = planWaves('F1', jobs, NOW, LIMITS);
    expect(plan.waves.map((w) => w.orderIds)).to.deep.equal([['BIG'], ['SMALL']]);
    expect(plan.waves[0]?.deadlineMs).to.be.greaterThan(plan.waves[1]?.deadlineMs ?? Infinity);
  });

  it('schedules waves over the pickers on shift and flags waves that will miss their deadline', () => {
    const jobs = ['O-1', 'O-2', 'O-3'].map((id) => job(id, NOW + 5 * MIN, { chilled: bins(6) }));
    const plan = planWaves('F1', jobs, NOW, { ...LIMITS, maxOrdersPerWave: 1, pickersOnShift: 2 });
    const est = (60 + 6 * 20) * 1000; // 3 minutes each
    expect(plan.waves.map((w) => [w.picker, w.estimatedStartMs - NOW])).to.deep.equal([
      [0, 0],
      [1, 0],
      [0, est],
    ]);
    expect(plan.waves.map((w) => w.atRisk)).to.deep.equal([false, false, true]);
  });

  it('ignores fulfilments of other nodes and rejects nonsense limits', () => {
    expect(
      planWaves('F1', [job('O-1', NOW + 20 * MIN, { chilled: ['K-01-1'] }, 'F2')], NOW, LIMITS).waves,
    ).to.deep.equal([]);
    expect(() => planWaves('F1', [], NOW, { ...LIMITS, pickersOnShift: 0 })).to.throw(RangeError);
    expect(() => planWaves('F1', [], NOW, { ...LIMITS, maxLinesPerWave: 1.5 })).to.throw(RangeError);
  });
});

describe('replanWaves', () => {
  const initial = () =>
    planWaves(
      'F1',
      [
        job('O-1', NOW + 20 * MIN, { chilled: ['K-01-1'], frozen: ['X-01-1'] }),
        job('O-2', NOW + 20 * MIN, { chilled: ['K-02-1'] }),
        job('O-3', NOW + 20 * MIN, { ambient: ['A-01-1'] }),
      ],
      NOW,
      LIMITS,
    );

  it('keeps a claimed wave exactly as it was, even when one of its orders is cancelled', () => {
    const p0 = initial();
    const chilled = p0.waves.find((w) => w.zone === 'chilled');
    if (!chilled) throw new Error('no chilled wave');
    const p1 = claimWave(p0, chilled.waveId);
    const p2 = replanWaves(
      p1,
      { cancellations: ['O-2'], arrivals: [job('O-4', NOW + 20 * MIN, { chilled: ['K-03-1'] })] },
      NOW + MIN,
      LIMITS,
    );
    const kept = p2.waves.find((w) => w.waveId === chilled.waveId);
    expect(kept).to.deep.equal({ ...chilled, status: 'claimed' });
    expect(p2.cancelledInClaimed).to.deep.equal(['O-2']);
    // The newcomer goes into a fresh wave, not into the claimed one.
    const o4 = p2.waves.filter((w) => w.orderIds.includes('O-4'));
    expect(o4.map((w) => w.status)).to.deep.equal(['planned']);
  });

  it('drops cancelled orders from unclaimed waves and never lets them come back', () => {
    const p1 = replanWaves(initial(), { cancellations: ['O-3'] }, NOW, LIMITS);
    expect(p1.waves.flatMap((w) => w.orderIds)).to.not.include('O-3');
    const p2 = replanWaves(p1, { arrivals: [job('O-3', NOW + 20 * MIN, { ambient: ['A-01-1'] })] }, NOW, LIMITS);
    expect(p2.waves.flatMap((w) => w.orderIds)).to.not.include('O-3');
  });

  it('is idempotent: the same changes applied twice give the same plan', () => {
    const changes = { cancellations: ['O-2'], arrivals: [job('O-4', NOW + 20 * MIN, { frozen: ['X-02-1'] })] };
    const p0 = claimWave(initial(), initial().waves[0]?.waveId ?? '');
    const once = replanWaves(p0, changes, NOW + MIN, LIMITS);
    const twice = replanWaves(once, changes, NOW + MIN, LIMITS);
    expect(twice).to.deep.equal(once);
  });

  it('ignores a repeated arrival for an order it already has', () => {
    const p0 = initial();
    const p1 = replanWaves(p0, { arrivals: [job('O-1', NOW + 20 * MIN, { chilled: bins(9) })] }, NOW, LIMITS);
    expect(p1.waves).to.deep.equal(p0.waves);
  });

  it('claiming is idempotent and unknown ids change nothing', () => {
    const p0 = initial();
    const id = p0.waves[0]?.waveId ?? '';
    const once = claimWave(p0, id);
    expect(claimWave(once, id)).to.equal(once);
    expect(claimWave(p0, 'nope')).to.equal(p0);
    expect(once.waves[0]?.status).to.equal('claimed');
  });

  it('starts new waves only when the picker of a claimed wave is free again', () => {
    const p0 = planWaves('F1', [job('O-1', NOW + 20 * MIN, { chilled: bins(6) })], NOW, LIMITS);
    const claimed = claimWave(p0, p0.waves[0]?.waveId ?? '');
    const p1 = replanWaves(claimed, { arrivals: [job('O-2', NOW + 25 * MIN, { chilled: bins(2) })] }, NOW, LIMITS);
    const fresh = p1.waves.find((w) => w.orderIds.includes('O-2'));
    expect(fresh?.estimatedStartMs).to.equal(p0.waves[0]?.estimatedFinishMs);
  });
});
