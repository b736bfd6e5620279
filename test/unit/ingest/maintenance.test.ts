import { expect } from 'chai';
import fc from 'fast-check';
import { AGGREGATE_BUCKET_MS } from '../../../db/telemetry-maintenance';
import { bucketFloor, LATE_REFRESH_MS, lateRefreshWindow, RETENTION_DAYS } from '../../../iot-ingest/maintenance';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.UTC(2026, 5, 1, 10, 0, 0);

describe('iot-ingest/maintenance: windows', () => {
  it('floors to the bucket start, aligned to the epoch like time_bucket', () => {
    expect(bucketFloor(T + 59_999, MIN)).to.equal(T);
    expect(bucketFloor(T + MIN, MIN)).to.equal(T + MIN);
    expect(bucketFloor(T + 59 * MIN, HOUR)).to.equal(T);
    expect(bucketFloor(-1, MIN)).to.equal(-MIN);
  });

  it('the late-reading refresh ends where the refresh policy starts, inside the 1-minute and raw retention', () => {
    expect(LATE_REFRESH_MS['1m'].endAgo).to.equal(3 * HOUR);
    expect(LATE_REFRESH_MS['1h'].endAgo).to.equal(3 * DAY);
    for (const w of Object.values(LATE_REFRESH_MS)) {
      expect(w.startAgo).to.be.lessThan(RETENTION_DAYS['1m'] * DAY);
      expect(w.startAgo).to.be.lessThan((RETENTION_DAYS.raw * DAY) / 10);
    }
  });

  it('late-reading windows are whole buckets, non-empty, ending before now, for any now (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8.64e15 + 40 * DAY, max: 8.64e15 }),
        fc.constantFrom('1m' as const, '1h' as const),
        (now, level) => {
          const w = lateRefreshWindow(level, new Date(now));
          const size = AGGREGATE_BUCKET_MS[level];
          expect(w.from.getTime() % size === 0 || Object.is(w.from.getTime() % size, -0)).to.equal(true);
          expect(w.to.getTime() % size === 0 || Object.is(w.to.getTime() % size, -0)).to.equal(true);
          expect(w.from.getTime()).to.be.lessThan(w.to.getTime());
          expect(w.to.getTime()).to.be.at.most(now - LATE_REFRESH_MS[level].endAgo);
        },
      ),
    );
  });
});
