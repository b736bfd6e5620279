// Holiday lookup behind one small interface. Dates come only from maintained packages:
// Chinese statutory holidays and make-up workdays (调休) from `chinese-days`, every other
// country from `date-holidays`. Nothing here is a hand-typed list of dates.
import { getDayDetail, getHolidaysInRange } from 'chinese-days';
import Holidays from 'date-holidays';
import { dayOfIsoDate, isWeekendDay } from './time';

export type HolidayRegion = 'CN' | 'US' | 'none';

/** What the calendar knows about one day. */
export interface DayInfo {
  /** Public / statutory day off. */
  readonly holiday: boolean;
  /** Weekend day that is an official working day (调休 make-up workday). */
  readonly makeupWorkday: boolean;
  /** Normalised name of the public holiday, if any. */
  readonly holidayName?: string;
  /** Name of a non-public observance (e.g. Christmas Eve), if any. */
  readonly observanceName?: string;
}

export interface HolidayCalendar {
  readonly region: HolidayRegion;
  isHoliday(date: string | Date): boolean;
  isMakeupWorkday(date: string | Date): boolean;
  holidayName(date: string | Date): string | undefined;
  observanceName(date: string | Date): string | undefined;
  dayInfo(date: string | Date): DayInfo;
}

const NO_DAY: DayInfo = { holiday: false, makeupWorkday: false };

/** Calendar for a region; 'none' answers "ordinary day" for every date. */
export function holidayCalendar(region: HolidayRegion): HolidayCalendar {
  switch (region) {
    case 'CN':
      return cachedCalendar(region, chineseDayInfo);
    case 'US':
      return cachedCalendar(region, dateHolidaysLookup('US'));
    case 'none':
      return cachedCalendar(region, () => NO_DAY);
    default:
      throw new Error(`unknown holiday region: ${String(region)}`);
  }
}

/** Accepts YYYY-MM-DD or a Date (its UTC calendar date), returns YYYY-MM-DD. */
function toIsoDate(date: string | Date): string {
  const iso = typeof date === 'string' ? date.slice(0, 10) : date.toISOString().slice(0, 10);
  if (Number.isNaN(dayOfIsoDate(iso))) throw new Error(`not a calendar date: ${String(date)}`);
  return iso;
}

function cachedCalendar(region: HolidayRegion, lookup: (iso: string) => DayInfo): HolidayCalendar {
  // Feature building asks about the same days many times (every slot, every series).
  const cache = new Map<string, DayInfo>();
  const dayInfo = (date: string | Date): DayInfo => {
    const iso = toIsoDate(date);
    let info = cache.get(iso);
    if (!info) {
      info = lookup(iso);
      cache.set(iso, info);
    }
    return info;
  };
  return {
    region,
    dayInfo,
    isHoliday: (d) => dayInfo(d).holiday,
    isMakeupWorkday: (d) => dayInfo(d).makeupWorkday,
    holidayName: (d) => dayInfo(d).holidayName,
    observanceName: (d) => dayInfo(d).observanceName,
  };
}

function chineseDayInfo(iso: string): DayInfo {
  const detail = getDayDetail(iso);
  if (detail.date !== iso) throw new Error(`chinese-days resolved ${iso} to ${detail.date} (time zone?)`);
  // chinese-days names festival days "English,中文,length"; ordinary days get the weekday name.
  const festival = detail.name.includes(',') ? detail.name.split(',')[0] : undefined;
  // getHolidaysInRange(…, false) lists only statutory days off, not ordinary weekends.
  const holiday = getHolidaysInRange(iso, iso, false).length > 0;
  const makeupWorkday = detail.work && isWeekendDay(dayOfIsoDate(iso));
  if (!holiday && !makeupWorkday) return NO_DAY;
  return { holiday, makeupWorkday, holidayName: holiday ? festival : undefined };
}

function dateHolidaysLookup(country: string): (iso: string) => DayInfo {
  const hd = new Holidays(country);
  const byYear = new Map<number, Map<string, DayInfo>>();
  const yearTable = (year: number): Map<string, DayInfo> => {
    let table = byYear.get(year);
    if (table) return table;
    table = new Map();
    for (const h of hd.getHolidays(year)) {
      const iso = h.date.slice(0, 10);
      const prev = table.get(iso) ?? NO_DAY;
      // "Independence Day (substitute day)" is still Independence Day for demand purposes.
      const name = h.name.replace(/\s*\([^)]*\)\s*$/, '');
      if (h.type === 'public' || h.type === 'bank') {
        table.set(iso, { ...prev, holiday: true, holidayName: prev.holidayName ?? name });
      } else {
        table.set(iso, { ...prev, observanceName: prev.observanceName ?? name });
      }
    }
    byYear.set(year, table);
    return table;
  };
  return (iso) => yearTable(Number(iso.slice(0, 4))).get(iso) ?? NO_DAY;
}
