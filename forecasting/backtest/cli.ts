// The backtest command as a function (argv in, exit code out) so tests can run it in-process.
import { readFileSync, writeFileSync } from 'node:fs';
import { customHolidayRegion } from '../holidays';
import { renderForecastSvg } from '../plot';
import { dayOfIsoDate, DAY_MS, isoLocal } from '../time';
import { DateTime } from 'luxon';
import { parseArgs, type BacktestArgs } from './args';
import { InputError } from './errors';
import { loadSeries, type LoadedData } from './load';
import { BASELINES, runBacktest, type BacktestResult } from './run';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Run the backtest CLI; returns the exit code (0 ok, 2 bad input, 3 result printed but a file not written, 1 unexpected failure). */
export function runBacktestCli(argv: readonly string[], io: CliIo = processIo): number {
  let printed: { args: BacktestArgs; result: BacktestResult; data: LoadedData } | undefined;
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
    const testFromMs = parseDateArg('--test-from', args.testFrom, false);
    const loaded = loadSeries(text, { ...args, slotsPerDay });
    const data = args.testTo ? truncate(loaded, parseDateArg('--test-to', args.testTo, true), testFromMs) : loaded;
    const holidays = loaded.holidayDays
      ? customHolidayRegion(args.holidayColumn ?? 'holiday', loaded.holidayDays)
      : args.holidays;
    const result = runBacktest(data, {
      horizon: args.horizon,
      testFromMs,
      holidays,
      refitEvery: args.refitEvery ?? (slotsPerDay === 1 ? 28 : 7 * slotsPerDay),
      originEvery: args.originEvery,
      leads: args.leads,
    });
    // The result goes out first: nothing after this line can lose it.
    io.stdout(`${JSON.stringify(summaryJson(args, data, result, (Date.now() - began) / 1000))}\n`);
    printed = { args, result, data };
    if (args.out) writeOutput('--out', args.out, () => forecastsCsv(data, result));
    if (args.plot) {
      const { trace } = result;
      writeOutput('--plot', args.plot, () =>
        renderForecastSvg({
          title: `${args.target}: actual vs forecast at the longest lead scored (p10–p90 band)`,
          ...trace,
        }),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof OutputError) {
      io.stderr(`error: ${e.message}\n`);
      return 3;
    }
    if (e instanceof InputError) {
      io.stderr(`error: ${e.message}\n`);
      return 2;
    }
    // After the JSON only file writing remains, which reports OutputError; anything else is a bug.
    io.stderr(
      `${printed ? 'unexpected failure after the result was printed' : 'unexpected failure'}: ${(e as Error).stack ?? String(e)}\n`,
    );
    return 1;
  }
}

/** A result file that could not be written; the JSON is already out. */
class OutputError extends Error {}

function writeOutput(option: string, path: string, render: () => string): void {
  try {
    writeFileSync(path, render());
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new OutputError(
      `cannot write ${option} ${path}: ${err.code ?? ''} ${err.message.split('\n')[0] ?? ''}`
        .replace(/\s+/g, ' ')
        .trim(),
    );
  }
}

/** Dates for daily data, date-times otherwise. */
function stamp(ms: number, slotsPerDay: number): string {
  const iso = isoLocal(ms);
  return slotsPerDay === 1 ? iso.slice(0, 10) : iso.slice(0, 16);
}

/** The printed JSON: metrics, the protocol as run, per-lead errors. */
function summaryJson(args: BacktestArgs, data: LoadedData, r: BacktestResult, seconds: number) {
  const step = DAY_MS / data.slotsPerDay;
  const at = (idx: number) => stamp(data.start + idx * step, data.slotsPerDay);
  const leadText = r.leads.length === 1 ? `lead ${r.leads[0]}` : `leads ${r.leads.join(',')}`;
  return {
    model: r.model,
    baselines: r.baselines,
    rows: data.rows,
    series: data.series.length,
    origins: r.origins,
    targets: r.targets,
    refits: r.refits,
    horizon: args.horizon,
    evaluated: `${leadText} from an origin every ${r.originEvery} step${r.originEvery === 1 ? '' : 's'}; targets ${at(r.testFrom)} … ${at(r.testTo)}`,
    point_forecast: 'p50',
    interval: 'p10-p90 (nominal 80%)',
    protocol: {
      origins: r.origins,
      first_origin: at(r.firstOrigin),
      last_origin: at(r.lastOrigin),
      origin_every: r.originEvery,
      leads: r.leads,
      horizon: args.horizon,
      period: { from: at(r.testFrom), to: at(r.testTo) },
      slot_minutes: args.slotMinutes,
      slots_per_day: data.slotsPerDay,
      features: args.features,
      holidays: args.holidayColumn ? { column: args.holidayColumn } : args.holidays,
      refit_every: args.refitEvery ?? (data.slotsPerDay === 1 ? 28 : 7 * data.slotsPerDay),
      scored: r.forecasts.lead.length / Math.max(1, data.series.length),
      scored_forecasts: r.forecasts.lead.length,
      weather: 'observed values of the target step stand in for a weather forecast',
    },
    per_lead: {
      model: r.perLead.model,
      baselines: Object.fromEntries(BASELINES.map((b) => [b, r.perLead[b]])),
    },
    plot: args.plot ?? null,
    out: args.out ?? null,
    seconds: Math.round(seconds * 10) / 10,
  };
}

/** Every scored forecast: keys, the actual, the model's quantiles, each baseline with its band. */
function forecastsCsv(data: LoadedData, r: BacktestResult): string {
  const step = DAY_MS / data.slotsPerDay;
  const at = (idx: number) => stamp(data.start + idx * step, data.slotsPerDay);
  const f = r.forecasts;
  const header = [
    'series',
    'origin',
    'target',
    'lead',
    'actual',
    'model_p10',
    'model_p50',
    'model_p90',
    ...BASELINES.flatMap((b) => [b, `${b}_p10`, `${b}_p90`]),
  ];
  const num = (v: number | undefined) => String(Math.round((v ?? 0) * 1e6) / 1e6);
  const lines = [header.join(',')];
  for (let k = 0; k < f.lead.length; k++) {
    const m = f.scores.model;
    const cells = [
      csvCell(data.series[f.series[k] ?? 0]?.id ?? ''),
      at(f.origin[k] ?? 0),
      at(f.target[k] ?? 0),
      String(f.lead[k]),
      num(f.actual[k]),
      num(m.lower[k]),
      num(m.point[k]),
      num(m.upper[k]),
      ...BASELINES.flatMap((b) => [num(f.scores[b].point[k]), num(f.scores[b].lower[k]), num(f.scores[b].upper[k])]),
    ];
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting for series ids (they come from the input's cells). */
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
function truncate(data: LoadedData, lastMs: number, testFromMs: number): LoadedData {
  if (lastMs < testFromMs) throw new InputError('--test-to is before --test-from');
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
