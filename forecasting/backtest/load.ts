// Turn CSV text into regular, gap-free series, or explain precisely what is wrong with it.
import { DateTime } from 'luxon';
import { parseCsv } from '../csv';
import { DAY_MS, isoLocal } from '../time';
import type { BacktestArgs } from './args';
import { InputError } from './errors';

/** Dates for daily data, date-times otherwise, in messages. */
function show(ms: number, step: number): string {
  return step === DAY_MS ? isoLocal(ms).slice(0, 10) : isoLocal(ms).slice(0, 16).replace('T', ' ');
}

/** The columns to read (as the command line names them) and the slots in a day. */
export type LoadSpec = Pick<
  BacktestArgs,
  'time' | 'slotCol' | 'target' | 'features' | 'seriesCols' | 'groupCol' | 'holidayColumn'
> & {
  readonly slotsPerDay: number;
};

export interface LoadedSeries {
  readonly id: string;
  readonly group: string;
  readonly values: Float64Array;
  readonly features: Record<string, Float64Array>;
}

export interface LoadedData {
  /** Wall-clock epoch ms of the first step (shared by all series). */
  readonly start: number;
  readonly length: number;
  readonly slotsPerDay: number;
  readonly rows: number;
  readonly series: LoadedSeries[];
  /** Days (YYYY-MM-DD) the holiday column marks with 1; undefined without --holiday-column. */
  readonly holidayDays?: readonly string[];
}

interface Row {
  readonly line: number;
  readonly ms: number;
  readonly cells: readonly string[];
}

/** Parse and validate CSV text into series on a common regular grid. */
export function loadSeries(text: string, spec: LoadSpec): LoadedData {
  const table = parseCsv(text);
  const header = (table[0] ?? []).map((h) => h.trim());
  if (header.length === 0 || table.length < 2) throw new InputError('CSV has no data rows');
  const wanted = [
    spec.time,
    spec.target,
    ...(spec.slotCol ? [spec.slotCol] : []),
    ...spec.features,
    ...spec.seriesCols,
    ...(spec.groupCol ? [spec.groupCol] : []),
    ...(spec.holidayColumn ? [spec.holidayColumn] : []),
  ];
  const missing = [...new Set(wanted.filter((c) => !header.includes(c)))];
  if (missing.length > 0) {
    throw new InputError(
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')} (columns: ${header.join(', ')})`,
    );
  }
  const col = (name: string): number => header.indexOf(name);
  const step = DAY_MS / spec.slotsPerDay;
  const bySeries = new Map<string, Row[]>();
  const groupOf = new Map<string, string>();
  const holidayDays = new Set<string>();
  table.slice(1).forEach((cells, i) => {
    const line = i + 2; // header is line 1
    const ms = parseTime(cells, line, spec, col, step);
    if (spec.holidayColumn && parseHolidayFlag(cells[col(spec.holidayColumn)], line, spec.holidayColumn))
      holidayDays.add(isoLocal(ms).slice(0, 10));
    const id = spec.seriesCols.length > 0 ? spec.seriesCols.map((c) => cells[col(c)] ?? '').join('/') : 'series';
    const rows = bySeries.get(id) ?? [];
    rows.push({ line, ms, cells });
    bySeries.set(id, rows);
    if (spec.groupCol && !groupOf.has(id)) groupOf.set(id, cells[col(spec.groupCol)] ?? '');
  });
  let start = Number.NaN;
  let length = 0;
  const series: LoadedSeries[] = [];
  for (const [id, rows] of bySeries) {
    rows.sort((a, b) => a.ms - b.ms || a.line - b.line);
    checkRegular(id, rows, step, bySeries.size > 1);
    const first = rows[0] as Row;
    if (series.length === 0) {
      start = first.ms;
      length = rows.length;
    } else if (first.ms !== start || rows.length !== length) {
      throw new InputError(
        `series '${id}' covers ${show(first.ms, step)} + ${rows.length} steps, but the first series covers ${show(start, step)} + ${length} steps; all series must share one time index`,
      );
    }
    const values = new Float64Array(rows.length);
    rows.forEach((r, t) => {
      values[t] = parseNumber(r.cells[col(spec.target)], r.line, spec.target, true);
    });
    const features: Record<string, Float64Array> = {};
    for (const f of spec.features) {
      const arr = new Float64Array(rows.length);
      rows.forEach((r, t) => {
        arr[t] = parseNumber(r.cells[col(f)], r.line, f, false);
      });
      features[f] = arr;
    }
    series.push({ id, group: groupOf.get(id) ?? id, values, features });
  }
  return {
    start,
    length,
    slotsPerDay: spec.slotsPerDay,
    rows: table.length - 1,
    series,
    holidayDays: spec.holidayColumn ? [...holidayDays].sort() : undefined,
  };
}

