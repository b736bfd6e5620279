// Bench child processes (the ingester under test, the reference subscriber) and the IPC
// protocol the bench uses to drive them. Children run in their own process, as in production,
// so the publisher in the bench process does not share their event loop.
import { fork, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Where `compileChildren` writes: under node_modules, so the compiled code resolves the same packages. */
export const COMPILED_CHILDREN_DIR = join(ROOT, 'node_modules/.cache/freshchain-bench');

/**
 * Compile the bench's child modules (bench/tsconfig.children.json) with tsc, as `npm run build`
 * compiles production code; returns a function from a child's source path to its compiled file.
 * A child forked from the compiled file runs without tsx, whose transform adds work on hot paths
 * (a `__name` call for each closure created) that production code does not do.
 */
export function compileChildren(): (sourcePath: string) => string {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'bench/tsconfig.children.json'), '--outDir', COMPILED_CHILDREN_DIR],
    { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`compiling the bench children failed (tsc exit ${r.status ?? r.signal})`);
  return (sourcePath) => join(COMPILED_CHILDREN_DIR, relative(ROOT, sourcePath).replace(/\.ts$/, '.js'));
}

/** Parent → child. */
export type ToChild =
  /** Report (as `reached`) the wall-clock time at which `count` units were handled. */
  | { type: 'expect'; count: number }
  /** Start recording publish-to-ack latency of single-reading messages (ingester only). */
  | { type: 'latency'; on: boolean }
  /** Report cumulative counters (and the latencies recorded since `latency` was turned on). */
  | { type: 'stats' }
  /** Report the units handled so far, at once (a group of children is polled with it). */
  | { type: 'count' }
  | { type: 'stop' };

/** Child → parent. */
export type FromChild =
  | { type: 'ready' }
  | { type: 'reached'; count: number; at: number }
  | { type: 'stats'; stats: Record<string, number>; latencies?: number[] }
  | { type: 'count'; handled: number; at: number }
  | { type: 'stopped' }
  /** What a child tells about itself once, after `ready` (ports, thread ids). */
  | { type: 'info'; info: Record<string, unknown> }
  | { type: 'error'; message: string };

