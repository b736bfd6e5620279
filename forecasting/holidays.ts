// Holiday lookup behind one small interface. Dates come only from maintained packages:
// Chinese statutory holidays and make-up workdays (调休) from `chinese-days`, every other
// country or region from `date-holidays`, or the days a data set marks itself (a 0/1 column).
// Nothing here is a hand-typed list of dates.
import { createHash } from 'node:crypto';
import { getDayDetail, getHolidaysInRange } from 'chinese-days';
import Holidays from 'date-holidays';
import { dayOfIsoDate, isWeekendDay } from './time';

/**
 * 'CN' (chinese-days), 'none', a `date-holidays` code (`US`, `AU-VIC`, `DE-BY-A`: country,
 * state, region), or the key `customHolidayRegion` returned for a set of marked days.
 */
export type HolidayRegion = string;

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

const CUSTOM_PREFIX = 'custom:';
// Content-addressed: the same marked days always give the same key, so caches keyed by region
// (day flags, time indexes) stay correct however often a data set is loaded.
const customDays = new Map<string, { readonly name: string; readonly days: ReadonlySet<string> }>();

/**
 * Region key for holidays a data set marks itself (e.g. a 0/1 column): `days` are YYYY-MM-DD,
 * `name` names them (the model's named-holiday column).
 */
export function customHolidayRegion(name: string, days: Iterable<string>): HolidayRegion {
  const sorted = [...new Set(days)].sort();
  for (const d of sorted) toIsoDate(d);
  const hash = createHash('sha256').update(name).update('\u0000').update(sorted.join(',')).digest('hex').slice(0, 16);
  const key = `${CUSTOM_PREFIX}${hash}`;
  customDays.set(key, { name, days: new Set(sorted) });
  return key;
}

/** Why a region code is not usable, or undefined when it is. */
export function holidayRegionProblem(region: string): string | undefined {
  if (region === 'CN' || region === 'none' || customDays.has(region)) return undefined;
  const parts = region.split('-');
  if (parts.length > 3 || !parts.every((p) => /^[A-Za-z0-9]{1,8}$/.test(p))) {
    return `'${region}' is not CN, none or a date-holidays code such as US, AU-VIC or DE-BY`;
  }
  const [country = '', state, sub] = parts;
  const hd = new Holidays();
  // Own-property lookups: the package returns plain objects, and '__proto__' must not match.
  const known = (table: object | undefined, code: string): boolean =>
    !!table && Object.prototype.hasOwnProperty.call(table, code);
  if (!known(hd.getCountries(), country)) return `date-holidays knows no country '${country}'`;
  if (state !== undefined && !known(hd.getStates(country), state))
    return `date-holidays knows no state '${state}' in ${country}`;
  if (sub !== undefined && state !== undefined && !known(hd.getRegions(country, state), sub)) {
    return `date-holidays knows no region '${sub}' in ${country}-${state}`;
  }
  return undefined;
}

/** Calendar for a region; 'none' answers "ordinary day" for every date. */
export function holidayCalendar(region: HolidayRegion): HolidayCalendar {
  if (region === 'CN') return cachedCalendar(region, chineseDayInfo);
  if (region === 'none') return cachedCalendar(region, () => NO_DAY);
  const custom = customDays.get(region);
  if (custom)
    return cachedCalendar(region, (iso) =>
      custom.days.has(iso) ? { holiday: true, makeupWorkday: false, holidayName: custom.name } : NO_DAY,
    );
  const problem = holidayRegionProblem(region);
  if (problem) throw new Error(`unknown holiday region: ${problem}`);
  const [country = '', state, sub] = region.split('-');
  return cachedCalendar(region, dateHolidaysLookup(country, state, sub));
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

function dateHolidaysLookup(country: string, state?: string, region?: string): (iso: string) => DayInfo {
  const hd =
    state === undefined
      ? new Holidays(country)
      : region === undefined
        ? new Holidays(country, state)
        : new Holidays(country, state, region);
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
