// Percentiles of latency samples (nearest rank, the definition most load tools report).

/** Nearest-rank percentile of an ascending array (p in 0..1); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** p50 / p90 / p95 / p99 / max of unsorted samples, rounded to `digits` decimals. */
export function summarize(
  samples: readonly number[],
  digits = 1,
): { n: number; p50: number; p90: number; p95: number; p99: number; max: number } {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
  return {
    n: arr.length,
    p50: round(percentile(arr, 0.5)),
    p90: round(percentile(arr, 0.9)),
    p95: round(percentile(arr, 0.95)),
    p99: round(percentile(arr, 0.99)),
    max: round(arr[arr.length - 1] ?? Number.NaN),
  };
}
