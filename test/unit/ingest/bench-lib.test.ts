import { expect } from 'chai';
import { cpuBetween } from '../../../bench/lib/cpu';
import { machineLabel } from '../../../bench/lib/machine';
import { percentile, summarize } from '../../../bench/lib/percentiles';

describe('bench/lib helpers', () => {
  it('percentile is nearest-rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.99)).to.equal(99);
    expect(percentile(xs, 0.5)).to.equal(50);
    expect(percentile(xs, 1)).to.equal(100);
    expect(percentile([7], 0.99)).to.equal(7);
    expect(Number.isNaN(percentile([], 0.5))).to.equal(true);
  });

  it('summarize sorts numerically and reports the tail', () => {
    const s = summarize([5, 100, 20, 3, 1000, 7, 9, 11, 2, 4]);
    expect(s).to.deep.equal({ n: 10, p50: 7, p90: 100, p95: 1000, p99: 1000, max: 1000 });
  });

  it('cpuBetween turns ticks into average cores', () => {
    // Postgres backend 7 ended and 9 started between the samples: neither makes the figure negative.
    const a = {
      at: 0,
      ticks: { ingester: { 1: 0 }, broker: { 2: 100 }, postgres: { 5: 50, 7: 400 } },
      busy: 0,
      total: 0,
    };
    const b = {
      at: 2000,
      ticks: { ingester: { 1: 150 }, broker: { 2: 200 }, postgres: { 5: 70, 9: 20 } },
      busy: 300,
      total: 400,
    };
    const r = cpuBetween(a, b);
    expect(r.ingester).to.equal(0.75);
    expect(r.broker).to.equal(0.5);
    expect(r.postgres).to.equal(0.2);
    expect(r.machine_busy_pct).to.equal(75);
  });

  it('names the machine by CPU model and core count', () => {
    expect(machineLabel()).to.match(/ × \d+$/);
  });
});
