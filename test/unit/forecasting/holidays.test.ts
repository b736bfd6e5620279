import { expect } from 'chai';
import { holidayCalendar } from '../../../forecasting/holidays';
import { dayFlags } from '../../../forecasting/model/dayFlags';
import { dayOfIsoDate } from '../../../forecasting/time';

describe('holiday calendars', () => {
  it('CN: Spring Festival 2024 holidays and make-up workdays come from chinese-days', () => {
    const cn = holidayCalendar('CN');
    expect(cn.isMakeupWorkday('2024-02-04')).to.equal(true); // Sunday, worked (调休)
    expect(cn.isHoliday('2024-02-04')).to.equal(false);
    expect(cn.isHoliday('2024-02-10')).to.equal(true);
    expect(cn.holidayName('2024-02-10')).to.equal('Spring Festival');
    expect(cn.isMakeupWorkday('2024-02-18')).to.equal(true);
    expect(cn.isHoliday('2024-10-01')).to.equal(true);
    expect(cn.isMakeupWorkday('2024-09-29')).to.equal(true);
  });

  it('CN: an ordinary weekend is neither a holiday nor a make-up workday', () => {
    const cn = holidayCalendar('CN');
    expect(cn.isHoliday('2024-02-03')).to.equal(false);
    expect(cn.isMakeupWorkday('2024-02-03')).to.equal(false);
  });

  it('US: 2015-07-03 is the observed Independence Day (date-holidays)', () => {
    const us = holidayCalendar('US');
    expect(us.isHoliday('2015-07-03')).to.equal(true);
    expect(us.holidayName('2015-07-03')).to.equal('Independence Day');
    expect(us.isHoliday(new Date(Date.UTC(2015, 6, 4)))).to.equal(true);
    expect(us.isHoliday('2015-07-06')).to.equal(false);
    expect(us.isMakeupWorkday('2015-07-05')).to.equal(false);
  });

  it('US: observances are named but are not public holidays', () => {
    const us = holidayCalendar('US');
    expect(us.isHoliday('2015-12-24')).to.equal(false);
    expect(us.observanceName('2015-12-24')).to.equal('Christmas Eve');
  });

  it("'none' knows no holidays", () => {
    const none = holidayCalendar('none');
    expect(none.isHoliday('2015-12-25')).to.equal(false);
    expect(none.dayInfo('2024-02-04').makeupWorkday).to.equal(false);
  });

  it('rejects non-dates', () => {
    expect(() => holidayCalendar('US').isHoliday('2015-02-30')).to.throw(/not a calendar date/);
  });

  it('derives the days around holidays', () => {
    const f = (d: string) => dayFlags('US', dayOfIsoDate(d));
    expect(f('2015-11-25').dayBefore).to.equal(true); // Wednesday before Thanksgiving
    expect(f('2015-11-27').dayAfter).to.equal(true);
    expect(f('2015-11-27').observanceName).to.equal('Day after Thanksgiving Day');
    expect(f('2014-12-29').betweenHolidays).to.equal(true); // Christmas → New Year
    expect(f('2015-11-24').nearHoliday).to.equal(true);
    expect(f('2015-10-11').neighbour).to.deep.equal({ name: 'Columbus Day', relation: 'before' });
    expect(f('2015-06-10').affected).to.equal(false);
  });
});
