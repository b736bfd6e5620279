// Allocation latency bench: a seeded city (default 50 nodes × 5,000 SKUs), orders spread over
// a day, each allocated and then reserved so stock depletes as it would in service. Only the
// allocation decision is timed (reservation is timed separately). Prints one JSON line.
//   npx tsx bench/allocation.ts [orders]
import { loadavg } from 'node:os';
import { allocateOrder } from '../domain/orders/allocation';
import { cityTime, generateCity, generateOrders } from '../demo/city';
import { HOUR_MS } from '../domain/orders/dates';
import { buildStockIndex, reserve } from '../domain/orders/stock-index';
import { machineLabel } from './lib/machine';
import { percentile } from './lib/percentiles';

/** Bench knobs; defaults reproduce the published figure. */
export interface AllocationBenchOptions {
  readonly seed?: number;
  readonly frontWarehouses?: number;
  readonly storeWarehouses?: number;
  readonly skus?: number;
  readonly orders?: number;
  /** Orders allocated (not reserved, not timed) first so the JIT has settled. */
  readonly warmupOrders?: number;
  /** Reserve each allocation so later orders see depleted stock; default true. */
  readonly reserve?: boolean;
  /** Orders are placed over this many hours from 09:00 local; default 12. */
  readonly spreadHours?: number;
}

/** Bench result; the first keys are the published figure, the rest help read it. */
export interface AllocationBenchResult {
  readonly alloc_p50_ms: number;
  readonly alloc_p99_ms: number;
  readonly nodes: number;
  readonly skus: number;
  readonly orders: number;
  readonly machine: string;
  readonly alloc_max_ms: number;
  readonly reserve_p99_ms: number;
  readonly lots: number;
  readonly index_build_ms: number;
  readonly single_node_share: number;
  readonly split_share: number;
  readonly lines_fulfilled_share: number;
  readonly reserve_conflicts: number;
  /** 1-minute load average when the run ended: other work on the box widens the tail. */
  readonly loadavg_1m: number;
}

/** Build a city, allocate (and reserve) its orders, and measure the allocation decision. */
export function measureAllocation(opts: AllocationBenchOptions = {}): AllocationBenchResult {
  const seed = opts.seed ?? 42;
  const city = generateCity(seed, {
    frontWarehouses: opts.frontWarehouses ?? 35,
    storeWarehouses: opts.storeWarehouses ?? 15,
    skus: opts.skus ?? 5000,
  });
  const t0 = performance.now();
  let index = buildStockIndex(city.nodes, city.skus, city.lots);
  const indexBuildMs = performance.now() - t0;
  const start = cityTime(city, 9);
  const spreadMs = (opts.spreadHours ?? 12) * HOUR_MS;
  const orders = generateOrders(city, seed + 1, opts.orders ?? 20_000, start, { spreadMs });

  for (const o of generateOrders(city, seed + 2, opts.warmupOrders ?? 2_000, start, { spreadMs }))
    allocateOrder(index, o, o.placedAt);

  const allocMs: number[] = [];
  const reserveMs: number[] = [];
  let single = 0;
  let split = 0;
  let lines = 0;
  let fulfilledLines = 0;
  let conflicts = 0;
  for (const order of orders) {
    const a0 = process.hrtime.bigint();
    const allocation = allocateOrder(index, order, order.placedAt);
    const a1 = process.hrtime.bigint();
    allocMs.push(Number(a1 - a0) / 1e6);
    if (allocation.fulfilments.length === 1) single++;
    if (allocation.fulfilments.length > 1) split++;
    lines += order.lines.length;
    fulfilledLines += order.lines.length - allocation.unfulfilled.length;
    if (opts.reserve ?? true) {
      const r0 = process.hrtime.bigint();
      const result = reserve(index, order, allocation);
      reserveMs.push(Number(process.hrtime.bigint() - r0) / 1e6);
      if (result.ok) index = result.index;
      else conflicts++; // cannot happen when allocation and reservation use the same index
    }
  }
  allocMs.sort((a, b) => a - b);
  reserveMs.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    alloc_p50_ms: round(percentile(allocMs, 0.5)),
    alloc_p99_ms: round(percentile(allocMs, 0.99)),
    nodes: city.nodes.length,
    skus: city.skus.length,
    orders: orders.length,
    machine: machineLabel(),
    alloc_max_ms: round(allocMs[allocMs.length - 1] ?? Number.NaN),
    reserve_p99_ms: round(percentile(reserveMs, 0.99)),
    lots: city.lots.length,
    index_build_ms: Math.round(indexBuildMs),
    single_node_share: round(single / orders.length),
    split_share: round(split / orders.length),
    lines_fulfilled_share: round(fulfilledLines / lines),
    reserve_conflicts: conflicts,
    loadavg_1m: round(loadavg()[0] ?? Number.NaN),
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 20_000);
  console.log(JSON.stringify(measureAllocation({ orders: Number.isFinite(n) && n > 0 ? n : 20_000 })));
}
