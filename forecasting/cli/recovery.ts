// Print what the model recovers from synthetic data with known effects (the same set-up as
// test/unit/forecasting/model.test.ts): npx tsx forecasting/cli/recovery.ts [--seed 7]
import { seasonalNaiveAt } from '../baselines';
import { holidayCalendar } from '../holidays';
import { calendarEffect, featureEffect } from '../model/explain';
import { fitModel } from '../model/fit';
import { createForecaster } from '../model/forecaster';
import { generateGroceryDemand } from '../synthetic';
import { DAY_MS, isoDateOfDay } from '../time';

const seedArg = process.argv.indexOf('--seed');
const seed = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 7;
const S = 24;
const HISTORY_DAYS = 207;
const TEST_DAYS = 7;
const data = generateGroceryDemand({
  seed,
  start: '2024-04-01',
  days: HISTORY_DAYS + TEST_DAYS,
  nodes: 3,
  skusPerCategory: 6,
});
const model = fitModel(
  data.series.map((s) => ({
    id: s.id,
    group: s.group,
    start: s.start,
    values: s.values.subarray(0, HISTORY_DAYS * S),
    features: s.features,
  })),
  { slotsPerDay: S, holidays: 'CN', horizon: TEST_DAYS * S },
);
const cn = holidayCalendar('CN');
const firstDay = data.start / DAY_MS;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (v: number): number => Math.round(v * 1000) / 1000;
const groups = [...new Set(data.series.map((s) => s.group))];
const estimated = Object.fromEntries(
  groups.map((g) => {
    const holiday: number[] = [];
    const before: number[] = [];
    for (let d = firstDay; d < firstDay + HISTORY_DAYS; d++) {
      if (cn.isHoliday(isoDateOfDay(d))) holiday.push(calendarEffect(model, g, isoDateOfDay(d)));
      else if (cn.isHoliday(isoDateOfDay(d + 1))) before.push(calendarEffect(model, g, isoDateOfDay(d)));
    }
    return [
      g,
      {
        temp_30_vs_25: round(featureEffect(model, g, { temp: 30 }, { temp: 25 })),
        rain_hour_5mm: round(featureEffect(model, g, { precip: 5, humidity: 85 }, { precip: 0, humidity: 65 })),
        holiday_uplift: round(mean(holiday)),
        day_before_uplift: round(mean(before)),
      },
    ];
  }),
);
const truth = Object.fromEntries(
  groups.map((g) => [
    g,
    {
      temp_30_vs_25: round(5 * (data.effects.heatPerDegree[g] ?? 0)),
      rain_hour_5mm: round(5 * data.effects.rainPerMm),
      holiday_uplift: data.effects.holidayUplift,
      day_before_uplift: data.effects.dayBeforeUplift,
    },
  ]),
);
let modelErr = 0;
let naiveErr = 0;
let inside = 0;
let count = 0;
model.series.forEach((fitted, i) => {
  const s = data.series[i];
  if (!s) return;
  const f = createForecaster(model, fitted, s.features, data.length);
  for (let t = HISTORY_DAYS * S; t < data.length; t++) {
    const y = s.values[t] ?? 0;
    const q = f.forecastAt(t);
    modelErr += Math.abs(q.p50 - y);
    naiveErr += Math.abs(seasonalNaiveAt(s.values, HISTORY_DAYS * S, t, 7 * S) - y);
    if (y >= q.p10 && y <= q.p90) inside += 1;
    count += 1;
  }
});
console.log(
  JSON.stringify({
    seed,
    series: data.series.length,
    truth,
    estimated,
    holdout_week: {
      model_mae: round(modelErr / count),
      seasonal_naive_mae: round(naiveErr / count),
      coverage_p10_p90: round(inside / count),
    },
  }),
);
