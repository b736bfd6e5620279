// Benchmark: fit + forecast 10,000 hourly node × SKU series (8 weeks of history each) 7 days
// ahead, 24 slots a day. Data generation is not timed. Prints one JSON line.
//   npx tsx bench/forecast.ts [--workers N]
// Pooling groups (categories) are independent fits, so with N > 1 the categories are split
// over N worker threads (default: one per core, at most one per category); --workers 1 runs
// everything on the main thread.
import { cpus, loadavg } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { forecastBatch, type BatchSeries } from '../forecasting/api';
import { generateGroceryDemand } from '../forecasting/synthetic';

const NODES = 50;
const CATEGORIES = ['drinks', 'produce', 'dairy', 'snacks'];
const SKUS_PER_CATEGORY = 50; // 50 nodes × 4 categories × 50 SKUs = 10,000 series
const HISTORY_DAYS = 56;
const HORIZON_DAYS = 7;
const SLOTS_PER_DAY = 24;

interface Done {
  readonly series: number;
  readonly points: number;
  readonly negative: number;
}

/** The benchmark data set, restricted to some categories (same data whatever the split). */
function buildSeries(categories: readonly string[]): BatchSeries[] {
  const data = generateGroceryDemand({
    seed: 2024,
    start: '2024-08-05',
    days: HISTORY_DAYS + HORIZON_DAYS,
    nodes: NODES,
    skusPerCategory: SKUS_PER_CATEGORY,
    categories: CATEGORIES,
    keepExpected: false,
  });
  const historySteps = HISTORY_DAYS * SLOTS_PER_DAY;
  // Features (weather) run on into the horizon: they stand in for the weather forecast.
  return data.series
    .filter((s) => categories.includes(s.group))
    .map((s) => ({
      id: s.id,
      group: s.group,
      start: s.start,
      values: s.values.subarray(0, historySteps),
      features: s.features,
    }));
}

function forecastAll(series: readonly BatchSeries[]): Done {
  const forecasts = forecastBatch(series, { freq: 'hour', holidays: 'CN', horizon: HORIZON_DAYS * SLOTS_PER_DAY });
  let points = 0;
  let negative = 0;
  for (const f of forecasts) {
    points += f.length;
    for (const p of f) if (p.p10 < 0) negative += 1;
  }
  return { series: forecasts.length, points, negative };
}

function workerMain(): void {
  const series = buildSeries(workerData as string[]);
  parentPort?.on('message', () => parentPort?.postMessage(forecastAll(series)));
  parentPort?.postMessage('ready');
}

interface Timed<T> {
  readonly result: T;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

async function timed<T>(work: () => T | Promise<T>): Promise<Timed<T>> {
  const began = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage(); // process-wide: includes worker threads
  const result = await work();
  const used = process.cpuUsage(cpuBefore);
  return {
    result,
    seconds: Number(process.hrtime.bigint() - began) / 1e9,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

async function runInWorkers(n: number): Promise<Timed<Done[]>> {
  const shares = Array.from({ length: n }, (_, i) => CATEGORIES.filter((_, k) => k % n === i));
  // Workers load TypeScript through tsx's CommonJS hook, like the main thread.
  const workers = shares.map(
    (share) => new Worker(__filename, { workerData: share, execArgv: ['--require', 'tsx/cjs'] }),
  );
  const next = (w: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(workers.map(next)); // data generated, not timed
  return timed(async () => {
    const results = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const done = (await Promise.all(results)) as Done[];
    await Promise.all(workers.map((w) => w.terminate()));
    return done;
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--workers');
  const cores = cpus().length;
  const workers = at >= 0 ? Number(process.argv[at + 1]) : Math.min(cores, CATEGORIES.length);
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
  let run: Timed<Done[]>;
  if (workers === 1) {
    const series = buildSeries(CATEGORIES);
    run = await timed(() => [forecastAll(series)]);
  } else {
    run = await runInWorkers(workers);
  }
  const total = run.result.reduce((s, d) => ({
    series: s.series + d.series,
    points: s.points + d.points,
    negative: s.negative + d.negative,
  }));
  if (total.negative > 0) throw new Error(`${total.negative} negative forecasts`);
  console.log(
    JSON.stringify({
      series: total.series,
      history_steps: HISTORY_DAYS * SLOTS_PER_DAY,
      slots: total.points,
      seconds: Math.round(run.seconds * 100) / 100,
      // CPU time too: wall time on a shared 2-core box swings with whatever else runs.
      cpu_seconds: Math.round(run.cpuSeconds * 100) / 100,
      threads: workers,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores,
        node: process.version,
        load_avg_1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      },
    }),
  );
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  workerMain();
}
