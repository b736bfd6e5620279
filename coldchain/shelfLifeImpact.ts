// How much sellable life an excursion cost a lot (Q10), and whether that quarantines it.
//
// The label's expiry already assumes storage at the reference temperature, so only the excess
// counts: shelf life consumed during the lot's exposure (in days at the reference temperature)
// minus the real time that passed. Colder-than-reference time earns no credit (conservative).
import type { TempPoint } from '../domain/coldchain/mkt';
import { quarantineDecision, shelfLifeConsumed } from '../domain/coldchain/shelfLife';
import type { Q10Params, QuarantineDecision } from '../domain/coldchain/shelfLife';

const DAY_MS = 86_400_000;

/**
 * Points for a window [from, to] under sample and hold: the last reading at or before `from`
 * is moved to `from` (it held then), later ones are kept up to `to`, duplicates dropped.
 */
export function windowPoints(points: readonly TempPoint[], from: number, to: number): TempPoint[] {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const out: TempPoint[] = [];
  let before: TempPoint | null = null;
  for (const p of sorted) {
    if (p.ts <= from) before = p;
    else if (p.ts <= to && p.ts !== out[out.length - 1]?.ts) out.push(p);
  }
  return before ? [{ ts: from, tempC: before.tempC }, ...out] : out;
}

/** Merge two point lists (e.g. stored readings and readings not yet stored), one per ts. */
export function mergePoints(a: readonly TempPoint[], b: readonly TempPoint[]): TempPoint[] {
  const byTs = new Map<number, TempPoint>();
  for (const p of [...a, ...b]) if (!byTs.has(p.ts)) byTs.set(p.ts, p);
  return [...byTs.values()].sort((x, y) => x.ts - y.ts);
}

/** One lot's exposure to an excursion. */
export interface ExposureInput {
  /** Readings of the excursion's sensor (any range; clipped to the window here). */
  points: readonly TempPoint[];
  from: number;
  to: number;
  /** Cap on one sample-and-hold interval (an outage is not blamed on the last reading). */
  maxGapMs: number;
  params: Q10Params;
  /** Lot expiry date, YYYY-MM-DD (taken as the start of that day, UTC). */
  expiresOn: string;
  minShelfLifeDays: number;
  now: number;
}

/** The verdict with the figures behind it. */
export interface ExposureVerdict {
  decision: QuarantineDecision;
  consumedDays: number;
  excessDays: number;
  daysToExpiry: number;
  remainingDays: number | null;
}

/** Quarantine decision for one lot's exposure (fail-safe: bad parameters quarantine). */
export function exposureVerdict(input: ExposureInput): ExposureVerdict {
  const expiry = Date.parse(`${input.expiresOn}T00:00:00Z`);
  const daysToExpiry = (expiry - input.now) / DAY_MS;
  let consumedDays: number;
  try {
    consumedDays = shelfLifeConsumed(windowPoints(input.points, input.from, input.to), input.params, {
      endTs: input.to,
      maxGapMs: input.maxGapMs,
    });
  } catch {
    const decision = quarantineDecision({
      hardLimitBreached: false,
      remainingShelfLifeDays: null,
      minShelfLifeDays: input.minShelfLifeDays,
    });
    return { decision, consumedDays: Number.NaN, excessDays: Number.NaN, daysToExpiry, remainingDays: null };
  }
  const elapsedDays = Math.max(0, input.to - input.from) / DAY_MS;
  const excessDays = Math.max(0, consumedDays - elapsedDays);
  const remainingDays = Number.isFinite(expiry) ? daysToExpiry - excessDays : null;
  // An exposure that cost nothing (e.g. a cold dip, which slows spoilage) is not the reason
  // for anything, whatever the lot's age: only a cost can push a lot below its minimum.
  if (excessDays === 0 && remainingDays !== null) {
    return {
      decision: { quarantine: false, reason: 'ok', detail: 'the exposure cost no shelf life' },
      consumedDays,
      excessDays,
      daysToExpiry,
      remainingDays,
    };
  }
  const decision = quarantineDecision({
    hardLimitBreached: false,
    remainingShelfLifeDays: remainingDays,
    minShelfLifeDays: input.minShelfLifeDays,
  });
  return { decision, consumedDays, excessDays, daysToExpiry, remainingDays };
}
