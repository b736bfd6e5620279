import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import type { RuleProfile } from '../../../domain/coldchain/bands';
import { T0, min, reading, runRules, series, summary } from './helpers';

// Chilled defaults: warn > 5 °C for 15 min; door grace 5 min, max door open 10 min;
// defrost grace 15 min, max defrost 45 min.
const P: RuleProfile = { ...DEFAULT_PROFILES.chilled, rateOfChange: null };
const run = (readings: Parameters<typeof runRules>[0]) => runRules(readings, P);
const doorOpen = { doorOpen: true };
const doorShut = { doorOpen: false };

describe('coldchain/rules: door and defrost suppression', () => {
  it('does not alert for a 2-minute door opening after which the air takes 15 min to recover', () => {
    const { events } = run([
      ...series(0, 2, 7, 1, doorOpen),
      ...series(2, 17, 6.5, 1, doorShut), // still warm after closing: air recovering
      ...series(17, 40, 3, 1, doorShut),
    ]);
    expect(events).to.deep.equal([]);
  });

  it('the same temperatures without door flags do alert (so the test above proves suppression)', () => {
    const { events } = run([...series(0, 17, 6.5), ...series(17, 40, 3)]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15', 'excursion_resolved@27']);
  });

  it('defers, not cancels: a door opening followed by 20+ min of warm air alerts 15 min after the grace ends', () => {
    const { events } = run([...series(0, 2, 7, 1, doorOpen), ...series(2, 40, 7, 1, doorShut)]);
    // Door closed at 2 → grace until 7 → count starts at 7 → opens at 22.
    expect(summary(events)).to.deep.equal(['excursion_opened@22']);
    expect(events[0]).to.include({ startTs: T0 + min(7) });
  });

  it('stops suppressing when the door is left open longer than the maximum', () => {
    const { events } = run(series(0, 40, 7, 1, doorOpen));
    // Door open since 0, suppression ends after 10 min → count starts at 11 → opens at 26.
    expect(summary(events)).to.deep.equal(['excursion_opened@26']);
  });

  it('does not pause an excursion that was already counting when the door opened', () => {
    const { events } = run([...series(0, 10, 6), ...series(10, 12, 7, 1, doorOpen), ...series(12, 20, 6, 1, doorShut)]);
    expect(summary(events)).to.deep.equal(['excursion_opened@15']);
  });

  it('treats a missing door flag as "no news", keeping the last known door state', () => {
    const { events } = run([reading(0, 7, doorOpen), ...series(1, 3, 7), ...series(3, 60, 3)]);
    expect(events).to.deep.equal([]);
  });

  it('suppresses during a defrost cycle and its grace period', () => {
    const { events } = run([
      ...series(0, 25, 7, 1, { defrost: true }),
      ...series(25, 38, 6, 1, { defrost: false }), // grace runs until 40
      ...series(38, 80, 3, 1, { defrost: false }),
    ]);
    expect(events).to.deep.equal([]);
  });

  it('alerts when the air stays warm after the defrost grace', () => {
    const { events } = run([...series(0, 25, 7, 1, { defrost: true }), ...series(25, 70, 7, 1, { defrost: false })]);
    // Defrost ended at 25 → grace 15 min until 40 → opens at 55.
    expect(summary(events)).to.deep.equal(['excursion_opened@55']);
  });

  it('never suppresses the hard limit', () => {
    const { events } = run([reading(0, 3), reading(1, 13, doorOpen)]);
    expect(summary(events)).to.deep.equal(['hard_limit_breached@1']);
  });
});
