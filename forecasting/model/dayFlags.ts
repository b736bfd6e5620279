// Per-day holiday features: the holiday itself, the days around it, the stretch between two
// close holidays (Christmas → New Year), and make-up workdays. All derived from the calendar.
import { holidayCalendar, type HolidayCalendar, type HolidayRegion } from '../holidays';
import { isoDateOfDay, isWeekendDay } from '../time';

export interface DayFlags {
  readonly holidayWeekday: boolean;
  readonly holidayWeekend: boolean;
  readonly makeupWorkday: boolean;
  /** Last ordinary day before a holiday block (stock-up day). */
  readonly dayBefore: boolean;
  /** First ordinary day after a holiday block. */
  readonly dayAfter: boolean;
  /** Ordinary day within 3 days of a holiday, not already dayBefore/dayAfter. */
  readonly nearHoliday: boolean;
  /** Ordinary day with holidays both in the previous and the next 6 days. */
  readonly betweenHolidays: boolean;
  readonly holidayName?: string;
  readonly observanceName?: string;
  /** For an ordinary day within 3 days of a holiday: which holiday, and on which side. */
  readonly neighbour?: { readonly name: string; readonly relation: NeighbourRelation };
  /** Any of the above: such days are left out of level and profile estimation. */
  readonly affected: boolean;
}

/** Flag names usable as model columns. */
export const FLAG_KEYS = [
  'holidayWeekday',
  'holidayWeekend',
  'makeupWorkday',
  'dayBefore',
  'dayAfter',
  'nearHoliday',
  'betweenHolidays',
] as const;
export type FlagKey = (typeof FLAG_KEYS)[number];

/** before/after = the adjacent day; near = 2–3 days away. */
export type NeighbourRelation = 'before' | 'after' | 'near';

const calendars = new Map<HolidayRegion, HolidayCalendar>();
const flagCache = new Map<HolidayRegion, Map<number, DayFlags>>();

/** Shared calendar instance per region (the calendars cache their own lookups). */
export function calendarFor(region: HolidayRegion): HolidayCalendar {
  let cal = calendars.get(region);
  if (!cal) {
    cal = holidayCalendar(region);
    calendars.set(region, cal);
  }
  return cal;
}

/** Flags of one day (days since epoch), cached per region. */
export function dayFlags(region: HolidayRegion, day: number): DayFlags {
  let cache = flagCache.get(region);
  if (!cache) {
    cache = new Map();
    flagCache.set(region, cache);
  }
  let flags = cache.get(day);
  if (!flags) {
    flags = computeFlags(calendarFor(region), day);
    cache.set(day, flags);
  }
  return flags;
}

function computeFlags(cal: HolidayCalendar, day: number): DayFlags {
  const info = cal.dayInfo(isoDateOfDay(day));
  const isHol = (d: number): boolean => cal.isHoliday(isoDateOfDay(d));
  const holiday = info.holiday;
  const dayBefore = !holiday && isHol(day + 1);
  const dayAfter = !holiday && isHol(day - 1);
  let before = false;
  let after = false;
  let near = false;
  for (let k = 1; k <= 6; k++) {
    const prev = isHol(day - k);
    const next = isHol(day + k);
    before ||= prev;
    after ||= next;
    if (k <= 3) near ||= prev || next;
  }
  const betweenHolidays = !holiday && before && after;
  const nearHoliday = !holiday && near && !dayBefore && !dayAfter;
  const weekend = isWeekendDay(day);
  return {
    neighbour: holiday ? undefined : nearestHoliday(cal, day),
    holidayWeekday: holiday && !weekend,
    holidayWeekend: holiday && weekend,
    makeupWorkday: info.makeupWorkday,
    dayBefore,
    dayAfter,
    nearHoliday,
    betweenHolidays,
    holidayName: info.holidayName,
    observanceName: info.observanceName,
    affected:
      holiday || info.makeupWorkday || dayBefore || dayAfter || betweenHolidays || info.observanceName !== undefined,
  };
}

/** Closest holiday within 3 days (earlier one wins a tie), named, with the side it is on. */
function nearestHoliday(cal: HolidayCalendar, day: number): DayFlags['neighbour'] {
  for (let k = 1; k <= 3; k++) {
    for (const sign of [1, -1]) {
      const name = cal.holidayName(isoDateOfDay(day + sign * k));
      if (name === undefined) continue;
      // sign = 1 means the holiday is after this day, so this day comes "before" it.
      const relation: NeighbourRelation = k > 1 ? 'near' : sign === 1 ? 'before' : 'after';
      return { name, relation };
    }
  }
  return undefined;
}
