import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * Paths redacted from every log line. Personal data never belongs in logs; these catch the
 * places it could slip in (request bodies, customer objects, auth headers).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.customer',
  '*.contact',
  '*.phone',
  '*.name',
  '*.address',
  'customer',
  'contact',
  'phone',
  'address',
];

/** The root structured logger (JSON lines on stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'freshchain' } },
    destination,
  );
}
