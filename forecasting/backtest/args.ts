// Command-line arguments of the backtest CLI.
import type { HolidayRegion } from '../holidays';
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
  readonly holidays: HolidayRegion;
  readonly freq: 'hour' | 'day';
  readonly slotMinutes: number;
  readonly horizon: number;
  readonly testFrom: string;
  /** Last time scored (inclusive); later rows are ignored. Default: end of the data. */
  readonly testTo?: string;
  readonly refitEvery?: number;
  /** SVG output path; 'none' disables the plot. */
  readonly plot?: string;
}

/** One-line usage text shown with argument errors. */
export const USAGE =
  'usage: backtest --csv FILE --time COL [--slot-col COL] --target COL [--features a,b,c] ' +
  '[--series-cols a,b] [--group-col COL] [--holidays US|CN|none] --freq hour|day [--slot-minutes 60] ' +
  '--horizon N --test-from DATE [--test-to DATE] [--refit-every N] [--plot out.svg|none]';

const KNOWN = new Set([
  'csv', 'time', 'slot-col', 'target', 'features', 'series-cols', 'group-col', 'holidays', 'freq',
  'slot-minutes', 'horizon', 'test-from', 'test-to', 'refit-every', 'plot',
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
    (raw.get(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const positiveInt = (key: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`--${key} must be a positive integer, got '${v}'`);
    return n;
  };
  const freq = need('freq');
  if (freq !== 'hour' && freq !== 'day') throw new InputError(`--freq must be hour or day, got '${freq}'`);
  const holidays = raw.get('holidays') ?? 'none';
  if (holidays !== 'US' && holidays !== 'CN' && holidays !== 'none') {
    throw new InputError(`--holidays must be US, CN or none, got '${holidays}'`);
  }
  const slotMinutes = freq === 'day' ? 1440 : positiveInt('slot-minutes', raw.get('slot-minutes') ?? '60');
  if (1440 % slotMinutes !== 0) throw new InputError(`--slot-minutes must divide a day (1440), got ${slotMinutes}`);
  const refit = raw.get('refit-every');
  return {
    csv: need('csv'),
    time: need('time'),
    slotCol: raw.get('slot-col'),
    target: need('target'),
    features: list('features'),
    seriesCols: list('series-cols'),
    groupCol: raw.get('group-col'),
    holidays,
    freq,
    slotMinutes,
    horizon: positiveInt('horizon', need('horizon')),
    testFrom: need('test-from'),
    testTo: raw.get('test-to'),
    refitEvery: refit === undefined ? undefined : positiveInt('refit-every', refit),
    plot: raw.get('plot'),
  };
}
