// Synthetic hourly grocery demand per node × SKU with KNOWN effects, for testing that the model
// recovers what was put in. Holidays and make-up workdays come from chinese-days (via the CN
// calendar); everything random comes from a seeded generator, so a seed fixes the data.
import { holidayCalendar } from './holidays';
import { createRng, type Rng } from './rng';
import { DAY_MS, dayOfIsoDate, isoDateOfDay, isWeekendDay, yearFraction } from './time';

export interface SyntheticEffects {
  /** Multiplicative uplift on statutory holidays (0.3 = +30% over a rest day). */
  readonly holidayUplift: number;
  /** Uplift on the last ordinary day before a holiday block (stocking up). */
  readonly dayBeforeUplift: number;
  /** Rest days (weekends, holidays) sell this much more than workdays, before the holiday uplift. */
  readonly restDayFactor: number;
  /** Heat effect: +perDegree[category] per °C above `heatThreshold`. */
  readonly heatThreshold: number;
  readonly heatPerDegree: Readonly<Record<string, number>>;
  /** Rain effect: + this fraction per mm/h of precipitation (people order instead of going out). */
  readonly rainPerMm: number;
}

export interface SyntheticOptions {
  readonly seed: number;
  /** First day, YYYY-MM-DD. */
  readonly start: string;
  readonly days: number;
  readonly nodes: number;
  readonly skusPerCategory: number;
  readonly categories?: readonly string[];
  /** Share of SKUs with very low demand (≈0.03–0.1 units/hour). */
  readonly sparseFraction?: number;
  readonly slotsPerDay?: number;
  readonly effects?: Partial<SyntheticEffects>;
  /** Keep the true expected demand per step (memory heavy for big runs). Default true. */
  readonly keepExpected?: boolean;
}

export interface SyntheticSeries {
  readonly id: string;
  readonly group: string;
  readonly node: number;
  readonly sparse: boolean;
  readonly start: number;
  readonly values: Float32Array;
  /** True mean demand per step (absent when keepExpected is false). */
  readonly expected?: Float64Array;
  /** Weather of the series' node, shared by all its SKUs: temp (°C), precip (mm/h), humidity (%), wind (m/s). */
  readonly features: Readonly<Record<string, Float64Array>>;
}

export interface SyntheticData {
  readonly start: number;
  readonly length: number;
  readonly slotsPerDay: number;
  readonly effects: SyntheticEffects;
  readonly series: SyntheticSeries[];
}

/** The known effects the generator uses unless overridden. */
export const DEFAULT_EFFECTS: SyntheticEffects = {
  holidayUplift: 0.3,
  dayBeforeUplift: 0.2,
  restDayFactor: 1.15,
  heatThreshold: 25,
  heatPerDegree: { drinks: 0.04, dairy: 0.01 },
  rainPerMm: 0.03,
};

/** Generate demand and weather for nodes × categories × SKUs. */
export function generateGroceryDemand(opts: SyntheticOptions): SyntheticData {
  const S = opts.slotsPerDay ?? 24;
  const categories = opts.categories ?? ['drinks', 'produce', 'dairy', 'snacks'];
  const effects: SyntheticEffects = { ...DEFAULT_EFFECTS, ...opts.effects };
  const firstDay = dayOfIsoDate(opts.start);
  if (Number.isNaN(firstDay)) throw new Error(`bad start date ${opts.start}`);
  const rng = createRng(opts.seed);
  const length = opts.days * S;
  const calendar = calendarDays(firstDay, opts.days);
  const shapes = { work: intradayShape(S, 'work'), rest: intradayShape(S, 'rest') };
  const series: SyntheticSeries[] = [];
  for (let node = 0; node < opts.nodes; node++) {
    const features = nodeWeather(rng, firstDay, opts.days, S);
    const nodeScale = Math.exp(0.4 * rng.normal());
    for (const category of categories) {
      const heat = effects.heatPerDegree[category] ?? 0;
      for (let k = 0; k < opts.skusPerCategory; k++) {
        const sparse = rng.next() < (opts.sparseFraction ?? 0.2);
        const base = nodeScale * (sparse ? 0.03 + 0.07 * rng.next() : Math.exp(0.6 * rng.normal()));
        const growth = -0.1 + 0.3 * rng.next();
        const values = new Float32Array(length);
        const expected = opts.keepExpected === false ? undefined : new Float64Array(length);
        let dayNoise = 1;
        for (let t = 0; t < length; t++) {
          const d = Math.floor(t / S);
          const slot = t % S;
          if (slot === 0) dayNoise = Math.exp(0.08 * rng.normal() - 0.0032);
          const day = calendar[d] as CalendarDay;
          const shape = (day.rest ? shapes.rest : shapes.work)[slot] ?? 1;
          const temp = features.temp[t] ?? 0;
          let lambda = base * (1 + (growth * t) / length) * shape * (day.rest ? effects.restDayFactor : 1);
          if (day.holiday) lambda *= 1 + effects.holidayUplift;
          if (day.dayBefore) lambda *= 1 + effects.dayBeforeUplift;
          lambda *= 1 + heat * Math.max(0, temp - effects.heatThreshold);
          lambda *= 1 + effects.rainPerMm * (features.precip[t] ?? 0);
          if (expected) expected[t] = lambda;
          values[t] = rng.poisson(lambda * dayNoise);
        }
        series.push({
          id: `n${node}/${category}/${k}`,
          group: category,
          node,
          sparse,
          start: firstDay * DAY_MS,
          values,
          expected,
          features,
        });
      }
    }
  }
  return { start: firstDay * DAY_MS, length, slotsPerDay: S, effects, series };
}

