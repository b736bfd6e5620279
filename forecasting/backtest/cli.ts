// The backtest command as a function (argv in, exit code out) so tests can run it in-process.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { renderForecastSvg } from '../plot';
import { dayOfIsoDate, DAY_MS } from '../time';
import { DateTime } from 'luxon';
import { parseArgs, type BacktestArgs } from './args';
import { InputError } from './errors';
import { loadSeries, type LoadedData } from './load';
import { runBacktest } from './run';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Run the backtest CLI; returns the exit code (0 ok, 2 bad input, 1 unexpected failure). */
export function runBacktestCli(argv: readonly string[], io: CliIo = processIo): number {
  try {
    const args = parseArgs(argv);
    const began = Date.now();
    let text: string;
    try {
      text = readFileSync(args.csv, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read --csv ${args.csv}: ${(e as Error).message}`);
    }
    const slotsPerDay = 1440 / args.slotMinutes;
    const loaded = loadSeries(text, { ...args, slotsPerDay });
    const data = args.testTo ? truncate(loaded, parseDateArg('--test-to', args.testTo, true)) : loaded;
    const result = runBacktest(data, {
      horizon: args.horizon,
      testFromMs: parseDateArg('--test-from', args.testFrom, false),
      holidays: args.holidays,
      refitEvery: args.refitEvery ?? (slotsPerDay === 1 ? 28 : 7 * slotsPerDay),
    });
    const plotPath = plotPathFor(args);
    if (plotPath) {
      writeFileSync(
        plotPath,
        renderForecastSvg({ title: `${args.target}: actual vs ${args.horizon}-step-ahead forecast (p10–p90 band)`, ...result.trace }),
      );
    }
    const out = {
      model: result.model,
      baselines: result.baselines,
      rows: data.rows,
      series: data.series.length,
      origins: result.origins,
      targets: result.targets,
      refits: result.refits,
      horizon: args.horizon,
      evaluated: `${args.horizon}-step-ahead forecast of each target in the test period (origin = target - ${args.horizon - 1} steps)`,
      point_forecast: 'p50',
      interval: 'p10-p90 (nominal 80%)',
      plot: plotPath ?? null,
      seconds: Math.round((Date.now() - began) / 100) / 10,
    };
    io.stdout(`${JSON.stringify(out)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr(`error: ${e.message}\n`);
      return 2;
    }
    io.stderr(`unexpected failure: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

/** Wall-clock ms of a date or date-time argument; a bare date as an end means the whole day. */
function parseDateArg(name: string, value: string, endOfDay: boolean): number {
  const day = dayOfIsoDate(value);
  if (!Number.isNaN(day)) return (day + (endOfDay ? 1 : 0)) * DAY_MS - (endOfDay ? 1 : 0);
  const dt = DateTime.fromISO(value, { zone: 'utc', setZone: true });
  if (!dt.isValid) throw new InputError(`${name} '${value}' is not a date (YYYY-MM-DD) or ISO date-time`);
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute);
}

/** Drop steps after `lastMs` (inclusive end), so an earlier period can be backtested. */
function truncate(data: LoadedData, lastMs: number): LoadedData {
  const step = DAY_MS / data.slotsPerDay;
  const length = Math.min(data.length, Math.floor((lastMs - data.start) / step) + 1);
  if (length < 1) throw new InputError('--test-to is before the first time in the data');
  const cut = (a: Float64Array) => a.subarray(0, length);
  return {
    ...data,
    length,
    series: data.series.map((s) => ({
      ...s,
      values: cut(s.values),
      features: Object.fromEntries(Object.entries(s.features).map(([k, v]) => [k, cut(v)])),
    })),
  };
}

/** --plot PATH, --plot none, or by default `<csv name>.backtest.svg` next to the CSV. */
function plotPathFor(args: BacktestArgs): string | undefined {
  if (args.plot === 'none') return undefined;
  if (args.plot) return args.plot;
  return join(dirname(args.csv), `${basename(args.csv, extname(args.csv))}.backtest.svg`);
}
