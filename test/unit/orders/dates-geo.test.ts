import { expect } from 'chai';
import {
  civilFromDays,
  daysFromCivil,
  epochDayToIsoDate,
  isoDateToEpochDay,
  localEpochDay,
  localMidnightMs,
} from '../../../domain/orders/dates';
import { haversineKm, offsetPoint } from '../../../domain/orders/geo';
import { fnv1a, mulberry32 } from '../../../demo/rng';

describe('calendar arithmetic', () => {
  it('agrees with Date.UTC on known dates, leap days included', () => {
    for (const iso of ['1970-01-01', '2000-02-29', '2024-02-29', '2025-03-03', '2100-03-01', '1969-12-31']) {
      const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
      expect(isoDateToEpochDay(iso), iso).to.equal(Date.UTC(y, m - 1, d) / 86_400_000);
      expect(epochDayToIsoDate(isoDateToEpochDay(iso))).to.equal(iso);
    }
  });

  it('round-trips every day across four centuries', () => {
    for (let day = -50_000; day <= 100_000; day += 37) {
      const { year, month, day: dom } = civilFromDays(day);
      expect(daysFromCivil(year, month, dom)).to.equal(day);
    }
  });

  it('refuses impossible dates', () => {
    expect(() => isoDateToEpochDay('2025-02-29')).to.throw(/calendar date/);
    expect(() => isoDateToEpochDay('2025-3-3')).to.throw(/ISO date/);
  });

  it('puts 23:59 local and 00:00 local on different local days at UTC+8', () => {
    const midnight = localMidnightMs(isoDateToEpochDay('2025-03-04'), 480);
    expect(midnight).to.equal(Date.UTC(2025, 2, 3, 16, 0));
    expect(epochDayToIsoDate(localEpochDay(midnight - 60_000, 480))).to.equal('2025-03-03');
    expect(epochDayToIsoDate(localEpochDay(midnight, 480))).to.equal('2025-03-04');
  });
});

describe('geo and rng', () => {
  it('measures 1° of latitude as ~111.2 km and offsets points by the asked distance', () => {
    expect(haversineKm({ lat: 31, lng: 121 }, { lat: 32, lng: 121 })).to.be.closeTo(111.2, 0.1);
    const p = offsetPoint({ lat: 31.23, lng: 121.47 }, 2.5, 1);
    expect(haversineKm({ lat: 31.23, lng: 121.47 }, p)).to.be.closeTo(2.5, 0.01);
  });

  it('mulberry32 is seeded and stays in [0, 1); fnv1a is stable', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
    expect(mulberry32(43)()).to.not.equal(xs[0]);
    expect(fnv1a('')).to.equal(0x811c9dc5);
    expect(fnv1a('a')).to.equal(0xe40c292c);
  });
});
