import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import {
  combineSums,
  intervals,
  mktBucketSums,
  mktFromReadings,
  mktFromSums,
  timeOutOfBand,
  timeOutOfBandPerBand,
  timeWeightedMean,
} from '../../../domain/coldchain/mkt';
import type { TempPoint } from '../../../domain/coldchain/mkt';
import { T0, min, seededRandom } from './helpers';

const pts = (temps: number[], stepMin = 1): TempPoint[] =>
  temps.map((tempC, i) => ({ ts: T0 + min(i * stepMin), tempC }));

// Independent reference: the formula written out directly, for equally spaced samples.
function referenceMkt(temps: number[]): number {
  const mean = temps.reduce((a, t) => a + Math.exp(-10_000 / (t + 273.15)), 0) / temps.length;
  return 10_000 / -Math.log(mean) - 273.15;
}

describe('coldchain/mkt', () => {
  it('equals the temperature when the temperature is constant', () => {
    for (const t of [-25, -18, 0, 4, 13, 25]) {
      expect(mktFromReadings(pts(Array(50).fill(t)))).to.be.closeTo(t, 1e-9);
    }
  });

  it('matches the formula written out directly', () => {
    // Half the time at 0 °C, half at 20 °C: the arithmetic mean is 10 °C, MKT is higher.
    const temps = [0, 20];
    const mkt = mktFromReadings(pts(temps), { endTs: T0 + min(2) });
    expect(mkt).to.be.closeTo(referenceMkt(temps), 1e-9);
    expect(mkt).to.be.greaterThan(10.5);
  });

  it('is at least the time-weighted mean and within min..max for varying temperatures (seeded)', () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const points: TempPoint[] = [];
      let ts = T0;
      for (let i = 0; i < 30; i++) {
        points.push({ ts, tempC: -20 + rand() * 45 });
        ts += 1 + Math.floor(rand() * 600_000); // uneven intervals
      }
      const mkt = mktFromReadings(points, { endTs: ts }) as number;
      const mean = timeWeightedMean(points, { endTs: ts }) as number;
      const temps = points.map((p) => p.tempC);
      expect(mkt).to.be.at.least(mean - 1e-9);
      expect(mkt).to.be.within(Math.min(...temps) - 1e-9, Math.max(...temps) + 1e-9);
    }
  });

  it('weights each reading by the time until the next one', () => {
    // 50 min at 2 °C then 10 min at 30 °C: the long interval dominates.
    const points = [
      { ts: T0, tempC: 2 },
      { ts: T0 + min(50), tempC: 30 },
    ];
    const weighted = mktFromReadings(points, { endTs: T0 + min(60) }) as number;
    const even = referenceMkt([2, 2, 2, 2, 2, 30]);
    expect(weighted).to.be.closeTo(even, 1e-9);
  });

  it('gives the same MKT from per-bucket sums as from the raw readings', () => {
    const rand = seededRandom(11);
    const points = Array.from({ length: 24 * 12 }, (_, i) => ({
      ts: T0 + min(5 * i),
      tempC: 4 + 6 * Math.sin(i / 10) + rand(),
    }));
    const endTs = T0 + min(5 * points.length);
    const raw = mktFromReadings(points, { endTs }) as number;
    // Hourly buckets; each bucket's last interval runs to the next bucket's first reading.
    const buckets: TempPoint[][] = [];
    for (let i = 0; i < points.length; i += 12) buckets.push(points.slice(i, i + 12));
    const sums = buckets.map((b, i) => mktBucketSums(b, { endTs: buckets[i + 1]?.[0]?.ts ?? endTs }));
    expect(mktFromSums(sums)).to.be.closeTo(raw, 1e-9);
    // Sums are additive in any grouping (e.g. a daily rollup of hourly rows).
    const rolled = [combineSums(...sums.slice(0, 7)), combineSums(...sums.slice(7))];
    expect(mktFromSums(rolled)).to.be.closeTo(raw, 1e-9);
    expect(combineSums(...sums).sumWeight).to.equal(24 * 3600);
  });

  it('gives a duplicated reading no weight and sorts unsorted input', () => {
    const points = pts([3, 9, 5, 1]);
    const endTs = T0 + min(4);
    const base = mktFromReadings(points, { endTs });
    const shuffled = [points[2], points[0], points[3], points[1], points[1]] as TempPoint[];
    expect(mktFromReadings(shuffled, { endTs })).to.be.closeTo(base as number, 1e-12);
  });

  it('returns null without weighted time and caps gaps with maxGapMs', () => {
    expect(mktFromReadings([])).to.equal(null);
    expect(mktFromReadings([{ ts: T0, tempC: 5 }])).to.equal(null);
    expect(mktFromReadings([{ ts: T0, tempC: 5 }], { endTs: T0 + 1000 })).to.be.closeTo(5, 1e-9);
    const iv = intervals(
      [
        { ts: T0, tempC: 5 },
        { ts: T0 + min(60), tempC: 6 },
      ],
      { maxGapMs: min(10) },
    );
    expect(iv.map((x) => x.ms)).to.deep.equal([min(10), 0]);
  });

  it('measures time below, in and above a band', () => {
    const points = [
      ...pts([3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
      { ts: T0 + min(10), tempC: 6 },
      { ts: T0 + min(15), tempC: -1 },
    ];
    const t = timeOutOfBand(points, DEFAULT_PROFILES.chilled.band, { endTs: T0 + min(20) });
    expect(t).to.deep.equal({ belowMs: min(5), inBandMs: min(10), aboveMs: min(5), totalMs: min(20) });
    const per = timeOutOfBandPerBand(
      points,
      { chilled: DEFAULT_PROFILES.chilled.band, frozen: DEFAULT_PROFILES.frozen.band },
      { endTs: T0 + min(20) },
    );
    expect(per.frozen).to.deep.equal({ belowMs: 0, inBandMs: 0, aboveMs: min(20), totalMs: min(20) });
    expect(per.chilled).to.deep.equal(t);
  });
});
