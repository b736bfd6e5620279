// What a bench figure was measured on: CPU model × cores, and how busy the box was.
import { cpus, loadavg, totalmem } from 'node:os';

/** CPU model and core count, e.g. "AMD EPYC × 2". */
export function machineLabel(): string {
  const list = cpus();
  return `${(list[0]?.model ?? 'unknown').trim()} × ${list.length}`;
}

/** Machine description for a bench line: label, cores, memory, Node version. */
export function machineInfo(): { machine: string; cores: number; mem_gib: number; node: string } {
  return {
    machine: machineLabel(),
    cores: cpus().length,
    mem_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** 1-minute load average, rounded: other work on the box lowers throughput and widens tails. */
export function loadAverage1m(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
