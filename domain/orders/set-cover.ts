// Smallest set of nodes covering an order. Exact search for small sets (default ≤ 3 nodes),
// greedy beyond: an order that needs four or more nodes is rare and greedy stays within
// ln(n) of the optimum. Coverage is a bit set (32-bit words) over the order's SKU groups.

/** Bit set over item indices, 32 items per word. */
export type Bits = Uint32Array;

/** Empty bit set for n items. */
export function emptyBits(n: number): Bits {
  return new Uint32Array(Math.max(1, Math.ceil(n / 32)));
}

/** Set bit i. */
export function setBit(bits: Bits, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] ?? 0) | (1 << (i & 31));
}

/** Whether bit i is set. */
export function hasBit(bits: Bits, i: number): boolean {
  return (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/** Number of set bits. */
export function countBits(bits: Bits): number {
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w] ?? 0;
    while (v !== 0) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}

function unionCovers(target: Bits, cands: readonly CoverCandidate[], members: readonly number[]): boolean {
  for (let w = 0; w < target.length; w++) {
    let u = 0;
    for (const m of members) u |= (cands[m] as CoverCandidate).covers[w] ?? 0;
    if ((u & (target[w] ?? 0)) >>> 0 !== (target[w] ?? 0)) return false;
  }
  return true;
}

function isSubset(a: Bits, b: Bits): boolean {
  for (let w = 0; w < a.length; w++) if (((a[w] ?? 0) & ~(b[w] ?? 0)) !== 0) return false;
  return true;
}

/** A candidate set; `etaMs`, `distanceKm` and `id` rank equally sized covers. */
export interface CoverCandidate {
  readonly id: string;
  readonly covers: Bits;
  readonly etaMs: number;
  readonly distanceKm: number;
}

/** Chosen candidate indices (into the input) and how they were found. */
export interface CoverResult {
  readonly members: readonly number[];
  readonly strategy: 'exact' | 'greedy';
}

function compareCandidates(a: CoverCandidate, b: CoverCandidate): number {
  if (a.etaMs !== b.etaMs) return a.etaMs - b.etaMs;
  if (a.distanceKm !== b.distanceKm) return a.distanceKm - b.distanceKm;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// Covers of equal size rank by latest ETA (the customer waits for the last tote), then total
// distance, then their sorted ids, so the choice never depends on input order.
function idsKey(cands: readonly CoverCandidate[], members: readonly number[]): string {
  return members
    .map((m) => (cands[m] as CoverCandidate).id)
    .sort()
    .join('\u0000');
}

/**
 * Smallest subset of candidates whose union covers `target`, ties by best promise, distance,
 * id. Returns null when even all candidates together miss part of the target.
 */
export function smallestCover(cands: readonly CoverCandidate[], target: Bits, exactMaxSize = 3): CoverResult | null {
  if (
    !unionCovers(
      target,
      cands,
      cands.map((_, i) => i),
    )
  )
    return null;
  const order = cands
    .map((_, i) => i)
    .sort((x, y) => compareCandidates(cands[x] as CoverCandidate, cands[y] as CoverCandidate));
  // Drop dominated candidates: covers a subset of an earlier-ranked one (which is no later,
  // no farther, and sorts first), so swapping it in can never make a cover worse.
  const useful: number[] = [];
  for (const i of order) {
    const ci = cands[i] as CoverCandidate;
    const dominated = useful.some((j) => {
      const cj = cands[j] as CoverCandidate;
      return cj.distanceKm <= ci.distanceKm && isSubset(ci.covers, cj.covers); // cj.etaMs <= ci.etaMs by sort
    });
    if (!dominated) useful.push(i);
  }
  for (let size = 1; size <= Math.min(exactMaxSize, useful.length); size++) {
    const found = bestOfSize(cands, useful, target, size);
    if (found) return { members: found, strategy: 'exact' };
  }
  return { members: greedy(cands, useful, target), strategy: 'greedy' };
}

function bestOfSize(
  cands: readonly CoverCandidate[],
  useful: readonly number[],
  target: Bits,
  size: number,
): number[] | null {
  let best: number[] | null = null;
  let bestEta = Infinity;
  let bestDist = Infinity;
  const picked: number[] = [];
  // Depth-first over combinations; scores are computed inline so the hot path allocates
  // nothing unless a better cover turns up.
  const visit = (start: number): void => {
    if (picked.length === size) {
      if (!unionCovers(target, cands, picked)) return;
      let eta = -Infinity;
      let dist = 0;
      for (const m of picked) {
        const c = cands[m] as CoverCandidate;
        if (c.etaMs > eta) eta = c.etaMs;
        dist += c.distanceKm;
      }
      const wins =
        best === null ||
        eta < bestEta ||
        (eta === bestEta && (dist < bestDist || (dist === bestDist && idsKey(cands, picked) < idsKey(cands, best))));
      if (wins) {
        best = [...picked];
        bestEta = eta;
        bestDist = dist;
      }
      return;
    }
    for (let p = start; p <= useful.length - (size - picked.length); p++) {
      picked.push(useful[p] as number);
      visit(p + 1);
      picked.pop();
    }
  };
  visit(0);
  return best;
}

function greedy(cands: readonly CoverCandidate[], useful: readonly number[], target: Bits): number[] {
  const remaining = Uint32Array.from(target);
  const chosen: number[] = [];
  while (countBits(remaining) > 0) {
    let bestIdx = -1;
    let bestGain = 0;
    for (const i of useful) {
      if (chosen.includes(i)) continue;
      const gain = gainOf((cands[i] as CoverCandidate).covers, remaining);
      if (gain > bestGain) {
        bestGain = gain; // strict '>' keeps the earlier-ranked candidate on ties
        bestIdx = i;
      }
    }
    if (bestIdx < 0) break;
    chosen.push(bestIdx);
    const covers = (cands[bestIdx] as CoverCandidate).covers;
    for (let w = 0; w < remaining.length; w++) remaining[w] = (remaining[w] ?? 0) & ~(covers[w] ?? 0);
  }
  return chosen;
}

function gainOf(covers: Bits, remaining: Bits): number {
  let n = 0;
  for (let w = 0; w < remaining.length; w++) {
    let v = ((covers[w] ?? 0) & (remaining[w] ?? 0)) >>> 0;
    while (v !== 0) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}
