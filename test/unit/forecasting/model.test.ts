// Model behaviour on synthetic data with known effects (see forecasting/synthetic.ts).
import { expect } from 'chai';
import { seasonalNaiveAt } from '../../../forecasting/baselines';
import { holidayCalendar } from '../../../forecasting/holidays';
import { calendarEffect, coefficients, featureEffect } from '../../../forecasting/model/explain';
import { fitModel } from '../../../forecasting/model/fit';
import { createForecaster } from '../../../forecasting/model/forecaster';
import type { FittedModel, QuantileForecast } from '../../../forecasting/model/types';
import { generateGroceryDemand, type SyntheticData } from '../../../forecasting/synthetic';
import { DAY_MS, isoDateOfDay } from '../../../forecasting/time';

const S = 24;
const HISTORY_DAYS = 207; // 2024-04-01 … 2024-10-24: Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day and their make-up workdays
const TEST_DAYS = 7;

function fitOn(data: SyntheticData, days: number, extra: Record<string, unknown> = {}): FittedModel {
  return fitModel(
    data.series.map((s) => ({
      id: s.id,
      group: s.group,
      start: s.start,
      values: s.values.subarray(0, days * S),
      features: s.features,
    })),
    { slotsPerDay: S, holidays: 'CN', horizon: TEST_DAYS * S, ...extra },
  );
}

/** Forecasts for the test week, per series. */
function testWeek(model: FittedModel, data: SyntheticData, days: number): QuantileForecast[][] {
  return model.series.map((fitted, i) => {
    const s = data.series[i];
    if (!s) throw new Error('series mismatch');
    const f = createForecaster(model, fitted, s.features, data.length);
    return Array.from({ length: TEST_DAYS * S }, (_, k) => f.forecastAt(days * S + k));
  });
}

