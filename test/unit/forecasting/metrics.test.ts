import { expect } from 'chai';
import { bias, coverage, mae, mase, seasonalNaiveScale, wape } from '../../../forecasting/metrics';

describe('forecasting metrics', () => {
  const actual = [1, 2, 3, 4];
  const forecast = [2, 2, 2, 2]; // errors (f − y): +1, 0, −1, −2

  it('MAE is the mean absolute error', () => {
    expect(mae(actual, forecast)).to.equal(1);
  });

  it('WAPE divides total absolute error by total actuals', () => {
    expect(wape(actual, forecast)).to.be.closeTo(4 / 10, 1e-12);
  });

  it('bias is forecast minus actual (negative = under-forecast)', () => {
    expect(bias(actual, forecast)).to.equal(-0.5);
    expect(bias([1, 1], [3, 3])).to.equal(2);
  });

  it('MASE scales by the in-sample seasonal naive MAE', () => {
    // |3−1|, |4−2|, |5−3|, |6−4| → 2
    expect(seasonalNaiveScale([1, 2, 3, 4, 5, 6], 2)).to.equal(2);
    expect(mase(actual, forecast, 2)).to.equal(0.5);
    expect(() => seasonalNaiveScale([1, 2], 2)).to.throw(/need more than 2/);
  });

  it('coverage counts actuals inside the closed interval', () => {
    expect(coverage(actual, [0, 2, 3, 5], [1, 3, 3, 6])).to.equal(0.75);
  });

  it('rejects mismatched or empty inputs', () => {
    expect(() => mae([1, 2], [1])).to.throw(/length mismatch/);
    expect(() => mae([], [])).to.throw(/no points/);
  });
});
