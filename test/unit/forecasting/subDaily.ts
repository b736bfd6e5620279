// Synthetic sub-daily demand for interval and baseline tests: a city's half-hourly (or any
// slot length) demand with a daily and weekly shape, a slow trend, a temperature response that
// is non-linear and stronger in the afternoon, public holidays, and persistent (AR(1))
// multiplicative noise, so errors grow with the lead as in real load/demand data.
import { createRng } from '../../../forecasting/rng';
import { DAY_MS, dayOfIsoDate, isoDateOfDay, isoLocal, isWeekendDay } from '../../../forecasting/time';

export interface SubDailyOptions {
  readonly seed: number;
  readonly days: number;
  readonly slotsPerDay?: number;
  /** Level change per day as a fraction of the starting level (+0.002 = +0.2%/day). */
  readonly trendPerDay?: number;
  readonly start?: string;
  /** Every this many days (from the start) a holiday. */
  readonly holidayEvery?: number;
  /**
   * Deviations with momentum (weather fronts, events): drifts that last hours, the case where
   * a local trend wins one-step-ahead and an undamped trend runs away at long leads.
   */
  readonly momentum?: boolean;
  /** Demand factor for the first `quietDays` days (a holiday week at the start of the data). */
  readonly quietStart?: { readonly days: number; readonly factor: number };
}

export interface SubDailyData {
  readonly start: number;
  readonly slotsPerDay: number;
  readonly values: Float64Array;
  readonly temp: Float64Array;
  readonly holiday: Uint8Array;
}

export function subDailyDemand(o: SubDailyOptions): SubDailyData {
  const S = o.slotsPerDay ?? 48;
  const rng = createRng(o.seed);
  const d0 = dayOfIsoDate(o.start ?? '2023-01-02');
  const n = o.days * S;
  const values = new Float64Array(n);
  const temp = new Float64Array(n);
  const holiday = new Uint8Array(n);
  let noise = 0;
  let drift = 0;
  let tempNoise = 0;
  for (let t = 0; t < n; t++) {
    const dayIdx = Math.floor(t / S);
    const day = d0 + dayIdx;
    const hour = ((t % S) * 24) / S;
    const isHoliday = o.holidayEvery ? dayIdx % o.holidayEvery === o.holidayEvery - 3 : false;
    tempNoise = 0.97 * tempNoise + 0.5 * rng.normal();
    temp[t] =
      18 +
      8 * Math.sin((2 * Math.PI * (dayIdx - 100)) / 365) +
      5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) +
      tempNoise;
    const shape = 0.6 + 0.5 * Math.exp(-((hour - 9) ** 2) / 6) + 0.7 * Math.exp(-((hour - 18.5) ** 2) / 5);
    const rest = isWeekendDay(day) || isHoliday;
    const week = rest ? 0.8 : 1;
    const heat = Math.max(0, (temp[t] ?? 0) - 22);
    const weather = 1 + (hour >= 11 && hour <= 20 ? 0.004 : 0.0015) * heat * heat;
    if (o.momentum) {
      drift = 0.97 * drift + 0.004 * rng.normal();
      noise = 0.99 * noise + drift;
    } else {
      noise = 0.95 * noise + 0.025 * rng.normal();
    }
    const quiet = o.quietStart && dayIdx < o.quietStart.days ? o.quietStart.factor : 1;
    const level = 1000 * quiet * (1 + (o.trendPerDay ?? 0) * dayIdx);
    values[t] = level * shape * week * weather * Math.exp(noise);
    holiday[t] = isHoliday ? 1 : 0;
  }
  return { start: d0 * DAY_MS, slotsPerDay: S, values, temp, holiday };
}

/** The data as a CSV the backtest CLI reads: time,demand,temp,holiday. */
export function subDailyCsv(d: SubDailyData): string {
  const lines = ['time,demand,temp,holiday'];
  const step = DAY_MS / d.slotsPerDay;
  for (let t = 0; t < d.values.length; t++) {
    lines.push(
      `${isoLocal(d.start + t * step).slice(0, 16)},${(d.values[t] ?? 0).toFixed(2)},${(d.temp[t] ?? 0).toFixed(2)},${d.holiday[t]}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export { isoDateOfDay };
