import { expect } from 'chai';
import {
  fitHoltWinters,
  holtWintersForecastSeries,
  meanLastSameSlotsAt,
  meanLastSameSlotsForecast,
  seasonalNaiveAt,
  seasonalNaiveForecast,
} from '../../../forecasting/baselines';

describe('forecasting baselines', () => {
  it('seasonal naive repeats the last season, going back further past the origin', () => {
    expect(seasonalNaiveForecast([1, 2, 3, 4, 5, 6], 4, 3)).to.deep.equal([4, 5, 6, 4]);
    // From origin 6, step 8 is 3 steps ahead: one season back (5) is not yet observed.
    expect(seasonalNaiveAt([1, 2, 3, 4, 5, 6, 7, 8, 9], 6, 8, 3)).to.equal(6);
  });

  it('mean of the last same slots uses only values before the origin', () => {
    const h = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(meanLastSameSlotsForecast(h, 2, 3, 2)).to.deep.equal([5.5, 6.5]);
    expect(meanLastSameSlotsAt(h, 9, 9, 3, 4)).to.equal((7 + 4 + 1) / 3); // only three seasons exist
    expect(() => meanLastSameSlotsAt(h, 1, 5, 3)).to.throw(/no same-slot value/);
  });

  it('Holt-Winters follows a trending weekly pattern', () => {
    const pattern = [10, 12, 14, 13, 11, 20, 25];
    const series = Array.from({ length: 7 * 20 }, (_, t) => 100 + 0.5 * t + (pattern[t % 7] ?? 0));
    const truth = Array.from({ length: 7 }, (_, k) => 100 + 0.5 * (140 + k) + (pattern[(140 + k) % 7] ?? 0));
    const fc = holtWintersForecastSeries(series, 7, 7);
    fc.forEach((f, k) => expect(f).to.be.closeTo(truth[k] ?? 0, 1.5));
    const state = fitHoltWinters(series, 7);
    expect(state.t).to.equal(140);
    expect(state.trend).to.be.closeTo(0.5, 0.1);
  });

  it('Holt-Winters forecasts are clipped at zero', () => {
    const falling = Array.from({ length: 42 }, (_, t) => Math.max(0, 50 - 2 * t));
    holtWintersForecastSeries(falling, 14, 7).forEach((f) => expect(f).to.be.at.least(0));
  });
});
