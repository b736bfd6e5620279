// Time-grid helpers. Timestamps are wall-clock times encoded as UTC epoch milliseconds
// ("naive local time"): a store's 09:00 is 09:00Z here, so day boundaries, weekdays and
// holidays never depend on the machine's time zone or on DST transitions.

export const DAY_MS = 86_400_000;

/** Regular time grid: `slotsPerDay` equal slots starting at midnight (1 = daily data). */
export interface Grid {
  readonly slotsPerDay: number;
}

/** Milliseconds between two consecutive grid points. */
export function stepMs(grid: Grid): number {
  return DAY_MS / grid.slotsPerDay;
}

/** Days since 1970-01-01 for a wall-clock timestamp. */
export function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Day of week with Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday). */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** True for Saturday and Sunday. */
export function isWeekendDay(day: number): boolean {
  return weekdayOfDay(day) >= 5;
}

/** ISO calendar date (YYYY-MM-DD) of a day number. */
export function isoDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Day number of an ISO calendar date (YYYY-MM-DD); NaN when it is not a valid date. */
export function dayOfIsoDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC silently rolls 2024-02-30 over to March; reject such dates.
  return isoDateOfDay(ms / DAY_MS) === date ? ms / DAY_MS : NaN;
}

/** Fraction of the year elapsed at the start of a day (0 ≤ f < 1), for annual Fourier terms. */
export function yearFraction(day: number): number {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  const start = Date.UTC(year, 0, 1) / DAY_MS;
  const end = Date.UTC(year + 1, 0, 1) / DAY_MS;
  return (day - start) / (end - start);
}

/** Wall-clock ISO timestamp (no zone suffix) of an epoch-ms value, for output. */
export function isoLocal(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
