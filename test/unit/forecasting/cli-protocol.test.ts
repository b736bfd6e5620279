// Backtest protocol options planners steer: origins, leads, scored period, holidays, exports,
// and a plot only when asked. The CLI runs in-process on small synthetic CSVs.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseArgs } from '../../../forecasting/backtest/args';
import { runBacktestCli } from '../../../forecasting/backtest/cli';
import { InputError } from '../../../forecasting/backtest/errors';
import { customHolidayRegion, holidayCalendar, holidayRegionProblem } from '../../../forecasting/holidays';
import { loadSeries } from '../../../forecasting/backtest/load';
import { subDailyDemand, subDailyCsv } from './subDaily';
import { createRng } from '../../../forecasting/rng';
import { dayOfIsoDate, isoDateOfDay } from '../../../forecasting/time';

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runBacktestCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** 200 days from 2023-01-02 (a Monday): weekly pattern, temperature, a 0/1 holiday column. */
function dailyCsv(mutate?: (row: string[], i: number) => string[]): string {
  const rng = createRng(11);
  const d0 = dayOfIsoDate('2023-01-02');
  const lines = ['date,sales,temp,holiday'];
  for (let i = 0; i < 200; i++) {
    const temp = 10 + 10 * Math.sin(i / 30) + rng.normal();
    const holiday = i % 23 === 17 ? 1 : 0; // a store-specific closure-like day every ~3 weeks
    const sales = (100 + 20 * (i % 7 >= 5 ? 1 : 0) + 2 * temp) * (holiday ? 0.3 : 1) * (1 + 0.05 * rng.normal());
    const row = [isoDateOfDay(d0 + i), sales.toFixed(2), temp.toFixed(1), String(holiday)];
    lines.push((mutate ? mutate(row, i) : row).join(','));
  }
  return lines.join('\n') + '\n';
}

interface LeadRow {
  lead: number;
  n: number;
  mae: number;
  bias: number;
  coverage: number;
}
interface Out {
  targets: number;
  origins: number;
  plot: string | null;
  out: string | null;
  protocol: {
    origin_every: number;
    leads: number[];
    origins: number;
    first_origin: string;
    last_origin: string;
    period: { from: string; to: string };
    slot_minutes: number;
    features: string[];
    holidays: unknown;
    scored: number;
  };
  per_lead: { model: LeadRow[]; baselines: Record<string, LeadRow[]> };
  model: { mae: number; coverage: number; interval_width: number; pinball: number };
}

/** Make a directory that even root cannot write into (chmod, plus the immutable flag as root). */
function readOnlyDir(path: string): void {
  chmodSync(path, 0o555);
  if (process.getuid?.() === 0) execFileSync('chattr', ['+i', path]);
  let writable = true;
  try {
    writeFileSync(join(path, 'probe'), 'x');
  } catch {
    writable = false;
  }
  if (writable) throw new Error(`could not make ${path} read-only for this test`);
}

function writableAgain(path: string): void {
  if (process.getuid?.() === 0) execFileSync('chattr', ['-i', path]);
  chmodSync(path, 0o755);
}

