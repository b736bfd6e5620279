// Design terms added for sub-daily weather (issue #16): time-of-day blocks, trailing-mean weather,
// the persistence test that decides which features get one. Properties over hostile inputs.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  buildDesignSpec,
  columnLabel,
  dayToDayCorrelation,
  designMatrix,
  trailingMean,
  validDayBlocks,
  type DesignSource,
} from '../../../forecasting/model/design';
import { DAY_MS } from '../../../forecasting/time';

const hostileNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, -0),
  fc.integer({ min: -1e6, max: 1e6 }),
);

function spec(source: DesignSource, steps: number, slotsPerDay: number, dayBlocks: number, trailingWindow = 0) {
  return buildDesignSpec({
    region: 'none',
    slotsPerDay,
    training: [{ source, steps }],
    features: Object.keys(source.features),
    harmonics: 0,
    weekendHarmonics: 0,
    knots: {},
    autoKnotQuantiles: [0.25, 0.5, 0.75],
    minNamedCount: 2,
    dayBlocks,
    trailingWindow,
  });
}

describe('design terms: time-of-day blocks', () => {
  it('validDayBlocks accepts exactly the divisors of the slots per day, else a RangeError naming the value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 24, 48, 96),
        fc.oneof(fc.integer({ min: -100, max: 200 }), hostileNumber),
        (slots, blocks) => {
          const ok = Number.isInteger(blocks) && blocks >= 1 && slots % blocks === 0;
          if (ok) expect(validDayBlocks(blocks, slots)).to.equal(blocks);
          else expect(() => validDayBlocks(blocks, slots)).to.throw(RangeError, /dayBlocks/);
        },
      ),
    );
  });

  it('block copies of a weather column add up to the all-day column, one block active per step', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(24, 48),
        fc.constantFrom(2, 3, 4, 6, 12),
        fc.array(fc.double({ min: -30, max: 45, noNaN: true }), { minLength: 7 * 48, maxLength: 7 * 48 }),
        fc.integer({ min: 0, max: 47 }),
        (slots, blocks, temps, offset) => {
          const steps = 7 * slots;
          const source: DesignSource = {
            start: Date.UTC(2024, 0, 1) + offset * (DAY_MS / slots),
            features: { temp: temps.slice(0, steps) },
          };
          const s = spec(source, steps, slots, blocks);
          const x = designMatrix(s, source, steps);
          const p = s.columns.length;
          s.columns.forEach((c, j) => {
            if (c.kind !== 'feature' || c.block !== null) return;
            const copies = s.columns
              .map((d, k) => [d, k] as const)
              .filter(([d]) => d.kind === 'feature' && d.block !== null && d.knot === c.knot && d.window === c.window);
            expect(copies).to.have.length(blocks);
            for (let t = 0; t < steps; t++) {
              const slot = (t + offset) % slots;
              let sum = 0;
              for (const [d, k] of copies) {
                const v = x[t * p + k] ?? 0;
                if (d.kind === 'feature' && d.block !== Math.floor((slot * blocks) / slots)) expect(v).to.equal(0);
                sum += v;
              }
              expect(sum).to.be.closeTo(x[t * p + j] ?? 0, 1e-9);
            }
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it('labels say which block and which trailing window a column reads', () => {
    const temps = Array.from({ length: 14 * 24 }, (_, t) => 15 + 8 * Math.sin(t / 40) + ((t * 7919) % 13) / 4);
    const source: DesignSource = { start: Date.UTC(2024, 0, 1), features: { temp: temps } };
    const labels = spec(source, temps.length, 24, 6, 24).columns.map(columnLabel);
    expect(labels).to.include('temp');
    expect(labels).to.include('temp~24');
    expect(labels).to.include('temp@block5');
    expect(labels.filter((l) => l.startsWith('temp~24') && l.endsWith('@block0'))).to.have.length(4); // linear + 3 hinges
  });
});

describe('design terms: trailing-mean weather', () => {
  it('equals the mean of the finite values in the window, NaN when there is none (hostile values)', () => {
    fc.assert(
      fc.property(fc.array(hostileNumber, { maxLength: 60 }), fc.integer({ min: -3, max: 10 }), (values, window) => {
        const out = trailingMean(values, window, values.length);
        if (window <= 1) {
          expect(out).to.equal(values);
          return;
        }
        for (let t = 0; t < values.length; t++) {
          const finite = values.slice(Math.max(0, t - window + 1), t + 1).filter((v) => Number.isFinite(v));
          const got = out[t] ?? Number.NaN;
          if (finite.length === 0) {
            expect(Number.isNaN(got)).to.equal(true);
            continue;
          }
          const expected = finite.reduce((s, v) => s + v / finite.length, 0);
          expect(Number.isFinite(got), `finite at ${t}`).to.equal(true);
          expect(got).to.be.closeTo(expected, Math.abs(expected) * 1e-9 + 1e-9);
        }
      }),
    );
  });

  it('a trailing column is only added for persistent features (temperature, not passing showers)', () => {
    const days = 60;
    const S = 24;
    const temp: number[] = [];
    const rain: number[] = [];
    let front = 0;
    for (let d = 0; d < days; d++) {
      front = 0.9 * front + ((d * 7919) % 11) - 5;
      for (let h = 0; h < S; h++) {
        temp.push(15 + front + 4 * Math.sin((2 * Math.PI * h) / S));
        rain.push((d * 31 + h * 17) % 23 === 0 ? 5 : 0);
      }
    }
    const source: DesignSource = { start: Date.UTC(2024, 0, 1), features: { temp, rain } };
    const training = [{ source, steps: days * S }];
    expect(dayToDayCorrelation('temp', { training, slotsPerDay: S })).to.be.above(0.7);
    expect(dayToDayCorrelation('rain', { training, slotsPerDay: S })).to.be.below(0.7);
    const labels = spec(source, days * S, S, 1, S).columns.map(columnLabel);
    expect(labels.some((l) => l.startsWith('temp~24'))).to.equal(true);
    expect(labels.some((l) => l.startsWith('rain~24'))).to.equal(false);
  });

  it('dayToDayCorrelation is a number in [−1, 1] or 0 for any feature values, never NaN', () => {
    fc.assert(
      fc.property(fc.array(hostileNumber, { maxLength: 24 * 6 }), (values) => {
        const source: DesignSource = { start: 0, features: { f: values } };
        const r = dayToDayCorrelation('f', { training: [{ source, steps: values.length }], slotsPerDay: 24 });
        expect(Number.isFinite(r)).to.equal(true);
        expect(r).to.be.within(-1 - 1e-9, 1 + 1e-9);
      }),
    );
  });
});
