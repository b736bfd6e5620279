// Per-step lookups shared by every series on the same time grid: which profile cell a step
// uses and whether its day is holiday-affected. Cached because thousands of series share them.
import type { HolidayRegion } from '../holidays';
import { DAY_MS, dayNumber, weekdayOfDay } from '../time';
import { dayFlags } from './dayFlags';

/** Profile rows 0–6 are Monday…Sunday; row 7 is "holiday", row 8 "make-up workday". */
export const PROFILE_ROWS = 9;
export const HOLIDAY_ROW = 7;
export const MAKEUP_ROW = 8;

export interface TimeIndex {
  /** Profile cell (row × slotsPerDay + slot) a step is forecast from. */
  readonly cell: Int32Array;
  /** Plain weekday cell (weekday × slotsPerDay + slot), used when estimating the profile. */
  readonly weekdayCell: Int32Array;
  /** 1 when the step's day is holiday-affected (kept out of level and profile estimation). */
  readonly affected: Uint8Array;
}

const cache = new Map<string, TimeIndex>();

/** Time index for `length` steps from `start`, cached by its inputs. */
export function timeIndex(
  start: number,
  length: number,
  slotsPerDay: number,
  region: HolidayRegion,
  holidayProfile: 'weekend' | 'own',
): TimeIndex {
  const key = `${start}|${length}|${slotsPerDay}|${region}|${holidayProfile}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size > 256) cache.clear(); // backtests create many lengths; keep memory bounded
  const cell = new Int32Array(length);
  const weekdayCell = new Int32Array(length);
  const affected = new Uint8Array(length);
  const step = DAY_MS / slotsPerDay;
  for (let t = 0; t < length; t++) {
    const ms = start + t * step;
    const day = dayNumber(ms);
    const slot = Math.round((ms - day * DAY_MS) / step) % slotsPerDay;
    const flags = dayFlags(region, day);
    const weekday = weekdayOfDay(day);
    let row = weekday;
    if (flags.makeupWorkday) row = MAKEUP_ROW;
    else if (holidayProfile === 'weekend' && (flags.holidayWeekday || flags.holidayWeekend)) row = HOLIDAY_ROW;
    cell[t] = row * slotsPerDay + slot;
    weekdayCell[t] = weekday * slotsPerDay + slot;
    affected[t] = flags.affected ? 1 : 0;
  }
  const index = { cell, weekdayCell, affected };
  cache.set(key, index);
  return index;
}
