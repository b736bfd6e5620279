// Calendar arithmetic on epoch days and epoch milliseconds, done by hand so workflow code
// needs neither luxon nor the host clock (H. Hinnant's civil-date algorithms).

/** Milliseconds in one minute. */
export const MINUTE_MS = 60_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;
/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a proleptic Gregorian date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12; // March = 0, so the leap day ends the year
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of `daysFromCivil`. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch day of an ISO date "YYYY-MM-DD"; throws on anything else so bad data fails loudly. */
export function isoDateToEpochDay(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new Error(`not an ISO date: ${iso}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const days = daysFromCivil(year, month, day);
  const back = civilFromDays(days);
  if (back.month !== month || back.day !== day) throw new Error(`not a calendar date: ${iso}`);
  return days;
}

/** ISO date "YYYY-MM-DD" of an epoch day. */
export function epochDayToIsoDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Local calendar day (as epoch day) of an instant, for a fixed UTC offset in minutes. */
export function localEpochDay(epochMs: number, utcOffsetMinutes: number): number {
  return Math.floor((epochMs + utcOffsetMinutes * MINUTE_MS) / DAY_MS);
}

/** Epoch ms of local midnight starting the given epoch day, for a fixed UTC offset. */
export function localMidnightMs(epochDay: number, utcOffsetMinutes: number): number {
  return epochDay * DAY_MS - utcOffsetMinutes * MINUTE_MS;
}
