import { expect } from 'chai';
import {
  daysAtTemperature,
  q10Rate,
  quarantineDecision,
  remainingShelfLifeDays,
  shelfLifeConsumed,
} from '../../../domain/coldchain/shelfLife';
import { T0 } from './helpers';

const DAY = 86_400_000;
const lettuce = { q10: 3, refTempC: 2, shelfLifeDaysAtRef: 10 };
const at = (days: number, tempC: number) => ({ ts: T0 + days * DAY, tempC });

describe('coldchain/shelfLife (Q10)', () => {
  it('consumes one day per day at the reference temperature', () => {
    expect(shelfLifeConsumed([at(0, 2), at(2, 2)], lettuce)).to.be.closeTo(2, 1e-12);
  });

  it('consumes Q10 times faster 10 °C warmer and 1/Q10 as fast 10 °C colder', () => {
    expect(q10Rate(12, lettuce)).to.be.closeTo(3, 1e-12);
    expect(q10Rate(7, lettuce)).to.be.closeTo(Math.sqrt(3), 1e-12);
    expect(shelfLifeConsumed([at(0, 12)], lettuce, { endTs: T0 + DAY })).to.be.closeTo(3, 1e-12);
    expect(shelfLifeConsumed([at(0, -8)], lettuce, { endTs: T0 + DAY })).to.be.closeTo(1 / 3, 1e-12);
  });

  it('adds up a mixed exposure, time-weighted', () => {
    // 1 day at ref (1), half a day at 12 °C (1.5), 1 day at 22 °C (9).
    const consumed = shelfLifeConsumed([at(0, 2), at(1, 12), at(1.5, 22)], lettuce, { endTs: T0 + 2.5 * DAY });
    expect(consumed).to.be.closeTo(11.5, 1e-9);
  });

  it('reports remaining shelf life, including earlier legs, never below zero', () => {
    expect(remainingShelfLifeDays([at(0, 12)], lettuce, { endTs: T0 + DAY })).to.be.closeTo(7, 1e-12);
    expect(remainingShelfLifeDays([at(0, 12)], lettuce, { endTs: T0 + DAY, alreadyConsumedDays: 2 })).to.be.closeTo(
      5,
      1e-12,
    );
    expect(remainingShelfLifeDays([at(0, 30)], lettuce, { endTs: T0 + 5 * DAY })).to.equal(0);
  });

  it('converts remaining reference days into days at a storage temperature', () => {
    expect(daysAtTemperature(7, 12, lettuce)).to.be.closeTo(7 / 3, 1e-12);
    expect(daysAtTemperature(7, 2, lettuce)).to.be.closeTo(7, 1e-12);
  });

  it('rejects nonsensical parameters loudly', () => {
    expect(() => q10Rate(5, { q10: 0, refTempC: 2 })).to.throw(RangeError);
    expect(() => shelfLifeConsumed([at(0, 2)], { ...lettuce, shelfLifeDaysAtRef: -1 })).to.throw(RangeError);
    expect(() => q10Rate(5, { q10: 2, refTempC: Number.NaN })).to.throw(RangeError);
  });
});

describe('coldchain/shelfLife: quarantine decision', () => {
  it('quarantines on a hard-limit breach whatever the shelf life', () => {
    expect(quarantineDecision({ hardLimitBreached: true, remainingShelfLifeDays: 9, minShelfLifeDays: 2 })).to.include({
      quarantine: true,
      reason: 'hard_limit_breached',
    });
  });

  it('quarantines when too little shelf life is left, and releases at exactly the minimum', () => {
    expect(
      quarantineDecision({ hardLimitBreached: false, remainingShelfLifeDays: 1.9, minShelfLifeDays: 2 }),
    ).to.include({ quarantine: true, reason: 'insufficient_shelf_life' });
    expect(quarantineDecision({ hardLimitBreached: false, remainingShelfLifeDays: 2, minShelfLifeDays: 2 })).to.include(
      { quarantine: false, reason: 'ok' },
    );
  });

  it('fails safe when the remaining shelf life is unknown', () => {
    expect(
      quarantineDecision({ hardLimitBreached: false, remainingShelfLifeDays: null, minShelfLifeDays: 2 }),
    ).to.include({ quarantine: true, reason: 'unknown_shelf_life' });
    expect(
      quarantineDecision({ hardLimitBreached: false, remainingShelfLifeDays: Number.NaN, minShelfLifeDays: 2 }),
    ).to.include({ quarantine: true, reason: 'unknown_shelf_life' });
  });
});
