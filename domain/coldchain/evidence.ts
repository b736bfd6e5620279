// Alert evidence (time out of band, min, max, reading count over a window) from 1-minute
// buckets of a continuous aggregate plus the raw readings of a few minutes, equal to the same
// figures computed from every raw reading (sample and hold, gaps capped at maxGapMs, the reading
// before the window carried in).
//
// Why this is exact: a band position is monotonic in temperature, so a bucket whose min and max
// share a position holds only readings in that position. Take a block of such buckets, all of
// one position, consecutive minutes, each with readings, and flanked by raw-read buckets of the
// same position (an "interior" block). Every reading from the last raw reading before the block
// up to the first raw reading after it is in that position, and each of their sample-and-hold
// intervals is shorter than two minutes, so no cap applies when maxGapMs ≥ 2 minutes: together
// they hold exactly the time between those two raw readings. So the raw readings of every other
// bucket, with that one interval left uncapped, give every time figure exactly; min, max and
// counts of the interior blocks come from the buckets' own min, max and count.
//
// Time-weighted figures (MKT, mean, shelf life) are NOT exact from buckets: sample and hold
// weights each reading by the time to the NEXT reading, a pairwise quantity no per-bucket sum
// carries. Those are computed from raw readings (see docs/alerting.md).
import { bandPosition } from './bands';
import type { Band } from './bands';
import type { TempPoint, TimeOutOfBand } from './mkt';

/** Width of the aggregate's buckets (sensor_readings_1m). */
export const BUCKET_MS = 60_000;

/** Below this cap, a gap between readings of adjacent buckets may be capped: use raw readings. */
export const MIN_GAP_CAP_FOR_BUCKETS_MS = 2 * BUCKET_MS;

/** One 1-minute bucket of one sensor. */
export interface MinuteBucket {
  /** Bucket start, epoch ms, a multiple of BUCKET_MS. */
  start: number;
  readings: number;
  minC: number;
  maxC: number;
}

/** What the evidence is computed over. */
export interface EvidenceWindow {
  band: Band;
  from: number;
  /** End of the window (already min(to, now)). */
  end: number;
  maxGapMs: number;
}

/** The exact figures. */
export interface BucketEvidence {
  readings: number;
  minC: number | null;
  maxC: number | null;
  timeOutOfBand: TimeOutOfBand;
}

type Position = 'below' | 'in' | 'above';

function uniformPosition(b: MinuteBucket, band: Band): Position | null {
  const low = bandPosition(b.minC, band);
  return b.readings > 0 && low === bandPosition(b.maxC, band) ? low : null;
}

/**
 * Starts of the buckets whose readings need not be read: inside (from, end], uniform, and with
 * both neighbouring minutes holding readings of the same position. Every other bucket of the
 * window (and of the look-back before `from`) is read raw.
 */
export function interiorBuckets(buckets: readonly MinuteBucket[], w: EvidenceWindow): number[] {
  if (!(w.maxGapMs >= MIN_GAP_CAP_FOR_BUCKETS_MS)) return [];
  const byStart = new Map(buckets.map((b) => [b.start, b]));
  const out: number[] = [];
  for (const b of buckets) {
    if (!(b.start > w.from && b.start + BUCKET_MS <= w.end)) continue;
    const pos = uniformPosition(b, w.band);
    if (pos === null) continue;
    const prev = byStart.get(b.start - BUCKET_MS);
    const next = byStart.get(b.start + BUCKET_MS);
    if (prev && next && uniformPosition(prev, w.band) === pos && uniformPosition(next, w.band) === pos)
      out.push(b.start);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Minute starts to read raw: every bucket that is not interior, except look-back buckets that
 * cannot hold the reading carried in at `from` (the last one at or before it lies in the bucket
 * holding `from` or in the latest bucket with readings wholly before it). Interior blocks are
 * closed (never at the ends of the bucket list), so their flanking buckets are always read.
 */
export function minutesToReadRaw(
  buckets: readonly MinuteBucket[],
  interior: readonly number[],
  from: number,
): number[] {
  const skip = new Set(interior);
  const before = buckets.filter((b) => b.readings > 0 && b.start + BUCKET_MS <= from).map((b) => b.start);
  const carriedFrom = before.length ? Math.max(...before) : -Infinity;
  return buckets
    .filter((b) => !skip.has(b.start) && b.start >= carriedFrom)
    .map((b) => b.start)
    .sort((a, b) => a - b);
}

/**
 * The evidence from buckets plus `raw`: the stored readings of every non-interior minute (any
 * readings outside [from − maxGapMs, end] are ignored, as the raw path never reads them).
 */
export function evidenceFromBuckets(
  buckets: readonly MinuteBucket[],
  raw: readonly TempPoint[],
  w: EvidenceWindow,
): BucketEvidence {
  const interior = interiorBuckets(buckets, w);
  const interiorSet = new Set(interior);
  const inner = buckets.filter((b) => interiorSet.has(b.start));
  const stored = raw.filter(
    (p) => p.ts >= w.from - w.maxGapMs && p.ts <= w.end && !interiorSet.has(p.ts - mod(p.ts, BUCKET_MS)),
  );
  const points = carryIn(stored, w.from, w.end);
  const temps = [...points.map((p) => p.tempC), ...inner.flatMap((b) => [b.minC, b.maxC])];
  return {
    readings: stored.filter((p) => p.ts >= w.from).length + inner.reduce((n, b) => n + b.readings, 0),
    minC: temps.length ? Math.min(...temps) : null,
    maxC: temps.length ? Math.max(...temps) : null,
    timeOutOfBand: bridgedTimeOutOfBand(points, interior, w),
  };
}

/** Sample-and-hold time per band position; an interval spanning an interior block is not capped. */
function bridgedTimeOutOfBand(
  points: readonly TempPoint[],
  interior: readonly number[],
  w: EvidenceWindow,
): TimeOutOfBand {
  const out: TimeOutOfBand = { belowMs: 0, inBandMs: 0, aboveMs: 0, totalMs: 0 };
  let k = 0;
  points.forEach((p, i) => {
    const next = points[i + 1]?.ts ?? w.end;
    while (k < interior.length && interior[k]! < p.ts) k++;
    const bridged = k < interior.length && interior[k]! < next;
    const ms = bridged ? next - p.ts : Math.min(Math.max(0, next - p.ts), w.maxGapMs);
    const pos = bandPosition(p.tempC, w.band);
    if (pos === 'below') out.belowMs += ms;
    else if (pos === 'above') out.aboveMs += ms;
    else out.inBandMs += ms;
    out.totalMs += ms;
  });
  return out;
}

/** As windowPoints: the last reading at or before `from` moved to `from`, later ones up to `end`, one per ts. */
function carryIn(points: readonly TempPoint[], from: number, end: number): TempPoint[] {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const out: TempPoint[] = [];
  let before: TempPoint | null = null;
  for (const p of sorted) {
    if (p.ts <= from) before = p;
    else if (p.ts <= end && p.ts !== out[out.length - 1]?.ts) out.push(p);
  }
  return before ? [{ ts: from, tempC: before.tempC }, ...out] : out;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
