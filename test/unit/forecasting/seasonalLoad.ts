// Synthetic half-hourly load whose drivers the model used to miss (issue #16): heating that
// follows the last day's temperature (buildings hold heat) and bites mostly in the evening,
// afternoon cooling above 26 °C, and a daily shape that moves with the season (the evening peak
// grows as the days shorten). Temperature has seasonal swings, multi-day fronts and a daily cycle.
import { createRng } from '../../../forecasting/rng';
import { dayOfIsoDate, DAY_MS, isWeekendDay } from '../../../forecasting/time';

export interface SeasonalLoad {
  readonly start: number;
  readonly slotsPerDay: number;
  readonly values: Float64Array;
  readonly temp: Float64Array;
}

export function seasonalLoad(seed: number, days: number, start = '2014-01-01'): SeasonalLoad {
  const S = 48;
  const rng = createRng(seed);
  const d0 = dayOfIsoDate(start);
  const n = days * S;
  const values = new Float64Array(n);
  const temp = new Float64Array(n);
  let front = 0;
  let noise = 0;
  let trailing = 18;
  for (let t = 0; t < n; t++) {
    const dayIdx = Math.floor(t / S);
    const hour = ((t % S) * 24) / S;
    if (t % S === 0) front = 0.8 * front + 2.2 * rng.normal();
    // Southern-hemisphere year: warm in January, cold in July.
    const season = Math.cos((2 * Math.PI * dayIdx) / 365);
    temp[t] = 16 + 6 * season + front + 5 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
    trailing += ((temp[t] ?? 0) - trailing) / S;
    const winter = (1 - season) / 2;
    const shape =
      0.7 + 0.35 * Math.exp(-((hour - 8.5) ** 2) / 4) + (0.2 + 0.5 * winter) * Math.exp(-((hour - 18.5) ** 2) / 5);
    const evening = hour >= 16 && hour <= 22;
    const heating = (evening ? 0.035 : 0.012) * Math.max(0, 14 - trailing);
    const cooling = hour >= 12 && hour <= 19 ? 0.03 * Math.max(0, (temp[t] ?? 0) - 26) : 0;
    const week = isWeekendDay(d0 + dayIdx) ? 0.85 : 1;
    noise = 0.97 * noise + 0.006 * rng.normal();
    values[t] = 4000 * shape * week * (1 + heating + cooling) * (1 + noise);
  }
  return { start: d0 * DAY_MS, slotsPerDay: S, values, temp };
}
