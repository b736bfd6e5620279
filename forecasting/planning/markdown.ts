// Markdown candidates: lots whose forecast demand before expiry is below their stock.
// Demand is consumed first-expiring-first (FIFO), which is how pickers are told to pick.

export interface Lot {
  readonly id: string;
  readonly quantity: number;
  /** Sellable in periods [0, expiresInPeriods); 0 = already expired. */
  readonly expiresInPeriods: number;
}

export interface MarkdownInput {
  readonly lots: readonly Lot[];
  /** Expected (p50) demand per period, period 0 = now. */
  readonly demand: readonly number[];
  /**
   * Discount by share of the lot at risk, as [maxShare, discount] tiers in ascending share.
   * Default: ≤10% → 10%, ≤30% → 20%, ≤60% → 30%, more → 50%. A pricing policy, not a model.
   */
  readonly discountTiers?: readonly (readonly [number, number])[];
}

export interface MarkdownSuggestion {
  readonly lotId: string;
  readonly quantity: number;
  readonly expiresInPeriods: number;
  readonly expectedSold: number;
  /** Units expected to be left at expiry. */
  readonly atRisk: number;
  readonly atRiskShare: number;
  readonly suggestedDiscount: number;
}

const DEFAULT_TIERS: readonly (readonly [number, number])[] = [
  [0.1, 0.1],
  [0.3, 0.2],
  [0.6, 0.3],
  [1, 0.5],
];

/** Lots expected to expire unsold, most urgent first (pure). */
export function markdownSuggestion(input: MarkdownInput): MarkdownSuggestion[] {
  const lots = input.lots
    .map((lot) => ({ lot, left: lot.quantity }))
    .sort((a, b) => a.lot.expiresInPeriods - b.lot.expiresInPeriods);
  for (const { lot } of lots) {
    if (!(lot.quantity >= 0)) throw new Error(`lot ${lot.id}: quantity must be non-negative`);
  }
  const horizon = lots.reduce((m, l) => Math.max(m, l.lot.expiresInPeriods), 0);
  for (let t = 0; t < horizon; t++) {
    let demand = Math.max(0, input.demand[t] ?? 0);
    for (const entry of lots) {
      if (demand <= 0) break;
      if (entry.lot.expiresInPeriods <= t || entry.left <= 0) continue;
      const take = Math.min(entry.left, demand);
      entry.left -= take;
      demand -= take;
    }
  }
  const tiers = input.discountTiers ?? DEFAULT_TIERS;
  return lots
    .filter(({ left }) => left > 1e-9)
    .map(({ lot, left }) => {
      const share = lot.quantity > 0 ? left / lot.quantity : 0;
      const tier = tiers.find(([maxShare]) => share <= maxShare + 1e-12) ?? tiers[tiers.length - 1];
      return {
        lotId: lot.id,
        quantity: lot.quantity,
        expiresInPeriods: lot.expiresInPeriods,
        expectedSold: lot.quantity - left,
        atRisk: left,
        atRiskShare: share,
        suggestedDiscount: tier ? tier[1] : 0,
      };
    });
}