describe('backtest CLI protocol options', function () {
  this.timeout(60_000);
  let dir: string;
  let csv: string;
  const base = (more: string[] = []) => [
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
    '2023-06-05',
    ...more,
  ];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-protocol-'));
    csv = join(dir, 'daily.csv');
    writeFileSync(csv, dailyCsv());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('plots only when asked', () => {
    let ro: string;
    before(() => {
      ro = join(dir, 'readonly');
      mkdirSync(ro);
      writeFileSync(join(ro, 'daily.csv'), dailyCsv());
      readOnlyDir(ro);
    });
    after(() => writableAgain(ro));

    it('a CSV in a read-only directory backtests without writing anything beside it', () => {
      const r = run(base(['--csv', join(ro, 'daily.csv')]));
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const out = JSON.parse(r.stdout) as Out;
      expect(out.plot).to.equal(null);
      expect(readdirSync(ro)).to.deep.equal(['daily.csv']);
    });

    it('an unwritable --plot path: the JSON first, then one clear error line and a non-zero exit', () => {
      const r = run(base(['--plot', join(ro, 'chart.svg')]));
      expect(r.code).to.not.equal(0);
      const out = JSON.parse(r.stdout) as Out; // the result is not lost
      expect(out.model.mae).to.be.a('number');
      const lines = r.stderr.trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^error: cannot write --plot .*chart\.svg/);
      expect(r.stderr).to.not.match(/\n\s+at /); // no stack trace
    });

    it('--plot FILE writes the SVG', () => {
      const plot = join(dir, 'chart.svg');
      const out = JSON.parse(run(base(['--plot', plot])).stdout) as Out;
      expect(out.plot).to.equal(plot);
      expect(readFileSync(plot, 'utf8')).to.match(/^<svg[\s\S]*<\/svg>/);
    });
  });

  it('default protocol: an origin every horizon, every lead 1..H scored once per origin, echoed', () => {
    const r = run(base());
    expect(r.stderr).to.equal('');
    const out = JSON.parse(r.stdout) as Out;
    // 2023-06-05 (day 154) to the end (day 199): 46 targets; origins 154, 161, …, 196.
    expect(out.targets).to.equal(46);
    expect(out.protocol.origin_every).to.equal(7);
    expect(out.protocol.leads).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(out.protocol.origins).to.equal(7);
    expect(out.protocol.first_origin).to.equal('2023-06-05');
    expect(out.protocol.last_origin).to.equal('2023-07-17');
    expect(out.protocol.period).to.deep.equal({ from: '2023-06-05', to: '2023-07-20' });
    expect(out.protocol.slot_minutes).to.equal(1440);
    expect(out.protocol.features).to.deep.equal(['temp']);
    expect(out.protocol.holidays).to.equal('none');
    expect(out.protocol.scored).to.equal(46);
    expect(out.per_lead.model.map((l) => l.lead)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(out.per_lead.model.reduce((s, l) => s + l.n, 0)).to.equal(46);
    expect(Object.keys(out.per_lead.baselines)).to.deep.equal([
      'same_slot_last_week',
      'mean_last_4_same_slots',
      'ets_seasonal',
    ]);
    for (const key of ['mae', 'coverage', 'interval_width', 'pinball'])
      expect(out.model).to.have.property(key).that.is.a('number');
  });

  it('--origin-every 1 --leads last is the one-score-per-target-at-the-longest-lead protocol', () => {
    const out = JSON.parse(run(base(['--origin-every', '1', '--leads', 'last'])).stdout) as Out;
    expect(out.protocol.leads).to.deep.equal([7]);
    expect(out.protocol.origins).to.equal(46);
    expect(out.protocol.first_origin).to.equal('2023-05-30'); // target − 6
    expect(out.protocol.scored).to.equal(46);
    expect(out.per_lead.model).to.have.length(1);
  });

  it('--origin-every 1 scores each target at every lead the period allows', () => {
    const out = JSON.parse(run(base(['--origin-every', '1', '--test-to', '2023-06-25'])).stdout) as Out;
    // Targets 2023-06-05 … 06-25 (21); origins from 06-05; a target k days in gets min(k+1, 7) leads.
    expect(out.targets).to.equal(21);
    expect(out.protocol.period).to.deep.equal({ from: '2023-06-05', to: '2023-06-25' });
    expect(out.protocol.scored).to.equal(1 + 2 + 3 + 4 + 5 + 6 + 7 * 15);
    expect(out.per_lead.model.find((l) => l.lead === 1)?.n).to.equal(21);
    expect(out.per_lead.model.find((l) => l.lead === 7)?.n).to.equal(15);
  });

  it('--leads takes a list of leads', () => {
    const out = JSON.parse(run(base(['--leads', '1,7'])).stdout) as Out;
    expect(out.protocol.leads).to.deep.equal([1, 7]);
    expect(out.per_lead.model.map((l) => l.lead)).to.deep.equal([1, 7]);
  });

  it('--out FILE exports every scored forecast with its intervals as CSV', () => {
    const path = join(dir, 'forecasts.csv');
    const out = JSON.parse(run(base(['--out', path])).stdout) as Out;
    expect(out.out).to.equal(path);
    const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
    expect(header).to.equal(
      'series,origin,target,lead,actual,model_p10,model_p50,model_p90,same_slot_last_week,same_slot_last_week_p10,same_slot_last_week_p90,' +
        'mean_last_4_same_slots,mean_last_4_same_slots_p10,mean_last_4_same_slots_p90,ets_seasonal,ets_seasonal_p10,ets_seasonal_p90',
    );
    expect(rows).to.have.length(46);
    const first = (rows[0] ?? '').split(',');
    expect(first.slice(0, 4)).to.deep.equal(['series', '2023-06-05', '2023-06-05', '1']);
    for (const row of rows) {
      const [p10, p50, p90] = row.split(',').slice(5, 8).map(Number) as [number, number, number];
      expect(p10).to.be.at.most(p50);
      expect(p50).to.be.at.most(p90);
    }
  });

  it('an unwritable --out path is one clear error line after the JSON', () => {
    const r = run(base(['--out', join(dir, 'no', 'such', 'dir.csv')]));
    expect(r.code).to.not.equal(0);
    expect(JSON.parse(r.stdout)).to.have.property('model');
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^error: cannot write --out /);
  });

  it('--holidays takes any date-holidays country or region (AU-VIC), echoed in the JSON', () => {
    const out = JSON.parse(run(base(['--holidays', 'AU-VIC'])).stdout) as Out;
    expect(out.protocol.holidays).to.equal('AU-VIC');
    // Melbourne Cup Day is a public holiday in Victoria only.
    expect(holidayCalendar('AU-VIC').isHoliday('2023-11-07')).to.equal(true);
    expect(holidayCalendar('AU').isHoliday('2023-11-07')).to.equal(false);
    expect(holidayCalendar('DE-BY').holidayName('2023-01-06')).to.equal('Heilige Drei Könige'); // Bavaria, not Berlin
    expect(holidayCalendar('DE-BE').isHoliday('2023-01-06')).to.equal(false);
  });

  it('rejects a region date-holidays does not know, naming the option', () => {
    for (const bad of ['XX', 'AU-XYZ', 'au-vic;rm', '__proto__', 'US\u0000']) {
      const r = run(base(['--holidays', bad]));
      expect(r.code, bad).to.equal(2);
      expect(r.stderr, bad).to.match(/--holidays/);
    }
  });

  it('--holiday-column NAME reads holidays from a 0/1 column and they improve those days', () => {
    const withCol = JSON.parse(
      run(base(['--holiday-column', 'holiday', '--leads', 'last', '--origin-every', '1'])).stdout,
    ) as Out;
    const without = JSON.parse(run(base(['--leads', 'last', '--origin-every', '1'])).stdout) as Out;
    expect(withCol.protocol.holidays).to.deep.equal({ column: 'holiday' });
    expect(withCol.model.mae).to.be.below(without.model.mae);
  });

  it('--holiday-column: a value other than 0/1 names row and column; with --holidays it is refused', () => {
    const bad = join(dir, 'bad-holiday.csv');
    writeFileSync(
      bad,
      dailyCsv((row, i) => (i === 4 ? [row[0] ?? '', row[1] ?? '', row[2] ?? '', 'yes'] : row)),
    );
    const r = run(base(['--csv', bad, '--holiday-column', 'holiday']));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("row 5 (line 6): holiday column 'holiday' must be 0 or 1, got 'yes'");
    const both = run(base(['--holiday-column', 'holiday', '--holidays', 'US']));
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('--holidays and --holiday-column');
    expect(run(base(['--holiday-column', 'nope'])).stderr).to.contain("missing column 'nope'");
  });

  it('rejects bad protocol values with a message naming the option', () => {
    expect(run(base(['--origin-every', '0'])).stderr).to.contain('--origin-every must be a positive integer');
    expect(run(base(['--origin-every', '1e400'])).stderr).to.contain('--origin-every');
    expect(run(base(['--leads', '8'])).stderr).to.contain('--leads: lead 8 is outside 1..7');
    expect(run(base(['--leads', 'x'])).stderr).to.contain('--leads');
    expect(run(base(['--test-to', '2023-06-01'])).stderr).to.contain('--test-to is before --test-from');
    expect(run(base(['--test-from', '+275760-09-13'])).code).to.equal(2);
    expect(existsSync(join(dir, 'daily.backtest.svg'))).to.equal(false);
  });

  it('argument parsing: any argv either parses or is an InputError (property)', () => {
    const token = fc.oneof(
      fc.constantFrom(
        '--csv',
        '--freq',
        '--horizon',
        '--origin-every',
        '--leads',
        '--holidays',
        '--holiday-column',
        '--out',
        '--plot',
        '--test-to',
        'day',
        'hour',
        '7',
        'last',
        'all',
      ),
      fc.string(),
      fc.string({ unit: 'binary' }), // lone surrogates included
      fc.constantFrom('\u0000', '__proto__', 'constructor', '1e308', '-0', '9007199254740993', '--=x', '--'),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (argv) => {
        const full = [
          '--csv',
          'x.csv',
          '--time',
          't',
          '--target',
          'y',
          '--freq',
          'day',
          '--horizon',
          '7',
          '--test-from',
          '2023-01-01',
          ...argv,
        ];
        try {
          const a = parseArgs(full);
          expect(a.originEvery).to.be.within(1, Number.MAX_SAFE_INTEGER);
          for (const l of a.leads ?? []) expect(l).to.be.within(1, a.horizon);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('--holidays CN keeps make-up workdays (chinese-days) and is echoed', () => {
    const out = JSON.parse(run(base(['--holidays', 'CN'])).stdout) as Out;
    expect(out.protocol.holidays).to.equal('CN');
    expect(holidayCalendar('CN').isMakeupWorkday('2023-04-23')).to.equal(true); // a worked Sunday
  });

  it('--refit-every sets how often the model is refitted (in steps)', () => {
    const every7 = JSON.parse(run(base(['--refit-every', '7'])).stdout) as Out & { refits: number };
    const every28 = JSON.parse(run(base(['--refit-every', '28'])).stdout) as Out & { refits: number };
    expect(every7.refits).to.equal(7); // one per weekly origin
    expect(every28.refits).to.equal(2); // origins 0 and 28 days in
  });

  it('--slot-minutes 30 with --series-cols and --group-col: half-hourly series pooled by group', () => {
    const S = 48;
    const lines = ['time,store,region,demand,temp,holiday'];
    for (const seed of [1, 2]) {
      const d = subDailyDemand({ seed, days: 7 * 8, slotsPerDay: S, holidayEvery: 30 });
      subDailyCsv(d)
        .trim()
        .split('\n')
        .slice(1)
        .forEach((line) => {
          const [time, demand, temp, holiday] = line.split(',');
          lines.push([time, `s${seed}`, 'north', demand, temp, holiday].join(','));
        });
    }
    const csv2 = join(dir, 'half-hourly.csv');
    writeFileSync(csv2, `${lines.join('\n')}\n`);
    const r = run([
      '--csv',
      csv2,
      '--time',
      'time',
      '--series-cols',
      'store',
      '--group-col',
      'region',
      '--target',
      'demand',
      '--features',
      'temp',
      '--holiday-column',
      'holiday',
      '--freq',
      'hour',
      '--slot-minutes',
      '30',
      '--horizon',
      '48',
      '--test-from',
      '2023-02-20',
      '--leads',
      '1,24,48',
    ]);
    expect(r.stderr).to.equal('');
    const out = JSON.parse(r.stdout) as Out & { series: number };
    expect(out.series).to.equal(2);
    expect(out.protocol.slot_minutes).to.equal(30);
    expect(out.protocol.first_origin).to.equal('2023-02-20T00:00');
    expect(out.protocol.origins).to.equal(7); // origin every horizon (a day), a week of test
    expect(out.per_lead.model.map((l) => l.n)).to.deep.equal([14, 14, 14]);
    expect(
      run([
        '--csv',
        csv2,
        '--time',
        'time',
        '--target',
        'demand',
        '--freq',
        'hour',
        '--slot-minutes',
        '7',
        '--horizon',
        '48',
        '--test-from',
        '2023-02-20',
      ]).stderr,
    ).to.contain('--slot-minutes must divide a day');
  });

  it('holiday column cells: only 0 and 1 load, anything else is an InputError naming the column (property)', () => {
    const cell = fc.oneof(
      fc.constantFrom(
        '0',
        '1',
        ' 1 ',
        '',
        '2',
        '-0',
        '1.0',
        'true',
        'NA',
        '\u0000',
        '\ud800',
        '__proto__',
        '1e308',
        '"1"',
      ),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 14, maxLength: 14 }), (cells) => {
        const rows = cells.map(
          (c, i) => `${isoDateOfDay(dayOfIsoDate('2023-01-02') + i)},${i + 1},${c.replace(/[,\r\n"]/g, '')}`,
        );
        const text = `date,y,h\n${rows.join('\n')}\n`;
        try {
          const data = loadSeries(text, {
            time: 'date',
            target: 'y',
            features: [],
            seriesCols: [],
            holidayColumn: 'h',
            slotsPerDay: 1,
          });
          for (const day of data.holidayDays ?? []) expect(day).to.match(/^\d{4}-\d{2}-\d{2}$/);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          expect((e as Error).message).to.match(/holiday column 'h' must be 0 or 1|cannot parse/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holiday region codes: any string is either usable or explained, never a crash (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.constantFrom(
            'US',
            'AU-VIC',
            'DE-BY-A',
            'CN',
            'none',
            '__proto__',
            'constructor',
            'US-__proto__',
            'AU-VIC-X-Y',
            'us',
            '\u0000',
          ),
        ),
        (code) => {
          const problem = holidayRegionProblem(code);
          if (problem === undefined) expect(() => holidayCalendar(code).isHoliday('2024-01-01')).to.not.throw();
          else expect(() => holidayCalendar(code)).to.throw(/unknown holiday region/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('custom holiday regions are content-addressed and reject non-dates', () => {
    const a = customHolidayRegion('closure', ['2023-01-05', '2023-01-04']);
    expect(customHolidayRegion('closure', ['2023-01-04', '2023-01-05'])).to.equal(a);
    expect(customHolidayRegion('other', ['2023-01-04'])).to.not.equal(a);
    expect(holidayCalendar(a).holidayName('2023-01-05')).to.equal('closure');
    expect(() => customHolidayRegion('x', ['2023-02-30'])).to.throw(/not a calendar date/);
  });
});