describe('forecasting model on synthetic hourly grocery data', function () {
  this.timeout(60_000);
  let data: SyntheticData;
  let model: FittedModel;
  let forecasts: QuantileForecast[][];

  before(() => {
    data = generateGroceryDemand({
      seed: 7,
      start: '2024-04-01',
      days: HISTORY_DAYS + TEST_DAYS,
      nodes: 3,
      skusPerCategory: 6,
    });
    model = fitOn(data, HISTORY_DAYS);
    forecasts = testWeek(model, data, HISTORY_DAYS);
  });

  it('generates deterministically from the seed', () => {
    const again = generateGroceryDemand({ seed: 7, start: '2024-06-01', days: 14, nodes: 1, skusPerCategory: 2 });
    const other = generateGroceryDemand({ seed: 8, start: '2024-06-01', days: 14, nodes: 1, skusPerCategory: 2 });
    const first = generateGroceryDemand({ seed: 7, start: '2024-06-01', days: 14, nodes: 1, skusPerCategory: 2 });
    expect(Array.from(again.series[0]?.values ?? [])).to.deep.equal(Array.from(first.series[0]?.values ?? []));
    expect(Array.from(other.series[0]?.values ?? [])).to.not.deep.equal(Array.from(first.series[0]?.values ?? []));
  });

  it('recovers the temperature effect on drinks (+4%/°C above 25 → +20% at 30 vs 25) within ±20%', () => {
    const truth = data.effects.heatPerDegree.drinks ?? 0;
    const effect = featureEffect(model, 'drinks', { temp: 30 }, { temp: 25 });
    expect(effect).to.be.within(0.8 * 5 * truth, 1.2 * 5 * truth);
    // Produce has no heat effect in the generator.
    expect(Math.abs(featureEffect(model, 'produce', { temp: 30 }, { temp: 25 }))).to.be.below(0.05);
  });

  // Rain rides on 3 nodes' weather only, and in the generator a rainy hour is also ~20 points
  // more humid, so the model may split the effect between precip and humidity. Score a rainy
  // hour as a whole (5 mm/h at 85% vs dry at 65%), with ±25%.
  it('recovers the rain effect (+3% per mm/h → +15% for a 5 mm/h hour) within ±25%', () => {
    const truth = 5 * data.effects.rainPerMm;
    for (const g of ['drinks', 'produce', 'dairy', 'snacks']) {
      const effect = featureEffect(model, g, { precip: 5, humidity: 85 }, { precip: 0, humidity: 65 });
      expect(effect, g).to.be.within(0.75 * truth, 1.25 * truth);
    }
  });

  // The day before a holiday block occurs only 5 times in the history: ±35% for that one.
  it('recovers the holiday uplift (+30%, ±20%) and the day-before uplift (+20%, ±35%)', () => {
    const cn = holidayCalendar('CN');
    const firstDay = data.start / DAY_MS;
    for (const g of ['drinks', 'produce', 'dairy', 'snacks']) {
      const holiday: number[] = [];
      const before: number[] = [];
      for (let d = firstDay; d < firstDay + HISTORY_DAYS; d++) {
        if (cn.isHoliday(isoDateOfDay(d))) holiday.push(calendarEffect(model, g, isoDateOfDay(d)));
        else if (cn.isHoliday(isoDateOfDay(d + 1))) before.push(calendarEffect(model, g, isoDateOfDay(d)));
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(holiday.length).to.be.greaterThan(10);
      expect(mean(holiday), `${g} holiday`).to.be.within(
        0.8 * data.effects.holidayUplift,
        1.2 * data.effects.holidayUplift,
      );
      expect(mean(before), `${g} day before`).to.be.within(
        0.65 * data.effects.dayBeforeUplift,
        1.35 * data.effects.dayBeforeUplift,
      );
    }
  });

  it('treats make-up workdays as workdays (no big residual effect left)', () => {
    expect(Math.abs(coefficients(model, 'drinks').makeupWorkday ?? 0)).to.be.below(0.1);
  });

  it('beats the seasonal naive baseline on the hold-out week', () => {
    let model1 = 0;
    let naive = 0;
    data.series.forEach((s, i) => {
      for (let k = 0; k < TEST_DAYS * S; k++) {
        const t = HISTORY_DAYS * S + k;
        const y = s.values[t] ?? 0;
        model1 += Math.abs((forecasts[i]?.[k]?.p50 ?? 0) - y);
        naive += Math.abs(seasonalNaiveAt(s.values, HISTORY_DAYS * S, t, 7 * S) - y);
      }
    });
    expect(model1).to.be.below(0.85 * naive);
  });

  it('gives p10–p90 intervals with roughly nominal (80%) coverage', () => {
    let inside = 0;
    let total = 0;
    data.series.forEach((s, i) => {
      forecasts[i]?.forEach((f, k) => {
        const y = s.values[HISTORY_DAYS * S + k] ?? 0;
        if (y >= f.p10 && y <= f.p90) inside += 1;
        total += 1;
      });
    });
    expect(inside / total).to.be.within(0.7, 0.92);
  });

  it('never forecasts negative demand, even for odd inputs', () => {
    for (const series of forecasts) for (const f of series) expect(f.p10).to.be.at.least(0);
    const n = 28 * S;
    const zeros = new Float64Array(n);
    const falling = Float64Array.from({ length: n }, (_, t) => Math.max(0, 20 - t / 20));
    const heat = { temp: Float64Array.from({ length: n + 7 * S }, (_, t) => (t < n ? 20 + (t % 24) : 60)) };
    const m = fitModel(
      [
        { id: 'zeros', start: data.start, values: zeros, features: heat },
        { id: 'falling', start: data.start, values: falling, features: heat },
      ],
      { slotsPerDay: S, holidays: 'CN', horizon: 7 * S },
    );
    for (const fitted of m.series) {
      const f = createForecaster(m, fitted, heat, n + 7 * S);
      for (let t = n; t < n + 7 * S; t++) {
        const q = f.forecastAt(t);
        expect(q.p10).to.be.at.least(0);
        expect(q.p50).to.be.at.least(q.p10);
        expect(q.p90).to.be.at.least(q.p50);
        expect(Number.isFinite(q.p90)).to.equal(true);
      }
    }
  });

  it('pooling: sparse series forecasts are closer to the true mean with pooling than without', () => {
    const sparseData = generateGroceryDemand({
      seed: 11,
      start: '2024-03-04',
      days: 35,
      nodes: 4,
      skusPerCategory: 8,
      categories: ['drinks', 'snacks'],
      sparseFraction: 0.4,
    });
    const errorVsTruth = (pooling: number): number => {
      const m = fitOn(sparseData, 28, { pooling });
      const fc = testWeek(m, sparseData, 28);
      let err = 0;
      sparseData.series.forEach((s, i) => {
        if (!s.sparse) return;
        fc[i]?.forEach((f, k) => {
          err += Math.abs(f.mean - (s.expected?.[28 * S + k] ?? 0));
        });
      });
      return err;
    };
    expect(sparseData.series.filter((s) => s.sparse).length).to.be.greaterThan(3);
    const pooled = errorVsTruth(20);
    const unpooled = errorVsTruth(0);
    expect(pooled).to.be.below(0.9 * unpooled);
  });
});
