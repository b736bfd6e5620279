// Real data: the Chicago "L" ridership backtest from docs/forecasting.md, run through the CLI
// function. Train up to 2014-08-31, score 7-day-ahead forecasts for 2014-09-01 … 2016-08-28.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktestCli } from '../../../forecasting/backtest/cli';

// In the repository (test/fixtures/README.md: source and licence), so this test always runs.
const CSV = join(__dirname, '../../fixtures/chicago-ridership.csv');

interface Scores {
  mae: number;
  wape: number;
  mase: number;
  bias: number;
  coverage: number;
}

describe('Chicago ridership backtest (real data)', function () {
  this.timeout(120_000);
  let out: { model: Scores; baselines: Record<string, Scores>; targets: number };
  let dir: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'fc-chicago-'));
    let stdout = '';
    let stderr = '';
    const code = runBacktestCli(
      [
        '--csv',
        CSV,
        '--time',
        'date',
        '--target',
        'ridership',
        '--features',
        'temp,temp_max,percip,humidity,wind,weather_rain,weather_snow',
        '--holidays',
        'US',
        '--freq',
        'day',
        '--horizon',
        '7',
        '--test-from',
        '2014-09-01',
        '--plot',
        join(dir, 'chicago.svg'),
      ],
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    );
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    out = JSON.parse(stdout) as typeof out;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scores every day of the test period', () => {
    expect(out.targets).to.equal(728);
  });

  it('reproduces the README reference for same weekday last week (MAE 1.469)', () => {
    expect(out.baselines.same_slot_last_week?.mae).to.be.closeTo(1.469, 0.001);
  });

  it('has at least 45% lower MAE than same slot last week', () => {
    const naive = out.baselines.same_slot_last_week?.mae ?? 0;
    expect(out.model.mae).to.be.at.most(0.55 * naive);
    expect(out.model.mae).to.be.below(0.8);
  });

  it('beats every baseline on MAE, WAPE and MASE', () => {
    for (const [name, b] of Object.entries(out.baselines)) {
      expect(out.model.mae, name).to.be.below(b.mae);
      expect(out.model.wape, name).to.be.below(b.wape);
      expect(out.model.mase, name).to.be.below(b.mase);
    }
  });

  it('has small bias and p10–p90 coverage near the nominal 80%', () => {
    expect(Math.abs(out.model.bias)).to.be.below(0.15);
    expect(out.model.coverage).to.be.within(0.7, 0.9);
  });
});