interface CalendarDay {
  /** Weekend or statutory holiday, unless it is a make-up workday. */
  readonly rest: boolean;
  readonly holiday: boolean;
  readonly dayBefore: boolean;
}

function calendarDays(firstDay: number, days: number): CalendarDay[] {
  const cal = holidayCalendar('CN');
  const isHol = (d: number): boolean => cal.isHoliday(isoDateOfDay(d));
  return Array.from({ length: days }, (_, i) => {
    const d = firstDay + i;
    const holiday = isHol(d);
    const makeup = cal.isMakeupWorkday(isoDateOfDay(d));
    return { rest: holiday || (isWeekendDay(d) && !makeup), holiday, dayBefore: !holiday && isHol(d + 1) };
  });
}

/** Hourly shape with mean 1: workdays peak at lunch and after work, rest days are broad. */
function intradayShape(slotsPerDay: number, kind: 'work' | 'rest'): Float64Array {
  const bump = (h: number, centre: number, width: number): number => Math.exp(-0.5 * ((h - centre) / width) ** 2);
  const shape = new Float64Array(slotsPerDay);
  for (let s = 0; s < slotsPerDay; s++) {
    const h = ((s + 0.5) * 24) / slotsPerDay;
    shape[s] =
      kind === 'work'
        ? 0.05 + 0.6 * bump(h, 8, 1.2) + 1.0 * bump(h, 12.5, 1.5) + 1.6 * bump(h, 19, 2)
        : 0.05 + 1.2 * bump(h, 11, 2.5) + 1.3 * bump(h, 17.5, 3);
  }
  const mean = shape.reduce((a, b) => a + b, 0) / slotsPerDay;
  return shape.map((v) => v / mean);
}

/** Hourly weather of one node: a warm humid climate with day-to-day persistence and rain spells. */
function nodeWeather(
  rng: Rng,
  firstDay: number,
  days: number,
  S: number,
): Record<'temp' | 'precip' | 'humidity' | 'wind', Float64Array> {
  const n = days * S;
  const temp = new Float64Array(n);
  const precip = new Float64Array(n);
  const humidity = new Float64Array(n);
  const wind = new Float64Array(n);
  const offset = 3 * (rng.next() - 0.5);
  let anomaly = 0;
  for (let d = 0; d < days; d++) {
    anomaly = 0.7 * anomaly + 2 * Math.sqrt(1 - 0.49) * rng.normal();
    const seasonal = 27 + 5 * Math.cos(2 * Math.PI * (yearFraction(firstDay + d) - 0.56));
    const rainy = rng.next() < 0.35;
    const rainStart = Math.floor(rng.next() * S);
    const rainLen = Math.max(1, Math.round(((2 + 6 * rng.next()) * S) / 24));
    const dayWind = Math.abs(3 + 1.5 * rng.normal());
    for (let s = 0; s < S; s++) {
      const t = d * S + s;
      const h = ((s + 0.5) * 24) / S;
      const raining = rainy && s >= rainStart && s < rainStart + rainLen;
      // Rain cools the air a little, so temperature and rain effects are not independent.
      temp[t] = seasonal + offset + anomaly + 4 * Math.sin((2 * Math.PI * (h - 9)) / 24) - (raining ? 2 : 0);
      precip[t] = raining ? -3 * Math.log(1 - rng.next()) : 0;
      humidity[t] = Math.min(100, Math.max(20, 65 + (raining ? 20 : 0) + 8 * rng.normal()));
      wind[t] = Math.max(0, dayWind + 0.8 * rng.normal());
    }
  }
  return { temp, precip, humidity, wind };
}
