import { expect } from 'chai';
import { bucketFloor, DEFAULT_REFRESH_WINDOWS_MS, DEFAULT_RETENTION, wholeBuckets } from '../../../iot-ingest/maintenance';

const MIN = 60_000;
const HOUR = 3_600_000;
const T = Date.UTC(2026, 5, 1, 10, 0, 0);

describe('iot-ingest/maintenance: windows', () => {
  it('floors to the bucket start, aligned to the epoch like time_bucket', () => {
    expect(bucketFloor(T + 59_999, MIN)).to.equal(T);
    expect(bucketFloor(T + MIN, MIN)).to.equal(T + MIN);
    expect(bucketFloor(T + 59 * MIN, HOUR)).to.equal(T);
    expect(bucketFloor(-1, MIN)).to.equal(-MIN);
  });

  it('keeps only the buckets the window covers entirely', () => {
    const w = (from: number, to: number, size: number) => {
      const r = wholeBuckets(new Date(from), new Date(to), size);
      return r && [r.from.getTime(), r.to.getTime()];
    };
    expect(w(T, T + 5 * MIN, MIN)).to.deep.equal([T, T + 5 * MIN]);
    expect(w(T + 1, T + 5 * MIN - 1, MIN)).to.deep.equal([T + MIN, T + 4 * MIN]);
    expect(w(T + 30_000, T + 90_000, MIN), 'no whole minute inside').to.equal(null);
    expect(w(T + 10 * MIN, T + 2 * HOUR + 5 * MIN, HOUR)).to.deep.equal([T + HOUR, T + 2 * HOUR]);
    expect(w(T, T, MIN)).to.equal(null);
  });

  it('refresh windows end far inside raw retention, so a refresh never sees dropped raw chunks', () => {
    const widest = Math.max(...Object.values(DEFAULT_REFRESH_WINDOWS_MS));
    expect(widest).to.be.lessThan(DEFAULT_RETENTION.rawDays * 86_400_000 / 10);
    expect(DEFAULT_RETENTION.minuteDays).to.be.lessThan(DEFAULT_RETENTION.hourDays);
  });
});
