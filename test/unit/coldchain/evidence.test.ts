import { expect } from 'chai';
import fc from 'fast-check';
import type { Band } from '../../../domain/coldchain/bands';
import { BUCKET_MS, evidenceFromBuckets, interiorBuckets, minutesToReadRaw } from '../../../domain/coldchain/evidence';
import type { BucketEvidence, EvidenceWindow, MinuteBucket } from '../../../domain/coldchain/evidence';
import { timeOutOfBand } from '../../../domain/coldchain/mkt';
import type { TempPoint } from '../../../domain/coldchain/mkt';
import { windowPoints } from '../../../coldchain/shelfLifeImpact';

const T0 = Date.parse('2026-11-20T08:00:00Z');

/** What sensor_readings_1m holds for these readings. */
function bucketsOf(points: readonly TempPoint[]): MinuteBucket[] {
  const by = new Map<number, MinuteBucket>();
  for (const p of points) {
    const start = Math.floor(p.ts / BUCKET_MS) * BUCKET_MS;
    const b = by.get(start) ?? { start, readings: 0, minC: Infinity, maxC: -Infinity };
    by.set(start, {
      start,
      readings: b.readings + 1,
      minC: Math.min(b.minC, p.tempC),
      maxC: Math.max(b.maxC, p.tempC),
    });
  }
  return [...by.values()].sort((a, b) => a.start - b.start);
}

/** Today's raw path (report.ts before buckets): every stored reading in [from − maxGap, end]. */
function rawEvidence(all: readonly TempPoint[], w: EvidenceWindow): BucketEvidence {
  const stored = all.filter((p) => p.ts >= w.from - w.maxGapMs && p.ts <= w.end);
  const points = windowPoints(stored, w.from, w.end);
  const temps = points.map((p) => p.tempC);
  return {
    readings: stored.filter((p) => p.ts >= w.from).length,
    minC: temps.length ? Math.min(...temps) : null,
    maxC: temps.length ? Math.max(...temps) : null,
    timeOutOfBand: timeOutOfBand(points, w.band, { endTs: w.end, maxGapMs: w.maxGapMs }),
  };
}

/** The new path: buckets over the look-back and window, raw readings of the non-interior minutes only. */
function bucketPath(all: readonly TempPoint[], w: EvidenceWindow): { evidence: BucketEvidence; rawRead: number } {
  // As the database returns them: whole buckets overlapping [from − maxGap, end], whole minutes read raw.
  const buckets = bucketsOf(all).filter((b) => b.start + BUCKET_MS > w.from - w.maxGapMs && b.start <= w.end);
  const wanted = new Set(minutesToReadRaw(buckets, interiorBuckets(buckets, w), w.from));
  const raw = all.filter((p) => wanted.has(Math.floor(p.ts / BUCKET_MS) * BUCKET_MS));
  return { evidence: evidenceFromBuckets(buckets, raw, w), rawRead: raw.length };
}

// Runs of readings: steady 10-second ones, jittery ones, sparse ones (outages); temperatures
// straddling the band edges.
const temp = fc.oneof(
  fc.constantFrom(-20, -18, 0, 2, 4, 8, 8.0000001, 12),
  fc.double({ min: -40, max: 60, noNaN: true, noDefaultInfinity: true }),
);
const run = fc.record({
  count: fc.integer({ min: 1, max: 80 }),
  stepMs: fc.oneof(
    fc.constant(10_000),
    fc.integer({ min: 1, max: 59_999 }),
    fc.integer({ min: 60_000, max: 2_000_000 }),
  ),
  tempC: temp,
  jitter: fc.double({ min: 0, max: 3, noNaN: true }),
});
const series = fc
  .tuple(fc.integer({ min: 0, max: 600_000 }), fc.array(run, { minLength: 1, maxLength: 12 }))
  .map(([offset, runs]) => {
    const out: TempPoint[] = [];
    let ts = T0 + offset;
    for (const r of runs) {
      for (let i = 0; i < r.count; i++) {
        out.push({ ts, tempC: r.tempC + (i % 3 === 0 ? r.jitter : 0) });
        ts += r.stepMs;
      }
    }
    return out;
  });
