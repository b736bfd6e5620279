// Removing persistent MQTT sessions a bench created, so they do not keep queueing messages.
import type { IClientOptions } from 'mqtt';
import { connectMqtt } from '../../platform/mqtt';

/**
 * End the broker sessions of these client ids: connecting with a clean start and a session
 * expiry of 0 discards the old session (its subscriptions and queued messages), and nothing
 * persists after the disconnect. Only for sessions whose owner has stopped.
 */
export async function purgeSessions(url: string, creds: Pick<IClientOptions, 'username' | 'password'>, clientIds: readonly string[]): Promise<void> {
  await Promise.all(
    clientIds.map(async (clientId) => {
      const c = await connectMqtt(url, { ...creds, clientId, clean: true, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } }, 10_000);
      await c.endAsync();
    }),
  );
}
