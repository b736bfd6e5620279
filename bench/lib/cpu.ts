// CPU used by each process of a bench (from /proc), to tell what bounds a figure: the
// ingester, the broker, Postgres, or the publisher fighting them for the same cores.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * A named set of processes: explicit pids, and/or every process whose command name matches,
 * and/or some threads of one process (`threads`), or that process without them (`invert`).
 */
export interface ProcessGroup {
  name: string;
  pids?: readonly number[];
  comm?: string;
  threads?: { pid: number; tids: readonly number[]; invert?: boolean };
}

/** CPU ticks per group (per process, so processes that come and go are counted right), and machine-wide busy/total ticks, at one instant. */
export interface CpuSample {
  at: number;
  ticks: Record<string, Record<number, number>>;
  busy: number;
  total: number;
}

// Linux reports per-process times in clock ticks, USER_HZ = 100 on every mainstream kernel.
const TICKS_PER_S = 100;

function readStat(pid: number, tid?: number): { comm: string; ticks: number } | null {
  try {
    const text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // After "(comm) ": state is field 3; utime and stime are fields 14 and 15 (1-based).
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // gone, or not Linux
  }
}

/** Sample the CPU time of each group and of the whole machine. */
export function sampleCpu(groups: readonly ProcessGroup[]): CpuSample {
  const ticks: Record<string, Record<number, number>> = {};
  const byComm = groups.filter((g) => g.comm);
  const all = byComm.length
    ? readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
    : [];
  for (const g of groups) {
    const t: Record<number, number> = {};
    for (const pid of g.pids ?? []) {
      const s = readStat(pid);
      if (s) t[pid] = s.ticks;
    }
    if (g.comm)
      for (const pid of all) {
        const s = readStat(pid);
        if (s?.comm === g.comm) t[pid] = s.ticks;
      }
    if (g.threads) {
      const { pid, tids, invert } = g.threads;
      const threads = tids.reduce((sum, tid) => sum + (readStat(pid, tid)?.ticks ?? 0), 0);
      // A process's own ticks include its exited threads; its threads' ticks are their own.
      t[pid] = invert ? (readStat(pid)?.ticks ?? 0) - threads : threads;
    }
    ticks[g.name] = t;
  }
  let busy = 0;
  let total = 0;
  try {
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    total = cpu.reduce((a, b) => a + b, 0);
    busy = total - (cpu[3] ?? 0) - (cpu[4] ?? 0); // minus idle and iowait
  } catch {
    // not Linux: machine-wide figures stay 0
  }
  return { at: Date.now(), ticks, busy, total };
}

/** CPU-seconds used by each group between two samples. */
export function cpuSecondsBetween(a: CpuSample, b: CpuSample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(b.ticks)) {
    let ticks = 0;
    for (const [pid, t] of Object.entries(b.ticks[name]!)) ticks += t - (a.ticks[name]?.[Number(pid)] ?? 0);
    out[name] = ticks / TICKS_PER_S;
  }
  return out;
}

/** Average cores used by each group between two samples, and the machine's busy share in %. */
export function cpuBetween(a: CpuSample, b: CpuSample): Record<string, number> {
  const seconds = Math.max(1e-3, (b.at - a.at) / 1000);
  const out: Record<string, number> = {};
  let ours = 0;
  for (const name of Object.keys(b.ticks)) {
    // A process that started in between counts whole; one that ended loses its last moments.
    let ticks = 0;
    for (const [pid, t] of Object.entries(b.ticks[name]!)) ticks += t - (a.ticks[name]?.[Number(pid)] ?? 0);
    const cores = ticks / TICKS_PER_S / seconds;
    ours += cores;
    out[name] = Math.round(cores * 100) / 100;
  }
  const busyShare = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
  // Whatever else ran on the box meanwhile (other test runs, compilers): it took cores from us.
  out.others = Math.max(0, Math.round((busyShare * cpus().length - ours) * 100) / 100);
  out.machine_busy_pct = Math.round(busyShare * 1000) / 10;
  return out;
}

/**
 * Wait until the machine is quiet (busy below `maxBusyCores` over a 1 s sample) or `maxWaitMs`
 * has passed, so that other work on a shared box (compilers, test runs) does not end up in a
 * figure. Returns the busy cores of the last sample and whether it was quiet.
 */
export async function waitForQuiet(
  maxBusyCores = 0.3,
  maxWaitMs = 30_000,
): Promise<{ quiet: boolean; busyCores: number; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const a = sampleCpu([]);
    await new Promise((r) => setTimeout(r, 1000));
    const b = sampleCpu([]);
    const busyCores = b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cpus().length : 0;
    const waitedMs = Date.now() - started;
    if (busyCores < maxBusyCores || waitedMs >= maxWaitMs)
      return { quiet: busyCores < maxBusyCores, busyCores: Math.round(busyCores * 100) / 100, waitedMs };
  }
}
