// Calibrated intervals: on backtests (every lead of a one-week horizon from weekly origins)
// the model's p10–p90 band holds 80% ± 3 points of actuals, and each tail about 10%.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forecastBatch } from '../../../forecasting/api';
import { runBacktestCli } from '../../../forecasting/backtest/cli';
import { DAY_MS, isoLocal } from '../../../forecasting/time';
import { subDailyDemand } from './subDaily';

const CHICAGO = join(__dirname, '../../fixtures/chicago-ridership.csv');

interface Scores {
  mae: number;
  coverage: number;
  below_p10: number;
  above_p90: number;
  interval_width: number;
  pinball: number;
}
interface Out {
  model: Scores;
  baselines: Record<string, Scores>;
  per_lead: { model: { lead: number; n: number; coverage: number }[] };
  protocol: { scored_forecasts: number };
}

function backtest(args: string[]): Out {
  let stdout = '';
  let stderr = '';
  const code = runBacktestCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  expect(stderr).to.equal('');
  expect(code).to.equal(0);
  return JSON.parse(stdout) as Out;
}

function expectCalibrated(m: Scores, label: string): void {
  expect(m.coverage, `${label} p10–p90 coverage`).to.be.within(0.77, 0.83);
  expect(m.below_p10, `${label} share below p10`).to.be.within(0.07, 0.13);
  expect(m.above_p90, `${label} share above p90`).to.be.within(0.07, 0.13);
}

describe('calibrated prediction intervals', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-intervals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Chicago (daily, 104 weekly origins × leads 1..7): p10–p90 holds 77–83%, no lead far off', () => {
    const out = backtest([
      '--csv',
      CHICAGO,
      '--time',
      'date',
      '--target',
      'ridership',
      '--features',
      'temp,temp_max,percip,humidity,wind,weather_rain,weather_snow',
      '--holidays',
      'US',
      '--freq',
      'day',
      '--horizon',
      '7',
      '--test-from',
      '2014-09-01',
    ]);
    expectCalibrated(out.model, 'Chicago');
    // 104 forecasts per lead (one weekday each here): ±3 sampling SDs around 80%.
    for (const l of out.per_lead.model) expect(l.coverage, `lead ${l.lead}`).to.be.within(0.68, 0.92);
    expect(out.model.mae).to.be.below(0.6);
  });

  it('synthetic half-hourly demand with temperature and holidays: p10–p90 holds 77–83%', () => {
    // Four independent cities, 26 weeks each; the last 10 weeks scored, one origin a week,
    // every lead 1..336 (a week of half-hour slots).
    const S = 48;
    const lines = ['time,city,demand,temp,holiday'];
    for (const seed of [1, 2, 3, 4]) {
      const d = subDailyDemand({
        seed,
        days: 7 * 26,
        slotsPerDay: S,
        trendPerDay: seed % 2 === 0 ? 0.001 : -0.001,
        holidayEvery: 30,
      });
      for (let t = 0; t < d.values.length; t++) {
        const ts = isoLocal(d.start + (t * DAY_MS) / S).slice(0, 16);
        lines.push(`${ts},c${seed},${(d.values[t] ?? 0).toFixed(2)},${(d.temp[t] ?? 0).toFixed(2)},${d.holiday[t]}`);
      }
    }
    const csv = join(dir, 'half-hourly.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const out = backtest([
      '--csv',
      csv,
      '--time',
      'time',
      '--series-cols',
      'city',
      '--target',
      'demand',
      '--features',
      'temp',
      '--holiday-column',
      'holiday',
      '--freq',
      'hour',
      '--slot-minutes',
      '30',
      '--horizon',
      '336',
      '--test-from',
      '2023-04-24',
    ]);
    expect(out.protocol.scored_forecasts).to.equal(4 * 10 * 336);
    expectCalibrated(out.model, 'half-hourly');
  });

  it('served forecasts (forecastBatch) carry the same calibrated quantiles: widths by lead and slot, ~80% held', () => {
    // What the forecast run serves: fit on the history, forecast the next week of half-hour slots.
    const S = 48;
    const H = 7 * S;
    let inside = 0;
    let total = 0;
    let widthVaries = 0;
    for (const seed of [21, 22, 23, 24, 25, 26]) {
      const d = subDailyDemand({ seed, days: 7 * 20, slotsPerDay: S, holidayEvery: 30 });
      const n = d.values.length - H;
      const [points = []] = forecastBatch(
        [{ id: `c${seed}`, start: d.start, values: d.values.subarray(0, n), features: { temp: d.temp } }],
        { freq: 'hour', slotMinutes: 30, horizon: H },
      );
      points.forEach((p, k) => {
        const y = d.values[n + k] ?? 0;
        total += 1;
        if (y >= p.p10 && y <= p.p90) inside += 1;
      });
      // Uncalibrated by lead and slot, the band would be a function of the forecast alone: two
      // forecasts of (almost) the same size would get the same width.
      const sorted = [...points].sort((a, b) => a.mean - b.mean);
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1] as (typeof sorted)[number];
        const b = sorted[i] as (typeof sorted)[number];
        if (b.mean - a.mean < 0.002 * a.mean && Math.abs(b.p90 - b.p10 - (a.p90 - a.p10)) > 0.05 * (a.p90 - a.p10))
          widthVaries += 1;
      }
    }
    // 6 × 336 strongly autocorrelated forecasts: a wide margin around 80%.
    expect(inside / total).to.be.within(0.68, 0.92);
    expect(widthVaries).to.be.above(20);
  });
});
