// Pure part of the peer bench: reading the peers' forecasts (from Python, so validated like any
// outside input), lining them up with the scored targets of the freshchain backtest, and the
// metrics of every model. No I/O here, so it is unit-tested without Python.
import { z } from 'zod';
import { parseCsv } from '../../forecasting/csv';
import { bias, coverage, intervalWidth, mae, pinball, shareBelow, wape } from '../../forecasting/metrics';

/** Peer models run in Python (bench/peers/peers.py), in the order of the table. */
export const PEERS = ['mstl_autoets', 'lightgbm'] as const;
export type PeerName = (typeof PEERS)[number];

export interface Quantiles {
  readonly p10: Float64Array;
  readonly p50: Float64Array;
  readonly p90: Float64Array;
}

/** A scored target of the backtest: which origin forecast it, and what happened. */
export interface ScoredTarget {
  readonly origin: string;
  readonly target: string;
  readonly lead: number;
  readonly actual: number;
}

export interface ModelScore {
  readonly mae: number;
  readonly wape: number;
  readonly bias: number;
  readonly coverage: number;
  readonly below_p10: number;
  readonly above_p90: number;
  readonly interval_width: number;
  readonly pinball: number;
}

export class PeerInputError extends Error {}

const quantileArray = z.array(z.number().finite().nonnegative());
const peerOutput = z.record(
  z.string(),
  z.object({ p10: quantileArray, p50: quantileArray, p90: quantileArray }).strict(),
);

/**
 * The peers' JSON: { model: { p10: [...], p50: [...], p90: [...] } } with one finite,
 * non-negative value per scored target, p10 ≤ p50 ≤ p90 not required (a peer's own quantile
 * models may cross; that shows in its pinball loss). Errors name the model and field.
 */
export function parsePeerForecasts(text: string, rows: number): Map<PeerName, Quantiles> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PeerInputError(`peer output is not JSON: ${(e as Error).message}`);
  }
  const parsed = peerOutput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PeerInputError(`peer output: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const out = new Map<PeerName, Quantiles>();
  for (const [name, q] of Object.entries(parsed.data)) {
    if (!(PEERS as readonly string[]).includes(name)) throw new PeerInputError(`peer output: unknown model '${name}'`);
    for (const key of ['p10', 'p50', 'p90'] as const) {
      if (q[key].length !== rows) {
        throw new PeerInputError(`peer output: ${name}.${key}: ${q[key].length} values for ${rows} scored targets`);
      }
    }
    out.set(name as PeerName, {
      p10: Float64Array.from(q.p10),
      p50: Float64Array.from(q.p50),
      p90: Float64Array.from(q.p90),
    });
  }
  return out;
}

/** Columns of the backtest CLI's --out CSV that hold each in-repo forecaster's p10, point and p90. */
export const CLI_FORECASTERS = {
  snaive: ['same_slot_last_week_p10', 'same_slot_last_week', 'same_slot_last_week_p90'],
  mean_4_weeks: ['mean_last_4_same_slots_p10', 'mean_last_4_same_slots', 'mean_last_4_same_slots_p90'],
  freshchain: ['model_p10', 'model_p50', 'model_p90'],
} as const;
export type CliForecaster = keyof typeof CLI_FORECASTERS;

export interface Scored {
  readonly targets: readonly ScoredTarget[];
  readonly actual: Float64Array;
  readonly forecasts: ReadonlyMap<CliForecaster, Quantiles>;
}

/**
 * Scored targets and the in-repo forecasts from the backtest CLI's --out CSV, in the order the
 * peers forecast them: grouped by origin (ISO strings sort in time order), file order within one.
 */
export function readScored(csvText: string): Scored {
  const [header, ...rows] = parseCsv(csvText);
  if (!header) throw new PeerInputError('scored forecasts: empty file');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new PeerInputError(`scored forecasts: no column '${name}'`);
    return i;
  };
  const num = (r: readonly string[], k: number, name: string): number => {
    const v = Number(r[col(name)]);
    if (!Number.isFinite(v) || r[col(name)] === '')
      throw new PeerInputError(`scored forecasts: row ${k + 1}: ${name} '${r[col(name)]}'`);
    return v;
  };
  const [io, it] = [col('origin'), col('target')];
  // Array.prototype.sort is stable, so file order survives within an origin.
  const order = rows.map((r, k) => ({ r, k })).sort((a, b) => compare(a.r[io] ?? '', b.r[io] ?? ''));
  const targets = order.map(({ r, k }): ScoredTarget => {
    const lead = num(r, k, 'lead');
    if (!Number.isInteger(lead) || lead < 1) throw new PeerInputError(`scored forecasts: row ${k + 1}: lead '${lead}'`);
    return { origin: r[io] ?? '', target: r[it] ?? '', lead, actual: num(r, k, 'actual') };
  });
  const forecasts = new Map<CliForecaster, Quantiles>();
  for (const [name, [lo, mid, hi]] of Object.entries(CLI_FORECASTERS)) {
    const pick = (c: string): Float64Array => Float64Array.from(order, ({ r, k }) => num(r, k, c));
    forecasts.set(name as CliForecaster, { p10: pick(lo), p50: pick(mid), p90: pick(hi) });
  }
  return { targets, actual: Float64Array.from(targets, (t) => t.actual), forecasts };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Metrics of one model's quantile forecasts against the actuals (point forecast = p50). */
export function scoreQuantiles(actual: Float64Array, q: Quantiles): ModelScore {
  return {
    mae: mae(actual, q.p50),
    wape: wape(actual, q.p50),
    bias: bias(actual, q.p50),
    coverage: coverage(actual, q.p10, q.p90),
    below_p10: shareBelow(actual, q.p10),
    above_p90: 1 - coverage(actual, q.p10, q.p90) - shareBelow(actual, q.p10),
    interval_width: intervalWidth(q.p10, q.p90),
    pinball: (pinball(actual, q.p10, 0.1) + pinball(actual, q.p50, 0.5) + pinball(actual, q.p90, 0.9)) / 3,
  };
}
