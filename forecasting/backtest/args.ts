// Command-line arguments of the backtest CLI.
import { holidayRegionProblem, type HolidayRegion } from '../holidays';
import { InputError } from './errors';

export interface BacktestArgs {
  readonly csv: string;
  readonly time: string;
  readonly slotCol?: string;
  readonly target: string;
  readonly features: readonly string[];
  /** Columns whose values identify a series (node, SKU…); none = the whole file is one series. */
  readonly seriesCols: readonly string[];
  /** Column naming the pooling group (e.g. category); default: each series is its own group. */
  readonly groupCol?: string;
  /** Calendar from `chinese-days` / `date-holidays` ('none' when --holiday-column is used). */
  readonly holidays: HolidayRegion;
  /** 0/1 column of the CSV marking holidays, instead of a calendar. */
  readonly holidayColumn?: string;
  readonly freq: 'hour' | 'day';
  readonly slotMinutes: number;
  readonly horizon: number;
  readonly testFrom: string;
  /** Last time scored (inclusive); later rows are ignored. Default: end of the data. */
  readonly testTo?: string;
  readonly refitEvery?: number;
  /** Slots between forecast origins (default: the horizon, so each origin scores leads 1..H once). */
  readonly originEvery: number;
  /** Leads scored from each origin, ascending (default 1..horizon). */
  readonly leads: readonly number[];
  /** SVG of actual vs forecast; no plot without it ('none' is accepted and means no plot). */
  readonly plot?: string;
  /** CSV file receiving every scored forecast with its intervals. */
  readonly out?: string;
}

/** One-line usage text shown with argument errors. */
export const USAGE =
  'usage: backtest --csv FILE --time COL [--slot-col COL] --target COL [--features a,b,c] ' +
  '[--series-cols a,b] [--group-col COL] [--holidays CN|US|AU-VIC|…|none | --holiday-column COL] --freq hour|day ' +
  '[--slot-minutes 60] --horizon N --test-from DATE [--test-to DATE] [--origin-every N] [--leads all|last|1,2,…] ' +
  '[--refit-every N] [--plot out.svg] [--out forecasts.csv]';

const KNOWN = new Set([
  'csv',
  'time',
  'slot-col',
  'target',
  'features',
  'series-cols',
  'group-col',
  'holidays',
  'holiday-column',
  'freq',
  'slot-minutes',
  'horizon',
  'test-from',
  'test-to',
  'origin-every',
  'leads',
  'refit-every',
  'plot',
  'out',
]);

/** Parse argv (without node and script) into checked arguments; throws InputError. */
export function parseArgs(argv: readonly string[]): BacktestArgs {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) throw new InputError(`unexpected argument '${a}'\n${USAGE}`);
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!KNOWN.has(key)) throw new InputError(`unknown option --${key}\n${USAGE}`);
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new InputError(`option --${key} needs a value\n${USAGE}`);
    raw.set(key, value);
  }
  const need = (key: string): string => {
    const v = raw.get(key);
    if (v === undefined || v === '') throw new InputError(`missing required option --${key}\n${USAGE}`);
    return v;
  };
  const list = (key: string): string[] =>
    (raw.get(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const positiveInt = (key: string, v: string): number => {
    const n = /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1)
      throw new InputError(`--${key} must be a positive integer, got '${printable(v)}'`);
    return n;
  };
  const freq = need('freq');
  if (freq !== 'hour' && freq !== 'day') throw new InputError(`--freq must be hour or day, got '${freq}'`);
  const holidays = raw.get('holidays') ?? 'none';
  const holidayColumn = raw.get('holiday-column');
  if (holidayColumn !== undefined && raw.has('holidays'))
    throw new InputError('use either --holidays or --holiday-column, not both (--holidays and --holiday-column)');
  const problem = holidayRegionProblem(holidays);
  if (problem !== undefined) throw new InputError(`--holidays: ${printable(problem)}`);
  const slotMinutes = freq === 'day' ? 1440 : positiveInt('slot-minutes', raw.get('slot-minutes') ?? '60');
  if (1440 % slotMinutes !== 0) throw new InputError(`--slot-minutes must divide a day (1440), got ${slotMinutes}`);
  const refit = raw.get('refit-every');
  const horizon = positiveInt('horizon', need('horizon'));
  return {
    csv: need('csv'),
    time: need('time'),
    slotCol: raw.get('slot-col'),
    target: need('target'),
    features: list('features'),
    seriesCols: list('series-cols'),
    groupCol: raw.get('group-col'),
    holidays,
    holidayColumn,
    freq,
    slotMinutes,
    horizon,
    testFrom: need('test-from'),
    testTo: raw.get('test-to'),
    refitEvery: refit === undefined ? undefined : positiveInt('refit-every', refit),
    originEvery: positiveInt('origin-every', raw.get('origin-every') ?? String(horizon)),
    leads: parseLeads(raw.get('leads') ?? 'all', horizon),
    plot: raw.get('plot') === 'none' ? undefined : raw.get('plot'),
    out: raw.get('out'),
  };
}

/** `all` = 1..horizon, `last` = horizon, or a comma list of leads within 1..horizon. */
function parseLeads(value: string, horizon: number): number[] {
  if (value === 'all') return Array.from({ length: horizon }, (_, i) => i + 1);
  if (value === 'last') return [horizon];
  const leads = new Set<number>();
  for (const part of value.split(',')) {
    const s = part.trim();
    const n = /^\d{1,15}$/.test(s) ? Number(s) : Number.NaN;
    if (!Number.isSafeInteger(n))
      throw new InputError(`--leads must be all, last or a list of leads such as 1,7, got '${printable(value)}'`);
    if (n < 1 || n > horizon) throw new InputError(`--leads: lead ${n} is outside 1..${horizon} (the horizon)`);
    leads.add(n);
  }
  return [...leads].sort((a, b) => a - b);
}

/** Control characters and lone surrogates shown escaped, so an error stays one readable line. */
function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1); // escapes controls and lone surrogates (well-formed stringify)
}
