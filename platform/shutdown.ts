import type { Logger } from './logger';

/**
 * A repeat of the first signal within this long is the same keypress, not a second request:
 * Ctrl-C in a terminal signals the whole process group, and `tsx` passes its own SIGINT on to
 * the node process too, so one Ctrl-C arrives twice within milliseconds.
 */
export const SAME_SIGNAL_WITHIN_MS = 1000;

/** What a shutdown handler does besides calling `stop`; real process functions by default. */
export interface ShutdownEnv {
  exit(code: number): void;
  now(): number;
}

/**
 * The handler `onShutdown` installs: the first signal runs `stop` once, then exits 0 (1 when
 * `stop` failed); a second signal, later than `SAME_SIGNAL_WITHIN_MS` after the first, exits
 * at once, so a stuck shutdown can always be interrupted.
 */
export function shutdownHandler(
  logger: Logger,
  stop: () => Promise<void>,
  env: ShutdownEnv,
): (signal: NodeJS.Signals) => void {
  let firstAt: number | null = null;
  return (signal) => {
    if (firstAt !== null) {
      if (env.now() - firstAt <= SAME_SIGNAL_WITHIN_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      env.exit(130);
      return;
    }
    firstAt = env.now();
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => env.exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        env.exit(1);
      },
    );
  };
}

/** Run `stop` once on SIGINT/SIGTERM, then exit (see `shutdownHandler`). */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  const handler = shutdownHandler(logger, stop, { exit: (code) => process.exit(code), now: () => Date.now() });
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