/** A holiday column cell: 0 or 1 (a day is a holiday when any of its rows says 1). */
function parseHolidayFlag(cell: string | undefined, line: number, column: string): boolean {
  const s = (cell ?? '').trim();
  if (s === '1') return true;
  if (s === '0') return false;
  throw new InputError(
    `row ${line - 1} (line ${line}): holiday column '${column}' must be 0 or 1, got '${JSON.stringify(cell ?? '').slice(1, -1)}'`,
  );
}

/** Numeric cell; empty/NA features become NaN (treated as average), targets must be numbers. */
function parseNumber(cell: string | undefined, line: number, column: string, required: boolean): number {
  const s = (cell ?? '').trim();
  if (!required && (s === '' || s === 'NA' || s === 'NaN')) return Number.NaN;
  const v = s === '' ? Number.NaN : Number(s);
  if (!Number.isFinite(v)) {
    throw new InputError(
      `row ${line - 1} (line ${line}): ${required ? 'target' : 'feature'} column '${column}' has non-numeric value '${cell ?? ''}'`,
    );
  }
  return v;
}

function parseTime(
  cells: readonly string[],
  line: number,
  spec: LoadSpec,
  col: (n: string) => number,
  step: number,
): number {
  const raw = (cells[col(spec.time)] ?? '').trim();
  const bad = (why: string): InputError =>
    new InputError(`row ${line - 1} (line ${line}): cannot parse time column '${spec.time}' value '${raw}': ${why}`);
  let dt = DateTime.fromISO(raw, { zone: 'utc', setZone: true });
  if (!dt.isValid) dt = DateTime.fromSQL(raw, { zone: 'utc', setZone: true });
  if (!dt.isValid) throw bad('expected an ISO date or date-time such as 2015-07-03 or 2015-07-03T14:00');
  // Keep the wall clock as written; an explicit offset is not converted away.
  let ms = Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
  if (spec.slotCol) {
    const slotRaw = (cells[col(spec.slotCol)] ?? '').trim();
    const slot = parseSlot(slotRaw, step);
    if (slot === null || slot < 0 || slot >= spec.slotsPerDay) {
      throw new InputError(
        `row ${line - 1} (line ${line}): slot column '${spec.slotCol}' value '${slotRaw}' is not a slot index 0..${spec.slotsPerDay - 1} or HH:MM`,
      );
    }
    ms = Math.floor(ms / DAY_MS) * DAY_MS + slot * step;
  }
  if (ms % step !== 0) throw bad(`not on the ${step / 60_000}-minute grid`);
  return ms;
}

function parseSlot(s: string, step: number): number | null {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return null;
  const ms = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  return ms % step === 0 ? ms / step : null;
}

function checkRegular(id: string, rows: readonly Row[], step: number, named: boolean): void {
  const where = named ? ` of series '${id}'` : '';
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1] as Row;
    const cur = rows[i] as Row;
    const diff = cur.ms - prev.ms;
    if (diff === 0) {
      throw new InputError(
        `duplicate time ${show(cur.ms, step)} in time index${where}: rows ${prev.line - 1} and ${cur.line - 1}`,
      );
    }
    if (diff !== step) {
      const missing = diff / step - 1;
      throw new InputError(
        `gap in time index${where}: ${show(prev.ms, step)} (row ${prev.line - 1}) is followed by ${show(cur.ms, step)} (row ${cur.line - 1}); ` +
          `${missing} step${missing === 1 ? '' : 's'} missing starting ${show(prev.ms + step, step)}`,
      );
    }
  }
}