const band = fc.record({
  lowC: fc.option(fc.constantFrom(-20, 0, 2, 4), { nil: null }),
  highC: fc.option(fc.constantFrom(-18, 4, 8, 12), { nil: null }),
}) as fc.Arbitrary<Band>;

function expectEqual(a: BucketEvidence, b: BucketEvidence): void {
  expect(a.readings).to.equal(b.readings);
  expect(a.minC).to.equal(b.minC);
  expect(a.maxC).to.equal(b.maxC);
  for (const k of ['belowMs', 'inBandMs', 'aboveMs', 'totalMs'] as const)
    expect(a.timeOutOfBand[k], k).to.be.closeTo(b.timeOutOfBand[k], 1e-6);
}

describe('coldchain/evidence (buckets + selected raw minutes = every raw reading)', () => {
  it('equals the raw computation on random series with gaps, random bands, windows and gap caps', () => {
    fc.assert(
      fc.property(
        series,
        band,
        fc.integer({ min: -3_600_000, max: 40_000_000 }),
        fc.integer({ min: 0, max: 40_000_000 }),
        fc.oneof(fc.constant(600_000), fc.integer({ min: 1, max: 3_600_000 })),
        (points, b, fromOffset, length, maxGapMs) => {
          const w: EvidenceWindow = { band: b, from: T0 + fromOffset, end: T0 + fromOffset + length, maxGapMs };
          expectEqual(bucketPath(points, w).evidence, rawEvidence(points, w));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads only the edges of steady stretches: 3 hours of 10-second readings with one excursion', () => {
    const points: TempPoint[] = [];
    for (let ts = T0; ts < T0 + 3 * 3_600_000; ts += 10_000) {
      const excursion = ts >= T0 + 3_600_000 && ts < T0 + 3_600_000 + 25 * 60_000;
      points.push({ ts, tempC: (excursion ? 9.5 : 4) + ((ts / 10_000) % 4) * 0.1 });
    }
    const w: EvidenceWindow = {
      band: { lowC: 0, highC: 8 },
      from: T0 + 5 * 60_000 + 1234,
      end: T0 + 3 * 3_600_000 - 90_000,
      maxGapMs: 600_000,
    };
    const { evidence, rawRead } = bucketPath(points, w);
    expectEqual(evidence, rawEvidence(points, w));
    expect(evidence.timeOutOfBand.aboveMs).to.equal(25 * 60_000);
    expect(rawRead).to.be.below(points.length / 10);
  });

  it('falls back to every raw reading when the gap cap is under two minutes (a gap between buckets could be capped)', () => {
    const buckets: MinuteBucket[] = [0, 1, 2, 3].map((i) => ({
      start: T0 + i * BUCKET_MS,
      readings: 6,
      minC: 4,
      maxC: 4,
    }));
    const w: EvidenceWindow = { band: { lowC: 0, highC: 8 }, from: T0 - 1, end: T0 + 5 * BUCKET_MS, maxGapMs: 119_999 };
    expect(interiorBuckets(buckets, w)).to.deep.equal([]);
    expect(interiorBuckets(buckets, { ...w, maxGapMs: 120_000 })).to.deep.equal([T0 + BUCKET_MS, T0 + 2 * BUCKET_MS]);
  });

  it('is empty on no readings and never throws on hostile numbers', () => {
    const w: EvidenceWindow = { band: { lowC: 0, highC: 8 }, from: T0, end: T0 + 60_000, maxGapMs: 600_000 };
    expect(evidenceFromBuckets([], [], w)).to.deep.equal({
      readings: 0,
      minC: null,
      maxC: null,
      timeOutOfBand: { belowMs: 0, inBandMs: 0, aboveMs: 0, totalMs: 0 },
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ ts: fc.integer({ min: -8.64e15, max: 8.64e15 }), tempC: fc.double({ noNaN: true }) }), {
          maxLength: 50,
        }),
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e9 }),
        (raw, from, len, maxGapMs) => {
          const uniq = [...new Map(raw.map((p) => [p.ts, p])).values()];
          const win: EvidenceWindow = { band: { lowC: -5, highC: 5 }, from, end: from + len, maxGapMs };
          const e = bucketPath(uniq, win).evidence;
          expect(e.timeOutOfBand.totalMs).to.be.at.least(0);
          expectEqual(e, rawEvidence(uniq, win));
        },
      ),
    );
  });
});