/** A running bench child. */
export interface BenchChild {
  readonly process: ChildProcess;
  send(msg: ToChild): void;
  /** Resolves with the next message of this type (rejects if the child exits first). */
  next<T extends FromChild['type']>(type: T, timeoutMs?: number): Promise<Extract<FromChild, { type: T }>>;
  /** Ask for the child's cumulative counters. */
  stats(): Promise<Extract<FromChild, { type: 'stats' }>>;
  /** Ask the child to stop cleanly and wait until it has. */
  stop(timeoutMs?: number): Promise<void>;
  /** Wait up to `graceMs` for the child to exit by itself, then kill it. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Fork a child module with an IPC channel (TypeScript under tsx, or compiled JavaScript as it is);
 * resolves once it reports `ready`.
 * `stdoutToStderr`: the child's stdout goes to stderr, so that what it prints (the Temporal
 * SDK core logs there) cannot mix with the bench's one JSON line.
 */
export async function forkChild(
  modulePath: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
  opts: { stdoutToStderr?: boolean } = {},
): Promise<BenchChild> {
  // cwd = the repository, where `--import tsx` resolves, whatever directory the bench started in.
  const stdio = ['ignore', opts.stdoutToStderr ? process.stderr : 'inherit', 'inherit', 'ipc'] as const;
  const proc = fork(modulePath, [], {
    cwd: ROOT,
    env,
    // A compiled child (compileChildren) runs on plain Node, a TypeScript one under tsx.
    execArgv: modulePath.endsWith('.js') ? [...nodeArgs] : [...nodeArgs, '--import', 'tsx'],
    stdio: [...stdio],
  });
  const queue: FromChild[] = [];
  const waiters: { type: string; resolve: (m: FromChild) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  proc.on('message', (m: FromChild) => {
    if (m.type === 'error') {
      exited ??= new Error(`bench child ${modulePath}: ${m.message}`);
      for (const w of waiters.splice(0)) w.reject(exited);
      return;
    }
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    else queue.push(m);
  });
  proc.on('exit', (code, signal) => {
    exited ??= new Error(`bench child ${modulePath} exited (code ${code}, signal ${signal})`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  const child: BenchChild = {
    process: proc,
    send: (msg) => {
      proc.send(msg);
    },
    next: (type, timeoutMs = 120_000) => {
      const i = queue.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0] as never);
      if (exited) return Promise.reject(exited);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`bench child ${modulePath}: no '${type}' within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          type,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m as never);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    stats: async () => {
      const reply = child.next('stats', 30_000);
      child.send({ type: 'stats' });
      return reply;
    },
    stop: async (timeoutMs = 30_000) => {
      const stopped = child.next('stopped', timeoutMs);
      child.send({ type: 'stop' });
      await stopped;
    },
    close: async (graceMs = 5000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  await child.next('ready', 60_000);
  return child;
}

/** What a child provides to `serveParent`. */
export interface ChildHooks {
  /** Units handled so far (messages acknowledged or received), read synchronously. */
  handled(): number;
  stats(): Promise<{ stats: Record<string, number>; latencies?: number[] }>;
  stop(): Promise<void>;
  onMessage?(m: ToChild): void;
}

/** Child side of the protocol: answer `expect` (polling `handled()` every 2 ms), `stats` and `stop`. */
export function serveParent(hooks: ChildHooks): void {
  const send = (m: FromChild) => process.send?.(m);
  // Exit only once the last message has left: process.send is asynchronous.
  const sendAndExit = (m: FromChild, code: number) => {
    if (process.send) process.send(m, undefined, undefined, () => process.exit(code));
    else process.exit(code);
  };
  const fail = (err: Error) => sendAndExit({ type: 'error', message: err.message }, 1);
  process.on('message', (m: ToChild) => {
    hooks.onMessage?.(m);
    if (m.type === 'expect') {
      const poll = (): void => {
        if (hooks.handled() >= m.count) send({ type: 'reached', count: m.count, at: Date.now() });
        else setTimeout(poll, 2);
      };
      poll();
    } else if (m.type === 'count') {
      send({ type: 'count', handled: hooks.handled(), at: Date.now() });
    } else if (m.type === 'stats') {
      hooks.stats().then((r) => send({ type: 'stats', ...r }), fail);
    } else if (m.type === 'stop') {
      hooks.stop().then(() => sendAndExit({ type: 'stopped' }, 0), fail);
    }
  });
  // The bench going away (crash, Ctrl-C) must not leave children behind.
  process.on('disconnect', () => process.exit(0));
}

/**
 * Several children consuming one stream (ingester instances in one share group), seen as one:
 * the units they handled add up, and so do their counters. Which child gets which message is
 * the broker's choice, so the group polls their counts every `pollMs` to see the total reached
 * (one child: its own exact `reached`).
 */
export interface ConsumerGroup {
  readonly children: readonly BenchChild[];
  readonly pids: number[];
  send(msg: ToChild): void;
  /** The wall-clock time at which the children had handled `total` units together. */
  reached(total: number, timeoutMs?: number): Promise<number>;
  /** Counters summed over the children; latencies of all of them. */
  stats(): Promise<{ stats: Record<string, number>; latencies: number[] }>;
  stop(): Promise<void>;
}

export function consumerGroup(children: readonly BenchChild[], pollMs = 5): ConsumerGroup {
  return {
    children,
    pids: children.map((c) => c.process.pid!),
    send: (msg) => children.forEach((c) => c.send(msg)),
    reached: async (total, timeoutMs = 300_000) => {
      if (children.length === 1) {
        const only = children[0]!;
        const reached = only.next('reached', timeoutMs);
        only.send({ type: 'expect', count: total });
        return (await reached).at;
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await Promise.all(
          children.map(async (c) => {
            const reply = c.next('count', 30_000);
            c.send({ type: 'count' });
            return reply;
          }),
        );
        if (counts.reduce((n, c) => n + c.handled, 0) >= total) return Math.max(...counts.map((c) => c.at));
        if (Date.now() > deadline) throw new Error(`consumers did not handle ${total} units within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    stats: async () => {
      const all = await Promise.all(children.map((c) => c.stats()));
      const stats: Record<string, number> = {};
      for (const a of all) for (const [k, v] of Object.entries(a.stats)) stats[k] = (stats[k] ?? 0) + v;
      return { stats, latencies: all.flatMap((a) => a.latencies ?? []) };
    },
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}

/** Run a child's main: a failure is reported to the parent (as `error`) and ends the child. */
export function runChild(main: () => Promise<void>): void {
  main().catch((err: Error) => {
    process.send?.({ type: 'error', message: err.stack ?? err.message });
    process.exit(1);
  });
}
