// The backtest CLI, run in-process: good input gives one JSON object, bad input a clear
// message on stderr and exit code 2.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktestCli } from '../../../forecasting/backtest/cli';
import { createRng } from '../../../forecasting/rng';
import { dayOfIsoDate, isoDateOfDay } from '../../../forecasting/time';

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runBacktestCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Daily CSV: date,sales,temp with a weekly pattern; `mutate` can break individual rows. */
function dailyCsv(days: number, mutate?: (row: string[], i: number) => string[] | null): string {
  const rng = createRng(5);
  const d0 = dayOfIsoDate('2023-01-02');
  const lines = ['date,sales,temp'];
  for (let i = 0; i < days; i++) {
    const temp = 10 + 10 * Math.sin(i / 30) + rng.normal();
    const sales = (100 + 20 * (i % 7 >= 5 ? 1 : 0) + 2 * temp) * (1 + 0.05 * rng.normal());
    const row = [isoDateOfDay(d0 + i), sales.toFixed(2), temp.toFixed(1)];
    const out = mutate ? mutate(row, i) : row;
    if (out) lines.push(out.join(','));
  }
  return lines.join('\n') + '\n';
}

describe('backtest CLI', function () {
  this.timeout(60_000);
  let dir: string;
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const baseArgs = (csv: string, more: string[] = []) => [
    '--csv',
    csv,
    '--time',
    'date',
    '--target',
    'sales',
    '--features',
    'temp',
    '--freq',
    'day',
    '--horizon',
    '7',
    '--test-from',
    '2023-06-01',
    '--plot',
    join(dir, 'out.svg'),
    ...more,
  ];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object with model and baseline metrics and writes the plot', () => {
    const csv = write('ok.csv', dailyCsv(200));
    const r = run(baseArgs(csv));
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.have.length(1);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, Record<string, number>>>;
    for (const key of ['mae', 'wape', 'mase', 'bias', 'coverage'])
      expect(out.model).to.have.property(key).that.is.a('number');
    expect(Object.keys(out.baselines ?? {})).to.deep.equal([
      'same_slot_last_week',
      'mean_last_4_same_slots',
      'ets_seasonal',
    ]);
    expect(out.targets).to.equal(200 - 150); // 2023-06-01 is day 150
    expect(readFileSync(join(dir, 'out.svg'), 'utf8')).to.match(/^<svg[\s\S]*polyline[\s\S]*<\/svg>/);
  });

  it('--test-to scores an earlier period only', () => {
    const csv = write('ok2.csv', dailyCsv(200));
    const out = JSON.parse(run(baseArgs(csv, ['--test-to', '2023-06-30'])).stdout) as { targets: number };
    expect(out.targets).to.equal(30);
  });

  it('names a missing column', () => {
    const csv = write('cols.csv', dailyCsv(200));
    const r = run(baseArgs(csv, ['--target', 'units']));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("missing column 'units'");
    expect(r.stdout).to.equal('');
  });

  it('says which row has an unparsable date and shows the value', () => {
    const csv = write(
      'date.csv',
      dailyCsv(200, (row, i) => (i === 9 ? ['2023-13-45', ...row.slice(1)] : row)),
    );
    const r = run(baseArgs(csv));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('row 10 (line 11)');
    expect(r.stderr).to.contain("'2023-13-45'");
  });

  it('says where the time index has a gap', () => {
    const csv = write(
      'gap.csv',
      dailyCsv(200, (row, i) => (i === 40 ? null : row)),
    );
    const r = run(baseArgs(csv));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('gap in time index');
    expect(r.stderr).to.contain('2023-02-10'); // last day before the gap
    expect(r.stderr).to.contain('2023-02-12');
    expect(r.stderr).to.contain('1 step missing starting 2023-02-11');
  });

  it('rejects a non-numeric target and duplicate times', () => {
    const bad = write(
      'nan.csv',
      dailyCsv(200, (row, i) => (i === 3 ? [row[0] ?? '', 'n/a', row[2] ?? ''] : row)),
    );
    const r = run(baseArgs(bad));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/row 4 .*target column 'sales' has non-numeric value 'n\/a'/);
    const dup = write(
      'dup.csv',
      dailyCsv(200, (row, i) => (i === 5 ? [isoDateOfDay(dayOfIsoDate('2023-01-02') + 4), ...row.slice(1)] : row)),
    );
    expect(run(baseArgs(dup)).stderr).to.contain('duplicate time 2023-01-06');
  });

  it('rejects bad arguments with usage', () => {
    const r = run(['--csv', 'x.csv', '--freq', 'week']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--freq must be hour or day|missing required option/);
    expect(run(['--bogus', '1']).stderr).to.contain('unknown option --bogus');
    expect(run(baseArgs(join(dir, 'nope.csv'))).stderr).to.contain('cannot read --csv');
  });

  it('backtests hourly multi-series data given as date + slot columns', () => {
    const rng = createRng(9);
    const d0 = dayOfIsoDate('2024-03-04');
    const lines = ['day,hour,node,sku,units,temp'];
    for (const sku of ['a', 'b']) {
      for (let d = 0; d < 42; d++) {
        for (let h = 0; h < 24; h++) {
          const temp = 20 + 5 * Math.sin((h - 9) / 4) + rng.normal();
          const lambda = (h >= 8 && h <= 21 ? 3 : 0.3) * (sku === 'a' ? 1 : 0.5);
          lines.push(
            [isoDateOfDay(d0 + d), String(h), 'n1', sku, String(rng.poisson(lambda)), temp.toFixed(1)].join(','),
          );
        }
      }
    }
    const csv = write('hourly.csv', lines.join('\n'));
    const plot = join(dir, 'hourly.svg');
    const r = run([
      '--csv',
      csv,
      '--time',
      'day',
      '--slot-col',
      'hour',
      '--target',
      'units',
      '--features',
      'temp',
      '--series-cols',
      'node,sku',
      '--freq',
      'hour',
      '--horizon',
      '24',
      '--test-from',
      isoDateOfDay(d0 + 35),
      '--plot',
      plot,
    ]);
    expect(r.stderr).to.equal('');
    const out = JSON.parse(r.stdout) as {
      series: number;
      targets: number;
      model: { mae: number };
      baselines: { same_slot_last_week: { mae: number } };
    };
    expect(out.series).to.equal(2);
    expect(out.targets).to.equal(7 * 24);
    expect(out.model.mae).to.be.below(out.baselines.same_slot_last_week.mae);
    expect(existsSync(plot)).to.equal(true);
  });
});
