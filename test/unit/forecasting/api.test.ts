// Public API: forecastSeries / forecastBatch on small hand-built series, including the
// "reference period was a holiday" case that trips up same-day-last-week forecasts.
import { expect } from 'chai';
import { forecastBatch, forecastSeries } from '../../../forecasting';
import { seasonalNaiveForecast } from '../../../forecasting/baselines';
import { holidayCalendar } from '../../../forecasting/holidays';
import { createRng } from '../../../forecasting/rng';
import { DAY_MS, dayOfIsoDate, isoDateOfDay, weekdayOfDay } from '../../../forecasting/time';

const WEEKDAY_FACTOR = [1, 1, 1, 1, 1.1, 0.6, 0.5]; // Mon … Sun
const HOLIDAY_FACTOR = 0.4;

/** Daily demand 100 × weekday factor, ×0.4 on US public holidays, 3% noise. */
function dailySeries(first: string, last: string, seed = 1): { start: number; values: number[] } {
  const us = holidayCalendar('US');
  const rng = createRng(seed);
  const d0 = dayOfIsoDate(first);
  const values: number[] = [];
  for (let d = d0; d <= dayOfIsoDate(last); d++) {
    const holiday = us.isHoliday(isoDateOfDay(d)) ? HOLIDAY_FACTOR : 1;
    values.push(100 * (WEEKDAY_FACTOR[weekdayOfDay(d)] ?? 1) * holiday * (1 + 0.03 * rng.normal()));
  }
  return { start: d0 * DAY_MS, values };
}

describe('forecasting API', function () {
  this.timeout(30_000);

  it('forecastSeries returns horizon points on the grid with ordered, non-negative quantiles', () => {
    const history = dailySeries('2015-01-05', '2016-05-29');
    const out = forecastSeries(history, {}, { freq: 'day', holidays: 'US', horizon: 14 });
    expect(out).to.have.length(14);
    out.forEach((p, k) => {
      expect(p.ts).to.equal(history.start + (history.values.length + k) * DAY_MS);
      expect(p.p10).to.be.at.least(0);
      expect(p.p10).to.be.at.most(p.p50);
      expect(p.p50).to.be.at.most(p.p90);
    });
  });

  it('forecasts the holiday dip (July 4th) from history before it', () => {
    const history = dailySeries('2013-01-07', '2016-06-30');
    const out = forecastSeries(history, {}, { freq: 'day', holidays: 'US', horizon: 7 });
    const july4 = out.find((p) => isoDateOfDay(p.ts / DAY_MS) === '2016-07-04');
    expect(july4?.p50).to.be.within(0.8 * 40, 1.2 * 40);
  });

  it('is not dragged down when the reference day last week was a holiday', () => {
    // History ends Sunday 2016-07-10; Monday 2016-07-04 was Independence Day.
    const history = dailySeries('2013-01-07', '2016-07-10');
    const out = forecastSeries(history, {}, { freq: 'day', holidays: 'US', horizon: 7 });
    const monday = out[0];
    expect(isoDateOfDay((monday?.ts ?? 0) / DAY_MS)).to.equal('2016-07-11');
    expect(monday?.p50).to.be.within(90, 110);
    // Same slot last week copies the holiday: 60% too low.
    expect(seasonalNaiveForecast(history.values, 7, 7)[0]).to.be.below(50);
  });

  it('uses future features as given (a hotter forecast means more demand when heat sells)', () => {
    const rng = createRng(3);
    const n = 10 * 7 * 24;
    const temp = Float64Array.from({ length: n }, (_, t) => 24 + 6 * Math.sin(t / 37) + rng.normal());
    const values = Float64Array.from(temp, (c, t) =>
      rng.poisson(5 * (1 + 0.05 * Math.max(0, c - 25)) * (t % 24 < 7 ? 0.2 : 1.2)),
    );
    const history = { start: dayOfIsoDate('2024-06-03') * DAY_MS, values, features: { temp } };
    const hot = forecastSeries(history, { temp: new Array(24).fill(33) }, { freq: 'hour', horizon: 24 });
    const mild = forecastSeries(history, { temp: new Array(24).fill(24) }, { freq: 'hour', horizon: 24 });
    const sum = (xs: { mean: number }[]) => xs.reduce((s, p) => s + p.mean, 0);
    expect(sum(hot) / sum(mild)).to.be.within(1.2, 1.6); // truth: ×1.4
  });

  it('forecastBatch keeps input order and pools by group', () => {
    const a = dailySeries('2015-01-05', '2016-05-29', 1);
    const b = dailySeries('2015-01-05', '2016-05-29', 2);
    const small = { start: a.start, values: a.values.map((v) => v / 10) };
    const out = forecastBatch(
      [
        { id: 'a', group: 'g', ...a },
        { id: 'small', group: 'g', ...small },
        { id: 'b', group: 'g', ...b },
      ],
      { freq: 'day', holidays: 'US', horizon: 7 },
    );
    expect(out).to.have.length(3);
    const mean = (k: number) => (out[k] ?? []).reduce((s, p) => s + p.mean, 0) / 7;
    expect(mean(1)).to.be.within(mean(0) / 12, mean(0) / 8);
    expect(mean(2)).to.be.within(mean(0) * 0.9, mean(0) * 1.1);
  });

  it('rejects histories that are off the grid or negative', () => {
    const h = dailySeries('2015-01-05', '2015-06-01');
    expect(() => forecastSeries({ ...h, start: h.start + 3600_000 }, {}, { freq: 'day', horizon: 3 })).to.throw(/grid/);
    expect(() =>
      forecastSeries({ ...h, values: [...h.values.slice(1), -1] }, {}, { freq: 'day', horizon: 3 }),
    ).to.throw(/non-negative/);
  });
});
