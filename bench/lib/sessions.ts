// Removing persistent MQTT sessions a bench created, so they do not keep queueing messages.
import type { IClientOptions } from 'mqtt';
import { connectMqtt } from '../../platform/mqtt';

/**
 * End the broker sessions of these client ids: connecting with a clean start and a session
 * expiry of 0 discards the old session (its subscriptions and queued messages), and nothing
 * persists after the disconnect. Only for sessions whose owner has stopped.
 */
export async function purgeSessions(
  url: string,
  creds: Pick<IClientOptions, 'username' | 'password'>,
  clientIds: readonly string[],
): Promise<void> {
  await Promise.all(
    clientIds.map(async (clientId) => {
      const c = await connectMqtt(
        url,
        { ...creds, clientId, clean: true, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } },
        10_000,
      );
      await c.endAsync();
    }),
  );
}

/** End the sessions `<prefix>-0` … `<prefix>-<count - 1>` that a bench child opened on the broker of `mqtt`. */
export function purgeNumberedSessions(
  mqtt: { url: string; username?: string; password?: string },
  prefix: string,
  count: number,
): Promise<void> {
  return purgeSessions(
    mqtt.url,
    { username: mqtt.username, password: mqtt.password },
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
  );
}
