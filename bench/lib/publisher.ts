// A QoS 1 publisher for benches: as fast as the broker acknowledges, or paced at a rate.
import type { MqttClient } from 'mqtt';

/** One message to publish; `at` is the wall-clock time (ms) it is published at. */
export type MessageFactory = (index: number, at: number) => { topic: string; payload: string | Buffer };

/** When publishing started and ended (wall clock, ms) and how many PUBACKs came back. */
export interface PublishResult {
  startedAt: number;
  endedAt: number;
  acked: number;
}

/**
 * Publish `count` messages with QoS 1, keeping at most `window` unacknowledged. Without
 * `ratePerS` it publishes as fast as the broker acknowledges; with it, message i is sent at
 * start + i / rate, not before (a publisher that fell behind catches up in bursts of at most
 * `window`, as a fleet of devices reconnecting would).
 */
export function publishMany(
  client: MqttClient,
  count: number,
  make: MessageFactory,
  opts: { window?: number; ratePerS?: number } = {},
): Promise<PublishResult> {
  const window = opts.window ?? 1000;
  const rate = opts.ratePerS;
  const startedAt = Date.now();
  let sent = 0;
  let acked = 0;
  let timer: NodeJS.Timeout | undefined;
  return new Promise<PublishResult>((resolve, reject) => {
    if (count === 0) return resolve({ startedAt, endedAt: startedAt, acked });
    const pump = (): void => {
      timer = undefined;
      while (sent < count && sent - acked < window) {
        const now = Date.now();
        if (rate !== undefined) {
          const due = startedAt + (sent * 1000) / rate;
          if (due > now) {
            timer ??= setTimeout(pump, Math.max(1, due - now));
            return;
          }
        }
        const { topic, payload } = make(sent, now);
        sent++;
        client.publish(topic, payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked++;
          if (acked === count) resolve({ startedAt, endedAt: Date.now(), acked });
          else if (timer === undefined) pump();
        });
      }
    };
    pump();
  });
}
